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
from scipy import stats

from ..outcomes import QUARTERS_PER_YEAR, column
from ..params import DUMMY, DUMMY_COLUMNS

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


def interaction_variance(y: np.ndarray) -> tuple[float, int]:
    """Variance of the point x seed interaction in a (points, seeds) table, and its degrees of freedom.

    Every point runs on the same seeds, so a seed's main effect (a world that
    is better for every parameter value) shifts every point mean alike and
    cancels out of the indices; what blurs them is only how a seed's effect
    differs from point to point: the residual of the two-way additive fit.
    """
    p, r = y.shape
    if p < 2 or r < 2:
        return float("nan"), 0
    resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + y.mean()
    dof = (p - 1) * (r - 1)
    return float(np.sum(resid * resid) / dof), dof


def within_variance(y: np.ndarray) -> tuple[float, int]:
    """Pooled variance of the replicates within each point of a (points, seeds) table, and its degrees of
    freedom: the noise of one run when points do not share their random streams (a seed reference)."""
    p, r = y.shape
    if p < 1 or r < 2:
        return float("nan"), 0
    resid = y - y.mean(axis=1, keepdims=True)
    dof = p * (r - 1)
    return float(np.sum(resid * resid) / dof), dof


def seed_noise(runs: pd.DataFrame, results: pd.DataFrame, columns: Sequence[tuple[str, int | None, str]],
               seeds: int, stochastic: bool = True, conf_level: float = 0.95,
               shared_streams: bool = True) -> pd.DataFrame:
    """How much of the variance of the analysed point means is seed noise, per output, with an interval.

    With R seeds per point the noise in a point mean is (point x seed
    interaction variance) / R (:func:`interaction_variance`) when every point
    runs on the same streams, or (variance within points) / R
    (:func:`within_variance`) when a seed reference gives points their own
    (``shared_streams`` False); it comes from the R seeds when R >= 2, else
    from the probe (a few points run on extra seeds, the analysis seed among
    them). Its interval is the chi-square interval of that variance; the
    verdict speaks only where the interval lies on one side of a threshold.
    """
    table = runs.merge(results[["run_id", *(col for _, _, col in columns)]], on="run_id", how="left")
    analysis = table[table["role"] == "analysis"]
    if not stochastic:
        source = "deterministic model"
    else:
        source = "replicates" if seeds >= 2 else "probe"
    within_rows = table if seeds >= 2 else table[table["point"].isin(table.loc[table["role"] == "probe", "point"])]
    alpha = 1.0 - conf_level
    rows = []
    for name, year, col in columns:
        means = analysis.groupby("point")[col].mean()
        between = float(means.var(ddof=1))
        if stochastic:
            grid = within_rows.pivot_table(index="point", columns="seed", values=col, aggfunc="first")
            var, dof = (interaction_variance if shared_streams else within_variance)(
                grid.dropna().to_numpy(dtype=float))
        else:
            var, dof = 0.0, 0
        if dof:
            low_var = dof * var / stats.chi2.ppf(1 - alpha / 2, dof)
            high_var = dof * var / stats.chi2.ppf(alpha / 2, dof)
        else:
            low_var = high_var = var
        share, low, high = ((v / seeds) / between if between > 0 else np.nan for v in (var, low_var, high_var))
        rows.append({"output": name, "year": year, "seeds": seeds, "interaction_sd": float(np.sqrt(var)),
                     "between_sd": float(np.sqrt(between)), "noise_share": float(min(share, 1.0)),
                     "share_low": float(min(low, 1.0)), "share_high": float(min(high, 1.0)), "dof": dof,
                     "source": source, "streams": "shared" if shared_streams else "own",
                     "verdict": verdict(share, low, high)})
    return pd.DataFrame(rows)


