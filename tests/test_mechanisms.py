"""Each mechanism in isolation, on small hand-made or freshly drawn SME arrays."""

from __future__ import annotations

import numpy as np
import pytest

import simulation as sim
from simulation.mechanisms import alliances, demography, learning, support, trade
from simulation.params import resolve
from simulation.policy import CATALOGUE
from simulation.state import (
    EXPORTING,
    GVC,
    PRECONDITION,
    STRENGTHENING,
    B,
    C,
    RegionBlocks,
)


@pytest.fixture
def p():
    return resolve()


@pytest.fixture
def firms(p):
    rng = np.random.default_rng(0)
    world = demography.make_world(rng, p)
    regions = demography.region_of_rows(world, 4000)
    return demography.new_firms(rng, regions, world, p, 0, world.infrastructure), world


# --- complementarity -------------------------------------------------------

def test_capability_needs_both_determinants():
    grid = np.linspace(0.0, 1.0, 11)
    cap = trade.capability(grid, np.zeros_like(grid), rho=-2.0)
    assert np.all(cap == 0.0), "no connectivity, no export capability"
    cap = trade.capability(np.zeros_like(grid), grid, rho=-2.0)
    assert np.all(cap == 0.0)


def test_support_on_one_determinant_saturates():
    conn = np.full(6, 0.3)
    comp = np.array([0.3, 0.5, 0.7, 0.9, 1.0, 1.0])
    cap = trade.capability(comp, conn, rho=-2.0)
    gains = np.diff(cap)
    assert np.all(gains[:-1] > 0)
    assert np.all(np.diff(gains[:-1]) < 0), "each further step in competitiveness alone adds less"
    # A balanced rise beats the same total rise on one determinant.
    assert trade.capability(np.array([0.5]), np.array([0.5]), -2.0)[0] > \
        trade.capability(np.array([0.7]), np.array([0.3]), -2.0)[0]


def test_capability_gradient_matches_finite_difference():
    c, k, h = np.array([0.35]), np.array([0.25]), 1e-6
    cap = trade.capability(c, k, -2.0)
    gc, gk = trade.capability_gradient(c, k, cap, -2.0)
    assert gc[0] == pytest.approx((trade.capability(c + h, k, -2.0) - cap)[0] / h, rel=1e-3)
    assert gk[0] == pytest.approx((trade.capability(c, k + h, -2.0) - cap)[0] / h, rel=1e-3)
    assert gk[0] > gc[0], "the scarcer determinant pays more at the margin"


# --- absorptive capacity, awareness, overlap --------------------------------

def test_awareness_lowers_the_knowledge_barrier(firms, p):
    s, _ = firms
    rows = np.flatnonzero(s.stage == PRECONDITION)[:200]
    before = s.barriers[B["knowledge"], rows].copy()
    support.apply_programme(s, rows, CATALOGUE["awareness_information"], 1.0, p)
    after = s.barriers[B["knowledge"], rows]
    assert np.all(after < before)
    assert (learning.become_aware(s, p).size > 0), "some firms cross the awareness threshold"


def test_precondition_firms_absorb_less_of_strengthening_programmes(firms, p):
    s, _ = firms
    pre = np.flatnonzero(s.stage == PRECONDITION)[:300]
    ready = np.flatnonzero(s.stage == STRENGTHENING)[:300]
    training = CATALOGUE["capacity_training"]
    a_pre = support.absorptive_capacity(s, pre, training, p)
    a_ready = support.absorptive_capacity(s, ready, training, p)
    assert np.all(a_ready == 1.0)
    assert np.all(a_pre < p["absorptive_precondition"] + 1e-12)
    # Awareness is made for unaware firms: fully absorbed by them.
    assert np.all(support.absorptive_capacity(s, pre, CATALOGUE["awareness_information"], p) == 1.0)


def test_a_second_overlapping_programme_adds_less_than_the_first(firms, p):
    s, _ = firms
    rows = np.flatnonzero(s.stage == STRENGTHENING)[:200]
    s.comp[C["skills"], rows] = 0.3
    training = CATALOGUE["capacity_training"]
    first = support.apply_programme(s, rows, training, 1.0, p)
    second = support.apply_programme(s, rows, training, 1.0, p)
    assert np.all(second < first)
    # The stock fades: served long ago, an SME responds almost fully again.
    for _ in range(20):
        support.decay_support(s, p)
    third = support.apply_programme(s, rows, training, 1.0, p)
    assert np.all(third > second) and np.allclose(third, first, rtol=0.05)


