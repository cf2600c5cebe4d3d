"""The classroom app: Mesa's SolaraViz running the real model in a browser.

Start it with ``python run.py demo`` (or ``solara run simulation.app``). The
sidebar holds the lessons, the scenario pickers and, from SolaraViz, play /
step / reset and the levers; the main area holds the lesson text and the
charts of :mod:`simulation.views`.

Choosing a lesson or a scenario sets every lever to that scenario's values and
rebuilds SolaraViz (its controls take their starting values when mounted).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Mesa 3.3's SolaraViz trips Solara's hook checker (a warning about Mesa's code, not ours).
os.environ.setdefault("SOLARA_CHECK_HOOKS", "off")

import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from . import levers  # noqa: E402
from .classroom import ClassroomModel  # noqa: E402
from .lessons import Lesson, load_lessons  # noqa: E402
from .scenario import ScenarioError, load, scenario_names  # noqa: E402
from .views import FIGURES, SAVE  # noqa: E402

TITLE = "SME internationalization: a classroom model"
SAME_AS_LIVE = "(the live scenario, levers untouched)"
# Extra scenario files given on the command line (run.py demo --scenario FILE), separated by os.pathsep.
EXTRA_ENV = "SME_DEMO_SCENARIOS"


@dataclass(frozen=True)
class Preset:
    """What the class starts from: a live scenario, a reference, a lesson's levers."""

    scenario: str = "baseline"
    reference: str = ""
    lesson: Lesson | None = None  # read once when chosen, not again at every quarter's render
    levers: dict[str, Any] = field(default_factory=dict)
    generation: int = 0  # a new preset, even an equal one, restarts the controls

    @property
    def key(self) -> str:
        return f"{self.scenario}|{self.reference}|{self.lesson.name if self.lesson else ''}|{self.generation}"


def scenario_choices() -> list[str]:
    """The shipped scenarios, then any files given to ``run.py demo --scenario``."""
    extra = [p for p in os.environ.get(EXTRA_ENV, "").split(os.pathsep) if p]
    return [*scenario_names(), *extra]


def _slider(lever: Any, value: Any, scenario) -> dict[str, Any]:
    """A SolaraViz control description for ``lever`` starting at ``value``."""
    if isinstance(lever, levers.Toggle):
        return {"type": "Checkbox", "value": bool(value), "label": lever.label}
    if isinstance(lever, levers.Delivery):
        return {"type": "Select", "value": value, "values": list(lever.choices), "label": lever.label}
    if isinstance(lever, levers.ParameterLever):
        low, high = lever.bounds(scenario, value)
        kind = "SliderInt" if lever.parameter.kind is int else "SliderFloat"
    else:
        low, high = lever.low, lever.high
        kind = "SliderFloat"
    return {"type": kind, "value": value, "min": low, "max": high, "step": lever.step, "label": lever.label}


def model_params(preset: Preset) -> dict[str, Any]:
    """SolaraViz's ``model_params``: fixed scenario and reference, the seed, one control per lever."""
    scenario = load(preset.scenario)
    start = {**levers.read(scenario), **preset.levers}
    params: dict[str, Any] = {"source": preset.scenario, "reference": preset.reference,
                              "seed": {"type": "InputText", "value": "1", "label": "Seed (whole number)"}}
    for name, lever in levers.LEVERS.items():
        params[name] = _slider(lever, start[name], scenario)
    return params


