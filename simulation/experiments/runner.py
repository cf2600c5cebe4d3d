"""The runner: (scenario, seed) pairs in parallel, each stored as it finishes.

A run's id is a hash of its resolved scenario, seed, horizon and the package
version, so the same run always has the same id and a resumed invocation
never runs (or writes) one twice. Results do not depend on the number of
workers: each run depends only on its own inputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm import tqdm

from .. import __version__
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


def execute(spec: RunSpec) -> tuple[str, dict[str, pd.DataFrame]]:
    """Run one spec (in a worker) and return its tables, tagged with run id, scenario and seed."""
    result = run_model(PolicyPackage.from_dict(spec.package), seed=spec.seed, steps=spec.steps, **spec.params)
    tag = {"run_id": spec.run_id, "scenario": spec.scenario, "seed": spec.seed}
    ts = result.timeseries.assign(**tag)
    reg = result.regions.assign(**tag)
    summary = pd.DataFrame([{**tag, "steps": spec.steps, **result.summary.to_dict()}])
    return spec.run_id, {"timeseries": ts, "regions": reg, "summaries": summary}


def run_specs(specs: Iterable[RunSpec], store: RunStore, backend: Backend, *, quiet: bool = False,
              label: str = "runs") -> int:
    """Run every spec not yet in the store; returns how many were run now."""
    specs = list(specs)
    done = store.completed()
    todo = [s for s in specs if s.run_id not in done]
    seen: set[str] = set()
    todo = [s for s in todo if not (s.run_id in seen or seen.add(s.run_id))]
    bar = tqdm(total=len(specs), initial=len(specs) - len(todo), desc=label, unit="run",
               disable=quiet, dynamic_ncols=True)
    count = 0
    try:
        for run_id, tables in backend.map_unordered(execute, todo):
            store.write(run_id, tables)
            count += 1
            bar.update(1)
    finally:
        bar.close()
    return count
