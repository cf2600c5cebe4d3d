#!/usr/bin/env python3
"""All the speed figures, measured in one invocation on this machine.

    python benchmarks/run.py                 # everything (about five minutes on 2 cores)
    python benchmarks/run.py --quick         # smaller batches, for a smoke test
    python benchmarks/run.py --only sweep --sweep-samples 1024   # the full Sobol sweep, timed

Prints:
  1. SME-steps per second of the engine and of the per-agent Mesa reference
     (benchmarks/reference_per_agent.py) at 2,000, 20,000 and 100,000 SMEs,
     on the integrated package scaled to the population, and their ratio;
  2. the time of one default run (baseline scenario, 2,000 SMEs, 40
     quarters), split into construction (with warm-up), simulation and data
     collection;
  3. runs per second of the runner on the default scenario with 1 and 2
     workers;
  4. peak memory of one default run and of growing batches through the
     runner (results stream to disk, so it should stay flat);
  5. the time a Sobol sweep of 8 parameters at N = 1024 (18,432 runs) would
     take, extrapolated from the measured 2-worker throughput;
  6. the real time of a Sobol sweep (second order, the 8 competitiveness
     parameters, default scenario, 2 workers) through ``run.py sweep``, end
     to end: N = 64 by default, ``--sweep-samples 1024`` for the full
     18,432-run sweep (about 20 to 30 minutes on 2 cores).
Never used in tests: machines are shared and noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_per_agent import ReferenceModel  # noqa: E402

import simulation as sim  # noqa: E402
from simulation.experiments.backends import make_backend  # noqa: E402
from simulation.experiments.runner import RunSpec, run_specs  # noqa: E402
from simulation.experiments.store import RunStore  # noqa: E402
from simulation.scenario import load  # noqa: E402

SOBOL_RUNS = 1024 * (2 * 8 + 2)  # Saltelli with second-order indices: N (2D + 2) = 18,432


def scaled(scenario, n: int) -> sim.PolicyPackage:
    data = scenario.package.to_dict()
    for e in data["entries"]:
        e["budget"] *= n / scenario.resolved_params["n_smes"]
    return sim.PolicyPackage.from_dict(data)


def engine_vs_reference(sizes: list[int], quarters: dict[int, int]) -> list[tuple]:
    s = load("integrated")
    rows = []
    for n in sizes:
        pkg, q = scaled(s, n), quarters[n]
        params = {**s.params, "n_smes": n, "warmup_steps": 0}
        m = sim.SMEModel(pkg, seed=1, steps=q, **params)
        t = time.perf_counter()
        m.run()
        eng = n * q / (time.perf_counter() - t)
        r = ReferenceModel(pkg, seed=1, steps=q, **params)
        t = time.perf_counter()
        r.run()
        ref = n * q / (time.perf_counter() - t)
        rows.append((n, q, eng, ref))
    return rows


def default_run_split(repeat: int) -> dict[str, float]:
    s = load("baseline")
    best = None
    from simulation import reporters
    original = reporters.Recorder.collect
    for k in range(repeat):
        spent = [0.0]

        def timed(self, m, flows, _orig=original, _spent=spent):
            t = time.perf_counter()
            _orig(self, m, flows)
            _spent[0] += time.perf_counter() - t

        reporters.Recorder.collect = timed
        try:
            t0 = time.perf_counter()
            m = sim.SMEModel(s.package, seed=k, steps=s.steps, **s.params)
            t1 = time.perf_counter()
            m.run()
            t2 = time.perf_counter()
            m.recorder.timeseries(), m.recorder.regions()
            t3 = time.perf_counter()
        finally:
            reporters.Recorder.collect = original
        collect = spent[0] + (t3 - t2)
        split = {"construction": t1 - t0, "simulation": (t2 - t1) - spent[0] + 0.0, "collection": collect,
                 "total": t3 - t0}
        if best is None or split["total"] < best["total"]:
            best = split
    return best


def runner_throughput(workers: int, runs: int) -> float:
    s = load("baseline")
    specs = [RunSpec.make(s, seed) for seed in sim.replicate_seeds(runs, root=99)]
    with tempfile.TemporaryDirectory() as tmp:
        backend = make_backend(workers)
        t = time.perf_counter()
        run_specs(specs, RunStore(Path(tmp)), backend, quiet=True)
        elapsed = time.perf_counter() - t
        backend.close()
    return runs / elapsed


MEMORY_CHILD = """
import json, sys, tempfile
from pathlib import Path
import simulation as sim
from simulation.experiments.backends import make_backend
from simulation.experiments.runner import RunSpec, run_specs
from simulation.experiments.store import RunStore
from simulation.scenario import load
def hwm(pid="self"):
    # VmHWM: a process's own peak (ru_maxrss would carry the launching process's peak across exec).
    return next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmHWM"))
