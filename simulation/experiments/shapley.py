"""Shapley values of the players of a cooperative game measured on common seeds, with intervals.

A *game* here is a policy package: the players are its entries (or groups
of entries) and the worth ``v(S)`` of a coalition ``S`` is an outcome of the
package made of the entries in ``S`` only, minus that of the package with
none of them, seed by seed. Each player's Shapley value is its marginal
contribution averaged over every order in which the players could join
(Shapley 1953); the values add up to ``v(all) - v(none)`` on every seed
(efficiency). Exact: all ``2**n`` coalitions. Sampled: ``m`` random orders
(Castro, Gomez and Tejada 2009), whose marginals still add up exactly, with
a standard error for the orders sampled.

The *interaction* is ``v(all) - sum_i v({i})``: what the players bring
together beyond what each brings alone (zero for an additive game).

Coalitions are frozensets of player indices; worths are arrays over the
common seeds. Nothing here runs a model.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

Coalition = frozenset[int]


def all_coalitions(n: int) -> list[Coalition]:
    """Every subset of ``range(n)``, smallest first."""
    return [frozenset(c) for k in range(n + 1) for c in itertools.combinations(range(n), k)]


def orders(n: int, m: int, seed: int) -> np.ndarray:
    """``m`` random orders of ``n`` players (rows), from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return np.array([rng.permutation(n) for _ in range(m)], dtype=int).reshape(m, n)


def needed(n: int, sampled: np.ndarray | None = None) -> list[Coalition]:
    """The coalitions an estimate needs: all of them, or the prefixes of the sampled orders plus the
    empty, full and one-player coalitions (for the standalone effects and the interaction)."""
    if sampled is None:
        return all_coalitions(n)
    out = {frozenset(), frozenset(range(n)), *(frozenset([i]) for i in range(n))}
    for order in sampled:
        for k in range(1, n):
            out.add(frozenset(order[:k].tolist()))
    return sorted(out, key=lambda c: (len(c), sorted(c)))


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float


def t_interval(per_seed: np.ndarray, extra_var: float = 0.0, level: float = 0.95) -> Interval:
    """Mean over seeds with a t-interval; ``extra_var`` adds another source's variance of the mean."""
    x = per_seed[~np.isnan(per_seed)]
    if len(x) == 0:
        return Interval(math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if len(x) < 2:
        return Interval(mean, math.nan, math.nan)
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * math.sqrt(x.var(ddof=1) / len(x) + extra_var)
    return Interval(mean, mean - half, mean + half)


@dataclass(frozen=True)
class Estimate:
    """Shapley values, standalone effects, total and interaction of one outcome, each with a 95% interval."""

    values: tuple[Interval, ...]       # per player
    standalone: tuple[Interval, ...]   # per player: v({i}) - v(none)
    total: Interval                    # v(all) - v(none)
    interaction: Interval              # total - sum of standalone
    per_seed: np.ndarray               # (seeds, players): each seed's Shapley values
    sampling_se: tuple[float, ...]     # per player: standard error from the orders sampled (0 if exact)
    exact: bool


def _weights(n: int) -> dict[int, float]:
    """Shapley weight of a coalition of size s that player i joins: s! (n - s - 1)! / n!."""
    return {s: math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)}


def estimate(worth: Mapping[Coalition, np.ndarray], n: int, sampled: np.ndarray | None = None) -> Estimate:
    """Shapley values from ``worth`` (coalition -> outcome per seed, the empty coalition included).

    ``sampled`` None: exact, every coalition must be in ``worth``. Otherwise
    the orders of :func:`orders`: each player's value is its mean marginal
    contribution over those orders; its interval adds the orders' sampling
    variance to the seeds' (the two are independent sources of error).
    """
    empty = np.asarray(worth[frozenset()], dtype=float)
    seeds = len(empty)
    per_seed = np.zeros((seeds, n))
    se = np.zeros(n)
    if sampled is None:
        w = _weights(n)
        for coalition, value in worth.items():
            v = np.asarray(value, dtype=float)
            for i in range(n):
                if i not in coalition:
                    per_seed[:, i] += w[len(coalition)] * (np.asarray(worth[coalition | {i}], dtype=float) - v)
    else:
        marginals = np.zeros((len(sampled), seeds, n))
        for p, order in enumerate(sampled):
            before = empty
            members: set[int] = set()
            for i in order:
                members.add(int(i))
                after = np.asarray(worth[frozenset(members)], dtype=float)
                marginals[p, :, i] = after - before
                before = after
        per_seed = marginals.mean(axis=0)
        if len(sampled) > 1:
            se = np.sqrt(np.nanvar(np.nanmean(marginals, axis=1), axis=0, ddof=1) / len(sampled))
    values = tuple(t_interval(per_seed[:, i], float(se[i]) ** 2) for i in range(n))
    alone = np.stack([np.asarray(worth[frozenset([i])], dtype=float) - empty for i in range(n)], axis=1)
    full = np.asarray(worth[frozenset(range(n))], dtype=float) - empty
    return Estimate(values=values, standalone=tuple(t_interval(alone[:, i]) for i in range(n)),
                    total=t_interval(full), interaction=t_interval(full - alone.sum(axis=1)),
                    per_seed=per_seed, sampling_se=tuple(float(x) for x in se), exact=sampled is None)


def groups_of(labels: Sequence[str]) -> dict[str, list[int]]:
    """Players from a label per entry: entries with one label play as one player, in first-seen order."""
    out: dict[str, list[int]] = {}
    for k, label in enumerate(labels):
        out.setdefault(label, []).append(k)
    return out
