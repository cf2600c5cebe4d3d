"""Classroom levers, lessons and the app's controls: everything maps onto the registry and the scenarios."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from helpers import need
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import levers
from simulation.classroom import ClassroomModel, network_view, parse_seed, reference_run
from simulation.lessons import LESSON_DIR, LessonError, load_lesson, load_lessons
from simulation.params import REGISTRY
from simulation.policy import CATALOGUE
from simulation.scenario import load, scenario_names

SMALL = {"comp_mean": 0.3}  # a world lever moved, so tests can also check the reference follows it


# --- levers ------------------------------------------------------------------------

def test_every_lever_maps_to_a_registry_parameter_or_a_scenario_entry():
    for name, lever in levers.LEVERS.items():
        if isinstance(lever, levers.ParameterLever):
            assert name in REGISTRY
            for s in map(load, scenario_names()):  # the sweep range, widened only to hold a scenario's value
                lo, hi = lever.bounds(s)
                assert lo <= REGISTRY[name].sweep_bounds[0] and hi >= REGISTRY[name].sweep_bounds[1]
                assert REGISTRY[name].low <= lo <= s.resolved_params[name] <= hi <= REGISTRY[name].high
        elif isinstance(lever, (levers.Toggle, levers.Regulation)):
            assert lever.instrument in CATALOGUE
            assert lever.template in scenario_names()
            assert any(e.instrument == lever.instrument for e in load(lever.template).package.entries), name
        elif isinstance(lever, levers.BudgetScale):
            assert any(getattr(i, lever.attribute) == lever.value and i.mode != "regulatory"
                       for i in CATALOGUE.values()), name
        else:
            assert isinstance(lever, levers.Delivery)
    # Levers are keyword arguments of the model next to the registry's names: no clash with other keys.
    assert not {"source", "reference", "seed", "scenario"} & set(levers.LEVERS)


@pytest.mark.parametrize("name", scenario_names())
def test_levers_at_the_scenarios_values_change_nothing(name):
    s = load(name)
    assert levers.apply(s, levers.read(s)) is s
    assert levers.moved(s, levers.read(s)) == {}


def test_each_lever_moves_what_it_names():
    base = load("baseline")
    budget = {e.instrument: e.budget for e in base.package.entries}

    doubled = levers.apply(base, {"budget_strengthening": 2.0})
    assert {e.instrument: e.budget for e in doubled.package.entries} == {k: 2 * v for k, v in budget.items()}

    micro = levers.apply(base, {"budget_micro": 0.0})  # capacity training is the micro-level programme here
    assert {e.instrument: e.budget for e in micro.package.entries}["capacity_training"] == 0.0
    assert {e.instrument: e.budget for e in micro.package.entries}["export_promotion"] == budget["export_promotion"]

    mapped = levers.apply(base, {"mapping_study": True})
    template = next(e for e in load("integrated").package.entries if e.instrument == "mapping_study")
    assert template in mapped.package.entries

    off = levers.apply(load("integrated"), {"mapping_study": False})
    assert not any(e.instrument == "mapping_study" for e in off.package.entries)

    cut = levers.apply(base, {"liberalization": 0.5})
    tariff = next(e for e in cut.package.entries if e.instrument == "trade_liberalization")
    assert tariff.start == 12  # timing from scenarios/liberalization_only.toml
    assert levers.read(cut)["liberalization"] == pytest.approx(0.5)

    local = levers.apply(base, {"delivery": "local"})
    assert {e.deliverer for e in local.package.entries} == {"local"}

    coordinated = levers.apply(base, {"coordination": 0.9, "comp_mean": 0.4})
    assert coordinated.params["coordination"] == 0.9 and coordinated.params["comp_mean"] == 0.4


def test_regulation_levers_read_what_the_scenarios_enforce():
    assert levers.read(load("alliances_on"))["alliance_framework"] == pytest.approx(0.5)
    assert levers.read(load("alliances_on"))["performance_requirements"] == pytest.approx(0.5)
    assert levers.read(load("liberalization_only"))["liberalization"] == pytest.approx(1.0)
    off = levers.apply(load("alliances_on"), {"alliance_framework": 0.0, "performance_requirements": 0.0})
    assert levers.read(off)["alliance_framework"] == 0.0
    assert not any(e.spec.mode == "regulatory" for e in off.package.entries)


def test_bad_lever_values_are_named():
    with pytest.raises(levers.LeverError, match="budget_precondition.*\\[0.0, 3.0\\]"):
        levers.check({"budget_precondition": 7})
    with pytest.raises(levers.LeverError, match="unknown lever 'coordinaton'.*did you mean 'coordination'"):
        levers.check({"coordinaton": 0.5})
    with pytest.raises(levers.LeverError, match="delivery"):
        levers.check({"delivery": "regional"})
    with pytest.raises(levers.LeverError, match="comp_mean"):
        levers.check({"comp_mean": 2.0})


# --- lessons -------------------------------------------------------------------------

def test_five_lessons_one_per_hypothesis_and_liberalization():
    lessons = load_lessons()
    assert [x.hypothesis for x in lessons] == ["H1", "H2", "H3", "H4", "liberalization"]
    for lesson in lessons:
        assert load(lesson.scenario) and load(lesson.reference)
        assert lesson.scenario != lesson.reference  # the faint line shows a different policy
        levers.check(lesson.levers)
        for text in (lesson.claim, lesson.change, lesson.look_for):
            assert len(text) > 60 and "\n" not in text


def test_lesson_texts_name_only_controls_and_choices_that_exist():
    """A lesson that tells students to set 'X' must have a control labelled X, a choice X or a scenario X."""
    known = {lv.label.split(" (")[0] for lv in levers.LEVERS.values()}
    known |= set(levers.LEVERS["delivery"].choices) | set(scenario_names())
    quoted_anything = False
    for lesson in load_lessons():
        quoted = [q for i, q in enumerate(lesson.change.split("'")) if i % 2 == 1]
        quoted += [q for i, q in enumerate(lesson.look_for.split("'")) if i % 2 == 1]
        quoted_anything |= bool(quoted)
        for q in quoted:
            assert q in known, (lesson.name, q)
    assert quoted_anything


def test_bad_lesson_files_are_named(tmp_path):
    good = (LESSON_DIR / "h1_fragmentation.toml").read_text()
    cases = {
        "scenario": (good.replace('scenario = "fragmented"', 'scenario = "fragmentd"'), "scenario"),
        "lever": (good + '\n[levers]\ncoordinaton = 0.5\n', "levers.coordinaton"),
        "value": (good + '\n[levers]\ncoordination = 5.0\n', "levers.coordination"),
        "key": (good.replace("order = 1\n", 'order = 1\nexercise = "x"\n'), "exercise"),
        "missing": (good.replace('hypothesis = "H1"', ''), "hypothesis"),
    }
    for label, (text, key) in cases.items():
        path = tmp_path / f"{label}.toml"
        path.write_text(text)
        with pytest.raises(LessonError) as err:
            load_lesson(path)
        assert err.value.key == key and str(path) in str(err.value), label


# --- the classroom model ----------------------------------------------------------------

def test_untouched_levers_run_exactly_the_scenario_and_match_the_reference():
    m = ClassroomModel("integrated", seed="3", n_smes=300)
    for _ in range(6):
        m.step()
    ts = m.timeseries()
    ref = reference_run(m.reference_scenario, m.p, m.seed, m.horizon)
    assert m.changes == {}
    for column in ("exporters", "n_precondition", "budget_spent", "alliances"):
        np.testing.assert_array_equal(ts[column].to_numpy(), ref[column].to_numpy()[: len(ts)])


def test_reference_is_the_reference_policy_in_the_live_world():
    m = ClassroomModel("fragmented", reference="integrated", seed="2", comp_mean=0.4)
    assert m.changes == {"comp_mean": (load("fragmented").resolved_params["comp_mean"], 0.4)}
    ref = m.reference_ts
    assert ref["budget_precondition"].sum() > 0  # integrated maps and raises awareness; fragmented does not
    again = ClassroomModel("integrated", seed="2", comp_mean=0.4)
    for _ in range(m.horizon):
        again.step()
    np.testing.assert_array_equal(again.timeseries()["exporters"], ref["exporters"])


def test_seed_text():
    assert parse_seed(" 42 ") == (42, "")
    seed, notice = parse_seed("forty")
    assert seed == 0 and "forty" in notice
    assert ClassroomModel("baseline", seed="x", n_smes=100).notice


def test_network_view_is_stable_and_consistent():
    m = ClassroomModel("alliances_on", seed="1")
    for _ in range(8):
        m.step()
    net = m.network()
    s = m.sme
    assert len(net.sme_rows) <= 150 and len(net.le_xy) == m.le.n
    # every alliance edge is a real alliance, and every allied SME of the sample is drawn with it
    for i, j in net.alliances:
        assert s.partner[net.sme_rows[i]] == j
    assert len(net.alliances) == int((s.partner[net.sme_rows] >= 0).sum())
    for i, j in net.ties:
        a, b = net.sme_rows[i], net.sme_rows[j]
        assert s.region[a] == s.region[b] and s.sector[a] == s.sector[b]
    # positions depend on the row and stage only: the same call gives the same picture
    again = network_view(m, m._sample_rows)
    np.testing.assert_array_equal(again.sme_xy, net.sme_xy)
    radius = np.hypot(*net.sme_xy.T)
    means = [radius[net.sme_stage == k].mean() for k in range(4) if (net.sme_stage == k).any()]
    assert len(means) >= 3 and np.all(np.diff(means) < -0.1)  # each stage further in, towards the lead firms


_lever_values = st.fixed_dictionaries({
    name: (st.booleans() if isinstance(lv, levers.Toggle)
           else st.sampled_from(lv.choices) if isinstance(lv, levers.Delivery)
           else st.floats(*lv.bounds(load("integrated")), allow_nan=False) if isinstance(lv, levers.ParameterLever)
           else st.floats(lv.low, lv.high, allow_nan=False))
    for name, lv in levers.LEVERS.items()})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=_lever_values, scenario=st.sampled_from(scenario_names()))
def test_no_combination_of_controls_breaks_the_model(values, scenario):
    m = ClassroomModel(scenario, seed="5", n_smes=150, **values)
    for _ in range(3):
        m.step()
    ts = m.timeseries()
    assert len(ts) == 4 and (ts["n_smes"] == m.sme.n).all()
    assert np.isfinite(ts["export_participation"]).all()
    assert (ts["budget_spent"] <= m.live.package.total_budget + 1e-9).all()
    views = need("simulation.views", "demo")

    data = views.datasets(m)  # every chart has data whatever the controls say, as strict JSON
    json.dumps(data, allow_nan=False)
    assert set(data) == set(views.CHARTS)


def test_mesa_scenario_argument_from_solaraviz_reset_is_ignored():
    """Mesa 3.5's SolaraViz adds its own ``scenario`` object when it rebuilds the model."""
    m = ClassroomModel("baseline", seed="1", scenario=object(), n_smes=100)
    assert m.source.name == "baseline"


