"""The lesson flow without a browser: Reset, the runs so far, monitors, the end of a run, 20 seeds, the URL."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import need

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
    assert gaps.seeds == (4, 5, 6) and set(gaps.live) == set(gaps.reference) == set(class_runs.VERDICT)
    while m.t < m.horizon:
        m.step()
    # seed 4 is the run on screen: the same outcomes over the run, live and dashed, as the monitors at the end
    last = class_runs.monitors(m)
    assert gaps.live["exporter_years"][0] == last.exporter_years
    assert gaps.reference["exporter_years"][0] == last.reference_exporter_years
    assert gaps.live["lasting_entrants"][0] == last.lasting_entrants
    assert gaps.reference["lasting_entrants"][0] == last.reference_lasting_entrants
    assert gaps.live["exporters"][0] == int(m.timeseries()["exporters"].iloc[-1])
    alone = run(m.live.package, seed=5, steps=m.horizon, **m.p)
    for outcome in class_runs.VERDICT:  # what the batch gives is each run's own summary
        assert gaps.live[outcome][1] == alone.summary[outcome], outcome
    for outcome in class_runs.LEAD:
        low, high = gaps.interval(outcome)
        assert low <= gaps.mean(outcome) <= high
        assert gaps.ahead(outcome) + gaps.behind(outcome) == int((gaps.gaps(outcome) != 0).sum())
    sentence = gaps.sentence()
    assert sentence.startswith("Over 3 seeds the live run ends with")
    assert f"{gaps.mean():+.1f} exporter-years" in sentence and f"ahead on {gaps.ahead()} of 3 seeds" in sentence
    assert f"{gaps.mean('lasting_entrants'):+.1f} lasting entrants" in sentence
    assert sentence.index("exporter-years") < sentence.index("lasting entrants") < sentence.index("New exporters")
    frame = gaps.frame()
    assert list(frame["seed"]) == [4, 5, 6]
    assert list(frame["exporter_years_gap"]) == list(gaps.gaps("exporter_years"))
    assert {"lasting_entrants_live", "lasting_entrants_reference", "new_exporters_gap"} <= set(frame.columns)


def test_seed_gaps_measure_any_outcome_asked_for():
    m = ClassroomModel("liberalization_only", reference="no_policy", seed="2", **SMALL)
    gaps = class_runs.seed_gaps(m, n=2, measured=["exits"])
    assert set(gaps.live) == {"exits"} and gaps.mean("exits") == gaps.gaps("exits").mean()
    with pytest.raises(ValueError, match="unknown outcome 'exit'"):
        class_runs.seed_gaps(m, n=2, measured=["exit"])


def test_same_setup_on_both_arms_has_no_gap_on_any_seed():
    m = ClassroomModel("integrated", seed="2", **SMALL)  # reference = the live scenario, levers untouched
    gaps = class_runs.seed_gaps(m, n=4)
    for outcome in class_runs.VERDICT:
        assert np.all(gaps.gaps(outcome) == 0) and gaps.luck(outcome)
    assert gaps.ahead() == gaps.behind() == 0
    assert "Both gaps could be luck: their intervals include zero." in gaps.sentence()


def test_a_clear_gap_is_not_luck():
    gaps = class_runs.SeedGaps((1, 2, 3), {"exporter_years": (110.0, 112.0, 111.0), "lasting_entrants": (5, 6, 5),
                                           "new_exporters": (9, 9, 9)},
                               {"exporter_years": (100.0, 101.0, 100.5), "lasting_entrants": (5, 4, 6),
                                "new_exporters": (9, 9, 9)}, 40)
    assert not gaps.luck() and gaps.luck("lasting_entrants") and gaps.ahead() == 3
    assert ("The exporter-years gap is not luck (its interval leaves out zero); the lasting entrants gap could "
            "be.") in gaps.sentence()
    both = class_runs.SeedGaps((1, 2), {o: (5.0, 6.0) for o in class_runs.VERDICT},
                               {o: (1.0, 1.5) for o in class_runs.VERDICT}, 40)
    assert both.verdict() == "Neither gap is luck: both intervals leave out zero."
    assert gaps.ahead("lasting_entrants") == gaps.behind("lasting_entrants") == 1


def test_monitors_and_the_end_of_a_run():
    m = ClassroomModel("integrated", reference="fragmented", seed="1", **SMALL)
    first = class_runs.monitors(m)
    assert (first.quarter, first.horizon, first.budget_spent) == (0, 40, 0.0)
    assert (first.exporter_years, first.lasting_entrants, first.gap) == (0.0, 0, 0.0)  # no quarter has run yet
    assert first.budget_planned == pytest.approx(load("integrated").package.total_budget)
    assert class_runs.end_message(m) == ""
    for _ in range(3):
        m.step()
    ts = m.timeseries()
    early = class_runs.monitors(m)  # exporter-years so far: the quarters' exporters, in years
    assert early.exporter_years == ts.loc[ts["step"].between(1, 3), "exporters"].sum() / 4
    assert early.reference_exporter_years == m.reference_ts.loc[m.reference_ts["step"].between(1, 3),
                                                                "exporters"].sum() / 4
    while m.t < m.horizon:
        m.step()
    last = class_runs.monitors(m)
    summary = run(m.live.package, seed=1, steps=m.horizon, **m.p).summary
    assert last.finished and last.exporters == int(m.timeseries()["exporters"].iloc[-1])
    assert last.exporter_years == summary["exporter_years"] and last.lasting_entrants == summary["lasting_entrants"]
    assert last.gap == last.exporter_years - last.reference_exporter_years
    assert last.lasting_gap == last.lasting_entrants - last.reference_lasting_entrants
    message = class_runs.end_message(m)
    assert "finished" in message and "quarter 40 of 40" in message and "Run 20 seeds" in message
    assert f"has {class_runs.count(last.exporter_years)} exporter-years" in message
    assert f"the reference's {class_runs.count(last.reference_exporter_years)}" in message
    assert f"{last.lasting_entrants} lasting entrants against its {last.reference_lasting_entrants}" in message


def _monitors(years: float, reference_years: float) -> class_runs.Monitors:
    return class_runs.Monitors(quarter=12, horizon=40, exporters=110, exporters_share=0.05, gvc_share=0.02,
                               budget_spent=10.0, budget_planned=100.0, exporter_years=years, lasting_entrants=4,
                               reference_exporter_years=reference_years, reference_lasting_entrants=6)


def test_gap_sentence_says_more_fewer_or_as_many():
    assert class_runs.gap_sentence(_monitors(1100.0, 1000.0)) == (
        "the live run has 1,100 exporter-years, 100 more (+10%) than the reference's 1,000, and 4 lasting "
        "entrants against its 6")
    assert "900 exporter-years, 100 fewer (-10%) than" in class_runs.gap_sentence(_monitors(900.0, 1000.0))
    assert "as many as the reference's 1,000" in class_runs.gap_sentence(_monitors(1000.25, 1000.0))
    assert "4 lasting entrants against its 6" in class_runs.gap_sentence(_monitors(1.0, 1.0))
    assert _monitors(12.5, 10.0).gap == 2.5 and _monitors(1.0, 1.0).lasting_gap == -2


def test_runs_table_lists_what_was_moved():
    m = ClassroomModel("fragmented", reference="integrated", seed="3", coordination=0.9, mapping_study=True,
                       **SMALL)
    for _ in range(5):
        m.step()
    rec = class_runs.record(m, 1)
    m_now = class_runs.monitors(m)
    assert (rec.number, rec.seed, rec.quarter) == (1, 3, 5)
    assert (rec.exporter_years, rec.lasting_entrants) == (m_now.exporter_years, m_now.lasting_entrants)
    assert "National-local coordination" in rec.moved and "to 0.9" in rec.moved
    frame = class_runs.table([rec, rec])
    assert list(frame.columns) == list(class_runs.TABLE_COLUMNS.values())
    assert list(frame.columns)[5:10] == ["exporter-years", "reference exporter-years", "gap", "lasting entrants",
                                         "reference lasting entrants"]
    assert list(frame["run"]) == [1, 1] and frame["gap"].iloc[0] == round(rec.gap, 1)
    assert frame["exporter-years"].iloc[0] == round(rec.exporter_years, 1)
    assert class_runs.moved_text({}) == "nothing moved"


def test_the_scoreboard_monitor_shows_exporting_that_lasts():
    page = need("simulation.app.page", "demo")
    cells = page.score_html(_monitors(1234.75, 1000.0))
    assert "<td>exporter-years</td><td>1,235</td><td>1,000</td><td>+235</td>" in cells
    assert "<td>lasting entrants</td><td>4</td><td>6</td><td>-2</td>" in cells
    assert cells.index("exporter-years") < cells.index("lasting entrants")


# --- the tab's state (Solara reactives, used here outside a browser) ------------------------

@pytest.fixture
def state():
    st = need("simulation.app.state", "demo")
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
