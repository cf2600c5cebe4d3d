"""Classroom lessons: one TOML file each in ``scenarios/lessons/``.

A lesson names the scenario the live run starts from, the scenario drawn
faintly beside it (the reference), levers moved before the class starts, and
three short texts for students: what the paper claims, what to change, what
to look for. Teachers add a lesson by adding a file.

Every number a text states is a *quote*: the text writes ``{name}`` and the
file declares ``[quotes.name]``, what the number is and the value stated,
which the loader writes into the text. A measured quote names an outcome of
:mod:`simulation.outcomes` over the whole run, a measure over the seeds of
"Run 20 seeds" (the mean of the live run or the reference, their mean gap
either way round, or on how many seeds the live run ends ahead or behind),
levers moved for that number only, and ``within``, what "about" means;
:func:`measure` runs them, and a slow test (tests/test_lessons.py) compares.
A lever quote is a setting the text asks students to make (``lever`` and
``value``), checked against the lever when the lesson loads. ``{seeds}`` is
the number of seeds "Run 20 seeds" runs. A worlds quote (``worlds``, a
question of docs/hypotheses.md, and ``value``) states in how many percent of
the plausible worlds that question holds; a test compares it with
docs/plausible_worlds.csv.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import levers, schema
from .inputs import show
from .scenario import SCENARIO_DIR, ScenarioError, load, read_toml, reference

LESSON_DIR = SCENARIO_DIR / "lessons"
TEXTS = ("claim", "change", "look_for")
KEYS = frozenset(schema.LessonFile.model_fields)
REQUIRED = tuple(k for k, f in schema.LessonFile.model_fields.items() if f.is_required())
SEEDS = 20  # "Run 20 seeds" (class_runs): enough to see whether a gap is luck, a few seconds on the batched engine
FIRST_SEED = 1  # the seed a lesson opens with in the app: quotes are what "Run 20 seeds" shows there
BUILT_IN = {"seeds": SEEDS}  # placeholders every text may use, filled from the app itself
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
DIFFERENCES = ("live_minus_reference", "reference_minus_live")
COUNTS = ("seeds_ahead", "seeds_behind")


class LessonError(ScenarioError):
    """A lesson file cannot be used: says which file, which key, and what is allowed."""


def number(value: float) -> str:
    """A stated number as students read it: whole numbers without '.0', thousands separated."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


@dataclass(frozen=True)
class Quote:
    """A number a lesson states: its value, and either how the runs measure it or the lever it sets."""

    name: str
    value: float
    outcome: str | None = None
    measure: str | None = None
    within: float | None = None
    levers: dict[str, Any] = field(default_factory=dict)
    lever: str | None = None
    worlds: str | None = None  # the question whose share of plausible worlds (percent) this states

    @property
    def measured(self) -> bool:
        """Whether runs measure this number (a lever setting is checked when the lesson loads)."""
        return self.outcome is not None

    @property
    def text(self) -> str:
        return number(self.value)

    def holds(self, measured: float) -> bool:
        """Whether ``measured`` is what the text says: within ``within`` of the stated value."""
        return self.within is not None and abs(measured - self.value) <= self.within + 1e-9


@dataclass(frozen=True)
class Lesson:
    """A lesson: where the live run starts, what it is compared with, and what students read.

    ``claim``, ``change`` and ``look_for`` are the texts as students read
    them (quotes filled in); ``templates`` the same texts as the file writes
    them, placeholders and all.
    """

    name: str
    title: str
    hypothesis: str
    scenario: str
    reference: str
    claim: str
    change: str
    look_for: str
    order: int = 0
    levers: dict[str, Any] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)


def _text(value: str) -> str:
    """TOML multi-line strings keep their line breaks; paragraphs read better joined."""
    return " ".join(value.split())


def placeholders(text: str) -> list[str]:
    """The names a text quotes, ``{name}``, in order."""
    return PLACEHOLDER.findall(text)