# --- the app's controls (imports Solara) ---------------------------------------------------

def test_app_setup_builds_the_lesson_with_its_levers():
    state = need("simulation.app.state", "demo")

    for lesson in load_lessons():
        setup = state.lesson_setup(lesson, "3")
        assert (setup.scenario, setup.reference) == (lesson.scenario, lesson.reference)
        moved = setup.with_lever("coordination", 0.9)
        model = dataclasses.replace(moved, levers={**moved.levers, "n_smes": 100}).build()
        assert model.source.name == load(lesson.scenario).name and model.seed == 3
        assert model.reference_scenario.name == load(lesson.reference).name
        assert model.changes == levers.moved(load(lesson.scenario), {**lesson.levers, "coordination": 0.9})


def test_the_scenario_picker_lists_extra_files(monkeypatch, tmp_path):
    page = need("simulation.app.page", "demo")
    from simulation.app.state import Setup

    mine = tmp_path / "mine.toml"
    mine.write_text('title = "Mine"\nextends = "integrated"\n[params]\ncoordination = 0.5\n')
    monkeypatch.setenv(page.EXTRA_ENV, str(mine))
    assert page.scenario_choices()[-1] == str(mine)
    assert Setup(str(mine), levers={"n_smes": 100}).build().p["coordination"] == 0.5


