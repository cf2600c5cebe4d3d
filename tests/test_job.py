"""The one job type: a new folder with its manifest, a resume that is checked, a completion."""

from __future__ import annotations

import json

import pytest

from simulation import __version__
from simulation.cli import main
from simulation.experiments import folders
from simulation.experiments.folders import FolderError
from simulation.experiments.job import Job


def _job(tmp_path, runs=None) -> Job:
    job = Job.create(tmp_path / "outputs", "run", ["x"], str(tmp_path / "f"), {"seeds": [1], "runs": runs or []},
                     title="run: x")
    folders.release(job.folder)  # as if the invocation had been killed
    return job


def test_create_writes_a_running_manifest_with_the_versions(tmp_path):
    job = _job(tmp_path)
    manifest = json.loads((job.folder / "manifest.json").read_text())
    assert manifest["status"] == "running" and manifest["command_name"] == "run" and manifest["seeds"] == [1]
    assert manifest["version"] == __version__ and manifest["versions"]["simulation"] == __version__
    assert manifest["schema_version"] == folders.SCHEMA_VERSION and manifest["folder"] == str(job.folder)
    assert "created" in manifest and "git_commit" in manifest and manifest["title"] == "run: x"


def test_complete_and_update_write_the_manifest(tmp_path):
    job = _job(tmp_path)
    job.update(seeds=[1, 2])
    job.complete(best={"a": 1.0})
    manifest = json.loads((job.folder / "manifest.json").read_text())
    assert manifest["seeds"] == [1, 2] and manifest["status"] == "complete" and manifest["best"] == {"a": 1.0}
    assert "finished" in manifest
    again = Job.resume(job.folder, "run")
    assert again.is_complete


def test_resume_clears_leftovers_and_checks_command_version_and_run_ids(tmp_path):
    job = _job(tmp_path)
    (job.folder / "parts" / "summaries").mkdir(parents=True)
    leftover = job.folder / "parts" / "summaries" / ".abcd.parquet.tmp"
    leftover.write_bytes(b"half")
    (job.folder / ".summaries.parquet.tmp").write_bytes(b"half")
    resumed = Job.resume(job.folder, ("run", "compare"))
    assert not resumed.is_complete and not leftover.exists()
    assert not (job.folder / ".summaries.parquet.tmp").exists()
    folders.release(job.folder)
    with pytest.raises(FolderError, match="not a sweep folder"):
        Job.resume(job.folder, "sweep")
    job.update(version="0.0.0-other")
    with pytest.raises(FolderError, match="made by version '0.0.0-other'"):
        Job.resume(job.folder, "run")
    job.update(version=__version__, runs=[{"run_id": "../../escape"}])
    with pytest.raises(FolderError, match="is not a run id"):
        Job.resume(job.folder, "run")


def test_a_resume_of_another_version_is_one_line_and_exit_2(tmp_path, capsys):
    job = _job(tmp_path)
    job.update(version="0.0.0-other")
    assert main(["run", "--resume", str(job.folder), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "made by version" in err
