"""Support: how a programme's budget becomes help that SMEs can use.

Five mechanisms sit here, each a small function:

- delivery: how much of a region's budget reaches firms depends on who
  delivers it and, for local delivery, on local capacity;
- allocation: central allocation follows SME numbers (unless the centre
  applies the local rule, ``central_need_allocation``); local allocation
  follows the region's need as its government estimates it from what
  mapping revealed (less precisely the lower its capacity), as far as
  national and local levels coordinate;
- targeting: mapping reveals potential, so support can reach it;
- overlap: programmes that do not coordinate hit the same SMEs, whose
  response to support is concave;
- absorptive capacity: an SME still in precondition takes little from a
  strengthening programme;

and export promotion's buyer matching (:func:`buyers_found`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.special import ndtr

from ..policy import Instrument
from ..stack import Stack, Streams, at, on, per_run_values, uniforms
from ..state import PRECONDITION, B, C, K, RegionBlocks, SMEArrays
from .trade import fast_pow, learn_demand

# Support stock above which an SME counts as already served (for coordination).
SERVED = 0.05
_MIN_POTENTIAL = 0.02


def support_response(stock: np.ndarray, dose: float, saturation: float | np.ndarray,
                     overlap: bool | np.ndarray = True) -> np.ndarray:
    """Gain from one more programme, given the support an SME already holds.

    Response is ``h(x) = 1 - exp(-x / saturation)`` of the cumulated (decaying)
    support stock, so a second overlapping programme adds less than the first.
    With ``overlap`` off every programme gains as if it were the first.
    """
    saturation = np.broadcast_to(saturation, np.shape(stock))  # one elementwise path, alone or batched
    first = 1.0 - np.exp(-dose / saturation)
    if isinstance(overlap, np.ndarray):
        return np.where(overlap != 0, np.exp(-stock / saturation) * first, first)
    if not overlap:
        return first
    return np.exp(-stock / saturation) * first


def absorptive_capacity(s: SMEArrays, rows: np.ndarray, instrument: Instrument, p: Mapping) -> np.ndarray:
    """Share of a programme the SME can use.

    Precondition-stage instruments are designed for unaware firms and are
    fully absorbed. A strengthening programme reaching an SME still in
    precondition is absorbed only in part, the less the higher its knowledge
    barrier: the sequencing mechanism behind H4.
    """
    switch = at(p, "absorptive_capacity", rows)
    if instrument.stage == "precondition" or (not isinstance(switch, np.ndarray) and not switch):
        return np.ones(len(rows))
    pre = (s.stage[rows] == PRECONDITION) & (np.asarray(switch) != 0)
    partial = at(p, "absorptive_precondition", rows) * (1.0 - s.barriers[B["knowledge"], rows])
    return np.where(pre, partial, 1.0)


def export_potential(s: SMEArrays, cap: np.ndarray, instrument_stage: str) -> np.ndarray:
    """What a mapping study reveals: where a programme of this stage would pay.

    For precondition instruments, capable firms that are still unaware; for
    strengthening instruments, capable firms that are ready to learn.
    Entrepreneurial orientation raises both.
    """
    kb = s.barriers[B["knowledge"]]
    readiness = kb if instrument_stage == "precondition" else 1.0 - kb
    return readiness * potential_scale(s, cap)


def potential_scale(s: SMEArrays, cap: np.ndarray) -> np.ndarray:
    """The part of potential both stages share: capability and entrepreneurial orientation."""
    return np.sqrt(cap) * (0.5 + s.eo) / 1.5


def targeting_score(potential: np.ndarray, kappa: float | np.ndarray, stack: Stack | None = None) -> np.ndarray:
    """How strongly mapped information favours each SME: potential to the power ``kappa``, mean 1 over
    each run's SMEs."""
    score = fast_pow(potential + _MIN_POTENTIAL, kappa)
    stack = stack or Stack.single(len(score))
    return score / stack.spread(stack.per_run(score) / stack.rows)


def screening(p: Mapping) -> float | np.ndarray:
    """How strongly agencies skip SMEs already served: their coordination, as far as they screen for overlap."""
    return p["coordination"] * p["overlap_screening"]


def overlap_weight(stock: np.ndarray, screening: float | np.ndarray) -> np.ndarray:
    """Agencies that coordinate skip SMEs other programmes already serve (weight ``1 - screening``, see
    :func:`screening`)."""
    return np.where(stock > SERVED, 1.0 - screening, 1.0)


def selection_weights(n: int, targeting: np.ndarray | None, eligible: np.ndarray | None,
                      overlap: np.ndarray | None) -> np.ndarray:
    """Relative chance that each of ``n`` SMEs is picked.

    Targeting: ``targeting`` holds a mapped SME's score and 1 for an unmapped
    one, which the agency cannot tell apart from the average; without a
    mapping study (``None``) support lands at random. ``eligible`` (None: all)
    masks who may take the instrument; ``overlap`` (from
    :func:`overlap_weight`; None: no coordination) steers away from SMEs
    already served.
    """
    w = np.ones(n) if targeting is None else targeting.copy()
    if overlap is not None:
        w *= overlap
    if eligible is not None:
        w *= eligible
    return w


