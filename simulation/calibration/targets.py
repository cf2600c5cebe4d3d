"""Stylized facts as named targets: what is observed, how the model measures it, how close is close enough.

``calibration/targets.toml`` holds one table per fact under ``[facts.<name>]``
and the calibration settings under ``[calibration]``. Every problem is one
:class:`TargetsError` naming the file, the dotted key and what is allowed.

Facts are measured on the calibration scenario at ``calibration.n_smes``
SMEs, with every budget scaled by the same factor (the same budget per SME),
so that groups a source measured (firms of 20+ workers, say) hold hundreds
of firms. A fact with ``without = "<instrument>"`` is measured by a paired
counterfactual: the scenario is also run without that instrument's entries
on the same seeds, and the fact is the difference in its outcome per unit of
the difference in budget spent (for example dollars of SME exports gained
per dollar of export promotion).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .. import outcomes, schema
from ..inputs import show
from ..params import resolve, suggest
from ..scenario import Scenario, ScenarioError, read_toml, reference

TARGETS_FILE = Path(__file__).resolve().parents[2] / "calibration" / "targets.toml"

FACT_KEYS = frozenset(schema.FactTable.model_fields)
REQUIRED = tuple(k for k, f in schema.FactTable.model_fields.items() if f.is_required())
CALIBRATION_KEYS = frozenset(schema.CalibrationTable.model_fields)
MAIN = ""  # the arm that runs the scenario as it is
OUTSIDE_PENALTY = 100.0  # per squared band half-width a fact lies outside its band


class TargetsError(ScenarioError):
    """A targets file cannot be used: names the file, the key and what is allowed."""


@dataclass(frozen=True)
class Fact:
    """One stylized fact and how the model measures it."""

    name: str
    outcome: str
    window: tuple[int, int]        # quarters, inclusive
    observed: float
    band: tuple[float, float]      # acceptance band
    weight: float
    population: str
    source: str
    measured: str
    mapping: str
    known_gap: str = ""            # why the model does not reproduce this fact yet (empty: it must)
    without: str = ""              # an instrument: measured as a paired difference per unit of its budget

    def simulate(self, ts: pd.DataFrame) -> float:
        """This fact's model quantity from one run's time series (a plain fact)."""
        return outcomes.OUTCOMES[self.outcome].value(ts, *self.window)

    @property
    def measures(self) -> tuple[tuple[str, str, tuple[int, int]], ...]:
        """What each run records for this fact: the fact itself, or for a paired fact its outcome and budget."""
        if not self.without:
            return ((self.name, self.outcome, self.window),)
        return ((f"{self.name}.outcome", self.outcome, self.window),
                (f"{self.name}.budget", "budget_spent", self.window))

    @property
    def scale(self) -> float:
        """Half-width of the band: distances are measured in band units, so facts of any unit weigh alike."""
        return (self.band[1] - self.band[0]) / 2


@dataclass(frozen=True)
class Targets:
    """The facts and the calibration settings of one targets file."""

    path: Path
    facts: tuple[Fact, ...]
    scenario: str = "baseline"
    free: tuple[str, ...] = ()
    seeds: int = 8
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    n_smes: int | None = None     # the economy the facts are measured on (None: the scenario's own)

    @property
    def steps(self) -> int:
        """Quarters a run needs to measure every fact."""
        return max(f.window[1] for f in self.facts)

    @property
    def measures(self) -> tuple[tuple[str, str, tuple[int, int]], ...]:
        """(key, outcome, window) of what every run records: plain data a worker process can take."""
        return tuple(m for f in self.facts for m in f.measures)

    @property
    def counterfactuals(self) -> tuple[str, ...]:
        """Instruments the paired facts drop, each once."""
        return tuple(dict.fromkeys(f.without for f in self.facts if f.without))

    def arms(self, scenario: Scenario) -> dict[str, Scenario]:
        """The scenarios every calibration point runs: the main arm (key ``MAIN``) and one per counterfactual,
        all at ``n_smes`` SMEs with budgets scaled to it."""
        main = at_population(scenario, self.n_smes)
        return {MAIN: main, **{name: without(main, name) for name in self.counterfactuals}}

    def facts_per_seed(self, recorded: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Each fact per seed, from what the runs of each arm recorded (rows aligned by seed)."""
        main = recorded[MAIN].reset_index(drop=True)
        out = {}
        for f in self.facts:
            if not f.without:
                out[f.name] = main[f.name].to_numpy(dtype=float)
                continue
            cf = recorded[f.without].reset_index(drop=True)
            gained = main[f"{f.name}.outcome"].to_numpy(dtype=float) - cf[f"{f.name}.outcome"].to_numpy(dtype=float)
            spent = main[f"{f.name}.budget"].to_numpy(dtype=float) - cf[f"{f.name}.budget"].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[f.name] = np.where(spent > 0, gained / spent, np.nan)
        return pd.DataFrame(out)

    def simulate(self, ts: pd.DataFrame) -> dict[str, float]:
        """What one run records (plain facts, and the parts of paired ones)."""
        return {key: outcomes.OUTCOMES[o].value(ts, *w) for key, o, w in self.measures}

    def distance(self, simulated: dict[str, float]) -> float:
        """Weighted sum of squared deviations from the observed values, in band half-widths, plus a steep
        penalty on any part of a deviation that leaves the band: the bands are what the sources allow, so a
        point with every fact inside beats one that fits some facts closer and leaves another out."""
        total = 0.0
        for f in self.facts:
            x = simulated[f.name]
            if not np.isfinite(x):
                return float("inf")
            outside = max(f.band[0] - x, x - f.band[1], 0.0) / f.scale
            total += f.weight * (((x - f.observed) / f.scale) ** 2 + OUTSIDE_PENALTY * outside ** 2)
        return total

    def fit_table(self, per_seed: pd.DataFrame) -> pd.DataFrame:
        """Target, observed, band, simulated mean and 95% CI over seeds, inside the band or not."""
        rows = []
        for f in self.facts:
            x = per_seed[f.name].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            mean = float(x.mean()) if len(x) else float("nan")
            half = (float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1
                    else float("nan"))
            rows.append({"fact": f.name, "outcome": f.outcome, "window": f"{f.window[0]}-{f.window[1]}",
                         "observed": f.observed, "band_low": f.band[0], "band_high": f.band[1],
                         "simulated": mean, "ci_half_width": half,
                         "inside": bool(f.band[0] <= mean <= f.band[1]), "weight": f.weight,
                         "known_gap": bool(f.known_gap), "source": f.source})
        return pd.DataFrame(rows)


