"""The classroom page: controls and monitors on the left, the lesson's key chart beside them.

Laid out for a 1280 x 720 projector: Play, Step, Reset, the monitors and the
key chart are above the fold; the lesson card, the levers, the other charts,
the runs so far and the seeds' verdict follow. Text is at least 14 px.

Components draw the live run from its frozen snapshot (``state.shown()``),
never from the model the play loop is stepping, and every event handler is
wrapped by ``state.guarded``: a refused value or a failure is one line under
the controls (:func:`Problem`), not a traceback.
"""

from __future__ import annotations

import html
import os
import threading
from pathlib import Path
from typing import Any

import solara

from .. import class_runs, levers, views
from ..classroom import parse_seed
from ..lessons import load_lessons
from ..scenario import ScenarioError, load, scenario_names
from . import state
from .chart import VegaChart

TITLE = "SME internationalization: a classroom model"
SAME_AS_LIVE = "(the live scenario, levers untouched)"
SEEDS_BUTTON = f"Run {class_runs.SEEDS} seeds"  # lessons write "Run {seeds} seeds": the same number
# Extra scenario files given on the command line (run.py demo --scenario FILE), separated by os.pathsep.
EXTRA_ENV = "SME_DEMO_SCENARIOS"
INFO = Path(__file__).with_name("info.md")

CSS = """
.sme-page { font-size: 15px; }
.sme-page .v-btn { font-size: 14px; }
.sme-grid { display: grid; grid-template-columns: 370px minmax(0, 1fr); gap: 12px; align-items: start; }
.sme-left { display: flex; flex-direction: column; gap: 8px; }
.sme-monitors { display: grid; grid-template-columns: repeat(6, 1fr); gap: 6px; }
.sme-monitors > :nth-child(-n+3) { grid-column: span 2; }
.sme-monitors > :nth-child(n+4) { grid-column: span 6; }
.sme-score table { border-collapse: collapse; width: 100%; }
.sme-score th { font-size: 14px; font-weight: normal; color: #555; text-align: right; padding: 0 4px; }
.sme-score td { font-size: 17px; font-weight: 600; text-align: right; padding: 0 4px; }
.sme-score td:first-child, .sme-score th:first-child { text-align: left; font-size: 14px; font-weight: normal; }
.sme-card .v-card__title { word-break: normal; font-size: 18px; line-height: 1.3; padding: 8px 12px; }
.sme-card .v-card__text { padding: 4px 12px; }
.sme-page .v-tab { font-size: 15px; }
.sme-page .v-tabs-bar { height: 36px; }
.sme-title { font-size: 20px; font-weight: 600; margin: 4px 0 0 0; }
.sme-monitor { border: 1px solid #ccc; border-radius: 6px; padding: 3px 6px; background: #fafafa; }
.sme-monitor .label { font-size: 14px; color: #555; }
.sme-monitor .value { font-size: 19px; font-weight: 600; }
.sme-charts { display: flex; flex-wrap: wrap; gap: 10px; }
.sme-card p { margin: 0 0 6px 0; font-size: 15px; line-height: 1.35; }
.sme-table { border-collapse: collapse; font-size: 14px; }
.sme-table td, .sme-table th { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.sme-end { font-size: 16px; }
.sme-lever { font-size: 15px; margin-top: 4px; }
.sme-left .v-slider { margin: 0; }
.sme-left .v-input__slot { margin-bottom: 0; }
.sme-left .v-messages { display: none; }
.sme-info { max-width: 900px; font-size: 16px; line-height: 1.45; }
/* Solara's badge would sit over a chart on a projector */
div:has(> b > a[href="https://solara.dev"]) { display: none !important; }
"""


def scenario_choices() -> list[str]:
    """The shipped scenarios, then any files given to ``run.py demo --scenario``."""
    extra = [p for p in os.environ.get(EXTRA_ENV, "").split(os.pathsep) if p]
    return [*scenario_names(), *extra]


