"""What the commands share: the outputs folder, the usage error, argument types and small checks."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..experiments.job import Job
from ..scenario import Scenario, load

OUTPUTS = Path(__file__).resolve().parents[2] / "outputs"


class UsageError(Exception):
    """A command-line input that cannot be used (exit code 2)."""


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 10:
        raise argparse.ArgumentTypeError(f"must be in (0, 10), got {value}")
    return value


def port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in [1, 65535], got {value}")
    return value


def add_common(p: argparse.ArgumentParser) -> None:
    """The flags of ``run`` and ``compare`` (and, mostly, of ``sweep``)."""
    p.add_argument("--steps", type=positive, default=None, help="quarters to simulate (default: the scenario's, 40)")
    p.add_argument("--workers", type=positive, default=os.cpu_count() or 1,
                   help="worker processes (default: one per core); results do not depend on it")
    p.add_argument("--seed", type=int, default=0, help="root of the replicate seeds (default 0)")
    p.add_argument("--out", default=None, help="folder for the results (must be new or empty; "
                                               "default outputs/<time>-<command>-<names>/)")
    p.add_argument("--resume", default=None, metavar="DIR", help="finish an interrupted invocation in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bars or tables, only the results folder")


def check_out(out: str | None) -> None:
    """Refuse a non-empty ``--out`` before any work (the folder itself is made by :meth:`Job.create`)."""
    if out is not None:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UsageError(f"--out {out}: the folder exists and is not empty; results are never overwritten "
                             f"(give a new or empty folder, or --resume it)")


def create(command: str, names: list[str], out: str | None, fields: dict[str, Any], title: str) -> Job:
    """A new job under ``outputs/`` (or in ``out``)."""
    return Job.create(OUTPUTS, command, names, out, fields, title=title)


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
