"""The building blocks of the input schema and the one adapter from a validation failure to an error line.

:mod:`simulation.schema.files` declares each file kind with these blocks
(strict tables, range and choice checks); :func:`validate` turns whatever
fails into one ``FILE: dotted.key: message`` line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ..inputs import InputError, show
from ..params import suggest
from ..policy import MAX_QUARTER

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
