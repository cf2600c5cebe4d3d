"""Which part of a package does the work: its effect split among its entries by Shapley values.

The design (this module), the runs (the crash-safe runner) and the report
(``reporting/attribution.py``) are separate; results are a plain table.

A *coalition* of players (entries, or groups of entries ``--by`` level,
stage, determinant or deliverer) runs as the baseline's package plus the
coalition's entries, with the scenario's own settings (every parameter), on
common seeds. A coalition without an entry loses that entry's money (the
counterfactual is the package without it); ``reallocate`` instead spreads
the package's whole budget over the coalition's entries in proportion to
their budgets. The worth of a coalition is its outcome minus the empty
coalition's, seed by seed (:mod:`.shapley`).

When the scenario's settings differ from the baseline's (coordination, say),
the baseline run as it stands is one more arm: the *settings* row says what
those settings alone do, which the split among entries does not attribute.

A model of the custom-model hook (:mod:`.functions`) can be attributed too:
each player is an input that is 1 in a coalition and 0 outside it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..api import summarize
from ..outcomes import OUTCOMES, SUMMARY
from ..params import resolve
from ..policy import CATALOGUE, PolicyPackage
from ..scenario import Scenario
from . import shapley
from .backends import Backend
from .functions import FunctionSpec, evaluate_function
from .runner import RunSpec, chunk_size, outcome_rows, run_specs
from .store import RunStore

PRIMARY: tuple[str, ...] = ("exporter_years", "lasting_entrants", "new_exporters", "exporters",
                            "gvc_participation", "exits", "export_sales")
BY: tuple[str, ...] = ("entry", "level", "stage", "determinant", "deliverer")
EXACT_MAX = 6   # players up to which every coalition is run (2**6 = 64 coalitions)
ORDERS = 16     # sampled orders beyond that
SETTINGS = "settings"


@dataclass(frozen=True)
class Player:
    """One player: a name and the package entries (indices) it stands for."""

    name: str
    entries: tuple[int, ...]
    members: str


def _group(scenario: Scenario, k: int, by: str) -> str:
    entry = scenario.package.entries[k]
    inst = CATALOGUE[entry.instrument]
    if by == "entry":
        return scenario.entry_labels[k]
    if by == "level":
        return f"{inst.level} level"
    if by == "stage":
        return f"{inst.stage} stage"
    if by == "determinant":
        return inst.determinant
    if by == "deliverer":
        return f"{entry.delivered_by or inst.delivered_by} delivery"
    raise ValueError(f"--by must be one of {', '.join(BY)}, got {by!r}")


def players(scenario: Scenario, by: str = "entry") -> list[Player]:
    """The players of ``scenario``'s package, grouped ``by`` entry, level, stage, determinant or deliverer."""
    labels = scenario.entry_labels
    groups = shapley.groups_of([_group(scenario, k, by) for k in range(len(scenario.package.entries))])
    return [Player(name, tuple(ks), "; ".join(f"{labels[k]} ({scenario.package.entries[k].instrument})"
                                              for k in ks)) for name, ks in groups.items()]


def coalition_scenario(scenario: Scenario, baseline: Scenario, team: Sequence[Player], coalition: shapley.Coalition,
                       reallocate: bool = False) -> Scenario:
    """The baseline's package plus the coalition's entries, with the scenario's settings."""
    keep = sorted(k for i in coalition for k in team[i].entries)
    # Each entry keeps the name it has in the whole package, so its random stream is the same in every coalition.
    keys = scenario.package.entry_keys
    entries = [dataclasses.replace(scenario.package.entries[k], name=keys[k]) for k in keep]
    if reallocate and entries and len(coalition) < len(team):
        have = sum(e.budget for e in entries)
        if have > 0:
            factor = scenario.package.total_budget / have
            entries = [dataclasses.replace(e, budget=e.budget * factor) for e in entries]
    tag = "+".join(sorted(team[i].name for i in coalition)) or "none"
    name = f"{scenario.name}~{tag}" + ("~reallocated" if reallocate else "")
    held = [dataclasses.replace(e, name=f"baseline:{key}")
            for e, key in zip(baseline.package.entries, baseline.package.entry_keys)]
    package = PolicyPackage(name=name, entries=(*held, *entries),
                            description=scenario.package.description)
    return dataclasses.replace(scenario, name=name, package=package)


@dataclass
class Design:
    """Every run an attribution needs: each coalition on each seed, and the settings arm if any."""

    names: tuple[str, ...]                  # the players
    members: tuple[str, ...]
    seeds: tuple[int, ...]
    sampled: np.ndarray | None              # the orders, or None for exact
    cells: list[tuple[shapley.Coalition, Any]]   # (coalition, RunSpec or FunctionSpec)
    settings: list[Any]                     # the baseline as it stands, per seed (empty if no settings differ)

    @property
    def specs(self) -> list[Any]:
        return [spec for _, spec in self.cells] + list(self.settings)


def _plan(n: int, exact: bool | None, orders: int, order_seed: int) -> np.ndarray | None:
    if exact or (exact is None and n <= EXACT_MAX):
        return None
    return shapley.orders(n, orders, order_seed)