def load(path: str | Path = TARGETS_FILE) -> Targets:
    """Read and check a targets file (:class:`simulation.schema.TargetsFile`, then the outcomes and scenario)."""
    path = Path(path)
    data = schema.validate(schema.TargetsFile, path, read_toml(path, TargetsError), TargetsError)
    cal = data.calibration
    facts = []
    for name, spec in data.facts.items():
        if spec.outcome not in outcomes.OUTCOMES:
            raise TargetsError(path, f"facts.{name}.outcome",
                               f"unknown outcome {show(spec.outcome)}{suggest(spec.outcome, outcomes.OUTCOMES)}")
        facts.append(Fact(name, spec.outcome, tuple(spec.window or cal.window), float(spec.observed),
                          (float(spec.band[0]), float(spec.band[1])), float(spec.weight), spec.population,
                          spec.source, spec.measured, spec.mapping, spec.known_gap or "", spec.without))
    bounds = {name: (float(lo), float(hi)) for name, (lo, hi) in cal.bounds.items()}
    scenario = str(reference(path, cal.scenario, "calibration.scenario", error=TargetsError))
    return Targets(path, tuple(facts), scenario, tuple(cal.free), cal.seeds, bounds, cal.n_smes)


def at_population(scenario: Scenario, n_smes: int | None) -> Scenario:
    """``scenario`` with ``n_smes`` SMEs and every budget scaled by the same factor (same budget per SME)."""
    if n_smes is None:
        return scenario
    factor = n_smes / resolve(scenario.params)["n_smes"]
    return dataclasses.replace(scenario, params={**scenario.params, "n_smes": n_smes},
                               package=scenario.package.scaled(factor))


def without(scenario: Scenario, instrument: str) -> Scenario:
    """``scenario`` with every entry of ``instrument`` dropped (a paired counterfactual)."""
    pkg = scenario.package
    entries = tuple(e for e in pkg.entries if e.instrument != instrument)
    name = f"{scenario.name}-without-{instrument}"
    return dataclasses.replace(scenario, name=name, package=dataclasses.replace(pkg, name=name, entries=entries))
