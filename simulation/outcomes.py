"""Named outcomes of a run: what sweeps analyse and what calibration compares with data.

Each outcome is read from a run's quarterly time series over a window of
quarters: the whole horizon, or one year of it. Stocks are read at the end
of the window, flows are summed over it, ratios divide two sums.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .params import ParameterError, suggest

QUARTERS_PER_YEAR = 4


@dataclass(frozen=True)
class Outcome:
    """One scalar result of a run over a window of quarters."""

    name: str
    meaning: str
    unit: str
    column: str
    kind: str                 # "stock" (end of window), "flow" (sum), "mean", "ratio" (sum / sum), "rate"
    per: str | None = None    # the denominator column of a ratio
    scale: float = 1.0
    bounded: bool = False     # lies in [0, 1]

    def value(self, ts: pd.DataFrame, first: int, last: int) -> float:
        """The outcome over quarters ``first..last`` (inclusive; step 0 is the starting state)."""
        steps = ts["step"].to_numpy()
        window = (steps >= first) & (steps <= last)
        col = ts[self.column].to_numpy(dtype=float)
        if self.kind == "stock":
            return float(col[steps == last][0])
        if self.kind == "flow":
            return float(col[window].sum())
        if self.kind == "mean":
            return float(np.nanmean(col[window])) if window.any() else float("nan")
        if self.kind == "rate":  # per firm and per year
            firms = ts["n_smes"].to_numpy(dtype=float)[window].mean()
            years = window.sum() / QUARTERS_PER_YEAR
            return float(col[window].sum() / firms / years)
        den = ts[self.per].to_numpy(dtype=float)[window].sum() * self.scale
        return float(col[window].sum() / den) if den > 0 else float("nan")


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("export_participation", "Share of SMEs that export (directly or within a GVC) at the end of the window",
            "share", "export_participation", "stock", bounded=True),
    Outcome("gvc_participation", "Share of SMEs integrated in a global value chain at the end of the window",
            "share", "gvc_participation", "stock", bounded=True),
    Outcome("exits", "Firm exits over the window", "firms", "exits", "flow"),
    Outcome("exit_rate", "Yearly firm exit rate over the window", "1/year", "exits", "rate"),
    Outcome("new_exporters", "First-time exporters over the window", "firms", "new_exporters", "flow"),
    Outcome("new_exporters_per_musd", "First-time exporters per million USD of policy budget spent",
            "firms/MUSD", "new_exporters", "ratio", per="budget_spent", scale=1e-3),
    Outcome("early_stop_rate", "Share of export entries followed by a stop within a year", "share",
            "early_export_stops", "ratio", per="export_entries", bounded=True),
    Outcome("sme_export_share", "SMEs' share of the economy's direct exports (mean over the window)",
            "share", "sme_export_share", "mean", bounded=True),
    Outcome("mean_competitiveness", "Mean competitiveness index at the end of the window", "0-1",
            "mean_competitiveness", "stock", bounded=True),
    Outcome("mean_connectivity", "Mean connectivity index at the end of the window", "0-1",
            "mean_connectivity", "stock", bounded=True),
    Outcome("budget_spent", "Policy budget spent over the window", "kUSD", "budget_spent", "flow"),
    Outcome("export_participation_avg", "Share of SMEs that export, mean over the window", "share",
            "export_participation", "mean", bounded=True),
    Outcome("export_participation_micro", "Export participation of micro firms (1-4 workers), mean over the window",
            "share", "export_participation_micro", "mean", bounded=True),
    Outcome("export_participation_small", "Export participation of small firms (5-19 workers), mean over the window",
            "share", "export_participation_small", "mean", bounded=True),
    Outcome("export_participation_medium", "Export participation of medium firms (20-99 workers), mean over "
            "the window", "share", "export_participation_medium", "mean", bounded=True),
    Outcome("small_to_micro_export_ratio", "Export participation of small firms over that of micro firms",
            "ratio", "export_participation_small", "ratio", per="export_participation_micro"),
    Outcome("medium_to_small_export_ratio", "Export participation of medium firms over that of small firms",
            "ratio", "export_participation_medium", "ratio", per="export_participation_small"),
    Outcome("rationed_export_ratio", "Export participation of credit-rationed SMEs over that of the others",
            "ratio", "export_participation_rationed", "ratio", per="export_participation_unrationed"),
    Outcome("micro_share", "Share of micro firms among SMEs, mean over the window", "share", "share_micro", "mean",
            bounded=True),
)}

DEFAULT_SWEEP_OUTCOMES: tuple[str, ...] = ("export_participation", "gvc_participation", "exits",
                                           "new_exporters_per_musd")


def check(names: Iterable[str]) -> list[str]:
    """The names, each checked against :data:`OUTCOMES` (ParameterError naming the first unknown)."""
    names = list(names)
    for n in names:
        if n not in OUTCOMES:
            raise ParameterError(f"unknown outcome {n!r}{suggest(n, OUTCOMES)}; outcomes are "
                                 f"{', '.join(OUTCOMES)}")
    if not names:
        raise ParameterError("no outcomes given")
    return names


def column(name: str, year: int | None = None) -> str:
    """Column name of an outcome in result tables: ``name`` for the horizon, ``name@y3`` for year 3."""
    return name if year is None else f"{name}@y{year}"


def evaluate(ts: pd.DataFrame, names: Iterable[str], per_year: bool = False) -> dict[str, float]:
    """Outcomes of one run from its time series: over the horizon, and per year if asked."""
    horizon = int(ts["step"].max())
    out = {column(n): OUTCOMES[n].value(ts, 1, horizon) for n in names}
    if per_year:
        for year in range(1, horizon // QUARTERS_PER_YEAR + 1):
            first, last = QUARTERS_PER_YEAR * (year - 1) + 1, QUARTERS_PER_YEAR * year
            for n in names:
                out[column(n, year)] = OUTCOMES[n].value(ts, first, last)
    return out
