"""What each input file may hold: scenarios, lessons, sweep configs, calibration targets."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from ..inputs import show
from ..outcomes import OUTCOMES
from ..params import REGISTRY, ParameterError, suggest, unknown_message
from ..policy import CATALOGUE, DELIVERERS, ENTRY_FIELDS, MAX_BUDGET, MAX_INTENSITY, MAX_QUARTER, SELECTIONS
from .core import Number, Quarter, Strict, Text, Whole, fail, in_range, one_of

MAX_STEPS = MAX_QUARTER


# --- scenarios --------------------------------------------------------------------------------------------

class TargetingTable(Strict):
    """``targeting = { select, regions, sectors }`` of one package entry."""

    select: Annotated[str, one_of(SELECTIONS)] | None = None
    regions: list[Quarter] | None = None
    sectors: list[Quarter] | None = None


class EntryTable(Strict):
    """``[package.<label>]``: one instrument entry, every field optional (a child may change one)."""

    instrument: Annotated[str, one_of(tuple(CATALOGUE), "instrument")] | None = None
    budget: Annotated[Number, in_range(0, MAX_BUDGET)] | None = None
    intensity: Annotated[Number, in_range(0, MAX_INTENSITY)] | None = None
    start: Quarter | None = None
    end: Quarter | None = None
    targeting: TargetingTable | None = None
    delivered_by: Annotated[str, one_of(DELIVERERS)] | None = None
    enabled: bool | None = None


class ScenarioFile(Strict):
    """One scenario file's own content, before inheritance."""

    title: str | None = None
    description: str | None = None
    hypothesis: str | None = None
    extends: str | None = None
    steps: Annotated[Whole, in_range(1, MAX_STEPS)] | None = None
    params: dict[str, Any] | None = None
    package: dict[str, EntryTable] | None = None

    @field_validator("params")
    @classmethod
    def _registered(cls, params: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_params(params)


def check_params(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Every ``name = value`` against the parameter registry (a failure names ``name``)."""
    for name, value in (params or {}).items():
        if name not in REGISTRY:
            raise fail(unknown_message(name), name)
        try:
            REGISTRY[name].coerce(value)
        except ParameterError as err:
            raise fail(str(err), name) from None
    return params


TOP_KEYS = frozenset(ScenarioFile.model_fields)
ENTRY_KEYS = frozenset(EntryTable.model_fields)
TARGETING_KEYS = frozenset(TargetingTable.model_fields)
assert ENTRY_KEYS == ENTRY_FIELDS | {"targeting", "enabled"}, "the entry table and PackageEntry disagree"


# --- lessons ----------------------------------------------------------------------------------------------

# What a lesson's quoted number is, over the seeds of "Run 20 seeds": the mean of one arm, the mean gap
# either way round (so a text can say "more" or "fewer" of a positive number), or a count of seeds.
QUOTE_MEASURES = ("live", "reference", "live_minus_reference", "reference_minus_live", "seeds_ahead",
                  "seeds_behind")
_QUOTE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


def keys_matching(pattern: re.Pattern[str], rule: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A validator of a table whose every key must match ``pattern`` (``rule`` says in words what is allowed)."""
    def check(table: dict[str, Any]) -> dict[str, Any]:
        for name in table:
            if not pattern.fullmatch(name):
                raise fail(f"{rule}; got {show(name)}", name)
        return table
    return check


_quote_names = keys_matching(_QUOTE_NAME, "a quote's name is lower-case letters, digits and _ (at most 40), "
                                          "not starting with a digit, as texts write it {name}")


class QuoteTable(Strict):
    """``[quotes.<name>]``: a number a lesson's texts state as ``{name}``, and what it is.

    Either measured (``outcome``, ``measure``, ``within``, optional
    ``levers`` moved for this number only), which a slow test compares with
    the runs, or a lever setting the text asks for (``lever``), checked when
    the lesson loads, or the share of plausible worlds (in percent) in which
    a question of docs/hypotheses.md holds (``worlds``, the question's name),
    which a test compares with docs/plausible_worlds.csv. The loader checks
    the levers and that ``within`` keeps a stated sign.
    """

    value: Number                     # what students read
    outcome: Annotated[str, one_of(tuple(OUTCOMES), "outcome")] | None = None  # over the whole run
    measure: Annotated[str, one_of(QUOTE_MEASURES)] | None = None
    within: Annotated[Number, in_range(0, None)] | None = None  # what "about" means: |measured - value| <= within
    levers: dict[str, Any] = {}       # moved on top of the lesson's levers, for this number only
    lever: Text | None = None         # a lever setting the text asks for: value is that lever's value
    worlds: Text | None = None        # a question whose share of plausible worlds (percent) value states

    @model_validator(mode="after")
    def _one_kind(self) -> QuoteTable:
        measured = (self.outcome, self.measure, self.within)
        if self.worlds is not None:
            if any(x is not None for x in measured) or self.levers or self.lever is not None:
                raise fail("a share of plausible worlds (worlds) takes only value, a percentage")
            if not 0 <= self.value <= 100:
                raise fail(f"worlds: value is a percentage from 0 to 100, got {show(self.value)}")
        elif self.lever is not None:
            if any(x is not None for x in measured) or self.levers:
                raise fail("a lever setting (lever) takes only value; a measured number takes outcome, measure, "
                           "within and levers")
        elif None in measured:
            raise fail("name outcome, measure and within (a measured number) or lever (a lever setting)")
        return self


class LessonFile(Strict):
    """A classroom lesson (``scenarios/lessons/*.toml``); its levers and quotes are checked by the lesson loader."""

    title: Text
    hypothesis: Text
    scenario: Text
    claim: Text
    change: Text
    look_for: Text
    reference: Text | None = None
    order: Whole = 0
    levers: dict[str, Any] = {}
    quotes: Annotated[dict[str, QuoteTable], AfterValidator(_quote_names)] = {}


# --- sweep configs --------------------------------------------------------------------------------------

def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _pair(value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) != 2 or not all(_is_number(x) for x in value):
        raise fail(f"must be [low, high], got {show(value)}")
    return value


def _names(value: Any) -> Any:
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(p, str) for p in value)):
        return value
    raise fail(f"must be a list of parameter names or groups, got {show(value)}")


