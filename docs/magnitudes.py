#!/usr/bin/env python3
"""Print the magnitude checks of docs/calibration.md ("Magnitudes: the sunk cost and the business climate",
"Export promotion's return").

    python docs/magnitudes.py [--seeds 40] [--large-seeds 40] [--promotion-seeds 20]

Each scenario at its own 2,000 SMEs on ``--seeds`` seeds, and the status
quo at 20,000 SMEs (budgets scaled, the same per SME) on ``--large-seeds``,
where the change in persistence is resolved; then export promotion's return
per dollar, in export sales and in foreign operating profit, over the
plausible range of ``promotion_demand_gain``, at 20,000 SMEs on
``--promotion-seeds``. About ten minutes on two cores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.calibration import magnitudes  # noqa: E402
from simulation.calibration.targets import at_population  # noqa: E402
from simulation.scenario import load  # noqa: E402


def pct(e: magnitudes.Estimate) -> str:
    return f"{100 * e.mean:+.1f}% [{100 * e.low:+.1f}, {100 * e.high:+.1f}]"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--large-seeds", type=int, default=40)
    ap.add_argument("--promotion-seeds", type=int, default=20)
    args = ap.parse_args()
    print("| world | seeds | elasticity of direct exporters to `entry_cost` | to the whole sunk cost "
          "| reform: mean sunk-cost cut | reform: direct exporters | reform: first-time exporters "
          "| first-time minus direct (paired) | reform: early-stop share | reform as a cut in `entry_cost` |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    worlds = [(name, load(name), args.seeds) for name in ("baseline", "indonesia_2014")]
    worlds.append(("baseline at 20,000 SMEs", at_population(load("baseline"), 20_000), args.large_seeds))
    for label, scenario, seeds in worlds:
        s = magnitudes.summary(scenario, seeds)
        print(f"| {label} | {seeds} | {s['elasticity']} | {s['whole_elasticity']} | {100 * s['sunk_cost_cut']:.1f}% "
              f"| {pct(s['direct_exporters'])} | {pct(s['first_exporters'])} | {pct(s['first_minus_direct'])} "
              f"| {100 * s['early_stop_share'].mean:+.1f} points [{100 * s['early_stop_share'].low:+.1f}, "
              f"{100 * s['early_stop_share'].high:+.1f}] | {100 * s['equivalent_cut']:.0f}% |")
    print()
    print("| `promotion_demand_gain` | seeds | export sales per dollar of promotion | foreign operating profit "
          "per dollar |")
    print("|---|---|---|---|")
    returns = magnitudes.promotion_return(at_population(load("baseline"), 20_000), args.promotion_seeds)
    for _, r in returns.iterrows():
        print(f"| {r['promotion_demand_gain']:g} | {r['seeds']} | {r['export_sales_per_dollar']} "
              f"| {r['foreign_profit_per_dollar']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
