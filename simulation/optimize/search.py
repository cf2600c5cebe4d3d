"""The search: NSGA-II (NSGA-III past three objectives) from pymoo, on common seeds, resumable by replay.

Each generation's candidates become runs (the simulation's ``RunSpec`` or a
model's ``FunctionSpec``) on the same seeds; the crash-safe runner stores
them as they finish. The search keeps no state of its own on disk: a resume
replays it from its seed, and every evaluation already stored is read back
instead of run, so a killed search resumed ends on the same front. Nothing
is unpickled.

The front is then re-evaluated on more, new seeds (a point on the front by
a lucky draw of the search seeds shows it there) beside the baseline's
package in the same world, and, with ``robust``,
every front package and the baseline run over a Latin hypercube of worlds
(the competitiveness and connectivity parameters, as ``run.py explore``
samples them).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from ..experiments import shapley
from ..experiments.backends import Backend
from ..experiments.functions import FunctionSpec, evaluate_function
from ..experiments.runner import RunSpec, chunk_size, outcome_rows, run_specs
from ..experiments.store import RunStore
from ..extras import require
from ..outcomes import evaluate
from ..scenario import Scenario
from .problem import ModelSpace, Objective, Space


@dataclass
class Search:
    """Everything a search depends on."""

    space: Space | ModelSpace
    objectives: list[Objective]
    seeds: list[int]
    base: Scenario | None = None        # the world and horizon packages run in (None for a model)
    model: str | None = None
    population: int = 24
    generations: int = 12
    seed: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def outputs(self) -> list[str]:
        return [o.name for o in self.objectives]

    def spec(self, x: np.ndarray, seed: int, base: Scenario | None = None, extra: dict | None = None) -> Any:
        if self.model is not None:
            return FunctionSpec.make(self.model, self.space.point(x), seed)
        return RunSpec.make(self.space.scenario(base or self.base, x), seed, extra_params=extra)

    def work(self, n: int, workers: int) -> tuple[Any, int]:
        if self.model is not None:
            return functools.partial(evaluate_function, outputs=self.outputs), max(1, n // max(1, 4 * workers))
        read = functools.partial(evaluate, names=self.outputs)
        return functools.partial(outcome_rows, read=read, kind="results"), chunk_size(n, workers)


def run_all(search: Search, specs: Sequence[Any], folder: Path, backend: Backend, quiet: bool = True,
            label: str = "runs") -> pd.DataFrame:
    """Run what is not stored yet; every stored result, one row per run id."""
    store = RunStore(folder, ("results",))
    unique = len({s.run_id for s in specs})
    work, chunk = search.work(unique, backend.workers)
    run_specs(specs, store, backend, quiet=quiet, label=label, work=work, chunk=chunk)
    return store.read("results").drop_duplicates("run_id").set_index("run_id")


def _means(search: Search, X: np.ndarray, seeds: Sequence[int], results: pd.DataFrame,
           specs: list[list[Any]]) -> np.ndarray:
    """Each candidate's mean of each objective over ``seeds`` (rows of X)."""
    out = np.zeros((len(X), len(search.objectives)))
    for i, row in enumerate(specs):
        values = results.loc[[s.run_id for s in row], search.outputs].to_numpy(dtype=float)
        out[i] = np.nanmean(values, axis=0)
    return out


def optimize(search: Search, folder: Path, backend: Backend, quiet: bool = False) -> tuple[np.ndarray, pd.DataFrame]:
    """Run the search; the final front's decision vectors and every evaluation (one row per candidate)."""
    require("pymoo", "optimize", "run.py optimize")  # without it: one line naming the extra
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem
    from pymoo.util.ref_dirs import get_reference_directions

    low, high = search.space.bounds
    n_obj = len(search.objectives)
    problem = Problem(n_var=len(low), n_obj=n_obj, xl=low, xu=high)
    if n_obj <= 3:
        algorithm = NSGA2(pop_size=search.population)
    else:  # many objectives: reference directions keep the front spread (Deb and Jain 2014)
        algorithm = NSGA3(ref_dirs=get_reference_directions("energy", n_obj, search.population, seed=search.seed),
                          pop_size=search.population)
    algorithm.setup(problem, termination=("n_gen", search.generations), seed=search.seed, verbose=False)
    signs = np.array([o.sign for o in search.objectives], dtype=float)
    rows = []
    bar = tqdm(total=search.generations, desc="generations", unit="gen", disable=quiet, dynamic_ncols=True)
    generation = 1  # counted from 1, as the user sees them (history.csv, convergence.csv, the report)
    try:
        while algorithm.has_next():
            pop = algorithm.ask()
            X = pop.get("X")
            specs = [[search.spec(x, s) for s in search.seeds] for x in X]
            results = run_all(search, [s for row in specs for s in row], folder, backend)
            F = _means(search, X, search.seeds, results, specs)
            Evaluator().eval(StaticProblem(problem, F=F * signs), pop)
            algorithm.tell(infills=pop)
            for x, f in zip(X, F):
                rows.append({"generation": generation, **search.space.describe(x),
                             **dict(zip(search.outputs, f))})
            generation += 1
            bar.update(1)
    finally:
        bar.close()
    front = np.atleast_2d(algorithm.result().X)
    return front, pd.DataFrame(rows)


