"""The analysis of a sweep: point means over seeds, SALib indices per output, and how much is seed noise.

Plain tables in, plain tables out: ``runs`` (point, seed, run_id, role) from
the design, ``results`` (run_id, one column per outcome) from the runner.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from ..outcomes import QUARTERS_PER_YEAR, column

INDEX_COLUMNS = ["output", "year", "parameter", "index", "value", "conf"]


def output_columns(outputs: Sequence[str], per_year: bool, steps: int) -> list[tuple[str, int | None, str]]:
    """(outcome, year or None, result column) for every analysed output."""
    cols = [(o, None, column(o)) for o in outputs]
    if per_year:
        cols += [(o, y, column(o, y)) for y in range(1, steps // QUARTERS_PER_YEAR + 1) for o in outputs]
    return cols


def point_means(runs: pd.DataFrame, results: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Mean of each output column over the seeds of each analysis point (index: point)."""
    main = runs[runs["role"] == "analysis"].merge(results[["run_id", *columns]], on="run_id", how="left")
    missing = main[columns[0]].isna() & ~main["run_id"].isin(results["run_id"])
    if missing.any():
        raise ValueError(f"{int(missing.sum())} runs of the design have no result; resume the sweep")
    return main.groupby("point")[list(columns)].mean().sort_index()


def seed_noise(runs: pd.DataFrame, results: pd.DataFrame, columns: Sequence[tuple[str, int | None, str]],
               seeds: int) -> pd.DataFrame:
    """How much of the variance of the analysed point means is seed noise, per output.

    With R seeds per point the noise in a point mean is (within-point
    variance) / R. The within-point variance comes from the R seeds when R >= 2,
    else from the probe (a few points run on extra seeds).
    """
    table = runs.merge(results, on="run_id", how="left")
    source = "replicates" if seeds >= 2 else "probe"
    within_rows = table if seeds >= 2 else table[table["point"].isin(table.loc[table["role"] == "probe", "point"])]
    analysis = table[table["role"] == "analysis"]
    rows = []
    for name, year, col in columns:
        within = within_rows.groupby("point")[col].var(ddof=1).mean()
        means = analysis.groupby("point")[col].mean()
        between = means.var(ddof=1)
        share = (within / seeds) / between if between > 0 else np.nan
        rows.append({"output": name, "year": year, "seeds": seeds, "within_sd": float(np.sqrt(within)),
                     "between_sd": float(np.sqrt(between)), "noise_share": float(min(share, 1.0)),
                     "source": source, "verdict": verdict(share)})
    return pd.DataFrame(rows)


def verdict(share: float) -> str:
    """Plain words for a noise share."""
    if not np.isfinite(share):
        return "output does not vary: nothing to analyse"
    if share < 0.05:
        return "enough seeds"
    if share < 0.2:
        return "weak parameters blurred: more seeds would sharpen them"
    return "too noisy: raise --seeds"


def analyze(method: ModuleType, problem: dict[str, Any], X: np.ndarray, means: pd.DataFrame,
            columns: Sequence[tuple[str, int | None, str]], *, seed: int, options: dict[str, Any]
            ) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Indices of every output column (tidy), and the outputs that could not be analysed, with why."""
    frames, skipped = [], []
    for name, year, col in columns:
        label = col
        Y = means[col].to_numpy(dtype=float)
        if len(Y) != len(X):
            raise ValueError(f"{col}: {len(Y)} point means for {len(X)} sample points")
        bad = ~np.isfinite(Y)
        if bad.any():
            skipped.append({"output": label, "reason": f"undefined at {int(bad.sum())} of {len(Y)} points "
                                                         f"(e.g. a ratio with no budget spent)"})
            continue
        if np.ptp(Y) == 0:
            skipped.append({"output": label, "reason": "the same value at every point"})
            continue
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            # SALib's notes on FAST intervals and sample sizes, and delta's printed binning notices
            warnings.simplefilter("ignore")
            table = method.analyze(problem, X, Y, seed=seed, options=options)
        table.insert(0, "year", year)
        table.insert(0, "output", name)
        frames.append(table)
    indices = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=INDEX_COLUMNS)
    indices["year"] = indices["year"].astype("Int64")
    return indices, skipped
