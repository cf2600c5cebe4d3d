"""eFAST (extended Fourier amplitude sensitivity test): first-order (S1) and total (ST) indices.

Each parameter oscillates at its own frequency along a search curve; the
output's spectrum tells the variance each one drives. N runs per parameter,
N > 4 M^2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import fast as analyzer
from SALib.sample import fast_sampler as sampler

from ._method import COMMON, Option, param_names, tidy

TITLE = "eFAST indices"
OPTIONS: dict[str, Option] = {
    "M": Option(int, 4, "interference factor (harmonics kept); N must exceed 4 M^2", 1, 20), **COMMON,
}
MAIN = "ST"
BOUNDED = ("S1", "ST")
GIVEN_DATA = False
GROUPS = False  # SALib gives one index per parameter, never per group
DUMMY_IN_DESIGN = True  # the reference input: a column of the design
REFERENCE = "inert"  # inputs the model never reads: this method's estimates of one are not 0
CONF_RELIABLE = False  # SALib warns its eFAST intervals are unreliable: shown, never used to decide
NESTED = False  # the design of 2N shares no points with the design of N


def runs(problem: dict[str, Any], n: int, options: dict[str, Any]) -> int:
    return n * len(problem["names"])


def sample(problem: dict[str, Any], n: int, *, seed: int, options: dict[str, Any]) -> np.ndarray:
    if n <= 4 * options["M"] ** 2:
        raise ValueError(f"eFAST needs N > 4 M^2 = {4 * options['M'] ** 2}, got N = {n}")
    return sampler.sample(problem, n, M=options["M"], seed=seed)


def analyze(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, *, seed: int,
            options: dict[str, Any]) -> pd.DataFrame:
    res = analyzer.analyze(problem, Y, M=options["M"], num_resamples=options["num_resamples"],
                           conf_level=options["conf_level"], seed=seed)
    return tidy(res, param_names(problem), {"S1": "S1_conf", "ST": "ST_conf"})
