"""The home market: shares among rivals and imports, imported inputs, and upgrading that pays with access.

Three channels through which a tariff cut reaches firms unevenly, each a
mechanism switch (docs/ODD.md 7.19-7.21):

- *Home-market shares* (``home_market_shares``): each region's home demand
  is shared among its firms and imports in proportion to each one's pull,
  its size times ``exp(theta * competitiveness)`` times the customer base it
  has built (a multinomial-logit demand; Anderson, de Palma & Thisse 1992).
  An exit frees demand for the rivals of its own region; an entrant starts
  with few customers and builds them (Foster, Haltiwanger & Syverson 2016);
  imports take share as tariffs fall.
- *Imported inputs* (``imported_inputs``): some firms buy part of their
  inputs abroad; a tariff cut lowers their costs in proportion to that share
  (Amiti & Konings 2007; :func:`simulation.mechanisms.trade.input_cost_saving`,
  which this module's margins and the export decision both read).
- *Upgrading that pays with access* (``access_upgrading``): a firm invests in
  its technology when the profit a step brings, over all the sales it makes
  at home and abroad, covers the step's cost, so the return rises with market
  access (Bustos 2011; Lileeva & Trefler 2010).

What a firm earns at home is measured as its *standing*: its competitiveness
over what its region's market requires, in units of competitiveness, so
that a firm of standing 0 just covers its fixed costs from home sales. A
firm's profit (home plus exports, less costs) sets its exit hazard
(:func:`profit_shortfall`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..stack import Stack, at, on, pick
from ..state import EXPORTING, C, RegionBlocks, SMEArrays
from .trade import ALL, continuation_cost, fast_pow

# Firms of the first quarter were in business long before it: they count as this old (quarters), past any
# customer build-up the registry allows (customer_build_up is at most this).
ESTABLISHED_AGE = 40


def customer_base(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Share of its eventual customers a firm has: a new firm starts with ``entrant_customers`` of them and
    builds the rest linearly over ``customer_build_up`` quarters (Foster, Haltiwanger & Syverson 2016: young
    plants' demand grows slowly); 1 for every firm with home-market shares switched off."""
    first = at(p, "entrant_customers", rows)
    base = first + (1.0 - first) * np.minimum(1.0, s.age[rows] / at(p, "customer_build_up", rows))
    on_ = at(p, "home_market_shares", rows)
    if isinstance(on_, np.ndarray):
        return np.where(on_ != 0, base, 1.0)
    return base if on_ else np.ones_like(base)


def customers_to_build(s: SMEArrays, p: Mapping) -> np.ndarray:
    """The part of each firm's home standing its missing customers take (units of competitiveness, <= 0)."""
    return np.log(customer_base(s, p)) / p["home_share_elasticity"]


def pull(s: SMEArrays, comp_index: np.ndarray, p: Mapping) -> np.ndarray:
    """Each firm's pull on its region's home demand, relative to a firm of one worker at the survival
    threshold with all its customers: size times ``exp(theta * (c - threshold))`` times its customer base."""
    theta = p["home_share_elasticity"]
    return s.size * np.exp(theta * (comp_index - p["survival_threshold"])) * customer_base(s, p)


@dataclass
class HomeMarket:
    """Each region's home market, per region of every run of a batch.

    ``opening`` is the total pull of the region's firms and imports in the first quarter (imports then
    ``import_penetration`` of it); ``imports0`` the imports' pull then.
    """

    opening: np.ndarray
    imports0: np.ndarray

    @classmethod
    def open(cls, s: SMEArrays, comp_index: np.ndarray, p: Mapping, blocks: RegionBlocks,
             stack: Stack) -> HomeMarket:
        """The markets as the first quarter finds them (before the warm-up)."""
        firms = blocks.sum(pull(s, comp_index, p))
        m0 = on(p, "import_penetration", stack.run_of_region)
        opening = firms / (1.0 - m0)
        return cls(opening, m0 * opening)

    def requirement(self, s: SMEArrays, comp_index: np.ndarray, p: Mapping, blocks: RegionBlocks,
                    stack: Stack, tariff_cut: np.ndarray) -> np.ndarray:
        """Competitiveness each region's market requires of a firm to cover its fixed costs, per region.

        With shares, the threshold moves with the region's total pull: rivals' growth and gains in
        competitiveness raise it, exits lower it, and a tariff cut lets imports in, which add
        ``exp(theta * import_pressure * cut) - 1`` of the opening pull (so at the opening market the
        requirement rises by ``import_pressure`` per unit of cut). Without shares, only imports move it.
        """
        runs = stack.run_of_region
        theta = on(p, "home_share_elasticity", runs)
        threshold = on(p, "survival_threshold", runs)
        cut = np.asarray(tariff_cut, float)
        pressure = np.where(np.asarray(on(p, "import_competition", runs)) != 0,
                            on(p, "import_pressure", runs) * cut, 0.0)
        imports = self.imports0 + self.opening * np.expm1(theta * pressure)
        total = blocks.sum(pull(s, comp_index, p)) + imports
        shares = np.asarray(on(p, "home_market_shares", runs)) != 0
        total = np.where(shares, total, self.opening - self.imports0 + imports)
        return threshold + np.log(total / self.opening) / theta


