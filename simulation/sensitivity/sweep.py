"""A whole sweep into one folder: design, runs through the crash-safe runner, analysis, report.

Folder contents: ``manifest.json``, ``samples.parquet`` (the sample points),
``runs.parquet`` (point, seed, run id, role), ``results.parquet``/``.csv``
(one row of outcomes per run), ``point_means.parquet``, ``indices.csv``,
``seed_noise.csv``, ``figures/`` and ``report.html``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pandas as pd

from .. import outcomes
from ..experiments.backends import Backend
from ..experiments.folders import FolderError
from ..experiments.runner import chunk_size, evaluate, run_specs
from ..experiments.store import RunStore, write_parquet
from ..params import REGISTRY
from . import analysis
from .design import Design, SweepConfig, build

RESULT_KINDS = ("results",)


def prepare(design: Design, folder: Path) -> None:
    """Write the sample and the run plan (before any run)."""
    write_parquet(design.points, folder / "samples.parquet")
    write_parquet(design.runs, folder / "runs.parquet")


def check_resumable(cfg: SweepConfig, folder: Path) -> Design:
    """Rebuild the design of an interrupted sweep and check it is the one on disk."""
    design = build(cfg)
    stored = pd.read_parquet(folder / "runs.parquet")
    if list(stored["run_id"]) != list(design.runs["run_id"]):
        raise ValueError("the design no longer matches the runs on disk (the scenario, the parameter "
                         "registry or the version changed since the sweep started)")
    return design


def execute(cfg: SweepConfig, design: Design, folder: Path, backend: Backend, *, quiet: bool = False) -> int:
    """Run every run of the design not yet stored, on ``backend``; returns how many ran now."""
    work = functools.partial(evaluate, outputs=tuple(cfg.outputs), per_year=cfg.per_year)
    return run_specs(design.specs, RunStore(folder, RESULT_KINDS), backend, quiet=quiet,
                     label=f"sweep {cfg.method}", work=work, chunk=chunk_size(len(design.specs), backend.workers),
                     whole=True)


def finish(cfg: SweepConfig, design: Design, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Consolidate the results, compute indices and seed noise, write the tables, figures and report."""
    from ..reporting.sweep import write_sweep_report

    store = RunStore(folder, RESULT_KINDS)
    store.consolidate()
    results = store.read("results")
    steps = manifest["steps"]
    columns = analysis.output_columns(cfg.outputs, cfg.per_year, steps)
    col_names = [c for _, _, c in columns]
    means = analysis.point_means(design.runs, results, col_names)
    module = cfg.method_module()
    options = cfg.method_options()
    # SALib reads a seed of 0 as "no seed" (unrepeatable intervals), hence the offset.
    indices, skipped = analysis.analyze(module, design.problem, design.X, means, columns, seed=cfg.seed + 1,
                                        options=options)
    noise = analysis.seed_noise(design.runs, results, columns, cfg.seeds)
    points = design.points.merge(means.reset_index(), on="point", how="left")
    write_parquet(points, folder / "point_means.parquet")
    indices.to_csv(folder / "indices.csv", index=False)
    noise.to_csv(folder / "seed_noise.csv", index=False)
    meanings = {k: o.meaning for k, o in outcomes.OUTCOMES.items()}
    param_meanings = {k: p.meaning for k, p in REGISTRY.items()}
    write_sweep_report(folder, manifest, indices, points, noise, skipped, cfg.method, module, meanings,
                       param_meanings)
    return {"indices": indices, "noise": noise, "skipped": skipped, "points": points}


def load_config(folder: Path, manifest: dict[str, Any] | None = None) -> tuple[SweepConfig, dict[str, Any]]:
    """The config and manifest of a sweep folder (for --resume); ``manifest`` if it was read already."""
    if manifest is None:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    try:
        cfg = SweepConfig(**dict(manifest["config"]))
        cfg.validate()
    except (KeyError, TypeError, ValueError) as err:  # a manifest edited by hand or from elsewhere
        raise FolderError(f"--resume {folder}: manifest.json does not describe a sweep this version can "
                          f"resume ({type(err).__name__}: {str(err)[:80]})") from None
    return cfg, manifest
