"""Nasty input files end in one clear line, or are accepted where accepting is right.

Every input file of the tool (scenarios, calibration targets, sweep configs,
explore configs, lessons) is fed hand-written nasty content from ``tests/corpus/`` and content
generated here (too large, too deep or impossible to keep in git: 1 MB keys,
20 MB files, 100,000-deep nesting, a 1,200-file ``extends`` chain, symlinks,
FIFOs, files nobody may read), plus random documents from Hypothesis.

A case passes when

* the loader returns its object (only for the cases listed in ``ACCEPT``,
  ``EITHER`` or ``COMMAND_REFUSES``, each with the reason), or raises a ``ScenarioError`` (or a
  subclass) whose text is one line of at most 300 characters without raw
  control, invisible or bidirectional characters;
* through the command line (``run.py show FILE``, ``run.py sweep --config FILE``,
  ``run.py explore --config FILE``, ``run.py check-facts --targets FILE``) the exit code is 2 and stderr is
  exactly one such line naming the file, with no traceback, or the command
  goes on (accepted cases);
* nothing is written to the working folder (or to ``--out``);
* nothing blocks: in-process cases are interrupted by a 30-second alarm, and
  the cases that could block in a read the kernel never finishes (devices,
  ``/proc``, FIFOs) or need another user (unreadable files) run as
  subprocesses with a 180-second timeout (they start together on a shared
  machine). There is no wall-clock assertion.

Everything runs in this process except those subprocesses, which are started
together the first time one is needed so their timeouts overlap. Hypothesis
is derandomized when ``CI`` or ``SME_DERANDOMIZE`` is set.

A failing case's assertion message starts with what went wrong: TRACEBACK
(with the exception and the project line it came from), HANG, MULTI-LINE,
LONG, CONTROL-CHARS, FILE-NOT-NAMED, WRONGLY-ACCEPTED, WRONGLY-REJECTED,
WROTE-FILES or CLI-EXIT.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import cli
from simulation.calibration import load as load_targets
from simulation.discovery.design import ExploreConfig
from simulation.lessons import load_lesson
from simulation.params import REGISTRY
from simulation.policy import CATALOGUE, DELIVERERS, SELECTIONS
from simulation.scenario import ENTRY_KEYS, TARGETING_KEYS, TOP_KEYS, ScenarioError, load
from simulation.sensitivity.design import SweepConfig

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simulation"
CORPUS = Path(__file__).resolve().parent / "corpus"
MAX_LINE = 300        # characters in one error line (simulation/inputs.py says "at most 300")
TIMEOUT = 30          # seconds before an in-process case counts as a hang
# A subprocess case starts an interpreter beside ten others on a shared 2-core machine: about 7 s alone,
# past 30 s under load. A read the kernel never finishes blocks for ever, so a long limit still tells it.
SUBPROCESS_TIMEOUT = 180
KINDS = ("scenario", "targets", "sweep", "lesson", "explore")

# Cases that must be accepted, with the reason accepting is right.
ACCEPT: dict[str, str] = {
    "scenario/empty.toml": "an empty scenario is the model's defaults with no policy (like no_policy)",
    "scenario/only_comment.toml": "a comment is not content: the same as an empty scenario",
    "scenario/crlf.toml": "Windows line ends are valid TOML",
    "scenario/minus_zero_budget.toml": "-0.0 is zero, a valid budget",
    "scenario/unicode_title.toml": "titles and descriptions are free text in any script, line breaks included",
    "targets/valid_minimal.toml": "a minimal valid targets file (checks the harness)",
    "sweep/valid_minimal.toml": "a minimal valid sweep config (checks the harness)",
    "sweep/empty.toml": "an empty sweep config is the documented default sweep",
    "lesson/valid.toml": "a minimal valid lesson (checks the harness)",
    "explore/valid_minimal.toml": "a minimal valid explore config (checks the harness)",
    "explore/empty.toml": "an empty explore config is the documented default: the five directions",
    "gen/scenario/symlink_to_valid_outside": "the file the user names may be a symlink to a scenario anywhere",
}
# Cases where either outcome is right, with the reason; a traceback, hang or unclear line is still wrong.
EITHER: dict[str, str] = {
    "scenario/bom.toml": "a UTF-8 byte-order mark (Windows Notepad) may be skipped or refused clearly",
    "targets/bom.toml": "as scenario/bom.toml",
    "sweep/bom.toml": "as scenario/bom.toml",
    "lesson/bom.toml": "as scenario/bom.toml",
    "explore/bom.toml": "as scenario/bom.toml",
    "scenario/end_huge.toml": "an end past the horizon means 'to the end'; a bound on quarters is also right",
    "scenario/budget_1e300.toml": "a finite budget; an upper bound on budgets is also right",
    "sweep/seed_huge_int.toml": "a seed is an arbitrary whole number to NumPy; a bound is also right",
    "lesson/order_huge_int.toml": "order only sorts lessons; a bound is also right",
    "gen/scenario/big_20mb_comment": "a size limit is right, and so is reading it quickly",
    "gen/scenario/big_20mb_title": "a size limit is right, and so is reading it quickly",
    "gen/scenario/long_title": "a 100,000-character title is odd but harmless; a limit is also right",
    "gen/scenario/chain_1200": "a long chain may be read (no recursion) or refused with a limit",
    "gen/scenario/extends_symlink_to_valid_outside": "following the user's own symlink, or confining "
                                                     "extends to known folders, are both defensible",
}
# Cases the loader may accept because it does not check that part, while the command must refuse them.
COMMAND_REFUSES: dict[str, str] = {
    "targets/scenario_etc_passwd.toml": "targets.load() keeps calibration.scenario as a name; check-facts loads it",
    "targets/scenario_long_name.toml": "as targets/scenario_etc_passwd.toml",
    "targets/scenario_nul.toml": "as targets/scenario_etc_passwd.toml",
}
# Corpus cases whose loading could block or misbehave in a read: run as `run.py ...` subprocesses.
SUBPROCESS = {
    "scenario/extends_proc_self_mem.toml", "scenario/extends_proc_kmsg.toml",
    "scenario/extends_proc_environ.toml", "scenario/extends_dev_zero.toml", "sweep/scenario_proc_kmsg.toml",
    "explore/comparison_proc_kmsg.toml",
}


# --- outcomes -----------------------------------------------------------------------------------------

class Hang(BaseException):  # BaseException: no `except Exception` in the code under test swallows it
    pass


class Accepted(BaseException):
    """Raised by a stub where the command would start work: the inputs were accepted."""


@contextlib.contextmanager
def alarm(seconds: float = TIMEOUT):
    """Interrupt the block after ``seconds`` (a guard against hangs, not a speed assertion)."""
    def ring(signum, frame):
        raise Hang(f"no result after {seconds} s")
    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def where(exc: BaseException) -> str:
    """The line that raised ``exc`` and, if that is outside the project, the project line that led there."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    own = [f for f in frames if Path(f.filename).resolve().is_relative_to(PACKAGE)]

    def fmt(f) -> str:
        try:
            name = Path(f.filename).resolve().relative_to(ROOT)
        except ValueError:
            name = Path(f.filename).name
        return f"{name}:{f.lineno} in {f.name}"
    text = f"raised at {fmt(last)}"
    if own and own[-1] is not last:
        text += f", from {fmt(own[-1])}"
    return text