def _p(lead: str, text: str) -> None:
    # Plain HTML: solara.Markdown pulls KaTeX from a CDN, which a classroom without internet lacks.
    solara.HTML(tag="p", unsafe_innerHTML=(f"<b>{html.escape(lead)}</b> " if lead else "") + html.escape(text))


@solara.component
def Monitor(label: str, value: str) -> None:
    solara.HTML(tag="div", classes=["sme-monitor"],
                unsafe_innerHTML=f'<div class="label">{html.escape(label)}</div>'
                                 f'<div class="value">{html.escape(value)}</div>')


SCORE_TITLE = "Exporting that lasts, so far: live vs reference"


def score_html(m: class_runs.Monitors) -> str:
    """The scoreboard monitor: exporter-years and lasting entrants so far, live, reference and gap."""
    rows = [("exporter-years", m.exporter_years, m.reference_exporter_years),
            ("lasting entrants", m.lasting_entrants, m.reference_lasting_entrants)]
    cells = "".join(f"<tr><td>{name}</td><td>{class_runs.count(a)}</td><td>{class_runs.count(b)}</td>"
                    f"<td>{round(a) - round(b):+,d}</td></tr>" for name, a, b in rows)
    return (f'<div class="label">{html.escape(SCORE_TITLE)}</div><table><tr><th></th><th>live</th>'
            f"<th>reference</th><th>gap</th></tr>{cells}</table>")


@solara.component
def Monitors() -> None:
    m = class_runs.monitors(state.shown())
    with solara.Div(classes=["sme-monitors"]):
        Monitor("Quarter", f"{m.quarter}/{m.horizon}")
        Monitor("Exporters", f"{m.exporters} ({100 * m.exporters_share:.1f}%)")
        Monitor("In a GVC", f"{100 * m.gvc_share:.1f}%")
        solara.HTML(tag="div", classes=["sme-monitor", "sme-score"], unsafe_innerHTML=score_html(m))
        Monitor("Budget spent", f"{m.budget_spent:,.0f} of {m.budget_planned:,.0f} kUSD")


@solara.component
def Controls() -> None:
    live = state.shown()
    playing, finished = state.playing.value, live.t >= live.horizon
    with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
        if playing:
            solara.Button("Pause", on_click=state.guarded(lambda: state.playing.set(False)), color="warning")
        else:
            solara.Button("Play", on_click=state.guarded(lambda: state.playing.set(True)), color="primary",
                          disabled=finished)
        solara.Button("Step", on_click=state.guarded(state.step), disabled=playing or finished, outlined=True)
        solara.Button("Reset", on_click=state.guarded(state.start), outlined=True)
        busy = ("Queued..." if state.seeds_waiting.value else f"Running {2 * class_runs.SEEDS} runs...")
        solara.Button(busy if state.seeds_busy.value else SEEDS_BUTTON,
                      on_click=state.guarded(lambda: seeds_request.set(seeds_request.value + 1)),
                      disabled=state.seeds_busy.value, outlined=True)
    message = class_runs.end_message(live)
    if message:
        solara.Success(message, classes=["sme-end"])
    if state.seeds_waiting.value:
        solara.Info(state.WAITING)
    if state.notice.value:
        solara.Info(state.notice.value)
    Problem()


@solara.component
def Problem() -> None:
    """The last action's error, as one line (``state.problem``), with a button to dismiss it."""
    text = state.problem.value
    if text:
        with solara.Row(classes=["sme-problem"], gap="4px", style={"align-items": "center"}):
            solara.Warning(text, dense=True)
            solara.Button("OK", on_click=lambda: state.problem.set(""), small=True, text=True)


seeds_request = solara.reactive(0)


@solara.component
def Workers() -> None:
    """The play loop and 'Run 20 seeds', each in a thread of this tab, so clicks stay answered.

    Both report their own errors (``state.attempt``): an error escaping a
    thread would stop it unseen, with the Pause button still showing.
    """
    solara.use_thread(state.play_loop, dependencies=[state.playing.value], intrusive_cancel=False)

    def seeds(cancel: threading.Event) -> None:
        if seeds_request.value:
            state.attempt(lambda: state.run_seeds(cancel))

    solara.use_thread(seeds, dependencies=[seeds_request.value], intrusive_cancel=False)


