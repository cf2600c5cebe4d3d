"""Paired comparison of scenarios run on the same seeds (common random numbers).

For each scenario and outcome, the difference from the baseline is taken
seed by seed, and its mean gets a Student-t 95% confidence interval: the
pairing removes the luck both arms share, so the intervals are much tighter
than comparing two independent means.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

PRIMARY: tuple[str, ...] = ("exporter_years", "lasting_entrants", "exporters", "new_exporters", "gvc_participation",
                            "exits",
                            "new_exporters_per_musd", "export_sales", "export_sales_per_exporter")
# Outcomes the --precision rule watches (per-budget ratios are undefined for a no-budget baseline).
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
    """One row per (scenario, outcome): baseline and scenario means, paired difference and its interval."""
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
                "relative_half_width": half / abs(base_mean) if np.isfinite(base_mean) and base_mean else np.nan,
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
            "half_width": half, "relative_half_width": np.nan, "verdict": _verdict(lo, hi)}


def precise_enough(table: pd.DataFrame, precision: float) -> bool:
    """True when every watched difference's half-width is at most ``precision`` times the baseline mean."""
    watched = table[table["outcome"].isin(PRECISION_OUTCOMES)]
    rel = watched["relative_half_width"].dropna()
    return len(rel) > 0 and bool((rel <= precision).all())