def test_charts_have_data_for_every_lesson():
    views = need("simulation.views", "demo")

    specs = views.specs(40)
    for lesson in load_lessons():
        m = ClassroomModel(lesson.scenario, reference=lesson.reference, seed="1", n_smes=200, **lesson.levers)
        m.step()
        data = views.datasets(m)
        for name in views.CHARTS:
            named = {d["name"] for d in _named_data(specs[name])}
            assert named == set(data[name]), name  # each data set a chart reads is sent, and nothing else
            assert all(data[name][k] for k in named if k != "ghosts"), name


def test_the_seeds_chart_draws_the_exporter_years_gap():
    from simulation import class_runs

    views = need("simulation.views", "demo")

    m = ClassroomModel("integrated", reference="fragmented", seed="1", n_smes=100)
    gaps = class_runs.seed_gaps(m, n=3)
    data = views.seeds_data(gaps)
    assert {d["name"] for d in _named_data(views.seeds_spec())} == set(data)
    assert [r["seed"] for r in data["gaps"]] == [1, 2, 3]
    assert [r["gap"] for r in data["gaps"]] == list(gaps.gaps("exporter_years"))
    assert data["mean"] == [{"mean": gaps.mean("exporter_years")}]
    assert "exporter-years" in json.dumps(views.seeds_spec())
    json.dumps(data, allow_nan=False)


