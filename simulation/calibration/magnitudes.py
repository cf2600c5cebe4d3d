"""Magnitude checks: how strongly export entry answers the sunk cost, and what the business-climate reform is worth.

The stylized facts (:mod:`.targets`) pin levels; these checks read the
model's *responses* against what the trade literature measured, so a reader
can judge a result such as "the business-climate step brings most of the new
exporters" by its size, not only its sign:

- :func:`entry_cost_elasticity`: the arc elasticity of the number of direct
  exporters to the resource-and-procedure part of the sunk entry cost
  (``entry_cost``) or to the whole of it, paired over seeds. Theory gives
  the comparator: with a Pareto tail of productivity (Chaney 2008) the
  elasticity equals the Pareto exponent of firm sales, about 1 to 2.5.
- :func:`reform_response`: the business-climate regulation
  (``strategic_measures`` at full enforcement) added to a scenario, against
  the same seeds without it: its effect on direct exporters, on first-time
  exporters and on the share of entries that stop within a year. Sunk-cost
  theory (Impullitti, Irarrazabal and Opromolla 2013) predicts that a cut in
  sunk costs lets in marginal firms that leave again: first-time exporters
  rise more than the stock, and persistence falls.
- :func:`sunk_cost_cut`: the reform's mechanical size, the mean cut in the
  sunk entry cost of the SMEs not yet exporting at the start.
- :func:`promotion_return`: the status quo's export promotion against the
  same seeds without it, per dollar spent: extra SME export sales and extra
  foreign operating profit, over the behavioural parameter that sets it
  (``promotion_demand_gain``, the buyers a dose finds). Export sales are
  profit over the operating margin on exports (``export_margin_rate``,
  pinned by export intensity), so only the profit return is the model's
  behaviour; the sources' figures (Olarreaga et al. 2015: about 15 export
  dollars per dollar; Munch and Schaur 2018: about 3 dollars of value
  added per dollar for small firms) are comparators, not targets.

``docs/magnitudes.py`` prints them; docs/calibration.md reads them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..api import replicate_seeds, run_batch
from ..engine import Batch, RunInput
from ..experiments.shapley import t_interval
from ..mechanisms import trade
from ..params import plausible_range, resolve
from ..policy import CATALOGUE, PackageEntry, PolicyPackage
from ..scenario import Scenario
from ..state import STRENGTHENING
from .targets import without

REFORM = "strategic_measures"
WINDOW = (17, 40)     # the calibration's default window: years 5 to 10
FULL_ENFORCEMENT = 1e9  # kUSD: more than any economy's enforcement cost, so the reform is fully enforced


@dataclass(frozen=True)
class Estimate:
    """A mean over paired seeds with its 95% t interval."""

    mean: float
    low: float
    high: float
    seeds: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Estimate:
        iv = t_interval(np.asarray(values, dtype=float))
        return cls(iv.mean, iv.low, iv.high, len(values))

    def __str__(self) -> str:
        return f"{self.mean:.3g} [{self.low:.3g}, {self.high:.3g}]"


def _measures(ts: pd.DataFrame, window: tuple[int, int]) -> dict[str, float]:
    """Direct exporters (mean over the window), first-time exporters, entries and early stops (sums)."""
    w = ts[(ts["step"] >= window[0]) & (ts["step"] <= window[1])]
    return {"direct_exporters": float(w["n_exporting"].mean()),
            "first_exporters": float(w["new_exporters"].sum()),
            "entries": float(w["export_entries"].sum()),
            "early_stops": float(w["early_export_stops"].sum())}


def _arm(scenario: Scenario, seeds: Sequence[int], window: tuple[int, int],
         package: PolicyPackage | None = None, measure: Callable[..., dict[str, float]] | None = None,
         **params: Any) -> pd.DataFrame:
    """One arm on ``seeds``: ``measure(timeseries, window)`` of each run (by default :func:`_measures`)."""
    p = {**scenario.params, **params}
    pkg = scenario.package if package is None else package
    results = run_batch([RunInput(pkg, p, s) for s in seeds], steps=scenario.steps, regions=False)
    return pd.DataFrame([(measure or _measures)(r.timeseries, window) for r in results])


SUNK_COST = ("entry_cost", "knowledge_cost")  # the two parts of the sunk entry cost (trade.entry_cost)


def _seeds(seeds: int | Sequence[int], root: int) -> list[int]:
    return replicate_seeds(seeds, root) if isinstance(seeds, int) else list(seeds)


def entry_cost_elasticity(scenario: Scenario, seeds: int | Sequence[int] = 40, step: float = 0.1,
                          window: tuple[int, int] = WINDOW, root: int = 11,
                          parts: Sequence[str] = ("entry_cost",)) -> Estimate:
    """The arc elasticity of direct exporters to the sunk entry cost: the parameters ``parts`` (by default
    ``entry_cost``, the resource-and-procedure part; :data:`SUNK_COST` for the whole) times ``1 -/+ step``.

    Reported as a positive number when exporters fall as the cost rises, as the
    literature's "10% lower costs, x% more exports" figures are.
    """
    seeds = _seeds(seeds, root)
    p = resolve(scenario.params)
    low = _arm(scenario, seeds, window, **{k: p[k] * (1 - step) for k in parts})["direct_exporters"]
    high = _arm(scenario, seeds, window, **{k: p[k] * (1 + step) for k in parts})["direct_exporters"]
    return Estimate.of(-(np.log(high) - np.log(low)) / (np.log1p(step) - np.log1p(-step)))


def with_reform(scenario: Scenario, intensity: float = 1.0) -> PolicyPackage:
    """``scenario``'s package with the business-climate reform added at full enforcement (times ``intensity``)."""
    kept = without_reform(scenario)
    reform = PackageEntry(REFORM, budget=FULL_ENFORCEMENT, intensity=intensity)
    return dataclasses.replace(kept, entries=kept.entries + (reform,))


