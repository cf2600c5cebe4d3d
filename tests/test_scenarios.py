"""Scenario files: the shipped ones load, and every bad input ends in one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import scenario
from simulation.cli import main
from simulation.scenario import ScenarioError, load


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shipped_scenario_loads_and_is_commented():
    names = scenario.scenario_names()
    need = {"baseline", "no_policy", "integrated", "fragmented", "centralized", "decentralized_coordinated",
            "alliances_on", "alliances_off", "strengthening_only", "liberalization_only",
            "liberalization_with_support", "finance_only", "indonesia_2014"}
    assert need <= set(names)
    for name in names:
        s = load(name)
        assert s.title and s.hypothesis, name
        assert s.path.read_text().lstrip().startswith("#"), f"{name}.toml should open with a comment"


def test_inheritance_overrides_only_what_differs():
    parent, child = load("integrated"), load("strengthening_only")
    assert child.chain == ("strengthening_only", "integrated")
    assert child.params == parent.params
    labels = {e.instrument for e in child.package.entries}
    assert "mapping_study" not in labels and "awareness_information" not in labels
    infra = [e for e in child.package.entries if e.instrument == "physical_infrastructure"][0]
    assert infra.budget == 300.0 and infra.start == 0 and infra.deliverer == "local"


def test_a_chain_of_three(tmp_path):
    write(tmp_path, "a", 'title = "A"\n[params]\ncoordination = 0.5\nn_smes = 500\n')
    write(tmp_path, "b", 'extends = "a"\n[params]\ncoordination = 0.6\n')
    c = load(write(tmp_path, "c", "extends = \"b\"\n[package.capacity_training]\nbudget = 10.0\n"))
    assert c.chain == ("c", "b", "a")
    assert c.params == {"coordination": 0.6, "n_smes": 500}
    assert c.package.entries[0].instrument == "capacity_training"


BAD = [
    ("syntax", 'title = "x"\n[params\ncoordination = 0.5\n', "", r"TOML syntax error.*line 2"),
    ("unknown_top", 'titel = "x"\n', "titel", "did you mean 'title'"),
    ("unknown_param", "[params]\ncoordinaton = 0.5\n", "params.coordinaton", "did you mean 'coordination'"),
    ("wrong_type", '[params]\ncoordination = "high"\n', "params.coordination", "must be a number"),
    ("out_of_bounds", "[params]\ncoordination = 1.5\n", "params.coordination", r"\[0.0, 1.0\]"),
    ("int_param", "[params]\nn_smes = 10.5\n", "params.n_smes", "whole number"),
    ("unknown_instrument", '[package.x]\ninstrument = "export_promotoin"\n', "package.x.instrument",
     "did you mean 'export_promotion'"),
    ("label_not_instrument", "[package.training]\nbudget = 1.0\n", "package.training.instrument",
     "did you mean 'capacity_training'"),
    ("unknown_entry_key", "[package.training]\nbudgett = 1.0\n", "package.training.budgett",
     "did you mean 'budget'"),
    ("negative_budget", "[package.training]\nbudget = -1.0\n", "package.training.budget", r"must be in \[0, 1e\+09\]"),
    ("start_after_end", "[package.capacity_training]\nbudget = 1.0\nstart = 8\nend = 4\n",
     "package.capacity_training",
     "start .8. must come before end .4."),
    ("start_past_horizon", "steps = 10\n[package.capacity_training]\nbudget = 1.0\nstart = 12\n",
     "package.capacity_training.start",
     "after the horizon"),
    ("bad_deliverer", '[package.training]\ndelivered_by = "province"\n', "package.training.delivered_by",
     "national, local"),
    ("bad_select", '[package.training]\ntargeting = { select = "best" }\n', "package.training.targeting.select",
     "potential, random"),
    ("bad_region", "[package.capacity_training]\ntargeting = { regions = [0, 99] }\n", "targeting.regions",
     "99 does not exist"),
    ("missing_parent", 'extends = "nowhere"\n', "extends", "missing parent scenario"),
    ("params_not_table", "params = 3\n", "params", "must be a table"),
]


@pytest.mark.parametrize("name, text, key, message", BAD, ids=[b[0] for b in BAD])
def test_each_bad_input_gets_one_clear_error(tmp_path, capsys, name, text, key, message):
    path = write(tmp_path, name, text)
    with pytest.raises(ScenarioError, match=message) as info:
        load(path)
    assert info.value.key.endswith(key) if key else True
    assert str(path) in str(info.value)
    # Through the command line: exit code 2, one line on stderr, no traceback, nothing written.
    out = tmp_path / "out"
    assert main(["run", str(path), "--seeds", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_an_inheritance_cycle_is_an_error(tmp_path):
    write(tmp_path, "x", 'extends = "y"\n')
    write(tmp_path, "y", 'extends = "x"\n')
    with pytest.raises(ScenarioError, match="inheritance cycle: x -> y -> x"):
        load(tmp_path / "x.toml")


def test_loading_never_executes_code(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, "evil", f'title = "__import__(\'os\').system(\'touch {marker}\')"\n')
    assert load(path).title.startswith("__import__")
    assert not marker.exists()


def test_unknown_scenario_name_suggests_the_closest():
    with pytest.raises(ScenarioError, match="did you mean 'integrated'"):
        load("integratd")


# --- property: malformed scenarios only ever end in the clear error -------------

_scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
                     st.booleans(), st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                                            max_size=12))
_keys = st.sampled_from(["title", "extends", "params", "package", "steps", "coordination", "n_smes",
                         "instrument", "budget", "start", "end", "targeting", "regions", "select",
                         "delivered_by", "training", "capacity_training", "enabled", "x"])
_values = st.recursive(_scalars | st.lists(_scalars, max_size=3),
                       lambda inner: st.dictionaries(_keys, inner, max_size=4), max_leaves=12)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=st.dictionaries(_keys, _values, max_size=5), junk=st.sampled_from(["", "\n[[", "\n= 3", "\nx = ", "\n[a.b"]))
def test_malformed_scenarios_end_in_the_clear_error(tmp_path, doc, junk):
    text = "\n".join(f'"{k}" = {_toml_value(v)}' for k, v in doc.items()) + junk
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load(path)
    except ScenarioError as err:
        assert str(path) in str(err)


# --- extends is confined ----------------------------------------------------------------

def test_extends_resolves_beside_the_file_not_from_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "parent", 'title = "parent"\nextends = "baseline"\n[params]\ncoordination = 0.7\n')
    child = write(tmp_path / "sub", "child", 'extends = "parent.toml"\n')
    monkeypatch.chdir(tmp_path)  # parent.toml is not in the working folder
    assert load(child).params["coordination"] == 0.7
    assert load(child).chain == ("child", "parent", "baseline")


@pytest.mark.parametrize("ref", ["/proc/self/mem", "/proc/kmsg", "/dev/zero", "/etc/passwd", "../outside.toml",
                                 "nowhere/missing.toml", "notes.txt", "x" * 5000 + ".toml"])
def test_extends_cannot_reach_devices_proc_other_files_or_outside_folders(tmp_path, monkeypatch, ref):
    """One message whatever the target (existing or not), nothing of it read or echoed."""
    (tmp_path / "outside.toml").write_text('title = "SECRET-VALUE-456"\n[params]\nsecret = 1\n')
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("SECRET-VALUE-456")
    monkeypatch.chdir(work)
    child = write(work, "child", f'extends = "{ref}"\n')
    with pytest.raises(ScenarioError, match="is not a scenario this file may name") as info:
        load(child)
    assert "SECRET" not in str(info.value) and len(str(info.value)) <= 300 and "\n" not in str(info.value)


def test_a_symlink_out_of_the_allowed_folders_is_refused_like_a_missing_file(tmp_path, monkeypatch):
    secret = tmp_path / "elsewhere" / "secret.toml"
    secret.parent.mkdir()
    secret.write_text('title = "SECRET-VALUE-456"\n')
    work = tmp_path / "work"
    work.mkdir()
    (work / "link.toml").symlink_to(secret)
    monkeypatch.chdir(work)
    messages = []
    for ref in ("link.toml", "dangling.toml"):
        with pytest.raises(ScenarioError) as info:
            load(write(work, "child", f'extends = "{ref}"\n'))
        messages.append(str(info.value).replace(ref, "REF"))
    assert messages[0] == messages[1] and "SECRET" not in messages[0] and "elsewhere" not in messages[0]


def test_a_long_chain_of_files_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "f0", 'extends = "baseline"\n')
    for k in range(1, 1200):
        write(tmp_path, f"f{k}", f'extends = "f{k - 1}"\n')
    with pytest.raises(ScenarioError, match="a chain of more than 50 files"):
        load(tmp_path / "f1199.toml")


def test_the_classroom_file_box_opens_only_files_under_the_scenarios_or_working_folder(tmp_path, monkeypatch):
    work, other = tmp_path / "work", tmp_path / "other"
    work.mkdir()
    other.mkdir()
    inside = write(work, "mine", 'extends = "baseline"\n')
    outside = write(other, "theirs", 'extends = "baseline"\n')
    monkeypatch.chdir(work)
    assert load(inside, confine=True).name == "mine"
    assert load(outside).name == "theirs"  # typed on the command line: the user's choice
    with pytest.raises(ScenarioError, match="not a scenario file this app may open") as refused:
        load(outside, confine=True)
    with pytest.raises(ScenarioError, match="not a scenario file this app may open") as missing:
        load(other / "missing.toml", confine=True)
    assert str(refused.value).split(": ", 1)[1] == str(missing.value).split(": ", 1)[1]


@pytest.mark.parametrize("text, key", [
    ("[package.training]\nbudget = 1e400\n", "package.training.budget"),
    ("[package.training]\nbudget = inf\n", "package.training.budget"),
    ("[package.training]\nbudget = nan\n", "package.training.budget"),
    ("[params]\ncoordination = " + "9" * 400 + "\n", "params.coordination"),
    ("[package.training]\nbudget = " + "9" * 5000 + "\n", ""),
    ("[params]\n" + "k" * 1_000 + " = 1\n", "params.kkkk"),
    ("a = " + "[" * 600 + "]" * 600 + "\n", ""),
    ("[" + ".".join(["a"] * 10_000) + "]\n", ""),
])
def test_numbers_keys_and_nesting_no_input_needs_are_one_clear_error(tmp_path, text, key):
    path = write(tmp_path, "bad", 'extends = "integrated"\n' + text)
    with pytest.raises(ScenarioError) as info:
        load(path)
    line = str(info.value)
    assert "\n" not in line and len(line) <= 300 and str(path) in line
    assert info.value.key.startswith(key)


def test_a_byte_order_mark_is_accepted_and_lookalike_keys_are_shown_escaped(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'extends = "baseline"\n[params]\ncoordination = 0.5\n')
    assert load(path).params["coordination"] == 0.5
    path.write_text('extends = "integrated"\n[package."capacity_tr\u0430ining"]\nbudget = 1.0\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert "capacity_tr\\u0430ining" in str(info.value) and str(info.value).isascii()


def test_a_file_that_is_not_utf8_or_too_large_is_one_clear_error(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes('title = "Caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8 text"):
        load(path)
    path.write_bytes(b"# padding\n" * 200_000)
    with pytest.raises(ScenarioError, match="too large"):
        load(path)


def test_removing_an_entry_the_parent_does_not_have_is_an_error_not_silence(tmp_path):
    path = write(tmp_path, "typo", 'extends = "integrated"\n[package.aliances]\nenabled = false\n')
    with pytest.raises(ScenarioError, match="removes nothing.*did you mean 'alliances'"):
        load(path)
