"""run.py optimize: the search finds a known optimum, packages keep the budget, the front survives a resume."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, need
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.experiments.backends import make_backend
from simulation.optimize.problem import (
    MIN_LEVEL,
    MIN_SHARE,
    ModelSpace,
    ProblemError,
    Space,
    enforcement_costs,
    parse_objectives,
    programmes,
    regulations,
)
from simulation.optimize.search import Search, nondominated, optimize, reevaluate
from simulation.scenario import load
from simulation.sensitivity.known import OPTIMUM

PEAKED = "simulation.sensitivity.known:peaked"


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "optimize", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)


def needs_pymoo(test):
    """The tests that run the search need the 'optimize' extra (pymoo); the rest check the package encoding."""
    def wrapped(*args, **kwargs):
        need("pymoo", "optimize")
        return test(*args, **kwargs)
    return functools.wraps(test)(wrapped)


@needs_pymoo
def test_the_search_finds_a_known_optimum(tmp_path):
    space = ModelSpace({"x": (0.0, 1.0), "y": (0.0, 1.0)})
    search = Search(space, parse_objectives(["gain:max", "loss:min"], model=True), [0], model=PEAKED,
                    population=16, generations=20, seed=3)
    backend = make_backend(1)
    try:
        front, history = optimize(search, tmp_path, backend, quiet=True)
        front, table = reevaluate(search, front, [0, 1], tmp_path, backend, None, quiet=True)
    finally:
        backend.close()
    best = min(np.hypot(x[0] - OPTIMUM["x"], x[1] - OPTIMUM["y"]) for x in front)
    assert best < 0.05, front
    assert len(history) == 16 * 20 and set(history["generation"]) == set(range(1, 21))  # counted from 1
    assert (table["gain_low"] <= table["gain"]).all() and (table["gain"] <= table["gain_high"]).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=11, max_size=11), st.floats(100, 10_000))
def test_every_package_spends_the_budget(weights, budget):
    space = Space(tuple(programmes()), budget)
    package = space.package(np.array(weights))
    assert package.total_budget == pytest.approx(budget, rel=1e-6)
    shares = [e.budget / budget for e in package.entries]
    assert all(s >= MIN_SHARE - 1e-9 for s in shares) and len(package.entries) >= 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=11 + 4, max_size=11 + 4), st.floats(50, 10_000))
def test_regulations_are_paid_first_and_the_package_still_spends_the_budget(x, budget):
    regs = tuple(regulations())
    costs = enforcement_costs(load("baseline"), regs)
    space = Space(tuple(programmes()), budget, regulations=regs, enforcement_costs=costs)
    package = space.package(np.array(x))
    assert package.total_budget == pytest.approx(budget, rel=1e-6)
    level, cost = space.levels(np.array(x))
    assert np.all((level == 0) | ((level >= MIN_LEVEL) & (level <= 1)))
    wanted = np.where(np.array(x[-4:]) >= MIN_LEVEL, x[-4:], 0.0) * np.array(costs) * 40
    if wanted.sum() <= budget:  # affordable: each regulation at its own level, costing level x full x horizon
        assert cost == pytest.approx(wanted, rel=1e-9, abs=1e-9)
    elif level.any():           # not: the levels kept cut by one factor, the whole budget on regulations
        assert cost.sum() == pytest.approx(budget) and not any(e.spec.mode != "regulatory" for e in package.entries)
        kept = level > 0
        assert np.ptp(level[kept] / np.array(x[-4:])[kept]) == pytest.approx(0, abs=1e-9)
    described = space.describe(np.array(x))
    assert sum(v for k, v in described.items() if k.startswith("share_")) == pytest.approx(1.0, abs=1e-3)


def test_a_regulation_is_charged_as_the_classroom_lever_charges_it():
    """The same level through the optimizer's package and through the lever: the same entry budget."""
    from simulation.levers import LEVERS

    base = load("baseline")
    lever = LEVERS["alliance_framework"]
    space = Space(("capacity_training", "export_promotion"), 5000.0, regulations=("alliance_framework",),
                  enforcement_costs=enforcement_costs(base, ("alliance_framework",)))
    scenario = space.scenario(base, np.array([1.0, 1.0, 0.6]))
    assert lever.read(scenario) == pytest.approx(0.6)
    entry = next(e for e in scenario.package.entries if e.instrument == "alliance_framework")
    by_lever = next(e for e in lever.apply(dict(base.params), [], 0.6, base.steps)
                    if e.instrument == "alliance_framework")
    assert entry.budget == pytest.approx(by_lever.budget)
    low = space.package(np.array([1.0, 1.0, MIN_LEVEL / 2]))
    assert [e.instrument for e in low.entries] == ["capacity_training", "export_promotion"]


