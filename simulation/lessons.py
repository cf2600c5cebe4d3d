"""Classroom lessons: one TOML file each in ``scenarios/lessons/``.

A lesson names the scenario the live run starts from, the scenario drawn
faintly beside it (the reference), levers moved before the class starts, and
three short texts for students: what the paper claims, what to change, what
to look for. Teachers add a lesson by adding a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import levers
from .inputs import show
from .params import suggest
from .scenario import SCENARIO_DIR, ScenarioError, load, read_toml, reference

LESSON_DIR = SCENARIO_DIR / "lessons"
TEXTS = ("claim", "change", "look_for")
KEYS = {"title", "hypothesis", "order", "scenario", "reference", "levers", *TEXTS}
REQUIRED = ("title", "hypothesis", "scenario", *TEXTS)


class LessonError(ScenarioError):
    """A lesson file cannot be used: says which file, which key, and what is allowed."""


@dataclass(frozen=True)
class Lesson:
    """A lesson: where the live run starts, what it is compared with, and what students read."""

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


def _text(value: str) -> str:
    """TOML multi-line strings keep their line breaks; paragraphs read better joined."""
    return " ".join(value.split())


def load_lesson(path: str | Path) -> Lesson:
    """Read and check one lesson file."""
    path = Path(path)
    data = read_toml(path, LessonError)
    for key in data:
        if key not in KEYS:
            raise LessonError(path, key, f"unknown key{suggest(key, KEYS)}; allowed: {', '.join(sorted(KEYS))}")
    for key in REQUIRED:
        if key not in data:
            raise LessonError(path, key, "missing; a lesson needs " + ", ".join(REQUIRED))
    for key in KEYS - {"order", "levers"}:
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            raise LessonError(path, key, f"must be a non-empty string, got {data[key]!r}")
    order = data.get("order", 0)
    if isinstance(order, bool) or not isinstance(order, int):
        raise LessonError(path, "order", f"must be a whole number, got {order!r}")
    for key in ("scenario", "reference"):
        if key in data:
            ref = reference(path, data[key], key, error=LessonError)
            try:
                load(ref)
            except ScenarioError as err:
                raise LessonError(path, key, f"{show(data[key])} cannot be loaded: {err.message}") from None
    moved = data.get("levers", {})
    if not isinstance(moved, dict):
        raise LessonError(path, "levers", "must be a table of lever = value")
    for name, value in moved.items():
        try:
            levers.check({name: value})
        except levers.LeverError as err:
            raise LessonError(path, f"levers.{name}", str(err)) from None
    return Lesson(name=path.stem, title=data["title"], hypothesis=data["hypothesis"], scenario=data["scenario"],
                  reference=data.get("reference", data["scenario"]), order=order, levers=dict(moved),
                  **{k: _text(data[k]) for k in TEXTS})


def load_lessons(directory: Path = LESSON_DIR) -> list[Lesson]:
    """Every lesson in ``directory``, in their ``order``."""
    return sorted((load_lesson(p) for p in directory.glob("*.toml")), key=lambda x: (x.order, x.name))
