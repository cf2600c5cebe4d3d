"""Trade: export capability, sunk-cost export entry and exit, born-global leaps.

Export entry follows the sunk-cost logic of Roberts & Tybout (1997) and
Melitz (2003): an SME enters when the expected foreign profit its
competitiveness and connectivity support covers an entry cost set by its
procedure and resource barriers; once in, it learns its true foreign demand
and stays while profit covers the (lower) continuation cost. Experience makes
re-entry cheaper.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..state import EXPORTING, GVC, PRECONDITION, STRENGTHENING, B, SMEArrays

_EPS = 1e-9
# Export sales per unit of foreign operating profit (a 20% margin).
SALES_PER_PROFIT = 5.0


def capability(comp_index: np.ndarray, conn_index: np.ndarray, rho: float) -> np.ndarray:
    """Export capability: a CES join of competitiveness and connectivity.

    With ``rho < 0`` the two are complements: raising one determinant alone
    saturates, and capability is zero when either is zero (no connectivity,
    no exports). ``rho = 0`` is the Cobb-Douglas limit.
    """
    c = np.maximum(comp_index, 0.0)
    k = np.maximum(conn_index, 0.0)
    if abs(rho) < 1e-6:
        return np.sqrt(c * k)
    if rho < 0:
        zero = (c <= _EPS) | (k <= _EPS)
        c, k = np.maximum(c, _EPS), np.maximum(k, _EPS)
        out = (0.5 * c**rho + 0.5 * k**rho) ** (1.0 / rho)
        return np.where(zero, 0.0, out)
    return (0.5 * c**rho + 0.5 * k**rho) ** (1.0 / rho)


def capability_gradient(comp_index: np.ndarray, conn_index: np.ndarray, cap: np.ndarray,
                        rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Marginal capability of competitiveness and of connectivity (where support pays most)."""
    c = np.maximum(comp_index, _EPS)
    k = np.maximum(conn_index, _EPS)
    kk = np.maximum(cap, _EPS) ** (1.0 - rho)
    return 0.5 * c ** (rho - 1.0) * kk, 0.5 * k ** (rho - 1.0) * kk


def foreign_profit(s: SMEArrays, cap: np.ndarray, p: Mapping, tariff_cut: float) -> np.ndarray:
    """Expected quarterly foreign operating profit at unit demand (kUSD).

    Rises with capability and size; a tariff cut under economic integration
    raises margins abroad too.
    """
    gain = 1.0 + p["liberalization_export_gain"] * tariff_cut
    return p["export_margin"] * gain * s.size ** p["size_elasticity"] * cap ** p["capability_elasticity"]


def entry_cost(s: SMEArrays, p: Mapping) -> np.ndarray:
    """Per-quarter sunk entry cost: procedure and resource barriers, cut by recent experience."""
    barrier = (1.0 + s.barriers[:, B["procedure"]] + s.barriers[:, B["resource"]]) / 3.0
    return p["entry_cost"] * barrier * (1.0 - p["experience_discount"] * s.experience)


def continuation_cost(s: SMEArrays, p: Mapping) -> np.ndarray:
    """Fixed cost of staying abroad, higher under exogenous barriers (foreign rules, exchange risk)."""
    return p["continuation_cost"] * (0.5 + s.barriers[:, B["exogenous"]])


def may_attempt_entry(s: SMEArrays, p: Mapping) -> np.ndarray:
    """Who can try exporting: aware firms, and born-global firms even in precondition."""
    return (s.stage == STRENGTHENING) | ((s.stage == PRECONDITION) & (s.eo >= p["born_global_eo"]))


def export_decisions(rng: np.random.Generator, s: SMEArrays, cap: np.ndarray, p: Mapping,
                     tariff_cut: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows entering and rows leaving direct exporting this quarter, and the demand entrants discover.

    Each firm's view of its foreign profit carries a multiplicative
    expectation error (log-normal, sd ``decision_noise``), so a firm with no
    capability never enters. One error and one demand draw per row and
    quarter are taken whatever the policy, so paired runs share their luck
    (common random numbers). GVC suppliers are carried by their lead firm and
    decide nothing here.
    """
    error = np.exp(p["decision_noise"] * rng.standard_normal(s.n))
    sd = p["demand_uncertainty"]
    demand_draw = rng.lognormal(-0.5 * sd**2, sd, s.n)
    profit = foreign_profit(s, cap, p, tariff_cut) * error
    enter = may_attempt_entry(s, p) & (profit > entry_cost(s, p))
    leave = (s.stage == EXPORTING) & (profit * s.demand < continuation_cost(s, p))
    return np.flatnonzero(enter), np.flatnonzero(leave), demand_draw


def apply_export_moves(s: SMEArrays, enter: np.ndarray, leave: np.ndarray,
                       demand_draw: np.ndarray) -> None:
    """Move entrants to exporting (they discover their foreign demand) and leavers back to strengthening."""
    s.stage[enter] = EXPORTING
    s.demand[enter] = demand_draw[enter]
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
    """Quarterly export sales of each SME (kUSD), zero for non-exporters."""
    active = (s.stage == EXPORTING) | (s.stage == GVC)
    return np.where(active, SALES_PER_PROFIT * foreign_profit(s, cap, p, tariff_cut) * s.demand, 0.0)