def test_demo_command_rejects_bad_input_with_one_line(tmp_path):
    need("solara", "demo")  # without it the command stops first on the missing extra
    import socket
    import subprocess
    import sys

    from helpers import ROOT

    def demo(*args):
        return subprocess.run([sys.executable, str(ROOT / "run.py"), "demo", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)

    missing = demo("--scenario", str(tmp_path / "missing.toml"))
    assert missing.returncode == 2 and "missing.toml: no such scenario file" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\n[params]\ncomp_man = 0.3\n')
    typo = demo("--scenario", str(bad))
    assert typo.returncode == 2 and "params.comp_man" in typo.stderr and "did you mean 'comp_mean'" in typo.stderr
    assert demo("--port", "70000").returncode == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = demo("--port", str(busy.getsockname()[1]))
    assert taken.returncode == 2 and "cannot be used" in taken.stderr
    for r in (missing, typo, taken):
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_stage_and_level_budget_factors_multiply():
    s = load("integrated")
    awareness = next(e.budget for e in s.package.entries if e.instrument == "awareness_information")
    both = levers.apply(s, {"budget_precondition": 2.0, "budget_meso": 2.0})
    assert next(e.budget for e in both.package.entries if e.instrument == "awareness_information") == 4 * awareness
    # a mapping study switched on is added first, then scaled with its stage
    base = levers.apply(load("baseline"), {"mapping_study": True, "budget_precondition": 0.5})
    assert next(e.budget for e in base.package.entries if e.instrument == "mapping_study") == pytest.approx(50.0)


def test_reference_follows_the_scenario_file_not_a_stale_copy(tmp_path):
    ref = tmp_path / "ref.toml"
    ref.write_text('title = "Ref"\nextends = "integrated"\n')
    first = ClassroomModel("fragmented", reference=str(ref), seed="4", n_smes=200).reference_ts
    ref.write_text('title = "Ref"\nextends = "integrated"\n[package.training]\nbudget = 3000.0\n')
    second = ClassroomModel("fragmented", reference=str(ref), seed="4", n_smes=200).reference_ts
    assert second["budget_spent"].sum() > first["budget_spent"].sum()


def test_settings_that_are_not_levers_reach_both_runs():
    m = ClassroomModel("integrated", seed="2", n_smes=200, targeting_strength=0.0)
    assert m.changes == {} and m.p["targeting_strength"] == 0.0
    for _ in range(5):
        m.step()
    np.testing.assert_array_equal(m.timeseries()["exporters"], m.reference_ts["exporters"][:6])


def test_seed_text_that_only_looks_like_digits():
    for text in ("²", "٣", "+3", "-1", "3.5", "", str(2**64)):
        assert parse_seed(text)[0] == 0 and parse_seed(text)[1], text
    assert ClassroomModel("baseline", seed="²", n_smes=100).seed == 0


def test_a_lesson_value_outside_the_sweep_range_widens_its_slider():
    lever = levers.LEVERS["comp_mean"]
    low, high = lever.bounds(load("integrated"), 0.9)
    assert low <= 0.9 <= high and (low, high) != lever.bounds(load("integrated"))
    model = ClassroomModel("integrated", seed="1", n_smes=100, comp_mean=0.9)
    assert model.p["comp_mean"] == 0.9


def test_moves_that_change_nothing_are_told_apart():
    base = load("baseline")  # no precondition programmes, every programme delivered nationally but one
    assert levers.idle(base, {"budget_precondition": 2.0, "budget_strengthening": 2.0}) == ["budget_precondition"]
    national = levers.apply(base, {"delivery": "national"})
    assert levers.idle(national, {"delivery": "national"}) == ["delivery"]
    assert levers.idle(base, {"delivery": "local", "mapping_study": True}) == []
    m = ClassroomModel("baseline", seed="1", n_smes=100, budget_precondition=2.0)
    assert "budget_precondition" in m.changes and m.idle == ["budget_precondition"]


def _named_data(spec):
    """Every {"name": ...} data reference in a Vega-Lite specification."""
    if isinstance(spec, dict):
        if set(spec) == {"name"}:
            yield spec
        for v in spec.values():
            yield from _named_data(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from _named_data(v)
