"""``run.py explore``: where a claim holds (issue 15). PRIM and CART find a known box through the model hook;
the map's cells are the paired runs computed directly; kill-and-resume and Dask give the same files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import kill_part_way, need

import simulation
from simulation import outcomes
from simulation.discovery import effects as fx
from simulation.discovery.design import ExploreConfig, ExploreConfigError, build
from simulation.discovery.explore import analyze
from simulation.experiments.functions import evaluate_function
from simulation.scenario import load
from simulation.sensitivity import known

ROOT = Path(__file__).resolve().parents[1]
BOXED = ('model = "simulation.sensitivity.known:boxed_effect"\nsamples = 400\nseeds = 5\nmap = ["x1", "x2"]\n'
         '[inputs]\nx1 = [0.0, 1.0]\nx2 = [0.0, 1.0]\nx3 = [0.0, 1.0]\nx4 = [0.0, 1.0]\n'
         '[comparisons.boxed]\noutput = "effect"\nexpect = 1\nclaim = "The effect is positive."\n')


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def boxed_config(tmp_path: Path) -> ExploreConfig:
    path = tmp_path / "boxed.toml"
    path.write_text(BOXED)
    return ExploreConfig.from_toml(path)


def run_in_process(cfg: ExploreConfig):
    plan = build(cfg)
    _, tables = evaluate_function(plan.specs, plan.outputs)
    return plan, analyze(cfg, plan, tables["results"])


def test_verdicts_follow_the_interval_and_the_predicted_sign():
    assert fx.verdict(0.1, 0.5, 1) == fx.HOLDS and fx.verdict(-0.5, -0.1, 1) == fx.FAILS
    # a control claims no difference: it holds where none is shown, and fails where one is, either way
    assert fx.verdict(-0.1, 0.5, 0) == fx.HOLDS
    assert fx.verdict(0.1, 0.5, 0) == fx.FAILS and fx.verdict(-0.5, -0.1, 0) == fx.FAILS
    ExploreConfig(directions=["H2 control"]).validate()
    assert fx.verdict(-0.5, -0.1, -1) == fx.HOLDS and fx.verdict(0.1, 0.5, -1) == fx.FAILS
    assert fx.verdict(-0.1, 0.5, 1) == fx.UNCLEAR and fx.verdict(np.nan, np.nan, 1) == fx.UNCLEAR


def test_prim_and_cart_find_the_known_box_where_the_claim_holds(tmp_path):
    need("sklearn", "explore")  # CART
    cfg = boxed_config(tmp_path)
    plan, out = run_in_process(cfg)
    boxes = out["boxes"]
    holds = boxes[(boxes["claim"] == "boxed") & (boxes["of"] == fx.HOLDS)].set_index("parameter")
    assert set(holds.index) == {"x1", "x2"}  # x3 and x4 do nothing: never restricted
    assert holds.at["x1", "min"] == pytest.approx(known.BOX["x1"][0], abs=0.05)
    assert holds.at["x2", "max"] == pytest.approx(known.BOX["x2"][1], abs=0.05)
    assert holds["coverage"].iloc[0] > 0.8 and holds["density"].iloc[0] > 0.9
    assert (holds[["qp_low", "qp_high"]].min(axis=1) < 1e-3).all()
    fails = boxes[(boxes["claim"] == "boxed") & (boxes["of"] == fx.FAILS)].set_index("parameter")
    assert list(fails.index) == ["x1"] and fails.at["x1", "max"] == pytest.approx(known.FAILS_BELOW, abs=0.05)
    rule = out["cart"][out["cart"]["verdict"] == fx.HOLDS].iloc[0]
    assert rule["cv_accuracy"] > rule["majority"] + 0.2  # the tree has found the regions, out of sample
    cuts = dict(re.findall(r"(x\d) [<>]=? ([\d.]+)", rule["rule"]))
    assert set(cuts) == {"x1", "x2"} and rule["purity"] > 0.9
    assert float(cuts["x1"]) == pytest.approx(0.5, abs=0.05) and float(cuts["x2"]) == pytest.approx(0.4, abs=0.05)
    # the map: each cell's verdict is the known region's (noise sd 0.3 over 5 seeds is well inside +-1)
    cells = out["effects"][out["effects"]["kind"] == "map"]
    inside = (cells["x1"] > 0.5) & (cells["x2"] < 0.4)
    assert (cells.loc[inside, "verdict"] == fx.HOLDS).all() and (cells.loc[cells["x1"] < 0.2, "verdict"]
                                                                == fx.FAILS).all()


def test_a_map_cell_is_the_paired_runs_computed_directly():
    """H1 at two map cells: integrated minus fragmented on exporter-years (the outcome H1 is judged on), each seed
    run through simulation.run."""
    cfg = ExploreConfig(directions=["H1"], samples=10, seeds=2, steps=4, grid=2)
    cfg.validate()
    plan = build(cfg)
    from simulation.experiments.runner import evaluate
    _, tables = evaluate(plan.specs, plan.outputs)
    effects = analyze(cfg, plan, tables["results"])["effects"]
    cells = effects[effects["kind"] == "map"].head(2)
    seeds = sorted(set(plan.runs["seed"]))
    names = plan.problem["names"]
    for _, cell in cells.iterrows():
        point = {n: cell[n] for n in names}
        diffs = []
        for seed in seeds:
            value = {}
            for arm in ("integrated", "fragmented"):
                s = load(arm)
                ts = simulation.run(s.package, seed=seed, steps=4, regions=False, **{**s.params, **point}).timeseries
                value[arm] = outcomes.evaluate(ts, ["exporter_years"])["exporter_years"]
            diffs.append(value["integrated"] - value["fragmented"])
        assert cell["effect"] == pytest.approx(np.mean(diffs), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("kwargs, key, needle", [
    ({"directions": ["H9"]}, "--directions", "unknown direction"),
    ({"directions": ["H1"], "seeds": 1}, "--seeds", "at least 2"),
    ({"directions": ["H1"], "map": ["comp_mean", "comp_mean"]}, "--map", "two different parameters"),
    ({"directions": ["H1"], "map": ["comp_mean", "coordination"]}, "--map", "two different parameters"),
    ({"directions": ["H1"], "params": ["competitiveness", "coordination"]}, "--params",
     "'coordination' is set by integrated"),
])
def test_bad_explore_settings_name_the_key(kwargs, key, needle):
    with pytest.raises(ExploreConfigError, match=needle) as err:
        ExploreConfig(**kwargs).validate()
    assert err.value.key == key


def test_a_comparison_file_names_its_scenarios_beside_it_and_its_errors_by_key(tmp_path):
    (tmp_path / "mine.toml").write_text('extends = "integrated"\ntitle = "mine"\n[params]\ncoordination = 0.9\n')
    f = tmp_path / "explore.toml"
    f.write_text('samples = 10\nseeds = 2\n[comparisons.mine]\ntreatment = "mine.toml"\ncontrol = "fragmented"\n'
                 'outcome = "new_exporters"\n')
    cfg = ExploreConfig.from_toml(f)
    assert cfg.directions == [] and [c.name for c in cfg.claims()] == ["mine"]
    assert cfg.claims()[0].arms[0][0] == str(tmp_path / "mine.toml")
    f.write_text('[comparisons.mine]\ntreatment = "mine.toml"\noutcome = "new_exporters"\n')
    with pytest.raises(ExploreConfigError, match="name treatment, control and outcome") as err:
        ExploreConfig.from_toml(f)
    assert err.value.key == "comparisons.mine"
    f.write_text('[comparisons.mine]\ntreatment = "mine.toml"\ncontrol = "fragmented"\noutcome = "nope"\n')
    with pytest.raises(ExploreConfigError, match="unknown outcome"):
        ExploreConfig.from_toml(f)


@pytest.mark.e2e
def test_explore_writes_its_folder_and_report_through_run_py(tmp_path):
    config = tmp_path / "boxed.toml"
    config.write_text(BOXED.replace("samples = 400", "samples = 120"))
    out = tmp_path / "out"
    res = cli("explore", "--config", str(config), "--out", str(out), "--workers", "2")
    assert res.returncode == 0, res.stderr
    assert "boxed" in res.stdout and "holds" in res.stdout
    for name in ("effects.csv", "summary.csv", "boxes.csv", "prim_trajectory.csv", "cart.csv", "report.html",
                 "points.parquet", "runs.parquet", "results.parquet"):
        assert (out / name).exists(), name
    html = (out / "report.html").read_text()
    assert "PRIM: it holds where x2 below 0.4 and x1 above" in html
    assert "CART: the largest region where it holds" in html
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


H1_SMALL = ["explore", "H1", "--samples", "24", "--seeds", "2", "--steps", "4", "--grid", "2", "--quiet"]


@pytest.mark.e2e
def test_a_killed_exploration_resumes_to_the_same_files_and_dask_equals_local(tmp_path):
    killed, clean, dask = tmp_path / "killed", tmp_path / "clean", tmp_path / "dask"
    parts = killed / "parts" / "results"
    kill_part_way([*H1_SMALL, "--out", str(killed), "--workers", "2"], parts, 2)
    done = pd.concat([pd.read_parquet(p) for p in parts.glob("*.parquet")])
    total = pd.read_parquet(killed / "runs.parquet")["run_id"].nunique()
    assert 0 < len(done) < total, "killed part way"
    res = cli("explore", "--resume", str(killed), "--workers", "2", "--quiet")
    assert res.returncode == 0, res.stderr
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["sessions"][-1]["ran"] == total - len(done)
    assert cli(*H1_SMALL, "--out", str(clean), "--workers", "1").returncode == 0
    res = cli(*H1_SMALL, "--out", str(dask), "--workers", "2", "--scheduler", "local")
    assert res.returncode == 0, res.stderr
    for other in (killed, dask):
        pd.testing.assert_frame_equal(pd.read_parquet(other / "results.parquet"),
                                      pd.read_parquet(clean / "results.parquet"))
        pd.testing.assert_frame_equal(pd.read_csv(other / "effects.csv"), pd.read_csv(clean / "effects.csv"))


def test_a_deterministic_model_is_judged_on_its_exact_effect(tmp_path):
    """No seed, one run per world: the sign of the effect decides (no interval to wait for)."""
    path = tmp_path / "ishigami.toml"
    pi = "3.141592653589793"
    path.write_text(f'model = "simulation.sensitivity.known:ishigami"\nsamples = 50\n'
                    f'[inputs]\nx1 = [-{pi}, {pi}]\nx2 = [-{pi}, {pi}]\nx3 = [-{pi}, {pi}]\n'
                    f'[comparisons.positive]\noutput = "y"\n')
    cfg = ExploreConfig.from_toml(path)
    assert cfg.map == ["x1", "x2"]  # a model's map: its first two inputs unless named
    plan, out = run_in_process(cfg)
    assert plan.exact and plan.runs["seed"].nunique() == 1
    e = out["effects"]
    assert ((e["effect"] > 0) == (e["verdict"] == fx.HOLDS)).all() and (e["low"] == e["high"]).all()


def test_a_seed_counts_only_with_every_arm_and_claims_of_four_arms_sum_with_their_signs():
    from simulation.discovery.design import Claim, Plan
    claim = Claim("c", "t", (("a", 1), ("b", -1), ("c", -1), ("d", 1)), "y", -1)
    points = pd.DataFrame({"point": [0], "kind": ["sample"], "x1": [0.5]})
    runs = pd.DataFrame([("c", 0, arm, sign, seed, f"{arm}{seed}") for arm, sign in claim.arms for seed in (1, 2, 3)],
                        columns=["claim", "point", "scenario", "sign", "seed", "run_id"])
    value = {"a": 10.0, "b": 4.0, "c": 3.0, "d": 1.0}  # (a - b) - (c - d) = 4
    results = pd.DataFrame({"run_id": runs["run_id"], "y": [value[r[0]] + 0.5 * int(r[1]) * (r[0] == "a")
                                                           for r in runs["run_id"]]})
    results.loc[results["run_id"] == "d3", "y"] = np.nan  # an undefined outcome in one arm of seed 3
    plan = Plan([claim], {"names": ["x1"], "bounds": [[0, 1]]}, points, runs, [], ["y"])
    e = fx.point_effects(plan, results).iloc[0]
    assert e["seeds"] == 2 and e["effect"] == pytest.approx(4 + 0.5 * 1.5)  # seeds 1 and 2 only


@pytest.mark.parametrize("text, key, needle", [
    ('[comparisons."../x"]\ntreatment = "integrated"\ncontrol = "fragmented"\noutcome = "exits"\n',
     "comparisons.../x", "a comparison's name"),
    ('[comparisons.mine]\noutput = "y"\n', "comparisons.mine", "the simulation is compared on treatment"),
])
def test_comparisons_are_named_safely_and_in_their_mode(tmp_path, text, key, needle):
    f = tmp_path / "e.toml"
    f.write_text(text)
    with pytest.raises(ExploreConfigError, match=needle) as err:
        ExploreConfig.from_toml(f)
    assert err.value.key == key


@pytest.mark.e2e
def test_plausible_worlds_vary_every_judged_number_and_report_each_verdicts_share(tmp_path):
    out = tmp_path / "worlds"
    res = cli("explore", "H4", "--over", "judgment", "--samples", "10", "--seeds", "2", "--steps", "6",
              "--quiet", "--out", str(out), "--workers", "2")
    assert res.returncode == 0, res.stderr
    points = pd.read_parquet(out / "points.parquet")
    assert set(points["kind"]) == {"sample", "default"}
    judged = [c for c in points.columns if c not in ("point", "kind")]
    assert "awareness_information.unit_cost" in judged and "knowledge_cost" in judged
    assert points.loc[points["kind"] == "sample", judged].nunique().eq(10).all()  # a Latin hypercube
    summary = pd.read_csv(out / "summary.csv").iloc[0]
    assert summary["points"] == 10
    assert summary[["holds", "unclear", "fails"]].sum() == pytest.approx(1.0)
    bad = cli("explore", "H4", "--over", "judgment", "--params", "competitiveness", "--out", str(tmp_path / "x"))
    assert bad.returncode != 0 and "judgment" in bad.stderr and "Traceback" not in bad.stderr


def _faint(model: str, rep: int):
    """An exploration of a known effect model over x1 ... x4 (400 worlds, two seeds each), analysed."""
    cfg = ExploreConfig(directions=[], grid=0, model=f"simulation.sensitivity.known:{model}", samples=400,
                        seeds=2, seed=rep, inputs={f"x{i}": [0.0, 1.0] for i in (1, 2, 3, 4)},
                        comparisons={"box": {"output": "effect", "expect": 1, "claim": "The effect is positive."}})
    cfg.validate()
    return run_in_process(cfg)[1]


@pytest.mark.slow
def test_the_effect_size_reading_finds_a_box_of_one_noise_sd_and_no_box_where_there_is_none():
    need("sklearn", "explore")
    found, false = [], []
    for rep in range(10):  # independent replications: samples and seeds from each root
        box, null = _faint("faint_box", rep), _faint("no_box", rep)
        tree = box["effect_tree"]
        # the verdicts see nothing: two seeds give a t interval too wide to clear 0
        assert box["summary"]["holds"].iloc[0] < 0.1
        if bool(tree["finding"].iloc[0]):
            found.append(rep)
            assert {"x1", "x3"} <= set(re.findall(r"x\d", tree["rule"].iloc[0])), tree["rule"].iloc[0]
            assert tree["mean_effect"].iloc[0] > 0.5  # the box's effect is 1
        false += [rep] if bool(null["effect_tree"]["finding"].iloc[0]) else []
    assert len(found) >= 8, found
    assert len(false) <= 1, false


def test_the_effect_size_reading_is_in_the_report_and_its_own_table(tmp_path):
    need("sklearn", "explore")
    out = _faint("faint_box", 0)
    assert list(out["effect_tree"].columns) == ["claim", *fx.TREE_COLUMNS]
    above = out["boxes"][out["boxes"]["of"] == "effect above 0"]
    assert len(above)  # PRIM on the worlds whose estimate has the claimed sign
    from simulation.reporting.explore import effect_sentences
    claim = next(iter(build(ExploreConfig(directions=[], grid=0, model="simulation.sensitivity.known:faint_box",
                                          samples=400, seeds=2, inputs={f"x{i}": [0.0, 1.0] for i in (1, 2, 3, 4)},
                                          comparisons={"box": {"output": "effect", "expect": 1,
                                                               "claim": "The effect is positive."}})).claims))
    text = " ".join(effect_sentences(claim, out["boxes"], out["effect_tree"]))
    assert "Effect sizes: a regression tree" in text and "shuffled between worlds" in text
    assert "Where the effect is largest" in text and "PRIM on effect sizes" in text
