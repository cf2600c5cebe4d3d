"""The SALib problem of a sweep, built from the parameter registry: which parameters, over which bounds.

The registry (:mod:`simulation.params`) holds each parameter's sweep range;
this module turns a selection of groups and names into the plain ``problem``
dict SALib's samplers and analysers take (``num_vars``, ``names``, ``bounds``,
optionally ``groups``), refusing a parameter with no plausible range to
assume.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..params import GROUPS, REGISTRY, RETIRED, Parameter, ParameterError, by_group, suggest, unknown_message


def select(spec: str | Iterable[str]) -> list[Parameter]:
    """Parameters named by registry groups and/or parameter names ("competitiveness,ces_rho")."""
    items = [x.strip() for x in spec.split(",")] if isinstance(spec, str) else list(spec)
    chosen: list[Parameter] = []
    for item in items:
        if item in GROUPS:
            found = by_group(item)
        elif item in REGISTRY:
            found = [REGISTRY[item]]
        elif item in RETIRED:
            raise ParameterError(unknown_message(item))
        else:
            raise ParameterError(
                f"{item!r} is neither a parameter group ({', '.join(GROUPS)}) nor a parameter"
                f"{suggest(item, [*GROUPS, *REGISTRY])}")
        chosen.extend(p for p in found if p not in chosen)
    return chosen


def problem(spec: str | Iterable[str], bounds: Mapping[str, tuple[float, float]] | None = None,
            grouped: bool = False) -> dict[str, Any]:
    """A SALib problem (``num_vars``, ``names``, ``bounds``) built from the registry.

    Bounds are each parameter's sweep range unless ``bounds`` narrows them
    (they must stay inside the parameter's valid range). With ``grouped`` the
    problem also carries ``groups`` (the registry groups), and SALib then
    reports one index per group.
    """
    params = select(spec)
    bounds = dict(bounds or {})
    unknown = [n for n in bounds if n not in {p.name for p in params}]
    if unknown:
        raise ParameterError(f"bounds given for {unknown[0]!r}, which is not among the parameters swept")
    rows = []
    for p in params:
        if p.sweep is None and p.name not in bounds and not (p.kind is int and p.bounds == (0, 1)):
            # e.g. a shock quarter over [-1, 10000] on a 40-quarter horizon: no plausible range to assume
            raise ParameterError(f"{p.name!r} has no sweep range (its valid range is [{p.low}, {p.high}]); "
                                 f"give its bounds ([bounds] in a sweep file) to sweep it")
        lo, hi = bounds.get(p.name, p.sweep_bounds)
        if not (p.low <= lo < hi <= p.high):
            raise ParameterError(f"bounds of {p.name!r} must satisfy {p.low} <= low < high <= {p.high}, "
                                 f"got [{lo}, {hi}]")
        rows.append([float(lo), float(hi)])
    out: dict[str, Any] = {"num_vars": len(params), "names": [p.name for p in params], "bounds": rows}
    if grouped:
        out["groups"] = [p.group for p in params]
    return out
