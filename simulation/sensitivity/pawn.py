"""PAWN: distance between the output's unconditional and conditional CDFs (given data, Latin hypercube).

Kolmogorov-Smirnov statistics over ``S`` slices of each parameter's range,
summarized by their median (the ranking), mean, minimum, maximum and CV.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import pawn as analyzer
from SALib.sample import latin

from ._method import Option, param_names, tidy

TITLE = "PAWN (Latin hypercube)"
OPTIONS: dict[str, Option] = {"S": Option(int, 10, "slices of each parameter's range", 2, 100)}
MAIN = "median"
BOUNDED = ("minimum", "mean", "median", "maximum")
GIVEN_DATA = True
GROUPS = False  # SALib averages a group's members' statistics: not an index of the group
DUMMY_IN_DESIGN = False  # the reference input: columns added at analysis (given data: no runs)
REFERENCE = "inert"  # inputs the model never reads: this method's estimates of one are not 0
CONF_RELIABLE = True
NESTED = False  # the design of 2N shares no points with the design of N


def runs(problem: dict[str, Any], n: int, options: dict[str, Any]) -> int:
    return n


def sample(problem: dict[str, Any], n: int, *, seed: int, options: dict[str, Any]) -> np.ndarray:
    if n < 2 * options["S"]:
        raise ValueError(f"PAWN needs N >= 2 S = {2 * options['S']} (two runs per slice), got N = {n}")
    return latin.sample(problem, n, seed=seed)


def analyze(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, *, seed: int,
            options: dict[str, Any]) -> pd.DataFrame:
    res = analyzer.analyze(problem, X, Y, S=options["S"], seed=seed)
    keys = ("median", "mean", "minimum", "maximum", "CV")
    return tidy(res, param_names(problem), dict.fromkeys(keys))
