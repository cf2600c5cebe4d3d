"""The method of simulated moments: a global Latin-hypercube stage, then Nelder-Mead from the best point.

Every evaluated point runs on the same seeds (common random numbers), so the
distance is a deterministic function of the parameters and the local search
is not chasing noise. Runs go through the crash-safe runner: a resumed
calibration finds its finished runs on disk and repeats the same path.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.sample import latin
from scipy.optimize import minimize
from tqdm import tqdm

from .. import outcomes
from ..experiments.backends import Backend
from ..experiments.runner import RunSpec, chunk_size, outcome_rows, run_specs
from ..experiments.store import RunStore
from ..params import REGISTRY
from ..scenario import Scenario
from .targets import Targets

KINDS = ("moments",)
GLOBAL_SHARE = 0.6  # of the run budget spent on the global stage


def fact_values(ts: pd.DataFrame, facts: Sequence[tuple[str, str, tuple[int, int]]]) -> dict[str, float]:
    """Each fact's model quantity in one run's time series."""
    return {name: outcomes.OUTCOMES[o].value(ts, *w) for name, o, w in facts}


def measure(specs: Sequence[RunSpec], facts: Sequence[tuple[str, str, tuple[int, int]]]
            ) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Run specs (in a worker) and keep each fact's model quantity per run."""
    return outcome_rows(specs, functools.partial(fact_values, facts=facts), KINDS[0])


@dataclass
class Calibration:
    """One calibration: targets, scenario, free parameters and where its runs go."""

    targets: Targets
    scenario: Scenario
    store: RunStore
    backend: Backend
    seeds: list[int]
    quiet: bool = True

    def __post_init__(self) -> None:
        self.names = list(self.targets.free)
        self.bounds = np.array([self.targets.bounds.get(n, REGISTRY[n].sweep_bounds) for n in self.names],
                               dtype=float)
        self.history: list[dict[str, Any]] = []
        self.arms = self.targets.arms(self.scenario)
        self._moments: dict[str, dict[str, float]] = {}
        self._read: set[Path] = set()
        self._bar: tqdm | None = None

    def _refresh(self) -> None:
        """Read the files written since the last look (the store only grows while a calibration runs)."""
        for path in self.store.stored(KINDS[0]):
            if path not in self._read:
                for row in pd.read_parquet(path).to_dict("records"):
                    self._moments[row["run_id"]] = row
                self._read.add(path)

    # parameters live in the unit cube for the optimizer
    def to_params(self, u: np.ndarray) -> dict[str, Any]:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        x = self.bounds[:, 0] + u * (self.bounds[:, 1] - self.bounds[:, 0])
        return {n: (int(round(v)) if REGISTRY[n].kind is int else float(v)) for n, v in zip(self.names, x)}

    def specs(self, params: dict[str, Any]) -> dict[str, list[RunSpec]]:
        """The runs of one point: each arm (the scenario, and each counterfactual) on every seed."""
        return {arm: [RunSpec.make(sc, s, self.targets.steps, extra_params=params) for s in self.seeds]
                for arm, sc in self.arms.items()}

    def facts(self, specs: dict[str, list[RunSpec]]) -> pd.DataFrame:
        """Each fact per seed, from the recorded runs of one point."""
        return self.targets.facts_per_seed(
            {arm: pd.DataFrame([self._moments[s.run_id] for s in group]) for arm, group in specs.items()})

    def evaluate(self, points: Sequence[dict[str, Any]], stage: str) -> list[float]:
        """Distance of each point (mean of each fact over the seeds), recorded in the history."""
        specs_by_point = [self.specs(p) for p in points]
        flat = [s for arms in specs_by_point for group in arms.values() for s in group]
        single = len(points) == 1  # a local step: one bar over all steps (see run) instead of one per step
        run_specs(flat, self.store, self.backend, quiet=self.quiet or single, label=f"calibrate ({stage})",
                  work=functools.partial(measure, facts=self.targets.measures),
                  chunk=chunk_size(len(flat), self.backend.workers))
        self._refresh()
        out = []
        for params, group in zip(points, specs_by_point):
            means = self.facts(group).mean()
            d = self.targets.distance(means.to_dict())
            self.history.append({"evaluation": len(self.history), "stage": stage, **params,
                                 **means.to_dict(), "distance": d})
            out.append(d)
            if self._bar is not None:
                self._bar.update(1)
                self._bar.set_postfix(best=f"{min(h['distance'] for h in self.history):.3g}")
        return out

    def run(self, budget: int, seed: int = 0) -> pd.DataFrame:
        """Spend about ``budget`` runs: a Latin hypercube, then Nelder-Mead from its best point."""
        per_point = len(self.seeds) * len(self.arms)
        n_global = max(2 * len(self.names), int(GLOBAL_SHARE * budget / per_point))
        u = latin.sample({"num_vars": len(self.names), "names": self.names,
                          "bounds": [[0.0, 1.0]] * len(self.names)}, n_global, seed=seed + 1)
        self.evaluate([self.to_params(row) for row in u], "global")
        best = int(np.argmin([h["distance"] for h in self.history]))
        start = u[best]
        local_evals = max(0, budget // per_point - n_global)
        if local_evals > 0:
            def f(x: np.ndarray) -> float:
                return self.evaluate([self.to_params(x)], "local")[0]

            self._bar = tqdm(total=local_evals, desc="calibrate (Nelder-Mead)", unit="point", disable=self.quiet,
                             dynamic_ncols=True)
            try:
                minimize(f, start, method="Nelder-Mead",
                         options={"maxfev": local_evals, "xatol": 1e-3, "fatol": 1e-4,
                                  "initial_simplex": _simplex(start, 0.1)})
            finally:
                self._bar.close()
                self._bar = None
        return pd.DataFrame(self.history)

    def best(self) -> dict[str, Any]:
        """The point of least distance."""
        return self.candidates(1)[0]

    def candidates(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` points, least distance first: those with every fact inside its band on the
        calibration seeds, then (if there are fewer) the rest."""
        h = pd.DataFrame(self.history).drop_duplicates(subset=self.names)
        inside = np.all([(h[f.name] >= f.band[0]) & (h[f.name] <= f.band[1]) for f in self.targets.facts], axis=0)
        h = pd.concat([h[inside].sort_values("distance"), h[~inside].sort_values("distance")]).head(limit)
        return [{n: (int(r[n]) if REGISTRY[n].kind is int else float(r[n])) for n in self.names}
                for _, r in h.iterrows()]


def _simplex(start: np.ndarray, step: float) -> np.ndarray:
    """A starting simplex around ``start`` in the unit cube, stepping inwards from the walls."""
    pts = [start]
    for i in range(len(start)):
        p = start.copy()
        p[i] = p[i] + step if p[i] + step <= 1.0 else p[i] - step
        pts.append(p)
    return np.array(pts)