Pair = Annotated[Any, AfterValidator(_pair)]

_INPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


_input_names = keys_matching(_INPUT_NAME, "an input name is letters, digits and _ (at most 64), not starting "
                                          "with a digit")


def check_names(table: dict[str, Any] | None) -> dict[str, Any] | None:
    """Every key of ``table`` names a registered parameter."""
    for name in table or {}:
        if name not in REGISTRY:
            raise fail(unknown_message(name), name)
    return table


class SweepFile(Strict):
    """A sweep configuration (``run.py sweep --config FILE``, or the same settings from the command line).

    The sweep checks what needs the methods, the outcomes and the scenarios (simulation/sensitivity/design.py).
    """

    scenario: str = "baseline"
    method: str = "sobol"
    samples: Annotated[Whole, in_range(2, 100_000)] = 64   # bounded as the explore file's and the flags
    params: Annotated[Any, AfterValidator(_names)] = None   # a list, or "a,b" (split by the sweep)
    bounds: dict[str, Pair] = {}
    outputs: list[str] | None = None
    seeds: Annotated[Whole, in_range(1, 1000)] = 1
    seed: Annotated[Whole, in_range(0, None)] = 0
    steps: Annotated[Whole, in_range(1, MAX_STEPS)] | None = None
    per_year: bool = False
    by_group: bool = False
    options: dict[str, Any] = {}
    dummy: bool = True                              # score a reference input the model never reads
    model: Text | None = None                       # "package.module:function" instead of the simulation
    inputs: Annotated[dict[str, Pair], AfterValidator(_input_names)] = {}  # the model's inputs: [low, high]

    @field_validator("bounds")
    @classmethod
    def _registered(cls, bounds: dict[str, Any]) -> dict[str, Any]:
        return check_names(bounds)


def _sign(value: int) -> int:
    if value not in (-1, 1):
        raise fail(f"must be 1 (the effect is positive where the claim holds) or -1, got {show(value)}")
    return value


class ComparisonTable(Strict):
    """A claim of one's own: treatment against control on an outcome (or a model's output), and its sign."""

    treatment: Text | None = None   # a scenario (name or .toml path)
    control: Text | None = None
    outcome: Text | None = None     # a named outcome (the simulation)
    output: Text | None = None      # an output of the model (a model's exploration)
    expect: Annotated[Whole, AfterValidator(_sign)] = 1  # +1: higher where the claim holds; -1: lower
    claim: Text | None = None       # the claim in words, for the report

    @model_validator(mode="after")
    def _complete(self) -> ComparisonTable:
        if self.output is None and None in (self.treatment, self.control, self.outcome):
            raise fail("name treatment, control and outcome (or, for a model, output)")
        return self


_CLAIM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}")


