"""``attribute``: a package's effect split among its entries (or groups of them) by Shapley values."""

from __future__ import annotations

import argparse
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import files
from ..api import replicate_seeds
from ..experiments.functions import ModelError, probe
from ..experiments.job import Job
from ..scenario import load
from .common import (
    UsageError,
    already_complete,
    check_out,
    cluster,
    create,
    run_session,
    scenario_info,
    trusted_model,
)


def _outcomes(text: str | None, model: bool) -> list[str]:
    from ..experiments import attribution

    names = [x.strip() for x in text.split(",") if x.strip()] if text else []
    if model:
        if not names:
            raise UsageError("--model needs --outcomes: the model's outputs to attribute")
        return names
    try:
        return attribution.check_outcomes(names or list(attribution.PRIMARY))
    except ValueError as err:
        raise UsageError(f"--outcomes: {err}") from None


class Settings(BaseModel):
    """What an attribution's design depends on, as a resume reads it back from manifest.json."""

    model_config = ConfigDict(strict=True, extra="ignore")
    scenario_ref: str | None = Field(max_length=4096)
    baseline_ref: str = Field(max_length=4096)
    model: str | None = Field(max_length=200)
    players: list[Annotated[str, Field(max_length=200)]] | None = Field(max_length=64)
    by: Literal["entry", "level", "stage", "determinant", "deliverer"]
    seeds: list[Annotated[int, Field(ge=0, lt=2**63)]] = Field(min_length=1, max_length=100_000)
    outcomes: list[Annotated[str, Field(max_length=200)]] = Field(min_length=1, max_length=64)
    exact: bool | None
    orders: int | None = Field(ge=1, le=100_000)
    order_seed: int
    reallocate: bool


