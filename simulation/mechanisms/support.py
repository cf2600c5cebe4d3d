"""Support: how a programme's budget becomes help that SMEs can use.

Five mechanisms sit here, each a small function:

- delivery: how much of a region's budget reaches firms depends on who
  delivers it, local capacity and national-local coordination;
- allocation: central allocation follows population, coordinated local
  allocation follows where support pays most (local potential and constraints);
- targeting: mapping reveals potential, so support can reach it;
- overlap: programmes that do not coordinate hit the same SMEs, whose
  response to support is concave;
- absorptive capacity: an SME still in precondition takes little from a
  strengthening programme.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..policy import Instrument
from ..state import PRECONDITION, B, C, K, RegionBlocks, SMEArrays
from .trade import fast_pow

# Support stock above which an SME counts as already served (for coordination).
SERVED = 0.05
_MIN_POTENTIAL = 0.02


def support_response(stock: np.ndarray, dose: float, saturation: float) -> np.ndarray:
    """Gain from one more programme, given the support an SME already holds.

    Response is ``h(x) = 1 - exp(-x / saturation)`` of the cumulated (decaying)
    support stock, so a second overlapping programme adds less than the first.
    """
    return np.exp(-stock / saturation) * (1.0 - np.exp(-dose / saturation))


def absorptive_capacity(s: SMEArrays, rows: np.ndarray, instrument: Instrument, p: Mapping) -> np.ndarray:
    """Share of a programme the SME can use.

    Precondition-stage instruments are designed for unaware firms and are
    fully absorbed. A strengthening programme reaching an SME still in
    precondition is absorbed only in part, the less the higher its knowledge
    barrier: the sequencing mechanism behind H4.
    """
    if instrument.stage == "precondition":
        return np.ones(len(rows))
    pre = s.stage[rows] == PRECONDITION
    partial = p["absorptive_precondition"] * (1.0 - s.barriers[B["knowledge"], rows])
    return np.where(pre, partial, 1.0)


def export_potential(s: SMEArrays, cap: np.ndarray, instrument_stage: str) -> np.ndarray:
    """What a mapping study reveals: where a programme of this stage would pay.

    For precondition instruments, capable firms that are still unaware; for
    strengthening instruments, capable firms that are ready to learn.
    Entrepreneurial orientation raises both.
    """
    kb = s.barriers[B["knowledge"]]
    readiness = kb if instrument_stage == "precondition" else 1.0 - kb
    return readiness * np.sqrt(cap) * (0.5 + s.eo) / 1.5


def targeting_score(potential: np.ndarray, kappa: float) -> np.ndarray:
    """How strongly mapped information favours each SME: potential to the power ``kappa``, mean 1."""
    score = fast_pow(potential + _MIN_POTENTIAL, kappa)
    return score / score.mean()


def overlap_weight(stock: np.ndarray, coordination: float) -> np.ndarray:
    """Agencies that coordinate skip SMEs other programmes already serve (weight ``1 - coordination``)."""
    return np.where(stock > SERVED, 1.0 - coordination, 1.0)


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


def delivery_efficiency(capacity: np.ndarray, deliverer: str, p: Mapping) -> np.ndarray:
    """Share of each region's budget that reaches firms.

    Local delivery depends on the local apparatus's competence and on its
    coordination with the national level (misaligned transfers are partly
    wasted). National delivery works through deconcentrated offices of the
    country's average competence and needs no national-local coordination.
    """
    if deliverer == "national":
        return np.full_like(capacity, float(capacity.mean()))
    return capacity * (1.0 - p["coordination_loss"] * (1.0 - p["coordination"]))


def regional_allocation(population: np.ndarray, need: np.ndarray, deliverer: str,
                        coordination: float) -> np.ndarray:
    """Share of a programme's budget each region gets.

    Central allocation follows the number of eligible SMEs and ignores regional
    need. Decentralized allocation follows local potential and constraints
    (``need``) to the extent that national and local levels coordinate.
    """
    pop = population / population.sum() if population.sum() > 0 else population
    if deliverer == "national" or need.sum() <= 0:
        return pop
    return coordination * need / need.sum() + (1.0 - coordination) * pop


def draw_recipients(rng: np.random.Generator, weights: np.ndarray, blocks: RegionBlocks,
                    quota: np.ndarray) -> np.ndarray:
    """Rows picked by Poisson sampling: about ``quota[r]`` firms in region r, in proportion to weight.

    O(n) with no per-region loop; the expected count is the quota unless the
    region runs out of eligible firms.
    """
    total = blocks.sum(weights)
    rate = np.divide(quota, total, out=np.zeros_like(quota, dtype=float), where=total > 0)
    prob = weights * blocks.spread(rate)
    return np.flatnonzero(rng.random(len(weights)) < prob)


def apply_programme(s: SMEArrays, rows: np.ndarray, instrument: Instrument, dose: float,
                    p: Mapping) -> np.ndarray:
    """Apply a per-firm programme to ``rows``: concave in support held, scaled by absorption.

    Components rise towards 1 and barriers fall towards 0; a share
    (``support_persistence``) of a component's gain becomes lasting. Returns
    the realized gain per row.
    """
    gain = support_response(s.support[rows], dose, p["support_saturation"])
    gain *= absorptive_capacity(s, rows, instrument, p)
    keep = p["support_persistence"]
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
    s.support[rows] += dose
    return gain


def apply_regulation(s: SMEArrays, instrument: Instrument, level: float) -> None:
    """Economy-wide measures move every SME a little each quarter they are enforced."""
    for var, strength in instrument.effects.items():
        step = min(strength * level, 1.0)
        if var in C:
            s.comp[C[var]] += step * (1.0 - s.comp[C[var]])
        elif var in K:
            j = K[var]
            s.conn[j] += step * (1.0 - s.conn[j])
            s.conn_base[j] += step * (1.0 - s.conn_base[j])
        elif var in B:
            s.barriers[B[var]] *= 1.0 - step


def build_infrastructure(region_infra: np.ndarray, coverage: np.ndarray, strength: float) -> np.ndarray:
    """A region's infrastructure rises with the share of its SMEs a project covers, with diminishing returns."""
    return region_infra + strength * (1.0 - np.exp(-coverage)) * (1.0 - region_infra)


def decay_support(s: SMEArrays, p: Mapping) -> None:
    """The support stock fades, so an SME served long ago responds fully again."""
    s.support *= 1.0 - p["support_decay"]
