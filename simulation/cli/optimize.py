"""``optimize``: packages within a budget, chosen by a many-objective search (pymoo's NSGA-II / NSGA-III)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import files
from ..api import replicate_seeds
from ..experiments.functions import ModelError, probe
from ..experiments.job import Job
from ..scenario import load, to_toml
from .common import (
    UsageError,
    already_complete,
    check_out,
    cluster,
    create,
    parse_inputs,
    run_session,
    scenario_info,
    trusted_model,
)

Name = Annotated[str, Field(max_length=200)]


class Settings(BaseModel):
    """What a search depends on, as a resume reads it back from manifest.json."""

    model_config = ConfigDict(strict=True, extra="ignore")
    scenario_ref: str | None = Field(max_length=4096)
    baseline_ref: str | None = Field(max_length=4096)
    model: str | None = Field(max_length=200)
    inputs: dict[Name, list[float]] | None = Field(max_length=64)
    instruments: list[Name] | None = Field(max_length=64)
    regulations: list[Name] = Field(default_factory=list, max_length=16)
    budget: float | None = Field(gt=0, lt=1e12)
    timing: bool
    delivery: bool
    objectives: list[Name] = Field(min_length=1, max_length=8)
    seeds: list[Annotated[int, Field(ge=0, lt=2**63)]] = Field(min_length=1, max_length=10_000)
    reeval_seeds: list[Annotated[int, Field(ge=0, lt=2**63)]] = Field(min_length=2, max_length=10_000)
    population: int = Field(ge=4, le=10_000)
    generations: int = Field(ge=1, le=10_000)
    seed: int
    robust_worlds: int = Field(ge=0, le=100_000)
    robust_seeds: list[Annotated[int, Field(ge=0, lt=2**63)]] = Field(max_length=1000)
    mode: Literal["simulation", "model"]


def _settings(args: argparse.Namespace, job: Job | None) -> dict[str, Any]:
    if job is not None:
        try:
            s = Settings.model_validate(job.manifest).model_dump()
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            raise job.unreadable(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        trusted_model(job, s["model"], args.model)
        return s
    from ..optimize.problem import DEFAULT_OBJECTIVES, programmes, regulations

    model = args.model
    if args.population < 4:
        raise UsageError(f"--population must be at least 4, got {args.population}")
    if model and not args.inputs:
        raise UsageError("--model needs --inputs NAME=LOW:HIGH,...: the decision variables")
    if model and not args.objectives:
        raise UsageError("--model needs --objectives OUTPUT:max|min,...")
    if model and args.robust:
        raise UsageError("--robust samples the simulation's worlds: not for --model")
    if model and args.regulations:
        raise UsageError("--regulations are the simulation's: not for --model")
    regs = [r.strip() for r in (args.regulations or "").split(",") if r.strip()]
    regs = regulations() if "all" in regs else regs
    base = None if model else load(args.scenario)
    # the manifest's "baseline_ref" is the control (--control), the key kept for folders already written
    return {"scenario_ref": None if model else args.scenario, "baseline_ref": None if model else args.control,
            "model": model, "inputs": parse_inputs(args.inputs) if model else None,
            "instruments": None if model else ([i.strip() for i in args.instruments.split(",")]
                                               if args.instruments else programmes()),
            "regulations": regs,
            "budget": None if model else float(args.budget or base.package.total_budget or 2400.0),
            "timing": bool(args.timing), "delivery": bool(args.delivery),
            "objectives": [o.strip() for o in args.objectives.split(",")] if args.objectives
            else list(DEFAULT_OBJECTIVES),
            "seeds": replicate_seeds(args.seeds, root=args.seed),
            "reeval_seeds": replicate_seeds(args.reeval_seeds, root=args.seed + 1),
            "population": args.population, "generations": args.generations, "seed": args.seed,
            "robust_worlds": args.robust if args.robust else 0,
            "robust_seeds": replicate_seeds(args.robust_seeds, root=args.seed + 2) if args.robust else [],
            "mode": "model" if model else "simulation"}


def _search(s: dict[str, Any]):
    from ..optimize.problem import ModelSpace, ProblemError, Space, enforcement_costs, parse_objectives
    from ..optimize.search import Search

    try:
        objectives = parse_objectives(s["objectives"], model=s["mode"] == "model")
        if s["mode"] == "model":
            space = ModelSpace({k: (v[0], v[1]) for k, v in s["inputs"].items()})
            try:
                probe(s["model"], {k: (v[0] + v[1]) / 2 for k, v in s["inputs"].items()},
                      [o.name for o in objectives], s["seeds"][0])
            except ModelError as err:
                raise UsageError(f"--model {s['model']}: {err}") from None
            return Search(space, objectives, s["seeds"], model=s["model"], population=s["population"],
                          generations=s["generations"], seed=s["seed"])
        base = load(s["scenario_ref"])
        regs = tuple(s["regulations"])
        space = Space(tuple(s["instruments"]), s["budget"], base.steps, s["timing"], s["delivery"], regs,
                      enforcement_costs(base, regs))
        return Search(space, objectives, s["seeds"], base=base, population=s["population"],
                      generations=s["generations"], seed=s["seed"])
    except ProblemError as err:
        raise UsageError(str(err)) from None


def _worlds(s: dict[str, Any]):
    from ..discovery.design import SAMPLE, ExploreConfig, sample_points

    points = sample_points(ExploreConfig(directions=[], samples=s["robust_worlds"], seed=s["seed"], grid=2))
    return points[points["kind"] == SAMPLE]


def cmd_optimize(args: argparse.Namespace) -> int:
    from ..extras import require

    require("pymoo", "optimize", "run.py optimize")  # before any folder is made
    from ..optimize import convergence
    from ..optimize import search as opt
    from ..reporting.optimize import sentences, write_report

    job: Job | None = None
    if args.resume:
        job = Job.resume(args.resume, "optimize", what="an optimization")
        if job.is_complete:
            return already_complete(job)
    else:
        check_out(args.out)
    s = _settings(args, job)
    search = _search(s)
    baseline = load(s["baseline_ref"]) if s["baseline_ref"] else None
    if job is None:
        fields: dict[str, Any] = {**s}
        if s["mode"] == "simulation":
            fields.update(scenario=scenario_info(search.base),
                          baseline=scenario_info(baseline) if baseline is not None else None)
        name = s["model"].split(":")[-1] if s["model"] else search.base.name
        job = create("optimize", [name], args.out, fields, title=f"optimize: {name}")
    holder: dict[str, Any] = {}
    backend = cluster(args)

    def go() -> int:
        holder["front"], holder["history"] = opt.optimize(search, job.folder, backend, quiet=args.quiet)
        holder["front"], holder["table"] = opt.reevaluate(search, holder["front"], s["reeval_seeds"], job.folder,
                                                          backend, baseline, quiet=args.quiet)
        holder["robust"] = (opt.robust(search, holder["front"], baseline, _worlds(s), s["robust_seeds"], job.folder,
                                       backend, quiet=args.quiet) if s["robust_worlds"] else None)
        return len(holder["history"])

    run_session(args, job, backend, go)
    holder["progress"] = convergence.progress(holder["history"], search.objectives)
    _write(job.folder, search, holder, s)
    objectives = [(o.name, o.sense) for o in search.objectives]
    write_report(job.folder, holder["history"], holder["table"], holder["robust"], objectives, job.manifest,
                 holder["progress"])
    job.complete()
    print(f"results: {job.folder}")
    if not args.quiet:
        for line in sentences(holder["table"], holder["robust"], objectives, holder["progress"]):
            print(f"  {line}")
    return 0


def _write(folder: Path, search: Any, holder: dict[str, Any], s: dict[str, Any]) -> None:
    """The tables, and each front package as a scenario file every command reads."""
    files.write_csv(folder, "history.csv", holder["history"])
    files.write_csv(folder, "front.csv", holder["table"])
    files.write_csv(folder, "convergence.csv", holder["progress"]["table"])
    if holder["robust"] is not None:
        files.write_csv(folder, "robust.csv", holder["robust"])
    if s["mode"] != "simulation":
        return
    for k, x in enumerate(holder["front"], start=1):
        scenario = search.space.scenario(search.base, x, name=f"package_{k}",
                                         title=f"Optimized package {k} ({s['budget']:,.0f} kUSD)")
        text = to_toml(scenario, description=f"Front package {k} of run.py optimize in {folder.name}: "
                                             f"{', '.join(str(o) for o in search.objectives)}.")
        files.write_text(folder, f"front/package_{k}.toml", text)


def add_parser(sub: Any, raw: Any) -> None:
    from ..optimize.problem import DEFAULT_OBJECTIVES
    from .common import Given, add_control_flag, add_job_flags, key_bounds, real, whole

    p = sub.add_parser(
        "optimize", help="packages within a budget on a Pareto front (NSGA-II), re-evaluated on new seeds",
        formatter_class=raw,
        description="Search the budget shares of the instruments (optionally their start quarters and "
                    "deliverers) for packages on the Pareto front of the objectives, on common seeds; "
                    "re-evaluate the front on new seeds; write each front package as a scenario file. "
                    "Gains are measured against --control (default no_policy) in the same world. "
                    "--robust runs the front and the control over sampled worlds.",
        epilog="examples:\n  python run.py optimize\n"
               "  python run.py optimize --budget 2400 --objectives new_exporters:max,budget_spent:min\n"
               "  python run.py optimize --timing --delivery --robust 20\n"
               "  python run.py optimize --regulations all\n"
               "  python run.py optimize --model mypkg.m:f --inputs a=0:1,b=0:1 --objectives y:max\n\n"
               f"default objectives: {','.join(DEFAULT_OBJECTIVES)}")
    p.add_argument("--scenario", default="baseline", help="the world packages run in (default baseline)")
    add_control_flag(p, "no_policy", "the scenario whose package gains are measured against, run in the same "
                                     "world (default no_policy)")
    p.add_argument("--budget", type=real(0, 1e12), default=None,  # as Settings.budget
                   help="kUSD (default: the scenario's package budget)")
    p.add_argument("--instruments", default=None, help="comma-separated (default: every programme)")
    p.add_argument("--regulations", default=None, metavar="LIST|all",
                   help="also choose these regulations' enforcement levels (0-1), their administration paid "
                        "from the budget first (default: none; the scenario's own are replaced by the package)")
    p.add_argument("--timing", action="store_true", help="also choose each instrument's start quarter")
    p.add_argument("--delivery", action="store_true", help="also choose who delivers each (national or local)")
    p.add_argument("--objectives", default=None, help="NAME:max|min, comma-separated")
    # every number bounded as the manifest's key a resume checks (Settings)
    def bounded(key: str, low: int = 0) -> Any:
        least, most = key_bounds(Settings, key)
        return whole(max(least, low), most)

    p.add_argument("--seeds", type=bounded("seeds"), default=4, action=Given,
                   help="common seeds per candidate (default 4)")
    p.add_argument("--reeval-seeds", type=bounded("reeval_seeds"), default=20,
                   help="new seeds for the front, at least 2 (default 20)")
    p.add_argument("--population", type=bounded("population"), default=24,
                   help="candidates per generation (default 24)")
    p.add_argument("--generations", type=bounded("generations"), default=12, help="generations (default 12)")
    p.add_argument("--robust", type=bounded("robust_worlds", low=1), default=None, metavar="WORLDS",
                   help="run the front and the control over this many sampled worlds")
    p.add_argument("--robust-seeds", type=bounded("robust_seeds", low=1), default=3,
                   help="seeds per world with --robust (default 3)")
    p.add_argument("--model", default=None, metavar="PKG.MODULE:FUNCTION",
                   help="optimize a model's inputs (with --resume: the same model, given again; a resume never "
                        "imports code a folder names)")
    p.add_argument("--inputs", default=None, help="with --model: NAME=LOW:HIGH,...")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local", help="run on a Dask cluster")
    add_job_flags(p, "optimization", seed="root of the seeds and of the search (default 0)")
    p.set_defaults(func=cmd_optimize)
