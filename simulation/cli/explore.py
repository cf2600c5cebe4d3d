"""``explore``: where each direction holds over the uncertain parameters (scenario discovery)."""

from __future__ import annotations

import argparse
from typing import Any

from ..experiments.job import Job
from .common import (
    UsageError,
    already_complete,
    check_out,
    cluster,
    create,
    run_session,
    stored_model,
    trusted_model,
)
from .sweeps import model_overrides


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings given on the command line (None where the user gave none)."""
    def split(text: str | None) -> list[str] | None:
        return [x.strip() for x in text.split(",") if x.strip()] if text else None

    from ..discovery.design import DEFAULT_DIRECTIONS, QUESTIONS

    directions = None
    if args.directions:
        keywords = {"all": DEFAULT_DIRECTIONS, "questions": QUESTIONS}
        directions = [d for d in args.directions if d.lower() not in keywords] or None
        for word, names in keywords.items():
            if any(d.lower() == word for d in args.directions):
                directions = list(dict.fromkeys([*names, *(directions or [])]))
    if args.over == "judgment" and args.params:
        raise UsageError("--params and --over judgment: the plausible worlds vary every judgment number, "
                         "not named parameters")
    return {"directions": directions, "params": split(args.params), "samples": args.samples, "seeds": args.seeds,
            "seed": args.seed, "steps": args.steps, "map": split(args.map), "grid": args.grid, "over": args.over}


def cmd_explore(args: argparse.Namespace) -> int:
    from ..discovery import explore
    from ..discovery.design import ExploreConfig, build

    if args.resume:
        return _resume(args)
    overrides = {**_overrides(args), **model_overrides(args)}
    if overrides["model"] is not None and not args.config:
        raise UsageError("--model: an exploration of a model judges the comparisons of a file (--config FILE "
                         "with [comparisons.NAME] output, expect and claim)")
    if args.config:
        cfg = ExploreConfig.from_toml(args.config, overrides)
    else:
        cfg = ExploreConfig(**{k: v for k, v in overrides.items() if v is not None})
        cfg.validate()
    check_out(args.out)
    plan = build(cfg)
    backend = cluster(args)
    names = [c.name for c in plan.claims]
    try:
        fields = {"config": cfg.to_dict(), "claims": names, "samples": cfg.samples, "grid": cfg.grid,
                  "seeds": sorted(set(plan.runs["seed"]), key=list(plan.runs["seed"]).index),
                  "base_seed": cfg.seed, "steps": cfg.steps, "runs": len(plan.runs),
                  "distinct_runs": len(plan.specs), "params": plan.problem["names"], "map": cfg.map,
                  "model": cfg.model, "workers": args.workers, "scheduler": args.scheduler}
        job = create("explore", ["-".join(n.replace(" ", "_") for n in names)[:60]], args.out, fields,
                     title=f"where it holds: {', '.join(names)}")
        explore.prepare(plan, job.folder)
    except BaseException:
        backend.close()
        raise
    if not args.quiet:
        print(f"explore {', '.join(names)}: {cfg.samples} sampled worlds + a {cfg.grid}x{cfg.grid} map + the "
              f"defaults, {len(plan.specs):,} distinct runs -> {job.folder}")
    return _run(args, cfg, plan, job, backend)


def _run(args: argparse.Namespace, cfg, plan, job: Job, backend) -> int:
    from ..discovery import explore

    run_session(args, job, backend, lambda: explore.execute(cfg, plan, job.folder, backend, quiet=args.quiet))
    out = explore.finish(cfg, plan, job.folder, job.manifest)
    job.complete()
    print(f"results: {job.folder}")
    if not args.quiet:
        for r in out["summary"].itertuples():
            print(f"  {r.claim:16} holds {r.holds:4.0%}  unclear {r.unclear:4.0%}  fails {r.fails:4.0%}  "
                  f"at the defaults: {r.default_effect:+.3g} ({r.default_verdict})")
    if skipped := out["cart"].attrs.get("skipped"):  # printed even with --quiet: a missing method, not progress
        print(f"note: {skipped}")
    return 0


def _resume(args: argparse.Namespace) -> int:
    from ..discovery import explore
    from ..discovery.design import ExploreConfig
    from ..experiments.folders import FolderError

    if args.inputs is not None:
        raise UsageError("--resume finishes the exploration as it was planned: --inputs cannot change it")
    job = Job.resume(args.resume, "explore", what="an exploration")
    if job.is_complete:
        return already_complete(job)
    trusted_model(job, stored_model(job.manifest), args.model)
    try:
        cfg = ExploreConfig(**dict(job.manifest["config"]))
        cfg.validate()
    except (KeyError, TypeError, ValueError) as err:
        raise FolderError(f"--resume {job.folder}: manifest.json does not describe an exploration this version "
                          f"can resume ({type(err).__name__}: {str(err)[:80]})") from None
    try:
        plan = explore.check_resumable(cfg, job.folder)
    except ValueError as err:
        raise UsageError(f"--resume {job.folder}: {err}") from None
    return _run(args, cfg, plan, job, cluster(args))
