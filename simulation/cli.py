"""The command line. For now one job: run the default model and print a summary.

``run.py`` is a thin shim over :func:`main`; so is the ``sme-sim`` console script.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import __version__
from .api import run
from .params import ParameterError

EPILOG = """example:
  python run.py --seed 3 --steps 40 --n-smes 2000
"""


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="run.py",
        description="Simulate SME internationalization (no policy package: the status quo) and print the outcome.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--steps", type=int, default=40, help="quarters to simulate (default 40)")
    ap.add_argument("--n-smes", type=int, default=None, help="number of SMEs (default: the registry's)")
    ap.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    params = {} if args.n_smes is None else {"n_smes": args.n_smes}
    t0 = time.perf_counter()
    try:
        result = run(seed=args.seed, steps=args.steps, **params)
    except (ParameterError, ValueError) as err:
        print(f"run.py: error: {err}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - t0
    ts = result.timeseries
    first, last = ts.iloc[0], ts.iloc[-1]
    print(f"SME internationalization, default world, no policy package "
          f"(seed {result.seed}, {args.steps} quarters, version {result.version}, {elapsed:.2f} s)")
    print(f"{'':28}{'start':>10}{'end':>10}")
    for col in ("n_smes", "share_precondition", "share_strengthening", "share_exporting", "share_gvc",
                "export_participation", "gvc_participation", "mean_competitiveness", "mean_connectivity"):
        fmt = "{:>10.0f}" if col == "n_smes" else "{:>10.3f}"
        print(f"{col:28}" + fmt.format(first[col]) + fmt.format(last[col]))
    print("over the run:")
    for key in ("new_exporters", "export_entries", "export_stops", "exits", "alliances_formed"):
        print(f"  {key:26}{result.summary[key]:>10.0f}")
    return 0
