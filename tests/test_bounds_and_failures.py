"""Every number is bounded, every failure is one line: numbers past Python's digit limit, number flags,
a manifest's numbers and size, a full or read-only disk, and locks that are not what the tool made.

A case passes when the command ends with exit code 2 and exactly one line on stderr that names the file
or the flag (and, for a flag, its range), with no traceback, and nothing is half-written: a folder the
failure interrupted resumes (or, when nothing had started, is reused). Full disks are mocked (ENOSPC);
a real read-only file needs a user other than root, so that case is skipped as root, and the same
failure is mocked for every user.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from simulation import cli, files
from simulation.calibration import TARGETS_FILE
from simulation.cli.attribute import Settings as AttributeSettings
from simulation.cli.optimize import Settings as OptimizeSettings
from simulation.experiments import folders
from simulation.experiments.folders import FolderError
from simulation.experiments.job import Job
from simulation.experiments.limits import (
    MAX_MANIFEST_BYTES,
    MAX_POINT_SEEDS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_SEEDS,
    MAX_STEPS,
    MAX_WORKERS,
)
from simulation.inputs import show
from simulation.scenario import SCENARIO_DIR, load, scenario_names
from simulation.schema import ExploreFile, ScenarioFile
from simulation.sensitivity.design import SweepConfig, SweepConfigError

ROOT = Path(__file__).resolve().parents[1]
HAS_PROC = Path(f"/proc/{os.getpid()}/stat").is_file()


def main(argv: list[str]) -> int:
    """``run.py *argv`` in this process; argparse's exit is an exit code like any other."""
    try:
        return cli.main(argv)
    except SystemExit as ex:
        return ex.code if isinstance(ex.code, int) else 1


