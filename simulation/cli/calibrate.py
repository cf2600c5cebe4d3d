"""``calibrate`` (fit free parameters to the stylized facts) and ``check-facts``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..api import replicate_seeds
from ..experiments.job import Job
from ..experiments.limits import MAX_BUDGET_RUNS, MAX_SEED, MAX_SEEDS, MAX_STEPS
from ..inputs import show
from ..scenario import load
from .common import UsageError, already_complete, cluster, create, scenario_info


def _horizon(targets: Any) -> Any:
    """``targets`` if its runs are at most MAX_STEPS quarters (the facts' windows set them), else UsageError."""
    if targets.steps > MAX_STEPS:  # a window's last quarter has no bound of its own in the targets file
        raise UsageError(f"{targets.path}: a fact's window ends at quarter {show(targets.steps)}; runs are at most "
                         f"{MAX_STEPS} quarters, as a scenario's steps")
    return targets


def cmd_check_facts(args: argparse.Namespace) -> int:
    import tempfile

    from ..calibration import load as load_targets
    from ..calibration.job import check, format_fit
    from ..experiments.backends import make_backend

    targets = _horizon(load_targets(args.targets))
    scenario = load(args.scenario or targets.scenario)
    seeds = args.seeds or 2 * targets.seeds
    if seeds > MAX_SEEDS:  # the targets file's seeds has no bound of its own
        raise UsageError(f"{targets.path}: calibration.seeds: check-facts runs twice the file's seeds, at most "
                         f"{MAX_SEEDS}; got {seeds} (give --seeds)")
    backend = make_backend(args.workers)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            fit = check(targets, scenario, seeds, Path(tmp), backend, quiet=args.quiet)
    finally:
        backend.close()
    print(f"stylized facts of {targets.path.name} on {scenario.name}, {seeds} seeds:")
    print(format_fit(fit))
    outside = fit[~fit["inside"] & ~fit["known_gap"]]
    gaps = fit[~fit["inside"] & fit["known_gap"]]
    if len(gaps):
        print(f"\nknown gaps (the targets file says why the model does not reproduce them yet): "
              f"{', '.join(gaps['fact'])}")
    if len(outside):
        print(f"\n{len(outside)} of {len(fit)} facts outside their band: {', '.join(outside['fact'])}")
        return 1
    print(f"\nevery fact without a known gap is inside its band ({int(fit['inside'].sum())} of {len(fit)})")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..calibration import load as load_targets
    from ..calibration.job import calibrate, format_fit

    job: Job | None = None
    if args.resume:
        job = Job.resume(args.resume, "calibrate", what="a calibration")
        if job.is_complete:
            return already_complete(job)
        try:
            targets_file, budget, seed = (job.manifest[k] for k in ("targets_file", "budget", "base_seed"))
        except KeyError as err:
            raise job.unreadable(f"KeyError: {err}") from None
        # bounded as the flags are: a doctored manifest must not run without bound
        for key, value, low, high in (("budget", budget, 1, MAX_BUDGET_RUNS), ("base_seed", seed, 0, MAX_SEED)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise job.unreadable(f"{key}: must be a whole number in [{low}, {high}], got {show(value)}")
        if not isinstance(targets_file, str):
            raise job.unreadable(f"targets_file: must be a path, got {show(targets_file)}")
        targets = _horizon(load_targets(targets_file))
    else:
        targets = _horizon(load_targets(args.targets))
        if not targets.free:
            raise UsageError(f"{targets.path}: calibration.free lists no parameter to fit")
        budget, seed = args.budget, args.seed
        per_point = targets.seeds * (1 + len(targets.counterfactuals))
        if budget < 4 * per_point * len(targets.free):
            raise UsageError(f"--budget {budget}: at least {4 * per_point * len(targets.free)} runs are needed "
                             f"({per_point} runs a point: {targets.seeds} seeds x "
                             f"{per_point // targets.seeds} arms; 4 points "
                             f"per free parameter)")
    scenario = load(targets.scenario)
    backend = cluster(args)
    try:
        if job is None:
            fields = {
                "targets_file": str(targets.path), "targets": targets.path.read_text(encoding="utf-8"),
                "scenario": scenario_info(scenario), "free": list(targets.free), "budget": budget,
                "base_seed": seed, "seeds": replicate_seeds(targets.seeds, root=seed), "steps": targets.steps,
            }
            job = create("calibrate", [scenario.name], args.out, fields, title=f"calibration of {scenario.name}")
        out = calibrate(targets, scenario, job.folder, backend, budget=budget, seed=seed, quiet=args.quiet)
    finally:
        backend.close()
    job.complete(best=out["best"], evaluations=len(out["history"]))
    print(f"results: {job.folder}")
    if not args.quiet:
        print("best fit: " + ", ".join(f"{k} = {v:.4g}" for k, v in out["best"].items()))
        print(format_fit(out["fit"]))
    return 0
