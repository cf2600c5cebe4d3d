#!/usr/bin/env python3
"""Regenerate docs/hypotheses.md and docs/hypotheses.csv: every question's ablation table, on 50 common seeds.

    python docs/ablations.py [--seeds 50] [--workers 2]
    python docs/ablations.py --from outputs/<time>-ablate-...   # rewrite both from a finished ablation's tables

A thin wrapper over ``python run.py ablate --markdown docs/hypotheses.md``,
which also writes docs/hypotheses.csv, the verdicts tests/test_directions.py
holds the model to (the results folder with effects.csv lands in outputs/
as usual). About 14,000 runs of 2,000 SMEs: 27 minutes on two cores with
other work beside it. ``--from`` reads a finished ablation's stored runs and
manifest and runs nothing (the document's wording, or the outcomes a
question reports, can change without rerunning the model).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.cli import main  # noqa: E402
from simulation.cli.ablate import _again  # noqa: E402
from simulation.experiments import ablation  # noqa: E402
from simulation.experiments.ablation import direction  # noqa: E402
from simulation.experiments.store import RunStore  # noqa: E402
from simulation.reporting.hypotheses import markdown, read_worlds, verdicts  # noqa: E402
from simulation.scenario import load  # noqa: E402

DOC = ROOT / "docs" / "hypotheses.md"


def rewrite(folder: Path) -> int:
    """docs/hypotheses.md and .csv from a finished ablation's saved runs: the effects are recomputed from its
    stored results, so a question that now reports one more outcome needs no new run."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    directions = [direction(n) for n in manifest["directions"]]
    results = RunStore(folder, ("results",)).read("results").drop_duplicates("run_id").set_index("run_id")
    table = ablation.effects(ablation.design(directions, manifest["seeds"]), results, directions)
    n_smes = int(load(directions[0].scenarios[0]).resolved_params["n_smes"])
    seeds = manifest["seeds"]
    DOC.write_text(markdown(table, directions, len(seeds), n_smes,
                            _again(directions, seeds, manifest.get("base_seed")), read_worlds(DOC)),
                   encoding="utf-8")
    verdicts(table, directions).to_csv(DOC.with_suffix(".csv"), index=False)
    print(f"wrote {DOC} and {DOC.with_suffix('.csv')} from {folder}")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--from"] and len(args) == 2:
        sys.exit(rewrite(Path(args[1])))
    if not any(a == "--seeds" or a.startswith("--seeds=") for a in args):
        args += ["--seeds", "50"]
    sys.exit(main(["ablate", *args, "--markdown", str(DOC)]))
