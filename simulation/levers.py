"""Classroom levers: the few knobs a class moves, each mapped onto a scenario.

A lever reads its starting value off a scenario and, when moved, rewrites
that scenario's parameters or policy package. Levers left at the value they
read change nothing, so a scenario with its levers untouched runs exactly as
its file says. Five kinds:

- :class:`BudgetScale`: multiplies the budget of the programmes (not the
  regulations) of one policy stage or one policy level;
- :class:`Toggle`: an instrument on or off (the mapping study);
- :class:`Regulation`: how fully a regulation is enforced, 0 to 1 (alliance
  framework, performance requirements, trade liberalization); its
  administrative budget follows the level;
- :class:`Delivery`: who delivers every programme (national or local offices);
- :class:`ParameterLever`: a registry parameter, with the registry's sweep
  range as its range.

Instruments added by a lever (a mapping study, a regulation) are copied from
the shipped scenario named in ``template``, so their timing lives in one file.
The app's controls, the lessons and the tests all read :data:`LEVERS`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .mechanisms.alliances import le_count
from .params import REGISTRY, ParameterError, resolve, suggest
from .policy import CATALOGUE, LEVELS, POLICY_STAGES, PackageEntry, PolicyPackage
from .scenario import Scenario, load

AS_SCENARIO = "as in the scenario"


class LeverError(ValueError):
    """A lever is given a name or value it cannot take."""


def _template(scenario: str, instrument: str) -> PackageEntry:
    """The first entry of ``instrument`` in the shipped scenario ``scenario``."""
    for entry in load(scenario).package.entries:
        if entry.instrument == instrument:
            return entry
    raise LeverError(f"scenario {scenario!r} has no {instrument!r} entry to copy")


def _programmes(package: PolicyPackage) -> list[PackageEntry]:
    return [e for e in package.entries if e.spec.mode != "regulatory"]


@dataclass(frozen=True)
class BudgetScale:
    """Multiply the budget of every programme whose instrument has ``attribute`` == ``value``.

    A programme answers to one stage lever and one level lever, and the two
    multiply: precondition x2 with meso x2 gives a meso precondition
    programme (awareness) four times its budget.
    """

    name: str
    attribute: str  # "stage" or "level"
    value: str
    low: float = 0.0
    high: float = 3.0  # up to three times the scenario's budget: enough to show saturation
    step: float = 0.1

    @property
    def label(self) -> str:
        return f"{self.value.capitalize()} {self.attribute} budget (x scenario)"

    @property
    def meaning(self) -> str:
        return (f"Multiplies the budget of the {self.value}-{self.attribute} programmes; stage and level "
                f"factors multiply (regulations have their own levers).")

    def read(self, scenario: Scenario) -> float:
        return 1.0

    def check(self, value: Any) -> float:
        return _number(self.name, value, self.low, self.high)

    def apply(self, params: dict[str, Any], entries: list[PackageEntry], value: float,
              steps: int) -> list[PackageEntry]:
        return [dataclasses.replace(e, budget=e.budget * value)
                if e.spec.mode != "regulatory" and getattr(e.spec, self.attribute) == self.value else e
                for e in entries]


@dataclass(frozen=True)
class Toggle:
    """An instrument on (copied from ``template`` if the scenario lacks it) or off (every entry dropped)."""

    name: str
    instrument: str
    template: str
    label: str
    meaning: str

    def read(self, scenario: Scenario) -> bool:
        return any(e.instrument == self.instrument for e in scenario.package.entries)

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise LeverError(f"lever {self.name!r} must be true or false, got {value!r}")
        return value

    def apply(self, params: dict[str, Any], entries: list[PackageEntry], value: bool,
              steps: int) -> list[PackageEntry]:
        if not value:
            return [e for e in entries if e.instrument != self.instrument]
        if any(e.instrument == self.instrument for e in entries):
            return entries
        return [*entries, _template(self.template, self.instrument)]


def quarterly_enforcement_cost(instrument: str, params: Mapping[str, Any]) -> float:
    """kUSD a quarter of full enforcement of ``instrument`` costs in the economy of ``params`` (overrides of the
    registry defaults): what a regulation lever, or an optimized package, charges per unit of enforcement."""
    p = resolve(params)
    return CATALOGUE[instrument].enforcement_cost(p["n_smes"], le_count(p))


@dataclass(frozen=True)
class Regulation:
    """A regulation enforced at a level in [0, 1]; its administrative budget is the level times full cost.

    Made for one entry per regulation, as the shipped scenarios have: a moved
    lever replaces every entry of the instrument by one, timed like the
    first, and a scenario's intensity above 1 reads as 1.
    """

    name: str
    instrument: str
    template: str
    label: str
    meaning: str
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05

    def _window(self, entry: PackageEntry, steps: int) -> int:
        start, end = entry.window(steps)
        return max(end - start, 0)

    def _quarterly_cost(self, params: Mapping[str, Any]) -> float:
        return quarterly_enforcement_cost(self.instrument, params)

    def read(self, scenario: Scenario) -> float:
        """The enforcement level the scenario's entries reach (intensity times the share that is funded)."""
        unit = self._quarterly_cost(scenario.params)
        level = 0.0
        for e in scenario.package.entries:
            if e.instrument == self.instrument:
                n = self._window(e, scenario.steps)
                funded = e.budget / (unit * n) if n and unit else 0.0
                level = max(level, min(1.0, e.intensity, funded))
        return round(level, 6)

    def check(self, value: Any) -> float:
        return _number(self.name, value, self.low, self.high)

    def apply(self, params: dict[str, Any], entries: list[PackageEntry], value: float,
              steps: int) -> list[PackageEntry]:
        old = [e for e in entries if e.instrument == self.instrument]
        kept = [e for e in entries if e.instrument != self.instrument]
        if value <= 0:
            return kept
        timing = old[0] if old else _template(self.template, self.instrument)
        if timing.start >= steps:
            timing = dataclasses.replace(timing, start=0, end=None)
        n = self._window(timing, steps)
        budget = value * self._quarterly_cost(params) * n
        return [*kept, dataclasses.replace(timing, budget=budget, intensity=1.0)]


