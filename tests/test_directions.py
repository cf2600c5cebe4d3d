"""Each question of the paper, at the defaults, exactly as docs/hypotheses.md states its verdict.

``docs/hypotheses.csv`` is written with docs/hypotheses.md by
``python docs/ablations.py`` (50 common seeds, 2,000 SMEs): each question's
paired effect on every outcome it reports and, where it claims a sign, the
verdict. The tests here rerun every question's arms on the same seeds and
assert the same effect, interval and verdict (holds, reversed, not shown,
or no detectable difference for the control), so the document and the
model cannot disagree, and no question can be dropped from the document.
Where the model shows something other than the paper's claim, the verdict
says so and the test asserts what the model shows.

Both arms of a comparison run on the same seeds (common random numbers:
each source of chance has its own stream, each package entry its own
stream keyed by its name), so the arms share their luck.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, arm

import simulation as sim
from simulation.api import replicate_seeds
from simulation.experiments.ablation import DIRECTIONS, direction
from simulation.experiments.compare import paired_ci
from simulation.experiments.runner import RunSpec, simulate
from simulation.reporting.hypotheses import claimed, sign_verdict
from simulation.scenario import load

pytestmark = pytest.mark.slow
VERDICTS = ROOT / "docs" / "hypotheses.csv"


@functools.cache
def stated() -> pd.DataFrame:
    return pd.read_csv(VERDICTS, keep_default_na=False, na_values=[""])


@functools.cache
def _arm(name: str, params: tuple[tuple[str, float], ...], seeds: tuple[int, ...]) -> pd.DataFrame:
    """One arm's summaries on the given seeds, run as ``ablate`` runs them."""
    specs = [RunSpec.make(load(name), seed, extra_params=dict(params)) for seed in seeds]
    return pd.DataFrame([r.summary for r in simulate(specs, regions=False)])


def test_the_verdict_table_holds_every_question_and_only_them():
    table = stated()
    assert list(dict.fromkeys(table["direction"])) == [d.name for d in DIRECTIONS], \
        "docs/hypotheses.csv is stale: rerun python docs/ablations.py"
    for d in DIRECTIONS:
        rows = table[table["direction"] == d.name]
        assert list(rows["outcome"]) == list(d.outcomes), d.name
        assert set(rows.dropna(subset=["claimed_sign"])["outcome"]) == set(claimed(d)), d.name


@pytest.mark.parametrize("name", [d.name for d in DIRECTIONS])
def test_each_question_shows_what_docs_hypotheses_states(name):
    d = direction(name)
    rows = stated()[stated()["direction"] == name].set_index("outcome")
    seeds = tuple(replicate_seeds(int(rows["seeds"].iloc[0])))
    arms = [(_arm(scenario, tuple(sorted(d.params.items())), seeds), sign) for scenario, sign in d.arms]
    for outcome, want in rows.iterrows():
        diff = sum(sign * frame[outcome].to_numpy(dtype=float) for frame, sign in arms)
        mean, lo, hi, _ = paired_ci(diff)
        got = pd.Series({"effect": mean, "ci_low": lo, "ci_high": hi})
        for key in got.index:
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-9), \
                f"{name}, {outcome}: {key} {got[key]:.6g}, docs/hypotheses.csv says {want[key]:.6g}"
        if np.isfinite(want["claimed_sign"]):
            verdict = sign_verdict(got, int(want["claimed_sign"])).split(" (")[0]
            assert verdict == want["verdict"], f"{name}, {outcome}: {verdict}, the document says {want['verdict']}"


PAIRS = [("integrated", "fragmented"), ("integrated", "baseline"), ("centralized", "decentralized_coordinated"),
         ("centralized_by_capacity", "decentralized_coordinated"), ("alliances_on", "alliances_off"),
         ("integrated", "strengthening_only"), ("strengthening_with_awareness", "strengthening_only"),
         ("integrated", "integrated_simultaneous"), ("integrated", "integrated_competitiveness_only"),
         ("integrated", "integrated_by_numbers"), ("integrated", "integrated_overlapping"),
         ("integrated", "integrated_untargeted"), ("integrated", "finance_only"), ("integrated", "indonesia_2014")]


