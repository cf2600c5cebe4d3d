"""What a class reads off its runs: monitors, the end-of-run sentence, the runs so far, and the gap over seeds.

Everything here is plain Python over a :class:`~simulation.classroom.ClassroomModel`,
so the tests read the same numbers the browser shows. "Exporters" are the
SMEs exporting directly or within a global value chain (the time series'
``exporters``); "the gap" is live minus reference at the same quarter, both
in the same world and on the same seed, so it is the policy's doing, plus
the luck of that seed, which :func:`seed_gaps` measures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import levers
from .api import run_batch
from .classroom import ClassroomModel
from .engine import RunInput
from .params import REGISTRY

SEEDS = 20  # "Run 20 seeds": enough to see whether a gap is luck, a few seconds with the batched engine


def describe(value: Any) -> str:
    """A lever value as a class reads it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def moved_text(changes: dict[str, tuple[Any, Any]]) -> str:
    """``levers.moved`` as one line: 'Label: a to b; ...', or 'nothing moved'."""
    if not changes:
        return "nothing moved"
    return "; ".join(f"{levers.LEVERS[k].label}: {describe(a)} to {describe(b)}" for k, (a, b) in changes.items())


def _at(ts: pd.DataFrame, quarter: int, column: str) -> float:
    row = ts[ts["step"] <= quarter]
    return float(row[column].iloc[-1]) if len(row) else float("nan")


@dataclass(frozen=True)
class Monitors:
    """The numbers beside the charts (NetLogo's monitors), at the live run's current quarter."""

    quarter: int
    horizon: int
    exporters: int
    exporters_share: float
    gvc_share: float
    budget_spent: float
    budget_planned: float
    reference_exporters: int

    @property
    def gap(self) -> int:
        return self.exporters - self.reference_exporters

    @property
    def finished(self) -> bool:
        return self.quarter >= self.horizon


def monitors(model: ClassroomModel) -> Monitors:
    """The monitors of ``model`` now."""
    ts, ref = model.timeseries(), model.reference_ts
    now = int(ts["step"].iloc[-1])
    return Monitors(quarter=now, horizon=model.horizon, exporters=int(_at(ts, now, "exporters")),
                    exporters_share=_at(ts, now, "export_participation"),
                    gvc_share=_at(ts, now, "gvc_participation"),
                    budget_spent=float(ts["budget_spent"].sum()),
                    budget_planned=model.live.package.total_budget,
                    reference_exporters=int(_at(ref, now, "exporters")))


def gap_sentence(m: Monitors) -> str:
    """Live against reference in one sentence (the end-of-run message and the runs table say it this way)."""
    if m.gap == 0:
        how = "exactly as many as"
    else:
        pct = f" ({100 * m.gap / m.reference_exporters:+.0f}%)" if m.reference_exporters else ""
        how = f"{abs(m.gap)} {'more' if m.gap > 0 else 'fewer'}{pct} than"
    return (f"the live run has {m.exporters} exporters at quarter {m.quarter}, {how} "
            f"the reference's {m.reference_exporters}")


def end_message(model: ClassroomModel) -> str:
    """What the screen says when the run reaches its horizon ('' before)."""
    m = monitors(model)
    if not m.finished:
        return ""
    return (f"The run has finished (quarter {m.quarter} of {m.horizon}): {gap_sentence(m)}. "
            "Press Reset to play again, or Run 20 seeds to see whether the gap is luck.")


@dataclass(frozen=True)
class RunRecord:
    """One run since the page was opened: what was moved and where it got to."""

    number: int
    scenario: str
    reference: str
    moved: str
    seed: int
    quarter: int
    exporters: int
    reference_exporters: int
    timeseries: pd.DataFrame = field(repr=False, compare=False)

    @property
    def gap(self) -> int:
        return self.exporters - self.reference_exporters


def record(model: ClassroomModel, number: int) -> RunRecord:
    """``model`` as a line of the runs table (and a ghost line on the key chart)."""
    m = monitors(model)
    return RunRecord(number, model.source.title, model.reference_scenario.title, moved_text(model.changes),
                     model.seed, m.quarter, m.exporters, m.reference_exporters, model.timeseries())


TABLE_COLUMNS = {"number": "run", "scenario": "live scenario", "moved": "moved", "seed": "seed",
                 "quarter": "quarter", "exporters": "exporters", "reference_exporters": "reference",
                 "gap": "gap", "reference": "reference scenario"}


def table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """The runs so far, one row each, in the order they were run."""
    rows = [{label: getattr(r, attr) for attr, label in TABLE_COLUMNS.items()} for r in records]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS.values()))


@dataclass(frozen=True)
class SeedGaps:
    """The gap in exporters at the horizon, live minus reference, on several seeds."""

    seeds: tuple[int, ...]
    live: tuple[int, ...]
    reference: tuple[int, ...]
    horizon: int

    @property
    def gaps(self) -> np.ndarray:
        return np.asarray(self.live, float) - np.asarray(self.reference, float)

    @property
    def mean(self) -> float:
        return float(self.gaps.mean())

    @property
    def interval(self) -> tuple[float, float]:
        """95% t-interval of the mean gap (seeds are independent draws of the world's luck)."""
        g = self.gaps
        if len(g) < 2:
            return (float("nan"), float("nan"))
        half = stats.t.ppf(0.975, len(g) - 1) * g.std(ddof=1) / math.sqrt(len(g))
        return (self.mean - half, self.mean + half)

    @property
    def positive(self) -> int:
        return int((self.gaps > 0).sum())

    def sentence(self) -> str:
        low, high = self.interval
        if low > 0 or high < 0:
            verdict = "is not luck: the interval leaves out zero"
        else:
            verdict = "could be luck: the interval includes zero"
        return (f"Over {len(self.seeds)} seeds the live run ends with {self.mean:+.1f} exporters against the "
                f"reference on average (95% interval {low:+.1f} to {high:+.1f}); it is ahead on "
                f"{self.positive} of {len(self.seeds)} seeds. The gap {verdict}.")

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"seed": self.seeds, "live": self.live, "reference": self.reference,
                             "gap": self.gaps.astype(int)})


def seed_gaps(model: ClassroomModel, n: int = SEEDS) -> SeedGaps:
    """The live set-up and its reference run to the horizon on ``n`` seeds (this one and the next).

    Both arms of a seed share the world (every non-policy parameter follows
    the live run) as in the app's own reference line; one batch runs all.
    """
    seeds = tuple(model.seed + k for k in range(n))
    world = {k: v for k, v in model.p.items() if REGISTRY[k].group != "policy"}
    ref = model.reference_scenario
    runs = [RunInput(model.live.package, dict(model.p), s) for s in seeds]
    runs += [RunInput(ref.package, {**ref.params, **world}, s) for s in seeds]
    results = run_batch(runs, steps=model.horizon, regions=False)
    ends = [int(r.timeseries["exporters"].iloc[-1]) for r in results]
    return SeedGaps(seeds, tuple(ends[:n]), tuple(ends[n:]), model.horizon)