@dataclass(frozen=True)
class Delivery:
    """Who delivers every programme: national offices (allocation by SME numbers) or local governments."""

    name: str = "delivery"
    choices: tuple[str, ...] = (AS_SCENARIO, "local", "national")
    label: str = "Programmes delivered by"
    meaning: str = ("National offices split budgets by SME numbers; local governments allocate by local "
                    "need, as far as they coordinate with the centre.")

    def read(self, scenario: Scenario) -> str:
        return AS_SCENARIO

    def check(self, value: Any) -> str:
        if value not in self.choices:
            raise LeverError(f"lever {self.name!r} must be one of {', '.join(map(repr, self.choices))}, "
                             f"got {value!r}")
        return value

    def apply(self, params: dict[str, Any], entries: list[PackageEntry], value: str,
              steps: int) -> list[PackageEntry]:
        if value == AS_SCENARIO:
            return entries
        return [dataclasses.replace(e, delivered_by=value) if e.spec.mode != "regulatory" else e
                for e in entries]


@dataclass(frozen=True)
class ParameterLever:
    """A registry parameter; its range is the registry's sweep range, widened to hold the scenario's value."""

    name: str
    short: str  # the slider's words; unit, range and meaning come from the registry

    @property
    def parameter(self):
        return REGISTRY[self.name]

    @property
    def label(self) -> str:
        return f"{self.short} ({self.parameter.unit})"

    @property
    def meaning(self) -> str:
        return self.parameter.meaning

    @property
    def step(self) -> float:
        p = self.parameter
        if p.kind is int:
            return 1
        lo, hi = p.sweep_bounds
        return _nice_step((hi - lo) / 40)

    def bounds(self, scenario: Scenario, value: float | None = None) -> tuple[float, float]:
        """The sweep range, widened to hold the scenario's value and ``value`` (a lesson's, say)."""
        lo, hi = self.parameter.sweep_bounds
        held = [self.read(scenario)] + ([] if value is None else [value])
        return min(lo, *held), max(hi, *held)

    def read(self, scenario: Scenario) -> float:
        return scenario.resolved_params[self.name]

    def check(self, value: Any) -> float:
        try:
            return self.parameter.coerce(value)
        except ParameterError as err:
            raise LeverError(str(err)) from None

    def apply(self, params: dict[str, Any], entries: list[PackageEntry], value: float,
              steps: int) -> list[PackageEntry]:
        params[self.name] = value
        return entries


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise LeverError(f"lever {name!r} must be a number, got {value!r}")
    if not low <= value <= high:
        raise LeverError(f"lever {name!r} must be in [{low}, {high}], got {value}")
    return float(value)


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, at most ``raw``."""
    power = 10 ** math.floor(math.log10(raw))
    for m in (5, 2, 1):
        if m * power <= raw:
            return m * power
    return power


def _has_programmes(attribute: str, value: str) -> bool:
    return any(getattr(i, attribute) == value and i.mode != "regulatory" for i in CATALOGUE.values())


# The levers, in the order a class meets them. Budget scales exist for every
# stage and level that has programmes (the meta level holds only regulations).
POLICY_LEVERS: tuple[Any, ...] = (
    *(BudgetScale(f"budget_{s}", "stage", s) for s in POLICY_STAGES if _has_programmes("stage", s)),
    *(BudgetScale(f"budget_{lv}", "level", lv) for lv in LEVELS if _has_programmes("level", lv)),
    ParameterLever("coordination", "National-local coordination"),
    Delivery(),
    Toggle("mapping_study", "mapping_study", "integrated", "Mapping study",
           "Maps SMEs' potential first, so later programmes reach the SMEs that can use them."),
    Regulation("alliance_framework", "alliance_framework", "alliances_on", "Alliance framework (0-1 enforced)",
               "Institutional framework for SME-large enterprise alliances (macro level)."),
    Regulation("performance_requirements", "performance_requirements", "alliances_on",
               "Performance requirements on FDI (0-1 enforced)",
               "Local content, joint ventures with SMEs, technology transfer (macro level)."),
    Regulation("liberalization", "trade_liberalization", "liberalization_only", "Tariff cut (0-1)",
               "Trade liberalization (meta level): export margins rise, imported inputs cost less, and imports "
               "take share of the home market."),
)
WORLD_LEVERS: tuple[ParameterLever, ...] = (
    ParameterLever("region_heterogeneity", "How much regions differ"),
    ParameterLever("comp_mean", "Starting competitiveness"),
    ParameterLever("absorptive_precondition", "What unaware SMEs absorb"),
    ParameterLever("survival_threshold", "Competitiveness needed to survive"),
    ParameterLever("le_threshold", "Quality lead firms require"),
    ParameterLever("conn_mean", "Starting connectivity"),
    ParameterLever("infrastructure_mean", "Infrastructure"),
    ParameterLever("le_openness", "Openness of lead firms"),
    ParameterLever("awareness_threshold", "Knowledge barrier to become aware"),
)
LEVERS: dict[str, Any] = {lv.name: lv for lv in (*POLICY_LEVERS, *WORLD_LEVERS)}


def read(scenario: Scenario) -> dict[str, Any]:
    """Each lever's value in ``scenario`` (moving none of them leaves the scenario as it is)."""
    return {name: lever.read(scenario) for name, lever in LEVERS.items()}


