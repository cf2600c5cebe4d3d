#!/usr/bin/env python3
"""Engine speed of two versions of the model, measured alternately in one invocation.

    python benchmarks/compare_commits.py OLD [NEW] [--repeat 5] [--sizes 100000] [--steps 40]

OLD and NEW are git commits (NEW defaults to the working tree). Each is
checked out into a temporary git worktree; then, ``--repeat`` times, each
version in turn builds and runs the full package (``benchmarks/engine.py``'s
``full_package``, every kind of instrument at the integrated package's
budget per SME) in a fresh process, and the time per simulated quarter is
recorded. Alternating the two in one invocation spreads a noisy machine's
load over both; the medians and their ratio are printed. Never used in tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import sys, time
sys.path.insert(0, 'benchmarks')
import simulation as sim
from engine import full_package
n, steps = {n}, {steps}
model = sim.SMEModel(full_package(n), seed=1, steps=steps, n_smes=n, coordination=0.9)
t = time.perf_counter()
model.run()
print((time.perf_counter() - t) / steps * 1e3, sim.__file__)
"""


def _tree(commit: str | None, tmp: Path) -> Path:
    if commit is None:
        return ROOT
    path = tmp / commit[:12]
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True,
                   capture_output=True)
    return path


def _measure(tree: Path, n: int, steps: int) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE.format(n=n, steps=steps)], cwd=tree, check=True,
                         capture_output=True, text=True).stdout.split()
    ms, where = float(out[0]), out[1]
    if not Path(where).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"measured {where}, not the version in {tree}")
    return ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new", nargs="?", default=None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", default="100000")
    ap.add_argument("--steps", type=int, default=40)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {args.old: _tree(args.old, Path(tmp)), args.new or "working tree": _tree(args.new, Path(tmp))}
        try:
            print(f"# full package, {args.steps} quarters, median of {args.repeat} alternated runs, one core")
            print(f"{'SMEs':>9}  " + "  ".join(f"{name[:12]:>14}" for name in trees) + "   ratio (new/old)")
            for n in sizes:
                times: dict[str, list[float]] = {name: [] for name in trees}
                for _ in range(args.repeat):
                    for name, tree in trees.items():
                        times[name].append(_measure(tree, n, args.steps))
                med = [statistics.median(t) for t in times.values()]
                print(f"{n:>9,}  " + "  ".join(f"{m:>11.2f} ms" for m in med) + f"   {med[1] / med[0]:.2f}")
                for name, t in times.items():
                    print(f"           {name[:12]}: " + ", ".join(f"{x:.2f}" for x in t) + " ms/quarter")
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                                   capture_output=True)


if __name__ == "__main__":
    main()
