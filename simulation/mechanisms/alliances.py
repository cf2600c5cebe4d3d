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

from ..state import GVC, STRENGTHENING, C, SMEArrays

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


def le_count(p: Mapping) -> int:
    """Number of large enterprises: ``les_per_1000_smes`` per 1,000 SMEs, at least one unless the ratio is 0.

    A ratio, not a count, so that supplier slots per SME, and with them GVC
    participation, do not depend on the size of the simulated economy.
    """
    ratio = p["les_per_1000_smes"]
    return 0 if ratio <= 0 else max(1, int(round(ratio * p["n_smes"] / 1000.0)))


def make_les(rng: np.random.Generator, p: Mapping) -> LEArrays:
    """Lead firms spread over sectors, with 1 to 5 open supplier slots for SMEs and their own quality bar."""
    n = le_count(p)
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
    if not p["alliance_policy"]:
        lift = 0.0
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
    """SMEs an LE could see: not yet allied, and connected enough to be seen (whatever their stage)."""
    return np.flatnonzero((s.partner < 0) & (conn_index >= p["connectivity_required"]))


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

    An LE draws suppliers one at a time, with weights ``conn^2``, among SMEs
    of its sector above its bar that nobody has taken. The pool is built once
    per quarter and split by sector; a weighted draw is a binary search in
    the running sum of the sector's weights, and a draw that lands below the
    LE's bar or on an SME already taken is drawn again, which is the same
    law as drawing among the eligible rest. The cost is O(n) a quarter plus
    O(log n) a draw, never SMEs x SMEs.
    """
    if le.n == 0:
        return np.empty(0, np.int64)
    used = np.bincount(s.partner[s.partner >= 0], minlength=le.n)
    free = np.maximum(le.slots - used, 0)
    wanted = rng.binomial(free, np.clip(le.openness * SEARCH_RATE, 0.0, 1.0))
    if not wanted.any():
        return np.empty(0, np.int64)
    pool = candidate_pool(s, conn_index, p)
    pool = pool[comp_index[pool] >= le.threshold[wanted > 0].min()]  # below every searching LE's bar
    # A stable sort of small integers is a radix sort in NumPy: linear in the pool.
    by_sector = pool[np.argsort(s.sector[pool].astype(np.int16), kind="stable")]
    running = np.cumsum(np.maximum(conn_index[by_sector] ** 2, 1e-12))
    bounds = np.searchsorted(s.sector[by_sector], np.arange(int(le.sector.max()) + 2))
    taken = np.zeros(s.n, bool)
    formed = []
    order = rng.permutation(le.n)
    order = order[wanted[order] > 0]
    lo, hi = bounds[le.sector[order]], bounds[le.sector[order] + 1]
    order, lo, hi = order[hi > lo], lo[hi > lo], hi[hi > lo]
    for j, hits in zip(order.tolist(), _draws(rng, by_sector, running, lo, hi, wanted[order], comp_index,
                                               le.threshold[order])):
        chosen = _first_free(hits, int(wanted[j]), taken)
        if chosen is None:  # few eligible SMEs left in the slice: draw among them directly
            sector = le.sector[j]
            cands = by_sector[bounds[sector]:bounds[sector + 1]]
            chosen = choose_suppliers(rng, cands[~taken[cands]], comp_index, conn_index, le.threshold[j],
                                      int(wanted[j]))
        taken[chosen] = True
        s.partner[chosen] = j
        formed.append(chosen)
    rows = np.concatenate(formed) if formed else np.empty(0, np.int64)
    s.stage[rows] = GVC
    return rows


def _draws(rng: np.random.Generator, rows: np.ndarray, running: np.ndarray, lo: np.ndarray, hi: np.ndarray,
           wanted: np.ndarray, comp_index: np.ndarray, threshold: np.ndarray) -> list[list[int]]:
    """For each searching LE, in turn, rows of its slice ``rows[lo:hi]`` drawn by weight (the increments of
    ``running``) and at or above its bar, in draw order: all LEs' draws in one vectorized pass."""
    k = 8 * wanted + 8
    owner = np.repeat(np.arange(len(lo)), k)
    base = np.where(lo > 0, running[np.maximum(lo - 1, 0)], 0.0)
    total = running[hi - 1] - base
    at = np.searchsorted(running, base[owner] + rng.random(int(k.sum())) * total[owner], side="right")
    hits = rows[np.minimum(at, hi[owner] - 1)]
    keep = comp_index[hits] >= threshold[owner]
    kept, owners = hits[keep].tolist(), owner[keep]
    edges = np.searchsorted(owners, np.arange(len(lo) + 1)).tolist()
    return [kept[a:b] for a, b in zip(edges[:-1], edges[1:])]


def _first_free(hits: list[int], wanted: int, taken: np.ndarray) -> np.ndarray | None:
    """The first ``wanted`` distinct rows of ``hits`` nobody has taken, or None if there are too few.

    Keeping the first distinct free hits in draw order is the same as drawing
    one by one and drawing again on a miss.
    """
    picks: list[int] = []
    for row in hits:
        if not taken[row] and row not in picks:
            picks.append(row)
            if len(picks) == wanted:
                return np.array(picks, np.int64)
    return None


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
