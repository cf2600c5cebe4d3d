#!/usr/bin/env python3
"""Where a batch's time goes: wall time of each mechanism of the quarter, per run.

    python benchmarks/profile_quarter.py                  # baseline, K = 32 runs in one batch
    python benchmarks/profile_quarter.py --k 1 --scenario integrated

Every public function of the mechanism modules, the governments' phases,
the indices and the recorder are wrapped with a timer (outermost call only,
so nothing is counted twice); the batch is built, then its 40 quarters are
run and recorded. Prints milliseconds per run, largest first. Lighter than
cProfile (which inflates the many small NumPy calls), so the shares are
closer to an unprofiled run. Never used in tests.
"""

from __future__ import annotations

import argparse
import collections
import functools
import time

from simulation import context, engine, governments, reporters, scenario
from simulation.mechanisms import alliances, demography, learning, support, trade

SPENT: collections.Counter = collections.Counter()
_DEPTH = [0]


def _timed(owner, name: str, label: str) -> None:
    f = getattr(owner, name)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if _DEPTH[0]:
            return f(*args, **kwargs)
        _DEPTH[0] += 1
        start = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - start
            _DEPTH[0] -= 1

    setattr(owner, name, wrapper)


def instrument() -> None:
    for module in (support, learning, alliances, trade, demography):
        short = module.__name__.rsplit(".", 1)[-1]
        for name, obj in list(vars(module).items()):
            if callable(obj) and not name.startswith("_") and not isinstance(obj, type) \
                    and getattr(obj, "__module__", "") == module.__name__:
                _timed(module, name, f"{short}.{name}")
    for cls, names in ((governments.Governments, ("enact", "deliver")), (reporters.Recorder, ("collect",)),
                       (context.Indices, ("recompute", "fresh")), (engine.Batch, ("_census_year",))):
        for name in names:
            _timed(cls, name, f"{cls.__name__}.{name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=32, help="runs in the batch (default 32)")
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    sc = scenario.load(args.scenario)
    instrument()
    t0 = time.perf_counter()
    batch = engine.Batch([engine.RunInput(sc.package, sc.params, seed) for seed in range(args.k)], sc.steps)
    built = time.perf_counter() - t0
    SPENT.clear()  # the warm-up is part of construction
    recorder = reporters.Recorder(batch, regions=False)
    recorder.collect(batch, None)
    t1 = time.perf_counter()
    while batch.t < sc.steps:
        recorder.collect(batch, batch.quarter())
    ran = time.perf_counter() - t1
    per_run = 1e3 / args.k
    print(f"# {args.scenario}, K = {args.k}: construction (with warm-up) {built * per_run:.1f} ms per run, "
          f"{sc.steps} quarters {ran * per_run:.1f} ms per run")
    for label, seconds in SPENT.most_common(args.top):
        print(f"  {label:38s} {seconds * per_run:7.2f} ms per run")
    print(f"  {'(the rest of the quarter)':38s} {(ran - sum(SPENT.values())) * per_run:7.2f} ms per run")


if __name__ == "__main__":
    main()
