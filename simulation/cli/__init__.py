"""The command line: ``python run.py COMMAND ...`` (also installed as ``sme-sim``).

Commands: ``list``, ``show``, ``run``, ``compare``, ``sweep``, ``explore``, ``ablate``, ``attribute``,
``optimize``, ``calibrate``, ``check-facts``, ``demo``.
Every input is checked
before anything is written; a bad input ends with one clear message and exit
code 2. Each invocation writes a new folder under ``outputs/``.

This package only parses and prints: the folder, manifest, resume and
completion of every command are :class:`simulation.experiments.job.Job`'s.
``runs`` holds list, show, run and compare; ``sweeps``, ``calibrate``
(with check-facts), ``ablate`` and ``demo`` one family each; ``parser``
the flags; ``common`` what they share.
"""

from __future__ import annotations

import sys

from ..experiments.folders import FolderError
from ..experiments.store import StoreError
from ..inputs import printable
from ..params import ParameterError
from ..policy import PolicyError
from ..scenario import ScenarioError
from .ablate import cmd_ablate
from .attribute import cmd_attribute
from .calibrate import cmd_calibrate, cmd_check_facts
from .common import OUTPUTS, UsageError
from .demo import OFFLINE_CDN, cmd_demo
from .optimize import cmd_optimize
from .parser import build_parser
from .runs import cmd_compare, cmd_list, cmd_run, cmd_show
from .sweeps import cmd_sweep

__all__ = ["OFFLINE_CDN", "OUTPUTS", "UsageError", "build_parser", "cmd_ablate", "cmd_attribute", "cmd_calibrate",
           "cmd_check_facts", "cmd_compare", "cmd_demo", "cmd_list", "cmd_optimize", "cmd_run", "cmd_show",
           "cmd_sweep", "main"]


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
