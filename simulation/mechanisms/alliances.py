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

from ..stack import Stack, Streams, at, on, pick, uniforms
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
    run: np.ndarray | None = None  # in a batch, the run of each LE (None: a single run)

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


def openness_target(le: LEArrays, framework: float | np.ndarray, requirements: float | np.ndarray,
                    shock: float | np.ndarray, p: Mapping) -> np.ndarray:
    """Where LE openness heads: lifted by the alliance framework and performance requirements, cut by GVC shocks.

    In a batch the regime levels and the shock are per LE (its run's).
    """
    runs = le.run if le.run is not None else np.zeros(le.n, np.int64)
    lift = on(p, "framework_openness", runs) * framework + on(p, "requirement_openness", runs) * requirements
    switch = on(p, "alliance_policy", runs)
    if isinstance(switch, np.ndarray):
        lift = np.where(switch != 0, lift, 0.0)
    elif not switch:
        lift = 0.0
    return np.clip(le.base_openness + lift - shock, 0.0, 1.0)


def open_slots(le: LEArrays, requirements: float | np.ndarray, p: Mapping) -> np.ndarray:
    """Supplier slots each lead firm keeps: performance requirements deter part of the investment.

    Local-content and joint-venture requirements make some investors go
    elsewhere or keep plants subscale (Moran 1998; UNCTAD 2003), so under
    requirements enforced at level ``r`` a lead firm keeps ``slots (1 -
    requirement_deterrence r)``. Slots are whole: each lead firm rounds with
    its own fixed offset (:func:`rounding_offsets`), so over the lead firms
    the slots kept average exactly that share, with no random draw. Alliances
    already formed run on. In a batch ``requirements`` is per LE (its run's).
    """
    runs = le.run if le.run is not None else np.zeros(le.n, np.int64)
    cut = on(p, "requirement_deterrence", runs) * requirements
    switch = on(p, "fdi_deterrence", runs)
    cut = np.where(np.asarray(switch) != 0, cut, 0.0)
    return np.floor(le.slots * (1.0 - cut) + rounding_offsets(runs)).astype(np.int64)


def rounding_offsets(runs: np.ndarray) -> np.ndarray:
    """A fixed offset in [0, 1) per lead firm, spread evenly over each run's lead firms (the golden-ratio
    sequence of its number in the run): ``floor(x + offset)`` is x on average over the lead firms."""
    number = np.arange(len(runs)) - np.searchsorted(runs, runs)  # runs are contiguous blocks
    return ((number + 1) * 0.6180339887498949) % 1.0


def adjust_openness(le: LEArrays, target: np.ndarray) -> None:
    """LEs change their sourcing policy gradually."""
    le.openness += OPENNESS_ADJUSTMENT * (target - le.openness)


def dissolve(rng, s: SMEArrays, le: LEArrays, comp_index: np.ndarray,
             p: Mapping, shock: float | np.ndarray) -> np.ndarray:
    """Alliances that end this quarter: a base hazard, much higher when the SME no longer meets the LE's bar.

    A consolidation shock also ends alliances (reshoring). Returns the rows
    that lost their partner; they fall back to strengthening.
    """
    u = uniforms(rng, s.n)
    allied = np.flatnonzero(s.partner >= 0)
    below = comp_index[allied] < le.threshold[s.partner[allied]]
    hazard = at(p, "alliance_dissolution", allied) * (1.0 + 4.0 * below) + 0.5 * pick(shock, allied)
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


