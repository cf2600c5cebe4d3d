"""``sweep``: global sensitivity analysis (SALib) over registry parameters."""

from __future__ import annotations

import argparse
from typing import Any

from ..api import replicate_seeds
from ..experiments.folders import FolderError, release
from ..experiments.job import Job
from .common import (
    UsageError,
    already_complete,
    check_out,
    cluster,
    create,
    parse_inputs,
    run_session,
    scenario_info,
    stored_model,
    trusted_model,
)

# What --extend keeps from the sweep it extends: every flag that shapes the design (only N changes).
DESIGN_FLAGS = ("scenario", "config", "method", "params", "outputs", "seeds", "seed", "steps", "per_year",
                "by_group", "dummy", "second_order", "option", "inputs")


def _sweep_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Sweep settings given on the command line (None where the user gave none)."""
    options: dict[str, Any] = {}
    for item in args.option or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--option {item!r}: expected KEY=VALUE, e.g. --option levels=6")
        options[key.strip()] = value.strip()
    if args.second_order:
        options["second_order"] = True

    def split(text: str) -> list[str]:
        return [x.strip() for x in text.split(",") if x.strip()]

    return {"scenario": args.scenario, "method": args.method, "samples": args.samples,
            "params": split(args.params) if args.params else None,
            "outputs": split(args.outputs) if args.outputs else None, "seeds": args.seeds, "seed": args.seed,
            "steps": args.steps, "per_year": True if args.per_year else None,
            "by_group": True if args.by_group else None, "dummy": args.dummy, "options": options or None}


def model_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--model`` and ``--inputs`` of a new study (None where not given): a function model instead of the
    simulation, as in a file's ``model = "package.module:function"`` and ``[inputs]``."""
    if args.inputs is not None and args.model is None:
        raise UsageError("--inputs goes with --model (the inputs of the model to run)")
    if args.model is not None and args.inputs is None and not args.config:
        raise UsageError("--model needs --inputs NAME=LOW:HIGH,...: the model's inputs and their ranges")
    return {"model": args.model, "inputs": parse_inputs(args.inputs) if args.inputs else None}


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..sensitivity.design import COMMAND_LINE, SweepConfig, build, model_outputs

    if args.resume and args.extend:
        raise UsageError("--resume and --extend: give one (--resume finishes a sweep, --extend enlarges one)")
    if args.resume:
        return _resume_sweep(args)
    if args.extend:
        return _extend_sweep(args)
    overrides = {**_sweep_overrides(args), **model_overrides(args)}
    if args.config:
        cfg = SweepConfig.from_toml(args.config, overrides)
    else:
        given = {k: v for k, v in overrides.items() if v is not None}
        if given.get("model") and "outputs" not in given:  # by default every output the model returns
            given["outputs"] = model_outputs(COMMAND_LINE, given["model"], given["inputs"])
        cfg = SweepConfig(**given)
        cfg.validate()
    if cfg.model is None:
        scenario = cfg.load_scenario()
        name, steps, info = scenario.name, cfg.steps or scenario.steps, scenario_info(scenario)
    else:  # a function from named inputs to named outputs (simulation.experiments.functions)
        name, steps, info = cfg.model.rpartition(":")[2], None, {"model": cfg.model, "inputs": cfg.inputs}
    check_out(args.out)  # before drawing the sample or starting any cluster
    design = build(cfg)   # before the folder, so a sample size the method rejects leaves nothing behind
    return _start(args, cfg, design, name, steps, info)


def _start(args: argparse.Namespace, cfg, design, name: str, steps: int | None, info: dict[str, Any],
           extends: dict[str, Any] | None = None, reused=None) -> int:
    """Create the sweep's folder, store its design (and the runs it reuses), run it, report it."""
    from ..params import DUMMY
    from ..sensitivity import sweep

    swept = [k for k in design.problem["names"] if k != DUMMY]
    backend = cluster(args)
    try:
        fields = {
            "config": cfg.to_dict(), "scenario": cfg.model or name,
            "scenario_info": info, "method": cfg.method, "samples": cfg.samples,
            "seeds": replicate_seeds(cfg.seeds, root=cfg.seed), "base_seed": cfg.seed, "steps": steps,
            "runs": len(design.runs), "distinct_runs": len(design.specs), "params": swept,
            "bounds": {k: b for k, b in zip(design.problem["names"], design.problem["bounds"]) if k in swept},
            "outputs": cfg.outputs,
            "options": cfg.method_options(), "problem": design.problem, "workers": args.workers,
            "scheduler": args.scheduler, **({"extends": extends} if extends else {}),
        }
        job = create("sweep", [name, cfg.method], args.out, fields, title=f"{cfg.method} sweep of {name}")
        sweep.prepare(design, job.folder)
        if reused is not None:
            sweep.reuse(job.folder, reused)
    except BaseException:
        backend.close()
        raise
    if not args.quiet:
        again = f" ({extends['reused_runs']:,} reused from {extends['folder']})" if extends else ""
        print(f"{cfg.method} sweep of {name}: {len(swept)} parameters, "
              f"{len(design.points)} points x {cfg.seeds} seed(s) = {len(design.runs)} runs{again} -> {job.folder}")
    return _run_sweep(args, cfg, design, job, backend)