def one_line(err: str, *names: str) -> str:
    """The single line of ``err``, which must name every one of ``names`` and show no traceback."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for name in names:
        assert name in lines[0], f"{name!r} not in {lines[0]!r}"
    assert len(lines[0]) <= 300
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Half-written files (temporaries) anywhere in ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.tmp"))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text('title = "tiny"\nextends = "no_policy"\nsteps = 4\n[params]\nn_smes = 100\nwarmup_steps = 0\n')
    return path


def _job(tmp_path: Path, command: str, fields: dict, name: str = "f") -> Job:
    """A job as a killed invocation leaves it: running, unlocked."""
    job = Job.create(tmp_path / "outputs", command, ["x"], str(tmp_path / name), fields, title=command)
    folders.release(job.folder)
    return job


# --- 1. numbers past Python's int-to-str digit limit ------------------------------------------------------

@pytest.mark.parametrize("number", ["0x" + "f" * 4400, "0o" + "7" * 16_000, "0b" + "1" * 20_000,
                                    "0x" + "f" * 999_000])
def test_a_whole_number_past_the_digit_limit_is_shown_by_its_size(number):
    value = tomllib.loads(f"x = {number}")["x"]
    with pytest.raises(ValueError):
        str(value)  # what the message helper must never do
    text = show(value)
    assert text.startswith("a number of about ") and text.endswith(" digits") and len(text) < 60
    assert show([value]) == "a list holding a number too long to show"
    assert show(10 ** 50) == "a 51-digit number" and show(12) == "12"


def test_a_scenario_with_a_hex_integer_past_the_limit_is_one_line_from_the_real_command(tmp_path):
    path = tmp_path / "hex.toml"
    path.write_text('extends = "baseline"\n[params]\ncoordination = 0x' + "f" * 4400 + "\n")
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "show", str(path)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert res.returncode == 2
    one_line(res.stderr, "hex.toml", "params.coordination", "digits")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hex.toml"]


def test_a_flag_past_the_digit_limit_is_one_short_line(capsys):
    assert main(["run", "--seeds", "9" * 5000]) == 2
    line = one_line(capsys.readouterr().err, "--seeds", "[1, 10000]")
    assert len(line) < 200


# --- 2. number flags, bounded as their file keys ----------------------------------------------------------

FLAGS = [
    (["run", "--steps", "10000000"], "--steps", "[1, 10000]"),
    (["compare", "a", "b", "--steps", "10001"], "--steps", "[1, 10000]"),
    (["sweep", "--steps", "10001"], "--steps", "[1, 10000]"),
    (["explore", "--steps", "0"], "--steps", "[1, 10000]"),
    (["run", "--seeds", "10001"], "--seeds", "[1, 10000]"),
    (["run", "--seed", "-1"], "--seed", f"[0, {MAX_SEED}]"),
    (["run", "--workers", "1025"], "--workers", "[1, 1024]"),
    (["compare", "--max-seeds", "10001"], "--max-seeds", "[1, 10000]"),
    (["compare", "--batch", "0"], "--batch", "[1, 10000]"),
    (["compare", "--precision", "1"], "--precision", "(0, 1)"),  # a share of each difference itself
    (["sweep", "--samples", "100001"], "--samples", "[2, 100000]"),
    (["sweep", "--seeds", "1001"], "--seeds", "[1, 1000]"),
    (["sweep", "--seed", "1" + "0" * 16], "--seed", f"[0, {MAX_SEED}]"),
    (["explore", "--samples", "9"], "--samples", "[10, 100000]"),
    (["explore", "--seeds", "1001"], "--seeds", "[1, 1000]"),
    (["explore", "--grid", "21"], "--grid", "[0, 20]"),
    (["calibrate", "--budget", "1000001"], "--budget", "[1, 1000000]"),
    (["ablate", "--seeds", "10001"], "--seeds", "[1, 10000]"),
    (["attribute", "x", "--seeds", "100001"], "--seeds", "[1, 100000]"),
    (["attribute", "x", "--orders", "0"], "--orders", "[1, 100000]"),
    (["optimize", "--budget", "1e12"], "--budget", "(0, 1e+12)"),
    (["optimize", "--budget", "nan"], "--budget", "(0, 1e+12)"),
    (["optimize", "--population", "10001"], "--population", "[4, 10000]"),
    (["optimize", "--generations", "10001"], "--generations", "[1, 10000]"),
    (["optimize", "--seeds", "10001"], "--seeds", "[1, 10000]"),
    (["optimize", "--reeval-seeds", "1"], "--reeval-seeds", "[2, 10000]"),
    (["optimize", "--robust", "100001"], "--robust", "[1, 100000]"),
    (["optimize", "--robust-seeds", "1001"], "--robust-seeds", "[1, 1000]"),
    (["check-facts", "--seeds", "10001"], "--seeds", "[1, 10000]"),
    (["check-facts", "--workers", "0"], "--workers", "[1, 1024]"),
    (["demo", "--seed", "-1"], "--seed", f"[0, {MAX_SEED}]"),
    (["demo", "--port", "70000"], "--port", "[1, 65535]"),
]


@pytest.mark.parametrize(("argv", "flag", "allowed"), FLAGS, ids=[" ".join(a) for a, _, _ in FLAGS])
def test_an_out_of_range_flag_is_one_line_naming_it_and_its_range(argv, flag, allowed, tmp_path, capsys,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    one_line(capsys.readouterr().err, f"run.py {argv[0]}: error: argument {flag}", allowed)
    assert list(tmp_path.iterdir()) == []


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _flag_type(command: str, flag: str):
    return next(a.type for a in _subcommands()[command]._actions if flag in a.option_strings)


def test_every_number_flag_of_every_command_has_an_upper_bound():
    """So a flag added later cannot run without bound: any typed flag refuses a 31-digit number."""
    typed = 0
    for parser in _subcommands().values():
        for action in parser._actions:
            if action.type is None or action.type is str:
                continue
            typed += 1
            with pytest.raises(argparse.ArgumentTypeError):
                action.type("9" * 31)
            with pytest.raises(argparse.ArgumentTypeError):
                action.type("-" + "9" * 31)
    assert typed >= 30


def _accepts(kind, value) -> bool:
    try:
        kind(str(value))
    except argparse.ArgumentTypeError:
        return False
    return True


def _file_accepts(model, key: str, value) -> bool:
    try:
        model.model_validate({key: value})
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("command", "flag", "model", "key", "low", "high"), [
    ("run", "--steps", ScenarioFile, "steps", 1, MAX_STEPS),
    ("explore", "--steps", ExploreFile, "steps", 1, MAX_STEPS),
    ("explore", "--samples", ExploreFile, "samples", 10, MAX_SAMPLES),
    ("explore", "--seeds", ExploreFile, "seeds", 1, MAX_POINT_SEEDS),
    ("explore", "--grid", ExploreFile, "grid", 0, 20),
    ("explore", "--seed", ExploreFile, "seed", 0, MAX_SEED),
])
def test_a_flag_allows_exactly_what_its_file_key_allows(command, flag, model, key, low, high):
    kind = _flag_type(command, flag)
    for value in (low, high):
        assert _accepts(kind, value) and _file_accepts(model, key, value), (flag, value)
    for value in (low - 1, high + 1):
        assert not _accepts(kind, value), (flag, value)
        if not (key == "seed" and value > high):  # a file's seed past 10^15 is refused as the file is read
            assert not _file_accepts(model, key, value), (key, value)


@pytest.mark.parametrize(("key", "value", "flag", "high"), [("steps", MAX_STEPS + 1, "--steps", MAX_STEPS),
                                                             ("seeds", MAX_POINT_SEEDS + 1, "--seeds", MAX_POINT_SEEDS),
                                                             ("samples", MAX_SAMPLES + 1, "--samples", MAX_SAMPLES)])
def test_a_sweep_config_is_bounded_as_the_sweep_flags(key, value, flag, high):
    with pytest.raises(SweepConfigError, match=rf"{flag}: must be in \[\d+, {high}\]"):
        SweepConfig(**{key: value}).validate()
    assert _accepts(_flag_type("sweep", flag), high) and not _accepts(_flag_type("sweep", flag), high + 1)


@pytest.mark.parametrize(("command", "flag", "model", "key"), [
    ("optimize", "--seeds", OptimizeSettings, "seeds"), ("optimize", "--reeval-seeds", OptimizeSettings,
                                                         "reeval_seeds"),
    ("optimize", "--population", OptimizeSettings, "population"),
    ("optimize", "--generations", OptimizeSettings, "generations"),
    ("optimize", "--robust", OptimizeSettings, "robust_worlds"),
    ("optimize", "--robust-seeds", OptimizeSettings, "robust_seeds"),
    ("attribute", "--seeds", AttributeSettings, "seeds"), ("attribute", "--orders", AttributeSettings, "orders"),
])
def test_a_flag_stops_where_its_manifest_key_stops(command, flag, model, key):
    """A job the command line starts is one its resume accepts."""
    kind = _flag_type(command, flag)
    high = next(getattr(m, a) for m in model.model_fields[key].metadata for a in ("le", "max_length")
                if getattr(m, a, None) is not None)
    assert _accepts(kind, high) and not _accepts(kind, high + 1)


def test_the_bounds_themselves_are_accepted(tmp_path):
    parser = cli.build_parser()
    args = parser.parse_args(["run", "--steps", str(MAX_STEPS), "--seeds", str(MAX_SEEDS), "--workers",
                              str(MAX_WORKERS), "--seed", str(MAX_SEED)])
    assert (args.steps, args.seeds, args.workers, args.seed) == (MAX_STEPS, MAX_SEEDS, MAX_WORKERS, MAX_SEED)
    assert parser.parse_args(["explore", "--grid", "0"]).grid == 0  # no map, as the file's grid = 0


RUN = {"run_id": "ab" * 8, "scenario": "x", "package": {}, "params": {}, "seed": 1, "steps": 40}


@pytest.mark.parametrize(("command", "fields", "key"), [
    ("run", {"seeds": [1], "steps": 40, "runs": [{**RUN, "steps": 10_000_000}]}, "steps"),
    ("compare", {"seeds": [1], "steps": 10_000_000, "runs": [RUN], "baseline": "x", "precision": 0.01,
                 "max_seeds": 10, "batch": 1}, "steps"),
    ("compare", {"seeds": [1], "steps": 40, "runs": [RUN], "baseline": "x", "precision": 0.01,
                 "max_seeds": 10 ** 9, "batch": 1}, "max_seeds"),
    ("compare", {"seeds": [1], "steps": True, "runs": [RUN]}, "steps"),
    ("sweep", {"config": {**SweepConfig(steps=40).to_dict(), "steps": 10_000_000}}, "steps"),
    ("calibrate", {"targets_file": str(TARGETS_FILE), "budget": 10 ** 12, "base_seed": 0}, "budget"),
    ("calibrate", {"targets_file": str(TARGETS_FILE), "budget": 2000, "base_seed": -5}, "base_seed"),
    ("ablate", {"directions": ["H3"], "seeds": list(range(MAX_SEEDS + 1))}, "seeds"),
])
def test_a_manifest_number_past_its_bound_is_refused_on_resume(command, fields, key, tmp_path, capsys):
    job = _job(tmp_path, command, fields)
    before = sorted(p.name for p in job.folder.iterdir())
    assert main([command, "--resume", str(job.folder), "--quiet", "--workers", "1"]) == 2
    one_line(capsys.readouterr().err, str(job.folder), key)
    folders.release(job.folder)  # held until the process ends
    assert sorted(p.name for p in job.folder.iterdir()) == before  # nothing ran, nothing written


# --- 3. a full or read-only disk: one line naming the path, and nothing lost ---------------------------

@pytest.mark.parametrize(("code", "advice"), [(errno.ENOSPC, "free some disk space"),
                                              (errno.EACCES, "make it writable"),
                                              (errno.EROFS, "writable file system"),
                                              (errno.EDQUOT, "quota")])
def test_an_os_error_is_one_sentence_naming_the_path_and_what_to_do(code, advice):
    line = cli.os_error_line(OSError(code, os.strerror(code), "/data/out/summaries.csv"))
    assert line.startswith(f"/data/out/summaries.csv: {os.strerror(code)}; ") and advice in line
    assert "--resume" in line
    bare = cli.os_error_line(OSError(f"IOError: write failed: {os.strerror(code)}"))  # as Arrow raises it
    assert advice in bare


def _refuse_writing(monkeypatch, name: str, code: int, partial: bool = True) -> None:
    """Make every write of a file called ``name`` fail part way as the system would with ``code``: the one
    writer (simulation.files) gets the error from inside its temporary file, as from a full disk."""
    real = files._write

    def write(root, target, fill):
        if Path(target).name != name:
            return real(root, target, fill)

        def fails(fh):
            if partial:
                fh.write(b"half of it fits")
            raise OSError(code, os.strerror(code), str(Path(root) / target))
        return real(root, target, fails)
    monkeypatch.setattr(files, "_write", write)


@pytest.mark.parametrize(("code", "name"), [(errno.ENOSPC, "scenario_means.csv"), (errno.EROFS, "summaries.csv")])
def test_a_full_or_read_only_disk_while_finishing_is_one_line_and_the_run_resumes(code, name, tiny, tmp_path,
                                                                                  capsys, monkeypatch):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _refuse_writing(m, name, code)
        assert main(["run", str(tiny), "--seeds", "2", "--workers", "1", "--quiet", "--out", str(out)]) == 2
    one_line(capsys.readouterr().err, f"run.py run: error: {out / name}: {os.strerror(code)}", "--resume")
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    assert leftovers(out) == []
    folders.release(out)  # the process would have ended here
    assert main(["run", "--resume", str(out), "--quiet", "--workers", "1"]) == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    summaries = pd.read_parquet(out / "summaries.parquet")
    assert len(summaries) == 2 and summaries["run_id"].is_unique
    assert (out / name).is_file() and (out / "report.html").is_file()


def test_a_full_disk_before_anything_ran_leaves_the_folder_empty_to_reuse(tiny, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _refuse_writing(m, "manifest.json", errno.ENOSPC)
        assert main(["run", str(tiny), "--seeds", "1", "--workers", "1", "--quiet", "--out", str(out)]) == 2
    one_line(capsys.readouterr().err, "manifest.json", os.strerror(errno.ENOSPC))
    assert list(out.iterdir()) == [], "no lock, no half-written manifest: the folder can be used again"
    assert main(["run", str(tiny), "--seeds", "1", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_a_full_disk_while_updating_the_manifest_keeps_the_old_one(tmp_path, monkeypatch):
    job = _job(tmp_path, "run", {"seeds": [1], "runs": []})
    before = (job.folder / "manifest.json").read_text()
    with monkeypatch.context() as m:
        _refuse_writing(m, "manifest.json", errno.ENOSPC)
        with pytest.raises(OSError):
            job.update(seeds=[1, 2])
    assert (job.folder / "manifest.json").read_text() == before and leftovers(job.folder) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root may write a read-only folder; the same failure is mocked above for every user")
def test_a_read_only_folder_on_resume_is_one_line_and_exit_2(tiny, tmp_path, capsys):
    # Files are replaced whole (a new file renamed over the old), so what a resume needs is a folder it can
    # write in: a read-only file in a writable folder is replaced like any other, a read-only folder stops it.
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--seeds", "2", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    folders.release(out)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    before = sorted(p.name for p in out.iterdir())
    out.chmod(0o555)
    capsys.readouterr()
    try:
        assert main(["run", "--resume", str(out), "--quiet", "--workers", "1"]) == 2
        one_line(capsys.readouterr().err, str(out), "ermission denied")
        assert sorted(p.name for p in out.iterdir()) == before
    finally:
        out.chmod(0o755)
    assert main(["run", "--resume", str(out), "--quiet", "--workers", "1"]) == 0


def test_a_full_disk_while_writing_the_lock_leaves_no_lock(tmp_path, monkeypatch):
    folder = tmp_path / "f"
    folder.mkdir()

    def pwrite(fd, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    with monkeypatch.context() as m:
        m.setattr(os, "pwrite", pwrite)
        with pytest.raises(FolderError, match="cannot write the folder's lock .No space left on device.; free"):
            folders.lock(folder)
    assert list(folder.iterdir()) == []


# --- 4. locks --------------------------------------------------------------------------------------------

def _holder(pid: int, start: int | None = None, host: str | None = None) -> str:
    record = {"pid": pid, "host": host or socket.gethostname(), "since": "2026-01-01T00:00:00"}
    return json.dumps(record if start is None else {**record, "start": start})


@pytest.fixture
def sleeper():
    """A live process that is not an invocation of the tool."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.skipif(not HAS_PROC, reason="process start times come from /proc (Linux)")