def fill(text: str, quotes: dict[str, Quote]) -> str:
    """``text`` with each ``{name}`` replaced by its quote's stated value (or a built-in's)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        return number(BUILT_IN[name]) if name in BUILT_IN else quotes[name].text

    return PLACEHOLDER.sub(value, text)


def _check_levers(path: Path, key: str, moved: dict[str, Any]) -> None:
    for name, value in moved.items():
        try:
            levers.check({name: value})
        except levers.LeverError as err:
            raise LessonError(path, f"{key}.{name}", str(err)) from None


def _check_quote(path: Path, quote: Quote) -> None:
    """What the schema cannot say alone: levers exist and take the values, stated signs and counts hold."""
    key = f"quotes.{quote.name}"
    if quote.name in BUILT_IN:
        raise LessonError(path, key, f"is reserved: {{{quote.name}}} is filled in by the app")
    if quote.worlds is not None:  # tests/test_lessons.py holds it to docs/plausible_worlds.csv
        return
    if quote.lever is not None:
        if quote.lever not in levers.LEVERS:
            raise LessonError(path, f"{key}.lever", f"unknown lever {show(quote.lever)}; levers: "
                                                    f"{', '.join(levers.LEVERS)}")
        _check_levers(path, key, {quote.lever: quote.value})
        return
    _check_levers(path, f"{key}.levers", quote.levers)
    if quote.measure in DIFFERENCES and quote.value != 0 and quote.within >= abs(quote.value):
        raise LessonError(path, f"{key}.within", f"must be smaller than the size of the value ({number(quote.value)}"
                                                 "), so the sign the text states is checked")
    if quote.measure in COUNTS and not (float(quote.value).is_integer() and 0 <= quote.value <= SEEDS):
        raise LessonError(path, f"{key}.value", f"counts seeds: a whole number from 0 to {SEEDS}, got "
                                                f"{show(quote.value)}")


def _check_placeholders(path: Path, texts: dict[str, str], quotes: dict[str, Quote]) -> None:
    """Every ``{name}`` a text writes has a quote, and every quote is written somewhere."""
    used: set[str] = set()
    for key, text in texts.items():
        for name in placeholders(text):
            if name not in quotes and name not in BUILT_IN:
                known = ", ".join(sorted(quotes)) or "none"
                raise LessonError(path, key, f"{{{name}}} names no quote; declare [quotes.{name}] (quotes: {known})")
            used.add(name)
        if re.search(r"[{}]", PLACEHOLDER.sub("", text)):
            raise LessonError(path, key, "braces enclose a quote's name, {name}, and nothing else")
    for name in quotes:
        if name not in used:
            raise LessonError(path, f"quotes.{name}", f"is stated by no text; write {{{name}}} in "
                                                       f"{', '.join(TEXTS)}, or remove it")


def load_lesson(path: str | Path) -> Lesson:
    """Read and check one lesson file."""
    path = Path(path)
    data = read_toml(path, LessonError)
    lesson = schema.validate(schema.LessonFile, path, data, LessonError)
    for key in ("scenario", "reference"):
        if key in data:
            ref = reference(path, data[key], key, error=LessonError)
            try:
                load(ref)
            except ScenarioError as err:
                raise LessonError(path, key, f"{show(data[key])} cannot be loaded: {err.message}") from None
    _check_levers(path, "levers", lesson.levers)
    quotes = {name: Quote(name, q.value, q.outcome, q.measure, q.within, dict(q.levers), q.lever, q.worlds)
              for name, q in lesson.quotes.items()}
    for quote in quotes.values():
        _check_quote(path, quote)
    templates = {k: _text(getattr(lesson, k)) for k in TEXTS}
    _check_placeholders(path, templates, quotes)
    return Lesson(name=path.stem, title=lesson.title, hypothesis=lesson.hypothesis, scenario=lesson.scenario,
                  reference=lesson.reference or lesson.scenario, order=lesson.order, levers=dict(lesson.levers),
                  quotes=quotes, templates=templates, **{k: fill(t, quotes) for k, t in templates.items()})


def load_lessons(directory: Path = LESSON_DIR) -> list[Lesson]:
    """Every lesson in ``directory``, in their ``order``."""
    return sorted((load_lesson(p) for p in directory.glob("*.toml")), key=lambda x: (x.order, x.name))
