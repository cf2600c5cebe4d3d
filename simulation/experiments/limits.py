"""The largest study the tool runs: the bounds the flags, the sweep configs and the manifests share.

A number a user types (``--steps``, ``--seeds``, ``--workers``...) or a
folder holds (a manifest's ``steps``) is bounded as the input files bound
the same key (:mod:`simulation.schema.files`), so no input runs without
bound and a job the command line starts is one its resume accepts. Where a
file key has no upper bound of its own (the run and compare seeds have no
file key at all), the bound here is far above any study in the docs.
"""

from __future__ import annotations

from ..inputs import MAX_WHOLE
from ..schema import MAX_STEPS

__all__ = ["MAX_BUDGET_RUNS", "MAX_MANIFEST_BYTES", "MAX_POINT_SEEDS", "MAX_SAMPLES", "MAX_SEED", "MAX_SEEDS",
           "MAX_STEPS", "MAX_WORKERS"]

MAX_SEEDS = 10_000        # replicate seeds of a scenario (run, compare, ablate, check-facts, optimize's seeds)
MAX_POINT_SEEDS = 1_000   # seeds at each sampled point (sweep, explore): the explore file's seeds key
MAX_SAMPLES = 100_000     # sampled points (sweep, explore): the explore file's samples key
MAX_SEED = MAX_WHOLE      # a seed root: a whole number from 0, as a file's seed key (read_toml's bound)
MAX_WORKERS = 1_024       # worker processes: each is started at once, so this bounds what one flag starts
MAX_BUDGET_RUNS = 1_000_000  # calibrate --budget: model runs (the default is 2,000)

# The manifest of a run or compare lists every planned run: 2 to 4 KB each with the shipped scenarios
# (integrated, the largest, 3.8 KB). The largest study the bounds above allow with one scenario, a run at
# MAX_SEEDS seeds, writes about 40 MB; every other command writes far less (a sweep's or an exploration's
# design is in Parquet beside it; an attribution's seeds are 100,000 numbers at most, 2 MB). A manifest over
# three times that was not written by this tool and is refused unread; a study whose manifest would be larger
# (several scenarios at thousands of seeds each, huge scenario files) is refused before it starts
# (:func:`simulation.experiments.folders.encode_manifest`).
MAX_MANIFEST_BYTES = 128 * 2 ** 20