def test_a_regulation_cut_below_the_least_level_is_dropped_and_one_with_nothing_to_enforce_too():
    space = Space(("capacity_training",), 100.0, regulations=("strategic_measures", "trade_liberalization"),
                  enforcement_costs=(10.0, 0.01))
    level, cost = space.levels(np.array([1.0, 1.0, 0.1]))  # 400 + 0.04 kUSD wanted of 100: both cut to 1/4...
    assert level[1] == 0.0 and level[0] == pytest.approx(0.25)  # ...0.025 is under MIN_LEVEL: dropped
    assert cost.sum() == pytest.approx(100.0)
    no_les = Space(("capacity_training",), 100.0, regulations=("alliance_framework",), enforcement_costs=(0.0,))
    assert no_les.describe(np.array([1.0, 0.8]))["enforce_alliance_framework"] == 0.0


def test_programmes_and_regulations_are_not_mixed_up():
    with pytest.raises(ProblemError, match="--regulations"):
        Space(("capacity_training", "strategic_measures"), 100.0)
    with pytest.raises(ProblemError, match="not a regulation"):
        Space(("capacity_training", "export_promotion"), 100.0, regulations=("awareness_information",),
              enforcement_costs=(1.0,))
    with pytest.raises(ProblemError, match="--regulations: 'strategic_measure' is not in the catalogue; regulations: "):
        Space(("capacity_training",), 100.0, regulations=("strategic_measure",), enforcement_costs=(1.0,))


def test_timing_and_delivery_are_decisions_too():
    space = Space(("capacity_training", "export_promotion"), 1000.0, horizon=40, timing=True, delivery=True)
    low, high = space.bounds
    assert space.names == ["share_capacity_training", "share_export_promotion", "start_capacity_training",
                           "start_export_promotion", "local_capacity_training", "local_export_promotion"]
    assert list(high) == [1, 1, 20, 20, 1, 1] and list(low) == [0] * 6
    package = space.package(np.array([1.0, 3.0, 4.2, 0.0, 0.9, 0.1]))
    first, second = package.entries
    assert (first.budget, first.start, first.delivered_by) == (250.0, 4, "local")
    assert (second.budget, second.start, second.delivered_by) == (750.0, 0, "national")


def test_objectives_are_checked():
    assert [str(o) for o in parse_objectives(["new_exporters:max", "exits:min"])] == ["new_exporters:max",
                                                                                       "exits:min"]
    for bad in (["new_exporters"], ["new_exporters_per_musd:max"], ["nonsense:max"], ["exits:min", "exits:max"]):
        with pytest.raises(ProblemError):
            parse_objectives(bad)
    with pytest.raises(ProblemError, match="catalogue"):
        Space(("capacity_training", "magic"), 100.0)


def test_nondominated_respects_the_senses():
    objectives = parse_objectives(["new_exporters:max", "exits:min"])
    means = np.array([[10, 5], [12, 5], [12, 4], [9, 1]])
    assert list(nondominated(means, objectives)) == [False, False, True, True]


