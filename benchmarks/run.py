#!/usr/bin/env python3
"""All the speed figures, measured in one invocation on this machine.

    python benchmarks/run.py                 # everything (about seven minutes on 2 cores)
    python benchmarks/run.py --quick         # smaller sizes and batches, for a smoke test (under two minutes)
    python benchmarks/run.py --only batch    # the machine check and the batch-size section (under a minute)
    python benchmarks/run.py --only sweep --sweep-samples 1024 2048   # the real Sobol sweeps, timed

Prints:
  0. a machine check: a pure-Python busy loop in 1 process, then in 2
     processes at once, and the ratio of their combined speed to one
     process (2.0x on 2 real cores; a warning below 1.5x, where every
     2-worker figure below is capped by the machine, not by the code;
     repeated in one line after section 3);
  1. SME-steps per second of the engine and of the per-agent Mesa reference
     (benchmarks/reference_per_agent.py) at 2,000, 20,000 and 100,000 SMEs,
     on the integrated package scaled to the population, and their ratio;
  2. the time of one default run (baseline scenario, 2,000 SMEs, 40
     quarters), split into construction (with warm-up), simulation and data
     collection;
  2b. batch size: the time per default run when K = 1, 4, 8, 16, 32, 64
     runs are simulated as one batch in this process (construction with
     warm-up, quarters, collection, ms per run, runs/s, ratio to K = 1), and
     the cost per SME-step of the batched 2,000-SME runs at the best K
     against one 100,000-SME run of the same scenario (package scaled to the
     population; target: within 1.5x);
  3. runs per second of the runner on the default scenario with 1 and 2
     workers, with the chunk (batch) size each used, per worker, and the
     speed-up;
  4. peak memory of one default run and of growing batches through the
     runner (results stream to disk, so it should stay flat);
  5. the time the Sobol sweeps of section 6 would take at N = 1024 and
     N = 2048, extrapolated from the measured 2-worker throughput (targets:
     3 and 6 minutes); their sizes come from the sweep design itself (the
     competitiveness group has 11 sweepable parameters today: N (2D + 2)
     runs plus a 24-run noise probe, 24,600 at N = 1024 and 49,176 at
     N = 2048);
  6. the real time of Sobol sweeps (second order, the competitiveness
     parameters, default scenario, 2 workers) through ``run.py sweep``, end
     to end, one per value of ``--sweep-samples``: N = 64 by default (16
     with ``--quick``), ``--sweep-samples 1024 2048`` for the two full sweeps
     of the targets (9 minutes together if they meet the targets).
Never used in tests: machines are shared and noisy, so read ratios.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from reference_per_agent import ReferenceModel  # noqa: E402

import simulation as sim  # noqa: E402
from simulation.experiments.backends import make_backend  # noqa: E402
from simulation.experiments.runner import BATCH, RunSpec, chunk_size, run_specs  # noqa: E402
from simulation.experiments.store import RunStore  # noqa: E402
from simulation.reporters import Recorder  # noqa: E402
from simulation.scenario import load  # noqa: E402
from simulation.sensitivity.design import SweepConfig, plan  # noqa: E402

# The sweep of sections 5 and 6, as ``run.py sweep baseline --method sobol --params competitiveness
# --second-order`` builds it.
SWEEP = {"scenario": "baseline", "method": "sobol", "params": ["competitiveness"], "options": {"second_order": True}}
SWEEP_TARGET_MINUTES = {1024: 3.0, 2048: 6.0}  # the targets, 2 workers
BATCH_SIZES = (1, 4, 8, 16, 32, 64)


def sweep_size(samples: int) -> tuple[int, int]:
    """(parameters, runs) of the sweep at N = ``samples``: the method's points (Saltelli with second-order
    indices: N (2D + 2)) laid out by the design's own plan (one seed, plus its noise probe); no sample is
    drawn and no run is hashed, so this is instant even at N = 2048."""
    cfg = SweepConfig(samples=samples, **SWEEP)
    problem = cfg.problem()
    points = cfg.method_module().runs(problem, samples, cfg.method_options())
    runs, _ = plan([{"point": k} for k in range(points)], cfg.seeds, cfg.seed,
                   lambda params, seed: SimpleNamespace(run_id=f"{params['point']}:{seed}"))
    return len(problem["names"]), len(runs)


def _busy(n: int, barrier, out) -> None:
    barrier.wait()  # all processes start their loops together
    t = time.perf_counter()
    x = 0
    for i in range(n):
        x += i
    out.put(time.perf_counter() - t)


def busy_loops(n: int, processes: int) -> list[float]:
    """Seconds each of ``processes`` processes takes for the same pure-Python loop, run at once."""
    ctx = mp.get_context("spawn")  # leaves the fork server the runner uses untouched
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_busy, args=(n, barrier, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    times = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return times


def machine_ratio(n: int) -> tuple[float, list[float], float]:
    """(1-process seconds, each of 2 processes' seconds, their combined speed in units of one process)."""
    one = min(busy_loops(n, 1)[0] for _ in range(2))
    two = busy_loops(n, 2)
    return one, two, sum(one / t for t in two)


def print_machine_check(n: int, again: bool = False) -> None:
    one, two, ratio = machine_ratio(n)
    if again:  # a shared machine changes within minutes: the check again, beside the 2-worker figures
        print(f"  machine check now: 2 busy processes at once do {ratio:.2f}x the work of one")
    else:
        print(f"\n## 0. Machine check: a pure-Python busy loop ({n:,} iterations) in 1 process, then in 2 at once")
        print(f"  1 process:            {one:6.2f} s")
        print(f"  2 processes at once:  {two[0]:6.2f} s and {two[1]:6.2f} s")
        print(f"  combined speed of 2 processes / 1 process: {ratio:.2f}x (2.00x on 2 real cores)")
    if ratio < 1.5:
        print(f"  WARNING: two busy processes get {ratio:.2f}x the work of one; this machine does not give 2 "
              f"full cores now, so 2-worker figures below are capped near {ratio:.2f}x")


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
    original = Recorder.collect
    for k in range(repeat):
        spent = [0.0]

        def timed(self, batch, flows, _orig=original, _spent=spent):
            t = time.perf_counter()
            _orig(self, batch, flows)
            _spent[0] += time.perf_counter() - t

        Recorder.collect = timed
        try:
            t0 = time.perf_counter()
            m = sim.SMEModel(s.package, seed=k, steps=s.steps, **s.params)
            t1 = time.perf_counter()
            m.run()
            t2 = time.perf_counter()
            m.recorder.timeseries(), m.recorder.regions()
            t3 = time.perf_counter()
        finally:
            Recorder.collect = original
        collect = spent[0] + (t3 - t2)
        split = {"construction": t1 - t0, "simulation": (t2 - t1) - spent[0], "collection": collect,
                 "total": t3 - t0}
        if best is None or split["total"] < best["total"]:
            best = split
    return best


def batch_split(inputs: list[sim.RunInput], steps: int, repeat: int) -> dict[str, float]:
    """Best of ``repeat`` of one batch simulated as ``simulation.run_batch`` does (regional tables
    included): construction (with warm-up), quarters, collection (the Recorder, then every run's
    tables), in seconds for the whole batch."""
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        batch = sim.Batch(inputs, steps)
        t1 = time.perf_counter()
        recorder = Recorder(batch, regions=True)
        recorder.collect(batch, None)
        quarters = 0.0
        while batch.t < steps:
            t = time.perf_counter()
            flows = batch.quarter()
            quarters += time.perf_counter() - t
            recorder.collect(batch, flows)
        for k in range(batch.k):
            recorder.timeseries(k), recorder.regions(k)
        t2 = time.perf_counter()
        split = {"construction": t1 - t0, "quarters": quarters, "collection": (t2 - t1) - quarters,
                 "total": t2 - t0}
        if best is None or split["total"] < best["total"]:
            best = split
    return best


def print_batch_sizes(repeat: int, large: int = 100_000) -> None:
    s = load("baseline")
    n, steps, warmup = s.resolved_params["n_smes"], s.steps, s.resolved_params["warmup_steps"]
    quarters = steps + warmup
    print(f"\n## 2b. Batch size: default runs (baseline, {n:,} SMEs, {steps} quarters + {warmup} of warm-up) "
          f"as one batch of K runs, this process; best of {repeat}")
    print(f"{'K':>4} {'construction':>13} {'quarters':>10} {'collection':>11} {'ms/run':>8} {'runs/s':>8} "
          f"{'ratio to K=1':>13} {'ns/SME-step':>12}")
    seeds = sim.replicate_seeds(max(BATCH_SIZES), root=11)
    batch_split([sim.RunInput(s.package, s.params, seeds[0])], steps, 1)  # untimed: first calls pay set-up costs
    rows = {}
    for k in BATCH_SIZES:
        split = batch_split([sim.RunInput(s.package, s.params, seed) for seed in seeds[:k]], steps, repeat)
        rows[k] = split
        rate = k / split["total"]
        ns = 1e9 * split["total"] / (k * n * quarters)
        print(f"{k:>4} {1e3 * split['construction'] / k:>10.1f} ms {1e3 * split['quarters'] / k:>7.1f} ms "
              f"{1e3 * split['collection'] / k:>8.1f} ms {1e3 * split['total'] / k:>8.1f} {rate:>8.1f} "
              f"{rate * rows[1]['total']:>12.2f}x {ns:>12.0f}")
    print("  (construction, quarters and collection per run; collection: the Recorder and every run's tables)")
    best = min(BATCH_SIZES, key=lambda k: rows[k]["total"] / k)
    batched = 1e9 * rows[best]["total"] / (best * n * quarters)
    one = batch_split([sim.RunInput(scaled(s, large), {**s.params, "n_smes": large}, seeds[0])], steps, repeat)
    single = 1e9 * one["total"] / (large * quarters)
    print(f"  one {large:,}-SME run of the same scenario (package scaled to the population): "
          f"{one['total']:.2f} s, {single:.0f} ns/SME-step")
    print(f"  batched {n:,}-SME runs at the best K = {best}: {batched:.0f} ns/SME-step, "
          f"{batched / single:.2f}x the {large:,}-SME run (target: within 1.5x)")


def runner_throughput(workers: int, runs: int) -> tuple[float, int]:
    """Runs per second through the runner (full tables, as ``run.py run`` stores them) and the chunk size."""
    s = load("baseline")
    specs = [RunSpec.make(s, seed) for seed in sim.replicate_seeds(runs, root=99)]
    with tempfile.TemporaryDirectory() as tmp:
        backend = make_backend(workers)
        chunk = chunk_size(runs, backend.workers)  # what run_specs picks for a fresh store
        t = time.perf_counter()
        run_specs(specs, RunStore(Path(tmp)), backend, quiet=True)
        elapsed = time.perf_counter() - t
        backend.close()
    return runs / elapsed, chunk


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
    d, _ = sweep_size(samples)
    print(f"\n## 6. Real Sobol sweep: baseline, the {d} competitiveness parameters, second order, "
          f"N = {samples}, 2 workers, end to end")
    runs, elapsed = measured_sweep(samples)
    print(f"  {runs:,} runs in {elapsed / 60:.1f} minutes ({runs / elapsed:.1f} runs/s)")
    for n, target in SWEEP_TARGET_MINUTES.items():
        if n == samples:
            verdict = "met" if elapsed / 60 <= target else "missed"
            print(f"  target for N = {n}: {target:.0f} minutes or less: {verdict}")
        elif runs < (full := sweep_size(n)[1]):
            print(f"  at that rate, N = {n} ({full:,} runs) would take "
                  f"{full / runs * elapsed / 60:.1f} minutes (target: {target:.0f} or less)")


def header(what: str) -> None:
    print(f"# {what}, {datetime.date.today()}, {platform.node()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, simulation {sim.__version__}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes and batches")
    ap.add_argument("--sweep-samples", type=int, nargs="+", default=[64], metavar="N",
                    help="N of the real Sobol sweeps of section 6, one sweep per value (default 64, 16 with "
                         "--quick; 1024 2048: the two full sweeps of the targets)")
    ap.add_argument("--only", choices=["sweep", "batch"], default=None,
                    help="run only the machine check and this section")
    args = ap.parse_args()
    sweeps = args.sweep_samples if args.only == "sweep" or not args.quick else [16]
    busy = 10_000_000 if args.quick else 20_000_000
    header(f"benchmarks/run.py{' --only ' + args.only if args.only else ''}")
    print_machine_check(busy)
    if args.only == "sweep":
        for n in sweeps:
            print_sweep(n)
        return
    if args.only == "batch":
        print_batch_sizes(1 if args.quick else 3)
        return
    sizes = [2000, 20000] if args.quick else [2000, 20000, 100000]
    quarters = {2000: 8, 20000: 2, 100000: 1}
    batches = [20, 100] if args.quick else [200, 2000]
    runner_runs = 64 if args.quick else 256

    print("\n## 1. Engine against the per-agent Mesa reference (integrated package, no warm-up)")
    print(f"{'SMEs':>9} {'quarters':>8} {'engine SME-steps/s':>20} {'reference SME-steps/s':>22} {'ratio':>7}")
    for n, q, eng, ref in engine_vs_reference(sizes, quarters):
        print(f"{n:>9,} {q:>8} {eng:>20,.0f} {ref:>22,.0f} {eng / ref:>7.0f}")

    print("\n## 2. One default run (baseline, 2,000 SMEs, 40 quarters; best of 5)")
    split = default_run_split(5)
    for k in ("construction", "simulation", "collection", "total"):
        print(f"  {k:14} {1e3 * split[k]:8.1f} ms")

    print_batch_sizes(1 if args.quick else 2)

    print(f"\n## 3. Runner throughput on the default scenario ({runner_runs} runs, full tables; "
          f"chunks of at most {BATCH} runs, each simulated as one batch)")
    rates = {}
    for w in (1, 2):
        rates[w], chunk = runner_throughput(w, runner_runs)
        print(f"  {w} worker{'s' if w > 1 else ' '}: chunk {chunk:>3} runs, {rates[w]:7.1f} runs/s, "
              f"{rates[w] / w:7.1f} runs/s per worker")
    print(f"  speed-up with 2 workers: {rates[2] / rates[1]:.2f}x")
    print_machine_check(busy, again=True)

    print("\n## 4. Peak memory (peak resident set; workers from the fork server)")
    own, _ = peak_memory(1, 1)
    print(f"  one default run: {own:8.1f} MiB")
    for runs in batches:
        own, kids = peak_memory(runs, 2)
        print(f"  batch of {runs:>5} runs, 2 workers: parent {own:8.1f} MiB, largest worker {kids:8.1f} MiB")

    d, _ = sweep_size(64)
    print(f"\n## 5. Sobol sweeps of section 6 (the {d} competitiveness parameters, second order), extrapolated "
          f"from section 3's 2-worker throughput ({rates[2]:.1f} runs/s, runs at the default parameters with "
          f"full tables; section 6 times the real sweep)")
    for n, target in SWEEP_TARGET_MINUTES.items():
        runs = sweep_size(n)[1]
        print(f"  N = {n} ({runs:,} runs): {runs / rates[2] / 60:.1f} minutes (target: {target:.0f} or less)")
    for n in sweeps:
        print_sweep(n)


if __name__ == "__main__":
    main()
