"""Strategic alliances between SMEs and large enterprises (the network approach).

Lead firms keep a few supplier slots. How open they are to new suppliers
falls with GVC consolidation and reshoring and rises with an institutional
framework for alliances and with performance requirements on FDI. They take
SMEs of their sector that pass their quality threshold and are connected
enough to be seen; an alliance transfers technology and skills and carries
the SME into the value chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..state import EXPORTING, GVC, STRENGTHENING, C, SMEArrays

# Share of free slots an LE at full openness tries to fill each quarter.
SEARCH_RATE = 0.5
# Openness moves this far towards its target each quarter.
OPENNESS_ADJUSTMENT = 0.5


@dataclass
class LEArrays:
    """Large enterprises, one row each."""

    sector: np.ndarray
    slots: np.ndarray
    threshold: np.ndarray
    base_openness: np.ndarray
    openness: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sector)


def make_les(rng: np.random.Generator, p: Mapping) -> LEArrays:
    """Lead firms spread over sectors, with 1 to 5 open supplier slots for SMEs and their own quality bar."""
    n = p["n_les"]
    base = np.clip(p["le_openness"] + 0.1 * rng.standard_normal(n), 0.0, 1.0)
    return LEArrays(
        sector=np.arange(n) % p["n_sectors"],
        slots=rng.integers(1, 6, n),
        threshold=np.clip(p["le_threshold"] + 0.05 * rng.standard_normal(n), 0.0, 1.0),
        base_openness=base,
        openness=base.copy(),
    )


def openness_target(le: LEArrays, framework: float, requirements: float, shock: float,
                    p: Mapping) -> np.ndarray:
    """Where LE openness heads: lifted by the alliance framework and performance requirements, cut by GVC shocks."""
    lift = p["framework_openness"] * framework + p["requirement_openness"] * requirements
    return np.clip(le.base_openness + lift - shock, 0.0, 1.0)


def adjust_openness(le: LEArrays, target: np.ndarray) -> None:
    """LEs change their sourcing policy gradually."""
    le.openness += OPENNESS_ADJUSTMENT * (target - le.openness)


def dissolve(rng: np.random.Generator, s: SMEArrays, le: LEArrays, comp_index: np.ndarray,
             p: Mapping, shock: float) -> np.ndarray:
    """Alliances that end this quarter: a base hazard, much higher when the SME no longer meets the LE's bar.

    A consolidation shock also ends alliances (reshoring). Returns the rows
    that lost their partner; they fall back to strengthening.
    """
    u = rng.random(s.n)
    allied = np.flatnonzero(s.partner >= 0)
    below = comp_index[allied] < le.threshold[s.partner[allied]]
    hazard = p["alliance_dissolution"] * (1.0 + 4.0 * below) + 0.5 * shock
    ended = allied[u[allied] < hazard]
    s.partner[ended] = -1
    s.stage[ended] = STRENGTHENING
    return ended


def candidate_pool(s: SMEArrays, conn_index: np.ndarray, p: Mapping) -> np.ndarray:
    """SMEs an LE could see: aware or exporting, not yet allied, and connected enough."""
    ok = ((s.stage == STRENGTHENING) | (s.stage == EXPORTING)) & (s.partner < 0)
    return np.flatnonzero(ok & (conn_index >= p["connectivity_required"]))


def choose_suppliers(rng: np.random.Generator, pool: np.ndarray, comp_index: np.ndarray,
                     conn_index: np.ndarray, threshold: float, wanted: int) -> np.ndarray:
    """One LE's pick: up to ``wanted`` SMEs from ``pool`` above its bar, the better connected more likely."""
    if wanted <= 0 or len(pool) == 0:
        return pool[:0]
    ok = pool[comp_index[pool] >= threshold]
    if len(ok) <= wanted:
        return ok
    # Weighted sampling without replacement (Efraimidis & Spirakis 2006): the
    # `wanted` smallest keys -log(u) / w; same law as drawing one by one.
    keys = -np.log(rng.random(len(ok))) / np.maximum(conn_index[ok] ** 2, 1e-12)
    return ok[np.argpartition(keys, wanted - 1)[:wanted]]


def form_alliances(rng: np.random.Generator, s: SMEArrays, le: LEArrays, comp_index: np.ndarray,
                   conn_index: np.ndarray, p: Mapping) -> np.ndarray:
    """Each LE, in random order, fills part of its free slots from its sector's pool.

    The pool is built once per quarter and split by sector, so the cost is
    O(n + LEs x pool size), never SMEs x SMEs.
    """
    if le.n == 0:
        return np.empty(0, np.int64)
    pool = candidate_pool(s, conn_index, p)
    # A stable sort of small integers is a radix sort in NumPy: linear in the pool.
    by_sector = pool[np.argsort(s.sector[pool].astype(np.int16), kind="stable")]
    bounds = np.searchsorted(s.sector[by_sector], np.arange(int(le.sector.max()) + 2))
    used = np.bincount(s.partner[s.partner >= 0], minlength=le.n)
    free = np.maximum(le.slots - used, 0)
    wanted = rng.binomial(free, np.clip(le.openness * SEARCH_RATE, 0.0, 1.0))
    taken = np.zeros(s.n, bool)
    formed = []
    for j in rng.permutation(le.n):
        if wanted[j] == 0:
            continue
        sec = le.sector[j]
        cands = by_sector[bounds[sec]:bounds[sec + 1]]
        cands = cands[~taken[cands]]
        chosen = choose_suppliers(rng, cands, comp_index, conn_index, le.threshold[j], int(wanted[j]))
        taken[chosen] = True
        s.partner[chosen] = j
        formed.append(chosen)
    rows = np.concatenate(formed) if formed else np.empty(0, np.int64)
    s.stage[rows] = GVC
    return rows


def transfer_technology(s: SMEArrays, p: Mapping, requirements: float) -> np.ndarray:
    """Allied SMEs learn from their lead firm; performance requirements on technology transfer deepen it.

    Returns the rows that learned.
    """
    rows = np.flatnonzero(s.partner >= 0)
    rate = p["tech_transfer"] * (1.0 + requirements)
    keep = 0.5
    for j, share in ((C["technology"], 1.0), (C["quality"], 1.0), (C["skills"], 0.5)):
        delta = share * rate * (1.0 - s.comp[j, rows])
        s.comp[j, rows] += delta
        s.comp_base[j, rows] += keep * delta
    return rows