def test_coordination_spreads_support_over_unserved_firms(firms, p):
    s, _ = firms
    rng = np.random.default_rng(1)
    eligible = np.ones(s.n, bool)
    s.support[rng.random(s.n) < 0.5] = 1.0  # half already served, in every region
    quota = np.full(int(s.region.max()) + 1, 100.0)
    share_served = []
    for coordination in (0.0, 0.9):
        overlap = support.overlap_weight(s.support, coordination) if coordination else None
        w = support.selection_weights(s.n, None, eligible, overlap)
        rows = support.draw_recipients(rng, w, RegionBlocks(s.region, len(quota)), quota)
        share_served.append(np.mean(s.support[rows] > support.SERVED))
    assert share_served[0] == pytest.approx(0.5, abs=0.06)
    assert share_served[1] < 0.2


# --- targeting -------------------------------------------------------------

def test_mapping_raises_the_share_of_support_reaching_high_potential_smes(firms, p):
    s, _ = firms
    rng = np.random.default_rng(2)
    cap = trade.capability(s.competitiveness(), s.connectivity(), p["ces_rho"])
    potential = support.export_potential(s, cap, "strengthening")
    high = potential >= np.quantile(potential, 0.8)
    eligible = np.ones(s.n, bool)
    quota = np.full(int(s.region.max()) + 1, 40.0)
    reach = {}
    for mapped in (np.zeros(s.n, bool), np.ones(s.n, bool)):
        score = support.targeting_score(potential, p["targeting_strength"])
        w = support.selection_weights(s.n, np.where(mapped, score, 1.0), eligible, None)
        rows = np.concatenate([support.draw_recipients(rng, w, RegionBlocks(s.region, len(quota)), quota) for _ in range(20)])
        reach[bool(mapped[0])] = high[rows].mean()
    assert reach[False] == pytest.approx(0.2, abs=0.05), "without mapping, support lands at random"
    assert reach[True] > 0.5


# --- delivery and allocation -------------------------------------------------

def test_local_delivery_depends_on_capacity_and_coordination(p):
    capacity = np.array([0.3, 0.6, 0.9])
    low = support.delivery_efficiency(capacity, "local", {**p, "coordination": 0.0})
    high = support.delivery_efficiency(capacity, "local", {**p, "coordination": 1.0})
    assert np.all(np.diff(high) > 0)
    assert np.all(high > low)
    assert np.allclose(high, capacity)
    national = support.delivery_efficiency(capacity, "national", p)
    assert np.allclose(national, capacity.mean())


def test_central_allocation_ignores_regional_need():
    population = np.array([100.0, 100.0, 200.0])
    need = np.array([10.0, 0.0, 10.0])
    assert np.allclose(support.regional_allocation(population, need, "national", 1.0), [0.25, 0.25, 0.5])
    assert np.allclose(support.regional_allocation(population, need, "local", 1.0), [0.5, 0.0, 0.5])
    assert np.allclose(support.regional_allocation(population, need, "local", 0.0), [0.25, 0.25, 0.5])


def test_infrastructure_has_diminishing_returns():
    infra = np.array([0.2, 0.2, 0.8])
    new = support.build_infrastructure(infra, np.array([0.5, 1.0, 0.5]), 0.35)
    assert np.all(new > infra) and np.all(new <= 1.0)
    assert new[1] - infra[1] < 2 * (new[0] - infra[0])
    assert new[2] - infra[2] < new[0] - infra[0], "a well-equipped region gains less"


# --- alliances -------------------------------------------------------------

def test_les_take_only_suppliers_above_their_bar_and_connected(firms, p):
    s, _ = firms
    rng = np.random.default_rng(3)
    le = alliances.make_les(rng, {**p, "le_openness": 1.0})
    s.stage[:] = STRENGTHENING
    comp, conn = s.competitiveness(), s.connectivity()
    rows = alliances.form_alliances(rng, s, le, comp, conn, p)
    assert len(rows) > 0
    partner = s.partner[rows]
    assert np.all(comp[rows] >= le.threshold[partner])
    assert np.all(conn[rows] >= p["connectivity_required"])
    assert np.all(s.sector[rows] == le.sector[partner])
    assert np.all(s.stage[rows] == GVC)
    assert np.all(np.bincount(partner, minlength=le.n) <= le.slots)


