"""What the commands share: the outputs folder, the usage error, argument types and small checks."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..experiments import folders
from ..experiments.job import Job
from ..scenario import Scenario, load

OUTPUTS = Path(__file__).resolve().parents[2] / "outputs"


class UsageError(Exception):
    """A command-line input that cannot be used (exit code 2)."""


def _number(text: str, kind: type, allowed: Callable[[Any], bool], where: str) -> Any:
    """``text`` as a ``kind`` for which ``allowed`` holds, or argparse's error saying ``where`` it must lie."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {'a whole number' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None
    if not allowed(value):
        raise argparse.ArgumentTypeError(f"must be {where}, got {value}")
    return value


def positive(text: str) -> int:
    return _number(text, int, lambda v: v >= 1, "at least 1")


def fraction(text: str) -> float:
    return _number(text, float, lambda v: 0 < v < 10, "in (0, 10)")


def port(text: str) -> int:
    return _number(text, int, lambda v: 1 <= v <= 65535, "in [1, 65535]")


def add_job_flags(p: argparse.ArgumentParser, what: str = "invocation",
                  seed: str = "root of the replicate seeds (default 0)") -> None:
    """The flags every job shares: workers, seed root, results folder, resume, quiet."""
    p.add_argument("--workers", type=positive, default=os.cpu_count() or 1,
                   help="worker processes (default: one per core); results do not depend on it")
    p.add_argument("--seed", type=int, default=0, help=seed)
    p.add_argument("--out", default=None, help="folder for the results (must be new or empty; "
                                               "default outputs/<time>-<command>-<names>/)")
    p.add_argument("--resume", default=None, metavar="DIR", help=f"finish an interrupted {what} in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bars or tables, only the results folder")


def add_common(p: argparse.ArgumentParser) -> None:
    """The flags of ``run`` and ``compare`` (and, mostly, of ``sweep``)."""
    p.add_argument("--steps", type=positive, default=None, help="quarters to simulate (default: the scenario's, 40)")
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