def delivery_efficiency(capacity: np.ndarray, deliverer: str, p: Mapping, stack: Stack | None = None
                        ) -> np.ndarray:
    """Share of each region's budget that reaches firms; the rest is lost to delivery.

    Local delivery is as good as the local apparatus: a low-capacity region
    loses more to leakage, capture and poor administration (Bardhan &
    Mookherjee 2000). National delivery works through deconcentrated offices
    of the country's average competence, unless the centre funds delivery
    through the regional apparatus (``central_need_allocation``), which is as
    good as the region's capacity. Both lose the same on average; what differs
    is how the loss is spread over regions. (In a batch, per region of each run.)
    """
    stack = stack or Stack.single(0, len(capacity))
    mean = stack.spread(stack.per_run(capacity, "region") / stack.regions, "region")
    local = per_run_values(p, "local_capacity") != 0
    if deliverer == "national":  # through regional offices only where the centre funds through the regions
        local = local & (per_run_values(p, "central_need_allocation") != 0)
    return np.where(stack.spread(local, "region"), capacity, mean)


def reading_capacity(capacity: np.ndarray, deliverer: str, p: Mapping, stack: Stack | None = None) -> np.ndarray:
    """The capacity with which each region's need is read: its own apparatus's for local delivery (local
    knowledge); the national average everywhere for the centre's estimate, which has no regional apparatus
    of its own (and for local ones too with ``local_knowledge`` off)."""
    stack = stack or Stack.single(0, len(capacity))
    mean = stack.spread(stack.per_run(capacity, "region") / stack.regions, "region")
    if deliverer == "national":
        return mean
    return np.where(stack.spread(per_run_values(p, "local_knowledge") != 0, "region"), capacity, mean)


def estimated_need(blocks: RegionBlocks, eligible: np.ndarray | None, mapped: np.ndarray, potential: np.ndarray,
                   capacity: np.ndarray, noise: np.ndarray, p: Mapping, stack: Stack | None = None) -> np.ndarray:
    """A region's need for a programme as its government estimates it from what mapping has revealed.

    Need is the number of eligible SMEs times their mean potential, read off
    the mapped ones (the national mean of mapped SMEs where a region has
    none; without mapping, every region looks alike). The estimate carries a
    log-normal error of sd ``need_noise (1 - capacity)``: a weak local
    apparatus reads its own region poorly. ``noise`` holds one standard
    normal per region.
    """
    return need_from_revealed(*revealed_by_region(blocks, eligible, mapped, potential, p), capacity, noise, p,
                              stack)