@needs_pymoo
def test_a_killed_search_resumes_to_the_same_front(tmp_path):
    out = tmp_path / "search"
    args = ["--model", PEAKED, "--inputs", "x=0:1,y=0:1", "--objectives", "gain:max,loss:min",
            "--population", "8", "--generations", "4", "--seeds", "1", "--reeval-seeds", "2", "--workers", "1",
            "--quiet"]
    first = _cli(*args, "--out", str(out))
    assert first.returncode == 0, first.stderr
    front, history = pd.read_csv(out / "front.csv"), pd.read_csv(out / "history.csv")
    assert (out / "report.html").exists() and "Search progress" in (out / "report.html").read_text()
    assert list(pd.read_csv(out / "convergence.csv")["generation"]) == [1, 2, 3, 4]  # as the report counts them
    # a kill: some evaluations never stored, the tables never written, the job still running
    parts = sorted((out / "parts" / "results").glob("*.parquet"))
    for part in parts[len(parts) // 2:]:
        part.unlink()
    for name in ("front.csv", "history.csv", "report.html"):
        (out / name).unlink()
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["status"] = "running"
    (out / "manifest.json").write_text(json.dumps(manifest))
    refused = _cli("--resume", str(out), "--quiet")  # the model named only by the folder is never imported
    assert refused.returncode == 2 and f"--model {PEAKED}" in refused.stderr and "Traceback" not in refused.stderr
    other = _cli("--resume", str(out), "--model", "simulation.sensitivity.known:ishigami", "--quiet")
    assert other.returncode == 2 and "is not the model this study runs" in other.stderr
    again = _cli("--resume", str(out), "--model", PEAKED, "--quiet")
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "front.csv"), front)
    pd.testing.assert_frame_equal(pd.read_csv(out / "history.csv"), history)


@needs_pymoo
def test_front_packages_are_scenario_files_within_the_budget(tmp_path):
    world = tmp_path / "small.toml"
    world.write_text('title = "Small"\nextends = "baseline"\nsteps = 8\n[params]\nn_smes = 200\n'
                     'warmup_steps = 0\n')
    out = tmp_path / "opt"
    done = _cli("--scenario", str(world), "--budget", "1500", "--instruments",
                "capacity_training,export_promotion,awareness_information", "--population", "4", "--generations",
                "2", "--seeds", "1", "--reeval-seeds", "2", "--robust", "2", "--robust-seeds", "1", "--workers", "1",
                "--quiet", "--out", str(out))
    assert done.returncode == 0, done.stderr
    files = sorted((out / "front").glob("package_*.toml"))
    assert files and len(files) == len(pd.read_csv(out / "front.csv"))
    for f in files:
        s = load(f)
        assert s.package.total_budget == pytest.approx(1500.0) and s.resolved_params["n_smes"] == 200
        shown = subprocess.run([sys.executable, str(ROOT / "run.py"), "show", str(f)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert shown.returncode == 0, shown.stderr
    robust = pd.read_csv(out / "robust.csv")
    assert robust["exporter_years_share_better"].between(0, 1).all()
    front = pd.read_csv(out / "front.csv")
    assert {"exporter_years_gain", "exporter_years_gain_low", "on_front_after_reevaluation"} <= set(front.columns)
    bad = _cli("--objectives", "exits", "--quiet")
    assert bad.returncode == 2 and "NAME:max" in bad.stderr and "Traceback" not in bad.stderr


@needs_pymoo
def test_the_hypervolume_says_whether_the_search_had_settled():
    """Never falls (candidates only add to the front), reaches 1 of its final value, and a late jump
    shows as a rise in the last generations."""
    from simulation.optimize.convergence import STILL_RISING, hypervolume, still_rising

    objectives = parse_objectives(["a:max", "b:min"], model=True)
    rng = np.random.default_rng(1)
    rows = [{"generation": g, "a": rng.uniform(0, 1), "b": rng.uniform(0, 1)} for g in range(8) for _ in range(6)]
    settled = hypervolume(pd.DataFrame(rows), objectives)
    assert np.all(np.diff(settled["hypervolume"]) >= -1e-12) and settled["of_final"].iloc[-1] == pytest.approx(1)
    late = pd.DataFrame(rows + [{"generation": 7, "a": 1.5, "b": -0.5}])  # a last-generation package beats all
    rising = hypervolume(late, objectives)
    assert still_rising(rising) > STILL_RISING
    flat = pd.DataFrame([{"generation": g, "a": 1.0, "b": 0.0} for g in range(8)])
    assert still_rising(hypervolume(flat, objectives)) == pytest.approx(0.0)
