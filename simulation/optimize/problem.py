"""What ``run.py optimize`` chooses and judges: decision variables, packages and objectives.

A candidate is a vector ``x``. Its first ``k`` values are the weights of the
``k`` instruments (by default every programme of the catalogue); they are
normalised to shares of the budget, and an instrument below
:data:`MIN_SHARE` of it is dropped (its money goes to the others), so every
package spends exactly the budget given. With ``timing`` each instrument
also gets a start quarter, with ``delivery`` a deliverer (national or
local). With ``regulations``, each regulation gets an enforcement level in
[0, 1] (below :data:`MIN_LEVEL` it is not enacted); its administration
(the level times a quarter of full enforcement in the scenario's economy,
times the horizon, as the classroom's regulation levers charge it) is paid
first, and the programmes share what is left. Objectives are named
outcomes, each maximised or minimised.

A model of the custom-model hook can be optimised instead: its inputs,
within their bounds, are the decision variables and its outputs the
objectives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..levers import quarterly_enforcement_cost
from ..outcomes import OUTCOMES, SUMMARY
from ..policy import CATALOGUE, PackageEntry, PolicyPackage
from ..scenario import Scenario

MIN_SHARE = 0.02        # an instrument with less of the budget is dropped
MIN_LEVEL = 0.05        # a regulation enforced less is not enacted
DEFAULT_OBJECTIVES = ("exporter_years:max", "gvc_participation:max", "exits:min")
SENSES = ("max", "min")


class ProblemError(ValueError):
    """An objective, instrument or input the search cannot use; the message names it."""


@dataclass(frozen=True)
class Objective:
    """A named outcome (or model output) and whether more or less of it is better."""

    name: str
    sense: str

    @property
    def sign(self) -> int:
        """pymoo minimises: a maximised objective enters negated."""
        return -1 if self.sense == "max" else 1

    def __str__(self) -> str:
        return f"{self.name}:{self.sense}"


def parse_objectives(items: Sequence[str], model: bool = False) -> list[Objective]:
    """``["new_exporters:max", "exits:min"]`` as objectives (outcomes of the simulation, unless ``model``)."""
    out = []
    for item in items:
        name, _, sense = str(item).strip().partition(":")
        if sense not in SENSES:
            raise ProblemError(f"objective {item!r}: write NAME:max or NAME:min")
        if not model and (name not in SUMMARY or OUTCOMES[name].kind in ("ratio", "ratio2", "cost")):
            raise ProblemError(f"objective {name!r} is not an outcome a package can be judged on; "
                               f"for example {', '.join(DEFAULT_OBJECTIVES)} or budget_spent:min")
        out.append(Objective(name, sense))
    if not out or len({o.name for o in out}) != len(out):
        raise ProblemError("give one or more distinct objectives")
    return out


def programmes() -> list[str]:
    """The catalogue's programmes: instruments whose budget buys doses (``--instruments``' default)."""
    return [name for name, inst in CATALOGUE.items() if inst.mode != "regulatory"]


def regulations() -> list[str]:
    """The catalogue's regulations: instruments enforced at a level whose budget is administration."""
    return [name for name, inst in CATALOGUE.items() if inst.mode == "regulatory"]


def _check_regulations(names: Sequence[str]) -> None:
    if bad := [r for r in names if r not in CATALOGUE]:
        raise ProblemError(f"--regulations: {bad[0]!r} is not in the catalogue; regulations: "
                           f"{', '.join(regulations())} (or all)")


def enforcement_costs(base: Scenario, names: Sequence[str]) -> tuple[float, ...]:
    """kUSD a quarter of full enforcement of each regulation costs in ``base``'s economy (as the classroom's
    regulation levers charge it)."""
    _check_regulations(names)
    return tuple(float(quarterly_enforcement_cost(n, base.params)) for n in names)