def test_scenarios_meant_to_be_compared_have_equal_budgets():
    for a, b in PAIRS:
        assert arm(a)[0].total_budget == pytest.approx(arm(b)[0].total_budget), (a, b)
    # The liberalization arms add the tariff cut's administrative budget to the support package.
    assert arm("liberalization_with_support")[0].total_budget == pytest.approx(
        arm("integrated")[0].total_budget + arm("liberalization_only")[0].total_budget)


def test_h1_arms_differ_only_in_how_policy_is_organised():
    integrated, fragmented = arm("integrated")[0], arm("fragmented")[0]
    key = lambda e: (e.instrument, e.budget, e.intensity, e.end, e.deliverer)  # noqa: E731
    assert sorted(map(key, integrated.entries)) == sorted(map(key, fragmented.entries))


def test_sequencing_arms_differ_only_in_when_entries_start():
    together, staged = arm("integrated_simultaneous")[0], arm("integrated")[0]
    key = lambda e: (e.name, e.instrument, e.budget, e.intensity, e.end, e.deliverer, e.targeting)  # noqa: E731
    assert list(map(key, together.entries)) == list(map(key, staged.entries))
    assert all(e.start == 0 for e in together.entries)


def test_the_awareness_question_adds_awareness_and_nothing_else():
    with_it, without = arm("strengthening_with_awareness")[0], arm("strengthening_only")[0]
    assert {e.instrument for e in with_it.entries} - {e.instrument for e in without.entries} == \
        {"awareness_information"}
    assert "mapping_study" not in {e.instrument for e in with_it.entries}


# --- size invariance ---------------------------------------------------------------

@functools.cache
def _runs(name: str, n_smes: int, seeds: tuple[int, ...]) -> dict[str, np.ndarray]:
    """A scenario's summaries in an economy of ``n_smes`` SMEs with the same budget per SME."""
    pkg, params = arm(name)
    pkg = pkg.scaled(n_smes / sim.REGISTRY["n_smes"].default)
    params["n_smes"] = n_smes
    rows = [sim.run(pkg, seed=s, regions=False, **params).summary for s in seeds]
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0].index}


# 24 seeds: an equivalence test needs its interval well inside the margin (16 left GVC participation, a small
# share, within noise of the 10% bound).
SIZE_SEEDS = tuple(range(24))
SIZE_SCENARIOS = ("no_policy", "integrated", "fragmented", "centralized", "decentralized_coordinated",
                  "alliances_on", "alliances_off", "strengthening_only", "liberalization_only",
                  "liberalization_with_support")


def _per_sme(runs: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    return {"export participation": runs["export_participation"], "GVC participation": runs["gvc_participation"],
            "new exporters per 1,000 SMEs": 1000 * runs["new_exporters"] / n,
            "exits per 1,000 SMEs": 1000 * runs["exits"] / n,
            "new exporters per MUSD": runs["new_exporters_per_musd"]}


def _relative_difference_ci(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(mean b - mean a) / mean a with a 95% interval by the delta method (independent samples)."""
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    ma, mb = a.mean(), b.mean()
    r = mb / ma - 1.0
    se = (mb / ma) * np.sqrt(a.var(ddof=1) / len(a) / ma ** 2 + b.var(ddof=1) / len(b) / mb ** 2)
    return r, r - 1.96 * se, r + 1.96 * se


@pytest.mark.parametrize("name", SIZE_SCENARIOS)
def test_per_sme_outcomes_do_not_depend_on_the_economys_size(name):
    """At the same budget per SME, shares and per-SME outcomes at 8,000 SMEs equal those at 2,000.

    An equivalence test: the 95% interval of the relative difference lies
    within +-10% (large enterprises, regulation costs and budgets all scale
    with the number of SMEs).
    """
    small = _per_sme(_runs(name, 2000, SIZE_SEEDS), 2000)
    large = _per_sme(_runs(name, 8000, SIZE_SEEDS), 8000)
    for what in small:
        if not np.isfinite(small[what]).any() or np.nanmean(small[what]) == 0:
            continue  # no budget (per-MUSD undefined) or nothing to compare
        r, lo, hi = _relative_difference_ci(small[what], large[what])
        assert -0.10 < lo and hi < 0.10, f"{name}, {what}: 8,000 vs 2,000 SMEs {r:+.1%} [{lo:+.1%}, {hi:+.1%}]"
