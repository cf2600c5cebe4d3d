"""The runner: (scenario, seed) pairs in parallel, stored as they finish.

A run's id is a hash of its resolved scenario, seed, horizon and the package
version, so the same run always has the same id and a resumed invocation
never runs (or writes) one twice. Results do not depend on the number of
workers or on the backend: each run depends only on its own inputs.

Runs travel to the workers in chunks: one run each for ``run`` and
``compare`` (full tables per run), dozens for sweeps (one summary row per
run), so that per-task overhead and the number of stored parts stay small.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm import tqdm

tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked from this one

from .. import outcomes
from .._version import __version__
from ..api import run as run_model
from ..policy import PolicyPackage
from ..scenario import Scenario
from .backends import Backend
from .store import RunStore


@dataclass(frozen=True)
class RunSpec:
    """One run: everything it depends on, as plain picklable data."""

    scenario: str
    package: dict[str, Any]
    params: dict[str, Any]
    seed: int
    steps: int
    run_id: str

    @classmethod
    def make(cls, scenario: Scenario, seed: int, steps: int | None = None,
             extra_params: dict[str, Any] | None = None) -> RunSpec:
        steps = scenario.steps if steps is None else steps
        params = {**scenario.params, **(extra_params or {})}
        ident = {"scenario": scenario.to_dict(), "params": dict(sorted(params.items())),
                 "seed": int(seed), "steps": int(steps), "version": __version__}
        digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]
        return cls(scenario.name, scenario.package.to_dict(), params, int(seed), int(steps), digest)


Work = Callable[[Sequence[RunSpec]], tuple[list[str], dict[str, pd.DataFrame]]]


def _tag(spec: RunSpec) -> dict[str, Any]:
    return {"run_id": spec.run_id, "scenario": spec.scenario, "seed": spec.seed}


def _model_run(spec: RunSpec, regions: bool = True):
    return run_model(PolicyPackage.from_dict(spec.package), seed=spec.seed, steps=spec.steps,
                     regions=regions, **spec.params)


def execute(specs: Sequence[RunSpec]) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Run specs (in a worker) and return their full tables, tagged with run id, scenario and seed."""
    ts, reg, summaries = [], [], []
    for spec in specs:
        result = _model_run(spec)
        tag = _tag(spec)
        ts.append(result.timeseries.assign(**tag))
        reg.append(result.regions.assign(**tag))
        summaries.append({**tag, "steps": spec.steps, **result.summary.to_dict()})
    tables = {"timeseries": pd.concat(ts, ignore_index=True), "regions": pd.concat(reg, ignore_index=True),
              "summaries": pd.DataFrame(summaries)}
    return [s.run_id for s in specs], tables


def outcome_rows(specs: Sequence[RunSpec], read: Callable[[pd.DataFrame], dict[str, float]], kind: str
                 ) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Run specs (in a worker) without the regional table; keep one ``kind`` row per run: its tag and
    ``read(timeseries)``. ``read`` must pickle (a module-level function or a partial of one)."""
    rows = [{**_tag(spec), **read(_model_run(spec, regions=False).timeseries)} for spec in specs]
    return [s.run_id for s in specs], {kind: pd.DataFrame(rows)}


def evaluate(specs: Sequence[RunSpec], outputs: Sequence[str], per_year: bool = False
             ) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Run specs (in a worker) and keep one row of named outcomes per run (what sweeps need)."""
    return outcome_rows(specs, functools.partial(outcomes.evaluate, names=outputs, per_year=per_year), "results")


def chunks(items: Sequence[Any], size: int) -> list[tuple[Any, ...]]:
    return [tuple(items[i:i + size]) for i in range(0, len(items), size)]


def chunk_size(n_runs: int, workers: int, largest: int = 32) -> int:
    """Runs per task: at least 8 tasks per worker for balance, at most ``largest`` runs per task."""
    return max(1, min(largest, n_runs // (8 * max(workers, 1))))


def run_specs(specs: Iterable[RunSpec], store: RunStore, backend: Backend, *, quiet: bool = False,
              label: str = "runs", work: Work = execute, chunk: int = 1, whole: bool = False) -> int:
    """Run every spec not yet in the store, ``chunk`` runs per task; returns how many were run now.

    ``whole``: the specs are the store's whole job (a sweep's design, an ablation), so a stored run
    outside them means the folder was altered; a calibration or a compare with ``--precision`` adds runs
    to its store call after call and leaves it false.
    """
    specs = list(specs)
    done = store.completed({s.run_id for s in specs} if whole else None)
    todo = [s for s in specs if s.run_id not in done]
    seen: set[str] = set()
    todo = [s for s in todo if not (s.run_id in seen or seen.add(s.run_id))]
    total = len({s.run_id for s in specs})
    bar = tqdm(total=total, initial=total - len(todo), desc=label, unit="run",
               disable=quiet, dynamic_ncols=True)
    count = 0
    try:
        for run_ids, tables in backend.map_unordered(work, chunks(todo, chunk)):
            store.write(run_ids[0], tables)
            count += len(run_ids)
            bar.update(len(run_ids))
    finally:
        bar.close()
    return count