@solara.component
def LessonPicker(locked: bool = False) -> None:
    current = state.setup.value.lesson
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        for lesson in load_lessons():
            chosen = current is not None and current.name == lesson.name
            solara.Button(lesson.hypothesis, small=True, color="primary" if chosen else None, outlined=not chosen,
                          disabled=locked, on_click=state.guarded(lambda lesson=lesson: state.start(
                              state.lesson_setup(lesson, state.setup.value.seed))))


@solara.component
def LessonCard() -> None:
    live, lesson = state.shown(), state.setup.value.lesson
    with solara.Card(lesson.title if lesson else live.source.title, classes=["sme-card"]):
        if lesson:
            _p("What the paper claims.", lesson.claim)
            _p("What to change.", lesson.change)
            _p("What to look for.", lesson.look_for)
        else:
            _p("", live.source.description or "(no description)")
        reference = live.reference_scenario
        same = " (levers untouched)" if reference is live.source else ""
        _p("Live:", f"{live.source.title}, seed {live.seed}. Dashed line: {reference.title}{same}.")
        if live.changes:
            text = class_runs.moved_text(live.changes)
            idle = [levers.LEVERS[k].label for k in live.idle]
            _p("Moved from the scenario:", text + "." + (f" ({', '.join(idle)}: changes nothing in this "
                                                          "scenario.)" if idle else ""))
        if live.notice:
            solara.Warning(live.notice)


def _control(name: str, value: Any, scenario: Any) -> None:
    lever = levers.LEVERS[name]
    move = state.guarded(lambda v, name=name: state.move_lever(name, v))

    if isinstance(lever, levers.Toggle):
        solara.Checkbox(label=lever.label, value=bool(value), on_value=move)
    elif isinstance(lever, levers.Delivery):
        solara.Select(lever.label, value=value, values=list(lever.choices), on_value=move)
    else:
        if isinstance(lever, levers.ParameterLever):
            low, high = lever.bounds(scenario, value)
            whole = lever.parameter.kind is int
        else:
            low, high, whole = lever.low, lever.high, False
        text = f"{int(value)}" if whole else f"{float(value):g}"
        # The label on a line of its own: beside a long label Vuetify's track shrinks to a dot.
        solara.HTML(tag="div", classes=["sme-lever"], unsafe_innerHTML=f"{html.escape(lever.label)}: <b>{text}</b>")
        with solara.Div(classes=["sme-slider", f"sme-slider-{name}"]):
            # Vuetify's slider itself, not solara.SliderFloat/Int: their float()/int() of what the browser
            # sends would raise outside our handler; the lever checks the value instead.
            solara.v.Slider(v_model=value, min=low, max=high, step=lever.step, on_v_model=move, thumb_label=False,
                            dense=False, hide_details=True)


@solara.component
def LeverPanel(names: tuple[str, ...] | None = None, seed_box: bool = True) -> None:
    scenario = state.shown().source
    values = {**levers.read(scenario), **dict(state.setup.value.levers)}
    policy = [lv.name for lv in levers.POLICY_LEVERS if names is None or lv.name in names]
    world = [lv.name for lv in levers.WORLD_LEVERS if names is None or lv.name in names]
    with solara.Card("Policy levers"):
        for name in policy:
            _control(name, values[name], scenario)
        if seed_box:
            solara.InputText("Seed (whole number)", value=state.setup.value.seed,
                             on_value=state.guarded(state.set_seed), continuous_update=False)
    if world:
        with solara.Details("The world (the same for the live and the dashed line)"):
            for name in world:
                _control(name, values[name], scenario)