def check(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` checked lever by lever; raises LeverError naming the lever and what is allowed."""
    out = {}
    for name, value in values.items():
        if name not in LEVERS:
            raise LeverError(f"unknown lever {name!r}{suggest(name, LEVERS)}; levers: {', '.join(LEVERS)}")
        out[name] = LEVERS[name].check(value)
    return out


def moved(scenario: Scenario, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The levers ``values`` moves away from ``scenario``: name -> (scenario's value, new value)."""
    start = read(scenario)
    out = {}
    for name, value in check(values).items():
        old = start[name]
        same = abs(old - value) <= 1e-9 if isinstance(old, float) and not isinstance(old, bool) else old == value
        if not same:
            out[name] = (old, value)
    return out


def idle(scenario: Scenario, values: Mapping[str, Any]) -> list[str]:
    """Moved levers that change nothing in ``scenario`` on their own (a stage with no programmes, say)."""
    out = []
    for name, (_, value) in moved(scenario, values).items():
        lever, params = LEVERS[name], dict(scenario.params)
        entries = lever.apply(params, list(scenario.package.entries), value, scenario.steps)
        if params == scenario.params and entries == list(scenario.package.entries):
            out.append(name)
    return out


def apply(scenario: Scenario, values: Mapping[str, Any]) -> Scenario:
    """``scenario`` with the levers in ``values`` moved; levers at the scenario's values change nothing."""
    changes = moved(scenario, values)
    if not changes:
        return scenario
    params = dict(scenario.params)
    entries = list(scenario.package.entries)
    # Instruments are added or removed before budgets are scaled, so an added one is scaled too.
    order = sorted(changes, key=lambda n: (not isinstance(LEVERS[n], (Toggle, Regulation)),
                                          list(LEVERS).index(n)))
    for name in order:
        entries = LEVERS[name].apply(params, entries, changes[name][1], scenario.steps)
    package = dataclasses.replace(scenario.package, entries=tuple(entries))
    return dataclasses.replace(scenario, params=params, package=package)


def markdown_table() -> str:
    """The levers as a Markdown table (used verbatim in docs/ODD.md)."""
    lines = ["| lever | control | range | what it moves |", "|---|---|---|---|"]
    for lever in LEVERS.values():
        if isinstance(lever, ParameterLever):
            lo, hi = lever.parameter.sweep_bounds
            control, span = "slider", f"[{lo}, {hi}] (registry sweep range)"
            what = f"parameter `{lever.name}`: {lever.meaning}"
        elif isinstance(lever, Toggle):
            control, span = "on / off", "-"
            what = f"`{lever.instrument}` entries; added from `{lever.template}` if missing. {lever.meaning}"
        elif isinstance(lever, Regulation):
            control, span = "slider", f"[{lever.low}, {lever.high}]"
            what = (f"`{lever.instrument}` enforced at this level (budget = level x cost of a quarter of full "
                    "enforcement, which scales with the SMEs or LEs covered, x quarters; "
                    f"timing from `{lever.template}` if missing). {lever.meaning}")
        elif isinstance(lever, Delivery):
            control, span = "choice", ", ".join(lever.choices)
            what = f"`delivered_by` of every programme. {lever.meaning}"
        else:
            control, span = "slider", f"[{lever.low}, {lever.high}] x"
            what = lever.meaning
        lines.append(f"| `{lever.name}` | {control} | {span} | {what} |")
    return "\n".join(lines)