def revealed_by_region(blocks: RegionBlocks, eligible: np.ndarray | None, mapped: np.ndarray,
                       potential: np.ndarray, p: Mapping) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per region: eligible SMEs, mapped eligible SMEs, and the potential mapping revealed among them."""
    weight = np.ones(len(mapped)) if eligible is None else eligible.astype(float)
    switch = p["targeting"]
    if isinstance(switch, np.ndarray):
        seen = weight * (mapped & (switch != 0))
    else:
        seen = weight * mapped if switch else np.zeros_like(weight)
    return blocks.sum(weight), blocks.sum(seen), blocks.sum(seen * potential)


def need_from_revealed(firms: np.ndarray, n_seen: np.ndarray, revealed: np.ndarray, capacity: np.ndarray,
                       noise: np.ndarray, p: Mapping, stack: Stack | None = None) -> np.ndarray:
    """:func:`estimated_need` from the regional sums of :func:`revealed_by_region`."""
    stack = stack or Stack.single(0, len(firms))
    seen = stack.per_run(n_seen, "region")
    prior = stack.per_run(revealed, "region") / np.maximum(seen, 1e-300)
    mean_potential = np.where(n_seen > 0, revealed / np.maximum(n_seen, 1), stack.spread(prior, "region"))
    mean_potential = np.where(stack.spread(seen > 0, "region"), mean_potential, 1.0)  # nothing seen: alike
    sd = on(p, "need_noise", stack.run_of_region) * (1.0 - capacity)
    return firms * mean_potential * np.exp(sd * noise - 0.5 * sd * sd)


def follows_need(deliverer: str, p: Mapping) -> np.ndarray:
    """Whether an entry's regional allocation reads estimated need at all, for each run: local budgets as far
    as levels coordinate (and need allocation is on); national ones only where the centre allocates by the
    same rule (``central_need_allocation``)."""
    follows = (per_run_values(p, "need_allocation") != 0) & (per_run_values(p, "coordination") > 0)
    if deliverer == "national":
        return follows & (per_run_values(p, "central_need_allocation") != 0)
    return follows


def regional_allocation(population: np.ndarray, need: np.ndarray | None, deliverer: str, p: Mapping,
                        stack: Stack | None = None) -> np.ndarray:
    """Share of a programme's budget each region gets.

    Central allocation follows the number of eligible SMEs and ignores
    regional need (one rule for the whole country), unless the centre
    allocates by the local rule (``central_need_allocation``). Local allocation follows
    estimated need, weighted by how much of it delivery turns into support
    (``need`` arrives so weighted), to the extent that national and local
    levels coordinate; the rest follows the transfer formula, by SME numbers. (Shares are per run.)
    """
    stack = stack or Stack.single(0, len(population))
    total = stack.spread(stack.per_run(population, "region"), "region")
    pop = np.where(total > 0, population / np.where(total > 0, total, 1.0), population)
    if need is None:
        return pop
    need_total = stack.per_run(need, "region")
    follows = stack.spread(follows_need(deliverer, p) & (need_total > 0), "region")
    if not follows.any():
        return pop
    c = on(p, "coordination", stack.run_of_region)
    share = need / stack.spread(np.where(need_total > 0, need_total, 1.0), "region")
    return np.where(follows, c * share + (1.0 - c) * pop, pop)


def draw_recipients(rng: np.random.Generator | Streams, weights: np.ndarray, blocks: RegionBlocks,
                    quota: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """Rows picked by Poisson sampling: about ``quota[r]`` firms in region r, in proportion to weight.

    O(n) with no per-region loop; the expected count is the quota unless the
    region runs out of eligible firms. In a batch, only the ``active`` runs
    draw (one uniform per row of each, from the run's own stream).
    """
    total = blocks.sum(weights)
    rate = np.divide(quota, total, out=np.zeros_like(quota, dtype=float), where=total > 0)
    prob = weights * blocks.spread(rate)
    if active is None or not isinstance(rng, Streams) or active.all():
        return np.flatnonzero(uniforms(rng, len(weights)) < prob)
    stack = rng.stack
    u = np.full(len(weights), np.inf)
    u[stack.spread(active)] = rng.random(counts=np.where(active, stack.rows, 0))
    return np.flatnonzero(u < prob)


def apply_programme(s: SMEArrays, rows: np.ndarray, instrument: Instrument, dose: float,
                    p: Mapping, demand_rng: np.random.Generator | Streams | None = None) -> np.ndarray:
    """Apply a per-firm programme to ``rows``: concave in support held, scaled by absorption.

    Components rise towards 1 and barriers fall towards 0; a share
    (``support_persistence``) of a component's gain becomes lasting. Returns
    the realized gain per row.
    """
    gain = support_response(s.support[rows], dose, at(p, "support_saturation", rows), at(p, "overlap", rows))
    gain *= absorptive_capacity(s, rows, instrument, p)
    keep = at(p, "support_persistence", rows)
    for var, strength in instrument.effects.items():
        step = strength * gain
        if var in C:
            j = C[var]
            delta = step * (1.0 - s.comp[j, rows])
            s.comp[j, rows] += delta
            s.comp_base[j, rows] += keep * delta
        elif var in K:
            j = K[var]
            delta = step * (1.0 - s.conn[j, rows])
            s.conn[j, rows] += delta
            s.conn_base[j, rows] += keep * delta
        elif var in B:
            s.barriers[B[var], rows] *= 1.0 - np.minimum(step, 1.0)
        elif var == "foreign_demand":
            if demand_rng is None:
                raise ValueError("buyer matching needs the model's demand stream (demand_rng)")
            learn_demand(demand_rng, s, rows)
            s.demand_x[rows] += buyers_found(s.demand_x[rows], at(p, "promotion_demand_gain", rows) * step)
    s.support[rows] += dose
    return gain


def buyers_found(demand_x: np.ndarray, strength: np.ndarray | float) -> np.ndarray:
    """Rise in a firm's standardized log foreign demand from buyers met abroad (fairs, missions, matchmaking).

    Matching finds the buyers a firm has not found yet: the rise is ``strength``
    times twice the share of the demand distribution above the firm,
    ``2 (1 - Phi(x))``, so ``strength`` is what a firm at the median finds, a
    firm that already sells to many finds few new ones, and repeated
    promotion has diminishing returns.
    """
    return 2.0 * strength * ndtr(-demand_x)


def build_infrastructure(region_infra: np.ndarray, coverage: np.ndarray, strength: float) -> np.ndarray:
    """A region's infrastructure rises with the share of its SMEs a project covers, with diminishing returns."""
    return region_infra + strength * (1.0 - np.exp(-coverage)) * (1.0 - region_infra)


def decay_support(s: SMEArrays, p: Mapping) -> None:
    """The support stock fades, so an SME served long ago responds fully again."""
    s.support *= 1.0 - p["support_decay"]
