"""Sobol' indices: first-order (S1), total (ST) and optionally second-order (S2), from Saltelli sampling.

Variance-based and model-free: S1 is the share of the output variance a
parameter explains alone, ST adds everything it does in interaction.
Sampling: N (D + 2) runs, or N (2D + 2) with second-order indices, D counting the seed reference (the
reference adds no run on a model without a seed); N a power of 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import sobol as analyzer
from SALib.sample import sobol as sampler
from scipy import stats

from ..params import ALL, DUMMY
from ._method import COMMON, Option, param_names, tidy

TITLE = "Sobol' indices (Saltelli sampling)"
OPTIONS: dict[str, Option] = {
    "second_order": Option(bool, False, "also estimate second-order indices S2 (N (2D + 2) runs)"), **COMMON,
}
MAIN = "ST"
BOUNDED = ("S1", "ST", "S2")
GIVEN_DATA = False
GROUPS = True  # SALib estimates one index per group of parameters
# The reference input is the seed noise: a column of the design whose value, when it changes, re-keys
# every random stream of the run and changes nothing else (design.stream_seed). An input the model reads
# changes its random path too, so it scores some noise even with no effect on the mean; it shows an
# effect only above what redrawing the noise alone scores. A deterministic model scores 0 on it.
DUMMY_IN_DESIGN = True
REFERENCE = "seed"
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
                           num_resamples=options["num_resamples"], conf_level=options["conf_level"], seed=seed,
                           keep_resamples=True)
    names = param_names(problem)
    out = tidy(res, names, {"S1": "S1_conf", "ST": "ST_conf"})
    out = pd.concat([out, together(res, names, options["conf_level"])], ignore_index=True)
    if options["second_order"]:
        rows = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                rows.append({"parameter": f"{names[i]} x {names[j]}", "index": "S2",
                             "value": float(res["S2"][i, j]), "conf": float(res["S2_conf"][i, j])})
        out = pd.concat([out, pd.DataFrame(rows)], ignore_index=True)
    return out


def together(res: Any, names: list[str], conf_level: float) -> pd.DataFrame:
    """Two rows for :data:`ALL`: ``S1 sum``, the parameters' first-order indices added up, and
    ``interactions``, the share of variance from parameters acting together: 1 − ΣS1 − ST of the seed
    reference (its noise, alone and with the parameters), or 1 − ΣS1 without one.

    The intervals come from SALib's bootstrap resamples, which resample the same base points for every
    parameter, so a sum or difference of indices is resampled as one quantity (not as independent errors).
    """
    params = [k for k, n in enumerate(names) if n != DUMMY]
    s1 = res["S1"][params].sum()
    s1_all = res["S1_conf_all"][:, params].sum(axis=1)
    noise = float(res["ST"][names.index(DUMMY)]) if DUMMY in names else 0.0
    noise_all = res["ST_conf_all"][:, names.index(DUMMY)] if DUMMY in names else 0.0
    z = stats.norm.ppf(0.5 + conf_level / 2)  # SALib's own rule: a normal interval from the resamples' sd
    inter_all = 1.0 - s1_all - noise_all
    return pd.DataFrame([
        {"parameter": ALL, "index": "S1 sum", "value": float(s1), "conf": float(z * np.std(s1_all, ddof=1))},
        {"parameter": ALL, "index": "interactions", "value": float(1.0 - s1 - noise),
         "conf": float(z * np.std(inter_all, ddof=1))},
    ])