def _claim_names(table: dict[str, Any]) -> dict[str, Any]:
    for name in table:
        if not _CLAIM_NAME.fullmatch(name) or ".." in name:
            raise fail(f"a comparison's name is letters, digits, spaces, '_', '.' and '-' (at most 64, no '..'), "
                       f"as it names the report's figures; got {show(name)}", name)
    return table


class ExploreFile(Strict):
    """An exploration (``run.py explore --config FILE``): where claims hold over the uncertain parameters."""

    directions: list[Text] | None = None
    comparisons: Annotated[dict[str, ComparisonTable], AfterValidator(_claim_names)] = {}
    params: Annotated[Any, AfterValidator(_names)] = None
    bounds: dict[str, Pair] = {}
    samples: Annotated[Whole, in_range(10, 100_000)] = 200
    seeds: Annotated[Whole, in_range(1, 1000)] = 10   # at least 2, said with the reason by the exploration
    seed: Annotated[Whole, in_range(0, None)] = 0
    steps: Annotated[Whole, in_range(1, MAX_STEPS)] | None = None
    map: Annotated[list[Text], Field(min_length=2, max_length=2)] = ["comp_mean", "conn_mean"]
    grid: Annotated[Whole, in_range(0, 20)] = 5     # 0: no map; 1 is refused by the exploration
    model: Text | None = None
    inputs: Annotated[dict[str, Pair], AfterValidator(_input_names)] = {}
    over: Literal["params", "judgment"] = "params"

    @field_validator("bounds")
    @classmethod
    def _registered(cls, bounds: dict[str, Any]) -> dict[str, Any]:
        return check_names(bounds)


# --- calibration targets --------------------------------------------------------------------------------

def _window(value: Any) -> tuple[int, int]:
    if (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                                                  for v in value) or not 1 <= value[0] <= value[1]):
        raise fail(f"must be [first, last] quarters with 1 <= first <= last, got {show(value)}")
    return value[0], value[1]


def _positive(value: float) -> float:
    if not value > 0:
        raise fail(f"must be positive, got {show(value)}")
    return value


def _dropped(value: str) -> str:
    if value and value not in CATALOGUE:
        raise fail(f"unknown instrument {show(value)}{suggest(value, CATALOGUE)}")
    return value


Window = Annotated[Any, AfterValidator(_window)]


class FactTable(Strict):
    """``[facts.<name>]``: one stylized fact; its outcome is checked against the outcomes by the loader."""

    outcome: str
    observed: Number
    band: Pair
    source: Text
    measured: Text
    mapping: Text
    window: Window | None = None
    weight: Annotated[Number, AfterValidator(_positive)] = 1.0
    population: str = "all SMEs"
    known_gap: Text | None = None
    without: Annotated[str, AfterValidator(_dropped)] = ""

    @model_validator(mode="after")
    def _band_holds_the_observed(self) -> FactTable:
        lo, hi = (float(b) for b in self.band)
        if not lo <= self.observed <= hi or lo == hi:
            raise fail(f"[{lo}, {hi}] must contain the observed value {self.observed} and have width", "band")
        return self


class CalibrationTable(Strict):
    """``[calibration]``: which parameters are free, in which bounds, on which scenario and economy."""

    scenario: str = "baseline"
    free: list[str] = []
    seeds: Annotated[Whole, in_range(1, None)] = 8
    window: Window = (1, 40)
    bounds: dict[str, Pair] = {}
    n_smes: Annotated[Whole, in_range(*REGISTRY["n_smes"].bounds)] | None = None

    @field_validator("free")
    @classmethod
    def _registered(cls, free: list[str]) -> list[str]:
        for name in free:
            if name not in REGISTRY:
                raise fail(unknown_message(name))
        return free

    @model_validator(mode="after")
    def _bounds_of_free_parameters(self) -> CalibrationTable:
        for name, (lo, hi) in self.bounds.items():
            if name not in self.free:
                raise fail("bounds given for a parameter that is not free", f"bounds.{name}")
            p = REGISTRY[name]
            if not p.low <= lo < hi <= p.high:
                raise fail(f"must satisfy {p.low} <= low < high <= {p.high}, got [{lo}, {hi}]", f"bounds.{name}")
        return self


class TargetsFile(Strict):
    """A calibration targets file (``calibration/targets.toml``)."""

    calibration: CalibrationTable = CalibrationTable()
    facts: dict[str, FactTable] = Field(default={}, validate_default=True)

    @field_validator("facts")
    @classmethod
    def _some(cls, facts: dict[str, FactTable]) -> dict[str, FactTable]:
        if not facts:
            raise fail("no facts given")
        return facts
