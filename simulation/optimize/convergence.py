"""Whether a search had settled: the hypervolume of its front, generation by generation.

The hypervolume is the share of objective space a front dominates (Zitzler
and Thiele 1998), the usual convergence measure of many-objective search
(EMA Workbench tracks it for the same purpose). Objectives are scaled to
what the whole search saw (0 the best, 1 the worst value of any candidate)
and measured from the reference point 1.1 in every objective, so the value
is comparable across generations of one search, not across searches. A
front that still gains hypervolume in its last generations was still
improving: more generations may find better packages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..extras import require
from .problem import Objective

REFERENCE = 1.1
STILL_RISING = 0.02     # a rise of more than this share over the last quarter of the generations


def hypervolume(history: pd.DataFrame, objectives: Sequence[Objective]) -> pd.DataFrame:
    """Per generation (numbered as the history numbers them: from 1), the hypervolume of every candidate
    evaluated up to it, and its share of the final one."""
    HV = require("pymoo.indicators.hv", "optimize", "run.py optimize").HV

    names = [o.name for o in objectives]
    if history.empty or "generation" not in history or not set(names) <= set(history.columns):
        return pd.DataFrame(columns=["generation", "hypervolume", "of_final"])
    F = history[names].to_numpy(dtype=float) * np.array([o.sign for o in objectives], dtype=float)
    ok = np.isfinite(F).all(axis=1)
    low, high = np.nanmin(F[ok], axis=0), np.nanmax(F[ok], axis=0)
    span = np.where(high > low, high - low, 1.0)
    scaled = (F - low) / span
    indicator = HV(ref_point=np.full(len(names), REFERENCE))
    generations = np.sort(history["generation"].unique())
    values = [float(indicator(scaled[ok & (history["generation"].to_numpy() <= g)])) for g in generations]
    final = values[-1] if values and values[-1] > 0 else np.nan
    return pd.DataFrame({"generation": generations, "hypervolume": values,
                         "of_final": np.array(values) / final})


def last_generations(table: pd.DataFrame) -> int:
    """How many final generations :func:`still_rising` judges: the last quarter of them, at least one."""
    return max(1, len(table) // 4)


def still_rising(table: pd.DataFrame) -> float | None:
    """The hypervolume's relative rise over the last quarter of the generations (None: too few to tell)."""
    if len(table) < 4:
        return None
    last = last_generations(table)
    before, end = float(table["hypervolume"].iloc[-1 - last]), float(table["hypervolume"].iloc[-1])
    return (end - before) / before if before > 0 else None


def progress(history: pd.DataFrame, objectives: Sequence[Objective]) -> dict[str, Any]:
    """What the report reads: the hypervolume table, its rise over the last generations, how many they are,
    and the rise above which the search had not settled."""
    table = hypervolume(history, objectives)
    return {"table": table, "rise": still_rising(table), "last": last_generations(table),
            "threshold": STILL_RISING}
