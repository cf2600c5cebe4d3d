"""The classroom app: the real model in a browser, for a lesson on a projector or a class playing along.

Start it with ``python run.py demo`` (``--class`` for class mode). Two pages:

- ``/``: the classroom. A lesson (``?lesson=h1&seed=3`` opens one), Play /
  Step / Reset, monitors, the lesson's key chart and four more, the runs so
  far as grey lines and a table, "Run 20 seeds", the levers, an Info tab.
- ``/teacher?token=...`` (class mode only): the class's submitted packages,
  ranked, each replayable.

The page is built from Solara components around Mesa's model
(:class:`~simulation.classroom.ClassroomModel`, an ``SMEModel``): SolaraViz's
single page could not keep a lesson across Reset, nor hold a /teacher page.
Charts are drawn by the browser (Vega-Lite, from Solara's own asset store),
so a quarter sends data, not pictures. The page draws a frozen snapshot of
each quarter while the play loop steps the model, and an error in any action
is one line on the page, never a traceback (see :mod:`.state`).
"""

from __future__ import annotations

import os

# Solara's banner would sit over a chart on a projector (read when the server starts).
os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")

from ..extras import require  # noqa: E402

require("solara", "demo", "run.py demo")  # without the demo extra: one line naming it, before any page imports

import solara  # noqa: E402

from . import classmode_view, state  # noqa: E402
from .page import (  # noqa: E402
    CSS,
    TITLE,
    Charts,
    Controls,
    Info,
    LessonCard,
    LessonPicker,
    LeverPanel,
    Monitors,
    RunsTable,
    ScenarioPicker,
    SeedsView,
    UrlSync,
    Workers,
    initial_setup,
)

__all__ = ["ClassroomPage", "Layout", "TeacherPage", "routes"]


@solara.component
def Model(class_mode: bool = False) -> None:
    """The classroom's main view: the left column of controls, the charts on the right."""
    with solara.Div(classes=["sme-grid"]):
        with solara.Div(classes=["sme-left"]):
            LessonPicker(locked=class_mode)
            Controls()
            Monitors()
            if class_mode:
                classmode_view.SubmitCard()
            LessonCard()
            if class_mode:
                LeverPanel(names=classmode_view.student_levers(), seed_box=False)
            else:
                LeverPanel()
                ScenarioPicker()
        with solara.Div():
            Charts()
            SeedsView()
            RunsTable()


@solara.component
def ClassroomPage() -> None:
    router = solara.use_router()
    session = classmode_view.session()
    if session is not None:
        state.ensure(lambda: session_setup(session))
    else:
        state.ensure(lambda: initial_setup(router.search))
    solara.Style(CSS)
    solara.Title(TITLE)
    Workers()
    if session is None:
        UrlSync()
    with solara.Column(classes=["sme-page"], style={"padding": "6px 12px"}):
        with solara.lab.Tabs():
            with solara.lab.Tab("Model"):
                Model(class_mode=session is not None)
            with solara.lab.Tab("Info"):
                Info()


def session_setup(session) -> state.Setup:
    """Class mode: every student starts from the class's lesson, seed and world."""
    return state.lesson_setup(session.lesson, str(session.seed)) if session.lesson else state.Setup(
        session.scenario_name, seed=str(session.seed))


@solara.component
def TeacherPage() -> None:
    solara.Style(CSS)
    solara.Title(f"Teacher: {TITLE}")
    classmode_view.Teacher()


@solara.component
def Layout(children: list | None = None) -> None:
    """No app bar or route tabs: the projector's height goes to the controls and the key chart."""
    solara.Column(children=children or [], style={"padding": "0"})


routes = [solara.Route(path="/", component=ClassroomPage, label="Classroom", layout=Layout),
          solara.Route(path="teacher", component=TeacherPage, label="Teacher")]
