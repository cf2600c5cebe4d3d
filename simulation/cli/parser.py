"""The argument parser: every command, flag and example of ``run.py``."""

from __future__ import annotations

import argparse
import difflib
import os
from collections.abc import Sequence
from typing import Any, NoReturn

from .._version import __version__
from ..experiments.limits import MAX_BUDGET_RUNS, MAX_POINT_SEEDS, MAX_SAMPLES, MAX_WORKERS
from ..inputs import printable, shorten
from .ablate import cmd_ablate
from .attribute import add_parser as add_attribute
from .calibrate import cmd_calibrate, cmd_check_facts
from .common import (
    Given,
    Renamed,
    add_common,
    add_control_flag,
    add_job_flags,
    add_model_flag,
    port,
    seed_count,
    seed_root,
    share_of_effect,
    whole,
    worker_count,
)
from .demo import cmd_demo
from .explore import cmd_explore
from .optimize import add_parser as add_optimize
from .runs import cmd_compare, cmd_list, cmd_run, cmd_show
from .sweeps import cmd_sweep


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one line (the flag, what it allows, where help is), exit 2,
    like every other error of the tool: no usage block, and a value typed by the user never echoed whole."""

    def error(self, message: str) -> NoReturn:
        line = printable(" ".join(f"{self.prog}: error: {message} (see {self.prog} --help)".split()))
        self.exit(2, (line if len(line) < 300 else line[:296] + "...") + "\n")

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> argparse.Namespace:
        """As argparse's, but an unknown argument is refused by the command it was given to (its name in
        the line, its --help), with the nearest of that command's flags: 'did you mean --seeds?'."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            target = self._command(parsed) or self
            target.error(unrecognized(extras, target))
        return parsed

    def _command(self, parsed: argparse.Namespace) -> argparse.ArgumentParser | None:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices.get(getattr(parsed, action.dest, None) or "")
        return None


def unrecognized(extras: list[str], parser: argparse.ArgumentParser) -> str:
    """The message for arguments ``parser`` does not know: the first unknown flag with the nearest of the
    parser's flags (a renamed flag's new name), then any others."""
    flags = {}
    for action in parser._actions:
        for option in action.option_strings:
            if isinstance(action, Renamed):
                flags.setdefault(option, action.renamed_to)
            elif action.help is not argparse.SUPPRESS:
                flags[option] = option
    unknown = [t.partition("=")[0] if t.startswith("--") else t for t in extras
               if t.startswith("-") and len(t) > 1 and not _is_number(t)]
    if not unknown:
        return f"unrecognized argument{'s' if len(extras) > 1 else ''} {shorten(' '.join(extras), 80)}"
    first = unknown[0]
    # difflib's nearest, ties broken by the fewest edits, then the same length (--seedz: --seeds, not --seed)
    close = sorted(difflib.get_close_matches(first, list(flags), n=3, cutoff=0.6),
                   key=lambda c: (_edits(first, c), abs(len(c) - len(first))))
    line = f"unrecognized argument {shorten(first, 60)}"
    if close:
        line += f"; did you mean {flags[close[0]]}?"
    if len(unknown) > 1:
        line += f" (also unrecognized: {shorten(', '.join(unknown[1:]), 80)})"
    return line


