"""Results folders: one invocation per folder, atomic creation, resumes that cannot be led astray."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from simulation.experiments import folders
from simulation.experiments.folders import FolderError
from simulation.experiments.store import RunStore, StoreError
from simulation.files import UnsafePath

ROOT = Path(__file__).resolve().parents[1]


def _cli(args: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, **kw)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text('title = "tiny"\nextends = "no_policy"\nsteps = 4\n[params]\nn_smes = 100\nwarmup_steps = 0\n')
    return path


def test_two_invocations_with_the_same_out_exactly_one_wins(tiny, tmp_path):
    """The overlap is forced: each holds the lock for two seconds before writing anything."""
    out = tmp_path / "shared"
    procs = [_cli(["run", str(tiny), "--seeds", "1", "--workers", "1", "--quiet", "--out", str(out)],
                  env={"SME_TEST_PAUSE_AFTER_LOCK": "2"}) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    err = next(e for code, e in results if code == 2)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "another invocation" in err or "not empty" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and not (out / folders.LOCK).exists()


def test_concurrent_default_folders_are_all_distinct(tmp_path):
    def make(_):
        return folders.new_folder(tmp_path / "outputs", "run", ["same"], None)

    with ThreadPoolExecutor(16) as pool:
        made = list(pool.map(make, range(64)))
    assert len(set(made)) == 64 and all(p.is_dir() for p in made)


def test_a_lock_left_by_a_killed_invocation_is_taken_over_and_a_live_one_is_not(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket
    (folder / folders.LOCK).write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    folders.lock(folder)  # the holder is gone
    assert json.loads((folder / folders.LOCK).read_text())["pid"] == os.getpid()
    other = tmp_path / "g"
    other.mkdir()
    (other / folders.LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    with pytest.raises(FolderError, match="another invocation is writing into this folder"):
        folders.lock(other)
    folders.release(folder)
    assert not (folder / folders.LOCK).exists()


def test_a_leftover_temporary_part_is_cleared_and_the_folder_consolidates(tmp_path):
    store = RunStore(tmp_path, ("summaries",))
    store.write("ab" * 8, {"summaries": pd.DataFrame({"run_id": ["ab" * 8], "scenario": ["s"], "seed": [1]})})
    leftover = tmp_path / "parts" / "summaries" / f".{'cd' * 8}.parquet.tmp"
    leftover.write_bytes(b"half a part")
    assert store.completed() == {"ab" * 8} and not leftover.exists()
    leftover.write_bytes(b"half a part")
    store.consolidate(csv=False)
    assert not (tmp_path / "parts").exists() and (tmp_path / "summaries.parquet").is_file()


@pytest.mark.parametrize("run_id", ["../../../ESCAPED", "/tmp/x", "ab" * 8 + "/..", "", "x" * 9])
def test_a_run_id_is_a_hash_never_a_path(tmp_path, run_id):
    store = RunStore(tmp_path / "f", ("summaries",))
    with pytest.raises(StoreError, match="is not a run id"):
        store.write(run_id, {"summaries": pd.DataFrame({"run_id": [run_id]})})
    assert not any(p.name == "ESCAPED" for p in tmp_path.rglob("*"))


def test_results_are_never_written_through_a_symlink(tmp_path):
    target = tmp_path / "victim"
    target.mkdir()
    folder = tmp_path / "f"
    (folder / "parts").mkdir(parents=True)
    (folder / "parts" / "summaries").symlink_to(target)
    store = RunStore(folder, ("summaries",))
    with pytest.raises(UnsafePath, match="symbolic link"):
        store.write("ab" * 8, {"summaries": pd.DataFrame({"run_id": ["ab" * 8]})})
    (folder / "manifest.json").symlink_to(tmp_path / "victim.json")
    with pytest.raises(FolderError, match="symbolic link"):
        folders.write_json(folder / "manifest.json", {"a": 1})
    assert list(target.iterdir()) == [] and not (tmp_path / "victim.json").exists()


@pytest.mark.parametrize("manifest", ['["not", "an", "object"]', "{", '{"command_name": "sweep", "config": 3}',
                                      '{"command_name": "sweep", "config": {"method": "nosuch"}}',
                                      "[" * 5000 + "]" * 5000])
def test_a_doctored_manifest_is_refused_with_one_line_and_nothing_written(tmp_path, manifest):
    folder = tmp_path / "doctored"
    folder.mkdir()
    (folder / "manifest.json").write_text(manifest)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for command in ("sweep", "compare"):
        p = _cli([command, "--resume", str(folder)])
        code, err = p.wait(timeout=120), p.stderr.read()
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


DROP_AND_RUN = """
import os, sys
from simulation.cli import build_parser, main   # imported as root: the interpreter is where nobody may read
import simulation.experiments.runner, simulation.reporting.report, simulation.scenario
build_parser()  # imports what the commands need
if os.getuid() == 0:
    os.setgroups([]); os.setgid(65534); os.setuid(65534)
