"""Paired comparison of scenarios run on the same seeds (common random numbers).

For each scenario and outcome, the difference from the control (the arm the
others are compared with: ``compare --control``, by default the first
scenario) is taken seed by seed, and its mean gets a Student-t 95% confidence
interval: the pairing removes the luck both arms share, so the intervals are
much tighter than comparing two independent means. The table's ``baseline``
column and ``baseline_mean`` name the control arm (the column names are kept
for the files already written).

``compare --precision X`` adds seeds until every watched difference is
distinguishable from zero (its interval excludes 0) with a 95% half-width of
at most X times the difference itself (:func:`precision_check`): a stop on an
effect too small to tell from zero never claims to be precise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

PRIMARY: tuple[str, ...] = ("exporter_years", "lasting_entrants", "exporters", "new_exporters", "gvc_participation",
                            "exits",
                            "new_exporters_per_musd", "export_sales", "export_sales_per_exporter")
# Outcomes the --precision rule watches (per-budget ratios are undefined for a no-budget control).
PRECISION_OUTCOMES: tuple[str, ...] = ("exporter_years", "lasting_entrants", "exporters", "new_exporters",
                                       "gvc_participation", "exits")


def paired_ci(diff: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """Mean of paired differences, its interval and half-width."""
    diff = diff[~np.isnan(diff)]
    n = len(diff)
    if n == 0:
        return np.nan, np.nan, np.nan, np.nan
    mean = float(diff.mean())
    if n < 2:
        return mean, np.nan, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * diff.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, half


def differences(summaries: pd.DataFrame, baseline: str, outcomes: Sequence[str] = PRIMARY,
                level: float = 0.95) -> pd.DataFrame:
    """One row per (scenario, outcome): the control's (``baseline``) and the scenario's means, the paired
    difference, its interval and half-width, and the half-width relative to the difference itself
    (``relative_half_width``: below 1 only if the interval excludes 0)."""
    table = summaries.set_index(["scenario", "seed"])
    base = table.loc[baseline]
    rows = []
    for name in summaries["scenario"].unique():
        if name == baseline:
            continue
        arm = table.loc[name]
        seeds = arm.index.intersection(base.index)
        for out in outcomes:
            d = (arm.loc[seeds, out] - base.loc[seeds, out]).to_numpy(dtype=float)
            mean, lo, hi, half = paired_ci(d, level)
            base_mean = float(base.loc[seeds, out].mean())
            rows.append({
                "scenario": name, "baseline": baseline, "outcome": out, "seeds": int((~np.isnan(d)).sum()),
                "baseline_mean": base_mean, "scenario_mean": float(arm.loc[seeds, out].mean()),
                "difference": mean, "ci_low": lo, "ci_high": hi, "half_width": half,
                "relative_half_width": half / abs(mean) if np.isfinite(mean) and mean else np.nan,
                "verdict": _verdict(lo, hi),
            })
        extra = _extra_per_budget(arm.loc[seeds], base.loc[seeds], level)
        if extra is not None:
            rows.append({"scenario": name, "baseline": baseline, **extra})
    return pd.DataFrame(rows)


def _verdict(lo: float, hi: float) -> str:
    if np.isnan(lo):
        return "undetermined"
    if lo > 0:
        return "higher"
    if hi < 0:
        return "lower"
    return "no clear difference"


def _extra_per_budget(arm: pd.DataFrame, base: pd.DataFrame, level: float) -> dict | None:
    """Additional new exporters per million USD of additional spending, paired by seed."""
    extra_budget = (arm["budget_spent"] - base["budget_spent"]).to_numpy(dtype=float)
    scale = max(float(arm["budget_spent"].abs().max()), float(base["budget_spent"].abs().max()), 1e-9)
    if np.all(np.abs(extra_budget) < 0.05 * scale):
        return None  # equal budgets (up to unspent remainders): the plain differences say it all
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (arm["new_exporters"] - base["new_exporters"]).to_numpy(dtype=float) / (extra_budget / 1000.0)
    ratio[~np.isfinite(ratio)] = np.nan
    mean, lo, hi, half = paired_ci(ratio, level)
    return {"outcome": "additional_new_exporters_per_musd", "seeds": int((~np.isnan(ratio)).sum()),
            "baseline_mean": 0.0, "scenario_mean": mean, "difference": mean, "ci_low": lo, "ci_high": hi,
            "half_width": half, "relative_half_width": half / abs(mean) if np.isfinite(mean) and mean else np.nan,
            "verdict": _verdict(lo, hi)}


def precision_check(table: pd.DataFrame, precision: float) -> pd.DataFrame:
    """The watched differences (:data:`PRECISION_OUTCOMES`), each with ``distinguishable`` (its 95% interval
    excludes 0) and ``precise`` (distinguishable, and its half-width at most ``precision`` times the
    difference itself). An interval that includes 0, or none yet (too few seeds), is never precise."""
    watched = table[table["outcome"].isin(PRECISION_OUTCOMES)][
        ["scenario", "baseline", "outcome", "difference", "ci_low", "ci_high", "half_width"]].copy()
    low, high = watched["ci_low"].to_numpy(dtype=float), watched["ci_high"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        apart = (low > 0) | (high < 0)  # NaN compares False: no interval, not distinguishable
        size = np.abs(watched["difference"].to_numpy(dtype=float))
        within = watched["half_width"].to_numpy(dtype=float) <= precision * size
    watched["distinguishable"] = apart
    watched["precise"] = apart & within
    with np.errstate(divide="ignore", invalid="ignore"):
        watched["relative_half_width"] = np.where(size > 0, watched["half_width"].to_numpy(dtype=float) / size,
                                                  np.nan)
    return watched.reset_index(drop=True)


def precise_enough(table: pd.DataFrame, precision: float) -> bool:
    """True when every watched difference is distinguishable from zero with a 95% half-width at most
    ``precision`` times the difference itself (:func:`precision_check`)."""
    check = precision_check(table, precision)
    return len(check) > 0 and bool(check["precise"].all())


def _names(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def precision_note(table: pd.DataFrame, precision: float, seeds: int, at_max: bool) -> str:
    """What ``compare --precision`` says when it stops: reached (every watched difference distinguishable
    from zero and as precise as asked), or stopped at ``seeds`` (the maximum) with, for each compared
    scenario, which differences are not distinguishable from zero and which are but still too wide.
    Never "reached" while an interval includes 0."""
    check = precision_check(table, precision)
    if len(check) and bool(check["precise"].all()):
        control = check["baseline"].iloc[0]
        arms = _names(list(dict.fromkeys(check["scenario"])))
        return (f"Precision reached with {seeds} seeds: every primary difference of {arms} from {control} "
                f"({_names(list(dict.fromkeys(check['outcome'])))}) is distinguishable from zero, its 95% "
                f"half-width at most {precision:g} x the difference itself.")
    head = (f"Precision NOT reached: stopped at {seeds} seeds (the maximum)." if at_max
            else f"Precision NOT reached with {seeds} seeds.")
    parts = [head]
    for (arm, control), rows in check.groupby(["scenario", "baseline"], sort=False):
        straddle = rows[~rows["distinguishable"]]
        wide = rows[rows["distinguishable"] & ~rows["precise"]]
        done = rows[rows["precise"]]
        said = []
        if len(straddle):
            one = len(straddle) == 1
            said.append(f"the difference{'' if one else 's'} in {_names(straddle['outcome'])} "
                        f"{'is' if one else 'are'} not distinguishable from zero (the 95% interval includes 0)")
        if len(wide):
            widths = ", ".join(f"{r.outcome} ({r.relative_half_width:.2g} x)" for r in wide.itertuples())
            said.append(f"distinguishable from zero but wider than asked ({precision:g} x the difference): "
                        f"{widths}")
        if len(done):
            said.append(f"distinguishable from zero and as precise as asked: {_names(done['outcome'])}")
        parts.append(f"{arm} against {control}: {'; '.join(said)}.")
    if len(check) == 0:
        parts.append("No primary difference could be computed.")
    return " ".join(parts)