def form_alliances(rng: np.random.Generator | Streams, s: SMEArrays, le: LEArrays, comp_index: np.ndarray,
                   conn_index: np.ndarray, p: Mapping, slots: np.ndarray | None = None) -> np.ndarray:
    """Each LE, in random order, fills part of its free slots from its sector's pool.

    An LE draws suppliers one at a time, with weights ``conn^2``, among SMEs
    of its sector above its bar that nobody has taken. The pool is built once
    per quarter and split by sector; a weighted draw is a binary search in
    the running sum of the sector's weights, and a draw that lands below the
    LE's bar or on an SME already taken is drawn again, which is the same
    law as drawing among the eligible rest. The cost is O(n) a quarter plus
    O(log n) a draw, never SMEs x SMEs. ``slots``: the slots each LE keeps
    (:func:`open_slots`; default all).

    In a batch (``rng`` a :class:`Streams`) the pools of all runs are built
    in one pass; each run's LEs draw, in the run's own random order, from
    the run's own stream and its own running sums. Partners are LE numbers
    of the batch.
    """
    stack = rng.stack if isinstance(rng, Streams) else Stack.single(s.n, 1, le.n)
    gens = rng.generators if isinstance(rng, Streams) else [rng]
    if le.n == 0:
        return np.empty(0, np.int64)
    le_run = stack.run_of_le
    used = np.bincount(s.partner[s.partner >= 0], minlength=le.n)
    free = np.maximum((le.slots if slots is None else slots) - used, 0)
    chance = np.clip(le.openness * SEARCH_RATE, 0.0, 1.0)
    lb = stack.le_bounds
    searching = [k for k in range(stack.k) if lb[k + 1] > lb[k]]
    wanted = np.zeros(le.n, np.int64)
    for k in searching:
        wanted[lb[k]:lb[k + 1]] = gens[k].binomial(free[lb[k]:lb[k + 1]], chance[lb[k]:lb[k + 1]])
    searching = [k for k in searching if wanted[lb[k]:lb[k + 1]].any()]
    if not searching:
        return np.empty(0, np.int64)
    # Each run's pool lies at or above the lowest bar of its searching LEs.
    lowest = np.full(stack.k, np.inf)
    np.minimum.at(lowest, le_run[wanted > 0], le.threshold[wanted > 0])
    pool = np.flatnonzero((s.partner < 0) & (conn_index >= p["connectivity_required"])
                          & (comp_index >= lowest[stack.run_of_row]))
    n_sectors = int(max(s.sector.max(), le.sector.max())) + 1
    key = (stack.run_of_row[pool] * n_sectors + s.sector[pool]).astype(np.int32)
    # A stable sort of small integers is a radix sort in NumPy: linear in the pool.
    order = np.argsort(key, kind="stable")
    by_sector = pool[order]
    edges = np.searchsorted(key[order], np.arange(stack.k * n_sectors + 1))
    weight = np.maximum(conn_index[by_sector] ** 2, 1e-12)
    running = np.empty(len(by_sector))
    taken = np.zeros(s.n, bool)
    formed = []
    for k in searching:
        a, b = edges[k * n_sectors], edges[(k + 1) * n_sectors]
        running[a:b] = np.cumsum(weight[a:b])  # each run's own running sum, as alone
        order = lb[k] + gens[k].permutation(int(lb[k + 1] - lb[k]))
        order = order[wanted[order] > 0]
        slot = k * n_sectors + le.sector[order]
        lo, hi = edges[slot], edges[slot + 1]
        order, lo, hi = order[hi > lo], lo[hi > lo], hi[hi > lo]
        draws = _draws(gens[k], by_sector[a:b], running[a:b], lo - a, hi - a, wanted[order], comp_index,
                       le.threshold[order])
        for j, hits in zip(order.tolist(), draws):
            chosen = _first_free(hits, int(wanted[j]), taken)
            if chosen is None:  # few eligible SMEs left in the slice: draw among them directly
                cands = by_sector[edges[k * n_sectors + le.sector[j]]:edges[k * n_sectors + le.sector[j] + 1]]
                chosen = choose_suppliers(gens[k], cands[~taken[cands]], comp_index, conn_index, le.threshold[j],
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


def transfer_technology(s: SMEArrays, p: Mapping, requirements: float | np.ndarray) -> np.ndarray:
    """Allied SMEs learn from their lead firm; performance requirements on technology transfer deepen it.

    Returns the rows that learned.
    """
    rows = np.flatnonzero(s.partner >= 0)
    rate = at(p, "tech_transfer", rows) * (1.0 + pick(requirements, rows))
    keep = 0.5
    for j, share in ((C["technology"], 1.0), (C["quality"], 1.0), (C["skills"], 0.5)):
        delta = share * rate * (1.0 - s.comp[j, rows])
        s.comp[j, rows] += delta
        s.comp_base[j, rows] += keep * delta
    return rows