def design(scenario: Scenario, baseline: Scenario, seeds: Sequence[int], by: str = "entry",
           exact: bool | None = None, orders: int = ORDERS, order_seed: int = 0,
           reallocate: bool = False) -> Design:
    """The runs attributing ``scenario``'s package against ``baseline``'s."""
    team = players(scenario, by)
    if not team:
        raise ValueError(f"scenario {scenario.name!r} has no package entries to attribute")
    sampled = _plan(len(team), exact, orders, order_seed)
    cells = [(c, RunSpec.make(coalition_scenario(scenario, baseline, team, c, reallocate), s))
             for c in shapley.needed(len(team), sampled) for s in seeds]
    differs = resolve(scenario.params) != resolve(baseline.params)
    settings = [RunSpec.make(baseline, s, steps=scenario.steps) for s in seeds] if differs else []
    return Design(tuple(p.name for p in team), tuple(p.members for p in team), tuple(int(s) for s in seeds),
                  sampled, cells, settings)


def design_model(model: str, names: Sequence[str], seeds: Sequence[int], exact: bool | None = None,
                 orders: int = ORDERS, order_seed: int = 0) -> Design:
    """A model of the custom-model hook as a game: each player an input, 1 in a coalition and 0 outside."""
    sampled = _plan(len(names), exact, orders, order_seed)
    cells = [(c, FunctionSpec.make(model, {n: float(i in c) for i, n in enumerate(names)}, s))
             for c in shapley.needed(len(names), sampled) for s in seeds]
    return Design(tuple(names), tuple(names), tuple(int(s) for s in seeds), sampled, cells, [])


def _summary_row(ts: pd.DataFrame, outcomes: Sequence[str]) -> dict[str, float]:
    s = summarize(ts)
    return {k: float(s[k]) for k in outcomes}


def run(d: Design, folder: Path, backend: Backend, outcomes: Sequence[str] = PRIMARY,
        quiet: bool = False) -> tuple[pd.DataFrame, int]:
    """Run (or resume) the design in ``folder``'s store: one row of outcomes per run id, and how many ran now."""
    store = RunStore(folder, ("results",))
    specs = d.specs
    unique = len({s.run_id for s in specs})
    if specs and isinstance(specs[0], FunctionSpec):
        work = functools.partial(evaluate_function, outputs=list(outcomes))
        chunk = max(1, min(2048, unique // max(1, 4 * backend.workers)))
    else:
        work = functools.partial(outcome_rows, read=functools.partial(_summary_row, outcomes=list(outcomes)),
                                 kind="results")
        chunk = chunk_size(unique, backend.workers)
    ran = run_specs(specs, store, backend, quiet=quiet, label="attribution", whole=True, work=work, chunk=chunk)
    return store.read("results").drop_duplicates("run_id").set_index("run_id"), ran


def worths(d: Design, results: pd.DataFrame, outcome: str) -> dict[shapley.Coalition, np.ndarray]:
    """Each coalition's outcome on each seed (in the design's seed order)."""
    values: dict[shapley.Coalition, list[float]] = {}
    for coalition, spec in d.cells:
        values.setdefault(coalition, []).append(float(results.loc[spec.run_id, outcome]))
    return {c: np.asarray(v) for c, v in values.items()}


def table(d: Design, results: pd.DataFrame, outcomes: Sequence[str] = PRIMARY) -> pd.DataFrame:
    """One row per (outcome, player), then the total, the interaction and (if any) the settings rows."""
    method = "exact" if d.sampled is None else f"permutation sampling ({len(d.sampled)} permutations)"
    rows = []
    for out in outcomes:
        worth = worths(d, results, out)
        est = shapley.estimate(worth, len(d.names), d.sampled)
        total = est.total.mean
        common = {"outcome": out, "seeds": len(d.seeds), "method": method}
        for i, name in enumerate(d.names):
            v, a = est.values[i], est.standalone[i]
            rows.append({**common, "kind": "player", "player": name, "members": d.members[i], "shapley": v.mean,
                         "ci_low": v.low, "ci_high": v.high, "standalone": a.mean, "standalone_low": a.low,
                         "standalone_high": a.high, "share": v.mean / total if total else np.nan,
                         "sampling_se": est.sampling_se[i]})
        for kind, iv in (("total", est.total), ("interaction", est.interaction)):
            rows.append({**common, "kind": kind, "player": kind, "members": "", "shapley": iv.mean,
                         "ci_low": iv.low, "ci_high": iv.high, "share": iv.mean / total if total else np.nan,
                         "sampling_se": 0.0})
        if d.settings:
            base = np.array([float(results.loc[s.run_id, out]) for s in d.settings])
            iv = shapley.t_interval(worth[frozenset()] - base)
            rows.append({**common, "kind": SETTINGS, "player": SETTINGS, "members": "", "shapley": iv.mean,
                         "ci_low": iv.low, "ci_high": iv.high, "sampling_se": 0.0})
    columns = ["outcome", "kind", "player", "members", "shapley", "ci_low", "ci_high", "standalone",
               "standalone_low", "standalone_high", "share", "seeds", "method", "sampling_se"]
    return pd.DataFrame(rows).reindex(columns=columns)


def check_outcomes(names: Sequence[str]) -> list[str]:
    """Outcomes that add up over a package (ratios such as new exporters per MUSD do not)."""
    bad = [n for n in names if n not in SUMMARY or OUTCOMES[n].kind in ("ratio", "ratio2", "cost", "rate", "mean")]
    if bad:
        raise ValueError(f"cannot attribute {bad[0]!r}: attribute outcomes that add up, e.g. {', '.join(PRIMARY)}")
    return list(names)
