"""No silent traps (issue 29): what a new user gets wrong is said, in one line, before or instead of work.

* ``compare --precision X`` is a half-width relative to each difference itself, and a stop never claims
  precision while a primary difference is not distinguishable from zero;
* ``--seed N`` without ``--seeds`` (the root, not how many) is noted on stderr;
* a mistyped flag is refused by its command with the nearest flag ("did you mean --seeds?");
* ``--baseline`` of compare, attribute and optimize was renamed ``--control`` ("baseline" is the status-quo
  scenario only), and the old name says so;
* optimize counts generations from 1 wherever a user sees them;
* an unknown scenario name gets the nearest name and every known one, never cut.

In this process (``simulation.cli.main``) on tiny scenarios, so the runs take seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import need

from simulation import cli
from simulation.experiments import compare
from simulation.scenario import scenario_names

PEAKED = "simulation.sensitivity.known:peaked"
RENAMED = "--baseline was renamed --control (the arm others are compared with)"


def main(argv: list[str]) -> int:
    """``run.py *argv`` in this process; argparse's exit is an exit code like any other."""
    try:
        return cli.main(argv)
    except SystemExit as ex:
        return ex.code if isinstance(ex.code, int) else 1


def error_line(err: str) -> str:
    """The one error line of stderr (a note line before it allowed), without a traceback."""
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def tiny(tmp_path: Path) -> dict[str, Path]:
    """Tiny versions of shipped scenarios (60 SMEs, 10 quarters, 2 of warm-up)."""
    out = {}
    for name in ("baseline", "integrated", "fragmented", "no_policy"):
        path = tmp_path / f"tiny_{name}.toml"
        path.write_text(f'title = "tiny {name}"\nextends = "{name}"\nsteps = 10\n'
                        f'[params]\nn_smes = 60\nwarmup_steps = 2\n')
        out[name] = path
    return out


# --- 1. --precision: relative to the difference itself; never "reached" on an interval that includes 0 ------

def _summaries(effects: dict[str, tuple[float, float]], seeds: int = 10) -> pd.DataFrame:
    """Two arms on common seeds: every primary outcome near 1,000 in the control, the treatment's paired
    difference of each outcome drawn with the (mean, sd) in ``effects`` (default: a tiny effect)."""
    rng = np.random.default_rng(7)
    rows = []
    for seed in range(seeds):
        base = {o: 1000.0 + rng.normal(0, 30) for o in compare.PRIMARY}
        base["budget_spent"] = 2400.0
        treated = {o: v + rng.normal(*effects.get(o, (0.1, 1.0))) for o, v in base.items() if o != "budget_spent"}
        treated["budget_spent"] = 2400.0
        rows += [{"scenario": "control", "seed": seed, **base}, {"scenario": "treated", "seed": seed, **treated}]
    return pd.DataFrame(rows)


def test_a_small_effect_never_reaches_precision_though_tiny_against_the_control_mean():
    table = compare.differences(_summaries({}), "control")
    watched = table[table["outcome"].isin(compare.PRECISION_OUTCOMES)]
    # the old rule (half-width against the control's mean, about 1,000) would have stopped here
    assert (watched["half_width"] / watched["baseline_mean"] < 0.05).all()
    assert (watched["verdict"] == "no clear difference").any()
    assert not compare.precise_enough(table, 0.05)
    note = compare.precision_note(table, 0.05, 10, at_max=True)
    assert "Precision reached" not in note
    assert note.startswith("Precision NOT reached: stopped at 10 seeds (the maximum).")
    assert "not distinguishable from zero" in note
    check = compare.precision_check(table, 0.05)
    for outcome in check[~check["distinguishable"]]["outcome"]:
        assert outcome in note


def test_precision_is_reached_only_when_every_difference_excludes_zero_narrowly_enough():
    big = {o: (50.0, 1.0) for o in compare.PRECISION_OUTCOMES}
    table = compare.differences(_summaries(big), "control")
    assert compare.precise_enough(table, 0.05)
    note = compare.precision_note(table, 0.05, 10, at_max=False)
    assert note.startswith("Precision reached with 10 seeds") and "distinguishable from zero" in note
    row = table[table["outcome"] == "exporters"].iloc[0]
    assert row["relative_half_width"] == pytest.approx(row["half_width"] / abs(row["difference"]))
    # one outcome with no effect: not reached, and the stop names it as not distinguishable from zero
    mixed = compare.differences(_summaries({**big, "exits": (0.0, 3.0)}), "control")
    assert not compare.precise_enough(mixed, 0.05)
    note = compare.precision_note(mixed, 0.05, 10, at_max=True)
    assert "Precision reached" not in note
    assert "the difference in exits is not distinguishable from zero" in note
    assert "as precise as asked: exporter_years" in note
    # a half-width of the difference's size or more allows an interval across zero: refused as a --precision
    assert main(["compare", "a", "b", "--precision", "1"]) == 2