def without_reform(scenario: Scenario) -> PolicyPackage:
    """``scenario``'s package without any business-climate entry."""
    return without(scenario, REFORM).package


def reform_response(scenario: Scenario, seeds: int | Sequence[int] = 40, window: tuple[int, int] = WINDOW,
                    root: int = 11) -> dict[str, Estimate]:
    """The fully enforced reform against none, on the same seeds: relative changes and the change in persistence.

    ``direct_exporters`` and ``first_exporters`` are relative changes (0.1 is
    10% more), ``first_minus_direct`` their paired difference; ``early_stop_share``
    is the change in the share of entries that stop within a year (percentage
    points as a fraction).
    """
    seeds = _seeds(seeds, root)
    off = _arm(scenario, seeds, window, package=without_reform(scenario))
    on = _arm(scenario, seeds, window, package=with_reform(scenario))
    direct = on["direct_exporters"] / off["direct_exporters"] - 1
    first = on["first_exporters"] / off["first_exporters"] - 1
    return {"direct_exporters": Estimate.of(direct), "first_exporters": Estimate.of(first),
            "first_minus_direct": Estimate.of(first - direct),
            "early_stop_share": Estimate.of(on["early_stops"] / on["entries"] - off["early_stops"] / off["entries"])}


def sunk_cost_cut(scenario: Scenario, seed: int = 0) -> float:
    """The reform's mean relative cut in the sunk entry cost, over the SMEs not exporting at the start.

    Read off the mechanism itself (:func:`simulation.mechanisms.trade.entry_cost`
    with and without the reform's red-tape cut), so it changes when the
    mechanism does.
    """
    batch = Batch([RunInput(without_reform(scenario), resolve(scenario.params), seed)], scenario.steps)
    s, p = batch.sme, batch.p
    red_tape = CATALOGUE[REFORM].effects["red_tape"]
    rows = np.flatnonzero(s.stage <= STRENGTHENING)
    before = trade.entry_cost(s, p, 0.0, rows)
    after = trade.entry_cost(s, p, red_tape, rows)
    return float(np.mean(1.0 - after / before))


PROMOTION = "export_promotion"


def _returns(ts: pd.DataFrame, window: tuple[int, int]) -> dict[str, float]:
    """SME export sales, foreign operating profit and policy spending, summed over the window's quarters."""
    w = ts[(ts["step"] >= window[0]) & (ts["step"] <= window[1])]
    return {"export_sales": float(w["sme_export_sales"].sum()), "foreign_profit": float(w["sme_foreign_profit"].sum()),
            "spent": float(w["budget_spent"].sum())}


def promotion_return(scenario: Scenario, seeds: int | Sequence[int] = 20, gains: Sequence[float] | None = None,
                     root: int = 11) -> pd.DataFrame:
    """Export promotion's return per dollar, at each ``promotion_demand_gain`` (by default the low end of its
    plausible range, its value and the high end): one row per gain, the extra export sales and the extra
    foreign operating profit per extra dollar of spending over the horizon, paired over seeds."""
    seeds = _seeds(seeds, root)
    value = resolve(scenario.params)["promotion_demand_gain"]
    if gains is None:
        lo, hi = plausible_range("promotion_demand_gain")
        gains = sorted({lo, value, hi})
    off = without(scenario, PROMOTION)
    rows = []
    for gain in gains:
        horizon = (1, scenario.steps)
        on, without_it = (_arm(sc, seeds, horizon, measure=_returns, promotion_demand_gain=gain)
                          for sc in (scenario, off))
        spent = on["spent"] - without_it["spent"]
        rows.append({"promotion_demand_gain": gain, "seeds": len(seeds),
                     "export_sales_per_dollar": Estimate.of((on["export_sales"] - without_it["export_sales"]) / spent),
                     "foreign_profit_per_dollar": Estimate.of((on["foreign_profit"] - without_it["foreign_profit"])
                                                              / spent)})
    return pd.DataFrame(rows)


def summary(scenario: Scenario, seeds: int = 40, root: int = 11) -> Mapping[str, Any]:
    """Every check, with the reform's ``entry_cost`` equivalent: its effect on direct exporters over the
    elasticity to ``entry_cost``."""
    elasticity = entry_cost_elasticity(scenario, seeds, root=root)
    whole = entry_cost_elasticity(scenario, seeds, root=root, parts=SUNK_COST)
    response = reform_response(scenario, seeds, root=root)
    return {"elasticity": elasticity, "whole_elasticity": whole, **response,
            "sunk_cost_cut": sunk_cost_cut(scenario),
            "equivalent_cut": response["direct_exporters"].mean / elasticity.mean}
