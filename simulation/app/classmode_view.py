"""Class mode in the browser: a student's "Submit to the class" card and the teacher's page.

``run.py demo --class`` sets :data:`CLASS_ENV` (the lesson), :data:`SEED_ENV`
and :data:`TOKEN_ENV`; the one :class:`~simulation.classmode.ClassSession` of
the server process is built from them on first use. Students move policy
levers only (the panel shows nothing else, and ``submit`` refuses anything
else); the teacher's page needs the token printed at start. As on the
classroom page, an error in a handler is one line on the page, never a
traceback.
"""

from __future__ import annotations

import html
import os
import threading
from dataclasses import dataclass
from typing import cast
from urllib.parse import parse_qs

import solara

from .. import classmode
from ..lessons import Lesson
from . import state
from .page import Charts, Controls, LessonCard, Monitors, Workers, table_html

CLASS_ENV = "SME_CLASS_LESSON"
SEED_ENV = "SME_CLASS_SEED"
TOKEN_ENV = "SME_CLASS_TOKEN"
REFRESH = 3.0  # seconds between the teacher page's looks at the submissions


@dataclass(frozen=True)
class ClassRun:
    """The class's shared set-up: its lesson (or scenario), seed and submissions."""

    lesson: Lesson | None
    scenario_name: str
    seed: int
    classroom: classmode.ClassSession


_run: list[ClassRun] = []
_lock = threading.Lock()


def session() -> ClassRun | None:
    """The server's class, or None outside class mode."""
    name = os.environ.get(CLASS_ENV)
    if not name:
        return None
    with _lock:
        if not _run:
            lesson = state.lesson_named(name)
            scenario = lesson.scenario if lesson else name
            seed = int(os.environ.get(SEED_ENV, "1"))
            _run.append(ClassRun(lesson, scenario, seed,
                                 classmode.ClassSession(scenario, seed=seed, token=os.environ.get(TOKEN_ENV))))
        return _run[0]


def student_levers() -> tuple[str, ...]:
    return tuple(classmode.STUDENT_LEVERS)


@solara.component
def SubmitCard() -> None:
    """A student's nickname and the package on screen, sent to the class.

    The evaluation (10 seeds, queued behind other students' if the class
    submits at once) runs in a thread of this tab: the page stays answered
    and says it is working.
    """
    run = session()
    nickname, set_nickname = solara.use_state("")
    message, set_message = solara.use_state(("", ""))
    request, set_request = solara.use_state(cast(tuple[str, dict] | None, None))

    def evaluate() -> None:
        if request is None:
            return
        name, values = request
        try:
            sub = run.classroom.submit(name, values)
        except classmode.ClassModeError as err:  # written for students: one sentence
            set_message(("error", str(err)))
        except Exception as err:  # anything else: one line here, the traceback in the server's log
            set_message(("error", state.explain(err)))
        else:
            set_message(("ok", f"Submitted as {sub.nickname}: {sub.mean:,.1f} exporter-years over "
                               f"{len(sub.exporter_years)} seeds (95% interval {sub.low:,.1f} to {sub.high:,.1f}), "
                               f"{sub.gain_mean:+.1f} against the class's starting package; "
                               f"{sub.lasting_mean:.1f} lasting entrants."))
        finally:
            set_request(None)

    solara.use_thread(evaluate, dependencies=[request], intrusive_cancel=False)

    def submit() -> None:
        values = {k: v for k, v in state.setup.value.levers.items() if k in classmode.STUDENT_LEVERS}
        set_message(("busy", f"Submitting: your package runs on {classmode.SEEDS} seeds..."))
        set_request((nickname, values))

    with solara.Card("Submit to the class"):
        solara.InputText("Nickname", value=nickname, on_value=set_nickname, continuous_update=True)
        solara.Button("Submit my package", on_click=state.guarded(submit), color="primary",
                      disabled=not nickname.strip() or request is not None)
        kind, text = message
        if kind == "error":
            solara.Error(text)
        elif kind == "ok":
            solara.Success(text)
        elif kind == "busy":
            solara.Info(text)


@solara.component
def Teacher() -> None:
    """The class's submissions ranked by exporter-years, each replayable; needs the token."""
    router = solara.use_router()
    run = session()
    token = (parse_qs(router.search or "").get("token") or [""])[0]
    allowed = run is not None and run.classroom.check_token(token)
    _, set_refresh = solara.use_state(0)

    def poll(cancel: threading.Event) -> None:
        seen = -1
        while allowed and not cancel.wait(REFRESH):
            count = len(run.classroom.submissions())
            if count != seen:
                seen = count
                set_refresh(lambda n: n + 1)

    solara.use_thread(poll, dependencies=[allowed], intrusive_cancel=False)
    if run is None:
        solara.Error("Class mode is off: start the app with python run.py demo --class.")
        return
    if not allowed:
        solara.Error("This page needs the teacher's token: open the address printed when the app started "
                     "(/teacher?token=...).")
        return
    subs = run.classroom.submissions()
    title = run.lesson.title if run.lesson else run.scenario_name
    solara.HTML(tag="h2", unsafe_innerHTML=html.escape(f"Class: {title}, seed {run.seed}"))
    solara.HTML(tag="p", unsafe_innerHTML=html.escape(
        f"{len(subs)} submissions from {len({s.nickname.lower() for s in subs})} students (at most "
        f"{classmode.MAX_STUDENTS} students, {classmode.MAX_PER_STUDENT} submissions each). Ranked by "
        f"exporter-years (exporting SMEs summed over the quarters, in years: exporting that lasts counts for as "
        f"long as it lasts) over {len(run.classroom.seeds)} seeds, with 95% intervals; lasting entrants are "
        "first-time exporters still exporting in each of the next four quarters."))
    if subs:
        solara.HTML(tag="div", unsafe_innerHTML=table_html(run.classroom.table()))
        with solara.Row(style={"flex-wrap": "wrap"}, gap="4px"):
            for sub in subs:
                solara.Button(f"Replay {sub.nickname} #{sub.id}", small=True, outlined=True,
                              on_click=state.guarded(lambda sub=sub: replay(run, sub)))
    if state.snapshot.value is not None:  # a submission replayed
        Workers()
        with solara.Div(classes=["sme-grid"]):
            with solara.Div(classes=["sme-left"]):
                Controls()
                Monitors()
                LessonCard()
            Charts(charts=("outcomes",))


def replay(run: ClassRun, sub: classmode.Submission) -> None:
    """Load a submission on the teacher's screen, in the class's world and seed."""
    base = state.lesson_setup(run.lesson, str(run.seed)) if run.lesson else state.Setup(run.scenario_name,
                                                                                          seed=str(run.seed))
    state.start(state.Setup(base.scenario, base.reference, base.lesson, dict(sub.levers), base.seed))