def verdict(share: float, low: float | None = None, high: float | None = None) -> str:
    """Plain words for a noise share, said only as far as its interval (low, high) supports them."""
    low = share if low is None else low
    high = share if high is None else high
    if not np.isfinite(share):
        return "output does not vary: nothing to analyse"
    if high < 0.05:
        return "enough seeds"
    if low >= 0.2:
        return "too noisy: raise --seeds"
    if high < 0.2:
        return "weak parameters blurred: more seeds would sharpen them"
    return "not settled by this estimate: run 2 or more seeds per point to measure it"


def latin_columns(n: int, k: int, seed: int) -> np.ndarray:
    """``k`` independent Latin-hypercube columns of ``n`` values on [0, 1) (a given-data design's layout)."""
    rng = np.random.default_rng([seed, 15])
    return np.column_stack([(rng.permutation(n) + rng.random(n)) / n for _ in range(k)])


def reference_rows(method: ModuleType, Y: np.ndarray, *, seed: int, options: dict[str, Any]) -> pd.DataFrame:
    """The reference level of a given-data method: the 95th percentile of each index over
    :data:`DUMMY_COLUMNS` inputs the model never read, scored against the same outputs.

    An inert input's PAWN or delta statistic is far from 0 at a finite sample
    (PAWN's KS distance between two samples of a few hundred is ~0.1-0.2), so
    a parameter shows a detectable effect only above what inert inputs reach.
    """
    names = [f"{DUMMY} {i + 1}" for i in range(DUMMY_COLUMNS)]
    prob = {"num_vars": DUMMY_COLUMNS, "names": names, "bounds": [[0.0, 1.0]] * DUMMY_COLUMNS}
    quick = {**options, **({"num_resamples": 10} if "num_resamples" in options else {})}  # values only
    table = method.analyze(prob, latin_columns(len(Y), DUMMY_COLUMNS, seed), Y, seed=seed, options=quick)
    ref = table.groupby("index", sort=False)["value"].quantile(0.95)
    return pd.DataFrame({"parameter": DUMMY, "index": ref.index, "value": ref.to_numpy(), "conf": np.nan})


def analyze(method: ModuleType, problem: dict[str, Any], X: np.ndarray, means: pd.DataFrame,
            columns: Sequence[tuple[str, int | None, str]], *, seed: int, options: dict[str, Any],
            dummy: bool = True) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Indices of every output column (tidy), and the outputs that could not be analysed, with why.

    With ``dummy``, every method has rows for the reference input :data:`DUMMY`: Sobol' and Morris
    from the seed reference in their design (an input that only re-keys the random streams), eFAST
    from an inert column of its design, the given-data methods (RBD-FAST, delta, PAWN) from inert
    columns scored here.
    """
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
            if dummy and method.GIVEN_DATA:
                table = pd.concat([table, reference_rows(method, Y, seed=seed, options=options)],
                                  ignore_index=True)
        table.insert(0, "year", year)
        table.insert(0, "output", name)
        frames.append(table)
    indices = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=INDEX_COLUMNS)
    indices["year"] = indices["year"].astype("Int64")
    return indices, skipped


def convergence(method: ModuleType, problem: dict[str, Any], X: np.ndarray, means: pd.DataFrame,
                columns: Sequence[tuple[str, int | None, str]], *, samples: int, seed: int,
                options: dict[str, Any], smallest: int = 16) -> pd.DataFrame:
    """Indices at the horizon on the nested prefixes of a design: N = smallest, 2 smallest, ..., ``samples``.

    A nested design (Sobol') of N base points is the first rows of the design
    of 2N, so each prefix is itself a whole design: how the indices and their
    intervals move as N doubles says whether they have settled.
    """
    per_point = len(X) // samples  # rows each base point brings (D + 2, or 2D + 2)
    sizes = sorted({n for k in range(16) if (n := samples >> k) >= min(smallest, samples)})
    horizon = [c for c in columns if c[1] is None]
    frames = []
    for n in sizes:
        rows = n * per_point
        table, _ = analyze(method, problem, X[:rows], means.iloc[:rows], horizon, seed=seed, options=options,
                           dummy=False)
        frames.append(table.assign(samples=n))
    return pd.concat(frames, ignore_index=True)

