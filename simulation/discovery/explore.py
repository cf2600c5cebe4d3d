"""A whole exploration into one folder: design, runs through the crash-safe runner, analysis, report.

Folder contents: ``manifest.json``, ``points.parquet`` (every point: the
sample, the map's grid, the defaults), ``runs.parquet`` (claim, point, arm,
sign, seed, run id), ``results.parquet``/``.csv`` (one row of outcomes per
run), ``effects.csv`` (each claim's paired effect at each point, its interval
and verdict), ``summary.csv``, ``boxes.csv`` (PRIM's chosen box for
"holds" and for "fails", per claim, with quasi-p-values and in words),
``prim_trajectory.csv``, ``cart.csv`` (the CART tree's leaves),
``effect_tree.csv`` (a regression tree of the effects, with its cross-validated R² against a
permutation null), ``figures/`` and ``report.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .. import files
from ..experiments.backends import Backend
from ..experiments.runner import run_specs
from ..experiments.store import RunStore
from ..sensitivity.sweep import check_runs, work_of
from . import effects as fx
from .design import ExploreConfig, Plan, build

RESULT_KINDS = ("results",)


def prepare(plan: Plan, folder: Path) -> None:
    """Write the points and the run plan (before any run)."""
    files.write_parquet(folder, "points.parquet", plan.points)
    files.write_parquet(folder, "runs.parquet", plan.runs)


def check_resumable(cfg: ExploreConfig, folder: Path) -> Plan:
    """Rebuild the plan of an interrupted exploration and check it is the one on disk."""
    plan = build(cfg)
    check_runs(folder, plan.runs, "exploration", plan.points, "points.parquet")
    return plan


def execute(cfg: ExploreConfig, plan: Plan, folder: Path, backend: Backend, *, quiet: bool = False) -> int:
    """Run every run of the plan not yet stored, on ``backend``; returns how many ran now."""
    work, chunk = work_of(cfg.model, plan.outputs, len(plan.specs), backend.workers)
    return run_specs(plan.specs, RunStore(folder, RESULT_KINDS), backend, quiet=quiet, label="explore",
                     work=work, chunk=chunk, whole=True)


def analyze(cfg: ExploreConfig, plan: Plan, results: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Effects, verdicts, PRIM boxes and CART leaves of a finished plan (plain tables, nothing written)."""
    names = plan.problem["names"]
    bounds = dict(zip(names, map(tuple, plan.problem["bounds"])))
    effects = fx.point_effects(plan, results)
    trajectories, boxes, leaves, trees = [], [], [], []
    skipped = fx.cart_skipped()  # without scikit-learn (the explore extra): empty tree tables and this note
    for claim in plan.claims:
        e = effects[effects["claim"] == claim.name]
        # verdicts, then the effect-size reading: worlds whose estimate lies on the predicted side
        for of in (fx.HOLDS, fx.FAILS, *((fx.ABOVE,) if claim.expect else ())):
            trajectory, limits = fx.prim_boxes(e, names, bounds, of, claim.expect)
            if not trajectory.empty:
                trajectories.append(trajectory.reset_index(names="step").assign(claim=claim.name, of=of))
                boxes.append(limits.assign(claim=claim.name, of=of, **limits.attrs))
        if not skipped:
            leaves.append(fx.cart_rules(e, names).assign(claim=claim.name))
            trees.append(fx.effect_tree(e, names, claim.expect, seed=cfg.seed).assign(claim=claim.name))
    first = ["claim", "of"]
    cart = _frame(leaves, ["claim"]) if leaves else pd.DataFrame(columns=["claim", *fx.CART_COLUMNS])
    tree = _frame(trees, ["claim"]) if trees else pd.DataFrame(columns=["claim", *fx.TREE_COLUMNS])
    cart.attrs["skipped"] = tree.attrs["skipped"] = skipped
    return {"effects": effects, "summary": fx.summary(effects, plan.claims),
            "trajectory": _frame(trajectories, first), "boxes": _frame(boxes, first), "cart": cart,
            "effect_tree": tree}


def _frame(frames: list[pd.DataFrame], first: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=first)
    t = pd.concat(frames, ignore_index=True)
    return t[[*first, *[c for c in t.columns if c not in first]]]


def finish(cfg: ExploreConfig, plan: Plan, folder: Path, manifest: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Consolidate the results, analyse them, write the tables, figures and report."""
    from ..reporting.explore import write_explore_report

    store = RunStore(folder, RESULT_KINDS)
    store.consolidate()
    out = analyze(cfg, plan, store.read("results"))
    for name, key in (("effects", "effects"), ("summary", "summary"), ("boxes", "boxes"),
                      ("prim_trajectory", "trajectory"), ("cart", "cart"), ("effect_tree", "effect_tree")):
        files.write_csv(folder, f"{name}.csv", out[key])
    write_explore_report(folder, manifest, plan.claims, out, plan.problem, cfg.map)
    return out
