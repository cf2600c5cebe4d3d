"""RBD-FAST: first-order indices (S1) from any Latin hypercube sample (a given-data method).

Sorts the sample along each parameter and reads the output's spectrum; N
runs whatever the number of parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import rbd_fast as analyzer
from SALib.sample import latin

from ._method import COMMON, Option, param_names, tidy

TITLE = "RBD-FAST first-order indices (Latin hypercube)"
OPTIONS: dict[str, Option] = {"M": Option(int, 10, "harmonics kept", 1, 50), **COMMON}
MAIN = "S1"
BOUNDED = ("S1",)
GIVEN_DATA = True
GROUPS = False  # SALib gives one index per parameter, never per group
DUMMY_IN_DESIGN = False  # the reference input: columns added at analysis (given data: no runs)
REFERENCE = "inert"  # inputs the model never reads: this method's estimates of one are not 0
CONF_RELIABLE = True
NESTED = False  # the design of 2N shares no points with the design of N


def runs(problem: dict[str, Any], n: int, options: dict[str, Any]) -> int:
    return n


def sample(problem: dict[str, Any], n: int, *, seed: int, options: dict[str, Any]) -> np.ndarray:
    if n <= 2 * options["M"]:
        raise ValueError(f"RBD-FAST needs N > 2 M = {2 * options['M']}, got N = {n}")
    return latin.sample(problem, n, seed=seed)


def analyze(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, *, seed: int,
            options: dict[str, Any]) -> pd.DataFrame:
    res = analyzer.analyze(problem, X, Y, M=options["M"], num_resamples=options["num_resamples"],
                           conf_level=options["conf_level"], seed=seed)
    return tidy(res, param_names(problem), {"S1": "S1_conf"})