@dataclass(frozen=True)
class Space:
    """Packages within a budget: each programme's share (optionally its start quarter and deliverer) and
    each regulation's enforcement level."""

    instruments: tuple[str, ...]
    budget: float
    horizon: int = 40
    timing: bool = False
    delivery: bool = False
    regulations: tuple[str, ...] = ()
    enforcement_costs: tuple[float, ...] = ()   # kUSD a quarter of full enforcement, one per regulation

    def __post_init__(self) -> None:
        unknown = [i for i in self.instruments if i not in CATALOGUE]
        if unknown:
            raise ProblemError(f"instrument {unknown[0]!r} is not in the catalogue")
        _check_regulations(self.regulations)
        fewest = 1 if self.regulations else 2
        if len(set(self.instruments)) != len(self.instruments) or len(self.instruments) < fewest:
            raise ProblemError("give two or more distinct instruments" if fewest == 2
                               else "give one or more distinct instruments")
        if any(CATALOGUE[i].mode == "regulatory" for i in self.instruments):
            raise ProblemError(f"{next(i for i in self.instruments if CATALOGUE[i].mode == 'regulatory')!r} is a "
                               f"regulation: give it with --regulations (enforced at a level, not funded by a share)")
        if not_reg := [r for r in self.regulations if CATALOGUE[r].mode != "regulatory"]:
            raise ProblemError(f"{not_reg[0]!r} is a programme, not a regulation; regulations: "
                               f"{', '.join(regulations())}")
        if len(set(self.regulations)) != len(self.regulations):
            raise ProblemError("give distinct regulations")
        if len(self.enforcement_costs) != len(self.regulations):
            raise ProblemError("give one enforcement cost per regulation")
        if not self.budget > 0:
            raise ProblemError(f"the budget must be positive, got {self.budget}")

    @property
    def names(self) -> list[str]:
        k = self.instruments
        return ([f"share_{i}" for i in k] + ([f"start_{i}" for i in k] if self.timing else [])
                + ([f"local_{i}" for i in k] if self.delivery else [])
                + [f"enforce_{r}" for r in self.regulations])

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        k = len(self.instruments)
        low = np.zeros(len(self.names))
        high = np.concatenate([np.ones(k), np.full(k if self.timing else 0, self.horizon // 2),
                               np.ones(k if self.delivery else 0), np.ones(len(self.regulations))])
        return low, high

    def levels(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each regulation's enforcement level and its administration cost over the horizon (kUSD).

        Levels below MIN_LEVEL are not enacted, nor is a regulation with nothing
        to enforce on (no LEs, say); if enforcing the rest would cost more than
        the budget, every level is cut by the same factor to fit it, and one cut
        below MIN_LEVEL is dropped in turn (its money going to the others).
        """
        r = len(self.regulations)
        if not r:
            return np.zeros(0), np.zeros(0)
        full = np.asarray(self.enforcement_costs, dtype=float) * self.horizon
        wanted = np.clip(np.asarray(x[len(x) - r:], dtype=float), 0.0, 1.0)
        wanted = np.where((wanted >= MIN_LEVEL) & (full > 0), wanted, 0.0)
        while True:
            total = float((wanted * full).sum())
            level = wanted * min(1.0, self.budget / total) if total > 0 else wanted
            low = (level > 0) & (level < MIN_LEVEL)
            if not low.any():
                return level, level * full
            wanted = np.where(low, 0.0, wanted)

    def shares(self, x: np.ndarray) -> np.ndarray:
        """The shares of what the regulations leave that ``x`` gives each programme (those below MIN_SHARE
        of it dropped, the rest summing to 1)."""
        w = np.clip(np.asarray(x[:len(self.instruments)], dtype=float), 0.0, None)
        if w.sum() <= 0:
            w = np.ones_like(w)
        share = w / w.sum()
        keep = share >= MIN_SHARE
        if not keep.any():
            keep = share == share.max()
        share = np.where(keep, share, 0.0)
        return share / share.sum()

    def package(self, x: np.ndarray, name: str = "optimized") -> PolicyPackage:
        """The package of ``x``: the regulations at their levels, the rest of the budget split by the shares,
        with the start and deliverer ``x`` says."""
        k = len(self.instruments)
        entries = []
        level, cost = self.levels(x)
        left = self.budget - float(cost.sum())
        for i, (inst, share) in enumerate(zip(self.instruments, self.shares(x))):
            if share <= 0 or left <= 1e-9 * self.budget:
                continue
            start = int(round(float(x[k + i]))) if self.timing else 0
            deliver = None
            if self.delivery:
                deliver = "local" if float(x[(2 if self.timing else 1) * k + i]) >= 0.5 else "national"
            entries.append(PackageEntry(inst, budget=round(float(share * left), 6), start=start,
                                        delivered_by=deliver))
        for reg, c in zip(self.regulations, cost):
            if c > 0:
                entries.append(PackageEntry(reg, budget=round(float(c), 6)))
        return PolicyPackage(name=name, entries=tuple(entries))

    def scenario(self, base: Scenario, x: np.ndarray, name: str = "optimized", title: str | None = None) -> Scenario:
        """``base``'s world and horizon with the package of ``x``."""
        return dataclasses.replace(base, name=name, title=title or base.title, package=self.package(x, name))

    def describe(self, x: np.ndarray) -> dict[str, Any]:
        """The candidate as table columns: each instrument's share of the whole budget (and start, deliverer),
        each regulation's enforcement level."""
        k, out = len(self.instruments), {}
        level, cost = self.levels(x)
        left = (self.budget - float(cost.sum())) / self.budget
        for i, (inst, share) in enumerate(zip(self.instruments, self.shares(x))):
            out[f"share_{inst}"] = round(float(share * left), 4)
            if self.timing:
                out[f"start_{inst}"] = int(round(float(x[k + i])))
            if self.delivery:
                out[f"local_{inst}"] = bool(float(x[(2 if self.timing else 1) * k + i]) >= 0.5)
        for reg, lv, c in zip(self.regulations, level, cost):
            out[f"share_{reg}"] = round(float(c / self.budget), 4)
            out[f"enforce_{reg}"] = round(float(lv), 4)
        return out


@dataclass(frozen=True)
class ModelSpace:
    """A model of the custom-model hook: its inputs within their bounds."""

    inputs: dict[str, tuple[float, float]]

    @property
    def names(self) -> list[str]:
        return list(self.inputs)

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([lo for lo, _ in self.inputs.values()], dtype=float),
                np.array([hi for _, hi in self.inputs.values()], dtype=float))

    def point(self, x: np.ndarray) -> dict[str, float]:
        return {n: round(float(v), 9) for n, v in zip(self.inputs, x)}

    def describe(self, x: np.ndarray) -> dict[str, Any]:
        return self.point(x)
