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
from .trade import ALL, continuation_cost, fast_pow, margin_gain

# Firms of the first quarter were in business long before it: they count as this old (quarters), past any
# customer build-up the registry allows (customer_build_up is at most this).
ESTABLISHED_AGE = 40


def customer_base(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Share of its eventual customers a firm has: a new firm starts with ``entrant_customers`` of them and
    builds the rest linearly over ``customer_build_up`` quarters (Foster, Haltiwanger & Syverson 2016: young
    plants' demand grows slowly); 1 for every firm with home-market shares switched off."""
    age = s.age[rows]
    build = at(p, "customer_build_up", rows)
    young = age < build
    on_ = at(p, "home_market_shares", rows)
    if isinstance(on_, np.ndarray):
        young &= on_ != 0
    elif not on_:
        young[:] = False
    base = np.ones(len(age))
    y = np.flatnonzero(young)  # only young firms are still building (most rows are not)
    first = pick(at(p, "entrant_customers", rows), y)
    base[y] = first + (1.0 - first) * age[y] / pick(build, y)
    return base


def customers_to_build(s: SMEArrays, p: Mapping, base: np.ndarray | None = None,
                       rows: np.ndarray | slice = ALL) -> np.ndarray:
    """The part of the home standing of the firms in ``rows`` their missing customers take (units of
    competitiveness, <= 0); ``base`` is their :func:`customer_base`, if already computed."""
    base = customer_base(s, p, rows) if base is None else base
    out = np.zeros(len(base))
    y = np.flatnonzero(base < 1.0)
    out[y] = np.log(base[y]) / pick(at(p, "home_share_elasticity", rows), y)
    return out


def relative_sales(comp_index: np.ndarray, p: Mapping) -> np.ndarray:
    """Home sales per worker relative to a firm at the survival threshold with all its customers, before
    rivals and imports: ``exp(theta * (c - threshold))``."""
    return np.exp(p["home_share_elasticity"] * (comp_index - p["survival_threshold"]))


def pull(s: SMEArrays, comp_index: np.ndarray, p: Mapping) -> np.ndarray:
    """Each firm's pull on its region's home demand, relative to a firm of one worker at the survival
    threshold with all its customers: size times ``exp(theta * (c - threshold))`` times its customer base."""
    return s.size * relative_sales(comp_index, p) * customer_base(s, p)


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
        opening = np.where(firms > 0, firms / (1.0 - m0), 1.0)  # a region without firms: any scale will do
        return cls(opening, m0 * opening)

    def requirement(self, s: SMEArrays, comp_index: np.ndarray, p: Mapping, blocks: RegionBlocks,
                    stack: Stack, tariff_cut: np.ndarray) -> np.ndarray:
        """Competitiveness each region's market requires of a firm to cover its fixed costs, per region.

        With shares, the threshold moves with the region's total pull: rivals' growth and gains in
        competitiveness raise it, exits lower it, and a tariff cut lets imports in, which add
        ``exp(theta * import_pressure * cut) - 1`` of the opening pull (so at the opening market the
        requirement rises by ``import_pressure`` per unit of cut). Without shares, only imports move it.
        """
        return self.quarter(s, comp_index, p, blocks, stack, tariff_cut, 0.0)[0]

    def _crowding(self, firms: np.ndarray, p: Mapping, stack: Stack, tariff_cut: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Per region, from the firms' total pull: the requirement, and the opening pull over today's total
        (what each unit of a firm's pull sells, relative to the opening market)."""
        runs = stack.run_of_region
        theta = on(p, "home_share_elasticity", runs)
        cut = np.asarray(tariff_cut, float)
        pressure = np.where(np.asarray(on(p, "import_competition", runs)) != 0,
                            on(p, "import_pressure", runs) * cut, 0.0)
        imports = self.imports0 + self.opening * np.expm1(theta * pressure)
        shares = np.asarray(on(p, "home_market_shares", runs)) != 0
        total = np.where(shares, firms, self.opening - self.imports0) + imports
        total = np.where(total > 0, total, self.opening)  # only a region without firms can have none
        return on(p, "survival_threshold", runs) + np.log(total / self.opening) / theta, self.opening / total

    def quarter(self, s: SMEArrays, comp_index: np.ndarray, p: Mapping, blocks: RegionBlocks, stack: Stack,
                tariff_cut: np.ndarray, saving: np.ndarray | float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This quarter's market, computed once for every firm: each region's requirement; each firm's
        standing net of the customers it has yet to build (what its employment follows); and its
        :func:`cover`, ``exp(theta * standing)`` (the same as :func:`standing` gives, without a log and an exp
        per firm)."""
        home_cover = relative_sales(comp_index, p)
        home_cover *= customer_base(s, p)
        required, crowding = self._crowding(blocks.sum(s.size * home_cover), p, stack, tariff_cut)
        net = comp_index - blocks.spread(required)
        home_cover *= blocks.spread(crowding)
        if np.any(saving):
            gain = margin_gain(saving, p)
            net += np.log(gain) / p["home_share_elasticity"]
            home_cover *= gain
        return required, net, home_cover


def standing(s: SMEArrays, comp_index: np.ndarray, p: Mapping, required: np.ndarray, saving: np.ndarray | float,
             rows: np.ndarray | slice = ALL, base: np.ndarray | None = None) -> np.ndarray:
    """Home standing of the firms in ``rows`` (``comp_index``, ``required`` and ``saving`` given at those
    rows): the log of a firm's home gross margin over its fixed costs, in units of competitiveness (0: home
    sales just cover them).

    Competitiveness over its region's requirement, less what the customers it has yet to build cost it,
    plus what cheaper imported inputs add to its margin (``home_gross_margin`` of sales before the cut).
    """
    theta = at(p, "home_share_elasticity", rows)
    base = customer_base(s, p, rows) if base is None else base
    out = comp_index - required + np.log(base) / theta
    if np.any(saving):
        out += np.log1p(saving / at(p, "home_gross_margin", rows)) / theta
    return out


def fixed_cost(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Quarterly fixed cost of each firm (kUSD): the gross margin a firm at the survival threshold earns on
    its home sales at the opening market (``home_gross_margin`` of ``home_sales_per_worker``, per worker)."""
    return at(p, "home_gross_margin", rows) * at(p, "home_sales_per_worker", rows) * s.size[rows]


def cover(home_standing: np.ndarray, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """How many times each firm's home gross margin covers its fixed costs: ``exp(theta * standing)``."""
    return np.exp(at(p, "home_share_elasticity", rows) * home_standing)


def home_sales(s: SMEArrays, home_cover: np.ndarray, saving: np.ndarray | float, p: Mapping,
               rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Quarterly home-market sales of the SMEs in ``rows`` (kUSD; their :func:`cover` and saving given at
    those rows): their fixed costs over the gross margin, scaled by how far their margin covers them."""
    out = at(p, "home_sales_per_worker", rows) * s.size[rows] * home_cover
    if np.any(saving):
        out /= margin_gain(saving, p, rows)
    return out


def foreign_operating_profit(sales: np.ndarray, p: Mapping, saving: np.ndarray) -> np.ndarray:
    """Quarterly foreign operating profit of each SME (kUSD; 0 for non-exporters): ``export_margin_rate`` of
    its export sales, raised by its input-cost saving relative to its gross margin (as in
    :func:`simulation.mechanisms.trade.foreign_profit`)."""
    return sales * p["export_margin_rate"] * margin_gain(saving, p)


def foreign_net(s: SMEArrays, operating: np.ndarray, p: Mapping) -> np.ndarray:
    """Foreign operating profit net of the cost of staying abroad (kUSD): direct exporters pay the
    continuation cost; suppliers of a lead firm sell through it."""
    direct = np.flatnonzero(s.stage == EXPORTING)
    out = operating.copy()
    out[direct] -= continuation_cost(s, p, direct)
    return out


def profit_shortfall(s: SMEArrays, home_cover: np.ndarray, foreign: np.ndarray, p: Mapping) -> np.ndarray:
    """How far each firm's total profit (home plus exports, less costs) falls short of covering its fixed
    costs, in units of competitiveness (0 when it covers them; at most 1). ``home_cover`` is
    :func:`cover` of the firm's standing.

    For a firm without exports this is minus its home standing; foreign profit adds to its margin.
    """
    ratio = home_cover.copy()
    exporting = np.flatnonzero(foreign)
    if len(exporting):
        ratio[exporting] += foreign[exporting] / fixed_cost(s, p, exporting)
    out = np.zeros(len(ratio))
    short = np.flatnonzero(ratio < 1.0)  # only firms that do not cover their costs
    theta = pick(p["home_share_elasticity"], short)
    out[short] = np.minimum(-np.log(np.maximum(ratio[short], 1e-12)) / theta, 1.0)
    return out


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
        share = 0.5 * fast_pow(c / np.maximum(cap[rows], 1e-9), r) / c
        out[rows] += at(p, "capability_elasticity", rows) * foreign_profit[rows] * share
    return out


def upgrade(s: SMEArrays, marginal_return: np.ndarray, p: Mapping, judgement: np.ndarray | None = None
            ) -> np.ndarray:
    """Firms invest in their technology where a step pays; returns the rows that upgraded.

    A step raises the technology component by ``upgrade_step`` of its distance to the frontier (and the
    index by a fifth of that); it pays when the profit it adds, as the firm judges it (its judgement error),
    covers its cost, ``upgrade_cost`` per worker per quarter (amortized). The step fades like any
    competitiveness gain, so only firms whose access keeps paying keep the level up. ``judgement`` is
    ``exp(error)``, if already computed this quarter.
    """
    on_ = p["access_upgrading"]
    if not isinstance(on_, np.ndarray) and not on_:
        return np.empty(0, np.int64)
    tech = s.comp[C["technology"]]
    step = p["upgrade_step"] * (1.0 - tech)
    gain = marginal_return * (0.2 * step)
    gain *= np.exp(s.error) if judgement is None else judgement
    pays = gain > p["upgrade_cost"] * s.size
    if isinstance(on_, np.ndarray):
        pays &= on_ != 0
    rows = np.flatnonzero(pays)
    tech[rows] += pick(step, rows)
    return rows
