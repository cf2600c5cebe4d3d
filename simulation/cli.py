"""The command line: ``python run.py COMMAND ...`` (also installed as ``sme-sim``).

Commands: ``list``, ``show``, ``run``, ``compare``, ``sweep``, ``ablate``, ``calibrate``, ``check-facts``, ``demo``.
Every input is checked
before anything is written; a bad input ends with one clear message and exit
code 2. Each invocation writes a new folder under ``outputs/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

from . import __version__
from .api import replicate_seeds
from .experiments import folders
from .experiments.folders import FolderError
from .experiments.store import StoreError
from .inputs import printable
from .params import REGISTRY, ParameterError
from .policy import PolicyError
from .scenario import SCENARIO_DIR, Scenario, ScenarioError, load, scenario_names

OUTPUTS = Path(__file__).resolve().parent.parent / "outputs"
LIBRARIES = ("mesa", "numpy", "pandas", "pyarrow", "scipy", "seaborn", "matplotlib", "SALib", "tqdm", "dask",
             "distributed")


class UsageError(Exception):
    """A command-line input that cannot be used (exit code 2)."""


# --- helpers -------------------------------------------------------------------

def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value < 10:
        raise argparse.ArgumentTypeError(f"must be in (0, 10), got {value}")
    return value


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "simulation": __version__}
    for lib in LIBRARIES:
        try:
            out[lib] = pkg_version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    folders.write_json(path, data)


def _check_out(out: str | None) -> None:
    if out is not None:
        path = Path(out)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise UsageError(f"--out {out}: the folder exists and is not empty; results are never overwritten "
                             f"(give a new or empty folder, or --resume it)")


def _new_folder(command: str, names: list[str], out: str | None) -> Path:
    return folders.new_folder(OUTPUTS, command, names, out)


def _load_all(refs: list[str]) -> list[Scenario]:
    scenarios = [load(r) for r in refs]
    names = [s.name for s in scenarios]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise UsageError(f"scenario {sorted(dupes)[0]!r} is named twice")
    return scenarios


def _scenario_info(s: Scenario) -> dict[str, Any]:
    return {**s.to_dict(), "file": str(s.path), "description": s.description, "budget": s.package.total_budget,
            "chain": list(s.chain)}


# --- commands ------------------------------------------------------------------

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
    from .experiments.runner import RunSpec
    return [RunSpec.make(s, seed, args.steps) for s in scenarios for seed in seeds]


def _manifest(args: argparse.Namespace, command: str, scenarios: list[Scenario], seeds: list[int],
              specs, folder: Path, extra: dict[str, Any]) -> dict[str, Any]:
    steps = args.steps if args.steps is not None else scenarios[0].steps
    return {
        "title": f"{command}: {', '.join(s.name for s in scenarios)}",
        "command": " ".join(["run.py", *sys.argv[1:]]) if sys.argv else command,
        "command_name": command, "created": dt.datetime.now().isoformat(timespec="seconds"),
        "folder": str(folder), "scenarios": [_scenario_info(s) for s in scenarios],
        "seeds": seeds, "base_seed": args.seed, "steps": steps, "workers": args.workers,
        "version": __version__, "versions": _versions(), "git_commit": _git_commit(),
        "status": "running", "runs": [spec.__dict__ for spec in specs], **extra,
    }


def _execute(folder: Path, manifest: dict[str, Any], specs, workers: int, quiet: bool) -> None:
    from .experiments.backends import make_backend
    from .experiments.runner import run_specs
    from .experiments.store import RunStore

    store = RunStore(folder)
    backend = make_backend(workers)
    try:
        run_specs(specs, store, backend, quiet=quiet, label=manifest["command_name"])
    finally:
        backend.close()


def _finish(folder: Path, manifest: dict[str, Any], quiet: bool, baseline: str | None, note: str = "") -> None:
    from .experiments import compare
    from .experiments.store import RunStore
    from .reporting.report import write_report

    store = RunStore(folder)
    store.consolidate()
    summaries = store.read("summaries")
    ts = store.read("timeseries")
    diffs = None
    if baseline is not None:
        diffs = compare.differences(summaries, baseline)
        diffs.to_csv(folder / "comparison.csv", index=False)
    per_scenario = summaries.groupby("scenario").mean(numeric_only=True).drop(columns=["seed", "steps"])
    per_scenario.to_csv(folder / "scenario_means.csv")
    write_report(folder, manifest, manifest["scenarios"], summaries, ts, diffs, note)
    manifest["status"] = "complete"
    manifest["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    _write_json(folder / "manifest.json", manifest)
    print(f"results: {folder}")
    if quiet:
        return
    if diffs is not None:
        print(f"\ndifferences from {baseline} (paired 95% CI, {len(manifest['seeds'])} seeds):")
        for r in diffs.itertuples():
            print(f"  {r.scenario:28} {r.outcome:34} {r.difference:+11.4g}  [{r.ci_low:+.4g}, {r.ci_high:+.4g}]  "
                  f"{r.verdict}")
    else:
        cols = ["exporters", "export_participation", "gvc_participation", "new_exporters", "exits", "budget_spent"]
        print("\nmeans over seeds at the horizon:")
        print(per_scenario[cols].to_string(float_format=lambda x: f"{x:,.3f}"))
    if note:
        print("\n" + note)


def cmd_run(args: argparse.Namespace) -> int:
    if args.resume:
        return _resume(args)
    scenarios = _load_all([args.scenario])
    seeds = replicate_seeds(args.seeds, root=args.seed)
    specs = _plan(args, scenarios, seeds)
    folder = _new_folder("run", [s.name for s in scenarios], args.out)
    manifest = _manifest(args, "run", scenarios, seeds, specs, folder, {"baseline": None})
    _write_json(folder / "manifest.json", manifest)
    _execute(folder, manifest, specs, args.workers, args.quiet)
    _finish(folder, manifest, args.quiet, None)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    if args.resume:
        return _resume(args)
    refs = list(args.scenarios)
    if len(refs) < 2:
        raise UsageError("compare needs at least two scenarios")
    scenarios = _load_all(refs)
    names = [s.name for s in scenarios]
    baseline = args.baseline or names[0]
    if baseline not in names:
        raise UsageError(f"--baseline {baseline!r} is not among the scenarios compared ({', '.join(names)})")
    steps = {args.steps or s.steps for s in scenarios}
    if len(steps) > 1:
        raise UsageError("the scenarios have different horizons; pass --steps to compare them over the same one")
    precision = args.precision
    first = args.seeds if precision is None else min(args.batch, args.max_seeds)
    seeds = replicate_seeds(first, root=args.seed)
    specs = _plan(args, scenarios, seeds)
    folder = _new_folder("compare", names, args.out)
    extra = {"baseline": baseline, "precision": precision, "max_seeds": args.max_seeds, "batch": args.batch}
    manifest = _manifest(args, "compare", scenarios, seeds, specs, folder, extra)
    _write_json(folder / "manifest.json", manifest)
    return _compare_loop(args, folder, manifest, scenarios, specs)


def _compare_loop(args, folder, manifest, scenarios, specs) -> int:
    from .experiments import compare
    from .experiments.runner import RunSpec
    from .experiments.store import RunStore

    precision = manifest.get("precision")
    note = ""
    while True:
        _execute(folder, manifest, specs, args.workers, args.quiet)
        if precision is None:
            break
        diffs = compare.differences(RunStore(folder).read("summaries"), manifest["baseline"])
        n = len(manifest["seeds"])
        if compare.precise_enough(diffs, precision):
            note = (f"Precision reached: every primary difference's 95% half-width is at most "
                    f"{precision:g} x the baseline mean, with {n} seeds.")
            break
        if n >= manifest["max_seeds"]:
            worst = diffs[diffs["outcome"].isin(compare.PRECISION_OUTCOMES)]["relative_half_width"].max()
            note = (f"Precision NOT reached: stopped at the maximum of {n} seeds; the widest primary "
                    f"half-width is {worst:.3g} x the baseline mean (asked: {precision:g}).")
            break
        more = min(manifest["batch"], manifest["max_seeds"] - n)
        seeds = replicate_seeds(n + more, root=manifest["base_seed"])
        new = seeds[n:]
        manifest["seeds"] = seeds
        added = [RunSpec.make(s, seed, manifest["steps"]) for s in scenarios for seed in new]
        manifest["runs"] += [spec.__dict__ for spec in added]
        specs = specs + added
        _write_json(folder / "manifest.json", manifest)
    _finish(folder, manifest, args.quiet, manifest["baseline"], note)
    return 0


def _resume(args: argparse.Namespace) -> int:
    from .experiments.runner import RunSpec

    folder, manifest = folders.open_for_resume(args.resume)
    if manifest.get("status") == "complete":
        print(f"results: {folder} (already complete)")
        return 0
    if manifest.get("version") != __version__:
        raise UsageError(f"--resume {folder}: made by version {manifest.get('version')}, this is {__version__}; "
                         f"runs would not be comparable")
    specs = [RunSpec(**r) for r in manifest["runs"]]
    if manifest["command_name"] == "compare":
        scenarios = [load(s["file"]) for s in manifest["scenarios"]]
        for s, info in zip(scenarios, manifest["scenarios"]):
            if s.to_dict() != {k: info[k] for k in s.to_dict()}:
                raise UsageError(f"--resume {folder}: scenario {s.name!r} changed since the run started")
        return _compare_loop(args, folder, manifest, scenarios, specs)
    _execute(folder, manifest, specs, args.workers, args.quiet)
    _finish(folder, manifest, args.quiet, manifest.get("baseline"))
    return 0


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
            "by_group": True if args.by_group else None, "options": options or None}


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sensitivity import sweep
    from .sensitivity.design import SweepConfig, build

    if args.resume:
        return _resume_sweep(args)
    overrides = _sweep_overrides(args)
    if args.config:
        cfg = SweepConfig.from_toml(args.config, overrides)
    else:
        cfg = SweepConfig(**{k: v for k, v in overrides.items() if v is not None})
        cfg.validate()
    scenario = cfg.load_scenario()
    steps = cfg.steps or scenario.steps
    _check_out(args.out)  # before drawing the sample or starting any cluster
    design = build(cfg)   # before the folder, so a sample size the method rejects leaves nothing behind
    backend = _sweep_backend(args)
    try:
        folder = _new_folder("sweep", [scenario.name, cfg.method], args.out)
        sweep.prepare(design, folder)
    except BaseException:
        backend.close()
        raise
    from .api import replicate_seeds
    manifest = {
        "title": f"{cfg.method} sweep of {scenario.name}",
        "command": " ".join(["run.py", *sys.argv[1:]]) if sys.argv else "sweep",
        "command_name": "sweep", "created": dt.datetime.now().isoformat(timespec="seconds"),
        "folder": str(folder), "config": cfg.to_dict(), "scenario": scenario.name,
        "scenario_info": _scenario_info(scenario), "method": cfg.method, "samples": cfg.samples,
        "seeds": replicate_seeds(cfg.seeds, root=cfg.seed), "base_seed": cfg.seed, "steps": steps,
        "runs": len(design.runs), "distinct_runs": len(design.specs), "params": design.problem["names"],
        "bounds": dict(zip(design.problem["names"], design.problem["bounds"])), "outputs": cfg.outputs,
        "options": cfg.method_options(), "problem": design.problem, "workers": args.workers,
        "scheduler": args.scheduler, "version": __version__, "versions": _versions(),
        "git_commit": _git_commit(), "status": "running",
    }
    _write_json(folder / "manifest.json", manifest)
    if not args.quiet:
        print(f"{cfg.method} sweep of {scenario.name}: {len(design.problem['names'])} parameters, "
              f"{len(design.points)} points x {cfg.seeds} seed(s) = {len(design.runs)} runs -> {folder}")
    return _run_sweep(args, cfg, design, folder, manifest, backend)


def _sweep_backend(args: argparse.Namespace):
    from .experiments.backends import make_backend

    try:
        backend = make_backend(args.workers, args.scheduler)
    except (OSError, RuntimeError) as err:  # e.g. a Dask scheduler that cannot be reached
        raise UsageError(f"--scheduler {args.scheduler}: {err}") from None
    dashboard = getattr(backend, "dashboard", None)
    if dashboard and not args.quiet:
        print(f"Dask dashboard: {dashboard}")
    return backend


def _run_sweep(args, cfg, design, folder: Path, manifest: dict[str, Any], backend) -> int:
    from .sensitivity import sweep

    started = dt.datetime.now().isoformat(timespec="seconds")
    try:
        ran = sweep.execute(cfg, design, folder, backend, quiet=args.quiet)
    finally:
        backend.close()
    manifest.setdefault("sessions", []).append({"started": started, "ran": ran, "workers": args.workers,
                                                "scheduler": args.scheduler})
    out = sweep.finish(cfg, design, folder, manifest)
    manifest["status"] = "complete"
    manifest["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    _write_json(folder / "manifest.json", manifest)
    print(f"results: {folder}")
    if not args.quiet:
        _print_sweep(cfg, out)
    return 0


def _print_sweep(cfg, out: dict[str, Any]) -> None:
    module = cfg.method_module()
    idx = out["indices"]
    horizon = idx[idx["year"].isna() & (idx["index"] == module.MAIN)]
    for name, block in horizon.groupby("output", sort=False):
        block = block.sort_values("value", ascending=False).head(5)
        ranked = ", ".join(f"{r.parameter} {r.value:.3g}" + (f" ± {r.conf:.2g}" if r.conf == r.conf else "")
                           for r in block.itertuples())
        print(f"  {name:26} {module.MAIN}: {ranked}")
    for s in out["skipped"]:
        print(f"  {s['output']:26} not analysed: {s['reason']}")
    noisy = out["noise"][out["noise"]["noise_share"] >= 0.05]
    for r in noisy.itertuples():
        where = r.output if _isna(r.year) else f"{r.output} (year {r.year})"
        print(f"  seed noise is {r.noise_share:.0%} of the variance of {where}: {r.verdict}")


def _isna(x: Any) -> bool:
    """NaN or None (pandas is not imported at start-up)."""
    return x is None or x != x


def _resume_sweep(args: argparse.Namespace) -> int:
    from .sensitivity import sweep

    folder, _ = folders.open_for_resume(args.resume)
    cfg, manifest = sweep.load_config(folder)
    if manifest.get("command_name") != "sweep":
        raise UsageError(f"--resume {folder}: not a sweep folder (it holds a {manifest.get('command_name')})")
    if manifest.get("status") == "complete":
        print(f"results: {folder} (already complete)")
        return 0
    if manifest.get("version") != __version__:
        raise UsageError(f"--resume {folder}: made by version {manifest.get('version')}, this is {__version__}")
    try:
        design = sweep.check_resumable(cfg, folder)
    except ValueError as err:
        raise UsageError(f"--resume {folder}: {err}") from None
    return _run_sweep(args, cfg, design, folder, manifest, _sweep_backend(args))


def cmd_ablate(args: argparse.Namespace) -> int:
    from .experiments import ablation
    from .experiments.backends import make_backend
    from .reporting.hypotheses import markdown

    if args.resume:
        folder, manifest = folders.open_for_resume(args.resume)
        if manifest.get("command_name") != "ablate":
            raise UsageError(f"--resume {folder}: not an ablation folder")
        names, seeds = manifest["directions"], manifest["seeds"]
    else:
        names = args.directions.split(",") if args.directions else [d.name for d in ablation.DIRECTIONS]
        seeds = replicate_seeds(args.seeds, root=args.seed)
    try:
        directions = [ablation.direction(n.strip()) for n in names]
    except KeyError as err:
        raise UsageError(f"--directions: {err.args[0]}") from None
    if args.markdown is not None and not Path(args.markdown).parent.is_dir():
        raise UsageError(f"--markdown {args.markdown}: no such folder")
    cells = ablation.design(directions, seeds)
    if not args.resume:
        folder = _new_folder("ablate", ["-".join(d.name.replace(" ", "_") for d in directions)], args.out)
        manifest = {
            "title": "ablation: " + ", ".join(d.name for d in directions), "command_name": "ablate",
            "command": " ".join(["run.py", *sys.argv[1:]]) if sys.argv else "ablate",
            "created": dt.datetime.now().isoformat(timespec="seconds"), "folder": str(folder),
            "directions": [d.name for d in directions], "seeds": seeds, "base_seed": args.seed,
            "scenarios": {n: _scenario_info(load(n)) for d in directions for n in d.scenarios},
            "runs": len({c.spec.run_id for c in cells}), "version": __version__, "versions": _versions(),
            "git_commit": _git_commit(), "status": "running",
        }
        _write_json(folder / "manifest.json", manifest)
    backend = make_backend(args.workers)
    try:
        results = ablation.run(cells, folder, backend, quiet=args.quiet)
    finally:
        backend.close()
    table = ablation.effects(cells, results, directions)
    table.to_csv(folder / "effects.csv", index=False)
    n_smes = int(load(directions[0].scenarios[0]).resolved_params["n_smes"])
    again = (f"python run.py ablate --seeds {len(seeds)}"
             + (f" --seed {manifest['base_seed']}" if manifest["base_seed"] else "")
             + ("" if len(directions) == len(ablation.DIRECTIONS) else
                f" --directions '{','.join(d.name for d in directions)}'"))
    text = markdown(table, directions, len(seeds), n_smes, again)
    (folder / "hypotheses.md").write_text(text, encoding="utf-8")
    manifest["status"] = "complete"
    manifest["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    _write_json(folder / "manifest.json", manifest)
    if args.markdown is not None:
        Path(args.markdown).write_text(text, encoding="utf-8")
    print(f"results: {folder}")
    if args.markdown is not None:
        print(f"wrote {args.markdown} (asked for with --markdown)")
    if not args.quiet:
        from .reporting.hypotheses import direction_verdict
        for d in directions:
            holds, carried = direction_verdict(table, d)
            print(f"  {d.name:16} {holds}; carried by its named mechanisms: {carried}")
    return 0


def cmd_check_facts(args: argparse.Namespace) -> int:
    import tempfile

    from .calibration import load as load_targets
    from .calibration.job import check, format_fit
    from .experiments.backends import make_backend

    targets = load_targets(args.targets)
    scenario = load(args.scenario or targets.scenario)
    seeds = args.seeds or 2 * targets.seeds
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
    from .calibration import load as load_targets
    from .calibration.job import calibrate, format_fit

    if args.resume:
        folder, manifest = folders.open_for_resume(args.resume)
        if manifest.get("command_name") != "calibrate":
            raise UsageError(f"--resume {folder}: not a calibration folder")
        if manifest.get("status") == "complete":
            print(f"results: {folder} (already complete)")
            return 0
        targets = load_targets(manifest["targets_file"])
        budget, seed = manifest["budget"], manifest["base_seed"]
    else:
        targets = load_targets(args.targets)
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
    backend = _sweep_backend(args)
    try:
        if not args.resume:
            folder = _new_folder("calibrate", [scenario.name], args.out)
            manifest = {
                "title": f"calibration of {scenario.name}", "command_name": "calibrate",
                "command": " ".join(["run.py", *sys.argv[1:]]) if sys.argv else "calibrate",
                "created": dt.datetime.now().isoformat(timespec="seconds"), "folder": str(folder),
                "targets_file": str(targets.path), "targets": (targets.path.read_text(encoding="utf-8")),
                "scenario": _scenario_info(scenario), "free": list(targets.free), "budget": budget,
                "base_seed": seed, "seeds": replicate_seeds(targets.seeds, root=seed), "steps": targets.steps,
                "version": __version__, "versions": _versions(), "git_commit": _git_commit(), "status": "running",
            }
            _write_json(folder / "manifest.json", manifest)
        out = calibrate(targets, scenario, folder, backend, budget=budget, seed=seed, quiet=args.quiet)
    finally:
        backend.close()
    manifest["status"] = "complete"
    manifest["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    manifest["best"] = out["best"]
    manifest["evaluations"] = len(out["history"])
    _write_json(folder / "manifest.json", manifest)
    print(f"results: {folder}")
    if not args.quiet:
        print("best fit: " + ", ".join(f"{k} = {v:.4g}" for k, v in out["best"].items()))
        print(format_fit(out["fit"]))
    return 0


# Where Solara's asset proxy would fetch files it does not hold: the discard port
# on this machine, so a missing asset fails the same way online and offline
# instead of quietly needing the internet in class.
OFFLINE_CDN = "http://127.0.0.1:9/"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be in [1, 65535], got {value}")
    return value


def cmd_demo(args: argparse.Namespace) -> int:
    """The classroom app: Solara serves it, with every asset from this machine."""
    import socket

    extra = []
    for ref in args.scenario or []:
        extra.append(str(load(ref).path))  # a bad file stops here, with its key named
    try:
        from .app import EXTRA_ENV
    except ImportError as err:
        raise UsageError(f"the classroom app needs the 'demo' extra ({err.name} is missing): "
                         f"pip install -e '.[demo]'") from None
    with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind((args.host, args.port))
        except OSError as err:
            raise UsageError(f"--port {args.port} on --host {args.host} cannot be used ({err.strerror}); "
                             f"choose another port") from None
    os.environ[EXTRA_ENV] = os.pathsep.join(extra)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_ASSETS_CDN", OFFLINE_CDN)
    url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    print(f"Classroom app: {url}  (open it in a browser; Ctrl+C stops the server)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: --host {args.host} lets other machines on the network open the app", flush=True)
    from solara.__main__ import cli as solara_cli
    try:
        solara_cli(["run", "simulation.app", "--host", args.host, "--port", str(args.port), "--production",
                     "--no-open", "--no-check-version", "--log-level", "warning"], standalone_mode=False)
    except KeyboardInterrupt:
        pass
    return 0


# --- parser ----------------------------------------------------------------------

def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=_positive, default=None, help="quarters to simulate (default: the scenario's, 40)")
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1,
                   help="worker processes (default: one per core); results do not depend on it")
    p.add_argument("--seed", type=int, default=0, help="root of the replicate seeds (default 0)")
    p.add_argument("--out", default=None, help="folder for the results (must be new or empty; "
                                               "default outputs/<time>-<command>-<names>/)")
    p.add_argument("--resume", default=None, metavar="DIR", help="finish an interrupted invocation in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bars or tables, only the results folder")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="run.py", description="SME internationalization under policy packages: what-if scenarios.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python run.py list\n  python run.py show integrated\n"
               "  python run.py run baseline --seeds 20\n  python run.py compare integrated fragmented --seeds 30\n"
               "  python run.py compare no_policy integrated fragmented --precision 0.05 --max-seeds 200")
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("list", help="the shipped scenarios and their titles", formatter_class=raw,
                       epilog="example:\n  python run.py list")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="a scenario's resolved parameters and package", formatter_class=raw,
                       epilog="example:\n  python run.py show strengthening_only\n"
                              "  python run.py show my/scenario.toml")
    p.add_argument("scenario", help="a name in scenarios/ or a path to a .toml file")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("run", help="replicate runs of one scenario", formatter_class=raw,
                       epilog="example:\n  python run.py run integrated --seeds 20 --workers 2\n"
                              "  python run.py run --resume outputs/20261123-101500-run-integrated")
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="a name in scenarios/ or a path to a .toml file (default: baseline)")
    p.add_argument("--seeds", type=_positive, default=10, help="number of replicate seeds (default 10)")
    _common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="scenarios on the same seeds, with paired confidence intervals",
                       formatter_class=raw,
                       epilog="examples:\n  python run.py compare fragmented integrated --seeds 30\n"
                              "  python run.py compare no_policy liberalization_only liberalization_with_support "
                              "--baseline no_policy --precision 0.05 --max-seeds 300")
    p.add_argument("scenarios", nargs="*", help="two or more scenario names or paths")
    p.add_argument("--baseline", default=None, help="the scenario others are compared with (default: the first)")
    p.add_argument("--seeds", type=_positive, default=20, help="number of common seeds (default 20)")
    p.add_argument("--precision", type=_fraction, default=None, metavar="X",
                   help="add seeds in batches until every primary difference's 95%% half-width is at most "
                        "X times the baseline mean (e.g. 0.05), or --max-seeds is reached")
    p.add_argument("--max-seeds", type=_positive, default=200, help="ceiling for --precision (default 200)")
    p.add_argument("--batch", type=_positive, default=10, help="seeds added per round with --precision (default 10)")
    _common(p)
    p.set_defaults(func=cmd_compare)

    from .outcomes import DEFAULT_SWEEP_OUTCOMES, OUTCOMES
    from .sensitivity import METHODS
    p = sub.add_parser(
        "sweep", help="global sensitivity analysis (SALib) over registry parameters", formatter_class=raw,
        description="Sample parameters from the registry's sweep ranges, run every point on the same seeds "
                    "and analyse the mean with SALib.",
        epilog="examples:\n  python run.py sweep baseline --method sobol --samples 256 "
               "--params competitiveness,connectivity --seeds 2\n"
               "  python run.py sweep --method morris --samples 20 --option levels=6\n"
               "  python run.py sweep --config my_sweep.toml --scheduler tcp://10.0.0.5:8786\n"
               "  python run.py sweep --resume outputs/20261123-120000-sweep-baseline-sobol\n\n"
               f"outcomes: {', '.join(OUTCOMES)}")
    p.add_argument("scenario", nargs="?", default=None, help="scenario name or .toml path (default: baseline)")
    p.add_argument("--config", default=None, metavar="FILE", help="a sweep TOML file (flags given here win)")
    p.add_argument("--method", default=None, help=f"SALib method: {', '.join(METHODS)} (default sobol)")
    p.add_argument("--samples", type=_positive, default=None, metavar="N",
                   help="SALib's N: base sample (Sobol: a power of 2), trajectories (Morris), points (others)")
    p.add_argument("--params", default=None, help="registry groups and/or names, comma-separated "
                                                  "(default competitiveness,connectivity)")
    p.add_argument("--outputs", default=None, help=f"outcomes, comma-separated "
                                                   f"(default {','.join(DEFAULT_SWEEP_OUTCOMES)})")
    p.add_argument("--seeds", type=_positive, default=None, metavar="R",
                   help="seeds per point, the same at every point (default 1, with a noise probe)")
    p.add_argument("--per-year", action="store_true", help="also indices for each year of the horizon")
    p.add_argument("--by-group", action="store_true", help="one index per registry group (Sobol, Morris)")
    p.add_argument("--second-order", action="store_true", help="Sobol: also second-order indices")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="a method option, e.g. levels=6, optimal_trajectories=10, M=4, num_resamples=500")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                   help="run on a Dask cluster (scheduler address) or a Dask LocalCluster ('local')")
    _common(p)
    p.set_defaults(func=cmd_sweep, seed=None)

    from .calibration import TARGETS_FILE
    p = sub.add_parser("calibrate", help="fit free parameters to the stylized facts (method of simulated moments)",
                       formatter_class=raw,
                       epilog="examples:\n  python run.py calibrate --budget 2000 --workers 2\n"
                              "  python run.py calibrate --resume outputs/20261123-130000-calibrate-baseline")
    p.add_argument("--targets", default=str(TARGETS_FILE), help="targets file (default calibration/targets.toml)")
    p.add_argument("--budget", type=_positive, default=2000, metavar="RUNS",
                   help="model runs to spend (default 2000): 60%% on a Latin hypercube, the rest on Nelder-Mead")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local", help="run on a Dask cluster")
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1, help="worker processes")
    p.add_argument("--seed", type=int, default=0, help="root of the common seeds and of the sample (default 0)")
    p.add_argument("--out", default=None, help="folder for the results (new or empty)")
    p.add_argument("--resume", default=None, metavar="DIR", help="finish an interrupted calibration in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_calibrate)

    from .experiments.ablation import DIRECTIONS
    p = sub.add_parser(
        "ablate", help="each hypothesis's paired effect with each mechanism switched off (ablation tables)",
        formatter_class=raw,
        description="Run every direction of the domain brief (H1-H4, the H2 control, the liberalization "
                    "interaction) on common seeds at the defaults, with each mechanism switch off in turn, and "
                    "with all the mechanisms the brief names for it off; write effects.csv and hypotheses.md.",
        epilog="examples:\n  python run.py ablate --seeds 30\n  python run.py ablate --directions H1,H4 --seeds 20\n"
               "  python run.py ablate --seeds 30 --markdown docs/hypotheses.md\n\n"
               f"directions: {', '.join(d.name for d in DIRECTIONS)}")
    p.add_argument("--directions", default=None, help="comma-separated (default: all)")
    p.add_argument("--seeds", type=_positive, default=30, help="common seeds per arm and variant (default 30)")
    p.add_argument("--markdown", default=None, metavar="FILE",
                   help="also write the hypotheses document to FILE (e.g. docs/hypotheses.md; replaced)")
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1,
                   help="worker processes (default: one per core); results do not depend on it")
    p.add_argument("--seed", type=int, default=0, help="root of the replicate seeds (default 0)")
    p.add_argument("--out", default=None, help="folder for the results (must be new or empty; "
                                               "default outputs/<time>-ablate-<directions>/)")
    p.add_argument("--resume", default=None, metavar="DIR", help="finish an interrupted ablation in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar, only the results folder")
    p.set_defaults(func=cmd_ablate)

    p = sub.add_parser("check-facts", help="the stylized facts at the current defaults; exit 1 if one is off",
                       formatter_class=raw, epilog="example:\n  python run.py check-facts\n"
                                                   "  python run.py check-facts integrated --seeds 32")
    p.add_argument("scenario", nargs="?", default=None, help="scenario (default: the targets file's)")
    p.add_argument("--targets", default=str(TARGETS_FILE), help="targets file (default calibration/targets.toml)")
    p.add_argument("--seeds", type=_positive, default=None, help="seeds (default: twice the targets file's)")
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1, help="worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_check_facts)

    p = sub.add_parser("demo", help="the classroom app in a browser (needs the 'demo' extra)", formatter_class=raw,
                       description="Serve the classroom app: the model live, lessons for H1-H4 and "
                                   "liberalization, levers as sliders. Works without internet.",
                       epilog="examples:\n  python run.py demo\n  python run.py demo --port 8800\n"
                              "  python run.py demo --scenario my/scenario.toml")
    p.add_argument("--port", type=_port, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for the whole network)")
    p.add_argument("--scenario", action="append", metavar="FILE",
                   help="add a scenario file to the app's scenario list (may be repeated)")
    p.set_defaults(func=cmd_demo)
    return ap


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except (ScenarioError, ParameterError, PolicyError, UsageError, FolderError, StoreError) as err:
        # TargetsError is a ScenarioError; one printable line of at most 300 characters
        line = printable(" ".join(f"run.py {args.command}: error: {err}".split()))
        print(line if len(line) < 300 else line[:296] + "...", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"\nrun.py {args.command}: interrupted; finish with --resume on the results folder", file=sys.stderr)
        return 130
