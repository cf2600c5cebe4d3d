"""Each mechanism in isolation, on small hand-made or freshly drawn SME arrays."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import arm, draw_firms

import simulation as sim
from simulation.mechanisms import alliances, demography, learning, market, support, trade
from simulation.params import resolve
from simulation.policy import CATALOGUE
from simulation.stack import Stack
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
    return draw_firms(p, 4000, seed=0)


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


def test_without_complementarity_capability_is_the_plain_mean(p):
    c, k = np.array([0.0, 0.2, 0.9]), np.array([0.6, 0.2, 0.1])
    rho = trade.ces_exponent({**p, "complementarity": 0})
    assert np.allclose(trade.capability(c, k, rho), (c + k) / 2)
    assert trade.capability(c, k, trade.ces_exponent(p))[0] == 0.0, "with complements, none of one is none"


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
        blocks = RegionBlocks(s.region, len(quota))
        rows = np.concatenate([support.draw_recipients(rng, w, blocks, quota) for _ in range(20)])
        reach[bool(mapped[0])] = high[rows].mean()
    assert reach[False] == pytest.approx(0.2, abs=0.05), "without mapping, support lands at random"
    assert reach[True] > 0.5


# --- delivery and allocation -------------------------------------------------

def test_local_delivery_is_as_good_as_local_capacity_and_loses_as_much_on_average(p):
    capacity = np.array([0.3, 0.6, 0.9])
    local = support.delivery_efficiency(capacity, "local", p)
    national = support.delivery_efficiency(capacity, "national", p)
    assert np.allclose(local, capacity)
    assert np.allclose(national, capacity.mean())
    assert local.mean() == pytest.approx(national.mean()), "no arm gets a better average delivery by fiat"
    # Coordination is not a delivery penalty any more: it acts through overlap and allocation.
    for c in (0.0, 1.0):
        assert np.allclose(support.delivery_efficiency(capacity, "local", {**p, "coordination": c}), capacity)
    assert np.allclose(support.delivery_efficiency(capacity, "local", {**p, "local_capacity": 0}), 0.6)


def test_central_allocation_ignores_regional_need(p):
    population = np.array([100.0, 100.0, 200.0])
    need = np.array([10.0, 0.0, 10.0])
    full = {**p, "coordination": 1.0}
    assert np.allclose(support.regional_allocation(population, need, "national", full), [0.25, 0.25, 0.5])
    assert np.allclose(support.regional_allocation(population, need, "local", full), [0.5, 0.0, 0.5])
    assert np.allclose(support.regional_allocation(population, need, "local", {**p, "coordination": 0.0}),
                       [0.25, 0.25, 0.5])
    off = {**full, "need_allocation": 0}
    assert np.allclose(support.regional_allocation(population, need, "local", off), [0.25, 0.25, 0.5])


def test_need_is_read_off_mapped_smes_only_and_noisier_where_capacity_is_low(p):
    region = np.repeat([0, 1], 500)
    blocks = RegionBlocks(region, 2)
    potential = np.where(region == 0, 0.2, 0.6)
    none = np.zeros(1000, bool)
    exact = {**p, "need_noise": 0.0}
    unmapped = support.estimated_need(blocks, None, none, potential, np.ones(2), np.zeros(2), exact)
    assert unmapped[0] == pytest.approx(unmapped[1]), "without mapping, every region looks alike"
    mapped = np.arange(1000) % 10 == 0
    need = support.estimated_need(blocks, None, mapped, potential, np.ones(2), np.zeros(2), exact)
    assert need[1] == pytest.approx(3 * need[0])
    off = support.estimated_need(blocks, None, mapped, potential, np.ones(2), np.zeros(2), {**exact, "targeting": 0})
    assert off[0] == pytest.approx(off[1]), "with targeting off, mapping reveals nothing"
    # A region with no mapped SME is read at the national mean of those mapped.
    half = mapped & (region == 1)
    need = support.estimated_need(blocks, None, half, potential, np.ones(2), np.zeros(2), exact)
    assert need[0] == pytest.approx(need[1])
    # The error's spread falls with capacity: none at full capacity.
    z = np.array([1.0, 1.0])
    noisy = support.estimated_need(blocks, None, mapped, potential, np.array([0.2, 1.0]), z, p)
    assert noisy[1] == pytest.approx(500 * 0.6)
    assert noisy[0] != pytest.approx(500 * 0.2)


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
    fresh = trade.entry_cost(s, p, 0.0)
    s.experience[:] = 1.0
    assert np.all(trade.entry_cost(s, p, 0.0) < fresh)
    assert trade.continuation_cost(s, p).mean() < fresh.mean(), "staying costs less than entering (sunk costs)"


def test_entry_cost_rises_continuously_with_the_knowledge_barrier_and_falls_with_orientation(firms, p):
    s, _ = firms
    rows = np.arange(50)
    s.barriers[B["knowledge"], rows] = np.linspace(0.0, 1.0, 50)
    s.barriers[B["procedure"], rows] = s.barriers[B["resource"], rows] = 0.5
    s.eo[rows] = 0.3
    s.experience[rows] = 0.0
    cost = trade.entry_cost(s, p, 0.0, rows)
    assert np.all(np.diff(cost) > 0)
    assert np.max(np.diff(cost)) < 1.5 * np.min(np.diff(cost)), "no cliff: the same step costs the same"
    s.eo[rows] = 0.9  # a born-global orientation lowers the knowledge part, and only it
    assert np.all(trade.entry_cost(s, p, 0.0, rows)[1:] < cost[1:])
    off = trade.entry_cost(s, {**p, "knowledge_barrier": 0}, 0.0, rows)
    assert np.allclose(off, off[0])


def test_any_firm_not_yet_exporting_may_enter_whatever_its_stage(firms, p):
    s, _ = firms
    cap = np.ones(s.n)
    s.size[:] = 99.0
    s.error[:] = 0.0
    decisions = {}
    for stage in (PRECONDITION, STRENGTHENING):
        s.stage[:] = stage
        decisions[stage] = trade.export_decisions(s, cap, p, 0.0, 0.0)[0]
    assert len(decisions[PRECONDITION]) > 0.1 * s.n, "capable unaware firms leap: there is no gate"
    assert np.array_equal(decisions[PRECONDITION], decisions[STRENGTHENING]), "the stage itself decides nothing"
    none = np.zeros(s.n)
    assert len(trade.export_decisions(s, none, p, 0.0, 0.0)[0]) == 0, "no capability, no entry"


def test_red_tape_cuts_only_the_procedure_part_of_entry_cost(firms, p):
    s, _ = firms
    before = trade.entry_cost(s, p, 0.0)
    after = trade.entry_cost(s, p, 0.4)
    expected = p["entry_cost"] * 0.4 * s.barriers[B["procedure"]] / 3.0 * (1 - p["experience_discount"] * s.experience)
    assert np.allclose(before - after, expected)


def test_judgement_errors_and_foreign_demand_persist_and_stay_stationary(firms, p):
    s, _ = firms
    rng = np.random.default_rng(9)
    trade.learn_demand(rng, s, np.arange(s.n))
    e0, d0 = s.error.copy(), s.demand_x.copy()
    trade.update_beliefs(rng, rng, s, p)
    assert np.corrcoef(e0, s.error)[0, 1] == pytest.approx(p["decision_persistence"], abs=0.05)
    assert np.corrcoef(d0, s.demand_x)[0, 1] == pytest.approx(1 - p["demand_drift"], abs=0.02)
    for _ in range(40):
        trade.update_beliefs(rng, rng, s, p)
    assert s.error.std() == pytest.approx(p["decision_noise"], rel=0.08)
    assert s.demand_x.std() == pytest.approx(1.0, rel=0.08)
    assert trade.demand_level(s, p).mean() == pytest.approx(1.0, rel=0.15)


def test_a_firm_counts_on_its_own_demand_once_it_knows_it(firms, p):
    s, _ = firms
    rows = np.arange(100)
    assert np.all(trade.expected_demand(s, p, rows) == 1.0)
    trade.learn_demand(np.random.default_rng(3), s, rows)
    assert s.demand_x[rows].std() > 0.5, "demand drawn from its law when first learned"
    known = s.demand_x[rows].copy()
    trade.learn_demand(np.random.default_rng(4), s, rows)
    assert np.array_equal(s.demand_x[rows], known), "a firm learns its demand once"
    trade.apply_export_moves(s, rows, np.empty(0, np.int64))
    trade.apply_export_moves(s, np.empty(0, np.int64), rows)  # stops again: keeps what it learned
    assert np.allclose(trade.expected_demand(s, p, rows), trade.demand_level(s, p, rows))


def test_export_promotion_finds_buyers_and_reveals_demand(firms, p):
    s, _ = firms
    rows = np.arange(200)
    rng = np.random.default_rng(8)
    trade.learn_demand(rng, s, rows[:100])
    before = s.demand_x[:100].copy()
    support.apply_programme(s, rows, CATALOGUE["export_promotion"], 1.0, p, rng)
    assert np.all(s.demand_x[:100] > before) and np.all(s.knows_demand[rows])
    assert not s.knows_demand[200:].any()
    # Buyers found saturate: a firm that already sells to many finds fewer new ones.
    gain = support.buyers_found(np.array([-2.0, 0.0, 2.0]), 1.0)
    assert gain[1] == pytest.approx(1.0) and gain[0] > gain[1] > gain[2] > 0


def test_liberalization_raises_exit_risk_of_firms_whose_profit_falls_short(firms, p):
    s, world = firms
    comp = s.competitiveness()
    blocks = RegionBlocks(s.region, world.n_regions)
    stack = Stack.single(s.n, world.n_regions)
    s.age[:] = market.ESTABLISHED_AGE
    home = market.HomeMarket.open(s, comp, p, blocks, stack)
    no_exports = np.zeros(s.n)
    hazard = {}
    for cut in (0.0, 1.0):
        required = blocks.spread(home.requirement(s, comp, p, blocks, stack, np.full(world.n_regions, cut)))
        standing = market.standing(s, comp, p, required, 0.0)
        hazard[cut] = demography.exit_hazard(s, market.profit_shortfall(s, market.cover(standing, p), no_exports, p),
                                             p)
    weak = comp < p["survival_threshold"] + p["import_pressure"] - 1e-9
    assert np.all(hazard[1.0][weak] > hazard[0.0][weak])
    strong = comp > p["survival_threshold"] + p["import_pressure"] + 1e-9
    assert np.allclose(hazard[1.0][strong], hazard[0.0][strong]), "a firm that still covers its costs is safe"


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
                  region_heterogeneity=0.0, eo_knowledge_discount=1.0)
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


# --- regulations, demography, growth, lead firms ------------------------------

def test_a_regulation_costs_per_firm_covered_and_moves_no_firm():
    pkg = sim.PolicyPackage.from_dict({"entries": [{"instrument": "strategic_measures", "budget": 1e6}]})
    costs = []
    for n in (500, 2000):
        m = sim.SMEModel(pkg, seed=1, steps=2, n_smes=n, warmup_steps=0)
        before = {k: v.copy() for k, v in vars(m.sme).items()}
        m.national_government.enact()
        assert m.red_tape_cut == pytest.approx(CATALOGUE["strategic_measures"].effects["red_tape"])
        for name, value in vars(m.sme).items():
            assert np.array_equal(value, before[name]), f"a regulation changed the firms' {name}"
        m = sim.SMEModel(pkg, seed=1, steps=2, n_smes=n, warmup_steps=0)
        m.step()
        costs.append(m.recorder.latest()["budget_spent"])
    assert costs[1] == pytest.approx(4 * costs[0]), "four times the firms, four times the enforcement cost"


def test_regulations_hold_while_enforced_and_a_tariff_cut_stays():
    entries = [{"instrument": "strategic_measures", "budget": 100.0, "end": 2},
               {"instrument": "trade_liberalization", "budget": 100.0, "end": 2}]
    m = sim.SMEModel(sim.PolicyPackage.from_dict({"entries": entries}), seed=2, steps=4, n_smes=300,
                     warmup_steps=0)
    m.step()
    assert m.red_tape_cut > 0 and m.tariff_cut > 0
    m.step()
    m.step()
    assert m.red_tape_cut == 0.0, "deregulation lapses when nobody enforces it"
    assert m.tariff_cut > 0, "a tariff cut is not reversed"


def test_entrants_judge_what_the_home_market_requires(p):
    rng = np.random.default_rng(5)
    world = demography.make_world(rng, p)
    regions = demography.region_of_rows(world, 3000)
    means = {}
    for required in (0.1, 0.3, 0.4):
        firms = demography.entrants(np.random.default_rng(6), regions, world, p, 0, world.infrastructure, required)
        means[required] = firms.competitiveness().mean()
        assert firms.n == 3000 and np.array_equal(firms.firm_id, np.arange(3000))
    assert means[0.1] < means[0.3] < means[0.4], "tougher competition, stronger entrants"
    off = {**p, "entry_selection": 0}
    a = demography.entrants(np.random.default_rng(6), regions, world, off, 0, world.infrastructure, 0.1)
    b = demography.entrants(np.random.default_rng(6), regions, world, off, 0, world.infrastructure, 0.4)
    assert np.array_equal(a.comp, b.comp), "with selection off, entry ignores conditions"


def test_gibrat_growth_keeps_the_pareto_law_and_favours_exporters_and_gainers(firms, p):
    s, _ = firms
    rng = np.random.default_rng(7)
    standing = s.competitiveness() - p["survival_threshold"]
    s.home_margin = standing.copy()
    s.stage[:] = STRENGTHENING
    s.stage[:1000] = EXPORTING
    micro = np.mean(s.size[1000:] < 5)
    start = np.log(s.size).copy()
    for _ in range(40):
        demography.grow_firms(rng, s, standing, p)
    assert np.all((s.size >= 1.0) & (s.size < 100.0))
    assert np.mean(s.size[1000:] < 5) == pytest.approx(micro, abs=0.03), "no drift in the size law"
    # Exporters grow faster (less than the premium x 40 quarters: the floor of one worker reflects shrinkers).
    assert (np.log(s.size[:1000]) - start[:1000]).mean() > (np.log(s.size[1000:]) - start[1000:]).mean() + 0.1
    # Imports take share: every firm's standing falls by the same amount, and every firm sheds workers at once.
    before = np.log(s.size).copy()
    demography.grow_firms(rng, s, standing - p["import_pressure"], {**p, "growth_volatility": 0.0})
    inside = (before > 0.5) & (before < 4.0)
    expected = -p["growth_competitiveness"] * p["import_pressure"] + p["exporter_growth"] * (s.stage >= EXPORTING)
    assert np.allclose((np.log(s.size) - before)[inside], expected[inside])


def test_lead_firms_are_a_ratio_of_smes_with_at_least_one(p):
    assert alliances.le_count({**p, "n_smes": 2000}) == 30
    assert alliances.le_count({**p, "n_smes": 8000}) == 120
    assert alliances.le_count({**p, "n_smes": 10}) == 1
    assert alliances.le_count({**p, "les_per_1000_smes": 0.0}) == 0


# The scenario a switch acts in, where the liberalization package does not use its mechanism.
ACTS_IN = {"fdi_deterrence": "alliances_on"}


def test_performance_requirements_cost_lead_firms_slots(p):
    n = 1000
    le = alliances.LEArrays(np.zeros(n, np.int64), np.arange(n) % 5 + 1, np.zeros(n), np.zeros(n), np.zeros(n))
    q = {**p, "requirement_deterrence": 0.25}
    for level in (1.0, 0.5, 0.2):
        kept = alliances.open_slots(le, level, q)
        assert np.all((kept >= np.floor(le.slots * (1 - 0.25 * level))) & (kept <= le.slots))
        # Whole slots, yet over the lead firms the share kept is what the parameter says.
        assert kept.sum() / le.slots.sum() == pytest.approx(1 - 0.25 * level, abs=0.005)
    np.testing.assert_array_equal(alliances.open_slots(le, 0.0, q), le.slots)
    np.testing.assert_array_equal(alliances.open_slots(le, 1.0, {**q, "fdi_deterrence": 0}), le.slots)
    np.testing.assert_array_equal(alliances.open_slots(le, 1.0, {**q, "requirement_deterrence": 1.0}), 0)


def test_overlap_screening_scales_how_far_coordination_skips_served_smes(p):
    stock = np.array([0.0, 5.0])
    for screen, weight in ((1.0, 1 - 0.8), (0.5, 1 - 0.4), (0.0, 1.0)):
        q = {**p, "coordination": 0.8, "overlap_screening": screen}
        np.testing.assert_allclose(support.overlap_weight(stock, support.screening(q)), [1.0, weight])


def test_a_centre_allocating_by_the_local_rule_reads_need_at_average_capacity(p):
    capacity = np.array([0.3, 0.6, 0.9])
    national = {**p, "central_need_allocation": 0}
    by_rule = {**p, "central_need_allocation": 1}
    assert not support.follows_need("national", national).any() and support.follows_need("national", by_rule).all()
    np.testing.assert_allclose(support.delivery_efficiency(capacity, "national", national), 0.6)
    np.testing.assert_allclose(support.delivery_efficiency(capacity, "national", by_rule), capacity)
    np.testing.assert_allclose(support.delivery_efficiency(capacity, "local", national), capacity)
    np.testing.assert_allclose(support.reading_capacity(capacity, "national", p), 0.6)
    np.testing.assert_allclose(support.reading_capacity(capacity, "local", p), capacity)
    np.testing.assert_allclose(support.reading_capacity(capacity, "local", {**p, "local_knowledge": 0}), 0.6)
    # With local capacity switched off, nobody delivers better than average, whatever allocates.
    np.testing.assert_allclose(support.delivery_efficiency(capacity, "national", {**by_rule, "local_capacity": 0}), 0.6)


@pytest.mark.parametrize("switch", [p.name for p in sim.REGISTRY.values() if p.group == "mechanisms"])
def test_every_mechanism_switch_changes_the_run_it_acts_in(switch):
    """A switch that changed nothing would make its ablation line meaningless."""
    pkg, params = arm(ACTS_IN.get(switch, "liberalization_with_support"))
    a = sim.run(pkg, seed=1, steps=16, regions=False, **{**params, "n_smes": 800})
    b = sim.run(pkg, seed=1, steps=16, regions=False, **{**params, "n_smes": 800, switch: 0})
    assert not a.timeseries.equals(b.timeseries), f"switching {switch} off changed nothing"
