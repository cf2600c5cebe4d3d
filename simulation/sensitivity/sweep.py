"""A whole sweep into one folder: design, runs through the crash-safe runner, analysis, report.

Folder contents: ``manifest.json``, ``samples.parquet`` (the sample points),
``runs.parquet`` (point, seed, run id, role), ``results.parquet``/``.csv``
(one row of outcomes per run), ``point_means.parquet``, ``indices.csv``,
``seed_noise.csv``, ``convergence.csv`` (nested designs: the indices at N/2, N/4, ...), ``figures/``
and ``report.html``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import files, outcomes
from ..experiments import functions
from ..experiments.backends import Backend, make_backend
from ..experiments.folders import FolderError
from ..experiments.functions import FUNCTION_CHUNK, Model, ModelError, evaluate_function
from ..experiments.runner import chunk_size, evaluate, run_specs
from ..experiments.store import RunStore
from ..params import REGISTRY
from . import analysis
from .design import COMMAND_LINE, Design, SweepConfig, build, model_outputs

RESULT_KINDS = ("results",)


def prepare(design: Design, folder: Path) -> None:
    """Write the sample and the run plan (before any run)."""
    files.write_parquet(folder, "samples.parquet", design.points)
    files.write_parquet(folder, "runs.parquet", design.runs)


def check_runs(folder: Path, runs: pd.DataFrame, what: str, points: pd.DataFrame | None = None,
               sample: str = "samples.parquet") -> None:
    """The runs (and points) a rebuilt design plans are the ones ``folder`` planned (ValueError otherwise).

    The analysis reads the rebuilt design, never the stored sample; a stored sample that differs from it
    (edited, or from another sampler) would leave the folder describing points it did not run.
    """
    try:
        stored = pd.read_parquet(folder / "runs.parquet")
        same = list(stored["run_id"]) == list(runs["run_id"])
        if same and points is not None:
            try:
                pd.testing.assert_frame_equal(pd.read_parquet(folder / sample).reset_index(drop=True),
                                              points.reset_index(drop=True), check_dtype=False, check_exact=True)
            except AssertionError:
                same = False
    except Exception as err:  # noqa: BLE001 - an unreadable plan is refused the same way
        raise ValueError(f"its plan ({sample}, runs.parquet) cannot be read ({type(err).__name__}); the folder "
                         f"was altered: run the command again into a new folder") from None
    if not same:
        raise ValueError(f"the design no longer matches the plan on disk ({sample}, runs.parquet): a scenario, the "
                         f"parameter registry or the version changed since the {what} started, or the folder was "
                         f"altered; run the command again into a new folder")


def check_resumable(cfg: SweepConfig, folder: Path) -> Design:
    """Rebuild the design of an interrupted sweep and check it is the one on disk."""
    design = build(cfg)
    check_runs(folder, design.runs, "sweep", design.points)
    return design


def work_of(model: str | None, outputs: Sequence[str], runs: int, workers: int,
            per_year: bool = False) -> tuple[functools.partial, int]:
    """What a worker does with a chunk of runs (the simulation's outcomes, or a model's outputs) and the
    chunk size: function runs are cheap, so they travel in larger chunks."""
    if model is not None:
        return (functools.partial(evaluate_function, outputs=tuple(outputs)),
                chunk_size(runs, workers, largest=FUNCTION_CHUNK))
    return functools.partial(evaluate, outputs=tuple(outputs), per_year=per_year), chunk_size(runs, workers)


def extension(old: SweepConfig, folder: Path, samples: int) -> tuple[SweepConfig, Design, pd.DataFrame]:
    """The design of the finished sweep in ``folder`` at N = ``samples``, and the stored results it reuses.

    Only a nested design extends: the first N base points of a Sobol' sample
    of 2N are the sample of N, so their runs (same parameters, same seeds,
    same scenario and version) are the same runs, and only the new points run.
    """
    module = old.method_module()
    if not module.NESTED:
        raise ValueError(f"a {old.method} design of N = {samples} shares no points with the sweep's (N = "
                         f"{old.samples}); only Sobol' designs nest: run a new sweep")
    if samples <= old.samples:
        raise ValueError(f"--samples must be larger than the sweep's N = {old.samples}, got {samples}")
    cfg = dataclasses.replace(old, samples=samples, source=COMMAND_LINE)
    design = build(cfg)
    stored = pd.read_parquet(folder / "samples.parquet")
    names = [c for c in stored.columns if c != "point"]
    head = design.points.iloc[:len(stored)]
    if list(head.columns) != list(stored.columns) or not np.array_equal(head[names].to_numpy(),
                                                                         stored[names].to_numpy()):
        raise ValueError(f"the sample of N = {samples} does not begin with the sweep's sample (the parameters, "
                         f"their bounds or the sampler changed since): run a new sweep")
    runs = pd.read_parquet(folder / "runs.parquet")
    planned = set(design.runs["run_id"])
    if not set(runs.loc[runs["role"] == "analysis", "run_id"]) <= planned:
        raise ValueError("the sweep's runs are not runs of the extended design (the scenario, the parameter "
                         "registry or the version changed since): run a new sweep")
    results = RunStore(folder, RESULT_KINDS).read("results")
    return cfg, design, results[results["run_id"].isin(planned)].reset_index(drop=True)


def reuse(folder: Path, results: pd.DataFrame) -> None:
    """Store runs done elsewhere (an extended sweep's) in ``folder``, as one part, before any run."""
    if len(results):
        RunStore(folder, RESULT_KINDS).write(str(results["run_id"].iloc[0]), {"results": results})


def execute(cfg: SweepConfig, design: Design, folder: Path, backend: Backend, *, quiet: bool = False) -> int:
    """Run every run of the design not yet stored, on ``backend``; returns how many ran now."""
    work, chunk = work_of(cfg.model, cfg.outputs, len(design.specs), backend.workers, cfg.per_year)
    return run_specs(design.specs, RunStore(folder, RESULT_KINDS), backend, quiet=quiet,
                     label=f"sweep {cfg.method}", work=work, chunk=chunk, whole=True)


def analyze(cfg: SweepConfig, design: Design, results: pd.DataFrame, steps: int | None) -> dict[str, Any]:
    """Indices, seed noise and point means of a finished design (plain tables, nothing written)."""
    columns = analysis.output_columns(cfg.outputs, cfg.per_year, steps or 0)
    col_names = [c for _, _, c in columns]
    means = analysis.point_means(design.runs, results, col_names)
    # SALib reads a seed of 0 as "no seed" (unrepeatable intervals), hence the offset.
    module = cfg.method_module()
    indices, skipped = analysis.analyze(module, design.problem, design.analysed_inputs(module), means, columns,
                                        seed=cfg.seed + 1, options=cfg.method_options(), dummy=cfg.dummy)
    noise = analysis.seed_noise(design.runs, results, columns, cfg.seeds, stochastic=cfg.stochastic(),
                                shared_streams=not cfg.reseeds())
    points = design.points.merge(means.reset_index(), on="point", how="left")
    converge = (analysis.convergence(module, design.problem, design.analysed_inputs(module), means, columns,
                                     samples=cfg.samples, seed=cfg.seed + 1, options=cfg.method_options())
                if module.NESTED else None)
    return {"indices": indices, "noise": noise, "skipped": skipped, "points": points, "convergence": converge}


def finish(cfg: SweepConfig, design: Design, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Consolidate the results, compute indices and seed noise, write the tables, figures and report."""
    from ..reporting.sweep import write_sweep_report

    store = RunStore(folder, RESULT_KINDS)
    store.consolidate()
    out = analyze(cfg, design, store.read("results"), manifest["steps"])
    files.write_parquet(folder, "point_means.parquet", out["points"])
    files.write_csv(folder, "indices.csv", out["indices"])
    files.write_csv(folder, "seed_noise.csv", out["noise"])
    if out["convergence"] is not None:
        files.write_csv(folder, "convergence.csv", out["convergence"])
    meanings = {k: o.meaning for k, o in outcomes.OUTCOMES.items()} if cfg.model is None else {}
    param_meanings = {k: p.meaning for k, p in REGISTRY.items()} if cfg.model is None else {}
    write_sweep_report(folder, manifest, out["indices"], out["points"], out["noise"], out["skipped"], cfg.method,
                       cfg.method_module(), meanings, param_meanings, convergence=out["convergence"])
    return out


def target_of(model: str | Model) -> str:
    """The ``"package.module:function"`` name of a model given by name or as a module-level function."""
    if isinstance(model, str):
        return model
    target = f"{getattr(model, '__module__', '')}:{getattr(model, '__qualname__', '')}"
    try:
        if functions.load(target) is model:
            return target
    except ModelError:
        pass
    raise ModelError(f"{model!r} is not a module-level function: workers find a model by its "
                     f"'package.module:function' name, so define it at the top of a module")


def sweep_model(model: str | Model, inputs: Mapping[str, tuple[float, float]], *,
                outputs: Sequence[str] | None = None, method: str = "sobol", samples: int = 1024, seeds: int = 1,
                seed: int = 0, options: Mapping[str, Any] | None = None, workers: int = 1,
                folder: str | Path | None = None, quiet: bool = True, dummy: bool = True) -> dict[str, Any]:
    """Global sensitivity analysis of any function from named inputs to named outputs.

    The same design, sampler, crash-safe runner and analyzer as ``run.py sweep``
    (and as a sweep file with ``model = "package.module:function"``), for a
    model of :mod:`simulation.experiments.functions`: ``inputs`` maps each input
    to its ``(low, high)`` range; ``outputs`` defaults to every output the
    model returns. ``dummy`` adds the method's reference input (for Sobol' and
    Morris on a model that takes a seed, one that re-keys its random streams).
    Runs are stored in ``folder`` (a temporary one if None).
    Returns the tables ``indices``, ``noise``, ``points`` and the ``skipped`` outputs.

        >>> from simulation.sensitivity import known, sweep_model
        >>> out = sweep_model(known.ishigami, known.ISHIGAMI_INPUTS, samples=1024)
        >>> out["indices"].query("index == 'S1'")  # doctest: +SKIP
    """
    target = target_of(model)
    cfg = SweepConfig(method=method, samples=samples, seeds=seeds, seed=seed, options=dict(options or {}), dummy=dummy,
                      model=target, inputs={k: [float(v[0]), float(v[1])] for k, v in inputs.items()},
                      outputs=list(outputs) if outputs is not None else model_outputs(COMMAND_LINE, target, inputs),
                      source=COMMAND_LINE)
    cfg.validate()
    design = build(cfg)
    with contextlib.ExitStack() as stack:
        where = Path(folder) if folder is not None else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        backend = make_backend(workers)
        try:
            execute(cfg, design, where, backend, quiet=quiet)
        finally:
            backend.close()
        store = RunStore(where, RESULT_KINDS)
        store.consolidate()
        return analyze(cfg, design, store.read("results"), None)


def load_config(folder: Path, manifest: dict[str, Any] | None = None) -> tuple[SweepConfig, dict[str, Any]]:
    """The config and manifest of a sweep folder (for --resume); ``manifest`` if it was read already."""
    if manifest is None:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    try:
        # a sweep started before the reference input existed had none
        cfg = SweepConfig(**{"dummy": False, **dict(manifest["config"])})
        cfg.validate()
    except (KeyError, TypeError, ValueError) as err:  # a manifest edited by hand or from elsewhere
        raise FolderError(f"--resume {folder}: manifest.json does not describe a sweep this version can "
                          f"resume ({type(err).__name__}: {str(err)[:80]})") from None
    return cfg, manifest