def _extend_sweep(args: argparse.Namespace) -> int:
    """A finished Sobol' sweep at a larger N, in a new folder, reusing the runs it already has."""
    from .. import __version__
    from ..sensitivity import sweep

    given = [f"--{k.replace('_', '-')}" for k in DESIGN_FLAGS if getattr(args, k, None) not in (None, False, [])]
    if getattr(args, "dummy", None) is False:  # --no-dummy: store_false, so False means given
        given.append("--no-dummy")
    if given:
        raise UsageError(f"--extend keeps the design of the sweep it extends; only --samples changes "
                         f"(given: {', '.join(given)})")
    if args.samples is None:
        raise UsageError("--extend needs --samples, the larger N (e.g. twice the sweep's)")
    try:
        old = Job.resume(args.extend, "sweep")
    except FolderError as err:
        raise FolderError(str(err).replace("--resume", "--extend", 1)) from None
    try:
        if not old.is_complete:
            raise UsageError(f"--extend {old.folder}: the sweep is not finished; finish it first: "
                             f"python run.py sweep --resume {old.folder}")
        if old.manifest.get("version") != __version__:
            raise UsageError(f"--extend {old.folder}: made by version {old.manifest.get('version')}, this is "
                             f"{__version__}; its runs are not runs of this version: run a new sweep")
        trusted_model(old, stored_model(old.manifest), args.model, "--extend")
        cfg_old, _ = sweep.load_config(old.folder, old.manifest)
        try:
            cfg, design, reused = sweep.extension(cfg_old, old.folder, args.samples)
        except ValueError as err:
            raise UsageError(f"--extend {old.folder}: {err}") from None
        extends = {"folder": str(old.folder), "samples": cfg_old.samples, "reused_runs": len(reused)}
        steps, info = old.manifest.get("steps"), old.manifest.get("scenario_info", {})
        name = cfg.load_scenario().name if cfg.model is None else cfg.model.rpartition(":")[2]
    finally:
        release(old.folder)
    check_out(args.out)
    return _start(args, cfg, design, name, steps, info, extends, reused)


def _run_sweep(args: argparse.Namespace, cfg, design, job: Job, backend) -> int:
    from ..sensitivity import sweep

    run_session(args, job, backend, lambda: sweep.execute(cfg, design, job.folder, backend, quiet=args.quiet))
    out = sweep.finish(cfg, design, job.folder, job.manifest)
    job.complete()
    print(f"results: {job.folder}")
    if not args.quiet:
        _print_sweep(cfg, out)
    return 0


def _print_sweep(cfg, out: dict[str, Any]) -> None:
    from ..params import DUMMY
    from ..reporting.sweep_reading import reference_words

    module = cfg.method_module()
    idx = out["indices"]
    horizon = idx[idx["year"].isna() & (idx["index"] == module.MAIN)]
    for name, block in horizon.groupby("output", sort=False):
        ref = block.loc[block["parameter"] == DUMMY, "value"]
        block = block[block["parameter"] != DUMMY].sort_values("value", ascending=False).head(5)
        ranked = ", ".join(f"{r.parameter} {r.value:.3g}" + (f" ± {r.conf:.2g}" if r.conf == r.conf else "")
                           for r in block.itertuples())
        reference = f" (reference, {reference_words(module)}: {ref.iloc[0]:.3g})" if len(ref) else ""
        print(f"  {name:26} {module.MAIN}: {ranked}{reference}")
    for s in out["skipped"]:
        print(f"  {s['output']:26} not analysed: {s['reason']}")
    noisy = out["noise"][out["noise"]["noise_share"] >= 0.05]
    for r in noisy.itertuples():
        where = r.output if _isna(r.year) else f"{r.output} (year {r.year})"
        print(f"  seed noise is {r.noise_share:.0%} ({r.share_low:.0%} to {r.share_high:.0%}) of the variance of "
              f"{where}: {r.verdict}")


def _isna(x: Any) -> bool:
    """NaN or None (pandas is not imported at start-up)."""
    return x is None or x != x


def _resume_sweep(args: argparse.Namespace) -> int:
    from ..sensitivity import sweep

    if args.inputs is not None:
        raise UsageError("--resume finishes the sweep as it was planned: --inputs cannot change it")
    job = Job.resume(args.resume, "sweep")
    if job.is_complete:
        return already_complete(job)
    trusted_model(job, stored_model(job.manifest), args.model)
    cfg, _ = sweep.load_config(job.folder, job.manifest)
    try:
        design = sweep.check_resumable(cfg, job.folder)
    except ValueError as err:
        raise UsageError(f"--resume {job.folder}: {err}") from None
    return _run_sweep(args, cfg, design, job, cluster(args))
