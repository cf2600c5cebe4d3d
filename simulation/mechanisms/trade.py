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
from scipy.special import ndtri

from ..state import EXPORTING, PRECONDITION, STRENGTHENING, B, SMEArrays

_EPS = 1e-9
ALL = slice(None)
# Export sales per unit of foreign operating profit (a 20% margin).
SALES_PER_PROFIT = 5.0


def fast_pow(x: np.ndarray, e: float) -> np.ndarray:
    """``x ** e``, by multiplication for small whole and half exponents (np.power is slow)."""
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
        out = fast_pow(0.5 * fast_pow(c, rho) + 0.5 * fast_pow(k, rho), 1.0 / rho)
        out[zero] = 0.0
        return out
    return fast_pow(0.5 * fast_pow(c, rho) + 0.5 * fast_pow(k, rho), 1.0 / rho)


def capability_gradient(comp_index: np.ndarray, conn_index: np.ndarray, cap: np.ndarray,
                        rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Marginal capability of competitiveness and of connectivity (where support pays most)."""
    c = np.maximum(comp_index, _EPS)
    k = np.maximum(conn_index, _EPS)
    kk = fast_pow(np.maximum(cap, _EPS), 1.0 - rho)
    return 0.5 * fast_pow(c, rho - 1.0) * kk, 0.5 * fast_pow(k, rho - 1.0) * kk


def foreign_profit(s: SMEArrays, cap: np.ndarray, p: Mapping, tariff_cut: float,
                   rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Expected quarterly foreign operating profit at unit demand (kUSD), for ``rows``.

    Rises with capability and size; a tariff cut under economic integration
    raises margins abroad too.
    """
    gain = 1.0 + p["liberalization_export_gain"] * tariff_cut
    return (p["export_margin"] * gain * fast_pow(s.size[rows], p["size_elasticity"])
            * fast_pow(cap[rows], p["capability_elasticity"]))


def entry_cost(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Per-quarter sunk entry cost: procedure and resource barriers, cut by recent experience."""
    barrier = (1.0 + s.barriers[B["procedure"], rows] + s.barriers[B["resource"], rows]) / 3.0
    return p["entry_cost"] * barrier * (1.0 - p["experience_discount"] * s.experience[rows])


def continuation_cost(s: SMEArrays, p: Mapping, rows: np.ndarray | slice = ALL) -> np.ndarray:
    """Fixed cost of staying abroad, higher under exogenous barriers (foreign rules, exchange risk)."""
    return p["continuation_cost"] * (0.5 + s.barriers[B["exogenous"], rows])


def may_attempt_entry(s: SMEArrays, p: Mapping) -> np.ndarray:
    """Who can try exporting: aware firms, and born-global firms even in precondition."""
    return (s.stage == STRENGTHENING) | ((s.stage == PRECONDITION) & (s.eo >= p["born_global_eo"]))


def export_decisions(rng: np.random.Generator, s: SMEArrays, cap: np.ndarray, p: Mapping,
                     tariff_cut: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows entering and rows leaving direct exporting this quarter, and the demand each entrant discovers.

    Each firm's view of its foreign profit carries a multiplicative
    expectation error (log-normal, sd ``decision_noise``), so a firm with no
    capability never enters. One error and one demand draw per row and
    quarter are taken whatever the policy, so paired runs share their luck
    (common random numbers). GVC suppliers are carried by their lead firm and
    decide nothing here.
    """
    u_error = rng.random(s.n)
    u_demand = rng.random(s.n)
    cand = np.flatnonzero(may_attempt_entry(s, p))
    error = np.exp(p["decision_noise"] * ndtri(u_error[cand]))
    enter = cand[foreign_profit(s, cap, p, tariff_cut, cand) * error > entry_cost(s, p, cand)]
    held = np.flatnonzero(s.stage == EXPORTING)
    error = np.exp(p["decision_noise"] * ndtri(u_error[held]))
    profit = foreign_profit(s, cap, p, tariff_cut, held) * error * s.demand[held]
    leave = held[profit < continuation_cost(s, p, held)]
    sd = p["demand_uncertainty"]
    return enter, leave, np.exp(sd * ndtri(u_demand[enter]) - 0.5 * sd * sd)


def apply_export_moves(s: SMEArrays, enter: np.ndarray, leave: np.ndarray,
                       demand_draw: np.ndarray) -> None:
    """Move entrants to exporting (they discover their foreign demand) and leavers back to strengthening."""
    s.stage[enter] = EXPORTING
    s.demand[enter] = demand_draw
    s.ever_exported[enter] = True
    s.spell[enter] = 0
    s.stage[leave] = STRENGTHENING
    s.spell[leave] = 0


def update_experience(s: SMEArrays) -> None:
    """Export experience builds while exporting (directly or in a GVC) and fades after."""
    active = s.stage >= EXPORTING
    s.experience = np.where(active, s.experience + 0.25 * (1.0 - s.experience), 0.9 * s.experience)
    s.spell = np.where(active, s.spell + 1, 0)


def export_sales(s: SMEArrays, cap: np.ndarray, p: Mapping, tariff_cut: float) -> float:
    """Quarterly export sales of all SMEs (kUSD): direct exporters and GVC suppliers."""
    active = np.flatnonzero(s.stage >= EXPORTING)
    return float(SALES_PER_PROFIT * (foreign_profit(s, cap, p, tariff_cut, active) * s.demand[active]).sum())
