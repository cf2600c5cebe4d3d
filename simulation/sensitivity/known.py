"""Known-answer models: test functions of global sensitivity analysis whose indices are known exactly.

Each is a model in the sense of :mod:`simulation.experiments.functions` (a
dict of named inputs to a dict of named outputs), so a sweep file can name
it (``model = "simulation.sensitivity.known:g_function"``) and the whole
machinery (sampler, runner, analyzer) is checked against the analytic
indices that :func:`g_function_indices` and :func:`ishigami_indices` give.

- Sobol' G-function (Saltelli & Sobol' 1995): ``prod_i (|4 x_i - 2| + a_i) / (1 + a_i)``
  on ``[0, 1]^d``; a small ``a_i`` makes ``x_i`` important, ``a_i = 99`` almost inert.
- Ishigami & Homma (1990): ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` on ``[-pi, pi]^3``;
  ``x3`` acts only in interaction with ``x1`` (S1 = 0, ST > 0).
- A boxed effect (:func:`boxed_effect`): a paired effect that holds in a known box, fails in a known
  slab and is 0 elsewhere, for scenario discovery (PRIM and CART must find the box).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

G_A: tuple[float, ...] = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def g_inputs(a: Sequence[float] = G_A) -> dict[str, tuple[float, float]]:
    """The G-function's inputs and their ranges: ``x1`` ... ``xd`` on [0, 1]."""
    return {f"x{i + 1}": (0.0, 1.0) for i in range(len(a))}


def g_function(inputs: Mapping[str, float]) -> dict[str, float]:
    """Sobol' G-function with a = (0, 1, 4.5, 9, 99, 99, 99, 99) over inputs ``x1`` ... ``x8``."""
    x = np.array([inputs[f"x{i + 1}"] for i in range(len(G_A))], dtype=float)
    a = np.array(G_A)
    return {"y": float(np.prod((np.abs(4.0 * x - 2.0) + a) / (1.0 + a)))}


def g_function_indices(a: Sequence[float] = G_A) -> dict[str, dict[str, float]]:
    """Analytic first-order and total indices of the G-function: ``{"S1": {name: value}, "ST": {...}}``."""
    a = np.asarray(a, dtype=float)
    v = 1.0 / (3.0 * (1.0 + a) ** 2)
    total_var = np.prod(1.0 + v) - 1.0
    names = list(g_inputs(a))
    s1 = v / total_var
    st = np.array([v[i] * np.prod(np.delete(1.0 + v, i)) for i in range(len(a))]) / total_var
    return {"S1": dict(zip(names, s1.tolist())), "ST": dict(zip(names, st.tolist()))}


ISHIGAMI_INPUTS: dict[str, tuple[float, float]] = {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}


def ishigami(inputs: Mapping[str, float]) -> dict[str, float]:
    """Ishigami function with a = 7, b = 0.1 over inputs ``x1``, ``x2``, ``x3``."""
    x1, x2, x3 = inputs["x1"], inputs["x2"], inputs["x3"]
    return {"y": float(np.sin(x1) + ISHIGAMI_A * np.sin(x2) ** 2 + ISHIGAMI_B * x3 ** 4 * np.sin(x1))}


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> dict[str, dict[str, float]]:
    """Analytic first-order and total indices of the Ishigami function."""
    pi4, pi8 = np.pi ** 4, np.pi ** 8
    v1 = 0.5 * (1.0 + b * pi4 / 5.0) ** 2
    v2 = a * a / 8.0
    v13 = b * b * pi8 * (1.0 / 18.0 - 1.0 / 50.0)
    total_var = v1 + v2 + v13
    return {"S1": {"x1": v1 / total_var, "x2": v2 / total_var, "x3": 0.0},
            "ST": {"x1": (v1 + v13) / total_var, "x2": v2 / total_var, "x3": v13 / total_var}}


