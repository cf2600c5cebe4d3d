"""The notebook API: ``simulation.run(package, seed=..., **params)``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import pandas as pd

from ._version import __version__
from .engine import Batch, RunInput
from .model import SMEModel
from .outcomes import OUTCOMES, SUMMARY
from .policy import PolicyPackage
from .reporters import Recorder

# Outcomes reported at the end of a run; flows are summed over the horizon,
# stocks are read at the last quarter.


@dataclass
class RunResult:
    """One run: its per-quarter table, its regional table and its end-of-run outcomes."""

    timeseries: pd.DataFrame
    regions: pd.DataFrame
    summary: pd.Series
    seed: int
    params: dict[str, Any]
    package: PolicyPackage
    version: str = __version__
    model: SMEModel | None = field(default=None, repr=False)


def summarize(ts: pd.DataFrame) -> pd.Series:
    """A run's outcomes over its whole horizon (:data:`simulation.outcomes.SUMMARY`, read from the one
    outcome table that sweeps and calibration also read; step 0 is the starting state)."""
    last = int(ts["step"].max())
    return pd.Series({name: OUTCOMES[name].value(ts, 1, last) if last >= 1 else np.nan for name in SUMMARY})


def replicate_seeds(n: int, root: int = 0) -> list[int]:
    """``n`` independent run seeds spawned from ``numpy.random.SeedSequence(root)``."""
    return [int(c.generate_state(1)[0]) for c in np.random.SeedSequence(root).spawn(n)]


def run(package: PolicyPackage | None = None, *, seed: int, steps: int = 40, keep_model: bool = False,
        regions: bool = True, **params: Any) -> RunResult:
    """Simulate ``steps`` quarters of SME internationalization under ``package``.

    ``params`` are registry names (``simulation.REGISTRY``); the number of SMEs
    is ``n_smes``. The result is fully determined by (package, params, seed);
    ``regions=False`` skips the regional table (sweeps do not need it).
    """
    model = SMEModel(package, seed=seed, steps=steps, record_regions=regions, **params)
    model.run()
    ts = model.recorder.timeseries()
    result = RunResult(ts, model.recorder.regions(), summarize(ts), model.seed, dict(model.p),
                       model.package, model=model if keep_model else None)
    if not keep_model:
        _release(model)
    return result


def run_batch(runs: Sequence[RunInput], *, steps: int = 40, regions: bool = True) -> list[RunResult]:
    """Simulate several runs at once, stacked as one population (:class:`simulation.engine.Batch`).

    Each result equals ``run(package, seed=seed, steps=steps, **params)`` of its
    :class:`RunInput`, value for value, whatever else is in the batch; the runs
    must share ``warmup_steps``. Much faster per run than one at a time for
    the default world (2,000 SMEs); no Mesa model is kept.
    """
    batch = Batch(runs, steps)
    recorder = Recorder(batch, regions=regions)
    recorder.collect(batch, None)
    while batch.t < steps:
        recorder.collect(batch, batch.quarter())
    out = []
    for k in range(batch.k):
        ts = recorder.timeseries(k)
        out.append(RunResult(ts, recorder.regions(k), summarize(ts), batch.seeds[k], dict(batch.p.runs[k]),
                             batch.packages[k]))
    return out


def _release(model: SMEModel) -> None:
    """Let a finished model be freed.

    Mesa 3.3 keeps every model alive in a class-level id counter
    (``Agent._ids``), so a worker running thousands of models would grow
    without bound; newer Mesa has no such table.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
