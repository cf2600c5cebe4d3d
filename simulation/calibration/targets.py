"""Stylized facts as named targets: what is observed, how the model measures it, how close is close enough.

``calibration/targets.toml`` holds one table per fact under ``[facts.<name>]``
and the calibration settings under ``[calibration]``. Every problem is one
:class:`TargetsError` naming the file, the dotted key and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import outcomes
from ..params import REGISTRY, suggest
from ..scenario import ScenarioError, read_toml

TARGETS_FILE = Path(__file__).resolve().parents[2] / "calibration" / "targets.toml"

FACT_KEYS = {"outcome", "window", "observed", "band", "weight", "population", "source", "measured", "mapping",
             "known_gap"}
REQUIRED = ("outcome", "observed", "band", "source", "measured", "mapping")
CALIBRATION_KEYS = {"scenario", "free", "seeds", "window", "bounds"}


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

    def simulate(self, ts: pd.DataFrame) -> float:
        """This fact's model quantity from one run's time series."""
        return outcomes.OUTCOMES[self.outcome].value(ts, *self.window)

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

    @property
    def steps(self) -> int:
        """Quarters a run needs to measure every fact."""
        return max(f.window[1] for f in self.facts)

    @property
    def measures(self) -> tuple[tuple[str, str, tuple[int, int]], ...]:
        """(fact, outcome, window) of every fact: plain data a worker process can take."""
        return tuple((f.name, f.outcome, f.window) for f in self.facts)

    def simulate(self, ts: pd.DataFrame) -> dict[str, float]:
        return {f.name: f.simulate(ts) for f in self.facts}

    def distance(self, simulated: dict[str, float]) -> float:
        """Weighted sum of squared deviations from the observed values, in band half-widths."""
        total = 0.0
        for f in self.facts:
            x = simulated[f.name]
            if not np.isfinite(x):
                return float("inf")
            total += f.weight * ((x - f.observed) / f.scale) ** 2
        return total

    def fit_table(self, per_seed: pd.DataFrame) -> pd.DataFrame:
        """Target, observed, band, simulated mean and 95% CI over seeds, inside the band or not."""
        rows = []
        for f in self.facts:
            x = per_seed[f.name].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            mean = float(x.mean()) if len(x) else float("nan")
            half = float(1.96 * x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")
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
        facts.append(Fact(name, spec["outcome"], window, observed, (lo, hi), weight,
                          str(spec.get("population", "all SMEs")), spec["source"], spec["measured"],
                          spec["mapping"], spec.get("known_gap", "")))
    free = cal.get("free", [])
    if not isinstance(free, list):
        raise TargetsError(path, "calibration.free", "must be a list of parameter names")
    for name in free:
        if name not in REGISTRY:
            raise TargetsError(path, "calibration.free", f"unknown parameter {name!r}{suggest(str(name), REGISTRY)}")
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
    return Targets(path, tuple(facts), scenario, tuple(free), seeds, bounds)
