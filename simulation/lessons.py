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

from . import levers, schema
from .inputs import show
from .scenario import SCENARIO_DIR, ScenarioError, load, read_toml, reference

LESSON_DIR = SCENARIO_DIR / "lessons"
TEXTS = ("claim", "change", "look_for")
KEYS = frozenset(schema.LessonFile.model_fields)
REQUIRED = tuple(k for k, f in schema.LessonFile.model_fields.items() if f.is_required())


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
    lesson = schema.validate(schema.LessonFile, path, data, LessonError)
    for key in ("scenario", "reference"):
        if key in data:
            ref = reference(path, data[key], key, error=LessonError)
            try:
                load(ref)
            except ScenarioError as err:
                raise LessonError(path, key, f"{show(data[key])} cannot be loaded: {err.message}") from None
    moved = lesson.levers
    for name, value in moved.items():
        try:
            levers.check({name: value})
        except levers.LeverError as err:
            raise LessonError(path, f"levers.{name}", str(err)) from None
    return Lesson(name=path.stem, title=lesson.title, hypothesis=lesson.hypothesis, scenario=lesson.scenario,
                  reference=lesson.reference or lesson.scenario, order=lesson.order, levers=dict(moved),
                  **{k: _text(getattr(lesson, k)) for k in TEXTS})


def load_lessons(directory: Path = LESSON_DIR) -> list[Lesson]:
    """Every lesson in ``directory``, in their ``order``."""
    return sorted((load_lesson(p) for p in directory.glob("*.toml")), key=lambda x: (x.order, x.name))
