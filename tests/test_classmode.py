"""Class mode: bounds, refusals, the token, ranking, gains against the class baseline, threads."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from scipy import stats

from simulation import classmode, levers
from simulation.api import run_batch
from simulation.classmode import ClassModeError, ClassSession, interval, nickname_of
from simulation.engine import RunInput
from simulation.scenario import load

BASE = load("baseline")
SMALL = dataclasses.replace(BASE, params={**BASE.params, "n_smes": 100})  # same package, a tiny economy
PACKAGES = [{}, {"budget_strengthening": 0.0}, {"coordination": 1.0, "mapping_study": True, "budget_micro": 0.5},
            {"budget_strengthening": 0.5, "budget_micro": 0.0}, {}]


def session(**kwargs) -> ClassSession:
    return ClassSession(SMALL, **{"seeds": 3, **kwargs})


@pytest.fixture(scope="module")
def ranked() -> ClassSession:
    s = session(seeds=4)
    for k, package in enumerate(PACKAGES):
        s.submit(f"student {k}", package)
    return s


def test_the_student_levers_are_the_policy_levers():
    assert classmode.STUDENT_LEVERS == tuple(lv.name for lv in levers.POLICY_LEVERS)
    assert not set(classmode.STUDENT_LEVERS) & {lv.name for lv in levers.WORLD_LEVERS}


def test_a_package_with_nothing_moved_gains_exactly_nothing():
    s = session()
    assert s.budget == BASE.package.total_budget == 2400.0
    untouched = s.submit("Ana", {})
    at_scenario = s.submit("Ben", {k: v for k, v in levers.read(SMALL).items() if k in classmode.STUDENT_LEVERS})
    for sub in (untouched, at_scenario):
        assert sub.moved == {} and sub.gain == (0.0, 0.0, 0.0) and sub.exporter_years == s.baseline
        assert sub.gain_mean == sub.gain_low == sub.gain_high == 0.0
        assert sub.budget == s.budget and sub.levers == levers.read(SMALL)
    # Exporter-years are the exporters of quarters 1..40 summed, in years; both outcomes are the summary's.
    one = run_batch([RunInput(SMALL.package, SMALL.params, s.seeds[0])], steps=SMALL.steps, regions=False)[0]
    ts = one.timeseries
    assert untouched.exporter_years[0] == ts.loc[ts["step"] >= 1, "exporters"].sum() / 4
    assert untouched.exporter_years[0] == one.summary["exporter_years"]
    assert untouched.lasting_entrants[0] == one.summary["lasting_entrants"] == ts["lasting_entrants"].sum()
    assert untouched.lasting_mean == pytest.approx(sum(untouched.lasting_entrants) / 3)


def test_submissions_rank_by_exporter_years_then_by_id(ranked):
    subs = ranked.submissions()
    assert len(subs) == len(PACKAGES)
    assert [x.id for x in subs] == [x.id for x in sorted(subs, key=lambda x: (-x.mean, x.id))]
    assert sorted(x.id for x in subs) == list(range(1, len(PACKAGES) + 1))
    assert [x.mean for x in subs] == sorted((x.mean for x in subs), reverse=True)
    assert all(x.mean == sum(x.exporter_years) / len(x.exporter_years) for x in subs)
    first, last = ranked.get(1), ranked.get(5)  # the same untouched package twice: a tie, first sent first
    assert first.exporter_years == last.exporter_years
    assert [x.id for x in subs].index(1) + 1 == [x.id for x in subs].index(5)
    table = ranked.table()
    assert list(table.columns) == list(classmode.TABLE_COLUMNS)
    assert list(table["id"]) == [x.id for x in subs]
    ties = table.set_index("id")["rank"]
    assert ties[1] == ties[5] and list(table["rank"]) == sorted(table["rank"])
    row = table.set_index("id").loc[2]
    assert row["moved"] == "Strengthening stage budget (x scenario): 1 to 0" and row["budget (kUSD)"] == 0.0
    sub = ranked.get(2)
    assert row["exporter-years [95% interval]"] == f"{sub.mean:.1f} [{sub.low:.1f}, {sub.high:.1f}]"
    assert row["gain in exporter-years over the class baseline [95% interval]"].startswith(f"{sub.gain_mean:+.1f} [")
    assert row["lasting entrants"] == round(sub.lasting_mean, 1)
    assert table.set_index("id").loc[1, "moved"] == "nothing moved"
    with pytest.raises(ClassModeError, match="no submission number 99"):
        ranked.get(99)


def test_intervals_hold_the_mean(ranked):
    for sub in ranked.submissions():
        assert sub.low <= sub.mean <= sub.high and sub.gain_low <= sub.gain_mean <= sub.gain_high
        assert len(sub.exporter_years) == len(sub.lasting_entrants) == len(sub.gain) == 4
        assert sub.gain == tuple(a - b for a, b in zip(sub.exporter_years, ranked.baseline))
    values = [3.0, 5.0, 4.0, 9.0]
    mean, low, high = interval(values)
    expected = stats.t.interval(0.95, 3, loc=5.25, scale=stats.sem(values))
    assert mean == 5.25 and (low, high) == pytest.approx(expected)
    assert interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)


def test_a_replay_runs_the_submitted_package(ranked):
    sub = ranked.get(3)
    replay = ranked.replay(3)
    assert replay.package.total_budget == sub.budget and replay.params["coordination"] == 1.0
    assert replay == levers.apply(SMALL, {"coordination": 1.0, "mapping_study": True, "budget_micro": 0.5})
    again = run_batch([RunInput(replay.package, replay.params, ranked.seed)], steps=replay.steps, regions=False)
    assert again[0].summary["exporter_years"] == sub.exporter_years[0]
    assert again[0].summary["lasting_entrants"] == sub.lasting_entrants[0]


def test_same_inputs_same_results():
    package = {"budget_precondition": 2.0, "coordination": 0.7}
    one, two = session(), session()
    a, b = one.submit("Ana", package), two.submit("Ana", package)
    c = one.submit("Ben", package)
    assert a.exporter_years == b.exporter_years == c.exporter_years and a.gain == b.gain == c.gain
    assert a.lasting_entrants == b.lasting_entrants
    assert (a.mean, a.low, a.high, a.budget, a.moved) == (b.mean, b.low, b.high, b.budget, b.moved)
    assert one.seeds == [1, 2, 3] and session(seed=7).seeds == [7, 8, 9]


def test_students_and_submissions_are_bounded():
    s = session(seeds=2, max_students=2, max_per_student=2)
    s.submit("Ana", {})
    s.submit("ANA ", {})  # the same student: nicknames are case-insensitive and stripped
    with pytest.raises(ClassModeError, match="^ana has sent 2 packages already, the most one student may send.$"):
        s.submit("ana", {})
    s.submit("Cafe\u0301", {})  # NFC: the same student as "Café"
    with pytest.raises(ClassModeError, match="^The class has 2 students already; ask your teacher.$"):
        s.submit("Dan", {})
    s.submit("Café", {})
    assert [x.nickname for x in sorted(s.submissions(), key=lambda x: x.id)] == ["Ana", "ANA", "Café", "Café"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 25, "a\x00b", "a\nb", "a\u200bb", "a\u202eb", "a\u00a0b", 7])
def test_bad_nicknames_are_refused(name):
    with pytest.raises(ClassModeError):
        nickname_of(name)


def test_good_nicknames_are_kept():
    assert nickname_of("  Zoë 2 ") == "Zoë 2"
    assert nickname_of("x" * 24) == "x" * 24
    assert nickname_of("e\u0301") == "\u00e9"


@pytest.mark.parametrize(("values", "words"), [
    ({"comp_mean": 0.3}, r"Starting competitiveness \(comp_mean\) belongs to the world"),
    ({"n_smes": 50}, "no lever called 'n_smes'"),
    ({"budget_everything": 1.0}, "no lever called 'budget_everything'"),
    ({"budget_micro": 3.5}, r"Micro level budget \(x scenario\) must be a number from 0 to 3; you gave 3.5"),
    ({"budget_micro": -0.1}, "from 0 to 3"),
    ({"budget_micro": float("nan")}, "from 0 to 3; you gave nan"),
    ({"budget_micro": True}, "you gave True"),
    ({"coordination": 1.5}, "from 0 to 1; you gave 1.5"),
    ({"coordination": "0.5"}, "from 0 to 1; you gave '0.5'"),
    ({"alliance_framework": 1.01}, "from 0 to 1"),
    ({"mapping_study": "yes"}, "on or off"),
    ({"delivery": "regional"}, "must be one of: as in the scenario, local, national"),
])
def test_levers_outside_what_a_student_may_set_are_refused(values, words):
    s = session()
    with pytest.raises(ClassModeError, match=words):
        s.submit("Ana", values)
    with pytest.raises(ClassModeError, match=words):
        s.planned_budget(values)
    assert s.submissions() == [] and s._count == {}


def test_a_package_over_the_class_budget_is_refused_with_both_numbers():
    s = session()
    assert s.planned_budget({"budget_strengthening": 2.0}) == 4800.0
    with pytest.raises(ClassModeError, match=r"plans to spend 4,800 kUSD, more than the class budget of 2,400 kUSD"):
        s.submit("Ana", {"budget_strengthening": 2.0})
    assert s.planned_budget({"budget_strengthening": 0.5, "alliance_framework": 1.0}) > s.budget * 0.5
    assert s.planned_budget({}) == s.budget and s.submissions() == []


def test_the_teacher_token():
    s = ClassSession(SMALL, token="s3cret-Token")
    assert s.check_token("s3cret-Token")
    for wrong in ("s3cret-token", "s3cret-Token ", "", None, "é", 12):
        assert not s.check_token(wrong)
    a, b = ClassSession(SMALL), ClassSession(SMALL)
    assert a.token != b.token and len(a.token) >= 16 and a.check_token(a.token) and not a.check_token(b.token)
    with pytest.raises(ValueError):
        ClassSession(SMALL, token="")


def test_quick_clicks_from_threads_never_pass_the_bounds():
    s = session(seeds=2, max_students=3, max_per_student=2)
    names = ["Ana", "ana", "ANA", "Ana ", "Ben", "Cy", "Dee", "Eve"]
    gate = threading.Barrier(len(names))
    outcomes: list[object] = []

    def click(name: str) -> None:
        gate.wait()
        try:
            outcomes.append(s.submit(name, {}))
        except ClassModeError as err:
            outcomes.append(err)

    threads = [threading.Thread(target=click, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    subs = s.submissions()
    per = {}
    for x in subs:
        per[x.nickname.casefold()] = per.get(x.nickname.casefold(), 0) + 1
    assert len(outcomes) == len(names) and len(subs) == sum(not isinstance(o, Exception) for o in outcomes)
    assert 3 <= len(subs) <= 4  # two of Ana's four clicks at most, and three students in all
    assert max(per.values()) <= 2 and len(per) <= 3 and sorted(x.id for x in subs) == list(range(1, len(subs) + 1))
    assert all(x.gain == (0.0, 0.0) for x in subs)


def test_a_session_is_set_up_from_plain_values():
    s = ClassSession()  # the shipped baseline; nothing runs until a submission or the baseline is asked for
    assert s.scenario.name == "baseline" and s.seeds == list(range(1, 1 + classmode.SEEDS))
    assert s._baseline is None and s.max_students == 60 and s.max_per_student == 5
    for bad in ({"seeds": 1}, {"seed": -1}, {"max_students": 0}, {"seed": 1.5}):
        with pytest.raises(ValueError):
            ClassSession(SMALL, **bad)
    empty = session().table()
    assert empty.empty and list(empty.columns) == list(classmode.TABLE_COLUMNS)


def test_a_failed_evaluation_gives_the_reservation_back(monkeypatch):
    s = session(seeds=2, max_per_student=1)

    def broken(scenario):
        raise RuntimeError("the run broke")

    monkeypatch.setattr(s, "_evaluate", broken)
    with pytest.raises(RuntimeError):
        s.submit("Ana", {})
    assert s._count == {} and s.submissions() == []
    monkeypatch.undo()
    assert s.submit("Ana", {}).id == 1
