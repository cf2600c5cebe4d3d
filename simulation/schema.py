"""The schema of every input file, declared once, and the one adapter from its failures to an error line.

Each input file (scenarios, lessons, sweep configs, calibration targets) is
read safely by :func:`simulation.inputs.read_toml` (size, encoding, finite
numbers, sane whole numbers, nesting) and then validated against a pydantic
model here. The models are strict: a boolean is not a number, a number is not
a string, and an unknown key is refused with a did-you-mean hint and the keys
allowed. Whatever fails becomes, through :func:`errors_to_input_error`, one
``FILE: dotted.key: message`` line, values shortened and escaped
(:func:`simulation.inputs.show`).

Rules that need the rest of the project (does a named scenario load, does a
region exist) stay with the loaders; what one file may hold is said here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .inputs import InputError, show
from .params import REGISTRY, ParameterError, suggest, unknown_message
from .policy import CATALOGUE, DELIVERERS, ENTRY_FIELDS, MAX_BUDGET, MAX_INTENSITY, MAX_QUARTER, SELECTIONS

MAX_STEPS = MAX_QUARTER


# --- building blocks --------------------------------------------------------------------------------------

def fail(message: str, subkey: str | None = None) -> PydanticCustomError:
    """A failure with our own ``message``; ``subkey`` names the key inside the value (a parameter, say)."""
    ctx: dict[str, Any] = {"message": message}
    if subkey is not None:
        ctx["subkey"] = subkey
    return PydanticCustomError("input", "{message}", ctx)


def _g(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def in_range(low: float | None, high: float | None):
    """A check that a number lies in [low, high] (either end may be open)."""
    def check(value):
        if (low is not None and value < low) or (high is not None and value > high):
            if high is None:
                raise fail(f"must be >= {_g(low)}, got {show(value)}")
            if low is None:
                raise fail(f"must be <= {_g(high)}, got {show(value)}")
            raise fail(f"must be in [{_g(low)}, {_g(high)}], got {show(value)}")
        return value
    return AfterValidator(check)


def one_of(choices: Sequence[str], what: str = ""):
    """A check that a string is one of ``choices``."""
    def check(value: str) -> str:
        if value not in choices:
            if what:
                raise fail(f"unknown {what} {show(value)}{suggest(value, choices)}")
            raise fail(f"must be one of {', '.join(choices)}, got {show(value)}{suggest(value, choices)}")
        return value
    return AfterValidator(check)


def non_empty(value: str) -> str:
    if not value.strip():
        raise fail(f"must be a non-empty string, got {show(value)}")
    return value


Number = float  # strict: int or float, never a boolean or a string; finite (read_toml refuses inf and nan)
Whole = int     # strict: never a boolean or a float
Text = Annotated[str, AfterValidator(non_empty)]
Quarter = Annotated[Whole, in_range(0, MAX_QUARTER)]


class Strict(BaseModel):
    """A table of an input file: strict types, unknown keys refused with did-you-mean and the keys allowed."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = sorted(cls.model_fields)
            for key in data:
                if key not in cls.model_fields:
                    raise fail(f"unknown key{suggest(str(key), allowed)}; allowed: {', '.join(allowed)}", key)
        return data


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

class LessonFile(Strict):
    """A classroom lesson (``scenarios/lessons/*.toml``); its levers are checked by the lesson loader."""

    title: Text
    hypothesis: Text
    scenario: Text
    claim: Text
    change: Text
    look_for: Text
    reference: Text | None = None
    order: Whole = 0
    levers: dict[str, Any] = {}


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


def _input_names(table: dict[str, Any]) -> dict[str, Any]:
    for name in table:
        if not _INPUT_NAME.fullmatch(name):
            raise fail(f"an input name is letters, digits and _ (at most 64), not starting with a digit; "
                       f"got {show(name)}", name)
    return table


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
    samples: Annotated[Whole, in_range(2, None)] = 64
    params: Annotated[Any, AfterValidator(_names)] = None   # a list, or "a,b" (split by the sweep)
    bounds: dict[str, Pair] = {}
    outputs: list[str] | None = None
    seeds: Annotated[Whole, in_range(1, None)] = 1
    seed: Annotated[Whole, in_range(0, None)] = 0
    steps: Annotated[Whole, in_range(1, None)] | None = None
    per_year: bool = False
    by_group: bool = False
    options: dict[str, Any] = {}
    model: Text | None = None                       # "package.module:function" instead of the simulation
    inputs: Annotated[dict[str, Pair], AfterValidator(_input_names)] = {}  # the model's inputs: [low, high]

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


# --- the adapter ------------------------------------------------------------------------------------------

_TYPES = {
    "int_type": "must be a whole number", "int_from_float": "must be a whole number",
    "float_type": "must be a number", "finite_number": "must be a finite number",
    "string_type": "must be a string", "bool_type": "must be true or false",
    "dict_type": "must be a table", "model_type": "must be a table", "model_attributes_type": "must be a table",
    "list_type": "must be a list", "tuple_type": "must be a list",
}


def dotted(loc: Sequence[str | int]) -> str:
    """``("package", "x", "targeting", "regions", 1)`` as ``package.x.targeting.regions[1]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _is_table(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _optional(kind: Any) -> Any:
    """``X | None`` as ``X``."""
    args = [a for a in get_args(kind) if a is not type(None)]
    return args[0] if get_origin(kind) in (Union, UnionType) and len(args) == 1 else kind


def _table_at(model: type[BaseModel] | None, loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model of the table at ``loc`` inside ``model`` (through tables of tables), or None."""
    kind: Any = model
    for part in loc:
        if _is_table(kind):
            field = kind.model_fields.get(str(part))
            kind = _optional(field.annotation) if field else None
        else:  # a dict or list of tables: ``part`` is a key or an index
            args = get_args(kind)
            kind = _optional(args[-1]) if args else None
    return kind if _is_table(kind) else None


def describe(error: dict[str, Any], model: type[BaseModel] | None = None) -> tuple[str, str]:
    """One pydantic error (of validating ``model``) as (dotted key, message)."""
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    kind, value = error["type"], error.get("input")
    if "message" in ctx:
        message = ctx["message"]
        if "subkey" in ctx:
            loc += (ctx["subkey"],)
    elif kind == "missing":
        table = _table_at(model, loc[:-1])
        needed = [k for k, f in table.model_fields.items() if f.is_required()] if table else []
        message = f"missing; required: {', '.join(needed)}" if needed else "missing"
    elif kind in _TYPES:
        got = show(value) if isinstance(value, bool) else f"{type(value).__name__} {show(value)}"
        message = f"{_TYPES[kind]}, got {got}"
    elif kind in ("too_short", "too_long"):
        message = f"{error['msg'].removeprefix('List ').lower()}, got {show(value)}"
    else:
        message = f"{error['msg'].removeprefix('Value error, ')}, got {show(value)}"
    return dotted(loc), message


def errors_to_input_error(path: str | Path, err: ValidationError, error_cls: type[InputError] = InputError,
                          model: type[BaseModel] | None = None) -> InputError:
    """The first failure of a validation (of ``model``) as one ``error_cls(path, dotted.key, message)``."""
    key, message = describe(err.errors(include_url=False)[0], model)
    return error_cls(path, key, message)


def validate(model: type[BaseModel], path: str | Path, data: dict[str, Any],
             error_cls: type[InputError] = InputError) -> Any:
    """``data`` read from ``path`` as a ``model``, or one ``error_cls``."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise errors_to_input_error(path, err, error_cls, model) from None