def noisy_sum(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """``x1 + x2`` plus a seed's shift common to every point (sd 3) and a point x seed term (sd 0.1).

    A stochastic known answer for seed noise. Where every point runs on the
    same seeds (a sweep without the seed reference, ``dummy = false``) the
    shift cancels out of the indices and only the interaction, variance 0.01,
    blurs the point means; the seed reference gives points their own streams,
    and then the shift is noise like any other. ``x1`` and ``x2`` share the
    signal equally.
    """
    shift = 3.0 * np.random.default_rng([seed, 0]).standard_normal()
    key = [seed, 1, *np.asarray([inputs["x1"], inputs["x2"]], dtype=float).view(np.uint64).tolist()]
    return {"y": float(inputs["x1"] + inputs["x2"] + shift + 0.1 * np.random.default_rng(key).standard_normal())}


def _draw(seed: int, tag: int, *values: float) -> float:
    """One standard normal draw keyed by the seed and the input values: any change of them redraws it."""
    key = [int(seed), tag, *np.asarray(values, dtype=float).view(np.uint64).tolist()]
    return float(np.random.default_rng(key).standard_normal())


NOISE_INPUTS: dict[str, tuple[float, float]] = {f"x{i}": (0.0, 1.0) for i in (1, 2, 3)}


def redraw_only(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """Seed noise read as effect, the null and the positive control in one model (noise sd 1).

    ``x1`` only redraws the noise (its value keys the draw; the mean does not depend on it), ``x2`` has a
    real effect of two noise standard deviations across its range (2 x2) and redraws the noise too, as
    an input a simulation reads would; ``x3`` is never read. A sensitivity analysis must name ``x2`` and
    neither ``x1`` nor ``x3``.
    """
    return {"y": 2.0 * inputs["x2"] + _draw(seed, 3, inputs["x1"], inputs["x2"])}


def additive_noisy(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """``x1 + x2`` plus noise (sd 0.3) redrawn by either input: no interaction, only noise beside the
    first-order effects (``x3`` never read)."""
    return {"y": inputs["x1"] + inputs["x2"] + 0.3 * _draw(seed, 4, inputs["x1"], inputs["x2"])}


def interacting_noisy(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """``x1 + x2 + 4 (x1 − ½)(x2 − ½)`` plus the same noise as :func:`additive_noisy`: the product term
    is a real interaction (variance 1/9 against 1/6 for the first-order effects and 0.09 of noise)."""
    x1, x2 = inputs["x1"], inputs["x2"]
    return {"y": x1 + x2 + 4.0 * (x1 - 0.5) * (x2 - 0.5) + 0.3 * _draw(seed, 4, x1, x2)}


BOX = {"x1": (0.5, 1.0), "x2": (0.0, 0.4)}  # where boxed_effect's claim holds
FAILS_BELOW = 0.2                           # ... and where it fails: x1 below this


def boxed_effect(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """A paired effect with a known region of each verdict, for scenario discovery (PRIM, CART).

    Over ``x1`` ... ``x4`` on [0, 1]: +1 inside :data:`BOX` (x1 above 0.5 and x2
    below 0.4), -1 where x1 is below :data:`FAILS_BELOW`, 0 elsewhere; plus
    noise (sd 0.3) that differs by point and seed. ``x3`` and ``x4`` do nothing.
    """
    x1, x2 = inputs["x1"], inputs["x2"]
    inside = BOX["x1"][0] < x1 and x2 < BOX["x2"][1]
    signal = 1.0 if inside else (-1.0 if x1 < FAILS_BELOW else 0.0)
    key = [seed, 2, *np.asarray([inputs[f"x{i}"] for i in (1, 2, 3, 4)], dtype=float).view(np.uint64).tolist()]
    return {"effect": signal + 0.3 * float(np.random.default_rng(key).standard_normal())}


FAINT_BOX = {"x1": (0.6, 1.0), "x3": (0.0, 0.3)}  # where faint_box's effect is larger (12% of the worlds)


def faint_box(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """A paired effect of 1 inside :data:`FAINT_BOX` and 0 elsewhere, with per-seed noise of sd √2: over two
    seeds, a world's estimate has sd 1, so the box's effect is one noise standard deviation of it. Its
    verdicts (a t interval on two seeds) are almost all unclear; the effect-size reading must find the box.
    Inputs ``x1`` ... ``x4`` on [0, 1]; ``x2`` and ``x4`` do nothing."""
    inside = all(lo < inputs[k] <= hi for k, (lo, hi) in FAINT_BOX.items())
    return {"effect": (1.0 if inside else 0.0) + no_box(inputs, seed)["effect"]}


def no_box(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """:func:`faint_box`'s noise with no effect anywhere: the null control of the effect-size reading."""
    return {"effect": np.sqrt(2.0) * _draw(seed, 5, *(inputs[f"x{i}"] for i in (1, 2, 3, 4)))}


# Games for attribution (run.py attribute --model ...): players a, b, c are inputs, 1 in a coalition, 0 outside.
GAME_PLAYERS = ("a", "b", "c")


def _game_noise(inputs: Mapping[str, float], seed: int) -> float:
    # Noise of the coalition and seed (so the seeds' intervals are not degenerate), sd 0.5
    key = [int(seed), *(int(round(inputs[p])) for p in GAME_PLAYERS)]
    return float(np.random.default_rng(key).normal(0.0, 0.5))


def additive_game(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """3a + 2b + c plus noise: Shapley values 3, 2, 1 and no interaction."""
    a, b, c = (inputs[p] for p in GAME_PLAYERS)
    return {"value": 3 * a + 2 * b + c + _game_noise(inputs, seed)}


def complementary_game(inputs: Mapping[str, float], seed: int) -> dict[str, float]:
    """4ab + c plus noise: a and b pay only together; Shapley values 2, 2, 1 and an interaction of +4."""
    a, b, c = (inputs[p] for p in GAME_PLAYERS)
    return {"value": 4 * a * b + c + _game_noise(inputs, seed)}


# A search with a known optimum (run.py optimize --model ...): both objectives peak at x = 0.7, y = 0.2.
OPTIMUM = {"x": 0.7, "y": 0.2}


def peaked(inputs: Mapping[str, float]) -> dict[str, float]:
    """Two objectives that agree: 'gain' (max) and 'loss' (min) are both best at x = 0.7, y = 0.2."""
    d2 = (inputs["x"] - OPTIMUM["x"]) ** 2 + (inputs["y"] - OPTIMUM["y"]) ** 2
    return {"gain": 1.0 - d2, "loss": d2 + 0.1 * abs(inputs["y"] - OPTIMUM["y"])}