def model_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword values SolaraViz builds the model from, before anyone moves a control."""
    return {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}


preset = solara.reactive(Preset())
load_message = solara.reactive("")


def _choose(**changes: Any) -> None:
    old = preset.value
    fields = {"scenario": old.scenario, "reference": old.reference, "lesson": None, "levers": {}, **changes}
    preset.value = Preset(**fields, generation=old.generation + 1)


def _choose_lesson(lesson: Lesson) -> None:
    _choose(scenario=lesson.scenario, reference=lesson.reference, lesson=lesson, levers=lesson.levers)


@solara.component
def PresetPicker() -> None:
    """Lessons as buttons; the live scenario, the reference, and any scenario file."""
    current = preset.value
    path, set_path = solara.use_state("")
    with solara.Card("Lessons"):
        with solara.Row(style={"flex-wrap": "wrap", "gap": "4px"}):
            for lesson in load_lessons():
                chosen = current.lesson is not None and current.lesson.name == lesson.name
                solara.Button(lesson.hypothesis, on_click=lambda lesson=lesson: _choose_lesson(lesson),
                              color="primary" if chosen else None, outlined=not chosen, small=True)
    with solara.Card("Scenarios"):
        choices = scenario_choices()
        solara.Select("Live scenario", value=current.scenario,
                      values=choices if current.scenario in choices else [current.scenario, *choices],
                      on_value=lambda v: _choose(scenario=v))
        solara.Select("Reference (faint line)", value=current.reference or SAME_AS_LIVE,
                      values=[SAME_AS_LIVE, *scenario_choices()],
                      on_value=lambda v: _choose(reference="" if v == SAME_AS_LIVE else v))
        solara.InputText("Scenario file (path to a .toml)", value=path, on_value=set_path)

        def load_file() -> None:
            try:
                load(path.strip(), confine=True)
            except ScenarioError as err:
                load_message.value = str(err)
                return
            load_message.value = ""
            _choose(scenario=str(Path(path.strip()).resolve()))

        solara.Button("Load file", on_click=load_file, small=True)
        if load_message.value:
            solara.Error(load_message.value)


def _paragraph(lead: str, text: str) -> None:
    # Plain HTML: solara.Markdown pulls KaTeX from a CDN, which a classroom without internet lacks.
    solara.HTML(tag="p", unsafe_innerHTML=(f"<b>{html.escape(lead)}</b> " if lead else "") + html.escape(text))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def LessonView(model: ClassroomModel) -> solara.Element:
    """The lesson's three texts, or the scenario's description, and what the class has moved."""
    lesson = preset.value.lesson
    # A grid cell of SolaraViz has a fixed height: long lessons scroll inside it.
    with solara.Card(lesson.title if lesson else model.source.title,
                     style={"max-height": "330px", "overflow-y": "auto", "font-size": "0.92em"}) as card:
        if lesson:
            _paragraph("What the paper claims.", lesson.claim)
            _paragraph("What to change.", lesson.change)
            _paragraph("What to look for.", lesson.look_for)
        else:
            _paragraph("", model.source.description or "(no description)")
        reference = model.reference_scenario
        same = " (levers untouched)" if reference is model.source else ""
        _paragraph("Live:", f"{model.source.title}, seed {model.seed}. "
                            f"Faint dashed line: {reference.title}{same}.")
        if model.changes:
            moved = ", ".join(f"{levers.LEVERS[k].label}: {_describe(a)} to {_describe(b)}"
                              + (" (changes nothing in this scenario)" if k in model.idle else "")
                              for k, (a, b) in model.changes.items())
            _paragraph("Moved from the scenario:", moved + ".")
        if model.notice:
            solara.Warning(model.notice)
    return card


def _chart(name: str):
    draw = FIGURES[name]

    @solara.component
    def Chart(model: ClassroomModel) -> solara.Element:
        update_counter.get()  # SolaraViz bumps it after each step
        # One drawing per model and quarter, however often the page re-renders.
        figure = solara.use_memo(lambda: draw(model), [model, model.t])
        return solara.FigureMatplotlib(figure, dependencies=[model, model.t], **SAVE)

    return Chart


COMPONENTS = [LessonView, *(_chart(n) for n in ("stages", "outcomes", "budget", "regions", "network"))]


@solara.component
def Page() -> None:
    current = preset.value
    params = solara.use_memo(lambda: model_params(current), [current.key])
    model = solara.use_memo(lambda: ClassroomModel(**model_kwargs(params)), [current.key])
    with solara.Sidebar():
        PresetPicker()
    SolaraViz(model, components=COMPONENTS, model_params=params, name=TITLE, play_interval=50).key(current.key)
