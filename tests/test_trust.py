"""A results folder is input: a resume trusts nothing it did not make (issue 28).

A resume never imports a model the folder alone names; every file a job writes or deletes inside its
folder goes through the one writer, which never follows a symbolic link out of it; a run whose record
was changed under its id, a part with a run the job did not plan or without a column, and a changed
sample are each refused in one line naming the file, with nothing written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from helpers import need

from simulation import files
from simulation.cli import build_parser, main
from simulation.cli.attribute import _settings as attribute_settings
from simulation.cli.optimize import _settings as optimize_settings
from simulation.experiments import folders
from simulation.experiments.job import Job
from simulation.experiments.store import RunStore, StoreError

PROBE = "trust_probe"
PROBE_CODE = """
from pathlib import Path
Path(__file__).with_name("IMPORTED").write_text("the folder's model was imported")

def f(inputs, seed=0):
    return {"v": 1.0}
"""


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """A model module that leaves a mark if it is ever imported; its name, for manifests to name."""
    (tmp_path / f"{PROBE}.py").write_text(PROBE_CODE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path / "IMPORTED"


def one_line(err: str, *parts: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for part in parts:
        assert part in lines[0], (part, lines[0])


def _job(tmp_path: Path, command: str, fields: dict, status: str = "running") -> Job:
    """A folder as a killed (or finished) invocation leaves it, unlocked."""
    job = Job.create(tmp_path / "outputs", command, ["x"], str(tmp_path / "folder"), fields, title=command)
    if status == "complete":
        job.complete()
    folders.release(job.folder)
    return job


def _model_fields(command: str) -> dict:
    """The manifest fields a study of the probe model writes, as the command builds them."""
    model = f"{PROBE}:f"
    if command in ("sweep", "extend"):
        return {"config": {"model": model, "method": "sobol", "inputs": {"x": [0, 1]}, "outputs": ["v"]}}
    if command == "explore":
        return {"config": {"model": model, "inputs": {"x": [0, 1]}}}
    parse = build_parser().parse_args
    if command == "attribute":
        return attribute_settings(parse(["attribute", "--model", model, "--players", "a,b", "--outcomes", "v"]),
                                  None)
    return optimize_settings(parse(["optimize", "--model", model, "--inputs", "x=0:1", "--objectives", "v:max"]),
                             None)


@pytest.mark.parametrize("command", ["sweep", "extend", "explore", "attribute", "optimize"])
def test_a_resume_never_imports_a_model_named_only_by_its_folder(command, probe, tmp_path, capsys):
    if command == "optimize":
        need("pymoo", "optimize")  # without it the resume stops first on the missing extra
    made_by = "sweep" if command == "extend" else command
    job = _job(tmp_path, made_by, _model_fields(command), "complete" if command == "extend" else "running")
    flag = "--extend" if command == "extend" else "--resume"
    extra = ["--samples", "1024"] if command == "extend" else []
    before = sorted(p.name for p in job.folder.iterdir())
    assert main([made_by, flag, str(job.folder), *extra, "--quiet"]) == 2
    one_line(capsys.readouterr().err, f"give --model {PROBE}:f", "never imports code a folder names")
    assert main([made_by, flag, str(job.folder), *extra, "--model", "other.module:g", "--quiet"]) == 2
    one_line(capsys.readouterr().err, "is not the model this study runs")
    assert not probe.exists(), "the model the folder named was imported"
    assert sorted(p.name for p in job.folder.iterdir()) == before and not (job.folder / folders.LOCK).exists()


def test_a_simulation_study_refuses_a_model_on_resume(tmp_path, capsys):
    job = _job(tmp_path, "sweep", {"config": {"method": "sobol"}})
    assert main(["sweep", "--resume", str(job.folder), "--model", "a.b:c", "--quiet"]) == 2
    one_line(capsys.readouterr().err, "runs the simulation, not a model")


def test_a_new_sweep_takes_its_model_from_the_flags_as_from_a_file(tmp_path, capsys):
    path = tmp_path / "ishigami.toml"
    path.write_text(ISHIGAMI)
    assert main(["sweep", "--config", str(path), "--workers", "1", "--quiet", "--out", str(tmp_path / "file")]) == 0
    flags = ["sweep", "--model", "simulation.sensitivity.known:ishigami", "--samples", "64",
             "--inputs", "x1=-3.14159:3.14159,x2=-3.14159:3.14159,x3=-3.14159:3.14159"]
    assert main([*flags, "--workers", "1", "--quiet", "--out", str(tmp_path / "flags")]) == 0
    by_file, by_flags = (pd.read_csv(tmp_path / f / "indices.csv") for f in ("file", "flags"))
    pd.testing.assert_frame_equal(by_file, by_flags)
    manifest = json.loads((tmp_path / "flags" / "manifest.json").read_text())
    # a model's study records what it used: no scenario, parameters or bounds of the simulation
    assert manifest["config"]["model"] == "simulation.sensitivity.known:ishigami"
    assert not {"scenario", "params", "bounds", "steps"} & set(manifest["config"])


@pytest.mark.parametrize(("argv", "needle"), [
    (["sweep", "--model", "a.b:c"], "--model needs --inputs"),
    (["sweep", "--inputs", "x=0:1,y=0:1"], "--inputs goes with --model"),
    (["sweep", "--model", "simulation.sensitivity.known:ishigami", "--inputs", "x1=0:1,x2=1:0"],
     "--inputs x2: LOW must be below HIGH"),
    (["explore", "--model", "simulation.sensitivity.known:boxed_effect", "--inputs", "x1=0:1,x2=0:1"],
     "judges the comparisons of a file"),
])
def test_model_flags_given_wrong_are_one_line(argv, needle, tmp_path, capsys):
    assert main([*argv, "--quiet", "--out", str(tmp_path / "x")]) == 2
    one_line(capsys.readouterr().err, needle)
    assert not (tmp_path / "x").exists()


# --- the one writer -------------------------------------------------------------------------------------

def test_the_writer_refuses_links_and_names_leaving_the_folder(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (root / "figures").symlink_to(outside)
    (root / "report.html").symlink_to(outside / "keep.txt")
    for name in ("figures/a.png", "report.html", "../outside/x", "/etc/x", "a/../../x"):
        with pytest.raises(files.UnsafePath):
            files.write_text(root, name, "x")
    with pytest.raises(files.UnsafePath):
        files.remove(root, "figures/keep.txt")
    with pytest.raises(files.UnsafePath):
        files.listing(root, "figures")
    assert files.remove(root, "report.html")  # the link goes, never what it points to
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"] and (outside / "keep.txt").read_text() == "mine"
    linked = tmp_path / "linked"
    linked.symlink_to(root)
    with pytest.raises(files.UnsafePath):
        files.write_text(linked, "a.txt", "x")


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    files.write_text(tmp_path, "a.txt", "old")

    def fails(fh):
        fh.write(b"half")
        raise OSError(28, os.strerror(28), "a.txt")
    with pytest.raises(OSError):
        files._write(tmp_path, "a.txt", fails)
    assert (tmp_path / "a.txt").read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_scenario):
    """A finished two-seed run of a tiny scenario, copied afresh by each test that alters it."""
    out = tmp_path_factory.mktemp("run") / "done"
    assert main(["run", str(tiny_scenario), "--seeds", "2", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    folders.release(out)
    return out


@pytest.fixture(scope="module")
def tiny_scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text('title = "tiny"\nextends = "baseline"\nsteps = 6\n\n[params]\nn_smes = 60\nwarmup_steps = 2\n')
    return path


def _reopened(finished: Path, tmp_path: Path) -> Path:
    """A copy of the finished run as a killed invocation would leave it: running, derived files gone."""
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(finished, folder, symlinks=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["status"] = "running"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize("name", ["report.html", "scenario_means.csv", "summaries.csv", "figures"])
def test_a_derived_file_that_is_a_link_is_refused_and_nothing_is_written_through_it(name, finished_run, tmp_path,
                                                                                    capsys):
    folder = _reopened(finished_run, tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    target = folder / name
    if target.is_dir():
        import shutil
        shutil.rmtree(target)
    else:
        target.unlink()
    target.symlink_to(victim if name == "figures" else victim / "keep.txt")
    assert main(["run", "--resume", str(folder), "--quiet", "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, str(target), "never written through one")
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt"] and (victim / "keep.txt").read_text() == "mine"


def test_a_parts_folder_that_is_a_link_is_refused_before_any_temporary_is_removed(tmp_path):
    victim = tmp_path / "victim"
    (victim / "summaries").mkdir(parents=True)
    (victim / "summaries" / ".precious.tmp").write_text("not the tool's")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "parts").symlink_to(victim)
    with pytest.raises((StoreError, files.UnsafePath)):
        RunStore(folder).completed()
    assert (victim / "summaries" / ".precious.tmp").read_text() == "not the tool's"


# --- integrity of what a resume reads ------------------------------------------------------------------

def _unfinished(finished: Path, tmp_path: Path) -> Path:
    """A copy as a kill leaves it before consolidation: the runs as parts, one per run."""
    folder = _reopened(finished, tmp_path)
    store = RunStore(folder)
    for kind in ("timeseries", "regions", "summaries"):
        table = pd.read_parquet(folder / f"{kind}.parquet")
        for run_id, rows in table.groupby("run_id"):
            files.write_parquet(folder, f"parts/{kind}/{run_id}.parquet", rows)
        (folder / f"{kind}.parquet").unlink()
    assert len(store.completed()) == 2
    return folder


def test_a_part_with_an_unplanned_run_is_refused(finished_run, tmp_path, capsys):
    folder = _unfinished(finished_run, tmp_path)
    part = sorted((folder / "parts" / "summaries").glob("*.parquet"))[0]
    rows = pd.read_parquet(part)
    extra = rows.assign(run_id="f" * 16, seed=999)
    files.write_parquet(folder, f"parts/summaries/{part.name}", pd.concat([rows, extra]))
    assert main(["run", "--resume", str(folder), "--quiet", "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, str(part), "did not plan")


def test_a_part_holding_a_run_twice_is_refused(finished_run, tmp_path, capsys):
    folder = _unfinished(finished_run, tmp_path)
    part = sorted((folder / "parts" / "summaries").glob("*.parquet"))[0]
    rows = pd.read_parquet(part)
    files.write_parquet(folder, f"parts/summaries/{part.name}", pd.concat([rows, rows]))
    assert main(["run", "--resume", str(folder), "--quiet", "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, str(part), "holds a run twice")


def test_a_part_missing_a_column_is_refused(finished_run, tmp_path, capsys):
    folder = _unfinished(finished_run, tmp_path)
    part = sorted((folder / "parts" / "summaries").glob("*.parquet"))[-1]
    files.write_parquet(folder, f"parts/summaries/{part.name}", pd.read_parquet(part).drop(columns="exits"))
    assert main(["run", "--resume", str(folder), "--quiet", "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, "the column 'exits'", "altered")


@pytest.mark.parametrize(("key", "value"), [("seed", 77), ("params", {"n_smes": 61}), ("steps", 7)])
def test_a_run_record_changed_under_its_id_is_refused(key, value, finished_run, tmp_path, capsys):
    folder = _unfinished(finished_run, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["runs"][1][key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["run", "--resume", str(folder), "--quiet", "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, "runs[1]", "does not match")


@pytest.mark.parametrize(("key", "value"), [("seed", "1"), ("package", {"entries": "x"}), ("package", 3),
                                            ("params", {"n_smes": "many"}), ("params", {"nonsense": 1})])
def test_a_run_record_of_the_wrong_kind_is_one_line(key, value, finished_run, tmp_path, capsys):
    folder = _unfinished(finished_run, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["runs"][0][key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["run", "--resume", str(folder), "--quiet", "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, "manifest.json")


def test_the_untouched_copy_resumes_to_the_same_results(finished_run, tmp_path):
    """The checks above refuse only what was altered: the same folder, unaltered, finishes as before."""
    folder = _unfinished(finished_run, tmp_path)
    assert main(["run", "--resume", str(folder), "--quiet", "--workers", "1"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "summaries.parquet"),
                                  pd.read_parquet(finished_run / "summaries.parquet"))


ISHIGAMI = ('model = "simulation.sensitivity.known:ishigami"\nmethod = "sobol"\nsamples = 64\n'
            '[inputs]\nx1 = [-3.14159, 3.14159]\nx2 = [-3.14159, 3.14159]\nx3 = [-3.14159, 3.14159]\n')


def test_a_changed_sample_is_refused_and_the_trusted_model_resumes(tmp_path, capsys):
    path = tmp_path / "ishigami.toml"
    path.write_text(ISHIGAMI)
    out = tmp_path / "sweep"
    assert main(["sweep", "--config", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 0
    folders.release(out)
    indices = pd.read_csv(out / "indices.csv")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["status"] = "running"
    (out / "manifest.json").write_text(json.dumps(manifest))
    model = "simulation.sensitivity.known:ishigami"
    sample = pd.read_parquet(out / "samples.parquet")
    changed = sample.copy()
    changed.loc[3, "x1"] = 0.5
    files.write_parquet(out, "samples.parquet", changed)
    assert main(["sweep", "--resume", str(out), "--model", model, "--workers", "1", "--quiet"]) == 2
    one_line(capsys.readouterr().err, "samples.parquet", "altered")
    folders.release(out)  # the refused process would have ended here
    files.write_parquet(out, "samples.parquet", sample)
    (out / "indices.csv").unlink()
    assert main(["sweep", "--resume", str(out), "--model", model, "--workers", "1", "--quiet"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), indices)


BAD_MODELS = """
def a_list(inputs, seed=0):
    return [1, 2]

def a_word(inputs, seed=0):
    return {"v": "abc"}

def raises(inputs, seed=0):
    raise RuntimeError("the user's bug")
"""


@pytest.mark.parametrize(("fn", "needle"), [("a_list", "must return a mapping"), ("a_word", "must be a number"),
                                            ("raises", "RuntimeError: the user's bug")])
@pytest.mark.parametrize("command", ["attribute", "optimize"])
def test_a_model_returning_the_wrong_thing_is_one_line_before_any_folder(command, fn, needle, tmp_path, capsys,
                                                                         monkeypatch):
    if command == "optimize":
        need("pymoo", "optimize")
    (tmp_path / "bad_models.py").write_text(BAD_MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    flags = (["--players", "a,b", "--outcomes", "v"] if command == "attribute"
             else ["--inputs", "a=0:1,b=0:1", "--objectives", "v:max"])
    assert main([command, "--model", f"bad_models:{fn}", *flags, "--workers", "1", "--quiet", "--out", str(out)]) == 2
    one_line(capsys.readouterr().err, f"--model bad_models:{fn}", needle)
    assert not out.exists()
