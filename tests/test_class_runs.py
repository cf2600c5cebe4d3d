"""The lesson flow without a browser: Reset, the runs so far, monitors, the end of a run, 20 seeds, the URL."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import class_runs
from simulation.api import run
from simulation.classroom import ClassroomModel
from simulation.lessons import load_lessons
from simulation.scenario import load

SMALL = {"n_smes": 150}


def _lesson(hypothesis: str):
    return next(x for x in load_lessons() if x.hypothesis == hypothesis)


def test_seed_gaps_are_the_runs_the_screen_would_show():
    h1 = _lesson("H1")
    m = ClassroomModel(h1.scenario, reference=h1.reference, seed="4", coordination=0.9, **SMALL)
    gaps = class_runs.seed_gaps(m, n=3)
    assert gaps.seeds == (4, 5, 6)
    while m.t < m.horizon:
        m.step()
    # seed 4 is the run on screen: the same exporters at the horizon, live and dashed
    assert gaps.live[0] == int(m.timeseries()["exporters"].iloc[-1])
    assert gaps.reference[0] == int(m.reference_ts["exporters"].iloc[-1])
    alone = run(m.live.package, seed=5, steps=m.horizon, **m.p).timeseries
    assert gaps.live[1] == int(alone["exporters"].iloc[-1])
    low, high = gaps.interval
    assert low <= gaps.mean <= high and gaps.positive == int((gaps.gaps > 0).sum())
    assert str(gaps.positive) in gaps.sentence() and list(gaps.frame().columns) == ["seed", "live", "reference",
                                                                                     "gap"]


def test_same_setup_on_both_arms_has_no_gap_on_any_seed():
    m = ClassroomModel("integrated", seed="2", **SMALL)  # reference = the live scenario, levers untouched
    gaps = class_runs.seed_gaps(m, n=4)
    assert np.all(gaps.gaps == 0) and "could be luck" in gaps.sentence()


def test_monitors_and_the_end_of_a_run():
    m = ClassroomModel("integrated", reference="fragmented", seed="1", **SMALL)
    first = class_runs.monitors(m)
    assert (first.quarter, first.horizon, first.budget_spent) == (0, 40, 0.0)
    assert first.budget_planned == pytest.approx(load("integrated").package.total_budget)
    assert class_runs.end_message(m) == ""
    while m.t < m.horizon:
        m.step()
    last = class_runs.monitors(m)
    assert last.finished and last.exporters == int(m.timeseries()["exporters"].iloc[-1])
    assert last.gap == last.exporters - int(m.reference_ts["exporters"].iloc[-1])
    message = class_runs.end_message(m)
    assert "finished" in message and "quarter 40 of 40" in message
    assert f"{last.exporters} exporters" in message and f"reference's {last.reference_exporters}" in message


def test_gap_sentence_says_more_fewer_or_as_many():
    base = class_runs.Monitors(12, 40, 110, 0.05, 0.02, 10.0, 100.0, 100)
    assert "10 more (+10%) than" in class_runs.gap_sentence(base)
    fewer = class_runs.Monitors(12, 40, 90, 0.05, 0.02, 10.0, 100.0, 100)
    assert "10 fewer (-10%) than" in class_runs.gap_sentence(fewer)
    same = class_runs.Monitors(12, 40, 100, 0.05, 0.02, 10.0, 100.0, 100)
    assert "exactly as many as" in class_runs.gap_sentence(same)


def test_runs_table_lists_what_was_moved():
    m = ClassroomModel("fragmented", reference="integrated", seed="3", coordination=0.9, mapping_study=True,
                       **SMALL)
    for _ in range(5):
        m.step()
    rec = class_runs.record(m, 1)
    assert (rec.number, rec.seed, rec.quarter) == (1, 3, 5)
    assert "National-local coordination" in rec.moved and "to 0.9" in rec.moved
    frame = class_runs.table([rec, rec])
    assert list(frame["run"]) == [1, 1] and frame["gap"].iloc[0] == rec.exporters - rec.reference_exporters
    assert class_runs.moved_text({}) == "nothing moved"


# --- the tab's state (Solara reactives, used here outside a browser) ------------------------

@pytest.fixture
def state():
    st = pytest.importorskip("simulation.app.state")  # skipped only where the 'demo' extra is missing
    st.model.value, st.history.value, st.notice.value = None, (), ""
    yield st
    st.model.value, st.history.value = None, ()


def test_reset_keeps_the_lesson_its_reference_and_the_moved_levers(state):
    h1 = _lesson("H1")
    state.start(state.lesson_setup(h1, "1"))
    state.setup.value = state.setup.value.with_lever("n_smes", 150)  # a small world, for speed
    state.start()
    state.move_lever("coordination", 0.9)  # before the first quarter: rebuilt at once
    assert state.model.value.changes["coordination"][1] == 0.9 and state.notice.value == ""
    for _ in range(3):
        state.step()
    state.move_lever("budget_meso", 1.5)  # mid-run: waits for Reset, and says so
    assert "budget_meso" not in state.model.value.changes and "Reset" in state.notice.value
    state.start()  # Reset
    live = state.model.value
    assert live.t == 0 and live.source.name == load(h1.scenario).name
    assert live.reference_scenario.name == load(h1.reference).name
    assert live.changes["coordination"][1] == 0.9 and live.changes["budget_meso"][1] == 1.5
    assert [r.quarter for r in state.history.value] == [3] and len(state.ghosts()) == 1


def test_step_stops_at_the_horizon(state):
    state.start(state.Setup("integrated", levers={"n_smes": 100}))
    steps = 0
    while state.step():
        steps += 1
    assert state.model.value.t == state.model.value.horizon == steps + 1
    assert state.step() is False and state.model.value.t == state.model.value.horizon


def test_a_play_loop_never_steps_the_run_a_reset_built(state):
    state.start(state.Setup("integrated", levers={"n_smes": 100}))
    old = state.model.value
    state.start()  # Reset while the loop was between two quarters
    assert state.step(old) is False and state.model.value.t == 0
    assert state.step(state.model.value) is True and state.model.value.t == 1


def test_the_url_names_the_lesson_and_seed(state):
    h2 = _lesson("H2")
    default = state.Setup()
    opened = state.setup_from_query("lesson=h2&seed=7", default)
    assert opened.lesson == h2 and opened.seed == "7" and opened.scenario == h2.scenario
    assert state.setup_from_query(state.query_of(opened), default) == opened
    assert state.setup_from_query(f"lesson={h2.name}", default).lesson == h2
    for junk in ("lesson=../../etc/passwd", "lesson=h9&seed=-1", "seed=%C2%B2", "", None):
        assert state.setup_from_query(junk, default) == default
