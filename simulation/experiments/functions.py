"""Any function as a model: runs of a function from named inputs to named outputs, on the same runner.

The sweep (and scenario-discovery) machinery is not tied to the simulation.
A *model* is named ``"package.module:function"``: a function that takes a
dict of named inputs (numbers) and returns a mapping of named outputs to
numbers. If it has a parameter called ``seed``, each run passes its seed
(a stochastic model then behaves like the simulation: every point on the
same seeds). Known-answer functions (:mod:`simulation.sensitivity.known`)
check the sampler, runner and analyzer against analytic indices through
exactly this path; a user's own variant of a mechanism goes through it too.

Naming a model in a file runs that code: a sweep file with ``model`` is a
program, to be used only from a source one trusts (the classroom never
reads sweep files).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..inputs import show
from .store import run_id

TARGET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*")

Model = Callable[..., Mapping[str, float]]


class ModelError(ValueError):
    """A model cannot be used: it does not load, or what it returns is not a mapping of named numbers."""


@functools.lru_cache(maxsize=32)
def load(target: str) -> Model:
    """The function named ``"package.module:function"`` (ModelError saying what is wrong)."""
    if not isinstance(target, str) or len(target) > 200 or not TARGET.fullmatch(target):
        raise ModelError(f"a model is named 'package.module:function', got {show(target)}")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ModelError(f"cannot import {module_name!r} ({type(err).__name__}: {str(err)[:120]})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ModelError(f"{module_name!r} has no function {attr!r}")
    return fn


def takes_seed(fn: Model) -> bool:
    """Whether the model has a ``seed`` parameter (a stochastic model)."""
    try:
        return "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def call(fn: Model, inputs: Mapping[str, float], seed: int, outputs: Sequence[str]) -> dict[str, float]:
    """``fn(inputs)`` (with ``seed=`` if it takes one), checked: the named outputs, as finite or NaN floats."""
    try:
        got = fn(dict(inputs), seed=seed) if takes_seed(fn) else fn(dict(inputs))
    except Exception as err:  # the user's code: any failure is theirs to see, in one line, with where it happened
        raise ModelError(f"the model failed at {_where(inputs)} (seed {seed}): {type(err).__name__}: "
                         f"{str(err)[:120]}") from None
    if not isinstance(got, Mapping):
        raise ModelError(f"the model must return a mapping of output names to numbers, got {type(got).__name__}")
    missing = [o for o in outputs if o not in got]
    if missing:
        raise ModelError(f"the model returned no output {missing[0]!r}; it returns "
                         f"{', '.join(map(str, list(got)[:20])) or 'nothing'}")
    out = {}
    for o in outputs:
        try:
            value = float(got[o])
        except (TypeError, ValueError):
            raise ModelError(f"output {o!r} must be a number, got {show(got[o])}") from None
        if math.isinf(value):
            raise ModelError(f"output {o!r} is infinite at {dict(inputs)}")
        out[o] = value
    return out


def _where(inputs: Mapping[str, float]) -> str:
    text = ", ".join(f"{k}={show(v)}" for k, v in list(inputs.items())[:8])
    return "{" + text + (", ..." if len(inputs) > 8 else "") + "}"


def probe(target: str, inputs: Mapping[str, float], outputs: Sequence[str], seed: int = 0) -> None:
    """Call the model once, before any folder is made: it loads, runs at ``inputs`` and returns every named
    output as a number (ModelError otherwise), so a wrong model is one line, not a half-made study."""
    call(load(target), inputs, seed, outputs)


@dataclass(frozen=True)
class FunctionSpec:
    """One run of a function model: everything it depends on, as plain picklable data."""

    model: str
    params: dict[str, Any]
    seed: int
    run_id: str

    @classmethod
    def make(cls, model: str, params: Mapping[str, Any], seed: int) -> FunctionSpec:
        return cls(model, dict(params), int(seed), run_id(model=model, params=dict(sorted(params.items())),
                                                          seed=int(seed)))


def evaluate_function(specs: Sequence[FunctionSpec], outputs: Sequence[str]
                      ) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Run function specs (in a worker) and keep one row of named outputs per run (as :func:`runner.evaluate`)."""
    rows = []
    for spec in specs:
        values = call(load(spec.model), spec.params, spec.seed, outputs)
        rows.append({"run_id": spec.run_id, "model": spec.model, "seed": spec.seed, **values})
    return [s.run_id for s in specs], {"results": pd.DataFrame(rows)}


# A function call costs microseconds, a stored part milliseconds: function runs travel in larger chunks.
FUNCTION_CHUNK = 2048
