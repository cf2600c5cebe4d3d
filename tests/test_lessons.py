"""Lessons state only numbers the runs give: quotes, placeholders, their checks, and the runs themselves."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from helpers import need

from simulation import class_runs, levers
from simulation.class_runs import _value, measure, report
from simulation.lessons import (
    BUILT_IN,
    FIRST_SEED,
    LESSON_DIR,
    TEXTS,
    LessonError,
    Quote,
    fill,
    load_lesson,
    load_lessons,
    number,
    placeholders,
)

LESSONS = load_lessons()
ROOT = Path(__file__).resolve().parents[1]
LASTING = ("exporter_years", "lasting_entrants")


def _ids(lesson) -> str:
    return lesson.name


# --- what the texts state -------------------------------------------------------------------

@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_no_number_in_a_lesson_text_escapes_its_quotes(lesson):
    for key in TEXTS:
        bare = re.sub(r"\{[a-z_][a-z0-9_]*\}", "", lesson.templates[key])
        assert not re.search(r"\d", bare), (lesson.name, key, re.findall(r".{0,30}\d.{0,30}", bare))
        assert "{" not in getattr(lesson, key) and "}" not in getattr(lesson, key)
        assert getattr(lesson, key) == fill(lesson.templates[key], lesson.quotes)


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_every_placeholder_has_a_quote_and_every_quote_a_placeholder(lesson):
    written = {name for key in TEXTS for name in placeholders(lesson.templates[key])}
    assert written - set(BUILT_IN) == set(lesson.quotes)
    for quote in lesson.quotes.values():  # and students read the stated value where the text wrote its name
        assert quote.text in " ".join(getattr(lesson, key) for key in TEXTS)


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_lessons_state_exporting_that_lasts_first(lesson):
    outcomes = {q.outcome for q in lesson.quotes.values() if q.measured}
    assert set(LASTING) <= outcomes, lesson.name
    text = lesson.look_for.lower()
    assert "exporter-years" in text and "lasting entrants" in text
    if "new exporters" in text:  # churn included: stated beside exporting that lasts, never before it
        assert text.index("exporter-years") < text.index("new exporters")
        assert text.index("lasting entrants") < text.index("new exporters")


@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_every_setting_a_text_asks_for_is_one_its_numbers_were_measured_at(lesson):
    settings = [q for q in lesson.quotes.values() if q.lever is not None]
    measured_at = [{**lesson.levers, **q.levers} for q in lesson.quotes.values() if q.measured]
    for q in settings:
        assert any(q.lever in moved and moved[q.lever] == q.value for moved in measured_at), (lesson.name, q.name)
        assert levers.check({q.lever: q.value})


def test_stated_numbers_read_plainly():
    assert [number(x) for x in (1260, 1260.0, 0.9, 2.0, 4700, -12, 1234.5)] == [
        "1,260", "1,260", "0.9", "2", "4,700", "-12", "1,234.5"]
    quotes = {"gap": Quote("gap", 19.0, "exporter_years", "reference_minus_live", 10.0)}
    assert fill("about {gap} fewer, on {seeds} seeds", quotes) == f"about 19 fewer, on {class_runs.SEEDS} seeds"


def test_quotes_are_measured_on_the_seeds_of_the_apps_button():
    assert BUILT_IN["seeds"] == class_runs.SEEDS == 20
    page = need("simulation.app.page", "demo")
    from simulation.app import state

    assert page.SEEDS_BUTTON == "Run 20 seeds"
    assert state.Setup().seed == state.lesson_setup(LESSONS[0]).seed == str(FIRST_SEED)


def test_each_measure_reads_the_seeds_as_it_says():
    gaps = class_runs.SeedGaps((1, 2, 3, 4), {"exits": (10.0, 12.0, 8.0, 9.0)}, {"exits": (9.0, 12.0, 9.0, 6.0)}, 40)
    expected = {"live": 9.75, "reference": 9.0, "live_minus_reference": 0.75, "reference_minus_live": -0.75,
                "seeds_ahead": 2.0, "seeds_behind": 1.0}
    for measured, value in expected.items():
        quote = Quote("q", value, "exits", measured, 0.0)
        assert _value(gaps, quote) == pytest.approx(value), measured
        assert quote.holds(value) and not quote.holds(value + 0.01)
    assert Quote("q", 10.0, "exits", "live", 2.0).holds(12.0) and not Quote("q", 10.0, "exits", "live", 2.0).holds(12.5)
    assert not Quote("s", 0.9, lever="coordination").measured


# --- a bad quote table: one line naming the file and the key ---------------------------------

GOOD = (LESSON_DIR / "h1_fragmentation.toml").read_text()
MEASURED = '[quotes.extra]\noutcome = "exporter_years"\nmeasure = "live"\nvalue = 1\nwithin = 1\n'


def _with_extra(table: str, text: str = "{extra}") -> str:
    """The H1 lesson with one more quote, ``[quotes.extra]`` as ``table``, stated at the end of look_for."""
    return GOOD.replace('behind on\n{coord_behind}."""', f'behind on\n{{coord_behind}}. {text}"""') + "\n" + table


@pytest.mark.parametrize(("text", "key", "words"), [
    (_with_extra(MEASURED, "{extr}"), "look_for", "{extr} names no quote"),
    (_with_extra(MEASURED, ""), "quotes.extra", "is stated by no text"),
    (_with_extra(MEASURED.replace('"exporter_years"', '"exporter_year"')), "quotes.extra.outcome",
     "did you mean 'exporter_years'"),
    (_with_extra(MEASURED.replace('"live"', '"mean"')), "quotes.extra.measure", "must be one of live, reference"),
    (_with_extra(MEASURED.replace("within = 1\n", "")), "quotes.extra", "name outcome, measure and within"),
    (_with_extra(MEASURED + 'lever = "coordination"\n'), "quotes.extra", "a lever setting (lever) takes only value"),
    (_with_extra(MEASURED + "levers = { coordinaton = 0.5 }\n"), "quotes.extra.levers.coordinaton",
     "unknown lever 'coordinaton'"),
    (_with_extra(MEASURED + "levers = { coordination = 5.0 }\n"), "quotes.extra.levers.coordination", "5"),
    (_with_extra('[quotes.extra]\nlever = "coordination"\nvalue = 1.5\n'), "quotes.extra.coordination", "1.5"),
    (_with_extra('[quotes.extra]\nlever = "coordinaton"\nvalue = 0.5\n'), "quotes.extra.lever", "unknown lever"),
    (_with_extra(MEASURED.replace('"live"', '"live_minus_reference"').replace("value = 1\n", "value = -3\n")
                 .replace("within = 1\n", "within = 3\n")), "quotes.extra.within", "smaller than the size"),
    (_with_extra(MEASURED.replace('"live"', '"seeds_ahead"').replace("value = 1\n", "value = 21\n")),
     "quotes.extra.value", "a whole number from 0 to 20"),
    (_with_extra(MEASURED.replace('"live"', '"seeds_behind"').replace("value = 1\n", "value = 2.5\n")),
     "quotes.extra.value", "a whole number from 0 to 20"),
    (_with_extra(MEASURED.replace("within = 1", "within = -1")), "quotes.extra.within", "must be >= 0"),
    (_with_extra(MEASURED.replace("value = 1", 'value = "1"')), "quotes.extra.value", "must be a number"),
    (_with_extra(MEASURED.replace("value = 1", "value = true")), "quotes.extra.value", "must be a number"),
    (_with_extra(MEASURED.replace("[quotes.extra]", "[quotes.seeds]"), "{seeds}"), "quotes.seeds", "reserved"),
    (_with_extra(MEASURED.replace("[quotes.extra]", '[quotes."Extra-1"]'), "{extra}"), "quotes.Extra-1",
     "lower-case letters"),
    (_with_extra(MEASURED, "{extra} {Extra}"), "look_for", "braces enclose a quote's name"),
    (_with_extra(MEASURED + "colour = 1\n"), "quotes.extra.colour", "unknown key"),
    (_with_extra('[quotes.extra]\nworlds = "H4"\nvalue = 140\n'), "quotes.extra", "a percentage from 0 to 100"),
    (_with_extra(MEASURED + 'worlds = "H4"\n'), "quotes.extra", "takes only value, a percentage"),
])
def test_bad_quotes_are_named(tmp_path, text, key, words):
    path = tmp_path / "lesson.toml"
    path.write_text(text)
    with pytest.raises(LessonError) as err:
        load_lesson(path)
    assert err.value.key == key and words in str(err.value), str(err.value)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_a_good_extra_quote_loads_and_is_filled_in(tmp_path):
    path = tmp_path / "lesson.toml"
    path.write_text(_with_extra(MEASURED.replace("value = 1\n", "value = 1234.5\n")))
    lesson = load_lesson(path)
    assert lesson.look_for.endswith("seeds and behind on 11. 1,234.5")
    assert lesson.quotes["extra"] == Quote("extra", 1234.5, "exporter_years", "live", 1.0)


# --- what the runs give ---------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=_ids)
def test_every_quoted_number_is_what_the_runs_give(lesson):
    """'Run 20 seeds' from the lesson's first seed, with the lesson's levers (and each quote's own)."""
    measured = measure(lesson)
    assert set(measured) == {q.name for q in lesson.quotes.values() if q.measured}
    off = [name for name, value in measured.items() if not lesson.quotes[name].holds(value)]
    assert not off, "stale quotes (python -m simulation.lessons prints them all):\n" + report(lesson, measured)


def test_every_lesson_states_its_claims_share_of_plausible_worlds_as_the_study_found_it():
    worlds = pd.read_csv(ROOT / "docs" / "plausible_worlds.csv").set_index("claim")
    stated = [(lesson.name, q) for lesson in LESSONS for q in lesson.quotes.values() if q.worlds is not None]
    assert {name for name, _ in stated} == {lesson.name for lesson in LESSONS}
    for name, q in stated:
        assert q.worlds in worlds.index, (name, q.worlds)
        assert q.value == round(100 * worlds.at[q.worlds, "holds"]), (name, q.worlds, q.value)