def in_world(search: Search, baseline: Scenario) -> Scenario:
    """The baseline's package in the search's world (its parameters and horizon), as every candidate runs."""
    return dataclasses.replace(search.base, name=baseline.name, title=baseline.title, package=baseline.package)


def _unique(front: np.ndarray, search: Search) -> np.ndarray:
    """Front points that are different packages (two vectors may stand for the same shares)."""
    seen, keep = set(), []
    for x in front:
        key = repr(sorted(search.space.describe(x).items()))
        if key not in seen:
            seen.add(key)
            keep.append(x)
    return np.array(keep)


def nondominated(means: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    """Which rows no other row beats on every objective (with the senses applied)."""
    F = means * np.array([o.sign for o in objectives], dtype=float)
    n = len(F)
    out = np.ones(n, dtype=bool)
    for i in range(n):
        for j in range(n):
            if i != j and np.all(F[j] <= F[i]) and np.any(F[j] < F[i]):
                out[i] = False
                break
    return out


def reevaluate(search: Search, front: np.ndarray, seeds: Sequence[int], folder: Path, backend: Backend,
               baseline: Scenario | None, quiet: bool = False) -> tuple[np.ndarray, pd.DataFrame]:
    """The front on new seeds: each objective's mean and 95% interval, the gain over the baseline (paired),
    and whether the point is still on the front by the new means."""
    front = _unique(front, search)
    specs = [[search.spec(x, s) for s in seeds] for x in front]
    base_specs = [RunSpec.make(in_world(search, baseline), s) for s in seeds] if baseline else []
    results = run_all(search, [s for row in specs for s in row] + base_specs, folder, backend, quiet=quiet,
                      label="front on new seeds")
    base = (results.loc[[s.run_id for s in base_specs], search.outputs].to_numpy(dtype=float)
            if base_specs else None)
    rows, means = [], []
    for k, (x, row) in enumerate(zip(front, specs)):
        values = results.loc[[s.run_id for s in row], search.outputs].to_numpy(dtype=float)
        record: dict[str, Any] = {"package": k + 1, **search.space.describe(x)}
        for j, name in enumerate(search.outputs):
            iv = shapley.t_interval(values[:, j])
            record.update({name: iv.mean, f"{name}_low": iv.low, f"{name}_high": iv.high})
            if base is not None:
                gain = shapley.t_interval(values[:, j] - base[:, j])
                record.update({f"{name}_gain": gain.mean, f"{name}_gain_low": gain.low,
                               f"{name}_gain_high": gain.high})
        if search.base is not None:
            record["budget"] = search.space.package(x).total_budget
        rows.append(record)
        means.append([record[n] for n in search.outputs])
    table = pd.DataFrame(rows)
    table.insert(1, "on_front_after_reevaluation", nondominated(np.array(means), search.objectives))
    return front, table


def robust(search: Search, front: np.ndarray, baseline: Scenario, worlds: pd.DataFrame, seeds: Sequence[int],
           folder: Path, backend: Backend, quiet: bool = False) -> pd.DataFrame:
    """Each front package against the baseline in each world: share of worlds where it does better on each
    objective (paired over the seeds), and its worst decile of the gain."""
    names = [c for c in worlds.columns if c not in ("point", "kind")]
    points = worlds[names].to_dict("records")
    plan = {}
    # A package's runs side by side: a batch then holds few packages (each costs its entries' slots over the
    # whole batch every quarter), and differing worlds stack at no extra cost.
    for w, point in enumerate(points):
        for s in seeds:
            plan[("base", w, s)] = RunSpec.make(in_world(search, baseline), s, extra_params=point)
    for k, x in enumerate(front):
        for w, point in enumerate(points):
            for s in seeds:
                plan[(k, w, s)] = search.spec(x, s, extra=point)
    results = run_all(search, list(plan.values()), folder, backend, quiet=quiet, label="front across worlds")
    rows = []
    for k in range(len(front)):
        record: dict[str, Any] = {"package": k + 1}
        for o in search.objectives:
            gains = []
            for w in range(len(points)):
                mine = [results.loc[plan[(k, w, s)].run_id, o.name] for s in seeds]
                theirs = [results.loc[plan[("base", w, s)].run_id, o.name] for s in seeds]
                gains.append(float(np.mean(np.subtract(mine, theirs))))
            g = np.array(gains) * (-o.sign)  # positive = better, whatever the sense
            record.update({f"{o.name}_share_better": float((g > 0).mean()),
                           f"{o.name}_worst_decile": float(np.quantile(g, 0.1)) * (-o.sign),
                           f"{o.name}_median_gain": float(np.median(g)) * (-o.sign)})
        rows.append(record)
    return pd.DataFrame(rows)
