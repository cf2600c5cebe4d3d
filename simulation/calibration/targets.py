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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .. import outcomes
from ..params import REGISTRY, resolve, suggest, unknown_message
from ..policy import CATALOGUE, PolicyPackage
from ..scenario import Scenario, ScenarioError, read_toml, reference

TARGETS_FILE = Path(__file__).resolve().parents[2] / "calibration" / "targets.toml"

FACT_KEYS = {"outcome", "window", "observed", "band", "weight", "population", "source", "measured", "mapping",
             "known_gap", "without"}
REQUIRED = ("outcome", "observed", "band", "source", "measured", "mapping")
CALIBRATION_KEYS = {"scenario", "free", "seeds", "window", "bounds", "n_smes"}
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


def _number(path: Path, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise TargetsError(path, key, f"must be a number, got {value!r}")
    return float(value)


def _window(path: Path, key: str, value: Any) -> tuple[int, int]:
    if (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                                                  for v in value)
            or not 1 <= value[0] <= value[1]):
        raise TargetsError(path, key, f"must be [first, last] quarters with 1 <= first <= last, got {value!r}")
    return int(value[0]), int(value[1])


def load(path: str | Path = TARGETS_FILE) -> Targets:
    """Read and check a targets file."""
    path = Path(path)
    data = read_toml(path, TargetsError)
    for key in data:
        if key not in ("calibration", "facts"):
            raise TargetsError(path, key, f"unknown table{suggest(key, ['calibration', 'facts'])}; "
                                          f"allowed: calibration, facts")
    cal = data.get("calibration", {})
    for key in cal:
        if key not in CALIBRATION_KEYS:
            raise TargetsError(path, f"calibration.{key}", f"unknown key{suggest(key, CALIBRATION_KEYS)}; "
                                                           f"allowed: {', '.join(sorted(CALIBRATION_KEYS))}")
    default_window = _window(path, "calibration.window", cal.get("window", [1, 40]))
    facts = []
    raw = data.get("facts", {})
    if not raw:
        raise TargetsError(path, "facts", "no facts given")
    for name, spec in raw.items():
        where = f"facts.{name}"
        if not isinstance(spec, dict):
            raise TargetsError(path, where, "must be a table")
        for key in spec:
            if key not in FACT_KEYS:
                raise TargetsError(path, f"{where}.{key}", f"unknown key{suggest(key, FACT_KEYS)}; "
                                                           f"allowed: {', '.join(sorted(FACT_KEYS))}")
        for key in REQUIRED:
            if key not in spec:
                raise TargetsError(path, f"{where}.{key}", "missing: every fact needs "
                                                           f"{', '.join(REQUIRED)}")
        if spec["outcome"] not in outcomes.OUTCOMES:
            raise TargetsError(path, f"{where}.outcome",
                               f"unknown outcome {spec['outcome']!r}{suggest(str(spec['outcome']), outcomes.OUTCOMES)}")
        for key in ("source", "measured", "mapping", *(["known_gap"] if "known_gap" in spec else [])):
            if not isinstance(spec[key], str) or not spec[key].strip():
                raise TargetsError(path, f"{where}.{key}", "must be a non-empty text")
        observed = _number(path, f"{where}.observed", spec["observed"])
        band = spec["band"]
        if not isinstance(band, list) or len(band) != 2:
            raise TargetsError(path, f"{where}.band", f"must be [low, high], got {band!r}")
        lo, hi = (_number(path, f"{where}.band", b) for b in band)
        if not lo <= observed <= hi or lo == hi:
            raise TargetsError(path, f"{where}.band", f"[{lo}, {hi}] must contain the observed value {observed} "
                                                      f"and have width")
        weight = _number(path, f"{where}.weight", spec.get("weight", 1.0))
        if weight <= 0:
            raise TargetsError(path, f"{where}.weight", f"must be positive, got {weight}")
        window = _window(path, f"{where}.window", spec["window"]) if "window" in spec else default_window
        dropped = spec.get("without", "")
        if dropped and dropped not in CATALOGUE:
            raise TargetsError(path, f"{where}.without",
                               f"unknown instrument {dropped!r}{suggest(str(dropped), CATALOGUE)}")
        facts.append(Fact(name, spec["outcome"], window, observed, (lo, hi), weight,
                          str(spec.get("population", "all SMEs")), spec["source"], spec["measured"],
                          spec["mapping"], spec.get("known_gap", ""), dropped))
    free = cal.get("free", [])
    if not isinstance(free, list):
        raise TargetsError(path, "calibration.free", "must be a list of parameter names")
    for name in free:
        if name not in REGISTRY:
            raise TargetsError(path, "calibration.free", unknown_message(str(name)))
    bounds: dict[str, tuple[float, float]] = {}
    for name, pair in cal.get("bounds", {}).items():
        key = f"calibration.bounds.{name}"
        if name not in free:
            raise TargetsError(path, key, "bounds given for a parameter that is not free")
        if not isinstance(pair, list) or len(pair) != 2:
            raise TargetsError(path, key, f"must be [low, high], got {pair!r}")
        lo, hi = (_number(path, key, b) for b in pair)
        p = REGISTRY[name]
        if not p.low <= lo < hi <= p.high:
            raise TargetsError(path, key, f"must satisfy {p.low} <= low < high <= {p.high}, got [{lo}, {hi}]")
        bounds[name] = (lo, hi)
    seeds = cal.get("seeds", 8)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise TargetsError(path, "calibration.seeds", f"must be a whole number >= 1, got {seeds!r}")
    scenario = cal.get("scenario", "baseline")
    if not isinstance(scenario, str):
        raise TargetsError(path, "calibration.scenario", "must be a scenario name or path")
    scenario = str(reference(path, scenario, "calibration.scenario", error=TargetsError))
    n_smes = cal.get("n_smes")
    if n_smes is not None:
        low, high = REGISTRY["n_smes"].bounds
        if isinstance(n_smes, bool) or not isinstance(n_smes, int) or not low <= n_smes <= high:
            raise TargetsError(path, "calibration.n_smes", f"must be a whole number in [{low}, {high}], got {n_smes!r}")
    return Targets(path, tuple(facts), scenario, tuple(free), seeds, bounds, n_smes)


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
    return dataclasses.replace(scenario, name=name, package=PolicyPackage(name, entries, pkg.description))
