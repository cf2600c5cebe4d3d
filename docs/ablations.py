#!/usr/bin/env python3
"""Regenerate docs/hypotheses.md: every direction's ablation table, on 50 common seeds.

    python docs/ablations.py [--seeds 50] [--workers 2]

A thin wrapper over ``python run.py ablate --markdown docs/hypotheses.md``,
which also writes docs/hypotheses.csv, the verdicts tests/test_directions.py
holds the model to (the results folder with effects.csv lands in outputs/
as usual). About 14,000 runs of 2,000 SMEs.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.cli import main  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    if not any(a == "--seeds" or a.startswith("--seeds=") for a in args):
        args += ["--seeds", "50"]
    sys.exit(main(["ablate", *args, "--markdown", str(ROOT / "docs" / "hypotheses.md")]))
