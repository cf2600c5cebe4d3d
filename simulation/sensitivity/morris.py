"""Morris elementary effects: mu* (mean absolute effect, the ranking) and sigma (non-linearity or interaction).

A screening method: cheap, N trajectories of D + 1 runs each on a grid of
``levels`` levels; good for telling influential parameters from negligible ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as analyzer
from SALib.sample import morris as sampler

from ._method import COMMON, Option, param_names, tidy

TITLE = "Morris elementary effects"
OPTIONS: dict[str, Option] = {
    "levels": Option(int, 4, "grid levels of each parameter (even numbers work best)", 2, 100),
    "optimal_trajectories": Option(int, 0, "if > 0, keep this many of the N trajectories, chosen to "
                                           "spread (0: keep all)", 0, 1000),
    **COMMON,
}
MAIN = "mu_star"
BOUNDED: tuple[str, ...] = ()
GIVEN_DATA = False
GROUPS = True  # SALib estimates one index per group of parameters
# The reference input is the seed noise (see sobol.py): one step of a trajectory that only re-keys the
# random streams; its mu* is what redrawing the noise alone scores.
DUMMY_IN_DESIGN = True
REFERENCE = "seed"
CONF_RELIABLE = True
NESTED = False  # the design of 2N shares no points with the design of N


def runs(problem: dict[str, Any], n: int, options: dict[str, Any]) -> int:
    trajectories = options["optimal_trajectories"] or n
    return trajectories * (len(param_names(problem)) + 1)


def sample(problem: dict[str, Any], n: int, *, seed: int, options: dict[str, Any]) -> np.ndarray:
    optimal = options["optimal_trajectories"] or None
    if optimal is not None and not 2 <= optimal < n:
        raise ValueError(f"optimal_trajectories must be between 2 and N - 1 = {n - 1}, got {optimal}")
    return sampler.sample(problem, n, num_levels=options["levels"], optimal_trajectories=optimal, seed=seed)


def analyze(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, *, seed: int,
            options: dict[str, Any]) -> pd.DataFrame:
    res = analyzer.analyze(problem, X, Y, num_resamples=options["num_resamples"],
                           conf_level=options["conf_level"], num_levels=options["levels"], seed=seed)
    return tidy(res, param_names(problem), {"mu_star": "mu_star_conf", "mu": None, "sigma": None})
