"""What a class reads off its runs: monitors, the end-of-run sentence, the runs so far, and the gap over seeds.

Everything here is plain Python over a :class:`~simulation.classroom.ClassroomModel`
or its frozen :class:`~simulation.classroom.Snapshot` (what the page reads),
so the tests read the same numbers the browser shows. The class is judged
first on exporting that lasts (:data:`LEAD`): *exporter-years*, the exporting
SMEs (directly or within a global value chain) summed over the quarters run
so far and divided by four, and *lasting entrants*, first-time exporters that
export in each of the four quarters after their entry (counted in the quarter
that confirms them). New exporters, which count every first entry however
short, stand beside them as the churn-inclusive count. "The gap" is live
minus reference over the same quarters, both in the same world and on the
same seed, so it is the policy's doing, plus the luck of that seed, which
:func:`seed_gaps` measures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import levers, outcomes
from .api import run_batch
from .classroom import ClassroomModel, Snapshot
from .engine import RunInput
from .lessons import FIRST_SEED, SEEDS, Lesson, Quote, load_lessons, number
from .params import REGISTRY

LEAD = ("exporter_years", "lasting_entrants")  # exporting that lasts: what the class is judged on first
VERDICT = (*LEAD, "new_exporters", "exporters")  # what "Run 20 seeds" measures on every seed
NAMES = {"exporter_years": "exporter-years", "lasting_entrants": "lasting entrants",
         "new_exporters": "new exporters", "exporters": "exporters"}


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


def so_far(ts: pd.DataFrame, quarter: int, outcome: str) -> float:
    """An outcome over quarters 1..``quarter`` (0 at the start: no quarter has run yet).

    Outcomes are read as :mod:`simulation.outcomes` reads them over a window,
    so at the horizon they equal the run's summary.
    """
    if quarter < 1:
        return 0.0
    return outcomes.OUTCOMES[outcome].value(ts[ts["step"] <= quarter], 1, quarter)


@dataclass(frozen=True)
class Monitors:
    """The numbers beside the charts (NetLogo's monitors), at the live run's current quarter.

    Exporter-years and lasting entrants are counted over the quarters run so
    far, the reference's over the same quarters.
    """

    quarter: int
    horizon: int
    exporters: int                # exporting SMEs now
    exporters_share: float
    gvc_share: float
    budget_spent: float
    budget_planned: float
    exporter_years: float
    lasting_entrants: int
    reference_exporter_years: float
    reference_lasting_entrants: int

    @property
    def gap(self) -> float:
        """Exporter-years, live minus reference."""
        return self.exporter_years - self.reference_exporter_years

    @property
    def lasting_gap(self) -> int:
        return self.lasting_entrants - self.reference_lasting_entrants

    @property
    def finished(self) -> bool:
        return self.quarter >= self.horizon


def monitors(model: ClassroomModel | Snapshot) -> Monitors:
    """The monitors of ``model`` now."""
    ts, ref = model.timeseries(), model.reference_ts
    now = int(ts["step"].iloc[-1])
    return Monitors(quarter=now, horizon=model.horizon, exporters=int(_at(ts, now, "exporters")),
                    exporters_share=_at(ts, now, "export_participation"),
                    gvc_share=_at(ts, now, "gvc_participation"),
                    budget_spent=float(ts["budget_spent"].sum()),
                    budget_planned=model.live.package.total_budget,
                    exporter_years=so_far(ts, now, "exporter_years"),
                    lasting_entrants=int(so_far(ts, now, "lasting_entrants")),
                    reference_exporter_years=so_far(ref, now, "exporter_years"),
                    reference_lasting_entrants=int(so_far(ref, now, "lasting_entrants")))


def count(value: float) -> str:
    """A count as a class reads it: whole, with thousands separated (exporter-years come in quarters)."""
    return f"{value:,.0f}"


def against(live: float, reference: float) -> str:
    """'12 more (+3%) than', '4 fewer (-2%) than' or 'as many as': live beside the reference, whole numbers."""
    gap = round(live) - round(reference)
    if gap == 0:
        return "as many as"
    pct = f" ({100 * (live - reference) / reference:+.0f}%)" if reference else ""
    return f"{count(abs(gap))} {'more' if gap > 0 else 'fewer'}{pct} than"


def gap_sentence(m: Monitors) -> str:
    """Live against reference so far, in one sentence (the end-of-run message says it this way)."""
    return (f"the live run has {count(m.exporter_years)} exporter-years, "
            f"{against(m.exporter_years, m.reference_exporter_years)} the reference's "
            f"{count(m.reference_exporter_years)}, and {m.lasting_entrants} lasting entrants against its "
            f"{m.reference_lasting_entrants}")


def end_message(model: ClassroomModel | Snapshot) -> str:
    """What the screen says when the run reaches its horizon ('' before)."""
    m = monitors(model)
    if not m.finished:
        return ""
    return (f"The run has finished (quarter {m.quarter} of {m.horizon}): {gap_sentence(m)}. "
            f"Press Reset to play again, or Run {SEEDS} seeds to see whether the gap is luck.")


@dataclass(frozen=True)
class RunRecord:
    """One run since the page was opened: what was moved and where it got to (outcomes so far)."""

    number: int
    scenario: str
    reference: str
    moved: str
    seed: int
    quarter: int
    exporter_years: float
    reference_exporter_years: float
    lasting_entrants: int
    reference_lasting_entrants: int
    timeseries: pd.DataFrame = field(repr=False, compare=False)

    @property
    def gap(self) -> float:
        """Exporter-years, live minus reference."""
        return self.exporter_years - self.reference_exporter_years


def record(model: ClassroomModel | Snapshot, number: int) -> RunRecord:
    """``model`` as a line of the runs table (and a ghost line on the key chart)."""
    m = monitors(model)
    return RunRecord(number, model.source.title, model.reference_scenario.title, moved_text(model.changes),
                     model.seed, m.quarter, m.exporter_years, m.reference_exporter_years, m.lasting_entrants,
                     m.reference_lasting_entrants, model.timeseries())


TABLE_COLUMNS = {"number": "run", "scenario": "live scenario", "moved": "moved", "seed": "seed",
                 "quarter": "quarter", "exporter_years": "exporter-years",
                 "reference_exporter_years": "reference exporter-years", "gap": "gap",
                 "lasting_entrants": "lasting entrants", "reference_lasting_entrants": "reference lasting entrants",
                 "reference": "reference scenario"}
_ROUNDED = ("exporter_years", "reference_exporter_years", "gap")  # quarters of a year: one decimal is exact enough


def table(records: Sequence[RunRecord]) -> pd.DataFrame:
    """The runs so far, one row each, in the order they were run."""
    rows = [{label: round(getattr(r, attr), 1) if attr in _ROUNDED else getattr(r, attr)
             for attr, label in TABLE_COLUMNS.items()} for r in records]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS.values()))


@dataclass(frozen=True)
class SeedGaps:
    """Outcomes over the whole run, live and reference, on several seeds (one value per seed each).

    ``live`` and ``reference`` map an outcome of :mod:`simulation.outcomes`
    to its value on each seed, in the order of ``seeds``.
    """

    seeds: tuple[int, ...]
    live: dict[str, tuple[float, ...]]
    reference: dict[str, tuple[float, ...]]
    horizon: int

    def gaps(self, outcome: str = LEAD[0]) -> np.ndarray:
        """Live minus reference, seed by seed."""
        return np.asarray(self.live[outcome], float) - np.asarray(self.reference[outcome], float)

    def mean(self, outcome: str = LEAD[0]) -> float:
        return float(self.gaps(outcome).mean())

    def interval(self, outcome: str = LEAD[0]) -> tuple[float, float]:
        """95% t-interval of the mean gap (seeds are independent draws of the world's luck)."""
        g = self.gaps(outcome)
        if len(g) < 2:
            return (float("nan"), float("nan"))
        half = stats.t.ppf(0.975, len(g) - 1) * g.std(ddof=1) / math.sqrt(len(g))
        return (self.mean(outcome) - half, self.mean(outcome) + half)

    def ahead(self, outcome: str = LEAD[0]) -> int:
        """Seeds on which the live run ends above the reference."""
        return int((self.gaps(outcome) > 0).sum())

    def behind(self, outcome: str = LEAD[0]) -> int:
        """Seeds on which the live run ends below the reference."""
        return int((self.gaps(outcome) < 0).sum())

    def luck(self, outcome: str = LEAD[0]) -> bool:
        """Whether the interval includes zero: these seeds cannot tell the gap from luck."""
        low, high = self.interval(outcome)
        return not (low > 0 or high < 0)

    def _part(self, outcome: str, against: str = "") -> str:
        low, high = self.interval(outcome)
        return (f"{self.mean(outcome):+.1f} {NAMES[outcome]}{against} (95% interval {low:+.1f} to {high:+.1f}), "
                f"ahead on {self.ahead(outcome)} of {len(self.seeds)} seeds")

    def verdict(self) -> str:
        """Whether the gaps in exporting that lasts could be luck (their 95% intervals include zero)."""
        luck = [self.luck(o) for o in LEAD]
        if all(luck):
            return "Both gaps could be luck: their intervals include zero."
        if not any(luck):
            return "Neither gap is luck: both intervals leave out zero."
        sure, unsure = LEAD if not luck[0] else LEAD[::-1]
        return f"The {NAMES[sure]} gap is not luck (its interval leaves out zero); the {NAMES[unsure]} gap could be."

    def sentence(self) -> str:
        """The verdict "Run 20 seeds" shows: exporting that lasts first, new exporters (churn included) after."""
        churn = "new_exporters"
        return (f"Over {len(self.seeds)} seeds the live run ends with "
                f"{self._part(LEAD[0], ' against the reference on average')}, and {self._part(LEAD[1])}. "
                f"{self.verdict()} New exporters, every first entry however short: {self.mean(churn):+.1f} on "
                f"average, ahead on {self.ahead(churn)} seeds.")

    def frame(self) -> pd.DataFrame:
        """One row per seed: each outcome's live value, reference value and gap."""
        columns: dict[str, Any] = {"seed": self.seeds}
        for o in self.live:
            columns |= {f"{o}_live": self.live[o], f"{o}_reference": self.reference[o], f"{o}_gap": self.gaps(o)}
        return pd.DataFrame(columns)


def seed_gaps(model: ClassroomModel | Snapshot, n: int = SEEDS, measured: Sequence[str] = VERDICT) -> SeedGaps:
    """The live set-up and its reference run to the horizon on ``n`` seeds (this one and the next).

    Both arms of a seed share the world (every non-policy parameter follows
    the live run) as in the app's own reference line; one batch runs all.
    ``measured`` names the outcomes (of :mod:`simulation.outcomes`, over the
    whole run) kept for each seed.
    """
    names = outcomes.check(measured)
    seeds = tuple(model.seed + k for k in range(n))
    world = {k: v for k, v in model.p.items() if REGISTRY[k].group != "policy"}
    ref = model.reference_scenario
    runs = [RunInput(model.live.package, dict(model.p), s) for s in seeds]
    runs += [RunInput(ref.package, {**ref.params, **world}, s) for s in seeds]
    results = run_batch(runs, steps=model.horizon, regions=False)
    values = [outcomes.evaluate(r.timeseries, names) for r in results]
    live = {o: tuple(v[o] for v in values[:n]) for o in names}
    reference = {o: tuple(v[o] for v in values[n:]) for o in names}
    return SeedGaps(seeds, live, reference, model.horizon)


# --- measuring the quotes ------------------------------------------------------------------

def _value(gaps: SeedGaps, quote: Quote) -> float:
    """A quote's measure read off the seeds of one set-up."""
    o = quote.outcome
    return {"live": lambda: sum(gaps.live[o]) / len(gaps.seeds),
            "reference": lambda: sum(gaps.reference[o]) / len(gaps.seeds),
            "live_minus_reference": lambda: gaps.mean(o),
            "reference_minus_live": lambda: -gaps.mean(o),
            "seeds_ahead": lambda: float(gaps.ahead(o)),
            "seeds_behind": lambda: float(gaps.behind(o))}[quote.measure]()


def measure(lesson: Lesson, seed: int = FIRST_SEED, n: int = SEEDS,
            names: Iterable[str] | None = None) -> dict[str, float]:
    """What the runs give for each measured quote (or those in ``names``): "Run 20 seeds" on the lesson.

    Each set of moved levers (the lesson's, plus a quote's own) is one
    classroom set-up run on seeds ``seed``.. ``seed + n - 1``, live and
    reference, exactly as the app's "Run 20 seeds" runs it from that seed.
    """
    wanted = [q for q in lesson.quotes.values() if q.measured and (names is None or q.name in set(names))]
    groups: dict[tuple, list[Quote]] = {}
    for q in wanted:
        moved = {**lesson.levers, **q.levers}
        groups.setdefault(tuple(sorted(moved.items(), key=lambda kv: kv[0])), []).append(q)
    out: dict[str, float] = {}
    for moved, quotes in groups.items():
        model = ClassroomModel(lesson.scenario, reference=lesson.reference, seed=str(seed), **dict(moved))
        gaps = seed_gaps(model, n, sorted({q.outcome for q in quotes}))
        out |= {q.name: _value(gaps, q) for q in quotes}
    return out


def report(lesson: Lesson, measured: dict[str, float]) -> str:
    """Stated against measured, one quote a line (what the slow test prints when a quote has gone stale)."""
    lines = []
    for name, value in measured.items():
        q = lesson.quotes[name]
        mark = "ok " if q.holds(value) else "OFF"
        moved = f" with {q.levers}" if q.levers else ""
        lines.append(f"{mark} {lesson.name}: {{{name}}} states {q.text} (within {number(q.within)}), runs give "
                     f"{value:.2f}: {q.outcome} {q.measure}{moved}")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m simulation.class_runs [NAME...]: measure the shipped lessons' quotes
    import sys

    for one in load_lessons():
        if len(sys.argv) < 2 or one.name in sys.argv[1:] or one.hypothesis.lower() in sys.argv[1:]:
            print(report(one, measure(one)), flush=True)
