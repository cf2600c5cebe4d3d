#!/usr/bin/env python3
"""Engine speed: SME-steps per second at 2,000, 20,000 and 100,000 SMEs.

    python benchmarks/engine.py [--steps 40] [--repeat 3] [--sizes 2000,20000,100000]

Prints, for each size, the time to build the model (with its warm-up), the
time per simulated quarter and SME-steps per second, with no policy and with
a full package (every kind of instrument, budget scaled to the number of
SMEs). Figures are the best of --repeat runs, measured in this one
invocation; compare ratios, not absolute times, across machines.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import simulation as sim


def full_package(n_smes: int) -> sim.PolicyPackage:
    """Every kind of instrument at the integrated package's budget per SME."""
    scale = n_smes / 2000
    entries = [
        ("mapping_study", 100, 0, 4), ("awareness_information", 500, 0, 16),
        ("capacity_training", 350, 4, None), ("technology_upgrading", 350, 4, None),
        ("access_to_finance_guaranteed", 300, 4, None), ("networks_clusters", 150, 4, None),
        ("physical_infrastructure", 300, 4, None), ("export_promotion", 250, 6, None),
        ("alliance_framework", 100, 0, None), ("trade_liberalization", 100, 12, None),
    ]
    return sim.PolicyPackage.from_dict({"name": "full", "entries": [
        {"instrument": i, "budget": b * scale, "start": s, **({} if e is None else {"end": e}),
         "delivered_by": "local" if i not in ("mapping_study", "alliance_framework", "trade_liberalization")
         else "national"} for i, b, s, e in entries]})


def measure(n: int, steps: int, repeat: int, package) -> tuple[float, float]:
    best_build = best_run = float("inf")
    for r in range(repeat):
        t0 = time.perf_counter()
        model = sim.SMEModel(package, seed=r, steps=steps, n_smes=n, coordination=0.9)
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        best_build, best_run = min(best_build, t1 - t0), min(best_run, t2 - t1)
    return best_build, best_run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="2000,20000,100000")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    machine = platform.processor() or platform.machine()
    print(f"# engine benchmark, {datetime.date.today()}, {platform.node()}, {machine}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, simulation {sim.__version__}")
    print(f"# {args.steps} quarters, best of {args.repeat}; one core")
    print(f"{'package':10}{'SMEs':>10}{'build s':>10}{'ms/quarter':>12}{'SME-steps/s':>14}{'ns/SME-step':>13}")
    for label in ("none", "full"):
        for n in sizes:
            pkg = None if label == "none" else full_package(n)
            build, run = measure(n, args.steps, args.repeat, pkg)
            rate = n * args.steps / run
            print(f"{label:10}{n:>10,}{build:>10.3f}{1e3 * run / args.steps:>12.2f}{rate:>14,.0f}{1e9 / rate:>13.0f}")


if __name__ == "__main__":
    main()
