"""Borgonovo's delta moment-independent measure, with S1, from a Latin hypercube (given data).

delta is the expected shift of the whole output distribution when a
parameter is fixed, so it sees effects on spread and shape, not only on the variance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import delta as analyzer
from SALib.sample import latin

from ._method import COMMON, Option, param_names, tidy

TITLE = "Borgonovo delta (Latin hypercube)"
OPTIONS: dict[str, Option] = dict(COMMON)
MAIN = "delta"
BOUNDED = ("delta", "S1")
GIVEN_DATA = True
GROUPS = False  # SALib gives one index per parameter, never per group
DUMMY_IN_DESIGN = False  # the reference input: columns added at analysis (given data: no runs)
REFERENCE = "inert"  # inputs the model never reads: this method's estimates of one are not 0
CONF_RELIABLE = True
NESTED = False  # the design of 2N shares no points with the design of N


def runs(problem: dict[str, Any], n: int, options: dict[str, Any]) -> int:
    return n


def sample(problem: dict[str, Any], n: int, *, seed: int, options: dict[str, Any]) -> np.ndarray:
    return latin.sample(problem, n, seed=seed)


def analyze(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, *, seed: int,
            options: dict[str, Any]) -> pd.DataFrame:
    res = dict(analyzer.analyze(problem, X, Y, num_resamples=options["num_resamples"],
                                conf_level=options["conf_level"], seed=seed, method="all"))
    # SALib 1.6 reports three delta variants; Borgonovo's estimator is the raw one.
    res["delta"], res["delta_conf"] = res["delta_raw"], res["delta_raw_conf"]
    return tidy(res, param_names(problem), {"delta": "delta_conf", "S1": "S1_conf"})
