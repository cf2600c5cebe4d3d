"""Sobol' indices: first-order (S1), total (ST) and optionally second-order (S2), from Saltelli sampling.

Variance-based and model-free: S1 is the share of the output variance a
parameter explains alone, ST adds everything it does in interaction.
Sampling: N (D + 2) runs, or N (2D + 2) with second-order indices; N a power of 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as analyzer
from SALib.sample import sobol as sampler

from ._method import COMMON, Option, param_names, tidy

TITLE = "Sobol' indices (Saltelli sampling)"
OPTIONS: dict[str, Option] = {
    "second_order": Option(bool, False, "also estimate second-order indices S2 (N (2D + 2) runs)"), **COMMON,
}
MAIN = "ST"
BOUNDED = ("S1", "ST", "S2")
GIVEN_DATA = False
GROUPS = True  # SALib estimates one index per group of parameters
# No reference input: one the model never reads scores exactly 0 here (its runs are the base
# runs, on the same seeds), so the interval is the reference.
DUMMY_IN_DESIGN = False
CONF_RELIABLE = True
# Nested: the design of 2N begins with the design of N (the Sobol' sequence), so a sweep can be
# extended reusing its runs, and the indices on its prefixes show how they settle as N grows.
NESTED = True


def runs(problem: dict[str, Any], n: int, options: dict[str, Any]) -> int:
    d = len(param_names(problem))
    return n * (2 * d + 2 if options["second_order"] else d + 2)


def sample(problem: dict[str, Any], n: int, *, seed: int, options: dict[str, Any]) -> np.ndarray:
    if n < 2 or n & (n - 1):  # Sobol' sequences keep their balance only at powers of 2
        raise ValueError(f"Sobol' sampling needs N a power of 2 (64, 128, ..., 1024), got N = {n}")
    return sampler.sample(problem, n, calc_second_order=options["second_order"], seed=seed)


def analyze(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, *, seed: int,
            options: dict[str, Any]) -> pd.DataFrame:
    res = analyzer.analyze(problem, Y, calc_second_order=options["second_order"],
                           num_resamples=options["num_resamples"], conf_level=options["conf_level"], seed=seed)
    names = param_names(problem)
    out = tidy(res, names, {"S1": "S1_conf", "ST": "ST_conf"})
    if options["second_order"]:
        rows = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                rows.append({"parameter": f"{names[i]} x {names[j]}", "index": "S2",
                             "value": float(res["S2"][i, j]), "conf": float(res["S2_conf"][i, j])})
        out = pd.concat([out, pd.DataFrame(rows)], ignore_index=True)
    return out
