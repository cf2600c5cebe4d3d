"""What the commands share: the outputs folder, the usage error, argument types and small checks."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..experiments import folders
from ..experiments.job import Job
from ..experiments.limits import MAX_SEED, MAX_SEEDS, MAX_STEPS, MAX_WORKERS
from ..inputs import shorten, show
from ..scenario import Scenario, load

OUTPUTS = Path(__file__).resolve().parents[2] / "outputs"


class UsageError(Exception):
    """A command-line input that cannot be used (exit code 2)."""


def _number(text: str, kind: type, allowed: Callable[[Any], bool], where: str) -> Any:
    """``text`` as a ``kind`` for which ``allowed`` holds, or argparse's error saying ``where`` it must lie."""
    try:
        value = kind(text)
    except ValueError:  # also a whole number past Python's 4,300-digit limit: never echoed whole
        raise argparse.ArgumentTypeError(f"must be {'a whole number' if kind is int else 'a number'} "
                                         f"{where}, got {shorten(repr(text), 40)}") from None
    if not allowed(value):
        raise argparse.ArgumentTypeError(f"must be {where}, got {show(value)}")
    return value


def _g(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high] (every number flag has both ends: nothing runs unbounded)."""
    def check(text: str) -> int:
        return _number(text, int, lambda v: low <= v <= high, f"in [{_g(low)}, {_g(high)}]")
    check.__name__ = "whole number"
    return check


def real(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number strictly between ``low`` and ``high``."""
    def check(text: str) -> float:
        return _number(text, float, lambda v: low < v < high, f"in ({_g(low)}, {_g(high)})")
    check.__name__ = "number"
    return check


seed_count = whole(1, MAX_SEEDS)               # replicate seeds, and compare's --max-seeds and --batch
quarters = whole(1, MAX_STEPS)                 # --steps: as a scenario file's steps
seed_root = whole(0, MAX_SEED)                 # as a file's seed key: from 0, a whole number files may hold
worker_count = whole(1, MAX_WORKERS)


def key_bounds(model: type[BaseModel], key: str) -> tuple[int, int]:
    """[low, high] of a whole-number manifest key as ``model`` declares it (ge and le, or a list's min and
    max length), so a flag that sets the key is bounded exactly as its resume checks it."""
    low = high = None
    for m in model.model_fields[key].metadata:
        low = next((getattr(m, a) for a in ("ge", "min_length") if getattr(m, a, None) is not None), low)
        high = next((getattr(m, a) for a in ("le", "max_length") if getattr(m, a, None) is not None), high)
    if high is None:
        raise TypeError(f"{model.__name__}.{key} declares no inclusive upper bound")
    return (0 if low is None else low), high


def share_of_effect(text: str) -> float:
    """compare's --precision: the 95% half-width as a share of the difference itself, below 1 (a half-width
    of the difference's size or more leaves an interval that may include 0)."""
    return _number(text, float, lambda v: 0 < v < 1,
                   "in (0, 1), the 95% half-width as a share of each difference (e.g. 0.25)")


