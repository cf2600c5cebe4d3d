#!/usr/bin/env python3
"""Run the plausible-worlds study and write each verdict's share of plausible worlds into docs/hypotheses.md.

    python docs/plausible_worlds.py [--samples 100] [--seeds 20] [--workers 2]
    python docs/plausible_worlds.py --from outputs/<time>-explore-...   # rewrite from a finished study

A thin wrapper over ``python run.py explore questions --over judgment``:
every question of docs/hypotheses.md, over a Latin hypercube of every number
set by judgment (registry parameters and catalogue numbers, each over its
plausible range), each world on the same common seeds. It writes
docs/plausible_worlds.csv and rewrites two blocks of docs/hypotheses.md (the
glance table's share column and the section "Each verdict across plausible
worlds"); the results folder, with its report, lands in outputs/. At the
defaults (100 worlds, 20 seeds, 2,000 SMEs) about 38,000 distinct runs:
docs/performance.md gives the time it took. ``--from`` runs nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation._version import __version__  # noqa: E402
from simulation.cli import main as run_py  # noqa: E402
from simulation.experiments.ablation import DIRECTIONS  # noqa: E402
from simulation.reporting.hypotheses import (  # noqa: E402
    GLANCE,
    WORLDS,
    WORLDS_COMMAND,
    glance,
    replace_block,
    worlds_section,
    worlds_table,
)

DOC = ROOT / "docs" / "hypotheses.md"
CSV = ROOT / "docs" / "plausible_worlds.csv"


def rewrite(folder: Path) -> int:
    """docs/plausible_worlds.csv and the two blocks of docs/hypotheses.md from a finished study's tables."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("status") != "complete" or manifest.get("config", {}).get("over") != "judgment":
        print(f"plausible_worlds: {folder} is not a finished explore --over judgment", file=sys.stderr)
        return 1
    read = {name: pd.read_csv(folder / f"{name}.csv") for name in ("summary", "boxes", "cart", "effects")}
    worlds = worlds_table(read["summary"], read["boxes"], read["cart"], read["effects"],
                          manifest["params"]).assign(
        seeds=len(manifest["seeds"]), version=manifest.get("version", __version__))
    worlds.to_csv(CSV, index=False)
    text = DOC.read_text(encoding="utf-8")
    if GLANCE[0] not in text or WORLDS[0] not in text:  # docs/ablations.py writes them, reading the CSV
        print(f"wrote {CSV}; {DOC} predates the study's blocks: python docs/ablations.py (or --from <ablation "
              "folder>) writes them from it")
        return 0
    verdicts = pd.read_csv(DOC.with_suffix(".csv"))
    text = replace_block(text, GLANCE, glance(verdicts, DIRECTIONS, worlds))
    text = replace_block(text, WORLDS, worlds_section(worlds, WORLDS_COMMAND))
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {CSV} and the plausible-worlds blocks of {DOC} from {folder}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", type=Path, help="a finished study's folder: run nothing")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if args.source is not None:
        return rewrite(args.source)
    out = ROOT / "outputs" / f"{time.strftime('%Y%m%d-%H%M%S')}-plausible-worlds"
    start = time.monotonic()
    code = run_py(["explore", "questions", "--over", "judgment", "--samples", str(args.samples),
                   "--seeds", str(args.seeds), "--workers", str(args.workers), "--out", str(out)])
    print(f"the study took {(time.monotonic() - start) / 60:.1f} minutes on {args.workers} workers")
    return code or rewrite(out)


if __name__ == "__main__":
    sys.exit(main())
