"""Trade: export capability, sunk-cost export entry and exit, born-global leaps, export sales.

Export entry follows the sunk-cost logic of Roberts & Tybout (1997) and
Melitz (2003): an SME enters when the expected foreign profit its
competitiveness and connectivity support covers an entry cost set by its
knowledge, procedure and resource barriers (Arteaga-Ortiz & Fernandez-Ortiz
2010); once in, it learns its foreign demand and stays while profit covers
the (lower) continuation cost. Experience makes re-entry cheaper, and a firm
that has exported remembers its market. No stage or trait gates entry: the
knowledge barrier raises the cost continuously, awareness lowers it, and
entrepreneurial orientation lowers it too (born-global firms, Knight &
Cavusgil 2004).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..stack import at, grouped, normals, pick
from ..state import EXPORTING, STRENGTHENING, B, SMEArrays

_EPS = 1e-9
ALL = slice(None)


def fast_pow(x: np.ndarray, e: float | np.ndarray) -> np.ndarray:
    """``x ** e``, by multiplication for small whole and half exponents (np.power is slow).

    ``e`` may be per element (runs of a batch that differ): each value takes its own path.
    """
    if isinstance(e, np.ndarray):
        return grouped(fast_pow, x, e)
    if e == int(e) and abs(e) <= 4:
        k = int(abs(e))
        out = np.ones_like(x) if k == 0 else x.copy()
        for _ in range(k - 1):
            out *= x
        return 1.0 / out if e < 0 else out
    if e == 0.5:
        return np.sqrt(x)
    if e == -0.5:
        return 1.0 / np.sqrt(x)
    return np.power(x, e)


def ces_exponent(p: Mapping) -> float | np.ndarray:
    """The CES exponent in force: ``ces_rho``, or 1 (plain mean) with complementarity switched off."""
    on, rho = p["complementarity"], p["ces_rho"]
    if isinstance(on, np.ndarray) or isinstance(rho, np.ndarray):
        return np.where(np.asarray(on) != 0, rho, 1.0)
    return rho if on else 1.0


def capability(comp_index: np.ndarray, conn_index: np.ndarray, rho: float | np.ndarray) -> np.ndarray:
    """Export capability: a CES join of competitiveness and connectivity.

    With ``rho < 0`` the two are complements: raising one determinant alone
    saturates, and capability is zero when either is zero (no connectivity,
    no exports). ``rho = 0`` is the Cobb-Douglas limit, ``rho = 1`` the plain
    mean (perfect substitutes). ``rho`` may be per row (runs of a batch that differ).
    """
    if isinstance(rho, np.ndarray):  # each run's rows take the path a lone run would
        values = np.unique(rho)
        if len(values) == 1:
            return capability(comp_index, conn_index, values[0].item())
        out = np.empty(len(comp_index))
        for v in values:
            w = rho == v
            out[w] = capability(comp_index[w], conn_index[w], v.item())
        return out
    c = np.maximum(comp_index, 0.0)
    k = np.maximum(conn_index, 0.0)
    if abs(rho) < 1e-6:
        return np.sqrt(c * k)
    if rho < 0:
        zero = (c <= _EPS) | (k <= _EPS)
        c, k = np.maximum(c, _EPS), np.maximum(k, _EPS)
        out = fast_pow(0.5 * fast_pow(c, rho) + 0.5 * fast_pow(k, rho), 1.0 / rho)
        out[zero] = 0.0
        return out
    return fast_pow(0.5 * fast_pow(c, rho) + 0.5 * fast_pow(k, rho), 1.0 / rho)


def input_cost_saving(s: SMEArrays, p: Mapping, tariff_cut: float | np.ndarray,
                      rows: np.ndarray | slice = ALL) -> np.ndarray | float:
    """Fall in each firm's costs, as a share of its sales, when tariffs on imported inputs are cut.

    Imported inputs are ``import_intensity`` of a firm's sales (0 for firms that buy at home); cutting the
    input tariff ``input_tariff`` by the share ``tariff_cut`` lowers their price by
    ``input_tariff * tariff_cut / (1 + input_tariff)`` (Amiti & Konings 2007). Uneven by design: a firm that
    imports nothing gains nothing. The scalar 0 when nobody saves (no cut in force, or the switch off).
    """
    cut = pick(tariff_cut, rows)
    on = at(p, "imported_inputs", rows)
    if not np.any(cut) or not np.any(on):  # no cut in force yet (most quarters): nobody saves
        return 0.0
    tau = at(p, "input_tariff", rows)
    saving = s.import_intensity[rows] * (tau * cut / (1.0 + tau))
    return np.where(on != 0, saving, 0.0) if isinstance(on, np.ndarray) else saving


def margin_gain(saving: np.ndarray | float, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray | float:
    """The factor by which an input-cost saving raises a firm's gross margin on every sale:
    ``1 + saving / home_gross_margin`` (one margin on variable costs for all its sales)."""
    return 1.0 + saving / at(p, "home_gross_margin", rows)


def _sales_scale(s: SMEArrays, cap: np.ndarray, p: Mapping, tariff_cut: float | np.ndarray,
                 rows: np.ndarray | slice) -> np.ndarray:
    """Quarterly foreign operating profit at unit demand before any input-cost saving (kUSD)."""
    gain = 1.0 + at(p, "liberalization_export_gain", rows) * pick(tariff_cut, rows)
    return (at(p, "export_margin", rows) * gain * fast_pow(s.size[rows], at(p, "size_elasticity", rows))
            * fast_pow(cap[rows], at(p, "capability_elasticity", rows)))


def foreign_profit(s: SMEArrays, cap: np.ndarray, p: Mapping, tariff_cut: float,
                   rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Expected quarterly foreign operating profit at unit demand (kUSD), for ``rows``.

    Rises with capability and size; a tariff cut under economic integration
    raises margins abroad too, uniformly, and by the firm's own input-cost
    saving (:func:`input_cost_saving`) relative to its gross margin
    (:func:`margin_gain`).
    """
    scale = _sales_scale(s, cap, p, tariff_cut, rows)
    saving = input_cost_saving(s, p, tariff_cut, rows)
    if not np.any(saving):
        return scale
    return scale * margin_gain(saving, p, rows)