def test_a_precision_stop_on_a_small_effect_does_not_claim_success(tiny, tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(tiny["fragmented"]), str(tiny["integrated"]), "--precision", "0.05",
                 "--max-seeds", "4", "--batch", "2", "--workers", "1", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Precision reached" not in printed
    assert "Precision NOT reached: stopped at 4 seeds (the maximum)." in printed
    assert "not distinguishable from zero" in printed
    assert len(json.loads((out / "manifest.json").read_text())["seeds"]) == 4
    assert "not distinguishable from zero" in (out / "report.html").read_text()


def test_seeds_given_with_precision_is_noted(tiny, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(tiny["no_policy"]), str(tiny["integrated"]), "--precision", "0.5", "--seeds", "7",
                 "--max-seeds", "2", "--batch", "2", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert "note: with --precision, --seeds is not used" in capsys.readouterr().err


# --- 2. --seed without --seeds --------------------------------------------------------------------------

SEED_NOTE = "note: --seed 3 is the root the replicate seeds are drawn from, not how many; for 3 seeds give --seeds 3"

# each fails fast on a later input, after the note
FAST_FAILURES = {
    "run": ["run", "{missing}"],
    "compare": ["compare", "only_one"],
    "sweep": ["sweep", "{missing}"],
    "explore": ["explore", "H9"],
    "ablate": ["ablate", "--directions", "H9"],
    "attribute": ["attribute"],
    "optimize": ["optimize", "--scenario", "{missing}"],
}


def _argv(command: str, tmp_path: Path) -> list[str]:
    return [a.replace("{missing}", str(tmp_path / "missing.toml")) for a in FAST_FAILURES[command]]


@pytest.mark.parametrize("command", FAST_FAILURES)
def test_seed_without_seeds_is_noted_once_and_the_command_goes_on(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*_argv(command, tmp_path), "--seed", "3"]) == 2  # went on to the input that fails
    err = capsys.readouterr().err
    assert err.splitlines()[0] == SEED_NOTE and err.count("note:") == 1
    error_line(err)
    assert main([*_argv(command, tmp_path), "--seed", "3", "--seeds", "3"]) == 2
    assert "note:" not in capsys.readouterr().err
    assert main([*_argv(command, tmp_path), "--seeds", "3"]) == 2
    assert "note:" not in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_no_seed_note_where_it_cannot_mislead(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # calibrate has no --seeds; a resume takes its seeds from the folder
    assert main(["calibrate", "--targets", str(tmp_path / "missing.toml"), "--seed", "3"]) == 2
    assert main(["run", "--resume", str(tmp_path / "nothing"), "--seed", "3"]) == 2
    assert "note:" not in capsys.readouterr().err
    # with --precision the count is --max-seeds', not --seeds': the note says only what --seed is
    assert main(["compare", "only_one", "--seed", "3", "--precision", "0.1"]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("note: --seed 3 is the root") and "--seeds 3" not in first


def test_demo_seed_says_what_it_is():
    demo = _subcommands()["demo"]
    text = " ".join(demo.format_help().split())
    assert "--seed" in text and "the seed of the class's live runs" in text and "not a count of seeds" in text


# --- 3. a mistyped flag: its command's name and the nearest flag ---------------------------------------------

def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


TYPOS = [
    (["run", "--seedz", "3"], "run.py run", "--seedz", "--seeds"),
    (["run", "--seedz=3"], "run.py run", "--seedz", "--seeds"),
    (["compare", "a", "b", "--precison", "0.1"], "run.py compare", "--precison", "--precision"),
    (["sweep", "--sampels", "8"], "run.py sweep", "--sampels", "--samples"),
    (["explore", "--grd", "3"], "run.py explore", "--grd", "--grid"),
    (["ablate", "--directons", "H1"], "run.py ablate", "--directons", "--directions"),
    (["attribute", "x", "--realocate"], "run.py attribute", "--realocate", "--reallocate"),
    (["attribute", "x", "--basline", "y"], "run.py attribute", "--basline", "--control"),
    (["optimize", "--generatons", "3"], "run.py optimize", "--generatons", "--generations"),
    (["calibrate", "--budegt", "5"], "run.py calibrate", "--budegt", "--budget"),
    (["check-facts", "--tragets", "x"], "run.py check-facts", "--tragets", "--targets"),
    (["demo", "--prot", "80"], "run.py demo", "--prot", "--port"),
    (["--verison"], "run.py", "--verison", "--version"),
]


@pytest.mark.parametrize(("argv", "prog", "wrong", "right"), TYPOS, ids=[" ".join(t[0]) for t in TYPOS])
def test_a_mistyped_flag_gets_the_nearest_flag_of_its_command(argv, prog, wrong, right, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith(f"{prog}: error: unrecognized argument {wrong}; did you mean {right}?"), line
    assert f"(see {prog} --help)" in line
    assert list(tmp_path.iterdir()) == []


def test_unknown_arguments_without_a_near_flag_are_still_one_line(capsys):
    assert main(["run", "--zzzzzz", "--seedz"]) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith("run.py run: error: unrecognized argument --zzzzzz") and "also unrecognized: --seedz" \
        in line and "did you mean" not in line
    assert main(["show", "baseline", "extra"]) == 2
    assert error_line(capsys.readouterr().err).startswith("run.py show: error: unrecognized argument extra")


# --- 4. --baseline is --control ------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["compare", "a", "b", "--baseline", "a"], ["attribute", "x", "--baseline", "y"],
                                  ["optimize", "--baseline", "no_policy"], ["optimize", "--baseline"],
                                  ["compare", "a", "b", "--baseline=a"]])
def test_baseline_says_it_was_renamed_control(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = error_line(capsys.readouterr().err)
    assert line.startswith(f"run.py {argv[0]}: error: {RENAMED}"), line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["compare", "attribute", "optimize"])
def test_help_names_control_and_hides_the_old_name(command):
    text = _subcommands()[command].format_help()
    assert "--control" in text and "--baseline" not in text


def test_compare_control_is_the_arm_others_are_compared_with(tiny, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(tiny["fragmented"]), str(tiny["integrated"]), "--control", "tiny_integrated",
                 "--seeds", "2", "--workers", "1", "--out", str(out)]) == 0
    assert "differences from tiny_integrated (paired 95% CI, 2 seeds)" in capsys.readouterr().out
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["baseline"]) == {"tiny_integrated"} and set(table["scenario"]) == {"tiny_fragmented"}
    assert json.loads((out / "manifest.json").read_text())["baseline"] == "tiny_integrated"
    assert main(["compare", str(tiny["fragmented"]), str(tiny["integrated"]), "--control", "tiny_baseline"]) == 2
    line = error_line(capsys.readouterr().err)
    assert "--control 'tiny_baseline' is not among the scenarios compared" in line


