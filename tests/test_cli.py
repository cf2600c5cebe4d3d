"""The command line, end to end, as subprocesses: the files it writes and what they hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import kill_part_way

import simulation as sim
from simulation.experiments import ablation

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


@pytest.fixture
def small(tmp_path: Path) -> dict[str, Path]:
    """Small versions of shipped scenarios (300 SMEs, 12 quarters), inheriting from them."""
    out = {}
    for name in ("integrated", "fragmented", "no_policy"):
        path = tmp_path / f"small_{name}.toml"
        path.write_text(f'title = "small {name}"\nextends = "{name}"\nsteps = 12\n[params]\nn_smes = 300\n')
        out[name] = path
    return out


def test_list_names_every_scenario_with_its_title():
    res = cli("list")
    assert res.returncode == 0, res.stderr
    for name, title in (("integrated", "Systematic integrated package"), ("no_policy", "No policy")):
        line = next(line for line in res.stdout.splitlines() if line.startswith(name + " "))
        assert title in line


def test_show_prints_the_resolved_scenario():
    res = cli("show", "alliances_off")
    assert res.returncode == 0, res.stderr
    assert "inherits: integrated <- alliances_off" in res.stdout
    assert any(line.split()[:2] == ["*", "coordination"] for line in res.stdout.splitlines())
    assert "alliance_framework" not in res.stdout
    assert "capacity_training" in res.stdout and "450.0" in res.stdout


def test_every_command_has_help_with_an_example():
    for cmd in ("list", "show", "run", "compare", "sweep", "calibrate", "check-facts"):
        res = cli(cmd, "--help")
        assert res.returncode == 0 and "example" in res.stdout, cmd


def test_run_writes_the_results_folder(small, tmp_path):
    out = tmp_path / "run"
    res = cli("run", str(small["integrated"]), "--seeds", "3", "--workers", "2", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert f"results: {out}" in res.stdout and "exporters" in res.stdout
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 3 * 13 and set(ts["scenario"]) == {"small_integrated"}
    assert pd.read_csv(out / "timeseries.csv").shape == ts.shape
    reg = pd.read_parquet(out / "regions.parquet")
    assert len(reg) == 3 * 13 * 10
    summ = pd.read_parquet(out / "summaries.parquet")
    assert len(summ) == 3 and summ["run_id"].is_unique and summ["budget_spent"].gt(0).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["seeds"]) == 3
    assert manifest["scenarios"][0]["chain"] == ["small_integrated", "integrated"]
    assert manifest["versions"]["mesa"] and manifest["version"]
    assert "git_commit" in manifest and manifest["command"].startswith("run.py run")
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert "small integrated" in html
    for fig in ("stage_composition", "key_outcomes", "budget"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
    assert not (out / "parts").exists(), "parts are consolidated and removed"


def test_compare_reports_paired_differences(small, tmp_path):
    out = tmp_path / "cmp"
    res = cli("compare", str(small["fragmented"]), str(small["integrated"]), str(small["no_policy"]),
              "--seeds", "6", "--out", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["baseline"]) == {"small_fragmented"}
    assert set(table["scenario"]) == {"small_integrated", "small_no_policy"}
    row = table[(table["scenario"] == "small_integrated") & (table["outcome"] == "new_exporters")].iloc[0]
    assert row["seeds"] == 6 and row["ci_low"] < row["difference"] < row["ci_high"]
    summ = pd.read_parquet(out / "summaries.parquet")
    for name in ("small_integrated", "small_fragmented", "small_no_policy"):
        seeds = summ.groupby("scenario")["seed"].apply(sorted)
        assert seeds[name] == seeds["small_fragmented"]
    d = summ.pivot(index="seed", columns="scenario", values="new_exporters")
    assert row["difference"] == pytest.approx((d["small_integrated"] - d["small_fragmented"]).mean())
    html = (out / "report.html").read_text()
    assert "Differences from small_fragmented" in html and (out / "figures" / "differences.png").exists()


def test_compare_with_precision_says_whether_it_was_reached(small, tmp_path):
    out = tmp_path / "prec"
    res = cli("compare", str(small["no_policy"]), str(small["integrated"]), "--precision", "0.001",
              "--max-seeds", "8", "--batch", "4", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert "Precision NOT reached: stopped at 8 seeds (the maximum)" in res.stdout
    assert "distinguishable from zero" in res.stdout
    assert len(json.loads((out / "manifest.json").read_text())["seeds"]) == 8
    out2 = tmp_path / "prec2"
    # --precision is relative to each difference itself: reached only when every primary difference is
    # distinguishable from zero (here at 12 seeds)
    res = cli("compare", str(small["no_policy"]), str(small["integrated"]), "--precision", "0.95",
              "--batch", "4", "--max-seeds", "24", "--out", str(out2))
    assert res.returncode == 0 and "Precision reached with" in res.stdout
    table = pd.read_csv(out2 / "comparison.csv")
    watched = table[table["outcome"].isin(["exporter_years", "new_exporters", "exits"])]
    assert ((watched["ci_low"] > 0) | (watched["ci_high"] < 0)).all()
    assert (watched["relative_half_width"] <= 0.95).all()


def test_out_must_be_new_or_empty(small, tmp_path):
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    res = cli("run", str(small["integrated"]), "--seeds", "1", "--out", str(out))
    assert res.returncode == 2 and "not empty" in res.stderr and "Traceback" not in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


@pytest.mark.e2e
def test_same_seeds_same_results_whatever_the_number_of_workers(small, tmp_path):
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        res = cli("run", str(small["integrated"]), "--seeds", "4", "--workers", workers, "--out", str(out), "--quiet")
        assert res.returncode == 0, res.stderr
        tables.append((pd.read_parquet(out / "timeseries.parquet"), pd.read_parquet(out / "summaries.parquet")))
    pd.testing.assert_frame_equal(tables[0][0], tables[1][0])
    pd.testing.assert_frame_equal(tables[0][1], tables[1][1])


@pytest.mark.e2e
def test_a_killed_run_resumes_without_losing_or_repeating_runs(small, tmp_path):
    seeds = "24"
    out = tmp_path / "killed"
    parts = out / "parts" / "summaries"
    kill_part_way(["run", str(small["integrated"]), "--seeds", seeds, "--workers", "2", "--out", str(out), "--quiet"],
                  parts, 4)
    done_before = len(list(parts.glob("*.parquet")))
    assert 4 <= done_before < 24, "killed part way"
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    res = cli("run", "--resume", str(out), "--quiet")
    assert res.returncode == 0, res.stderr
    resumed = pd.read_parquet(out / "summaries.parquet")
    assert len(resumed) == 24 and resumed["run_id"].is_unique

    clean = tmp_path / "clean"
    res = cli("run", str(small["integrated"]), "--seeds", seeds, "--workers", "2", "--out", str(clean), "--quiet")
    assert res.returncode == 0, res.stderr
    whole = pd.read_parquet(clean / "summaries.parquet")
    pd.testing.assert_frame_equal(resumed.sort_values("seed").reset_index(drop=True),
                                  whole.sort_values("seed").reset_index(drop=True))
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"),
                                  pd.read_parquet(clean / "timeseries.parquet"))
    # A complete folder resumes to nothing.
    res = cli("run", "--resume", str(out))
    assert res.returncode == 0 and "already complete" in res.stdout


def test_ablate_writes_the_effects_table_and_the_hypotheses_document(tmp_path):
    out, doc = tmp_path / "ablate", tmp_path / "hypotheses.md"
    res = cli("ablate", "--directions", "H3", "--seeds", "3", "--workers", "2", "--out", str(out), "--quiet",
              "--markdown", str(doc))
    assert res.returncode == 0, res.stderr
    effects = pd.read_csv(out / "effects.csv")
    switches = [n for n, p in sim.REGISTRY.items() if p.group == "mechanisms"]
    assert set(effects["variant"]) == {"defaults", "all named off", *(f"-{s}" for s in switches)}
    assert set(effects["outcome"]) == set(ablation.direction("H3").outcomes)
    assert {"exporter_years", "lasting_entrants", "gvc_participation"} <= set(effects["outcome"])
    assert (effects["seeds"] == 3).all() and effects["effect"].notna().all()
    text = doc.read_text()
    assert text == (out / "hypotheses.md").read_text()
    assert "## H3" in text and "`alliance_policy` off (named)" in text and "python run.py ablate --seeds 3" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["directions"] == ["H3"]
    again = cli("ablate", "--resume", str(out), "--quiet")  # nothing left to run: same table
    assert again.returncode == 0 and pd.read_csv(out / "effects.csv").equals(effects)


def test_ablate_refuses_an_unknown_direction_and_writes_nothing(tmp_path):
    res = cli("ablate", "--directions", "H5", "--out", str(tmp_path / "x"))
    assert res.returncode == 2 and "unknown direction 'H5'" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x").exists()
