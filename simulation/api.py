"""The notebook API: ``simulation.run(package, seed=..., **params)``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import __version__
from .model import SMEModel
from .policy import PolicyPackage

# Outcomes reported at the end of a run; flows are summed over the horizon,
# stocks are read at the last quarter.
SUMMARY_FLOWS = ("new_exporters", "export_entries", "exits", "export_stops", "early_export_stops",
                 "alliances_formed", "born_global", "budget_spent", "home_sales")
SUMMARY_STOCKS = ("exporters", "export_participation", "gvc_participation", "alliances",
                  "mean_competitiveness", "mean_connectivity", "mean_capability")


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
    """End-of-run outcomes from a run's time series (step 0 is the starting state)."""
    run = ts[ts["step"] > 0]
    last = ts.iloc[-1]
    out: dict[str, float] = {k: float(run[k].sum()) for k in SUMMARY_FLOWS}
    out.update({k: float(last[k]) for k in SUMMARY_STOCKS})
    out["exporters_gained"] = float(last["exporters"] - ts.iloc[0]["exporters"])
    budget = out["budget_spent"]
    out["new_exporters_per_musd"] = out["new_exporters"] / (budget / 1000.0) if budget > 0 else np.nan
    out["cost_per_new_exporter"] = (budget / out["new_exporters"]
                                    if budget > 0 and out["new_exporters"] > 0 else np.nan)
    out["sme_export_share"] = float(run["sme_export_share"].tail(4).mean()) if len(run) else np.nan
    out["export_sales"] = float(run["sme_export_sales"].sum())
    sellers = float(run["export_sellers"].sum())
    out["export_sales_per_exporter"] = out["export_sales"] / sellers if sellers > 0 else np.nan
    out["mean_size"] = float(last["mean_size"])
    return pd.Series(out)


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


def _release(model: SMEModel) -> None:
    """Let a finished model be freed.

    Mesa 3.3 keeps every model alive in a class-level id counter
    (``Agent._ids``), so a worker running thousands of models would grow
    without bound; newer Mesa has no such table.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)