assert os.getuid() != 0
sys.exit(main(sys.argv[1:]))
"""


def _nobody_cannot_run() -> str | None:
    """Why the command cannot run as nobody here (None: it can, or this is not root and nothing is dropped).

    A clone inside a private folder (``mktemp -d`` makes one, mode 700) is out of nobody's reach, and so
    may be what the interpreter reads after dropping root: the same start as the test, with ``show``,
    tells. Only a refused read skips; any other failure is left to the test to report.
    """
    if os.getuid() != 0:
        return None
    p = subprocess.run([sys.executable, "-c", DROP_AND_RUN, "show", "no_policy"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    err = (p.stderr.strip().splitlines() or [""])[-1]
    if p.returncode != 0 and "ermission" in p.stderr:
        return f"user nobody cannot read this checkout or its interpreter (a clone in a private folder?): {err}"
    return None


@pytest.mark.skipif(os.name != "posix", reason="drops privileges with setuid")
def test_an_unwritable_out_is_one_line_and_exit_2():
    """CI runs as root, who may write anywhere: the command drops to nobody before it runs."""
    if why := _nobody_cannot_run():
        pytest.skip(why)
    base = Path(tempfile.mkdtemp())
    try:
        base.chmod(0o755)
        tiny = base / "tiny.toml"
        tiny.write_text('title = "tiny"\nextends = "no_policy"\nsteps = 4\n[params]\nn_smes = 100\n')
        tiny.chmod(0o644)
        locked = base / "locked"
        locked.mkdir(mode=0o555)
        p = subprocess.run([sys.executable, "-c", DROP_AND_RUN, "run", str(tiny), "--seeds", "1", "--quiet",
                            "--workers", "1", "--out", str(locked / "out")], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env={**os.environ, "MPLCONFIGDIR": str(base / "mpl")})
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert "Traceback" not in p.stderr and "cannot create the folder (Permission denied)" in p.stderr
        assert list(locked.iterdir()) == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_forged_or_stray_result_part_is_refused_on_resume(tmp_path):
    """A part named after one run but holding another, or rows of runs the job never planned."""
    store = RunStore(tmp_path, ("summaries",))
    good, other = "ab" * 8, "cd" * 8
    store.write(good, {"summaries": pd.DataFrame({"run_id": [good], "seed": [1]})})
    store.completed({good})
    forged = tmp_path / "parts" / "summaries" / f"{other}.parquet"
    pd.DataFrame({"run_id": [good], "seed": [2]}).to_parquet(forged)
    with pytest.raises(StoreError, match="did not plan"):
        store.completed({good, other})
    forged.write_bytes(b"not parquet")
    with pytest.raises(StoreError, match="not a results table"):
        store.completed({good, other})
    forged.unlink()
    store.write(other, {"summaries": pd.DataFrame({"run_id": [other], "seed": [2]})})
    with pytest.raises(StoreError, match="did not plan"):
        store.completed({good})
    store.completed(None)  # a store that grows call after call (calibration) checks only the parts' own names
