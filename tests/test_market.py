"""The trade channels of the home market (simulation/mechanisms/market.py), each uneven as its theory says.

- Imported inputs: a tariff cut lowers costs in proportion to a firm's imported share (none for a firm that
  buys at home), so it raises the margins of import-intensive firms most.
- Home-market shares: an exit frees demand for the rivals of its own region and for no one else; an entrant
  takes share; imports take share as tariffs fall.
- Upgrading: the return to a competitiveness gain rises with the firm's market access (home sales, exports,
  foreign margins), so exporters upgrade more than firms of the same competitiveness that sell at home.
- Exit reads profit: foreign profit covers what home sales leave uncovered.

No channel is a uniform multiplier: each test compares firms the channel treats differently.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import draw_firms

import simulation as sim
from simulation.mechanisms import market, trade
from simulation.params import resolve
from simulation.scenario import load
from simulation.stack import Stack
from simulation.state import EXPORTING, STRENGTHENING, C, RegionBlocks


@pytest.fixture
def p():
    return resolve()


@pytest.fixture
def economy(p):
    """4,000 established firms in 10 regions, their market opened at the current state."""
    s, world = draw_firms(p, 4000, seed=3)
    s.age[:] = market.ESTABLISHED_AGE
    s.stage[:] = STRENGTHENING
    blocks = RegionBlocks(s.region, world.n_regions)
    stack = Stack.single(s.n, world.n_regions)
    comp = s.competitiveness()
    return s, comp, blocks, stack, market.HomeMarket.open(s, comp, p, blocks, stack)


def _home_sales(s, comp, blocks, stack, home, p, cut=0.0):
    required = blocks.spread(home.requirement(s, comp, p, blocks, stack, np.full(blocks.n_regions, cut)))
    saving = trade.input_cost_saving(s, p, cut)
    sales = market.home_sales(s, market.cover(market.standing(s, comp, p, required, saving), p), saving, p)
    # The engine's one-pass market gives the same sales.
    _, _, home_cover = home.quarter(s, comp, p, blocks, stack, np.full(blocks.n_regions, cut), saving)
    np.testing.assert_allclose(market.home_sales(s, home_cover, saving, p), sales, rtol=1e-12)
    return sales


# --- imported inputs ---------------------------------------------------------------------------------------

def test_a_tariff_cut_lowers_costs_in_proportion_to_imported_inputs(economy, p):
    s = economy[0]
    saving = trade.input_cost_saving(s, p, 1.0)
    importers = s.import_intensity > 0
    assert 0.1 < importers.mean() < 0.4, "a minority of firms import inputs"
    assert np.all(saving[~importers] == 0.0), "a firm that buys at home saves nothing"
    tau = p["input_tariff"]
    assert np.allclose(saving, s.import_intensity * tau / (1 + tau))
    assert np.std(saving[importers]) > 0.2 * np.mean(saving[importers]), "the saving varies across importers"
    assert trade.input_cost_saving(s, {**p, "imported_inputs": 0}, 1.0) == 0.0
    assert trade.input_cost_saving(s, p, 0.0) == 0.0, "no cut, no saving"


def test_cheaper_inputs_raise_the_margins_of_import_intensive_firms_most(economy, p):
    s, comp = economy[:2]
    cap = trade.capability(comp, s.connectivity(), p["ces_rho"])
    flat = {**p, "liberalization_export_gain": 0.0}  # leave only the input channel
    abroad = trade.foreign_profit(s, cap, flat, 1.0) / trade.foreign_profit(s, cap, flat, 0.0)
    importers = s.import_intensity > 0
    assert np.allclose(abroad[~importers], 1.0)
    intensive = s.import_intensity > np.median(s.import_intensity[importers])
    assert abroad[intensive].min() > abroad[importers & ~intensive].max()
    # At home too: the standing of an importer rises with its imported share, a non-importer's not at all.
    saving = trade.input_cost_saving(s, p, 1.0)
    gain = market.standing(s, comp, p, np.zeros(s.n), saving) - market.standing(s, comp, p, np.zeros(s.n),
                                                                                    np.zeros(s.n))
    assert np.all(gain[~importers] == 0.0)
    order = np.argsort(s.import_intensity[importers])
    assert np.all(np.diff(gain[importers][order]) >= 0)


# --- home-market shares -----------------------------------------------------------------------------------

def test_an_exit_frees_demand_for_the_rivals_of_its_own_region_only(economy, p):
    s, comp, blocks, stack, home = economy
    before = _home_sales(s, comp, blocks, stack, home, p)
    big = int(np.argmax(s.size * (s.region == 3)))  # the largest firm of region 3 closes: its pull is gone
    s.size[big] = 1e-12
    after = _home_sales(s, comp, blocks, stack, home, p)
    rivals = (s.region == 3) & (np.arange(s.n) != big)
    assert np.all(after[rivals] > before[rivals])
    assert np.allclose(after[s.region != 3], before[s.region != 3], rtol=1e-12), "other regions are untouched"
    # Without shares a firm's home sales ignore its rivals.
    off = {**p, "home_market_shares": 0}
    s.size[big] = 50.0
    with_rival = _home_sales(s, comp, blocks, stack, home, off)
    s.size[big] = 1e-12
    assert np.allclose(_home_sales(s, comp, blocks, stack, home, off)[rivals], with_rival[rivals])


def test_an_entrant_takes_share_as_it_builds_customers(economy, p):
    s, comp, blocks, stack, home = economy
    row = int(np.flatnonzero(s.region == 5)[0])
    rivals = (s.region == 5) & (np.arange(s.n) != row)
    sales = []
    for age in (0, 4, 8, 20):
        s.age[row] = age
        sales.append(_home_sales(s, comp, blocks, stack, home, p))
    own = [x[row] for x in sales]
    assert own[0] < own[1] < own[2] == pytest.approx(own[3]), "customers build over customer_build_up quarters"
    # It starts with entrant_customers of its customers (a little more in sales: its own pull is part of the
    # region's total, so fewer customers also means a smaller total to share).
    assert own[0] / own[2] == pytest.approx(p["entrant_customers"], rel=0.005)
    assert np.all(sales[0][rivals] > sales[2][rivals]), "rivals lose what the entrant builds"


def test_imports_take_share_as_tariffs_fall(economy, p):
    s, comp, blocks, stack, home = economy
    closed = _home_sales(s, comp, blocks, stack, home, {**p, "imported_inputs": 0})
    opened = _home_sales(s, comp, blocks, stack, home, {**p, "imported_inputs": 0}, cut=1.0)
    assert np.allclose(opened / closed, np.exp(-p["home_share_elasticity"] * p["import_pressure"]))
    required = home.requirement(s, comp, p, blocks, stack, np.full(blocks.n_regions, 1.0))
    assert np.allclose(required, p["survival_threshold"] + p["import_pressure"]), \
        "at the opening market, the requirement rises by import_pressure per unit of cut"


def test_rivals_that_gain_competitiveness_raise_what_the_market_requires(economy, p):
    s, comp, blocks, stack, home = economy
    base = home.requirement(s, comp, p, blocks, stack, np.zeros(blocks.n_regions))
    stronger = comp + np.where(s.region == 2, 0.05, 0.0)
    moved = home.requirement(s, stronger, p, blocks, stack, np.zeros(blocks.n_regions))
    assert moved[2] > base[2] + 0.02 and np.allclose(np.delete(moved, 2), np.delete(base, 2))
    off = home.requirement(s, stronger, {**p, "home_market_shares": 0}, blocks, stack, np.zeros(blocks.n_regions))
    assert np.allclose(off, p["survival_threshold"])


# --- exit on profit ---------------------------------------------------------------------------------------

def test_exit_reads_profit_home_plus_exports_less_costs(economy, p):
    s = economy[0]
    home_cover = market.cover(np.full(s.n, -0.1), p)
    home_only = market.profit_shortfall(s, home_cover, np.zeros(s.n), p)
    assert np.allclose(home_only, 0.1)
    covering = market.fixed_cost(s, p) * (1.0 - home_cover)
    assert np.allclose(market.profit_shortfall(s, home_cover, covering, p), 0.0, atol=1e-12), \
        "foreign profit that covers the gap removes the shortfall"
    half = market.profit_shortfall(s, home_cover, 0.5 * covering, p)
    assert np.all((half > 0.0) & (half < home_only))
    # Direct exporters pay to stay abroad; suppliers of a lead firm sell through it.
    s.stage[:10] = EXPORTING
    net = market.foreign_net(s, np.ones(s.n), p)
    assert np.all(net[:10] < 1.0) and np.all(net[10:] == 1.0)


# --- upgrading that pays with access ----------------------------------------------------------------------

def _returns(s, comp, p, home, abroad, saving=None):
    cap = trade.capability(comp, s.connectivity(), p["ces_rho"])
    saving = np.zeros(s.n) if saving is None else saving
    return market.competitiveness_return(s, comp, cap, p, home, saving, abroad, trade.ces_exponent(p))


def test_the_return_to_competitiveness_rises_with_market_access(economy, p):
    s, comp, blocks, stack, home = economy
    sales = _home_sales(s, comp, blocks, stack, home, p)
    none = _returns(s, comp, p, sales, np.zeros(s.n))
    abroad = _returns(s, comp, p, sales, 0.3 * s.size)
    more_abroad = _returns(s, comp, p, sales, 0.6 * s.size)
    assert np.all(abroad > none) and np.all(more_abroad > abroad), "exports raise the return"
    assert np.all(_returns(s, comp, p, 2.0 * sales, np.zeros(s.n)) > none), "so do home sales"
    # Access shared by firms of equal competitiveness: the one with more sales gains more from a step.
    assert np.allclose(_returns(s, comp, p, 2.0 * sales, np.zeros(s.n)), 2.0 * none)


def test_exporters_upgrade_more_and_nobody_with_the_switch_off(economy, p):
    s, comp, blocks, stack, home = economy
    s.error[:] = 0.0
    sales = _home_sales(s, comp, blocks, stack, home, p)
    exporter_profit = 0.5 * s.size  # a foreign operating profit of 0.5 kUSD per worker
    tech = s.comp[C["technology"]].copy()
    up_home = market.upgrade(s, _returns(s, comp, p, sales, np.zeros(s.n)), p)
    s.comp[C["technology"]] = tech
    up_both = market.upgrade(s, _returns(s, comp, p, sales, exporter_profit), p)
    assert set(up_home) < set(up_both), "every firm that upgrades selling at home also upgrades exporting"
    assert np.all(s.comp[C["technology"], up_both] > tech[up_both])
    s.comp[C["technology"]] = tech
    assert len(market.upgrade(s, _returns(s, comp, p, sales, exporter_profit), {**p, "access_upgrading": 0})) == 0
    assert np.array_equal(s.comp[C["technology"]], tech)


def test_in_a_run_exporters_upgrade_more_often_than_other_firms():
    calls = []
    original = market.upgrade

    def watch(s, marginal_return, p, judgement=None):
        rows = original(s, marginal_return, p, judgement)
        chose = np.zeros(s.n, bool)
        chose[rows] = True
        exporting = s.stage >= EXPORTING
        calls.append((chose[exporting].mean(), chose[~exporting].mean()))
        return rows

    market.upgrade = watch
    try:
        sim.run(seed=4, steps=12, n_smes=1500)
    finally:
        market.upgrade = original
    rates = np.array(calls)
    assert rates[:, 0].mean() > 2 * rates[:, 1].mean() > 0


# --- the channels in a run ----------------------------------------------------------------------------------

@pytest.mark.parametrize("switch", ["home_market_shares", "imported_inputs", "access_upgrading"])
def test_each_channel_changes_a_liberalized_run_and_its_switch_removes_it(switch):
    pkg = load("liberalization_only").package  # the tariff cut from quarter 12
    on = sim.run(pkg, seed=3, steps=20, n_smes=800).timeseries.set_index("step")
    off = sim.run(pkg, seed=3, steps=20, n_smes=800, **{switch: 0}).timeseries.set_index("step")
    assert not on.loc[13:, "home_sales"].equals(off.loc[13:, "home_sales"])
    if switch == "imported_inputs":  # it acts only through the cut
        assert on.loc[:12].equals(off.loc[:12])


def test_regions_without_firms_are_quiet():
    """A small economy over many regions leaves some empty; their market must not warn or reach any firm."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = sim.run(seed=1, steps=4, n_smes=12, n_regions=40, import_penetration=0.0)
    assert res.timeseries["home_sales"].notna().all()

