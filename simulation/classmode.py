"""Class mode: every student a policy maker in one shared world, one ranked table for the teacher.

A teacher serves the app on the school network and opens a :class:`ClassSession`:
one scenario, one seed, one budget for the whole class. Each student's browser
moves only the policy levers (:data:`STUDENT_LEVERS`; the world levers stay as
the scenario sets them, so every package faces the same world) and submits a
package under a nickname. A submission runs on :data:`SEEDS` seeds (the class
seed and the next ones) in one batch. It is judged on exporting that lasts:
its exporter-years (exporting SMEs summed over the quarters, divided by four),
and its gain is its exporter-years minus the class baseline's (the scenario
with no lever moved) seed by seed, so the luck of a seed cancels out. The
teacher's page ranks the submissions by exporter-years, with 95% t-intervals
over the seeds, shows their lasting entrants (first-time exporters still
exporting in each of the next four quarters) beside them, and can replay any
one (:meth:`ClassSession.replay`).

Every refusal is a :class:`ClassModeError` whose message a student can read.
Nothing here imports Solara.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from . import levers
from .api import run_batch
from .class_runs import moved_text
from .engine import RunInput
from .inputs import show
from .outcomes import evaluate
from .scenario import Scenario, load

MAX_STUDENTS = 60        # distinct nicknames (case-insensitive) in one session
MAX_PER_STUDENT = 5      # submissions per nickname
MAX_NICKNAME = 24        # characters, after normalizing and stripping
SEEDS = 10               # seeds each submission runs on
BUDGET_TOLERANCE = 1e-6  # relative: a package rebuilt from scaled budgets may miss the total by rounding
RANKED_BY = "exporter_years"   # exporting that lasts: a package that buys short export spells ranks low
MEASURED = (RANKED_BY, "lasting_entrants")

STUDENT_LEVERS: tuple[str, ...] = tuple(lv.name for lv in levers.POLICY_LEVERS)
_WORLD_LEVERS = frozenset(lv.name for lv in levers.WORLD_LEVERS)


class ClassModeError(ValueError):
    """A submission the class session refuses; the message is one sentence a student can read."""


@dataclass(frozen=True)
class Submission:
    """One student's package, evaluated on the class seeds."""

    id: int
    nickname: str
    levers: dict[str, Any]               # every lever's value; only student levers differ from the scenario
    moved: dict[str, tuple[Any, Any]]    # lever -> (scenario's value, student's value)
    budget: float                        # kUSD the package plans to spend, programmes and regulations
    exporter_years: tuple[float, ...]    # per seed: exporting SMEs summed over the quarters, / 4
    lasting_entrants: tuple[float, ...]  # per seed: first-time exporters that kept exporting a year
    gain: tuple[float, ...]              # per seed: exporter-years minus the class baseline's
    mean: float                          # exporter-years, mean over the seeds and its 95% interval
    low: float
    high: float
    gain_mean: float
    gain_low: float
    gain_high: float
    lasting_mean: float                  # lasting entrants, mean over the seeds
    submitted: float                     # time.time() when the evaluation finished


def interval(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, low, high): the 95% t-interval of the mean (seeds are independent draws of luck)."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def nickname_of(text: Any) -> str:
    """A nickname as the class sees it (NFC, stripped), or a ClassModeError saying what is wrong."""
    if not isinstance(text, str):
        raise ClassModeError("A nickname must be typed as text.")
    name = unicodedata.normalize("NFC", text).strip()  # one spelling per name, whatever the keyboard sent
    if not name:
        raise ClassModeError("Please type a nickname.")
    if len(name) > MAX_NICKNAME:
        raise ClassModeError(f"A nickname may have at most {MAX_NICKNAME} characters; yours has {len(name)}.")
    if not name.isprintable():  # control and invisible format characters would garble the teacher's table
        raise ClassModeError("A nickname may hold only letters, digits, plain spaces and punctuation.")
    return name


def _pair(a: float, b: float) -> tuple[str, str]:
    """Two kUSD amounts with just enough decimals to tell them apart."""
    for digits in range(7):
        x, y = f"{a:,.{digits}f}", f"{b:,.{digits}f}"
        if x != y:
            break
    return x, y


def _estimate(mean: float, low: float, high: float, sign: str = "") -> str:
    return f"{mean:{sign}.1f} [{low:{sign}.1f}, {high:{sign}.1f}]"


