"""One browser tab's classroom: what Reset builds from, the live model, the runs so far.

Solara keeps a module-level ``solara.reactive`` per browser tab (per kernel),
so two tabs, or thirty students, never share a run. Three rules keep a tab
from ever showing a traceback:

- Every change to the live model goes through :func:`locked`, so the play
  loop, a Step click and a Reset never touch the model at the same time. At
  the end of each one, still under the lock, the model is frozen into
  :data:`snapshot` (a :class:`~simulation.classroom.Snapshot`), and the page
  reads only that (:func:`shown`): a render never sees a quarter half
  recorded, and never waits for the lock, so a render that a quarter sets
  off in the stepping thread cannot deadlock with a click in another.
- Every event handler is wrapped by :func:`guarded` (the worker threads by
  :func:`attempt`): an error becomes one line in :data:`problem`, shown on
  the page; the runs so far are kept, and nothing of the server (a path, a
  traceback) reaches the student. Unexpected errors are logged here.
- "Run 20 seeds" takes one of the server's :data:`SEED_RUNS` slots
  (:func:`in_seed_slot`); a tab that finds both taken waits its turn and says so.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs

import solara

from .. import class_runs, levers
from ..classmode import ClassModeError
from ..classroom import ClassroomModel, Snapshot, parse_seed
from ..inputs import InputError
from ..lessons import Lesson, load_lessons
from ..params import ParameterError
from ..policy import PolicyError

PLAY_INTERVAL = 0.25  # seconds between quarters while playing: a 40-quarter run in 10 s
SEED_RUNS = 2         # "Run 20 seeds" batches the whole server runs at once (each keeps a core busy)
SLOT_POLL = 0.5       # seconds between a queued batch's looks at whether its tab has gone
GENERIC = "Something went wrong with that action; your runs so far are kept."
WAITING = "Waiting for another class member's 20-seed run to finish…"

log = logging.getLogger(__name__)
T = TypeVar("T")


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
snapshot: solara.Reactive[Snapshot | None] = solara.reactive(None)  # the live model, frozen: all the page reads
playing = solara.reactive(False)
history: solara.Reactive[tuple[class_runs.RunRecord, ...]] = solara.reactive(())
seed_result: solara.Reactive[class_runs.SeedGaps | None] = solara.reactive(None)
seeds_busy = solara.reactive(False)
seeds_waiting = solara.reactive(False)  # queued behind other tabs' 20-seed runs
notice = solara.reactive("")       # levers moved mid-run, a file that would not load
problem = solara.reactive("")      # the last action's error, as one line, until dismissed (see guarded)
_lock: solara.Reactive[threading.RLock | None] = solara.reactive(None)
_seed_slots = threading.BoundedSemaphore(SEED_RUNS)  # module-level: shared by every tab of the server


def locked() -> threading.RLock:
    # Re-entrant: nothing run under it (a render that a quarter's snapshot sets off in this thread, say)
    # can deadlock by taking it again.
    if _lock.value is None:
        _lock.value = threading.RLock()
    return _lock.value


def shown() -> Snapshot:
    """The live run as the page draws it: frozen at the end of its latest quarter (no lock needed)."""
    frozen = snapshot.value
    if frozen is None:  # only before ensure() built the first run
        raise RuntimeError("no run yet: the page calls ensure() first")
    return frozen


def _publish(live: ClassroomModel) -> None:
    # Under the lock, so snapshots are published in the order the quarters ran.
    snapshot.value = live.snapshot()


def start(new: Setup | None = None) -> None:
    """Build the live run from ``new`` (or the current setup), keeping the run on screen in the history.

    The new run is built before anything changes, so a set-up that fails to
    build leaves the run on screen, its set-up and the runs so far as they were.
    """
    playing.value = False
    target = new if new is not None else setup.value
    built = target.build()
    with locked():
        archive()
        setup.value = target
        model.value = built
        _publish(built)
        seed_result.value = None
        notice.value = ""


def archive() -> None:
    """Add the run on screen to the runs so far, if it has run at all (call under :func:`locked`)."""
    live = model.value
    if live is not None and live.t > 0:
        history.value = (*history.value, class_runs.record(live, len(history.value) + 1))


def ensure(initial: Callable[[], Setup]) -> Snapshot:
    """The live run as shown, built on the tab's first render from ``initial()``."""
    # peek: the page that calls this must not re-render at every quarter, only its parts that draw the run.
    if model.peek() is None or snapshot.peek() is None:  # only then the lock: a render never waits for it
        with locked():
            if model.peek() is None:
                setup.value = initial()
                model.value = setup.value.build()
            _publish(model.peek())
    return snapshot.peek()


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
        _publish(live)
        return live.t < live.horizon


def move_lever(name: str, value: Any) -> None:
    """A lever moved: it takes effect now if the run has not started, otherwise at Reset.

    A value the lever cannot take raises :class:`~simulation.levers.LeverError`
    and changes nothing.
    """
    checked = levers.check({name: value})[name]  # as the lever takes it: a slider's 1 is a float lever's 1.0
    _changed(setup.value.with_lever(name, checked))