def test_the_lock_records_the_process_and_its_start_time(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    folders.lock(folder)
    holder = json.loads((folder / folders.LOCK).read_text())
    assert holder["pid"] == os.getpid() and holder["start"] == folders.start_time(os.getpid())
    stat = Path(f"/proc/{os.getpid()}/stat").read_text()
    assert holder["start"] == int(stat.rsplit(")", 1)[1].split()[19])  # field 22
    folders.release(folder)


@pytest.mark.skipif(not HAS_PROC, reason="process start times come from /proc (Linux)")
def test_a_lock_whose_process_id_was_reused_is_taken_over(tmp_path, sleeper):
    folder = tmp_path / "f"
    folder.mkdir()
    start = folders.start_time(sleeper.pid)
    (folder / folders.LOCK).write_text(_holder(sleeper.pid, start + 1))  # the id now names another program
    folders.lock(folder)
    assert json.loads((folder / folders.LOCK).read_text())["pid"] == os.getpid()
    folders.release(folder)


@pytest.mark.skipif(not HAS_PROC, reason="process start times come from /proc (Linux)")
def test_a_live_holder_is_waited_for_and_one_that_cannot_be_judged_says_how_to_take_over(tmp_path, sleeper):
    folder = tmp_path / "f"
    folder.mkdir()
    lock = folder / folders.LOCK
    lock.write_text(_holder(sleeper.pid, folders.start_time(sleeper.pid)))
    with pytest.raises(FolderError, match="another invocation is writing into this folder") as live:
        folders.lock(folder)
    assert "wait for it to finish" in str(live.value) and f"delete {lock}" not in str(live.value)
    for text in (_holder(sleeper.pid), _holder(sleeper.pid, 1, host="another-machine")):  # old lock; elsewhere
        lock.write_text(text)
        with pytest.raises(FolderError) as unsure:
            folders.lock(folder)
        assert f"if it no longer runs, delete {lock} and resume" in str(unsure.value)
        assert len(str(unsure.value).splitlines()) == 1
    assert lock.read_text() == _holder(sleeper.pid, 1, host="another-machine")  # never taken


@pytest.mark.parametrize("kind", ["folder", "symbolic link", "dangling symbolic link"])
def test_a_lock_that_is_not_a_regular_file_is_refused(kind, tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    lock = folder / folders.LOCK
    target = tmp_path / "target.json"
    if kind == "folder":
        lock.mkdir()
    else:
        if kind == "symbolic link":
            target.write_text(_holder(1))
        lock.symlink_to(target)
    with pytest.raises(FolderError, match=f"its lock .lock is a {kind.removeprefix('dangling ')}, not a lock") as err:
        folders.lock(folder)
    assert f"remove {lock}" in str(err.value)
    assert lock.is_symlink() or lock.is_dir()
    assert not target.exists() or target.read_text() == _holder(1)


def test_a_named_pipe_as_the_lock_is_refused_and_never_opened(tmp_path):
    """A resume used to block for ever reading it: run as a subprocess, with a time limit."""
    job = _job(tmp_path, "run", {"seeds": [1], "steps": 4, "runs": []})
    os.mkfifo(job.folder / folders.LOCK)
    res = subprocess.run([sys.executable, str(ROOT / "run.py"), "run", "--resume", str(job.folder), "--quiet"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 2
    one_line(res.stderr, str(job.folder), "is a named pipe")
    assert (job.folder / folders.LOCK).exists()  # left for the user to judge


def test_a_stale_lock_in_a_folder_that_cannot_be_written_says_what_to_do(tmp_path, monkeypatch):
    folder = tmp_path / "f"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (folder / folders.LOCK).write_text(_holder(int(dead.stdout)))
    real = os.open

    def read_only(path, flags, *args, **kwargs):
        if os.fspath(path) == folders.LOCK and flags & (os.O_RDWR | os.O_WRONLY):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder / folders.LOCK))
        return real(path, flags, *args, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(os, "open", read_only)
        with pytest.raises(FolderError) as err:
            folders.lock(folder)
    assert "cannot take its lock (Read-only file system); make the folder writable" in str(err.value)
    assert len(str(err.value).splitlines()) == 1


def test_of_several_resumes_taking_over_a_killed_jobs_lock_exactly_one_gets_it(tmp_path):
    """Taking over by removing the stale file and making a new one let two takers each remove the other's
    lock; the flock gives it to exactly one, whatever the interleaving."""
    folder = tmp_path / "f"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    code = ("import sys, time\nfrom pathlib import Path\nfrom simulation.experiments import folders\n"
            "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
            "try:\n    folders.lock(Path(sys.argv[1]))\nexcept folders.FolderError:\n    print('refused')\n"
            "else:\n    print('took it')\n    time.sleep(2)\n")
    for _ in range(3):
        (folder / folders.LOCK).write_text(_holder(int(dead.stdout)))
        start = time.time() + 3
        procs = [subprocess.Popen([sys.executable, "-c", code, str(folder), str(start)], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True) for _ in range(6)]
        said = [p.communicate(timeout=120)[0].strip() for p in procs]
        assert sorted(said) == ["refused"] * 5 + ["took it"], said
        assert not (folder / folders.LOCK).exists()  # the winner let go when it ended


# --- 5. the manifest's size -------------------------------------------------------------------------------

def test_a_manifest_past_the_cap_is_refused_unread(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "huge"
    folder.mkdir()
    with open(folder / "manifest.json", "wb") as fh:  # sparse: costs no disk
        fh.truncate(MAX_MANIFEST_BYTES + 1)
    real = os.open

    def guarded(path, *args, **kwargs):
        assert Path(path).name != "manifest.json", "the manifest was opened"
        return real(path, *args, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(os, "open", guarded)
        assert main(["run", "--resume", str(folder), "--quiet"]) == 2
    one_line(capsys.readouterr().err, str(folder), "manifest.json is 128 MB, larger than any this tool writes")
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json"]


def test_a_study_whose_manifest_would_pass_the_cap_is_refused_before_its_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(folders, "MAX_MANIFEST_BYTES", 50_000)
    runs = [{**RUN, "run_id": f"{k:016x}"} for k in range(1000)]
    with pytest.raises(FolderError, match="too large for one results folder"):
        Job.create(tmp_path / "outputs", "run", ["x"], str(tmp_path / "f"), {"seeds": [1], "runs": runs})
    assert not (tmp_path / "f").exists() and not (tmp_path / "outputs").exists()
    job = _job(tmp_path, "run", {"seeds": [1], "runs": runs[:10]})
    before = (job.folder / "manifest.json").read_text()
    with pytest.raises(FolderError, match="too large"):
        job.update(runs=runs)  # a compare that keeps adding seeds
    assert (job.folder / "manifest.json").read_text() == before and leftovers(job.folder) == []


def test_the_cap_is_far_above_the_largest_manifest_the_bounds_allow():
    """The largest manifest is a run's at MAX_SEEDS seeds (every run listed): of the largest shipped scenario."""
    from simulation.api import replicate_seeds
    from simulation.experiments.runner import RunSpec

    per_run = max(len(json.dumps([s.__dict__ for s in RunSpec.for_seeds(load(n), replicate_seeds(20))],
                                 indent=2, default=str)) / 20 for n in scenario_names(SCENARIO_DIR))
    largest = per_run * MAX_SEEDS + 100_000  # plus the scenario records, versions and seeds
    assert 2 * largest < MAX_MANIFEST_BYTES, f"{largest / 2 ** 20:.0f} MB"