def _edits(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions from ``a`` to ``b``."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def build_parser() -> argparse.ArgumentParser:
    ap = Parser(
        prog="run.py", description="SME internationalization under policy packages: what-if scenarios.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python run.py list\n  python run.py show integrated\n"
               "  python run.py run baseline --seeds 20\n  python run.py compare integrated fragmented --seeds 30\n"
               "  python run.py compare no_policy integrated fragmented --precision 0.25 --max-seeds 200")
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
    p.add_argument("--seeds", type=seed_count, default=10, action=Given,
                   help="number of replicate seeds (default 10)")
    add_common(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("compare", help="scenarios on the same seeds, with paired confidence intervals",
                       formatter_class=raw,
                       epilog="examples:\n  python run.py compare fragmented integrated --seeds 30\n"
                              "  python run.py compare no_policy liberalization_only liberalization_with_support "
                              "--control no_policy --precision 0.25 --max-seeds 300")
    p.add_argument("scenarios", nargs="*", help="two or more scenario names or paths")
    add_control_flag(p, None, "the scenario the others are compared with, their differences taken from it "
                              "(default: the first)")
    p.add_argument("--seeds", type=seed_count, default=20, action=Given,
                   help="number of common seeds (default 20; with --precision, not used)")
    p.add_argument("--precision", type=share_of_effect, default=None, metavar="X",
                   help="add seeds in batches of --batch until every primary difference is distinguishable "
                        "from zero with a 95%% half-width at most X times the difference itself (X in (0, 1), "
                        "e.g. 0.25), or --max-seeds is reached; the stop says, for each difference, whether "
                        "it is distinguishable from zero")
    p.add_argument("--max-seeds", type=seed_count, default=200, help="ceiling for --precision (default 200)")
    p.add_argument("--batch", type=seed_count, default=10, help="seeds added per round with --precision (default 10)")
    add_common(p)
    p.set_defaults(func=cmd_compare)

    from ..outcomes import DEFAULT_SWEEP_OUTCOMES, OUTCOMES
    from ..sensitivity import METHODS
    p = sub.add_parser(
        "sweep", help="global sensitivity analysis (SALib) over registry parameters", formatter_class=raw,
        description="Sample parameters from the registry's sweep ranges, run every point on the same seeds "
                    "and analyse the mean with SALib.",
        epilog="examples:\n  python run.py sweep baseline --method sobol --samples 256 "
               "--params competitiveness,connectivity --seeds 2\n"
               "  python run.py sweep --method morris --samples 20 --option levels=6\n"
               "  python run.py sweep --config my_sweep.toml --scheduler tcp://10.0.0.5:8786\n"
               "  python run.py sweep --resume outputs/20261123-120000-sweep-baseline-sobol\n"
               "  python run.py sweep --extend outputs/20261123-120000-sweep-baseline-sobol --samples 2048\n\n"
               f"outcomes: {', '.join(OUTCOMES)}")
    p.add_argument("scenario", nargs="?", default=None, help="scenario name or .toml path (default: baseline)")
    p.add_argument("--config", default=None, metavar="FILE", help="a sweep TOML file (flags given here win)")
    p.add_argument("--method", default=None, help=f"SALib method: {', '.join(METHODS)} (default sobol)")
    p.add_argument("--samples", type=whole(2, MAX_SAMPLES), default=None, metavar="N",
                   help="SALib's N: base sample (Sobol: a power of 2), trajectories (Morris), points (others)")
    p.add_argument("--params", default=None, help="registry groups and/or names, comma-separated "
                                                  "(default competitiveness,connectivity)")
    p.add_argument("--outputs", default=None, help=f"outcomes, comma-separated "
                                                   f"(default {','.join(DEFAULT_SWEEP_OUTCOMES)})")
    p.add_argument("--seeds", type=whole(1, MAX_POINT_SEEDS), default=None, metavar="R", action=Given,
                   help="seeds per point, the same at every point (default 1, with a noise probe)")
    p.add_argument("--per-year", action="store_true", help="also indices for each year of the horizon")
    p.add_argument("--by-group", action="store_true", help="one index per registry group (Sobol, Morris)")
    p.add_argument("--no-dummy", dest="dummy", action="store_false", default=None,
                   help="no reference input (by default Sobol and Morris also score an input that only "
                        "redraws the seed noise, eFAST, RBD-FAST, delta and PAWN one the model never reads, "
                        "to tell an effect from noise and estimation error)")
    p.add_argument("--second-order", action="store_true", help="Sobol: also second-order indices")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="a method option, e.g. levels=6, optimal_trajectories=10, M=4, num_resamples=500")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                   help="run on a Dask cluster (scheduler address) or a Dask LocalCluster ('local')")
    p.add_argument("--extend", default=None, metavar="DIR",
                   help="a finished Sobol' sweep at the larger --samples, in a new folder: its runs are reused, "
                        "only the new points run")
    add_model_flag(p, "sweep")
    add_common(p)
    p.set_defaults(func=cmd_sweep, seed=None)

    from ..discovery.design import DEFAULT_DIRECTIONS
    p = sub.add_parser(
        "explore", help="where each direction holds over the competitiveness and connectivity parameters",
        formatter_class=raw,
        description="Sample the uncertain parameters (Latin hypercube over their sweep ranges), run each "
                    "direction's arms at every point on the same seeds, classify each point as holds, fails or "
                    "unclear from the paired effect's interval, and find where it holds with PRIM and CART; "
                    "plus a robustness map over two parameters with the defaults marked.",
        epilog="examples:\n  python run.py explore H1 --samples 200 --seeds 5\n"
               "  python run.py explore all --workers 2\n"
               "  python run.py explore --config my_comparison.toml\n"
               "  python run.py explore questions --over judgment --samples 100 --seeds 20 --workers 2\n"
               "  python run.py explore --resume outputs/20261205-090000-explore-H1\n\n"
               f"directions: {', '.join(DEFAULT_DIRECTIONS)} (all: the five; questions: every question of "
               "docs/hypotheses.md, each further outcome a question claims a sign for as 'H1 @ new_exporters')")
    p.add_argument("directions", nargs="*", help="directions to explore (default: the five), 'all', or "
                                                 "'questions'")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="an explore TOML file: directions, [comparisons.NAME] (treatment, control, outcome, "
                        "expect), params, bounds, map... (flags given here win)")
    p.add_argument("--params", default=None, help="registry groups and/or names explored, comma-separated "
                                                  "(default competitiveness,connectivity)")
    # as the explore file's keys (simulation/schema/files.py, ExploreFile)
    p.add_argument("--samples", type=whole(10, MAX_SAMPLES), default=None, metavar="N",
                   help="sampled worlds (default 200)")
    p.add_argument("--seeds", type=whole(1, MAX_POINT_SEEDS), default=None, metavar="R", action=Given,
                   help="common seeds per point and arm, at least 2 (default 10)")
    p.add_argument("--map", default=None, metavar="X,Y",
                   help="the robustness map's two parameters (default comp_mean,conn_mean)")
    p.add_argument("--grid", type=whole(0, 20), default=None, metavar="G",
                   help="map cells per side, 0 for no map (default 5)")
    p.add_argument("--over", choices=("params", "judgment"), default=None,
                   help="what varies: the --params (default), or every number set by judgment (registry "
                        "parameters and catalogue unit costs and strengths) over its plausible range, the "
                        "plausible worlds (no map)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                   help="run on a Dask cluster (scheduler address) or a Dask LocalCluster ('local')")
    add_model_flag(p, "exploration")
    add_common(p)
    p.set_defaults(func=cmd_explore, seed=None)

    from ..calibration import TARGETS_FILE
    p = sub.add_parser("calibrate", help="fit free parameters to the stylized facts (method of simulated moments)",
                       formatter_class=raw,
                       epilog="examples:\n  python run.py calibrate --budget 2000 --workers 2\n"
                              "  python run.py calibrate --resume outputs/20261123-130000-calibrate-baseline")
    p.add_argument("--targets", default=str(TARGETS_FILE), help="targets file (default calibration/targets.toml)")
    p.add_argument("--budget", type=whole(1, MAX_BUDGET_RUNS), default=2000, metavar="RUNS",
                   help="model runs to spend (default 2000): 60%% on a Latin hypercube, the rest on Nelder-Mead")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local", help="run on a Dask cluster")
    add_job_flags(p, "calibration", seed="root of the common seeds and of the sample (default 0)")
    p.set_defaults(func=cmd_calibrate)

    from ..experiments.ablation import DIRECTIONS
    p = sub.add_parser(
        "ablate", help="each hypothesis's paired effect with each mechanism switched off (ablation tables)",
        formatter_class=raw,
        description="Run every question of the paper (H1-H4 and their parts, the H2 control, the liberalization "
                    "interaction) on common seeds at the defaults, with each mechanism switch off in turn, and "
                    "with all the mechanisms the brief names for it off; write effects.csv, verdicts.csv (each "
                    "question's effect and verdict at the defaults) and hypotheses.md.",
        epilog="examples:\n  python run.py ablate --seeds 30\n  python run.py ablate --directions H1,H4 --seeds 20\n"
               "  python run.py ablate --seeds 30 --markdown docs/hypotheses.md\n\n"
               f"directions: {', '.join(d.name for d in DIRECTIONS)}")
    p.add_argument("--directions", default=None, help="comma-separated (default: all)")
    p.add_argument("--seeds", type=seed_count, default=30, action=Given,
                   help="common seeds per arm and variant (default 30)")
    p.add_argument("--markdown", default=None, metavar="FILE",
                   help="also write the hypotheses document to FILE (e.g. docs/hypotheses.md; replaced) and its "
                        "verdict table beside it (FILE with .csv)")
    add_job_flags(p, "ablation")
    p.set_defaults(func=cmd_ablate)

    add_attribute(sub, raw)
    add_optimize(sub, raw)

    p = sub.add_parser("check-facts", help="the stylized facts at the current defaults; exit 1 if one is off",
                       formatter_class=raw, epilog="example:\n  python run.py check-facts\n"
                                                   "  python run.py check-facts integrated --seeds 32")
    p.add_argument("scenario", nargs="?", default=None, help="scenario (default: the targets file's)")
    p.add_argument("--targets", default=str(TARGETS_FILE), help="targets file (default calibration/targets.toml)")
    p.add_argument("--seeds", type=seed_count, default=None, help="seeds (default: twice the targets file's)")
    p.add_argument("--workers", type=worker_count, default=min(os.cpu_count() or 1, MAX_WORKERS),
                   help="worker processes")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_check_facts)

    p = sub.add_parser("demo", help="the classroom app in a browser (needs the 'demo' extra)", formatter_class=raw,
                       description="Serve the classroom app: the model live, lessons for H1-H4 and "
                                   "liberalization, levers as sliders. Works without internet.",
                       epilog="examples:\n  python run.py demo\n  python run.py demo --port 8800\n"
                              "  python run.py demo --scenario my/scenario.toml\n"
                              "  python run.py demo --class --lesson h1 --host 0.0.0.0   (students play along)")
    p.add_argument("--port", type=port, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for the whole network)")
    p.add_argument("--scenario", action="append", metavar="FILE",
                   help="add a scenario file to the app's scenario list (may be repeated)")
    p.add_argument("--class", dest="class_mode", action="store_true",
                   help="class mode: each student's browser submits a package; the teacher's page ranks them")
    p.add_argument("--lesson", default="h1", help="class mode: the lesson every student plays (default h1)")
    p.add_argument("--seed", type=seed_root, default=1,
                   help="class mode: the seed of the class's live runs, the same world for every student "
                        "(default 1); one number, not a count of seeds")
    p.set_defaults(func=cmd_demo)
    return ap