def set_seed(text: str) -> None:
    _changed(dataclasses.replace(setup.value, seed=str(text)))


def _changed(new: Setup) -> None:
    live = model.value
    if live is None or live.t == 0:
        start(new)
    else:
        setup.value = new
        notice.value = "Moved levers and the seed take effect when you press Reset."


def play_loop(cancel: threading.Event) -> None:
    """Step while playing: the run stops by itself at the horizon, or at an error (said in :data:`problem`)."""
    playing_model = model.value

    def play() -> None:
        while playing.value and not cancel.is_set():
            began = time.perf_counter()
            if not step(playing_model):
                return
            cancel.wait(max(0.0, PLAY_INTERVAL - (time.perf_counter() - began)))

    try:
        attempt(play)
    finally:
        if not cancel.is_set():  # cancelled: Pause or a new Play already set ``playing``
            playing.value = False


def in_seed_slot(job: Callable[[], T], waiting: Callable[[bool], None] = lambda _: None,
                 cancel: threading.Event | None = None) -> T | None:
    """``job()`` in one of the server's :data:`SEED_RUNS` slots: at most that many run at once.

    When every slot is taken, ``waiting(True)`` is called and the caller
    waits its turn (``waiting(False)`` once it has a slot); None, and no
    ``job``, if ``cancel`` is set while it waits (its tab has gone).
    """
    if not _seed_slots.acquire(blocking=False):
        waiting(True)
        try:
            while not _seed_slots.acquire(timeout=SLOT_POLL):
                if cancel is not None and cancel.is_set():
                    return None
        finally:
            waiting(False)
    try:
        return job()
    finally:
        _seed_slots.release()


def run_seeds(cancel: threading.Event | None = None) -> None:
    """The live set-up and its reference on 20 seeds (in the caller's thread, once a server slot is free)."""
    shown_now = snapshot.value
    if shown_now is None or seeds_busy.value:
        return
    seeds_busy.value = True
    try:
        result = in_seed_slot(lambda: class_runs.seed_gaps(shown_now), seeds_waiting.set, cancel)
        live = snapshot.value
        if result is not None and live is not None and live.run == shown_now.run:
            seed_result.value = result  # not a verdict on a run the class has already reset
    finally:
        seeds_busy.value = False


def ghosts() -> list:
    """Earlier runs of the same live scenario and reference: the key chart's grey lines."""
    live = snapshot.value
    if live is None:
        return []
    return [r.timeseries for r in history.value
            if r.scenario == live.source.title and r.reference == live.reference_scenario.title]


# --- errors: one line on the page, never a traceback ----------------------------------------

# The ValueErrors of input checks: their messages are written to be read. A bare ValueError comes
# from deeper down (pandas, say): a bug, shown as GENERIC and logged with its traceback.
REFUSED: tuple[type[ValueError], ...] = (levers.LeverError, ParameterError, InputError, PolicyError,
                                         ClassModeError)
# An absolute path (POSIX or Windows) in a message: the server's layout is none of a student's business.
_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[\\/][^\s'\"]*[^\s'\":;,.)\]]")  # not the punctuation after it
_LONGEST = 300  # characters of an error's message shown


def one_line(err: BaseException) -> str:
    """What a class reads for ``err``: its message's first line, paths left out, for an input refused
    (:data:`REFUSED`); :data:`GENERIC` for anything else."""
    if not isinstance(err, REFUSED):
        return GENERIC
    lines = str(err).strip().splitlines()
    text = _PATH.sub("(a file on the server)", lines[0] if lines else "").strip()
    if len(text) > _LONGEST:
        text = text[:_LONGEST - 1] + "…"
    lead = "That lever value was not used" if isinstance(err, levers.LeverError) else "That was not used"
    return f"{lead}: {text}" if text else f"{lead}."


def explain(err: BaseException) -> str:
    """:func:`one_line` of ``err``, logged on the server (with its traceback if it was unexpected)."""
    if isinstance(err, REFUSED):
        log.info("input refused: %s", err)
    else:
        log.error("classroom action failed", exc_info=err)
    return one_line(err)


def report(err: BaseException) -> str:
    """``err`` said in :data:`problem`, the line the page shows under its controls."""
    problem.value = explain(err)
    return problem.value


def attempt(action: Callable[[], Any]) -> bool:
    """Run ``action``; an error is reported (see :func:`report`) instead of raised. True if it succeeded."""
    try:
        action()
    except Exception as err:  # the page must outlive any error: it is said, and logged
        report(err)
        return False
    return True


def guarded(handler: Callable[..., Any]) -> Callable[..., None]:
    """``handler`` as a page's event handler: an error fills :data:`problem` instead of escaping.

    A later success leaves the line up (the student dismisses it): a browser
    that clamps a refused slider value sends the clamped one straight after,
    and the line must not vanish before anyone could read it.
    """

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> None:
        attempt(lambda: handler(*args, **kwargs))

    return run