def demand_level(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """A firm's foreign demand: log-normal across firms with mean 1 and log-sd ``demand_uncertainty``."""
    sd = at(p, "demand_uncertainty", rows)
    return np.exp(sd * s.demand_x[rows] - 0.5 * sd * sd)


def expected_demand(s: SMEArrays, p: Mapping, rows: np.ndarray) -> np.ndarray:
    """The demand a firm counts on: its own once it knows it (it has exported, or met buyers), else the mean, 1."""
    return np.where(s.knows_demand[rows], demand_level(s, p, rows), 1.0)


def knowledge_friction(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """The knowledge barrier a firm still has to overcome to export, lowered by entrepreneurial orientation.

    A firm of full entrepreneurial orientation overcomes ``eo_knowledge_discount``
    of it (born globals learn foreign markets fast); there is no cutoff.
    """
    on = at(p, "knowledge_barrier", rows)
    if not isinstance(on, np.ndarray) and not on:
        return np.zeros(s.n)[rows]
    friction = s.barriers[B["knowledge"], rows] * (1.0 - at(p, "eo_knowledge_discount", rows) * s.eo[rows])
    return np.where(on != 0, friction, 0.0) if isinstance(on, np.ndarray) else friction


def entry_cost(s: SMEArrays, p: Mapping, red_tape: float, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Per-quarter sunk entry cost: resource and procedure barriers (less the red tape a reform has cut)
    plus the knowledge still to acquire, all cut by recent export experience."""
    procedure = s.barriers[B["procedure"], rows] * (1.0 - pick(red_tape, rows))
    barrier = (1.0 + procedure + s.barriers[B["resource"], rows]) / 3.0
    sunk = at(p, "entry_cost", rows) * barrier + at(p, "knowledge_cost", rows) * knowledge_friction(s, p, rows)
    return sunk * (1.0 - at(p, "experience_discount", rows) * s.experience[rows])


def continuation_cost(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Fixed cost of staying abroad, higher under exogenous barriers (foreign rules, exchange risk)."""
    return at(p, "continuation_cost", rows) * (0.5 + s.barriers[B["exogenous"], rows])


def update_beliefs(rng: np.random.Generator, demand_rng: np.random.Generator, s: SMEArrays, p: Mapping) -> None:
    """Judgement errors and foreign demand move on a quarter, both as stationary AR(1) processes in logs.

    A firm's error in judging its foreign profit persists (autocorrelation
    ``decision_persistence``), so optimism or pessimism lasts a few quarters:
    one normal per row each quarter, whatever the policy (common random
    numbers). A firm's foreign demand reverts slowly (``demand_drift``), so a
    firm that stops exporting keeps roughly the market it had; it moves only
    once the firm knows it (:func:`learn_demand`), since nothing reads it
    before.
    """
    z = normals(rng, s.n)
    phi = p["decision_persistence"]
    z *= np.sqrt(1.0 - phi * phi) * p["decision_noise"]
    s.error *= phi
    s.error += z
    keep = 1.0 - p["demand_drift"]
    known = np.flatnonzero(s.knows_demand & (keep < 1.0))  # a run with no drift draws nothing
    if len(known):
        k = pick(keep, known)
        s.demand_x[known] = k * s.demand_x[known] + np.sqrt(1.0 - k * k) * normals(demand_rng, known)


def learn_demand(rng: np.random.Generator, s: SMEArrays, rows: np.ndarray) -> None:
    """Firms in ``rows`` that did not yet know their foreign demand learn it (on exporting, joining a value
    chain, or meeting buyers abroad).

    Demand is drawn when first known, from the stationary law N(0, 1) of the
    standardized log demand: nothing reads it before, so this is the same as
    drawing it at birth and letting it drift unseen.
    """
    new = rows[~s.knows_demand[rows]]
    s.demand_x[new] = normals(rng, new)
    s.knows_demand[new] = True


def export_decisions(s: SMEArrays, cap: np.ndarray, p: Mapping, tariff_cut: float,
                     red_tape: float, judgement: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows entering and rows leaving direct exporting this quarter.

    Any SME not yet exporting may enter, from precondition (a born-global
    leap) or strengthening, when its judged foreign profit at the demand it
    counts on covers its entry cost; a firm with no capability never
    enters. A direct exporter leaves when its judged profit at its own demand
    no longer covers the continuation cost. GVC suppliers are carried by
    their lead firm and decide nothing here. ``judgement`` is ``exp(error)``,
    if already computed this quarter.
    """
    # Over all rows, masked after: most firms are candidates, and whole rows are cheaper than gathers.
    judged = foreign_profit(s, cap, p, tariff_cut) * (np.exp(s.error) if judgement is None else judgement)
    demand = demand_level(s, p)
    counted = np.where(s.knows_demand, demand, 1.0)
    enter = np.flatnonzero((s.stage <= STRENGTHENING) & (judged * counted > entry_cost(s, p, red_tape)))
    leave = np.flatnonzero((s.stage == EXPORTING) & (judged * demand < continuation_cost(s, p)))
    return enter, leave


def apply_export_moves(s: SMEArrays, enter: np.ndarray, leave: np.ndarray) -> None:
    """Move entrants to exporting (they learn their foreign demand first: :func:`learn_demand`) and leavers
    back to strengthening."""
    s.stage[enter] = EXPORTING
    s.ever_exported[enter] = True
    s.spell[enter] = 0
    s.stage[leave] = STRENGTHENING
    s.spell[leave] = 0


def update_experience(s: SMEArrays) -> None:
    """Export experience builds while exporting (directly or in a GVC) and fades after."""
    active = s.stage >= EXPORTING
    s.experience = np.where(active, s.experience + 0.25 * (1.0 - s.experience), 0.9 * s.experience)
    s.spell = np.where(active, s.spell + 1, 0)


def export_sales(s: SMEArrays, cap: np.ndarray, p: Mapping, tariff_cut: float) -> np.ndarray:
    """Quarterly export sales of each SME (kUSD; 0 for non-exporters): direct exporters and GVC suppliers.

    Sales are foreign operating profit at the firm's own demand (before any
    input-cost saving, which changes costs, not sales) over the operating
    margin on exports.
    """
    out = np.zeros(s.n)
    active = np.flatnonzero(s.stage >= EXPORTING)
    out[active] = (_sales_scale(s, cap, p, tariff_cut, active) * demand_level(s, p, active)
                   / at(p, "export_margin_rate", active))
    return out
