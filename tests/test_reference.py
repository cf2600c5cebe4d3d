"""The per-agent Mesa reference (benchmarks/reference_per_agent.py) and the engine are the same model.

They draw different random numbers, so they agree only in distribution.
Over 128 seeds of 400 SMEs each, for the main end-of-run outcomes, the test
asks both that a Welch t-test and a Kolmogorov-Smirnov test find no
difference at the 1% level (with fixed seeds the test is deterministic:
it cannot flicker), and that the means differ by less than 8% (a difference
a policy analyst would care about; the direction tests' effects are 15% and
more). The second condition keeps the test meaningful should the spread be
large enough for the first to miss a real bias.

Why 128 seeds: the noisiest outcome, export sales over the horizon (foreign
demand is log-normal with a log-sd near 1.8, so a few large exporters carry
much of it), varies by about 30% of its mean from seed to seed. With n seeds
per side the difference of two means then has a standard error of about
0.3 * sqrt(2 / n): 9% at 24 seeds, where the 8% condition would fail
between two identical models more than a third of the time; at 128 seeds
it is 4%, and 8% is two standard errors.

What it costs: one scenario is 128 reference runs (about 1 s each) and 128
engine runs (about 0.25 s each), some 3 CPU-minutes; the four scenarios
below take about 12 CPU-minutes on a shared two-core machine. The last two
each exercise a mechanism the others leave idle (performance requirements
deterring lead firms' slots, central allocation by need and capacity);
fewer seeds would break the 8% margin's reasoning above, so the seeds stay.
Overlap screening is checked rule by rule below instead: a twin that
ignored it still agreed in distribution on ``integrated_overlapping``, so a
distribution test of that scenario would cost 3 CPU-minutes and see
nothing. So are the home market, imported inputs, upgrading and exit, under
every setting of their switches, with and without a tariff cut (the
scenarios above run with all of them on, and only
``liberalization_with_support`` cuts tariffs, which import competition and
imported inputs need): each region's requirement, firms' standing, home
sales, the return to upgrading and who upgrades, the profit shortfall,
against the engine's own functions on the twin's state.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulation as sim
from simulation.mechanisms import demography, market, trade
from simulation.scenario import load
from simulation.stack import Stack
from simulation.state import STAGES, C, RegionBlocks, SMEArrays

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from reference_per_agent import ReferenceModel  # noqa: E402

SEEDS = range(128)
OUTCOMES = ("exporters", "gvc_participation", "exits", "new_exporters", "export_sales", "exporter_years",
            "lasting_entrants", "home_sales")
# The integrated package; with the tariff cut; with performance requirements, which cost lead firms supplier
# slots (fdi_deterrence); and run from the centre allocating by need and regional capacity
# (central_need_allocation).
SCENARIOS = ["integrated", "liberalization_with_support", "alliances_on", "centralized_by_capacity"]


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_reference_and_engine_agree_in_distribution(name):
    s = load(name)
    params = {**s.params, "n_smes": 400}
    ref = [ReferenceModel(s.package, seed=k, steps=s.steps, **params).run().summary() for k in SEEDS]
    eng = [sim.run(s.package, seed=k, steps=s.steps, regions=False, **params).summary for k in SEEDS]
    for out in OUTCOMES:
        a = np.array([r[out] for r in ref], dtype=float)
        b = np.array([e[out] for e in eng], dtype=float)
        welch = stats.ttest_ind(a, b, equal_var=False).pvalue
        ks = stats.ks_2samp(a, b).pvalue
        assert welch > 0.01 and ks > 0.01, f"{name} {out}: reference {a.mean():.4g}, engine {b.mean():.4g}, " \
                                          f"Welch p={welch:.3g}, KS p={ks:.3g}"
        assert abs(a.mean() - b.mean()) < 0.08 * abs(b.mean()), f"{name} {out}: means differ by more than 8%"


def test_reference_is_a_per_agent_mesa_model():
    s = load("integrated")
    m = ReferenceModel(s.package, seed=3, steps=2, **{**s.params, "n_smes": 300, "warmup_steps": 4})
    from reference_per_agent import SMEAgent
    assert len(m.agents_by_type[SMEAgent]) == 300
    m.run()
    assert len(m.agents_by_type[SMEAgent]) == 300 and len(m.rows) == 3
    assert m.summary()["export_sales"] > 0.0


def test_reference_rules_of_allocation_overlap_and_deterrence_are_the_engines():
    """The rules behind the last three scenarios, value for value on the same inputs, under every setting of
    their switches. The distribution test cannot see all of them: recipients screened for overlap or not
    move the outcomes by less than its margins."""
    from simulation.mechanisms import alliances, support
    from simulation.mechanisms.alliances import LEArrays

    s = load("centralized_by_capacity")
    m = ReferenceModel(s.package, seed=5, steps=2, **{**s.params, "n_smes": 300, "warmup_steps": 2})
    capacity = np.array(m.capacity)
    les = list(m.les)
    arrays = LEArrays(*(np.array([getattr(le, f) for le in les]) for f in
                        ("sector", "slots", "threshold", "base_openness", "openness")))
    smes = list(m.smes)
    for k, a in enumerate(smes):
        a.support = 0.1 * (k % 3)  # some not served, some served
    stock = np.array([a.support for a in smes])
    entries = {"national": s.package.entries[0], "local": load("integrated").package.entries[1]}
    assert all(e.deliverer == deliverer for deliverer, e in entries.items())
    for central in (0, 1):
        for local_capacity in (0, 1):
            for need_allocation in (0, 1):
                for coordination in (0.0, 0.7):
                    m.p.update(central_need_allocation=central, local_capacity=local_capacity,
                               need_allocation=need_allocation, coordination=coordination)
                    for deliverer, e in entries.items():
                        assert m._efficiency(e) == pytest.approx(
                            np.maximum(support.delivery_efficiency(capacity, deliverer, m.p), 1e-9))
                        for knowledge in (0, 1):
                            m.p["local_knowledge"] = knowledge
                            assert [m._reading_capacity(e, r) for r in range(len(capacity))] == pytest.approx(
                                support.reading_capacity(capacity, deliverer, m.p))
                        assert m._follows_need(e) == bool(support.follows_need(deliverer, m.p)[0])
    for screening in (0.0, 0.4, 1.0):
        m.p.update(coordination=0.9, overlap_screening=screening)
        assert [m._overlap_weight(a) for a in smes] == pytest.approx(
            support.overlap_weight(stock, support.screening(m.p)))
    for switch in (0, 1):
        for level in (0.0, 0.3, 0.6, 1.0):
            m.p.update(fdi_deterrence=switch, requirement_deterrence=0.4)
            m.requirement_level = level
            assert [le.kept_slots() for le in les] == alliances.open_slots(arrays, level, m.p).tolist()


def _as_arrays(smes) -> SMEArrays:
    """The engine's state arrays holding the twin's firms, one row per agent in the given order."""
    cols = {}
    for f in fields(SMEArrays):
        if f.name == "firm_id":
            v = np.arange(len(smes))
        elif f.name == "stage":
            v = np.array([STAGES.index(a.stage) for a in smes], np.int8)
        elif f.name == "partner":
            v = np.array([-1 if a.partner is None else 0 for a in smes], np.int64)
        else:
            v = np.array([getattr(a, f.name) for a in smes])
            v = v.T.copy() if v.ndim == 2 else v
        cols[f.name] = v
    return SMEArrays(**cols)


def test_reference_opens_the_home_market_as_the_engine_does():
    """Before any quarter: each region's opening pull and imports, and the first firms' standing there."""
    s = load("integrated")
    m = ReferenceModel(s.package, seed=2, steps=1, **{**s.params, "n_smes": 300, "warmup_steps": 0})
    smes = sorted(m.smes, key=lambda a: a.region)
    assert {a.age for a in smes} == {market.ESTABLISHED_AGE}
    arrays, n_regions = _as_arrays(smes), m.world.n_regions
    opened = market.HomeMarket.open(arrays, arrays.competitiveness(), m.p, RegionBlocks(arrays.region, n_regions),
                                    Stack.single(len(smes), n_regions))
    present = sorted(m.opening)
    assert [m.opening[r] for r in present] == pytest.approx(opened.opening[present], rel=1e-12)
    assert [m.imports0[r] for r in present] == pytest.approx(opened.imports0[present], rel=1e-12)
    standing = market.standing(arrays, arrays.competitiveness(), m.p, m.p["survival_threshold"], 0.0)
    assert [a.home_margin for a in smes] == pytest.approx(standing, abs=1e-12)
    assert [a.home_sales for a in smes] == pytest.approx(
        market.home_sales(arrays, market.cover(standing, m.p), 0.0, m.p), rel=1e-12)


def test_reference_rules_of_home_market_inputs_upgrading_and_exit_are_the_engines():
    """Step 5 of the quarter, rule by rule, value for value against the engine's functions on the twin's own
    state, under every setting of the four switches it reads, with and without a tariff cut: each region's
    requirement, input-cost savings, foreign profit and export sales, standing and what growth reads, home
    sales, foreign profit and its return, who upgrades and by how much, the profit shortfall and exit hazard,
    and an entrant's place in the market."""
    s = load("liberalization_with_support")
    m = ReferenceModel(s.package, seed=7, steps=1, **{**s.params, "n_smes": 300, "warmup_steps": 3})
    smes = sorted(m.smes, key=lambda a: a.region)  # the engine's rows are sorted by region
    n, n_regions = len(smes), m.world.n_regions
    blocks, stack = RegionBlocks(np.array([a.region for a in smes]), n_regions), Stack.single(n, n_regions)
    # The markets open on this state; then the state moves, so that rivals move each region's requirement.
    x = _as_arrays(smes)
    opened = market.HomeMarket.open(x, x.competitiveness(), m.p, blocks, stack)
    m._open_market()
    for k, a in enumerate(smes):  # firms building their customers, exporters and suppliers of every kind
        a.age = k % 13
        a.size *= 1.0 + 0.1 * (k % 3 - 1)
        if k % 7 == 0 or k % 11 == 0:
            a.stage = "exporting" if k % 7 == 0 else "gvc"
            a.learn_demand()
    start = [(list(a.comp), a.home_margin, a.age) for a in smes]
    switches = ("home_market_shares", "import_competition", "imported_inputs", "access_upgrading")
    upgraded_somewhere = False
    for setting in itertools.product((0, 1), repeat=len(switches)):
        for cut in (0.0, 0.6):
            for a, (comp, margin, age) in zip(smes, start):
                a.comp, a.home_margin, a.age = list(comp), margin, age
            m.p.update(zip(switches, setting), firm_growth=0)  # growth off: no draw, sizes stay
            m.tariff_cut = cut
            for a in smes:
                a.sell_abroad()
            x = _as_arrays(smes)
            p, comp = m.p, x.competitiveness()
            cap = trade.capability(comp, x.connectivity(), m.rho)
            saving = trade.input_cost_saving(x, p, cut)  # the scalar 0 when nobody saves
            required, net, home_cover = opened.quarter(x, comp, p, blocks, stack, np.full(n_regions, cut), saving)
            assert required == pytest.approx(opened.requirement(x, comp, p, blocks, stack, np.full(n_regions, cut)),
                                             abs=1e-12)
            m.required = m._requirements()
            present = sorted(m.required)
            assert [m.required[r] for r in present] == pytest.approx(required[present], abs=1e-12)
            moved = p["home_market_shares"] or (cut and p["import_competition"])  # rivals, or imports
            assert np.all(required[present] != p["survival_threshold"]) == bool(moved)
            assert [a.input_cost_saving() for a in smes] == pytest.approx(np.broadcast_to(saving, n), abs=1e-15)
            assert [a.foreign_profit() for a in smes] == pytest.approx(trade.foreign_profit(x, cap, p, cut), rel=1e-9)
            sales = trade.export_sales(x, cap, p, cut)
            assert [a.sales for a in smes] == pytest.approx(sales, rel=1e-9)

            standing = market.standing(x, comp, p, blocks.spread(required), saving)
            assert net == pytest.approx(standing - market.customers_to_build(x, p), abs=1e-12)
            assert home_cover == pytest.approx(market.cover(standing, p), rel=1e-12)
            demography.grow_firms(None, x, net, p)
            for a in smes:
                a.grow()
            assert [a.standing for a in smes] == pytest.approx(standing, abs=1e-12)
            assert [a.home_margin for a in smes] == pytest.approx(x.home_margin, abs=1e-12)

            home = market.home_sales(x, home_cover, saving, p)
            abroad = market.foreign_operating_profit(sales, p, saving)
            value = market.competitiveness_return(x, comp, cap, p, home, saving, abroad, m.rho)
            for a in smes:
                a.account()
            assert [a.home_sales for a in smes] == pytest.approx(home, rel=1e-9)
            assert [a.abroad for a in smes] == pytest.approx(abroad, rel=1e-9)
            assert [a.marginal_return() for a in smes] == pytest.approx(value, rel=1e-9)
            rows = market.upgrade(x, value, p)
            for a in smes:
                a.upgrade()
            tech = np.array([a.comp[C["technology"]] for a in smes])
            assert np.flatnonzero(tech > np.array([c[C["technology"]] for c, _, _ in start])).tolist() == rows.tolist()
            assert tech == pytest.approx(x.comp[C["technology"]], abs=1e-15)
            assert (len(rows) > 0) == bool(p["access_upgrading"]) and len(rows) < n
            upgraded_somewhere |= len(rows) > 0

            shortfall = market.profit_shortfall(x, home_cover, market.foreign_net(x, abroad, p), p)
            assert [a.shortfall() for a in smes] == pytest.approx(shortfall, abs=1e-12)
            assert [a.hazard() for a in smes] == pytest.approx(demography.exit_hazard(x, shortfall, p), abs=1e-12)
            assert 0 < np.count_nonzero(shortfall) < n

            # An entrant in each row: its first customers, its own saving, at its region's requirement.
            for a in smes:
                a.age = 0
                a.enter_market(m.required[a.region])
            x.age[:] = 0
            gone = np.arange(n)
            new_saving = trade.input_cost_saving(x, p, cut, gone)
            base = market.customer_base(x, p, gone)
            new_standing = market.standing(x, x.competitiveness(gone), p, required[x.region], new_saving, gone, base)
            assert [a.standing for a in smes] == pytest.approx(new_standing, abs=1e-12)
            assert [a.home_sales for a in smes] == pytest.approx(
                market.home_sales(x, market.cover(new_standing, p, gone), new_saving, p, gone), rel=1e-9)
            assert [a.home_margin for a in smes] == pytest.approx(
                new_standing - np.log(base) / p["home_share_elasticity"], abs=1e-12)
    assert upgraded_somewhere