runs, workers = int(sys.argv[1]), int(sys.argv[2])
s = load("baseline")
kids = 0
if runs == 1:
    sim.run(s.package, seed=1, steps=s.steps, **s.params)
else:
    specs = [RunSpec.make(s, seed) for seed in sim.replicate_seeds(runs, root=7)]
    with tempfile.TemporaryDirectory() as tmp:
        b = make_backend(workers); run_specs(specs, RunStore(Path(tmp)), b, quiet=True)
        # Workers come from a fork server, not from this process: RUSAGE_CHILDREN never sees them.
        kids = max(hwm(pid) for pid in b._pool._processes)
        b.close()
print(json.dumps({"self": hwm(), "children": kids}))
"""


def peak_memory(runs: int, workers: int) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(runs), str(workers)], capture_output=True,
                         text=True, cwd=ROOT, check=True)
    kb = json.loads(out.stdout.strip().splitlines()[-1])
    return kb["self"] / 1024, kb["children"] / 1024


def measured_sweep(samples: int, workers: int = 2) -> tuple[int, float]:
    """Wall time of a real Sobol sweep through the command line (runs, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep"
        t = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", "baseline", "--method", "sobol",
                        "--samples", str(samples), "--params", "competitiveness", "--second-order",
                        "--workers", str(workers), "--quiet", "--out", str(out)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        elapsed = time.perf_counter() - t
        runs = json.loads((out / "manifest.json").read_text())["runs"]
    return runs, elapsed


def print_sweep(samples: int) -> None:
    print(f"\n## 6. Real Sobol sweep: baseline, 8 competitiveness parameters, second order, N = {samples}, "
          f"2 workers, end to end")
    runs, elapsed = measured_sweep(samples)
    print(f"  {runs:,} runs in {elapsed / 60:.1f} minutes ({runs / elapsed:.1f} runs/s)")
    if runs < SOBOL_RUNS:
        print(f"  at that rate, N = 1024 ({SOBOL_RUNS:,} runs) would take {SOBOL_RUNS / runs * elapsed / 60:.1f} "
              f"minutes (target: under 10)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes and batches")
    ap.add_argument("--sweep-samples", type=int, default=64, metavar="N",
                    help="N of the real Sobol sweep of section 6 (1024: the full 18,432-run sweep)")
    ap.add_argument("--only", choices=["sweep"], default=None, help="run only this section")
    args = ap.parse_args()
    if args.only == "sweep":
        print(f"# benchmarks/run.py --only sweep, {datetime.date.today()}, {platform.node()}, "
              f"{os.cpu_count()} cores, Python {platform.python_version()}, simulation {sim.__version__}")
        print_sweep(args.sweep_samples)
        return
    sizes = [2000, 20000] if args.quick else [2000, 20000, 100000]
    quarters = {2000: 8, 20000: 2, 100000: 1}
    batches = [20, 100] if args.quick else [200, 2000]
    runner_runs = 40 if args.quick else 200

    print(f"# benchmarks/run.py, {datetime.date.today()}, {platform.node()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, simulation {sim.__version__}")

    print("\n## 1. Engine against the per-agent Mesa reference (integrated package, no warm-up)")
    print(f"{'SMEs':>9} {'quarters':>8} {'engine SME-steps/s':>20} {'reference SME-steps/s':>22} {'ratio':>7}")
    for n, q, eng, ref in engine_vs_reference(sizes, quarters):
        print(f"{n:>9,} {q:>8} {eng:>20,.0f} {ref:>22,.0f} {eng / ref:>7.0f}")

    print("\n## 2. One default run (baseline, 2,000 SMEs, 40 quarters; best of 5)")
    split = default_run_split(5)
    for k in ("construction", "simulation", "collection", "total"):
        print(f"  {k:14} {1e3 * split[k]:8.1f} ms")

    print("\n## 3. Runner throughput on the default scenario")
    rates = {}
    for w in (1, 2):
        rates[w] = runner_throughput(w, runner_runs)
        print(f"  {w} worker{'s' if w > 1 else ' '} {rates[w]:8.1f} runs/s  ({runner_runs} runs)")
    print(f"  speed-up with 2 workers: {rates[2] / rates[1]:.2f}x")

    print("\n## 4. Peak memory (peak resident set; workers from the fork server)")
    own, _ = peak_memory(1, 1)
    print(f"  one default run: {own:8.1f} MiB")
    for runs in batches:
        own, kids = peak_memory(runs, 2)
        print(f"  batch of {runs:>5} runs, 2 workers: parent {own:8.1f} MiB, largest worker {kids:8.1f} MiB")

    print("\n## 5. Sobol sweep, 8 parameters, N = 1024 (18,432 runs), extrapolated")
    est = SOBOL_RUNS / rates[2]
    print(f"  at {rates[2]:.1f} runs/s on 2 workers: {est / 60:.1f} minutes (target: under 10)")
    print_sweep(16 if args.quick else args.sweep_samples)


if __name__ == "__main__":
    main()
