"""The runner: (scenario, seed) pairs in parallel, stored as they finish.

A run's id is a hash of its resolved scenario, seed, horizon and the package
version, so the same run always has the same id and a resumed invocation
never runs (or writes) one twice. Results do not depend on the number of
workers or on the backend: each run depends only on its own inputs.

Runs travel to the workers in chunks, and a worker simulates its chunk as
one batch (:func:`simulation.run_batch`: the runs stacked as one population,
each equal to the same run alone), so that per-quarter overhead, per-task
overhead and the number of stored parts stay small. A crash loses only the
chunks in flight.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm import tqdm

tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked from this one

from .. import outcomes
from ..api import RunResult, run_batch
from ..engine import RunInput
from ..params import resolve
from ..policy import PolicyPackage
from ..scenario import Scenario
from .backends import Backend
from .store import RunStore, run_id


@dataclass(frozen=True)
class RunSpec:
    """One run: everything it depends on, as plain picklable data."""

    scenario: str
    package: dict[str, Any]
    params: dict[str, Any]
    seed: int
    steps: int
    run_id: str

    @staticmethod
    def identify(scenario: str, package: dict[str, Any], params: dict[str, Any], seed: int, steps: int) -> str:
        """The run id: a hash of what the run depends on (the scenario's name, package and parameters, the seed,
        the horizon) and the package version. A manifest records all of them, so a resume recomputes each id
        and a run whose record was changed under its old id is refused."""
        return run_id(scenario=scenario, package=package, params=dict(sorted(params.items())), seed=int(seed),
                      steps=int(steps))

    @classmethod
    def make(cls, scenario: Scenario, seed: int, steps: int | None = None,
             extra_params: dict[str, Any] | None = None) -> RunSpec:
        return cls.for_seeds(scenario, [seed], steps, extra_params)[0]

    @classmethod
    def for_seeds(cls, scenario: Scenario, seeds: Sequence[int], steps: int | None = None,
                  extra_params: dict[str, Any] | None = None) -> list[RunSpec]:
        """One spec per seed (large explorations make ~10^5 specs)."""
        steps = int(scenario.steps if steps is None else steps)
        params = {**scenario.params, **(extra_params or {})}
        package = scenario.package.to_dict()
        return [cls(scenario.name, package, params, int(seed), steps,
                    cls.identify(scenario.name, package, params, seed, steps)) for seed in seeds]

    def verified(self) -> bool:
        """Whether the run id is the one its scenario, package, parameters, seed and horizon give."""
        return self.run_id == self.identify(self.scenario, self.package, self.params, self.seed, self.steps)


Work = Callable[[Sequence[RunSpec]], tuple[list[str], dict[str, pd.DataFrame]]]


def _tag(spec: RunSpec) -> dict[str, Any]:
    return {"run_id": spec.run_id, "scenario": spec.scenario, "seed": spec.seed}


def simulate(specs: Sequence[RunSpec], regions: bool = True) -> list[RunResult]:
    """The specs' results, in order, simulated in batches of runs that share horizon and warm-up."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault((spec.steps, resolve(spec.params)["warmup_steps"]), []).append(i)
    results: list[RunResult | None] = [None] * len(specs)
    for (steps, _), members in groups.items():
        inputs = [RunInput(PolicyPackage.from_dict(specs[i].package), specs[i].params, specs[i].seed)
                  for i in members]
        for i, result in zip(members, run_batch(inputs, steps=steps, regions=regions)):
            results[i] = result
    return results  # type: ignore[return-value]


def execute(specs: Sequence[RunSpec]) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Run specs (in a worker) and return their full tables, tagged with run id, scenario and seed."""
    ts, reg, summaries = [], [], []
    for spec, result in zip(specs, simulate(specs)):
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
    rows = [{**_tag(spec), **read(result.timeseries)} for spec, result in zip(specs, simulate(specs, regions=False))]
    return [s.run_id for s in specs], {kind: pd.DataFrame(rows)}


def evaluate(specs: Sequence[RunSpec], outputs: Sequence[str], per_year: bool = False
             ) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Run specs (in a worker) and keep one row of named outcomes per run (what sweeps need)."""
    return outcome_rows(specs, functools.partial(outcomes.evaluate, names=outputs, per_year=per_year), "results")


def chunks(items: Sequence[Any], size: int) -> list[tuple[Any, ...]]:
    return [tuple(items[i:i + size]) for i in range(0, len(items), size)]


# Runs per batch beyond which a larger batch gains little (docs/performance.md) while memory grows.
BATCH = 32


def chunk_size(n_runs: int, workers: int, largest: int = BATCH) -> int:
    """Runs per task (one batch): at least 4 tasks per worker for balance, at most ``largest`` runs per task."""
    return max(1, min(largest, n_runs // (4 * max(workers, 1))))


def run_specs(specs: Iterable[RunSpec], store: RunStore, backend: Backend, *, quiet: bool = False,
              label: str = "runs", work: Work = execute, chunk: int | None = None, whole: bool = False) -> int:
    """Run every spec not yet in the store, ``chunk`` runs per task (by default :func:`chunk_size`);
    returns how many were run now.

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
    chunk = chunk or chunk_size(len(todo), backend.workers)
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
