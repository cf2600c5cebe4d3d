"""The command line: ``python run.py COMMAND ...`` (also installed as ``sme-sim``).

Commands: ``list``, ``show``, ``run``, ``compare``, ``sweep``, ``explore``, ``ablate``, ``attribute``,
``optimize``, ``calibrate``, ``check-facts``, ``demo``.
Every input is checked
before anything is written; a bad input ends with one clear message and exit
code 2, and so does a file the system will not write or read (a full disk, a
read-only file, no permission: :func:`os_error_line`). Every number flag is
bounded as the input files bound the same key (:mod:`simulation.experiments.limits`).
Each invocation writes a new folder under ``outputs/``.

This package only parses and prints: the folder, manifest, resume and
completion of every command are :class:`simulation.experiments.job.Job`'s.
``runs`` holds list, show, run and compare; ``sweeps``, ``calibrate``
(with check-facts), ``ablate`` and ``demo`` one family each; ``parser``
the flags; ``common`` what they share.
"""

from __future__ import annotations

import errno
import os
import sys

from ..experiments.folders import FolderError
from ..experiments.functions import ModelError
from ..experiments.store import StoreError
from ..extras import MissingExtra
from ..files import UnsafePath
from ..inputs import printable, shorten
from ..params import ParameterError
from ..policy import PolicyError
from ..scenario import ScenarioError, UnknownScenario
from .ablate import cmd_ablate
from .attribute import cmd_attribute
from .calibrate import cmd_calibrate, cmd_check_facts
from .common import OUTPUTS, UsageError, seed_note
from .demo import OFFLINE_CDN, cmd_demo
from .optimize import cmd_optimize
from .parser import build_parser
from .runs import cmd_compare, cmd_list, cmd_run, cmd_show
from .sweeps import cmd_sweep

__all__ = ["OFFLINE_CDN", "OUTPUTS", "UsageError", "build_parser", "cmd_ablate", "cmd_attribute", "cmd_calibrate",
           "cmd_check_facts", "cmd_compare", "cmd_demo", "cmd_list", "cmd_optimize", "cmd_run", "cmd_show",
           "cmd_sweep", "main", "os_error_line"]


# What to do about a file the system would not write or read, by errno.
_ADVICE = {
    errno.ENOSPC: "free some disk space, then run again",
    errno.EDQUOT: "free some space within your disk quota, then run again",
    errno.EROFS: "give a folder on a writable file system (--out), then run again",
    errno.EACCES: "make it writable (or readable) for you, or give another folder (--out)",
    errno.EPERM: "make it writable (or readable) for you, or give another folder (--out)",
    errno.EMFILE: "raise the limit of open files (ulimit -n) or use fewer --workers",
}


def os_error_line(err: OSError) -> str:
    """A failed file operation as one sentence: the path, the system's reason and what to do.

    Nothing is lost: every file of a results folder is written to a temporary name and renamed, so an
    interrupted job is finished by ``--resume`` once the cause is fixed.
    """
    path = err.filename if err.filename is not None else err.filename2
    where = f"{shorten(os.fsdecode(path) if isinstance(path, bytes) else str(path), 160)}: " if path else ""
    why = err.strerror or shorten(str(err), 100) or type(err).__name__
    # Arrow and others raise a bare OSError whose text holds the system's message, with no errno
    code = err.errno if err.errno in _ADVICE else next((c for c in _ADVICE if os.strerror(c) in str(err)), None)
    advice = _ADVICE.get(code, "check the path and run again" if path else "run again")
    return f"{where}{why}; {advice} (a job that had started: --resume its folder)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    note = seed_note(args)
    if note:
        print(note, file=sys.stderr)
    try:
        return args.func(args)
    except (ScenarioError, ParameterError, PolicyError, UsageError, FolderError, StoreError, UnsafePath,
            ModelError, MissingExtra) as err:
        # TargetsError is a ScenarioError; MissingExtra names the extra that brings a missing package
        unknown = _unknown_scenario(err)
        if unknown:  # its list of known names is never cut
            return _error(args.command, unknown, limit=None)
        return _error(args.command, str(err))
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as err:  # a full disk, a read-only file or folder, no permission: never a traceback
        return _error(args.command, os_error_line(err))
    except KeyboardInterrupt:
        print(f"\nrun.py {args.command}: interrupted; finish with --resume on the results folder", file=sys.stderr)
        return 130


def _unknown_scenario(err: BaseException) -> str | None:
    """The whole message of an unknown scenario name, also when a sweep's or an exploration's settings
    (the command line or a file) wrapped it: the wrapper's file and key, then every known name."""
    inner: BaseException | None = err
    for _ in range(5):
        if inner is None or isinstance(inner, UnknownScenario):
            break
        inner = inner.__context__
    if not isinstance(inner, UnknownScenario):
        return None
    text, start = str(err), str(err).find("unknown scenario ")
    return str(inner) if inner is err or start < 0 else text[:start] + str(inner)


def _error(command: str, message: str, limit: int | None = 300) -> int:
    """Print one printable line of at most ``limit`` characters (None: the whole line, for a message whose
    every part is needed, as the list of known scenarios); exit code 2. A longer line loses its middle,
    not its end: a message begins with what failed and ends with what to do (a long path in between)."""
    line = printable(" ".join(f"run.py {command}: error: {message}".split()))
    if limit is not None and len(line) > limit:
        tail = limit // 3
        line = f"{line[:limit - tail - 5]} ... {line[-tail:]}"
    print(line, file=sys.stderr)
    return 2