def _settings(args: argparse.Namespace, job: Job | None) -> dict[str, Any]:
    """What the design depends on, from the flags (a new job) or the manifest (a resumed one)."""
    if job is not None:
        try:
            s = Settings.model_validate(job.manifest).model_dump()
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            raise job.unreadable(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        trusted_model(job, s["model"], args.model)
        return s
    model = args.model
    if model and not args.players:
        raise UsageError("--model needs --players: the model's inputs that play (1 in a coalition, 0 outside)")
    if not model and not args.scenario:
        raise UsageError("give a SCENARIO to attribute (or --model with --players)")
    if args.exact and args.orders:
        raise UsageError("--exact and --orders exclude each other")
    # the manifest's "baseline_ref" is the control (--control), the key kept for folders already written
    return {"scenario_ref": args.scenario, "baseline_ref": args.control, "model": model,
            "players": [p.strip() for p in args.players.split(",")] if args.players else None, "by": args.by,
            "seeds": replicate_seeds(args.seeds, root=args.seed), "outcomes": _outcomes(args.outcomes, bool(model)),
            "exact": True if args.exact else None, "orders": args.orders or None, "order_seed": args.seed,
            "reallocate": bool(args.reallocate)}


def _design(s: dict[str, Any]):
    from ..experiments import attribution

    orders = s["orders"] or attribution.ORDERS
    if s["model"]:
        names = s["players"]
        if len(set(names)) != len(names) or len(names) < 2:
            raise UsageError("--players: at least two distinct input names")
        try:
            probe(s["model"], {n: 1.0 for n in names}, s["outcomes"], s["seeds"][0])
        except ModelError as err:
            raise UsageError(f"--model {s['model']}: {err}") from None
        return attribution.design_model(s["model"], names, s["seeds"], s["exact"], orders, s["order_seed"])
    scenario, baseline = load(s["scenario_ref"]), load(s["baseline_ref"])
    try:
        return attribution.design(scenario, baseline, s["seeds"], s["by"], s["exact"], orders, s["order_seed"],
                                  s["reallocate"])
    except ValueError as err:
        raise UsageError(str(err)) from None


def cmd_attribute(args: argparse.Namespace) -> int:
    from ..experiments import attribution
    from ..reporting.attribution import sentences, write_report

    job: Job | None = None
    if args.resume:
        job = Job.resume(args.resume, "attribute", what="an attribution")
        if job.is_complete:
            return already_complete(job)
    else:
        check_out(args.out)
    s = _settings(args, job)
    d = _design(s)
    if len(d.names) > 16 and s["exact"]:
        raise UsageError(f"--exact with {len(d.names)} players would run 2**{len(d.names)} coalitions; "
                         f"leave it out to sample orders")
    if job is None:
        fields: dict[str, Any] = {**s, "players_found": list(d.names),
                                  "method": "exact" if d.sampled is None else f"{len(d.sampled)} sampled orders",
                                  "runs": len({x.run_id for x in d.specs})}
        if not s["model"]:
            fields.update(scenario=scenario_info(load(s["scenario_ref"])),
                          baseline=scenario_info(load(s["baseline_ref"])))
        name = s["model"].split(":")[-1] if s["model"] else load(s["scenario_ref"]).name
        job = create("attribute", [name, f"by-{s['by']}"], args.out, fields,
                     title=f"attribution: {name} against {s['baseline_ref'] if not s['model'] else 'all inputs 0'}")
    holder: dict[str, Any] = {}
    backend = cluster(args)

    def go() -> int:
        holder["results"], ran = attribution.run(d, job.folder, backend, s["outcomes"], quiet=args.quiet)
        return ran

    run_session(args, job, backend, go)
    table = attribution.table(d, holder["results"], s["outcomes"])
    files.write_csv(job.folder, "attribution.csv", table)
    write_report(job.folder, table, job.manifest)
    job.complete()
    print(f"results: {job.folder}")
    if not args.quiet:
        for line in sentences(table, s["outcomes"][0]):
            print(f"  {line}")
    return 0


def add_parser(sub: Any, raw: Any) -> None:
    from ..experiments.attribution import BY, EXACT_MAX, ORDERS, PRIMARY
    from .common import Given, add_control_flag, add_job_flags, key_bounds, whole

    p = sub.add_parser(
        "attribute", help="a package's effect split among its entries by Shapley values, with intervals",
        formatter_class=raw,
        description="Run every coalition of the package's entries (or a sample of orders) on common seeds and "
                    "split the package's effect on each outcome among its entries by Shapley values, with 95% "
                    "intervals; the interaction share (together minus the sum of each alone) is the package's "
                    "integration dividend. A coalition without an entry loses its money (--reallocate spreads "
                    "the whole budget over the coalition instead).",
        epilog="examples:\n  python run.py attribute indonesia_2014\n"
               "  python run.py attribute integrated --by level --seeds 20\n"
               "  python run.py attribute my.toml --control baseline --reallocate\n"
               "  python run.py attribute --model mypkg.game:worth --players a,b,c --outcomes value\n\n"
               f"exact up to {EXACT_MAX} players, else {ORDERS} sampled orders (--orders, --exact)")
    p.add_argument("scenario", nargs="?", default=None, help="the scenario whose package is attributed")
    add_control_flag(p, "no_policy", "the scenario that means no entry: its package is the empty coalition's "
                                     "(default no_policy)")
    p.add_argument("--by", choices=BY, default="entry", help="players: entries (default) or groups of them")
    # bounded as the manifest's keys a resume checks (Settings)
    p.add_argument("--seeds", type=whole(1, key_bounds(Settings, "seeds")[1]), default=20, action=Given,
                   help="common seeds per coalition (default 20)")
    p.add_argument("--outcomes", default=None, help=f"comma-separated (default {','.join(PRIMARY)})")
    p.add_argument("--exact", action="store_true", help="every coalition, however many players")
    p.add_argument("--orders", type=whole(*key_bounds(Settings, "orders")), default=None,
                   help=f"sampled orders (default {ORDERS} past {EXACT_MAX} players)")
    p.add_argument("--reallocate", action="store_true",
                   help="a coalition gets the whole package's budget, shared as its entries' budgets are")
    p.add_argument("--model", default=None, metavar="PKG.MODULE:FUNCTION",
                   help="attribute a model of the custom-model hook instead of a scenario (with --resume: the same "
                        "model, given again; a resume never imports code a folder names)")
    p.add_argument("--players", default=None, help="with --model: the inputs that play, comma-separated")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local", help="run on a Dask cluster")
    add_job_flags(p, "attribution", seed="root of the common seeds and of the sampled orders (default 0)")
    p.set_defaults(func=cmd_attribute)