def standing(s: SMEArrays, comp_index: np.ndarray, p: Mapping, required: np.ndarray, saving: np.ndarray,
             rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Home standing of the firms in ``rows`` (``comp_index``, ``required`` and ``saving`` given at those
    rows): the log of a firm's home gross margin over its fixed costs, in units of competitiveness (0: home
    sales just cover them).

    Competitiveness over its region's requirement, less what the customers it has yet to build cost it,
    plus what cheaper imported inputs add to its margin (``home_gross_margin`` of sales before the cut).
    """
    theta = at(p, "home_share_elasticity", rows)
    return (comp_index - required
            + (np.log(customer_base(s, p, rows)) + np.log1p(saving / at(p, "home_gross_margin", rows))) / theta)


def fixed_cost(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Quarterly fixed cost of each firm (kUSD): the gross margin a firm at the survival threshold earns on
    its home sales at the opening market (``home_gross_margin`` of ``home_sales_per_worker``, per worker)."""
    return at(p, "home_gross_margin", rows) * at(p, "home_sales_per_worker", rows) * s.size[rows]


def home_sales(s: SMEArrays, home_standing: np.ndarray, saving: np.ndarray, p: Mapping,
               rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Quarterly home-market sales of the SMEs in ``rows`` (kUSD; standing and saving given at those rows):
    their fixed costs over the gross margin, scaled by their standing."""
    margin = at(p, "home_gross_margin", rows)
    return (fixed_cost(s, p, rows) / margin * np.exp(at(p, "home_share_elasticity", rows) * home_standing)
            / (1.0 + saving / margin))


def foreign_operating_profit(sales: np.ndarray, p: Mapping, saving: np.ndarray) -> np.ndarray:
    """Quarterly foreign operating profit of each SME (kUSD; 0 for non-exporters): ``export_margin_rate`` of
    its export sales, raised by its input-cost saving relative to its gross margin (as in
    :func:`simulation.mechanisms.trade.foreign_profit`)."""
    return sales * p["export_margin_rate"] * (1.0 + saving / p["home_gross_margin"])


def foreign_net(s: SMEArrays, operating: np.ndarray, p: Mapping) -> np.ndarray:
    """Foreign operating profit net of the cost of staying abroad (kUSD): direct exporters pay the
    continuation cost; suppliers of a lead firm sell through it."""
    direct = np.flatnonzero(s.stage == EXPORTING)
    out = operating.copy()
    out[direct] -= continuation_cost(s, p, direct)
    return out


def profit_shortfall(s: SMEArrays, home_standing: np.ndarray, foreign: np.ndarray, p: Mapping) -> np.ndarray:
    """How far each firm's total profit (home plus exports, less costs) falls short of covering its fixed
    costs, in units of competitiveness (0 when it covers them; at most 1).

    For a firm without exports this is minus its home standing; foreign profit adds to its margin.
    """
    theta = p["home_share_elasticity"]
    ratio = np.exp(theta * home_standing)
    exporting = np.flatnonzero(foreign)
    if len(exporting):
        ratio[exporting] += foreign[exporting] / fixed_cost(s, p, exporting)
    return np.minimum(np.maximum(-np.log(np.maximum(ratio, 1e-12)) / theta, 0.0), 1.0)


def competitiveness_return(s: SMEArrays, comp_index: np.ndarray, cap: np.ndarray, p: Mapping,
                           home: np.ndarray, saving: np.ndarray, foreign_profit: np.ndarray,
                           rho: float | np.ndarray) -> np.ndarray:
    """Quarterly profit a unit of competitiveness adds to each firm (kUSD), over all the sales it makes.

    At home: ``theta`` times its home gross margin. Abroad (exporters and suppliers): the capability
    elasticity times its foreign operating profit times the share of capability competitiveness carries
    (for the CES join, ``0.5 (c / cap)^rho / c``). So the return rises with market access: with home sales,
    with exports, and with whatever raises foreign margins (Bustos 2011).
    """
    theta = p["home_share_elasticity"]
    out = theta * (p["home_gross_margin"] + saving) * home
    rows = np.flatnonzero(foreign_profit > 0.0)
    if len(rows):
        c = np.maximum(comp_index[rows], 0.01)
        r = pick(rho, rows)
        share = 0.5 * _ratio_pow(c / np.maximum(cap[rows], 1e-9), r) / c
        out[rows] += at(p, "capability_elasticity", rows) * foreign_profit[rows] * share
    return out


def _ratio_pow(x: np.ndarray, rho: float | np.ndarray) -> np.ndarray:
    if isinstance(rho, np.ndarray):
        out = np.empty(len(x))
        for v in np.unique(rho):
            w = rho == v
            out[w] = fast_pow(x[w], v.item())
        return out
    return fast_pow(x, rho)


def upgrade(s: SMEArrays, marginal_return: np.ndarray, p: Mapping) -> np.ndarray:
    """Firms invest in their technology where a step pays; returns the rows that upgraded.

    A step raises the technology component by ``upgrade_step`` of its distance to the frontier (and the
    index by a fifth of that); it pays when the profit it adds, as the firm judges it (its judgement error),
    covers its cost, ``upgrade_cost`` per worker per quarter (amortized). The step fades like any
    competitiveness gain, so only firms whose access keeps paying keep the level up.
    """
    on_ = p["access_upgrading"]
    if not isinstance(on_, np.ndarray) and not on_:
        return np.empty(0, np.int64)
    tech = s.comp[C["technology"]]
    step = p["upgrade_step"] * (1.0 - tech)
    gain = marginal_return * (0.2 * step) * np.exp(s.error)
    pays = gain > p["upgrade_cost"] * s.size
    if isinstance(on_, np.ndarray):
        pays &= on_ != 0
    rows = np.flatnonzero(pays)
    tech[rows] += pick(step, rows)
    return rows
