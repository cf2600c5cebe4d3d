"""Batches: a run computed in a batch equals the same run computed alone, value for value.

The engine (:class:`simulation.engine.Batch`) stacks K independent runs as one
population. Its promise is bit-identity: every count and every float of a run's
quarterly table, regional table and summary is the same whatever else is in the
batch (other seeds, other parameters, the size of the economy included, other
mechanism switches, other packages) and wherever the run sits in it. Runs of one
batch share only the horizon and ``warmup_steps``.

Hypothesis draws random batches; it is derandomized when ``CI`` or
``SME_DERANDOMIZE`` is set (as in test_input_fuzz.py).
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation
from simulation import REGISTRY, Batch, RunInput, scenario
from simulation.policy import NO_POLICY, PolicyPackage
from simulation.state import LIVE_STAGES, C

NAMES = scenario.scenario_names()  # the shipped scenarios (scenarios/*.toml; lessons live in a subfolder)

_DERANDOMIZE = bool(os.environ.get("CI") or os.environ.get("SME_DERANDOMIZE"))
# Only force derandomization when asked, so a profile loaded elsewhere still applies otherwise.
_CI_SETTINGS: dict[str, Any] = {"derandomize": True, "database": None} if _DERANDOMIZE else {}


@cache
def _scenario(name: str) -> scenario.Scenario:
    return scenario.load(name)


def alone(r: RunInput, steps: int, regions: bool = True) -> simulation.RunResult:
    """The run computed by itself, through the Mesa face (a batch of one)."""
    return simulation.run(r.package, seed=r.seed, steps=steps, regions=regions, **r.params)


def assert_same(got: simulation.RunResult, want: simulation.RunResult, label: str = "") -> None:
    """Bit-identical results: every column of both tables, the summary, and what the run was."""
    pd.testing.assert_frame_equal(got.timeseries, want.timeseries, check_exact=True, obj=f"{label} timeseries")
    pd.testing.assert_frame_equal(got.regions, want.regions, check_exact=True, obj=f"{label} regions")
    pd.testing.assert_series_equal(got.summary, want.summary, check_exact=True, obj=f"{label} summary")
    assert got.seed == want.seed, label
    assert got.params == want.params, label
    assert got.package == want.package, label


def assert_differ(a: simulation.RunResult, b: simulation.RunResult) -> None:
    """Two runs that should not coincide (keeps the equality checks from passing vacuously)."""
    assert not a.timeseries.equals(b.timeseries)


# --- 1. every shipped scenario in one mixed batch ---------------------------------------------------

def test_every_shipped_scenario_in_one_batch_equals_each_run_alone():
    assert len(NAMES) >= 10 and "baseline" in NAMES and "no_policy" in NAMES
    steps = 16
    runs = [RunInput(_scenario(n).package, {**_scenario(n).params, "n_smes": 400}, 100 + i)
            for i, n in enumerate(NAMES)]
    batch = simulation.run_batch(runs, steps=steps)
    assert len(batch) == len(runs)
    for name, r, got in zip(NAMES, runs, batch):
        want = alone(r, steps)
        assert len(want.timeseries) == steps + 1 and len(want.regions) == (steps + 1) * want.params["n_regions"]
        assert_same(got, want, name)
    # The scenarios really differ within the batch (budgets spent, policy effects).
    spent = {name: got.timeseries["cumulative_budget"].iloc[-1] for name, got in zip(NAMES, batch)}
    assert spent["no_policy"] == 0.0 and spent["baseline"] > 0.0
    assert len({got.timeseries["exporters"].iloc[-1] for got in batch}) > 1


# --- 2. random batches -------------------------------------------------------------------------------

# Integer parameters whose range the test narrows (to keep runs small and shocks within the horizon).
_INT_RANGES = {"n_smes": (50, 300), "n_regions": (1, 12), "n_sectors": (1, 6), "gvc_shock_step": (-1, 12),
               "central_need_allocation": (0, 1)}
_SHARED = {"warmup_steps"}  # must be the same in every run of a batch: drawn once per batch


def _value(p: simulation.Parameter) -> st.SearchStrategy:
    """A value of parameter ``p`` for one run: switches 0/1, floats in their sweep range or at its ends."""
    if p.group == "mechanisms":
        return st.sampled_from([0, 1])
    if p.kind is int:
        if p.name not in _INT_RANGES:  # a new whole-number parameter: give it a small range here
            raise KeyError(f"test_batch.py: no test range for integer parameter {p.name!r}")
        return st.integers(*_INT_RANGES[p.name])
    lo, hi = p.sweep_bounds
    ends = [lo, hi] + ([p.default] if lo <= p.default <= hi else []) + ([0.0] if p.low == 0.0 else [])
    # 0.0 where the parameter allows it: e.g. no large enterprises at all (les_per_1000_smes = 0).
    return st.one_of(st.sampled_from(sorted(set(ends))),
                     st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False))


_PARAMS = st.fixed_dictionaries({}, optional={p.name: _value(p) for p in REGISTRY.values() if p.name not in _SHARED})


@st.composite
def _package(draw) -> PolicyPackage:
    """A shipped scenario's package (or none), possibly with budgets scaled and one entry dropped, so runs
    of a batch share some entry shapes with other budgets and differ in others."""
    name = draw(st.sampled_from([*NAMES, None]))
    if name is None:
        return NO_POLICY
    package = _scenario(name).package.scaled(draw(st.sampled_from([1.0, 0.0, 0.25, 3.0])))
    drop = draw(st.none() | st.integers(0, 20))
    if drop is not None and package.entries:
        entries = list(package.entries)
        del entries[drop % len(entries)]
        package = replace(package, entries=tuple(entries))
    return package


@st.composite
def _run(draw, warmup: int) -> RunInput:
    package = draw(_package())
    base = dict(_scenario(package.name).params) if package.name in NAMES else {}  # its scenario's own params
    params = {**base, **draw(_PARAMS), "warmup_steps": warmup}
    return RunInput(package, params, draw(st.integers(0, 2**63 - 1)))


@st.composite
def _batches(draw) -> tuple[list[RunInput], int]:
    warmup = draw(st.integers(0, 8))
    runs = draw(st.lists(_run(warmup), min_size=2, max_size=4))
    return runs, draw(st.integers(1, 14))


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")  # summaries of one-quarter runs
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          **_CI_SETTINGS)
@given(_batches())
def test_random_batches_equal_each_run_alone(drawn):
    runs, steps = drawn
    batch = simulation.run_batch(runs, steps=steps)
    for k, (r, got) in enumerate(zip(runs, batch)):
        assert_same(got, alone(r, steps), f"run {k}")


# --- 3. the size of the batch and the run's place in it -----------------------------------------------

_TARGET = RunInput(_scenario("integrated").package,
                   {**_scenario("integrated").params, "n_smes": 300, "n_regions": 7, "n_sectors": 4,
                    "ces_rho": -1.5, "gvc_shock_step": 6, "gvc_shock_size": 0.5}, 11)
_NEIGHBOURS = [
    RunInput(_scenario("baseline").package, {"n_smes": 120, "n_regions": 1, "n_sectors": 1}, 11),
    RunInput(_scenario("liberalization_with_support").package,
             {"n_smes": 400, "n_regions": 12, "n_sectors": 6, "coordination": 0.0, "targeting": 0}, 3),
    RunInput(None, {"n_smes": 80, "les_per_1000_smes": 0.0, "complementarity": 0, "firm_growth": 0}, 5),
    RunInput(_scenario("integrated").package.scaled(2.0),
             {"n_smes": 300, "n_regions": 7, "n_sectors": 4, "ces_rho": -1.5, "overlap": 0}, 11),
    RunInput(_scenario("alliances_on").package, {"n_smes": 250, "size_tail": 2.5, "entry_selection": 0,
                                                 "gvc_shock_step": 2, "gvc_shock_size": 1.0}, 99),
]
_STEPS = 14


@pytest.fixture(scope="module")
def target_alone() -> simulation.RunResult:
    return alone(_TARGET, _STEPS)


@pytest.mark.parametrize(("k", "position"), [(1, 0), (3, 0), (3, 1), (3, 2), (6, 0), (6, 5)])
def test_a_run_is_the_same_whatever_the_batch_size_and_its_place(target_alone, k, position):
    others = _NEIGHBOURS[:k - 1]
    runs = [*others[:position], _TARGET, *others[position:]]
    results = simulation.run_batch(runs, steps=_STEPS)
    assert_same(results[position], target_alone, f"K={k} at {position}")
    # The neighbours are themselves unchanged by the target (checked once, in the largest batch).
    if k == 6 and position == 5:
        for j, r in enumerate(others):
            assert_same(results[j], alone(r, _STEPS), f"neighbour {j}")


def test_a_one_region_run_reports_its_spending_as_alone():
    """Spending is added over levels and stages in one order, however many regions the batch holds."""
    r = RunInput(_scenario("baseline").package, {"n_smes": 10, "n_regions": 1}, 1)
    got = simulation.run_batch([r, RunInput(None, {"n_smes": 10, "n_regions": 1}, 0)], steps=1)[0]
    assert_same(got, alone(r, 1), "one-region run")


# --- 4. seeds are independent streams ------------------------------------------------------------------

def test_identical_runs_in_one_batch_give_identical_results():
    a = RunInput(_scenario("integrated").package, {"n_smes": 250, "coordination": 0.9}, 42)
    b = RunInput(_scenario("baseline").package, {"n_smes": 150, "n_regions": 3}, 42)  # same seed, other run
    results = simulation.run_batch([a, b, a, a], steps=12)
    assert_same(results[2], results[0], "second copy")
    assert_same(results[3], results[0], "third copy")
    assert_differ(results[0], results[1])


def test_another_runs_seed_does_not_change_this_run():
    a = RunInput(_scenario("fragmented").package, {"n_smes": 250, "n_regions": 5}, 8)
    first, second = (simulation.run_batch([RunInput(_scenario("baseline").package, {"n_smes": 200}, s), a],
                                          steps=12) for s in (1, 2))
    assert_differ(first[0], second[0])  # the other run did change with its seed
    assert_same(first[1], second[1], "this run")
    assert_differ(first[1], simulation.run_batch([replace(a, seed=9)], steps=12)[0])  # its own seed matters


# --- 5. what a batch refuses ---------------------------------------------------------------------------

def test_a_batch_refuses_runs_with_different_warmups():
    runs = [RunInput(None, {"n_smes": 50}, 1), RunInput(None, {"n_smes": 50, "warmup_steps": 4}, 2)]
    with pytest.raises(ValueError, match="warmup_steps"):
        Batch(runs, 4)
    with pytest.raises(ValueError, match="warmup_steps"):
        simulation.run_batch(runs, steps=4)
    # The default spelled out is the same warm-up.
    same = [runs[0], RunInput(None, {"n_smes": 50, "warmup_steps": REGISTRY["warmup_steps"].default}, 2)]
    assert len(simulation.run_batch(same, steps=2)) == 2


def test_a_batch_refuses_an_empty_list_and_bad_runs():
    with pytest.raises(ValueError, match="at least one run"):
        Batch([], 4)
    with pytest.raises(ValueError, match="at least one run"):
        simulation.run_batch([], steps=4)
    good = RunInput(None, {"n_smes": 50}, 1)
    with pytest.raises(ValueError, match="seed"):
        simulation.run_batch([good, RunInput(None, {"n_smes": 50}, -1)], steps=4)
    with pytest.raises(ValueError, match="steps"):
        simulation.run_batch([good], steps=0)
    with pytest.raises(simulation.ParameterError, match="n_smes"):
        simulation.run_batch([good, RunInput(None, {"n_smes": 5}, 2)], steps=4)


# --- 6. the Mesa face is a batch of one ----------------------------------------------------------------

def test_run_equals_run_batch_of_one_and_regions_off_changes_only_the_regional_table():
    r = RunInput(_scenario("centralized").package, {**_scenario("centralized").params, "n_smes": 300}, 5)
    batch = simulation.run_batch([r], steps=12)[0]
    assert_same(batch, alone(r, 12), "batch of one")
    lean = simulation.run_batch([r, _NEIGHBOURS[0]], steps=12, regions=False)[0]
    assert lean.regions.empty and alone(r, 12, regions=False).regions.empty
    pd.testing.assert_frame_equal(lean.timeseries, batch.timeseries, check_exact=True)
    pd.testing.assert_series_equal(lean.summary, batch.summary, check_exact=True)


def test_a_kept_model_shows_its_sme_agents_and_watching_them_changes_nothing():
    package, params = _scenario("integrated").package, {**_scenario("integrated").params, "n_smes": 300}
    steps = 12
    want = simulation.run_batch([RunInput(package, params, 21)], steps=steps)[0]

    kept = simulation.run(package, seed=21, steps=steps, keep_model=True, **params)
    assert_same(kept, want, "keep_model")
    model = kept.model
    assert isinstance(model, simulation.SMEModel) and model.t == steps
    smes = list(model.agents_by_type[simulation.SME])
    assert len(smes) == 300 and all(a.alive for a in smes)
    last = kept.timeseries.iloc[-1]
    counts = pd.Series([a.stage for a in smes]).value_counts()
    for stage in LIVE_STAGES:
        assert counts.get(stage, 0) == last[f"n_{stage}"]
    assert sum(a.size for a in smes) / 300 == pytest.approx(last["mean_size"], rel=1e-12)
    a = smes[0]
    assert a.competitiveness["quality"] == model.sme.comp[C["quality"], a.row]
    assert a.region == model.sme.region[a.row] < params.get("n_regions", REGISTRY["n_regions"].default)

    # Looking at the agents part-way (which makes the engine log exits) leaves the run as it was.
    model = simulation.SMEModel(package, seed=21, steps=steps, **params)
    watched = list(model.agents_by_type[simulation.SME])
    for _ in range(steps // 2):
        model.step()
    assert len(model.agents_by_type[simulation.SME]) == 300
    model.run()
    gone = [x for x in watched if not x.alive]
    assert gone and all(x.stage == "exited" for x in gone)
    assert np.isfinite(gone[0].competitiveness["skills"])
    ts = model.recorder.timeseries()
    pd.testing.assert_frame_equal(ts, want.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(model.recorder.regions(), want.regions, check_exact=True)