def test_framework_and_requirements_lift_openness_and_shocks_cut_it(p):
    le = alliances.make_les(np.random.default_rng(4), p)
    base = alliances.openness_target(le, 0.0, 0.0, 0.0, p)
    assert np.all(alliances.openness_target(le, 1.0, 0.0, 0.0, p) >= base)
    assert np.all(alliances.openness_target(le, 0.0, 1.0, 0.0, p) >= base)
    assert alliances.openness_target(le, 1.0, 1.0, 0.0, p).mean() > base.mean() + 0.3
    assert alliances.openness_target(le, 0.0, 0.0, 0.3, p).mean() < base.mean() - 0.2


def test_alliances_transfer_technology(firms, p):
    s, _ = firms
    s.partner[:100] = 0
    before = s.comp[C["technology"]].copy()
    alliances.transfer_technology(s, p, requirements=0.0)
    assert np.all(s.comp[C["technology"], :100] > before[:100])
    assert np.all(s.comp[C["technology"], 100:] == before[100:])


# --- trade -----------------------------------------------------------------

def test_experience_makes_reentry_cheaper(firms, p):
    s, _ = firms
    fresh = trade.entry_cost(s, p)
    s.experience[:] = 1.0
    assert np.all(trade.entry_cost(s, p) < fresh)
    assert trade.continuation_cost(s, p).mean() < fresh.mean(), "staying costs less than entering (sunk costs)"


def test_only_aware_or_born_global_firms_try_exporting(firms, p):
    s, _ = firms
    ok = trade.may_attempt_entry(s, p)
    assert not np.any(ok & (s.stage == PRECONDITION) & (s.eo < p["born_global_eo"]))
    assert np.all(ok[(s.stage == PRECONDITION) & (s.eo >= p["born_global_eo"])])


def test_liberalization_raises_exit_risk_of_uncompetitive_firms(firms, p):
    s, _ = firms
    comp = s.competitiveness()
    closed = demography.exit_hazard(s, comp, p, tariff_cut=0.0)
    opened = demography.exit_hazard(s, comp, p, tariff_cut=1.0)
    weak = comp < p["survival_threshold"] + p["import_pressure"]
    assert np.all(opened[weak] > closed[weak])
    strong = comp > p["survival_threshold"] + p["import_pressure"]
    assert np.allclose(opened[strong], closed[strong])


def test_liberalization_raises_foreign_margins(firms, p):
    s, _ = firms
    cap = trade.capability(s.competitiveness(), s.connectivity(), p["ces_rho"])
    assert np.all(trade.foreign_profit(s, cap, p, 1.0) > trade.foreign_profit(s, cap, p, 0.0))


def test_peer_spillovers_reach_tied_firms_in_exporting_clusters(firms, p):
    s, world = firms
    s.stage[:] = STRENGTHENING
    cluster0 = (s.region == 0) & (s.sector == 0)
    s.stage[np.flatnonzero(cluster0)[:5]] = EXPORTING
    before = s.barriers[B["knowledge"]].copy()
    learning.peer_spillovers(s, p, world.n_regions, world.n_sectors)
    fell = s.barriers[B["knowledge"]] < before
    assert fell[cluster0].any()
    assert not fell[~cluster0].any(), "no exporting peers, no spillover"


# --- whole-model consequences ---------------------------------------------

def test_with_connectivity_forced_to_zero_no_sme_ever_exports():
    res = sim.run(seed=5, steps=20, n_smes=800, conn_mean=0.0, infrastructure_mean=0.0,
                  region_heterogeneity=0.0, born_global_eo=0.5)
    assert res.timeseries["exporters"].max() == 0
    assert res.timeseries["gvc_participation"].max() == 0
    assert res.summary["new_exporters"] == 0


def test_a_zero_budget_package_changes_nothing():
    entries = [{"instrument": name, "budget": 0.0} for name in sim.CATALOGUE]
    zero = sim.PolicyPackage.from_dict({"name": "zero", "entries": entries})
    a = sim.run(zero, seed=11, steps=16, n_smes=600)
    b = sim.run(None, seed=11, steps=16, n_smes=600)
    assert a.timeseries.equals(b.timeseries)
    assert a.regions.equals(b.regions)
