"""``list``, ``show``, ``run`` and ``compare``: replicate runs of scenarios, and their reports."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .. import files
from ..api import replicate_seeds
from ..experiments.job import Job
from ..params import REGISTRY
from ..scenario import SCENARIO_DIR, Scenario, load, scenario_names
from .common import UsageError, already_complete, create, load_all, scenario_info


def cmd_list(args: argparse.Namespace) -> int:
    names = scenario_names(SCENARIO_DIR)
    width = max(len(n) for n in names)
    print(f"{'scenario':{width}}  {'budget kUSD':>11}  {'hypothesis':16}  title")
    for name in names:
        s = load(name)
        print(f"{name:{width}}  {s.package.total_budget:>11,.0f}  {s.hypothesis[:16]:16}  {s.title}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    s = load(args.scenario)
    resolved = s.resolved_params
    print(f"{s.name}: {s.title}")
    print(f"file: {s.path}")
    if len(s.chain) > 1:
        print("inherits: " + " <- ".join(reversed(s.chain)))
    if s.hypothesis:
        print(f"hypothesis: {s.hypothesis}")
    if s.description:
        print("\n" + s.description.strip())
    print(f"\nhorizon: {s.steps} quarters")
    print("\nparameters (* = set by the scenario):")
    for p in REGISTRY.values():
        mark = "*" if p.name in s.params else " "
        print(f" {mark} {p.name:28} {resolved[p.name]!s:>10}  {p.unit:14} [{p.group}]")
    print(f"\npackage: {len(s.package.entries)} entries, total budget {s.package.total_budget:,.1f} kUSD")
    if s.package.entries:
        print(f"  {'instrument':30} {'level':6} {'stage':13} {'determinant':15} {'budget':>9} {'dose':>5} "
              f"{'start':>5} {'end':>5}  {'delivered':9} targeting")
        for e in s.package.entries:
            spec = e.spec
            tgt = e.targeting.select
            if e.targeting.regions is not None:
                tgt += f", regions {list(e.targeting.regions)}"
            if e.targeting.sectors is not None:
                tgt += f", sectors {list(e.targeting.sectors)}"
            end = "end" if e.end is None else str(e.end)
            print(f"  {e.instrument:30} {spec.level:6} {spec.stage:13} {spec.determinant:15} {e.budget:>9,.1f} "
                  f"{e.intensity:>5g} {e.start:>5} {end:>5}  {e.deliverer:9} {tgt}")
        for attr in ("level", "stage"):
            parts = ", ".join(f"{k} {v:,.0f}" for k, v in s.package.budget_by(attr).items())
            print(f"  budget by {attr}: {parts}")
    return 0


def _plan(args: argparse.Namespace, scenarios: list[Scenario], seeds: list[int]):
    from ..experiments.runner import RunSpec
    return [RunSpec.make(s, seed, args.steps) for s in scenarios for seed in seeds]


def _create(args: argparse.Namespace, command: str, scenarios: list[Scenario], seeds: list[int], specs,
            extra: dict[str, Any]) -> Job:
    steps = args.steps if args.steps is not None else scenarios[0].steps
    names = [s.name for s in scenarios]
    fields = {"scenarios": [scenario_info(s) for s in scenarios], "seeds": seeds, "base_seed": args.seed,
              "steps": steps, "workers": args.workers, "runs": [spec.__dict__ for spec in specs], **extra}
    return create(command, names, args.out, fields, title=f"{command}: {', '.join(names)}")


def _execute(job: Job, specs, workers: int, quiet: bool) -> None:
    from ..experiments.backends import make_backend
    from ..experiments.runner import run_specs
    from ..experiments.store import RunStore

    backend = make_backend(workers)
    try:
        run_specs(specs, RunStore(job.folder), backend, quiet=quiet, label=job.command, whole=True)
    finally:
        backend.close()


def _finish(job: Job, quiet: bool, control: str | None, note: str = "") -> None:
    from ..experiments import compare
    from ..experiments.store import RunStore
    from ..reporting.report import write_report

    folder, manifest = job.folder, job.manifest
    store = RunStore(folder)
    store.consolidate()
    summaries = store.read("summaries")
    ts = store.read("timeseries")
    diffs = None
    if control is not None:
        diffs = compare.differences(summaries, control)
        files.write_csv(folder, "comparison.csv", diffs)
    per_scenario = summaries.groupby("scenario").mean(numeric_only=True).drop(columns=["seed", "steps"])
    files.write_csv(folder, "scenario_means.csv", per_scenario, index=True)
    write_report(folder, manifest, manifest["scenarios"], summaries, ts, diffs, note)
    job.complete()
    print(f"results: {folder}")
    if quiet:
        return
    if diffs is not None:
        print(f"\ndifferences from {control} (paired 95% CI, {len(manifest['seeds'])} seeds):")
        for r in diffs.itertuples():
            print(f"  {r.scenario:28} {r.outcome:34} {r.difference:+11.4g}  [{r.ci_low:+.4g}, {r.ci_high:+.4g}]  "
                  f"{r.verdict}")
    else:
        cols = ["exporter_years", "lasting_entrants", "exporters", "export_participation",
                "gvc_participation", "new_exporters", "exits", "budget_spent"]
        print("\nmeans over seeds at the horizon:")
        print(per_scenario[cols].to_string(float_format=lambda x: f"{x:,.3f}"))
    if note:
        print("\n" + note)


def cmd_run(args: argparse.Namespace) -> int:
    if args.resume:
        return _resume(args)
    scenarios = load_all([args.scenario])
    seeds = replicate_seeds(args.seeds, root=args.seed)
    specs = _plan(args, scenarios, seeds)
    job = _create(args, "run", scenarios, seeds, specs, {"baseline": None})
    _execute(job, specs, args.workers, args.quiet)
    _finish(job, args.quiet, None)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    if args.resume:
        return _resume(args)
    refs = list(args.scenarios)
    if len(refs) < 2:
        raise UsageError("compare needs at least two scenarios")
    scenarios = load_all(refs)
    names = [s.name for s in scenarios]
    control = args.control or names[0]
    if control not in names:
        raise UsageError(f"--control {control!r} is not among the scenarios compared ({', '.join(names)}); "
                         f"give one of their names")
    steps = {args.steps or s.steps for s in scenarios}
    if len(steps) > 1:
        raise UsageError("the scenarios have different horizons; pass --steps to compare them over the same one")
    precision = args.precision
    if precision is not None and "seeds" in (getattr(args, "given_flags", None) or ()):
        print(f"note: with --precision, --seeds is not used: seeds are added {args.batch} at a time (--batch) up "
              f"to {args.max_seeds} (--max-seeds)", file=sys.stderr)
    first = args.seeds if precision is None else min(args.batch, args.max_seeds)
    seeds = replicate_seeds(first, root=args.seed)
    specs = _plan(args, scenarios, seeds)
    # "baseline" names the control arm in the manifest (the key kept for folders already written)
    extra = {"baseline": control, "precision": precision, "max_seeds": args.max_seeds, "batch": args.batch}
    job = _create(args, "compare", scenarios, seeds, specs, extra)
    return _compare_loop(args, job, scenarios, specs)


def _compare_loop(args: argparse.Namespace, job: Job, scenarios: list[Scenario], specs) -> int:
    from ..experiments import compare
    from ..experiments.runner import RunSpec
    from ..experiments.store import RunStore

    manifest = job.manifest
    precision = manifest.get("precision")
    note = ""
    while True:
        _execute(job, specs, args.workers, args.quiet)
        if precision is None:
            break
        diffs = compare.differences(RunStore(job.folder).read("summaries"), manifest["baseline"])
        n = len(manifest["seeds"])
        at_max = n >= manifest["max_seeds"]
        if compare.precise_enough(diffs, precision) or at_max:
            note = compare.precision_note(diffs, precision, n, at_max)
            break
        more = min(manifest["batch"], manifest["max_seeds"] - n)
        seeds = replicate_seeds(n + more, root=manifest["base_seed"])
        added = [RunSpec.make(s, seed, manifest["steps"]) for s in scenarios for seed in seeds[n:]]
        specs = specs + added
        job.update(seeds=seeds, runs=manifest["runs"] + [spec.__dict__ for spec in added])
    _finish(job, args.quiet, manifest["baseline"], note)
    return 0


def _resume(args: argparse.Namespace) -> int:
    job = Job.resume(args.resume, ("run", "compare"))
    if job.is_complete:
        return already_complete(job)
    specs = job.run_specs()
    if job.command == "compare":
        try:
            infos = list(job.manifest["scenarios"])
            scenarios = [load(info["file"]) for info in infos]
            for s, info in zip(scenarios, infos):
                if s.to_dict() != {k: info[k] for k in s.to_dict()}:
                    raise UsageError(f"--resume {job.folder}: scenario {s.name!r} changed since the run started")
        except (KeyError, TypeError) as err:
            raise job.unreadable(f"{type(err).__name__}: {str(err)[:80]}") from None
        return _compare_loop(args, job, scenarios, specs)
    _execute(job, specs, args.workers, args.quiet)
    _finish(job, args.quiet, job.manifest.get("baseline"))
    return 0
