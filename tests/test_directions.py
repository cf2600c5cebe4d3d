"""The directions of the domain brief, over paired seeds, and their independence of the economy's size.

Both arms of a comparison run on the same seeds (common random numbers: each
source of chance has its own stream, so the arms share their luck), and a
test asserts that the 95% confidence interval of the paired difference
excludes zero in the expected direction. Where the model, with mechanisms
that can be defended, shows something other than the brief's claim, the test
asserts what the model shows and docs/hypotheses.md says so.

Forty seeds per arm resolve every direction but H2, whose effect is small
and gets 120.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from helpers import arm
from scipy import stats

import simulation as sim

SEEDS = range(40)
pytestmark = pytest.mark.slow


@functools.cache
def _runs(name: str, n_smes: int | None = None, seeds: tuple[int, ...] = tuple(SEEDS),
          **overrides) -> dict[str, np.ndarray]:
    pkg, params = arm(name)
    params.update(overrides)
    if n_smes is not None:  # a larger economy with the same budget per SME
        pkg = pkg.scaled(n_smes / sim.REGISTRY["n_smes"].default)
        params["n_smes"] = n_smes
    rows = [sim.run(pkg, seed=s, regions=False, **params).summary for s in seeds]
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0].index}


def outcomes(name: str, **overrides) -> dict[str, np.ndarray]:
    return _runs(name, **overrides)


def paired_ci(d: np.ndarray) -> tuple[float, float, float]:
    """Mean of paired differences with its 95% t interval."""
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def assert_positive(a: np.ndarray, b: np.ndarray, what: str) -> None:
    mean, lo, hi = paired_ci(a - b)
    assert lo > 0, f"{what}: difference {mean:.3g}, 95% CI [{lo:.3g}, {hi:.3g}] does not exclude zero"


PAIRS = [("integrated", "fragmented"), ("integrated", "baseline"), ("centralized", "decentralized_coordinated"),
         ("alliances_on", "alliances_off"), ("integrated", "strengthening_only"),
         ("integrated", "finance_only"), ("integrated", "indonesia_2014")]


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


def test_h1_integrated_beats_fragmented():
    integrated, fragmented = outcomes("integrated"), outcomes("fragmented")
    assert_positive(integrated["new_exporters"], fragmented["new_exporters"], "H1 new exporters")
    assert_positive(integrated["new_exporters_per_musd"], fragmented["new_exporters_per_musd"],
                    "H1 new exporters per million USD")


def test_h2_coordinated_decentralization_beats_centralization_when_regions_differ():
    """A small effect (about 7 new exporters in 2,000 SMEs over ten years): 120 seeds resolve it. The
    stock of exporters at the horizon is about one higher, within noise (docs/hypotheses.md)."""
    seeds = tuple(range(120))
    local, central = _runs("decentralized_coordinated", seeds=seeds), _runs("centralized", seeds=seeds)
    assert_positive(local["new_exporters"], central["new_exporters"], "H2 new exporters")


def test_h2_control_no_difference_when_regions_are_identical():
    """Equivalence margin: 5% of the centralized arm's mean exporters.

    With identical regions every local government has the national average
    capacity, so the two arms differ only through local estimates of need,
    read off the SMEs each region happens to have, with an error. Five
    percent is below the resolution of the export statistics the model is
    calibrated to (participation reported to the percentage point).
    """
    local = outcomes("decentralized_coordinated", region_heterogeneity=0.0)
    central = outcomes("centralized", region_heterogeneity=0.0)
    margin = 0.05 * central["exporters"].mean()
    mean, lo, hi = paired_ci(local["exporters"] - central["exporters"])
    assert -margin < lo and hi < margin, f"H2 control: {mean:.3g} [{lo:.3g}, {hi:.3g}] vs margin {margin:.3g}"


def test_h3_alliances_raise_gvc_participation():
    on, off = outcomes("alliances_on"), outcomes("alliances_off")
    assert_positive(on["gvc_participation"], off["gvc_participation"], "H3 GVC participation")


def test_h4_precondition_then_strengthening_beats_strengthening_only():
    """`integrated` runs mapping and awareness first; `strengthening_only` moves that budget to strengthening."""
    seq, skip = outcomes("integrated"), outcomes("strengthening_only")
    assert_positive(seq["new_exporters"], skip["new_exporters"], "H4 new exporters")
    assert_positive(seq["exporters"], skip["exporters"], "H4 exporters")


def test_liberalization_alone_raises_exits():
    assert_positive(outcomes("liberalization_only")["exits"], outcomes("no_policy")["exits"],
                    "liberalization alone: exits")


def test_liberalization_interaction_support_changes_what_the_cut_does():
    """The 2 x 2 design: (cut with support - support) - (cut alone - nothing).

    The paper claims support turns the exits a cut causes into exporters.
    The model shows the first half: support lowers the exits the cut causes
    (firms it made more competitive clear the higher bar of the home market),
    by a few firms against some 400 exits the cut causes. The interaction on
    exporters is reported in docs/hypotheses.md and not asserted: its
    interval includes zero.
    """
    none, cut = outcomes("no_policy"), outcomes("liberalization_only")
    support, both = outcomes("integrated"), outcomes("liberalization_with_support")
    interaction = (both["exits"] - support["exits"]) - (cut["exits"] - none["exits"])
    mean, lo, hi = paired_ci(interaction)
    assert hi < 0, f"interaction on exits {mean:.3g} [{lo:.3g}, {hi:.3g}]: support does not reduce the cut's exits"


# --- size invariance ---------------------------------------------------------------

SIZE_SEEDS = tuple(range(16))
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
