"""One browser tab's classroom: what Reset builds from, the live model, the runs so far.

Solara keeps a module-level ``solara.reactive`` per browser tab (per kernel),
so two tabs, or thirty students, never share a run. Every change to the live
model goes through :func:`locked` so that the play loop, a Step click and a
Reset never touch the model at the same time, and every read of its tables by
the page goes through :func:`reading`, so a render never sees a quarter half
recorded.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

import solara

from .. import class_runs, levers
from ..classroom import ClassroomModel, parse_seed
from ..lessons import Lesson, load_lessons

PLAY_INTERVAL = 0.25  # seconds between quarters while playing: a 40-quarter run in 10 s


@dataclass(frozen=True)
class Setup:
    """What Reset builds the live run from: a scenario, its reference, the moved levers, the seed."""

    scenario: str = "baseline"
    reference: str = ""
    lesson: Lesson | None = None
    levers: Mapping[str, Any] = field(default_factory=dict)
    seed: str = "1"

    def build(self) -> ClassroomModel:
        return ClassroomModel(self.scenario, reference=self.reference, seed=self.seed, **dict(self.levers))

    def with_lever(self, name: str, value: Any) -> Setup:
        return dataclasses.replace(self, levers={**self.levers, name: value})


def lesson_named(name: str | None) -> Lesson | None:
    """The lesson a URL names: its file name (``h1_fragmentation``) or its hypothesis (``h1``)."""
    if not name:
        return None
    key = name.strip().lower()
    for lesson in load_lessons():
        if key in (lesson.name.lower(), lesson.hypothesis.lower()):
            return lesson
    return None


def lesson_setup(lesson: Lesson, seed: str = "1") -> Setup:
    return Setup(lesson.scenario, lesson.reference, lesson, dict(lesson.levers), seed)


def setup_from_query(search: str | None, default: Setup) -> Setup:
    """The setup a link opens: ``?lesson=h1&seed=3`` (anything else in the query is ignored)."""
    query = parse_qs(search or "")
    lesson = lesson_named((query.get("lesson") or [""])[0])
    seed = (query.get("seed") or [""])[0]
    out = lesson_setup(lesson, default.seed) if lesson else default
    if seed and not parse_seed(seed)[1]:
        out = dataclasses.replace(out, seed=seed)
    return out


def query_of(setup: Setup) -> str:
    parts = [f"lesson={setup.lesson.hypothesis.lower()}"] if setup.lesson else []
    return "&".join([*parts, f"seed={parse_seed(setup.seed)[0]}"])


# --- the tab's state -----------------------------------------------------------------------

setup = solara.reactive(Setup())
model: solara.Reactive[ClassroomModel | None] = solara.reactive(None)
T = TypeVar("T")

tick = solara.reactive(0)          # bumped after every quarter: what the charts and monitors follow
playing = solara.reactive(False)
history: solara.Reactive[tuple[class_runs.RunRecord, ...]] = solara.reactive(())
seed_result: solara.Reactive[class_runs.SeedGaps | None] = solara.reactive(None)
seeds_busy = solara.reactive(False)
notice = solara.reactive("")       # levers moved mid-run, a file that would not load
_lock: solara.Reactive[threading.RLock | None] = solara.reactive(None)


def locked() -> threading.RLock:
    # Re-entrant: a render that a quarter's tick sets off in the stepping thread may read under it again.
    if _lock.value is None:
        _lock.value = threading.RLock()
    return _lock.value


def reading(read: Callable[..., T], *args: Any) -> T:
    """``read(*args)`` while no quarter, Step or Reset is changing the model (the page's reads of its tables)."""
    with locked():
        return read(*args)


def start(new: Setup | None = None) -> None:
    """Build the live run from ``new`` (or the current setup), keeping the run on screen in the history."""
    playing.value = False
    with locked():
        archive()
        if new is not None:
            setup.value = new
        model.value = setup.value.build()
        seed_result.value = None
        notice.value = ""
        tick.value += 1


def archive() -> None:
    """Add the run on screen to the runs so far, if it has run at all."""
    live = model.value
    if live is not None and live.t > 0:
        history.value = (*history.value, class_runs.record(live, len(history.value) + 1))


def ensure(initial: Callable[[], Setup]) -> ClassroomModel:
    """The live model, built on the tab's first render from ``initial()``."""
    if model.value is None:
        setup.value = initial()
        model.value = setup.value.build()
    return model.value


def step(expected: ClassroomModel | None = None) -> bool:
    """One quarter, if the run has quarters left; False at the horizon.

    ``expected``: step only that model (the play loop's), never one a Reset
    or a lesson switch built while the loop was between two quarters.
    """
    with locked():
        live = model.value
        if live is None or live.t >= live.horizon or (expected is not None and live is not expected):
            return False
        live.step()
        tick.value += 1
        return live.t < live.horizon


def move_lever(name: str, value: Any) -> None:
    """A lever moved: it takes effect now if the run has not started, otherwise at Reset."""
    levers.check({name: value})
    setup.value = setup.value.with_lever(name, value)
    _changed()


def set_seed(text: str) -> None:
    setup.value = dataclasses.replace(setup.value, seed=text)
    _changed()


def _changed() -> None:
    live = model.value
    if live is None or live.t == 0:
        start()
    else:
        notice.value = "Moved levers and the seed take effect when you press Reset."


def play_loop(cancel: threading.Event) -> None:
    """Step while playing: the run stops by itself at the horizon."""
    playing_model = model.value
    while playing.value and not cancel.is_set():
        began = time.perf_counter()
        if not step(playing_model):
            playing.value = False
            return
        cancel.wait(max(0.0, PLAY_INTERVAL - (time.perf_counter() - began)))


def run_seeds() -> None:
    """The live set-up and its reference on 20 seeds (runs in the caller's thread)."""
    live = model.value
    if live is None or seeds_busy.value:
        return
    seeds_busy.value = True
    try:
        result = class_runs.seed_gaps(live)
        if model.value is live:  # not a verdict on a run the class has already reset
            seed_result.value = result
    finally:
        seeds_busy.value = False


def ghosts() -> list:
    """Earlier runs of the same live scenario and reference: the key chart's grey lines."""
    live = model.value
    if live is None:
        return []
    return [r.timeseries for r in history.value
            if r.scenario == live.source.title and r.reference == live.reference_scenario.title]