@solara.component
def ScenarioPicker() -> None:
    current = state.setup.value
    path, set_path = solara.use_state("")
    message, set_message = solara.use_state("")
    with solara.Details("Scenarios and files"):
        choices = scenario_choices()
        solara.Select("Live scenario", value=current.scenario,
                      values=choices if current.scenario in choices else [current.scenario, *choices],
                      on_value=state.guarded(lambda v: state.start(state.Setup(v, current.reference, None, {},
                                                                               current.seed))))
        solara.Select("Reference (dashed line)", value=current.reference or SAME_AS_LIVE,
                      values=[SAME_AS_LIVE, *choices],
                      on_value=state.guarded(lambda v: state.start(state.Setup(
                          current.scenario, "" if v == SAME_AS_LIVE else v, current.lesson, current.levers,
                          current.seed))))
        solara.InputText("Scenario file (path to a .toml)", value=path, on_value=set_path)

        def load_file() -> None:
            try:
                load(path.strip(), confine=True)
            except ScenarioError as err:
                set_message(str(err))
                return
            set_message("")
            state.start(state.Setup(str(Path(path.strip()).resolve()), current.reference, None, {}, current.seed))

        solara.Button("Load file", on_click=state.guarded(load_file), small=True)
        if message:
            solara.Error(message)


@solara.component
def Charts(key: str = "outcomes", charts: tuple[str, ...] = views.CHARTS) -> None:
    live = state.shown()
    specs = solara.use_memo(lambda: views.specs(live.horizon, key), [live.horizon, key])
    ghosts = state.ghosts()
    data = solara.use_memo(lambda: views.datasets(live, ghosts, charts), [live, len(ghosts), charts])
    stamp = f"{live.run}:{live.t}:{len(ghosts)}"
    VegaChart(name=key, spec=specs[key], datasets=data[key], stamp=stamp)
    rest = [c for c in charts if c != key]
    if rest:
        with solara.Div(classes=["sme-charts"]):
            for name in rest:
                VegaChart(name=name, spec=specs[name], datasets=data[name], stamp=stamp)


def table_html(frame: Any) -> str:
    return frame.to_html(index=False, escape=True, classes="sme-table", border=0)


@solara.component
def RunsTable() -> None:
    runs = state.history.value
    with solara.Card("Runs so far"):
        if not runs:
            _p("", "Each run you Reset from, or leave for another lesson, is listed here and stays on the "
                   "key chart as a grey line.")
            return
        frame = class_runs.table(runs)
        solara.HTML(tag="div", unsafe_innerHTML=table_html(frame))
        solara.FileDownload(lambda: frame.to_csv(index=False).encode(), filename="classroom_runs.csv",
                            label="Download the runs (CSV)")


@solara.component
def SeedsView() -> None:
    result = state.seed_result.value
    spec = solara.use_memo(views.seeds_spec, [])
    if result is None:
        return
    frame = result.frame()
    with solara.Card(SEEDS_BUTTON):
        _p("", result.sentence())
        VegaChart(name="seeds", spec=spec, datasets=views.seeds_data(result), stamp=str(result.seeds[0]))
        solara.FileDownload(lambda: frame.to_csv(index=False).encode(), filename="classroom_seeds.csv",
                            label="Download the seeds (CSV)")


@solara.component
def Info() -> None:
    import markdown

    text = solara.use_memo(lambda: markdown.markdown(INFO.read_text(encoding="utf-8")), [])
    solara.HTML(tag="div", classes=["sme-info"], unsafe_innerHTML=text)


@solara.component
def UrlSync() -> None:
    """Keep the lesson and seed in the address bar, so a reload or a shared link opens them."""
    router = solara.use_router()
    wanted = state.query_of(state.setup.value)

    def sync() -> None:
        if (router.search or "") != wanted:
            router.push(f"{router.path or '/'}?{wanted}")

    solara.use_effect(sync, [wanted])


def initial_setup(search: str | None) -> state.Setup:
    return state.setup_from_query(search, state.Setup())


def seed_ok(text: str) -> bool:
    return not parse_seed(text)[1]