def brief(text: str, limit: int = 160) -> str:
    text = ascii(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Outcome:
    kind: str                 # accepted, error, crash, hang
    value: Any = None
    text: str = ""            # the error's text (error), or "Type: message [where]" (crash)


def attempt(fn: Callable[[], Any]) -> Outcome:
    try:
        with alarm():
            value = fn()
    except Hang as err:
        return Outcome("hang", text=str(err))
    except ScenarioError as err:
        return Outcome("error", err, str(err))
    except RecursionError as err:  # its traceback is a thousand frames: say so before formatting
        return Outcome("crash", err, f"RecursionError: {brief(str(err))} [{where(err)}]")
    except Exception as err:
        return Outcome("crash", err, f"{type(err).__name__}: {brief(str(err))} [{where(err)}]")
    return Outcome("accepted", value)


def line_problems(line: str, file_name: str | None = None) -> list[str]:
    """What is wrong with an error line: it must be one line, short, printable, and name the file."""
    out = []
    lines = line.splitlines()
    if len(lines) != 1:
        out.append(f"MULTI-LINE: {len(lines)} lines: {brief(line, 200)}")
    if len(line) > MAX_LINE:
        out.append(f"LONG: {len(line):,} characters: {brief(line, 200)}")
    bad = sorted({c for c in line if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    if bad:
        out.append(f"CONTROL-CHARS: raw {', '.join(ascii(c) for c in bad)} in {brief(line, 200)}")
    if "Traceback" in line:
        out.append(f"TRACEBACK in the message: {brief(line, 200)}")
    if file_name is not None and file_name not in line:
        out.append(f"FILE-NOT-NAMED: {file_name!r} not in {brief(line, 200)}")
    return out


# --- the command line, in this process -------------------------------------------------------------------

@dataclass
class CliResult:
    code: int | None
    out: str
    err: str
    crash: Outcome | None = None


def run_cli(argv: list[str], cwd: Path) -> CliResult:
    """``run.py *argv`` in this process, in ``cwd``; an exception escaping main() is what a user sees as a
    traceback; Accepted means the command would have started work."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            result = attempt(lambda: cli.main(argv))
    except SystemExit as ex:  # argparse
        return CliResult(ex.code if isinstance(ex.code, int) else 1, out.getvalue(), err.getvalue())
    except Accepted:
        return CliResult(0, out.getvalue(), err.getvalue())
    finally:
        os.chdir(old)
    if result.kind == "accepted":
        return CliResult(result.value, out.getvalue(), err.getvalue())
    return CliResult(None, out.getvalue(), err.getvalue(), result)


def cli_args(kind: str, path: Path, out: Path) -> list[str] | None:
    return {"scenario": ["show", str(path)],
            "sweep": ["sweep", "--config", str(path), "--out", str(out), "--quiet", "--workers", "1"],
            "targets": ["check-facts", "--targets", str(path), "--workers", "1", "--quiet"],
            "explore": ["explore", "--config", str(path), "--out", str(out), "--quiet", "--workers", "1"]}.get(kind)


LOADERS: dict[str, Callable[[Path], Any]] = {
    "scenario": load, "targets": load_targets, "sweep": SweepConfig.from_toml, "lesson": load_lesson,
    "explore": ExploreConfig.from_toml,
}


def judge(case: str, kind: str, path: Path, tmp: Path, monkeypatch) -> list[str]:
    """Every problem with one case, loader and command line."""
    expect = "accept" if case in ACCEPT else "either" if case in EITHER else "error"
    loader_expect = "either" if case in COMMAND_REFUSES else expect
    # where the commands would start running models: stop there and count it as accepted
    monkeypatch.setattr("simulation.sensitivity.design.build", _stop)
    monkeypatch.setattr("simulation.discovery.design.build", _stop)
    monkeypatch.setattr("simulation.experiments.backends.make_backend", _stop)
    cwd = tmp / "cwd"
    cwd.mkdir()
    problems: list[str] = []
    old = Path.cwd()
    os.chdir(cwd)
    try:
        got = attempt(lambda: LOADERS[kind](path))
    finally:
        os.chdir(old)
    if got.kind == "crash":
        problems.append(f"TRACEBACK (loader): {got.text}")
    elif got.kind == "hang":
        problems.append(f"HANG (loader): {got.text}")
    elif got.kind == "accepted" and loader_expect == "error":
        problems.append(f"WRONGLY-ACCEPTED (loader): {kind} loader returned {type(got.value).__name__}")
    elif got.kind == "error":
        if expect == "accept":
            problems.append(f"WRONGLY-REJECTED (loader): {brief(got.text, 200)}")
        problems += [f"{p} (loader)" for p in line_problems(got.text)]
    argv = cli_args(kind, path, tmp / "out")
    if argv is not None:
        res = run_cli(argv, cwd)
        problems += cli_problems(res, expect, path.name)
    written = sorted(p.name for p in cwd.iterdir()) + (["--out folder"] if (tmp / "out").exists() else [])
    if written:
        problems.append(f"WROTE-FILES: {written[:5]}")
    return problems


def _stop(*args, **kwargs):
    raise Accepted()


def cli_problems(res: CliResult, expect: str, file_name: str) -> list[str]:
    problems = []
    if res.crash is not None:
        tag = "HANG" if res.crash.kind == "hang" else "TRACEBACK"
        return [f"{tag} (command line): {res.crash.text}"]
    if res.code == 0:
        if expect == "error":
            problems.append("WRONGLY-ACCEPTED (command line): exit 0")
        if res.err.strip():
            problems.append(f"CLI-EXIT: exit 0 with stderr {brief(res.err, 200)}")
        return problems
    if expect == "accept":
        problems.append(f"WRONGLY-REJECTED (command line): exit {res.code}: {brief(res.err, 200)}")
    if res.code != 2:
        problems.append(f"CLI-EXIT: exit {res.code}, not 2: {brief(res.err, 200)}")
    problems += [f"{p} (command line)" for p in line_problems(res.err.rstrip("\n"), file_name)]
    return problems


# --- subprocesses for the cases that could block ---------------------------------------------------------

@dataclass
class Job:
    argv: list[str]
    cwd: Path
    file_name: str
    expect: str = "error"
    as_nobody: bool = False
    proc: subprocess.Popen | None = None
    started: float = 0.0
    before: list[str] = field(default_factory=list)


# As root, the unreadable-file cases run the command as uid 65534 (nobody). The interpreter may live where
# nobody may not go (a pyenv under /root), so the child imports the project and runs one command as root
# first, then gives up root for good and runs the case: still a subprocess, never this process.
AS_NOBODY = (
    "import contextlib, io, os, sys\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from simulation import cli\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    cli.main(['show', 'baseline'])\n"
    "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
    "assert os.getuid() == 65534 and os.geteuid() == 65534\n"
    "sys.exit(cli.main(sys.argv[2:]))\n"
)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}


class Jobs:
    """Subprocess cases, all started at the first request so their timeouts overlap."""

    def __init__(self, factory) -> None:
        self.factory = factory
        self.jobs: dict[str, Job] = {}
        self.started = False
        self.cleanup: list[Callable[[], None]] = []
        self.skip_nobody: str | None = None

    def add(self, name: str, job: Job) -> None:
        self.jobs[name] = job

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        for job in self.jobs.values():
            job.before = sorted(os.listdir(job.cwd))
            job.started = time.monotonic()
            argv = ["-c", AS_NOBODY, str(ROOT), *job.argv[1:]] if job.as_nobody else job.argv
            job.proc = subprocess.Popen(
                [sys.executable, *argv], cwd=job.cwd, env=_env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                start_new_session=True)

    def result(self, name: str) -> list[str]:
        self.start()
        job = self.jobs[name]
        try:
            out, err = job.proc.communicate(timeout=max(0.1, job.started + SUBPROCESS_TIMEOUT - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(job.proc.pid, signal.SIGKILL)
            job.proc.communicate()
            return [f"HANG (subprocess): `run.py {' '.join(brief(a, 60) for a in job.argv[1:])}` "
                    f"still running after {SUBPROCESS_TIMEOUT} s"]
        problems = []
        if "Traceback" in err:
            tail = [ln.strip() for ln in err.strip().splitlines()]
            own = [ln for ln in tail if ln.startswith("File ") and "/simulation/" in ln]
            problems.append(f"TRACEBACK (subprocess): {brief(tail[-1], 200)}"
                            + (f" [{brief(own[-1], 150)}]" if own else ""))
        else:
            res = CliResult(job.proc.returncode, out, err)
            problems += cli_problems(res, job.expect, job.file_name)
        new = sorted(set(os.listdir(job.cwd)) - set(job.before))
        if new:
            problems.append(f"WROTE-FILES: {new[:5]}")
        return problems

    def close(self) -> None:
        for job in self.jobs.values():
            if job.proc is not None and job.proc.poll() is None:
                os.killpg(job.proc.pid, signal.SIGKILL)
                job.proc.communicate()
        for fn in self.cleanup:
            fn()


# --- generated cases ------------------------------------------------------------------------------------

def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _deep_array(d: Path, n: int) -> Path:
    return _write(d, "deep.toml", 'extends = "baseline"\n[params]\ncoordination = ' + "[" * n + "0.5" + "]" * n + "\n")


def _chain(d: Path, n: int, cycle: bool) -> Path:
    for k in range(n):
        parent = f"c{k + 1}" if k + 1 < n else ("c0" if cycle else "baseline")
        _write(d, f"c{k}.toml", f'extends = "{parent}"\n[params]\ncoordination = {0.001 * (k % 900):.3f}\n')
    return d / "c0.toml"


def _symlink(d: Path, name: str, target: str | Path) -> Path:
    (d / name).symlink_to(target)
    return d / name


def _outside_valid(d: Path) -> Path:
    other = d / "elsewhere"
    other.mkdir()
    return _write(other, "parent.toml", 'title = "outside"\nextends = "baseline"\n[params]\ncoordination = 0.4\n')


def _extends_symlink_valid(d: Path) -> Path:
    (d / "mine").mkdir()
    _symlink(d / "mine", "outside.toml", _outside_valid(d))
    return _write(d / "mine", "child.toml", 'extends = "outside"\n')


def _loop(d: Path) -> Path:
    _symlink(d, "a.toml", d / "b.toml")
    _symlink(d, "b.toml", d / "a.toml")
    return d / "a.toml"


def _extends_loop(d: Path) -> Path:
    _loop(d)
    return _write(d, "child.toml", 'extends = "a"\n')


def _alias_cycle(d: Path) -> Path:
    _symlink(d, "alias.toml", d / "real.toml")
    return _write(d, "real.toml", 'extends = "alias"\n')


GENERATED: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "deep_array_1000": ("scenario", lambda d: _deep_array(d, 1000)),
    "deep_array_100000": ("scenario", lambda d: _deep_array(d, 100_000)),
    "deep_inline_table_5000": ("scenario", lambda d: _write(
        d, "deep.toml", 'extends = "baseline"\nx = ' + "{ a = " * 5000 + "1" + " }" * 5000 + "\n")),
    "deep_header_params": ("scenario", lambda d: _write(
        d, "deep.toml", 'extends = "baseline"\n[params.coordination.' + ".".join(["a"] * 3000) + "]\nb = 1\n")),
    "deep_header_targeting": ("scenario", lambda d: _write(
        d, "deep.toml", '[package.training]\ninstrument = "capacity_training"\n'
                        "[package.training.targeting.select." + ".".join(["a"] * 3000) + "]\nb = 1\n")),
    "long_key_1mb_top": ("scenario", lambda d: _write(d, "long.toml", '"' + "k" * 1_000_000 + '" = 1\n')),
    "long_key_1mb_param": ("scenario", lambda d: _write(
        d, "long.toml", 'extends = "baseline"\n[params]\n' + "coordination" * 90_000 + " = 0.5\n")),
    "long_key_1mb_label": ("scenario", lambda d: _write(
        d, "long.toml", '[package.' + "t" * 1_000_000 + ']\nbudget = 1.0\n')),
    "long_value_select": ("scenario", lambda d: _write(
        d, "long.toml", '[package.capacity_training]\ntargeting = { select = "' + "x" * 100_000 + '" }\n')),
    "long_value_instrument": ("scenario", lambda d: _write(
        d, "long.toml", '[package.t]\ninstrument = "' + "capacity_training" * 6000 + '"\n')),
    "long_value_deliverer": ("scenario", lambda d: _write(
        d, "long.toml", '[package.capacity_training]\ndelivered_by = "' + "local " * 20_000 + '"\n')),
    "long_list_regions": ("scenario", lambda d: _write(
        d, "long.toml", "[package.capacity_training]\ntargeting = { regions = [" + "0, " * 20_000 + "-1] }\n")),
    "long_title": ("scenario", lambda d: _write(d, "long.toml", 'title = "' + "T" * 100_000 + '"\n')),
    "big_20mb_comment": ("scenario", lambda d: _write(
        d, "big.toml", ("# " + "x" * 998 + "\n") * 20_000 + 'title = "padded"\nextends = "baseline"\n')),
    "big_20mb_title": ("scenario", lambda d: _write(
        d, "big.toml", 'extends = "baseline"\ntitle = "' + "t" * 20_000_000 + '"\n')),
    "chain_1200": ("scenario", lambda d: _chain(d, 1200, cycle=False)),
    "cycle_100": ("scenario", lambda d: _chain(d, 100, cycle=True)),
    "symlink_to_passwd": ("scenario", lambda d: _symlink(d, "link.toml", "/etc/passwd")),
    "symlink_to_valid_outside": ("scenario", lambda d: _symlink(d, "link.toml", _outside_valid(d))),
    "extends_symlink_to_shadow": ("scenario", lambda d: (
        _symlink(d, "shadow.toml", "/etc/shadow"), _write(d, "child.toml", 'extends = "shadow"\n'))[1]),
    "extends_symlink_to_valid_outside": ("scenario", _extends_symlink_valid),
    "symlink_loop": ("scenario", _loop),
    "extends_symlink_loop": ("scenario", _extends_loop),
    "alias_cycle": ("scenario", _alias_cycle),
    "targets_deep_nesting": ("targets", lambda d: _write(
        d, "t.toml", "[calibration]\nwindow = " + "[" * 5000 + "]" * 5000 + "\n")),
    "targets_long_key_1mb": ("targets", lambda d: _write(d, "t.toml", "[facts." + "f" * 1_000_000 + "]\nx = 1\n")),
    "targets_long_outcome": ("targets", lambda d: _write(
        d, "t.toml", '[facts.f]\noutcome = "' + "export_participation" * 5000 + '"\n'
                     'observed = 0.1\nband = [0.0, 1.0]\nsource = "s"\nmeasured = "m"\nmapping = "m"\n')),
    "sweep_deep_nesting": ("sweep", lambda d: _write(d, "s.toml", "params = " + "[" * 5000 + "]" * 5000 + "\n")),
    "sweep_long_key_1mb": ("sweep", lambda d: _write(d, "s.toml", "[options]\n" + "o" * 1_000_000 + " = 1\n")),
    "sweep_long_params": ("sweep", lambda d: _write(d, "s.toml", 'params = ["' + "comp_mean" * 10_000 + '"]\n')),
    "lesson_deep_nesting": ("lesson", lambda d: _write(
        d, "l.toml", (CORPUS / "lesson" / "valid.toml").read_text() + "[levers]\ncoordination = "
        + "[" * 5000 + "]" * 5000 + "\n")),
    "lesson_long_key_1mb": ("lesson", lambda d: _write(
        d, "l.toml", (CORPUS / "lesson" / "valid.toml").read_text() + "[levers]\n" + "l" * 1_000_000 + " = 1\n")),
    # Whole numbers past Python's 4,300-digit limit for int-to-str: TOML's hexadecimal, octal and binary
    # integers are read whatever their size (a decimal one is refused while parsing), so the message that
    # refuses them must never format them.
    "hex_int_steps": ("scenario", lambda d: _write(d, "hex.toml", "steps = 0x" + "f" * 4400 + "\n")),
    "hex_int_param": ("scenario", lambda d: _write(
        d, "hex.toml", 'extends = "baseline"\n[params]\ncoordination = 0x' + "f_f" * 2000 + "\n")),
    "octal_int_budget": ("scenario", lambda d: _write(
        d, "oct.toml", '[package.t]\ninstrument = "capacity_training"\nbudget = 0o' + "7" * 16_000 + "\n")),
    "binary_int_region": ("scenario", lambda d: _write(
        d, "bin.toml", "[package.capacity_training]\ntargeting = { regions = [0b" + "1" * 20_000 + "] }\n")),
    "hex_int_1mb": ("scenario", lambda d: _write(d, "hex.toml", "steps = 0x" + "f" * 999_000 + "\n")),
    "hex_int_sweep_seed": ("sweep", lambda d: _write(d, "s.toml", "seed = 0x" + "f" * 4400 + "\n")),
    "hex_int_sweep_bounds": ("sweep", lambda d: _write(
        d, "s.toml", 'params = ["comp_mean", "conn_mean"]\n[bounds]\ncomp_mean = [0, 0x' + "f" * 4400 + "]\n")),
    "hex_int_explore_samples": ("explore", lambda d: _write(d, "e.toml", "samples = 0x" + "f" * 4400 + "\n")),
    "hex_int_targets_seeds": ("targets", lambda d: _write(
        d, "t.toml", (CORPUS / "targets" / "valid_minimal.toml").read_text().replace("seeds = 2", "seeds = 0x"
                                                                                    + "f" * 4400))),
    "hex_int_lesson_order": ("lesson", lambda d: _write(
        d, "l.toml", "order = 0x" + "f" * 4400 + "\n" + (CORPUS / "lesson" / "valid.toml").read_text())),
}


# --- the corpus ----------------------------------------------------------------------------------------

def corpus_cases() -> list[str]:
    return sorted(f"{kind}/{p.name}" for kind in KINDS for p in (CORPUS / kind).iterdir())


def test_the_expectations_name_existing_cases():
    names = set(corpus_cases()) | {f"gen/{GENERATED[g][0]}/{g}" for g in GENERATED}
    assert not (set(ACCEPT) | set(EITHER) | set(COMMAND_REFUSES) | SUBPROCESS) - names
    assert len(corpus_cases()) >= 40


IN_PROCESS = [c for c in corpus_cases() if c not in SUBPROCESS]


@pytest.mark.parametrize("case", IN_PROCESS)
def test_corpus_file(case, tmp_path, monkeypatch):
    kind = case.split("/")[0]
    problems = judge(case, kind, CORPUS / case, tmp_path, monkeypatch)
    assert not problems, f"{case}: " + " | ".join(problems)


@pytest.mark.parametrize("name", list(GENERATED))
def test_generated_file(name, tmp_path, monkeypatch):
    kind, make = GENERATED[name]
    folder = tmp_path / "files"
    folder.mkdir()
    path = make(folder)
    problems = judge(f"gen/{kind}/{name}", kind, path, tmp_path, monkeypatch)
    assert not problems, f"gen/{kind}/{name}: " + " | ".join(problems)


# --- the cases that run as subprocesses ---------------------------------------------------------------------

def _nobody_can_run_python(folder: Path) -> str | None:
    """Why the unreadable-file cases cannot run here (None: they can)."""
    if not hasattr(os, "setuid"):
        return "no setuid on this platform"
    if os.geteuid() != 0:
        return None  # not root: chmod 000 already keeps us out
    try:
        res = subprocess.run([sys.executable, "-c", AS_NOBODY, str(ROOT), "show", "baseline"], cwd=folder,
                             env=_env(), capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as err:
        return f"cannot start Python to run as uid 65534 ({err})"
    return None if res.returncode == 0 else f"uid 65534 cannot run the project: {brief(res.stderr, 120)}"


SUBPROCESS_GENERATED = ("fifo_scenario", "extends_fifo", "unreadable_file", "extends_unreadable",
                        "unsearchable_folder")
NEEDS_NOBODY = {"unreadable_file", "extends_unreadable", "unsearchable_folder"}


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    js = Jobs(tmp_path_factory)
    run = str(ROOT / "run.py")
    for case in sorted(SUBPROCESS):
        kind = case.split("/")[0]
        cwd = tmp_path_factory.mktemp("cwd")
        argv = [run, *cli_args(kind, CORPUS / case, cwd.parent / f"{cwd.name}-out")]
        js.add(case, Job(argv, cwd, Path(case).name, "accept" if case in ACCEPT else
                         "either" if case in EITHER else "error"))
    # FIFOs: opening one for reading blocks until a writer comes, which never happens here
    d = tmp_path_factory.mktemp("fifo")
    os.mkfifo(d / "pipe.toml")
    _write(d, "child.toml", 'extends = "pipe"\n')
    js.add("fifo_scenario", Job([run, "show", str(d / "pipe.toml")], tmp_path_factory.mktemp("cwd"), "pipe.toml"))
    js.add("extends_fifo", Job([run, "show", str(d / "child.toml")], tmp_path_factory.mktemp("cwd"), "child.toml"))
    # files this user may not read: as root, run the command as uid 65534 (nobody) in a folder it may enter
    shared = Path(tempfile.mkdtemp(prefix="sme-fuzz-"))
    js.cleanup.append(lambda: shutil.rmtree(shared, ignore_errors=True))
    shared.chmod(0o755)
    js.skip_nobody = _nobody_can_run_python(shared)
    locked = _write(shared, "locked.toml", 'title = "secret"\nextends = "baseline"\n')
    locked.chmod(0o000)
    _write(shared, "child.toml", 'extends = "locked"\n').chmod(0o644)
    closed = shared / "closed"
    closed.mkdir()
    _write(closed, "inside.toml", 'extends = "baseline"\n')
    closed.chmod(0o700 if os.geteuid() == 0 else 0o000)
    js.cleanup.insert(0, lambda: closed.chmod(0o755))
    for name, target in (("unreadable_file", locked), ("extends_unreadable", shared / "child.toml"),
                         ("unsearchable_folder", closed / "inside.toml")):
        cwd = shared / f"cwd-{name}"
        cwd.mkdir()
        cwd.chmod(0o777)
        if js.skip_nobody is None:
            js.add(name, Job([run, "show", str(target)], cwd, target.name, as_nobody=os.geteuid() == 0))
    yield js
    js.close()


@pytest.mark.parametrize("case", sorted(SUBPROCESS) + list(SUBPROCESS_GENERATED))
def test_case_that_could_block(case, jobs):
    if case in NEEDS_NOBODY and jobs.skip_nobody is not None:
        pytest.skip(f"cannot run as another user: {jobs.skip_nobody}")
    problems = jobs.result(case)
    assert not problems, f"{case}: " + " | ".join(problems)


# --- Hypothesis: random documents extending the baseline -------------------------------------------------

LOOKALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "i": "\u0456", "c": "\u0441", "p": "\u0440"}


def _mutations(key: str) -> st.SearchStrategy[str]:
    swaps = [key.replace(k, v, 1) for k, v in LOOKALIKES.items() if k in key]
    return st.one_of(
        st.just(key),
        st.just(key.upper()),
        st.sampled_from(swaps or [key]),
        st.integers(0, len(key)).map(lambda i: key[:i] + "\u200b" + key[i:]),
        st.integers(0, max(0, len(key) - 1)).map(lambda i: key[:i] + key[i + 1:]),
        st.integers(0, len(key)).map(lambda i: key[:i] + "\n" + key[i:]),
        st.sampled_from(["\x1b[31m", "\u202e", "\u2028", "\t", "\x7f"]).map(lambda c: key + c),
        st.integers(2, 20_000).map(lambda n: key * n),
    )


def _keys(names) -> st.SearchStrategy[str]:
    names = sorted(names)
    return st.one_of(st.sampled_from(names), st.sampled_from(names).flatmap(_mutations))


class Raw(str):
    """TOML text written as is (numbers of any size, deep nesting)."""


_raw_numbers = st.one_of(
    st.integers(15, 6000).map(lambda n: Raw("9" * n)),
    st.integers(15, 6000).map(lambda n: Raw("-" + "9" * n)),
    st.integers(10, 6000).map(lambda n: Raw("0x" + "f" * n)),   # past 3,572 digits: past int-to-str's limit
    st.sampled_from(["inf", "-inf", "+inf", "nan", "-nan", "1e400", "-1e400", "1e-400", "0x7fffffffffffffff",
                     "-0.0", "1_000_000_000_000_000_000"]).map(Raw),
    st.integers(1, 3000).map(lambda n: Raw("[" * n + "1" + "]" * n)),
    st.integers(1, 3000).map(lambda n: Raw("{ a = " * n + "1" + " }" * n)),
)
_words = st.sampled_from([*CATALOGUE, *DELIVERERS, *SELECTIONS, "baseline", "", " ", "x" * 5000])
_scalars = st.one_of(
    st.integers(-(10 ** 6), 10 ** 6), st.integers(-(2 ** 70), 2 ** 70), st.floats(), st.booleans(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20), _words, st.dates(), _raw_numbers,
)
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys(TARGETING_KEYS | ENTRY_KEYS),
                                                                          inner, max_size=3),
    max_leaves=10)


def _toml(v: Any) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml(str(k))} = {_toml(x)}" for k, x in v.items()) + " }"
    return v.isoformat()  # a date


_entries = st.dictionaries(
    _keys(ENTRY_KEYS),
    st.one_of(_values, st.sampled_from(list(CATALOGUE)),
              st.fixed_dictionaries({}, optional={k: _values for k in TARGETING_KEYS})),
    max_size=5)
_documents = st.fixed_dictionaries({
    "top": st.dictionaries(_keys(TOP_KEYS - {"extends", "params", "package"}), _values, max_size=3),
    "params": st.dictionaries(_keys(REGISTRY), _values, max_size=4),
    "package": st.dictionaries(_keys([*CATALOGUE, "training", "x"]), _entries, max_size=3),
})

_DERANDOMIZE = bool(os.environ.get("CI") or os.environ.get("SME_DERANDOMIZE"))


def _document(doc: dict[str, Any]) -> str:
    lines = ['extends = "baseline"']
    lines += [f"{_toml(k)} = {_toml(v)}" for k, v in doc["top"].items()]
    if doc["params"]:
        lines.append("[params]")
        lines += [f"{_toml(k)} = {_toml(v)}" for k, v in doc["params"].items()]
    for label, entry in doc["package"].items():
        lines.append(f"[package.{_toml(label)}]")
        lines += [f"{_toml(k)} = {_toml(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None, derandomize=_DERANDOMIZE, database=None if _DERANDOMIZE else
          settings.default.database, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=_documents)
def test_random_documents_extending_the_baseline(doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.toml"
        path.write_text(_document(doc), encoding="utf-8")
        cwd = Path(tmp) / "cwd"
        cwd.mkdir()
        got = attempt(lambda: load(path))
        assert got.kind != "crash", f"TRACEBACK (loader): {got.text}"
        assert got.kind != "hang", f"HANG (loader): {got.text}"
        if got.kind == "error":
            problems = line_problems(got.text)
            assert not problems, " | ".join(problems)
        res = run_cli(["show", str(path)], cwd)
        problems = cli_problems(res, "either", path.name)
        if got.kind == "accepted" and res.code != 0:
            problems.append(f"CLI-EXIT: the loader accepted, `show` exited {res.code}")
        if got.kind == "error" and res.code == 0:
            problems.append("CLI-EXIT: the loader refused, `show` exited 0")
        assert not problems, " | ".join(problems)
        assert not any(cwd.iterdir()), "WROTE-FILES"