class Given(argparse.Action):
    """A flag's value stored as usual, its destination also recorded in ``given_flags``: whether the user
    gave it, not only its value (``--seed 0`` and no ``--seed`` differ)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        given = set(getattr(namespace, "given_flags", None) or ())
        namespace.given_flags = given | {self.dest}


CONTROL_RENAMED = "--baseline was renamed --control (the arm others are compared with)"


class Renamed(argparse.Action):
    """A flag that was renamed: hidden from help, and given, one line saying its new name (exit 2)."""

    def __init__(self, option_strings: list[str], dest: str, message: str = CONTROL_RENAMED,
                 renamed_to: str = "--control", **kwargs: Any) -> None:
        kwargs.update(nargs="?", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)
        self.message, self.renamed_to = message, renamed_to

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        parser.error(self.message)


def add_control_flag(p: argparse.ArgumentParser, default: str | None, help: str) -> None:
    """``--control`` (the arm the others are compared with), and ``--baseline``, its old name, hidden: given,
    it says it was renamed. "baseline" names the status-quo scenario (scenarios/baseline.toml) only."""
    p.add_argument("--control", default=default, metavar="SCENARIO", help=help)
    p.add_argument("--baseline", action=Renamed, dest="renamed_baseline")


def seed_note(args: argparse.Namespace) -> str | None:
    """The line warning that ``--seed N`` (the root the seeds are drawn from) was given without ``--seeds``
    (how many), on a command that has both; None when it was not, or when the job is resumed."""
    given = getattr(args, "given_flags", None) or set()
    if "seed" not in given or "seeds" in given or not hasattr(args, "seeds") or getattr(args, "resume", None):
        return None
    line = f"note: --seed {args.seed} is the root the replicate seeds are drawn from, not how many"
    if getattr(args, "precision", None) is None and 1 <= args.seed <= MAX_SEEDS:
        line += f"; for {args.seed} seeds give --seeds {args.seed}"
    return line


def port(text: str) -> int:
    return _number(text, int, lambda v: 1 <= v <= 65535, "in [1, 65535]")


def add_job_flags(p: argparse.ArgumentParser, what: str = "invocation",
                  seed: str = "root of the replicate seeds (default 0)") -> None:
    """The flags every job shares: workers, seed root, results folder, resume, quiet."""
    p.add_argument("--workers", type=worker_count, default=min(os.cpu_count() or 1, MAX_WORKERS),
                   help="worker processes (default: one per core); results do not depend on it")
    p.add_argument("--seed", type=seed_root, default=0, action=Given, help=seed)
    p.add_argument("--out", default=None, help="folder for the results (must be new or empty; "
                                               "default outputs/<time>-<command>-<names>/)")
    p.add_argument("--resume", default=None, metavar="DIR", help=f"finish an interrupted {what} in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bars or tables, only the results folder")


def add_common(p: argparse.ArgumentParser) -> None:
    """The flags of ``run`` and ``compare`` (and, mostly, of ``sweep``)."""
    p.add_argument("--steps", type=quarters, default=None,
                   help=f"quarters to simulate, at most {MAX_STEPS:,} (default: the scenario's, 40)")
    add_job_flags(p)


def check_out(out: str | None) -> None:
    """Refuse a non-empty ``--out`` before any work (the folder itself is made by :meth:`Job.create`)."""
    if out is not None:
        folders.refuse_filled(out)


def create(command: str, names: list[str], out: str | None, fields: dict[str, Any], title: str) -> Job:
    """A new job under ``outputs/`` (or in ``out``)."""
    return Job.create(OUTPUTS, command, names, out, fields, title=title)


def run_session(args: argparse.Namespace, job: Job, backend, run: Callable[[], int]) -> None:
    """Run a job's remaining runs (``run`` returns how many ran), close ``backend`` whatever happens,
    and record the session (start, runs, workers, scheduler) in the manifest."""
    started = dt.datetime.now().isoformat(timespec="seconds")
    try:
        ran = run()
    finally:
        backend.close()
    job.manifest.setdefault("sessions", []).append({"started": started, "ran": ran, "workers": args.workers,
                                                    "scheduler": args.scheduler})


def trusted_model(job: Job, stored: Any, given: str | None, flag: str = "--resume") -> None:
    """Refuse to resume a study whose code was named only by its folder.

    A study of a custom model (``--model`` or a file's ``model``) imports and
    runs that code. A resume reads the model's name from ``manifest.json``,
    which anyone who handed over or altered the folder wrote: so a resume
    runs a model only if the user names it again (``--model``) and the name
    matches; a simulation study must not be given one. The folder is left
    as it was found (its lock released).
    """
    where = f"{flag} {job.folder}"
    try:
        if stored is None:
            if given is not None:
                raise UsageError(f"{where}: this study runs the simulation, not a model; leave out --model")
            return
        if given is None:
            raise UsageError(f"{where}: give --model {shorten(str(stored), 120)} to resume it if you made this "
                             f"folder; a resume never imports code a folder names (its manifest.json names that "
                             f"model)")
        if given != stored:
            raise UsageError(f"{where}: --model {show(given)} is not the model this study runs ({show(stored)}); "
                             f"give the same model, or run a new study")
    except UsageError:
        folders.release(job.folder)
        raise


def stored_model(manifest: dict[str, Any]) -> Any:
    """The model a sweep's or an exploration's manifest names in its config, read before the config is
    validated (validating a model's config calls the model)."""
    config = manifest.get("config")
    return config.get("model") if isinstance(config, dict) else None


def add_model_flag(p: argparse.ArgumentParser, study: str) -> None:
    """``--model`` and ``--inputs`` of a study of a function model (sweep, explore), as attribute and
    optimize take them; a resume takes ``--model`` again, since it never imports code a folder names."""
    p.add_argument("--model", default=None, metavar="PKG.MODULE:FUNCTION",
                   help=f"a function from named inputs to named outputs to run instead of the simulation (with "
                        f"--inputs); with --resume (or --extend): the model the {study} runs, given again, since "
                        f"a resume never imports code a folder names")
    p.add_argument("--inputs", default=None, metavar="NAME=LOW:HIGH,...",
                   help="with --model: the model's inputs and their ranges")


def parse_inputs(text: str) -> dict[str, list[float]]:
    """``--inputs NAME=LOW:HIGH,...`` as {name: [low, high]} (UsageError naming the item otherwise)."""
    out: dict[str, list[float]] = {}
    for item in text.split(","):
        name, _, span = item.strip().partition("=")
        low, _, high = span.partition(":")
        try:
            lo, hi = float(low), float(high)
        except ValueError:
            raise UsageError(f"--inputs: write NAME=LOW:HIGH,..., got {item.strip()!r}") from None
        if not name.strip():
            raise UsageError(f"--inputs: an input needs a name, got {item.strip()!r}")
        if not lo < hi:
            raise UsageError(f"--inputs {name.strip()}: LOW must be below HIGH")
        out[name.strip()] = [lo, hi]
    return out


def already_complete(job: Job) -> int:
    print(f"results: {job.folder} (already complete)")
    return 0


def load_all(refs: list[str]) -> list[Scenario]:
    scenarios = [load(r) for r in refs]
    names = [s.name for s in scenarios]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise UsageError(f"scenario {sorted(dupes)[0]!r} is named twice")
    return scenarios


def scenario_info(s: Scenario) -> dict[str, Any]:
    return {**s.to_dict(), "file": str(s.path), "description": s.description, "budget": s.package.total_budget,
            "chain": list(s.chain)}


def cluster(args: argparse.Namespace):
    """The backend of ``--workers`` and ``--scheduler`` (a Dask cluster that cannot be reached: exit 2)."""
    from ..experiments.backends import make_backend

    try:
        backend = make_backend(args.workers, args.scheduler)
    except (OSError, RuntimeError) as err:  # e.g. a Dask scheduler that cannot be reached
        raise UsageError(f"--scheduler {args.scheduler}: {err}") from None
    dashboard = getattr(backend, "dashboard", None)
    if dashboard and not args.quiet:
        print(f"Dask dashboard: {dashboard}")
    return backend