def test_attribute_control_is_what_no_entry_means(tiny, tmp_path, capsys):
    out = tmp_path / "attr"
    assert main(["attribute", str(tiny["integrated"]), "--by", "level", "--control", str(tiny["no_policy"]),
                 "--seeds", "2", "--outcomes", "exporters", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["baseline_ref"] == str(tiny["no_policy"]) and manifest["baseline"]["name"] == "tiny_no_policy"
    assert (out / "attribution.csv").exists()


def test_optimize_control_and_generations_counted_from_one(tiny, tmp_path, capsys):
    need("pymoo", "optimize")
    out = tmp_path / "opt"
    assert main(["optimize", "--scenario", str(tiny["baseline"]), "--control", str(tiny["no_policy"]),
                 "--instruments", "capacity_training,export_promotion", "--population", "4", "--generations", "2",
                 "--seeds", "1", "--reeval-seeds", "2", "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["baseline_ref"] == str(tiny["no_policy"]) and manifest["baseline"]["name"] == "tiny_no_policy"
    front = pd.read_csv(out / "front.csv")
    said = " ".join(line for line in printed.splitlines() if line.startswith("  "))  # the sentences
    assert "exporter_years_gain" in front and "the control" in said and "baseline" not in said
    assert sorted(set(pd.read_csv(out / "history.csv")["generation"])) == [1, 2]
    assert list(pd.read_csv(out / "convergence.csv")["generation"]) == [1, 2]
    assert "of 2" in printed and "generation 0" not in printed


def test_optimize_says_generation_n_of_n(tmp_path, capsys):
    need("pymoo", "optimize")
    out = tmp_path / "opt"
    assert main(["optimize", "--model", PEAKED, "--inputs", "x=0:1,y=0:1", "--objectives", "gain:max,loss:min",
                 "--population", "4", "--generations", "3", "--seeds", "1", "--reeval-seeds", "2", "--workers", "1",
                 "--out", str(out)]) == 0
    progress = next(line for line in capsys.readouterr().out.splitlines() if "Search progress" in line)
    assert "of 3" in progress and "of 2" not in progress
    convergence = pd.read_csv(out / "convergence.csv")
    assert list(convergence["generation"]) == [1, 2, 3]
    history = pd.read_csv(out / "history.csv")
    assert sorted(set(history["generation"])) == [1, 2, 3]
    html = (out / "report.html").read_text()
    assert "of 3" in html


# --- 6. an unknown scenario: the nearest name and every known one ---------------------------------------------

@pytest.mark.parametrize("argv", [["show", "integratd"], ["run", "integratd"], ["compare", "baseline", "integratd"],
                                  ["sweep", "integratd"]])
def test_an_unknown_scenario_lists_every_known_name(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    line = error_line(capsys.readouterr().err)
    assert f"run.py {argv[0]}: error: " in line
    assert "unknown scenario 'integratd'; did you mean 'integrated'? Known scenarios: " in line
    names = scenario_names()
    assert len(names) > 15 and not line.endswith("...")
    listed = line.split("Known scenarios: ", 1)[1]
    assert all(f"{n}," in listed or f"{n} " in listed for n in names), listed
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_scenario_far_from_any_name_still_lists_them(capsys):
    assert main(["show", "zzzzzz"]) == 2
    line = error_line(capsys.readouterr().err)
    assert "unknown scenario 'zzzzzz'. Known scenarios: alliances_off," in line and "did you mean" not in line
    assert scenario_names()[-1] in line


def test_a_missing_extra_skips_naming_it_and_fails_where_extras_are_required(monkeypatch):
    monkeypatch.delenv("SME_REQUIRE_EXTRAS", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"needs the 'optimize' extra \(pip install -e '\.\[optimize\]'"):
        need("no_such_module_for_sme_tests", "optimize")
    monkeypatch.setenv("SME_REQUIRE_EXTRAS", "1")
    with pytest.raises(pytest.fail.Exception, match="SME_REQUIRE_EXTRAS is set"):
        need("no_such_module_for_sme_tests", "optimize")
    assert need("json", "optimize").dumps(1) == "1"  # an installed module is returned


def test_explore_without_cart_says_so_on_the_console(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as in a core install: import sklearn fails
    config = tmp_path / "boxed.toml"
    config.write_text('model = "simulation.sensitivity.known:boxed_effect"\nsamples = 40\nseeds = 2\n'
                      '[inputs]\nx1 = [0.0, 1.0]\nx2 = [0.0, 1.0]\nx3 = [0.0, 1.0]\nx4 = [0.0, 1.0]\n'
                      '[comparisons.boxed]\noutput = "effect"\nexpect = 1\nclaim = "The effect is positive."\n')
    assert main(["explore", "--config", str(config), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "note: CART regions and the effect tree skipped, PRIM ran" in out and "pip install -e '.[explore]'" in out


def test_scheduler_without_dask_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["sweep", "--samples", "8", "--params", "comp_mean,conn_mean", "--scheduler", "local",
                 "--out", str(tmp_path / "s"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--scheduler needs the optional package distributed: pip install -e '.[dask]'" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "s").exists()


def test_a_long_error_line_keeps_its_end_where_the_advice_is(capsys):
    from simulation.cli import _error

    long_path = "/tmp/" + "deep/" * 80
    assert _error("sweep", f"--resume {long_path}: the folder was altered; run the command again into a new "
                           f"folder") == 2
    line = capsys.readouterr().err.strip()
    assert len(line) <= 300 and " ... " in line
    assert line.startswith("run.py sweep: error: --resume /tmp/deep/")
    assert line.endswith("the folder was altered; run the command again into a new folder")
