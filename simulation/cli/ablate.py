"""``ablate``: each hypothesis's paired effect with each mechanism switched off."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import files
from ..api import replicate_seeds
from ..experiments.job import Job
from ..experiments.limits import MAX_SEEDS
from ..scenario import load
from .common import UsageError, already_complete, create, scenario_info


def _plan(args: argparse.Namespace) -> tuple[Job | None, list[Any], list[int]]:
    """The job to resume (or None for a new one), the directions and the seeds."""
    from ..experiments import ablation

    job: Job | None = None
    if args.resume:
        job = Job.resume(args.resume, "ablate", what="an ablation")
        if job.is_complete:
            return job, [], []
        try:
            names, seeds = list(job.manifest["directions"]), list(job.manifest["seeds"])
        except (KeyError, TypeError) as err:
            raise job.unreadable(f"{type(err).__name__}: {str(err)[:80]}") from None
        if not 1 <= len(seeds) <= MAX_SEEDS:  # as --seeds: a doctored manifest must not run without bound
            raise job.unreadable(f"seeds: 1 to {MAX_SEEDS} seeds, got {len(seeds):,}")
    else:
        names = args.directions.split(",") if args.directions else [d.name for d in ablation.DIRECTIONS]
        seeds = replicate_seeds(args.seeds, root=args.seed)
    try:
        directions = [ablation.direction(str(n).strip()) for n in names]
    except KeyError as err:
        raise UsageError(f"--directions: {err.args[0]}") from None
    if args.markdown is not None and not Path(args.markdown).parent.is_dir():
        raise UsageError(f"--markdown {args.markdown}: no such folder")
    return job, directions, seeds


def _again(directions: list[Any], seeds: list[int], base_seed: int | None) -> str:
    """The command that reruns this ablation, as the document states it."""
    from ..experiments import ablation

    return (f"python run.py ablate --seeds {len(seeds)}" + (f" --seed {base_seed}" if base_seed else "")
            + ("" if len(directions) == len(ablation.DIRECTIONS) else
               f" --directions '{','.join(d.name for d in directions)}'"))


def cmd_ablate(args: argparse.Namespace) -> int:
    from ..experiments import ablation
    from ..experiments.backends import make_backend
    from ..reporting.hypotheses import direction_verdict, markdown, read_worlds, verdicts

    job, directions, seeds = _plan(args)
    if job is not None and job.is_complete:
        return already_complete(job)
    cells = ablation.design(directions, seeds)
    if job is None:
        fields = {
            "directions": [d.name for d in directions], "seeds": seeds, "base_seed": args.seed,
            "scenarios": {n: scenario_info(load(n)) for d in directions for n in d.scenarios},
            "runs": len({c.spec.run_id for c in cells}),
        }
        job = create("ablate", ["-".join(d.name.replace(" ", "_") for d in directions)], args.out, fields,
                     title="ablation: " + ", ".join(d.name for d in directions))
    backend = make_backend(args.workers)
    try:
        results = ablation.run(cells, job.folder, backend, quiet=args.quiet)
    finally:
        backend.close()
    table = ablation.effects(cells, results, directions)
    files.write_csv(job.folder, "effects.csv", table)
    n_smes = int(load(directions[0].scenarios[0]).resolved_params["n_smes"])
    text = markdown(table, directions, len(seeds), n_smes, _again(directions, seeds, job.manifest.get("base_seed")))
    files.write_text(job.folder, "hypotheses.md", text)
    files.write_csv(job.folder, "verdicts.csv", verdicts(table, directions))
    job.complete()
    print(f"results: {job.folder}")
    if args.markdown is not None:  # with the plausible-worlds study's shares when they are beside it
        text = markdown(table, directions, len(seeds), n_smes, _again(directions, seeds, job.manifest.get("base_seed")),
                        read_worlds(args.markdown))
        files.write_user_file(args.markdown, text)  # a path the user named: their choice
        beside = Path(args.markdown).with_suffix(".csv")
        files.write_user_file(beside, verdicts(table, directions).to_csv(index=False))
        print(f"wrote {args.markdown} and {beside} (asked for with --markdown)")
    if not args.quiet:
        for d in directions:
            holds, carried = direction_verdict(table, d)
            print(f"  {d.name:16} {holds}; carried by its named mechanisms: {carried}")
    return 0