TABLE_COLUMNS = ("rank", "id", "nickname", "moved", "budget (kUSD)", "exporter-years [95% interval]",
                 "gain in exporter-years over the class baseline [95% interval]", "lasting entrants")


class ClassSession:
    """One class: a scenario, seeds and a budget shared by every student, and the submissions so far."""

    def __init__(self, scenario: str | Path | Scenario = "baseline", seed: int = 1, seeds: int = SEEDS, *,
                 max_students: int = MAX_STUDENTS, max_per_student: int = MAX_PER_STUDENT,
                 token: str | None = None) -> None:
        for label, value, least in (("seed", seed, 0), ("seeds", seeds, 2), ("max_students", max_students, 1),
                                    ("max_per_student", max_per_student, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{label} must be a whole number from {least} up, got {value!r}")
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError("token must be a non-empty string (or None for a random one)")
        self.scenario: Scenario = scenario if isinstance(scenario, Scenario) else load(scenario)
        self.seed = seed
        self.seeds: list[int] = [seed + k for k in range(seeds)]
        self.max_students = max_students
        self.max_per_student = max_per_student
        self.token: str = token if token is not None else secrets.token_urlsafe(16)
        self.budget: float = self.scenario.package.total_budget
        self._lock = threading.Lock()      # the bookkeeping below; never held while a batch runs
        self._run_lock = threading.Lock()  # one batch at a time: a class of 60 must not run 60 batches at once
        self._count: dict[str, int] = {}   # casefolded nickname -> submissions sent or being evaluated
        self._done: list[Submission] = []
        self._baseline: dict[str, tuple[float, ...]] | None = None

    # --- the teacher's side ----------------------------------------------------------
    def check_token(self, given: str | None) -> bool:
        """Whether ``given`` is the teacher's token (compared in constant time)."""
        if not isinstance(given, str) or not given:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    @property
    def baseline(self) -> tuple[float, ...]:
        """Exporter-years of the untouched scenario on each seed (run once, on first use)."""
        with self._run_lock:
            return self._baseline_locked()[RANKED_BY]

    def submissions(self) -> list[Submission]:
        """Every evaluated submission, most exporter-years first (ties: first sent first)."""
        with self._lock:
            done = list(self._done)
        return sorted(done, key=lambda s: (-s.mean, s.id))

    def get(self, submission_id: int) -> Submission:
        with self._lock:
            for sub in self._done:
                if sub.id == submission_id:
                    return sub
        raise ClassModeError(f"There is no submission number {show(submission_id)}.")

    def replay(self, submission_id: int) -> Scenario:
        """The class scenario with a submission's levers moved: run it on :attr:`seed` to replay it."""
        sub = self.get(submission_id)
        return levers.apply(self.scenario, {name: new for name, (_, new) in sub.moved.items()})

    def table(self) -> pd.DataFrame:
        """The ranking as the teacher's page shows it; equal means share a rank."""
        ranked = self.submissions()
        rows = []
        for sub in ranked:
            rank = 1 + sum(other.mean > sub.mean for other in ranked)
            rows.append(dict(zip(TABLE_COLUMNS, (
                rank, sub.id, sub.nickname, moved_text(sub.moved), round(sub.budget, 1),
                _estimate(sub.mean, sub.low, sub.high),
                _estimate(sub.gain_mean, sub.gain_low, sub.gain_high, "+"), round(sub.lasting_mean, 1)))))
        return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))

    # --- the student's side ----------------------------------------------------------
    def planned_budget(self, lever_values: Mapping[str, Any]) -> float:
        """kUSD the class scenario's package plans to spend with ``lever_values`` moved (checked first)."""
        return levers.apply(self.scenario, self._checked(lever_values)).package.total_budget

    def submit(self, nickname: str, lever_values: Mapping[str, Any]) -> Submission:
        """Check, evaluate on the class seeds and record one student's package."""
        name = nickname_of(nickname)
        checked = self._checked(lever_values)
        live = levers.apply(self.scenario, checked)
        budget = live.package.total_budget
        if budget > self.budget * (1 + BUDGET_TOLERANCE):
            plan, cap = _pair(budget, self.budget)
            raise ClassModeError(f"This package plans to spend {plan} kUSD, more than the class budget of "
                                 f"{cap} kUSD; lower a budget lever and send it again.")
        key = name.casefold()
        with self._lock:  # reserved before the run, so two quick clicks cannot both pass the bounds
            self._reserve(key, name)
        try:
            with self._run_lock:
                base = self._baseline_locked()[RANKED_BY]
                ends = self._evaluate(live)
        except BaseException:
            with self._lock:
                self._release(key)
            raise
        years, lasting = ends[RANKED_BY], ends["lasting_entrants"]
        gain = tuple(a - b for a, b in zip(years, base))
        mean, low, high = interval(years)
        gain_mean, gain_low, gain_high = interval(gain)
        values = {**levers.read(self.scenario), **checked}
        moved = levers.moved(self.scenario, checked)
        with self._lock:
            sub = Submission(len(self._done) + 1, name, values, moved, budget, years, lasting, gain, mean, low,
                             high, gain_mean, gain_low, gain_high, float(np.mean(lasting)), time.time())
            self._done.append(sub)
        return sub

    # --- inside ------------------------------------------------------------------------
    def _reserve(self, key: str, name: str) -> None:
        """Count a submission against its nickname's and the class's bounds (call under ``_lock``)."""
        if key not in self._count and len(self._count) >= self.max_students:
            raise ClassModeError(f"The class has {self.max_students} students already; ask your teacher.")
        if self._count.get(key, 0) >= self.max_per_student:
            raise ClassModeError(f"{name} has sent {self.max_per_student} packages already, "
                                 "the most one student may send.")
        if sum(self._count.values()) >= self.max_students * self.max_per_student:
            raise ClassModeError("The class has sent all the packages this session takes; ask your teacher.")
        self._count[key] = self._count.get(key, 0) + 1

    def _release(self, key: str) -> None:
        """Give back a reservation whose evaluation failed (call under ``_lock``)."""
        self._count[key] -= 1
        if not self._count[key]:
            del self._count[key]

    def _checked(self, lever_values: Mapping[str, Any]) -> dict[str, Any]:
        """Student levers only, each value of the right kind and inside its range (never clamped)."""
        if not isinstance(lever_values, Mapping):
            raise ClassModeError("The levers must come as lever names with their values.")
        out = {}
        for name, value in lever_values.items():
            if name in _WORLD_LEVERS:
                raise ClassModeError(f"{levers.LEVERS[name].short} ({name}) belongs to the world the whole "
                                     "class shares, so only the teacher sets it; leave it as it is.")
            if name not in STUDENT_LEVERS:
                raise ClassModeError(f"There is no lever called {show(name)}; the levers you may move are "
                                     f"{', '.join(STUDENT_LEVERS)}.")
            out[name] = self._check(name, value)
        return out

    def _check(self, name: str, value: Any) -> Any:
        lever = levers.LEVERS[name]
        span = self._range(lever)
        try:
            checked = levers.check({name: value})[name]
        except levers.LeverError:
            checked = None
        if checked is not None and (span is None or span[0] <= checked <= span[1]):
            return checked
        given = show(value)
        if isinstance(lever, levers.Toggle):
            raise ClassModeError(f"{lever.label} must be on or off (true or false); you gave {given}.")
        if isinstance(lever, levers.Delivery):
            raise ClassModeError(f"{lever.label} must be one of: {', '.join(lever.choices)}; you gave {given}.")
        low, high = span if span is not None else (math.nan, math.nan)
        raise ClassModeError(f"{lever.label} must be a number from {low:g} to {high:g}; you gave {given}.")

    def _range(self, lever: Any) -> tuple[float, float] | None:
        """A numeric lever's range in the class scenario (a parameter's sweep range, widened to hold it)."""
        if isinstance(lever, levers.ParameterLever):
            return lever.bounds(self.scenario)
        if isinstance(lever, (levers.BudgetScale, levers.Regulation)):
            return lever.low, lever.high
        return None

    def _baseline_locked(self) -> dict[str, tuple[float, ...]]:
        if self._baseline is None:
            self._baseline = self._evaluate(self.scenario)
        return self._baseline

    def _evaluate(self, scenario: Scenario) -> dict[str, tuple[float, ...]]:
        """Exporter-years and lasting entrants over the horizon on each class seed, all seeds in one batch.

        Read from each run's time series as :mod:`simulation.outcomes` reads
        them over the whole horizon, so they equal the run's summary.
        """
        runs = [RunInput(scenario.package, dict(scenario.params), s) for s in self.seeds]
        results = run_batch(runs, steps=scenario.steps, regions=False)
        values = [evaluate(r.timeseries, MEASURED) for r in results]
        return {o: tuple(float(v[o]) for v in values) for o in MEASURED}
