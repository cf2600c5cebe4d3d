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
    kind: str                 # "stock" (end of window), "change" (end minus start), "flow" (sum), "mean",
    #                           "years" (a stock summed over the quarters, / 4),
    #                           "ratio" (sum / sum), "cost" (a ratio, undefined when nothing was spent),
    #                           "rate", "ratio2"
    per: str | None = None    # the denominator column of a ratio
    scale: float = 1.0
    bounded: bool = False     # lies in [0, 1]
    ref: tuple[str, str] | None = None  # "ratio2": (column / per) over (ref[0] / ref[1]), each summed

    def value(self, ts: pd.DataFrame, first: int, last: int) -> float:
        """The outcome over quarters ``first..last`` (inclusive; step 0 is the starting state)."""
        steps = ts["step"].to_numpy()
        window = (steps >= first) & (steps <= last)
        col = ts[self.column].to_numpy(dtype=float)
        if self.kind == "stock":
            return float(col[steps == last][0])
        if self.kind == "change":  # from the state before the window's first quarter to its last
            return float(col[steps == last][0] - col[steps == first - 1][0])
        if self.kind == "flow":
            return float(col[window].sum())
        if self.kind == "years":  # a stock summed over the window's quarters, in firm-years
            return float(col[window].sum() / QUARTERS_PER_YEAR)
        if self.kind == "mean":
            return float(np.nanmean(col[window])) if window.any() else float("nan")
        if self.kind == "rate":  # per firm (of the ``per`` population, by default all SMEs) and per year
            firms = ts[self.per or "n_smes"].to_numpy(dtype=float)[window].mean()
            if firms <= 0:
                return float("nan")
            years = window.sum() / QUARTERS_PER_YEAR
            return float(col[window].sum() / firms / years)
        if self.kind == "ratio2":  # a ratio of two pooled shares
            share = [ts[a].to_numpy(dtype=float)[window].sum() / max(ts[b].to_numpy(dtype=float)[window].sum(), 1e-300)
                     for a, b in ((self.column, self.per), self.ref)]
            return float(share[0] / share[1]) if share[1] > 0 else float("nan")
        den = ts[self.per].to_numpy(dtype=float)[window].sum() * self.scale
        num = col[window].sum()
        if self.kind == "cost" and num <= 0:  # nothing spent: a cost per unit is undefined, not zero
            return float("nan")
        return float(num / den) if den > 0 else float("nan")


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("export_participation", "Share of SMEs that export (directly or within a GVC) at the end of the window",
            "share", "export_participation", "stock", bounded=True),
    Outcome("gvc_participation", "Share of SMEs integrated in a global value chain at the end of the window",
            "share", "gvc_participation", "stock", bounded=True),
    Outcome("exits", "Firm exits over the window", "firms", "exits", "flow"),
    Outcome("exit_rate", "Yearly firm exit rate over the window", "1/year", "exits", "rate"),
    Outcome("exporter_years", "Exporting SMEs (directly or within a GVC) summed over the window's quarters, in "
            "years: exporting that lasts counts for as long as it lasts", "firm-years", "exporters", "years"),
    Outcome("lasting_entrants", "First-time exporters that export in each of the four quarters after their entry "
            "quarter (entries up to four quarters before the window's end; counted when confirmed)", "firms",
            "lasting_entrants", "flow"),
    Outcome("exporter_years_low_capacity", "Exporter-years in the lowest third of regions by local capacity "
            "(the regional equity of a policy)", "firm-years", "exporters_low_capacity", "years"),
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
    Outcome("export_sales", "SME export sales over the window (direct exporters and GVC suppliers)", "kUSD",
            "sme_export_sales", "flow"),
    Outcome("export_sales_per_exporter", "Quarterly export sales per exporting SME over the window", "kUSD/quarter",
            "sme_export_sales", "ratio", per="export_sellers"),
    Outcome("foreign_profit", "SME foreign operating profit over the window (what exporting earns; export sales "
            "are this over the operating margin on exports)", "kUSD", "sme_foreign_profit", "flow"),
    Outcome("home_sales", "SME home-market sales over the window", "kUSD", "home_sales", "flow"),
    Outcome("direct_export_share_5plus", "Share of SMEs of 5+ workers exporting directly at least 10% of their "
            "sales (the World Bank Enterprise Survey's definition), mean over the window", "share",
            "direct_export_share_5plus", "mean", bounded=True),
    Outcome("exit_rate_20plus", "Yearly exit rate of SMEs of 20+ workers (the manufacturing census's population)",
            "1/year", "exits_20plus", "rate", per="n_20plus"),
    Outcome("turnover_20plus", "Yearly share of SMEs of 20+ workers that have left that population a year later, "
            "by closing or shrinking below 20 (what an annual census of 20+ workers sees as exit)", "1/year",
            "census_left", "ratio", per="census_base", bounded=True),
    Outcome("export_ratio_10_49_to_1_9", "Direct-export participation of firms of 10-49 workers over that of "
            "firms of 1-9 (pooled over the window)", "ratio", "direct_exporters_10_49", "ratio2",
            per="n_10_49", ref=("direct_exporters_1_9", "n_1_9")),
    Outcome("export_ratio_50_99_to_10_49", "Direct-export participation of firms of 50-99 workers over that of "
            "firms of 10-49 (pooled over the window)", "ratio", "direct_exporters_50_99", "ratio2",
            per="n_50_99", ref=("direct_exporters_10_49", "n_10_49")),
    Outcome("export_persistence", "Yearly persistence of direct exporters of 10+ workers: of a year's direct "
            "exporters still alive a year later, the share that exported directly in some quarter of that year "
            "(pooled over the window's year ends)", "share", "persistence_stayed", "ratio",
            per="persistence_base", bounded=True),
    Outcome("export_intensity", "Median export intensity (export over total sales) of direct exporters of 5+ "
            "workers, mean over the window", "share", "median_export_intensity", "mean", bounded=True),
    Outcome("mean_size", "Mean employment of SMEs at the end of the window", "workers", "mean_size", "stock"),
    Outcome("exporters", "SMEs exporting (directly or within a GVC) at the end of the window", "firms",
            "exporters", "stock"),
    Outcome("exporters_gained", "Change in the number of exporting SMEs over the window", "firms", "exporters",
            "change"),
    Outcome("export_entries", "Export entries over the window (first-time and re-entries)", "entries",
            "export_entries", "flow"),
    Outcome("export_stops", "Exporters that stopped exporting over the window", "firms", "export_stops", "flow"),
    Outcome("early_export_stops", "Export entries followed by a stop within a year, over the window", "firms",
            "early_export_stops", "flow"),
    Outcome("born_global", "SMEs that exported straight from the precondition stage, over the window", "firms",
            "born_global", "flow"),
    Outcome("alliances_formed", "SME-LE alliances formed over the window", "alliances", "alliances_formed", "flow"),
    Outcome("alliances", "SME-LE alliances in force at the end of the window", "alliances", "alliances", "stock"),
    Outcome("mean_capability", "Mean export capability at the end of the window", "0-1", "mean_capability",
            "stock", bounded=True),
    Outcome("cost_per_new_exporter", "Policy budget spent per first-time exporter", "kUSD/firm", "budget_spent",
            "cost", per="new_exporters"),
)}

# What a run's summary holds (RunResult.summary, summaries.csv of run and compare): each outcome of
# OUTCOMES over the whole horizon, so a summary and a sweep mean the same by the same name.
SUMMARY: tuple[str, ...] = (
    "exporter_years", "lasting_entrants", "exporter_years_low_capacity", "new_exporters",
    "export_entries", "exits", "export_stops", "early_export_stops", "alliances_formed",
    "born_global", "budget_spent", "home_sales", "exporters", "export_participation", "gvc_participation",
    "alliances", "mean_competitiveness", "mean_connectivity", "mean_capability", "exporters_gained",
    "new_exporters_per_musd", "cost_per_new_exporter", "sme_export_share", "export_sales",
    "export_sales_per_exporter", "mean_size")

DEFAULT_SWEEP_OUTCOMES: tuple[str, ...] = ("exporter_years", "lasting_entrants", "export_participation",
                                           "gvc_participation", "exits", "new_exporters_per_musd")


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
