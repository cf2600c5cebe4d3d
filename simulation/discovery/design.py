"""The design of an exploration: which claims, over which uncertain parameters, at which points, with which runs.

A *claim* is a direction of the domain brief (H1-H4, the liberalization
interaction: :data:`simulation.experiments.ablation.DIRECTIONS`) or a
comparison the user names (two scenarios, an outcome, the sign expected).
Its effect at a point of the uncertain parameters is the signed sum of its
arms' outcome, every arm run on the same seeds with the point's values.
The points are a Latin hypercube over the parameters' sweep ranges (where
the claim is mapped by PRIM and CART), a grid over two of them with the
rest at the scenarios' values (the robustness map), and the defaults.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from .. import outcomes, schema
from ..api import replicate_seeds
from ..experiments import ablation, functions
from ..experiments.functions import FunctionSpec
from ..experiments.runner import RunSpec
from ..inputs import show
from ..params import REGISTRY, ParameterError, plausible_range, suggest
from ..policy import CATALOGUE
from ..provenance import CATALOGUE as CATALOGUE_SOURCES
from ..provenance import PARAMETERS as PARAMETER_SOURCES
from ..scenario import Scenario, ScenarioError, load, read_toml, reference
from ..sensitivity.design import COMMAND_LINE, SweepConfigError, check_inputs, model_outputs
from ..sensitivity.problem import problem

# The five directions of the domain brief.
DEFAULT_DIRECTIONS = ("H1", "H2", "H3", "H4", "liberalization")
# A further outcome a question predicts a sign for, judged apart: "<direction> @ <outcome>".
ALSO = " @ "
# Every question of docs/hypotheses.md: each direction on the outcome it is judged on, then each further
# outcome it claims a sign for (the H2 control claims no difference: it holds where none is shown).
QUESTIONS: tuple[str, ...] = tuple(name for d in ablation.DIRECTIONS
                                   for name in (d.name, *(f"{d.name}{ALSO}{o}" for o, _ in d.claims)))
SAMPLE, MAP, DEFAULT = "sample", "map", "default"  # the kinds of point
MAP_AXES = ("comp_mean", "conn_mean")  # the robustness map's default axes: mean competitiveness x connectivity
OVER = ("params", "judgment")  # what an exploration varies: the parameters named, or every judgment number


class ExploreConfigError(SweepConfigError):
    """An exploration cannot be set up: names the file (or the flag), the key and what is allowed."""


@dataclass(frozen=True)
class Claim:
    """What an exploration judges: a signed sum of arms on one outcome, and the sign the claim predicts."""

    name: str
    text: str
    arms: tuple[tuple[str, int], ...]   # (scenario name or path, sign); empty for a model's output
    outcome: str                        # the outcome (or the model's output) the claim is judged on
    expect: int                         # +1: the effect is positive where the claim holds; -1: negative
    params: dict[str, Any] = field(default_factory=dict)  # fixed settings of the claim (none for the brief's)


def direction_claim(name: str) -> Claim:
    """A direction as a claim, on the outcome it is judged on (``"H3 @ gvc_participation"``: on a further
    outcome it claims a sign for)."""
    base, _, outcome = name.partition(ALSO)
    d = ablation.direction(base)
    if not outcome:
        return Claim(d.name, d.claim, d.arms, d.outcomes[0], d.expect, dict(d.params))
    signs = dict(d.claims)
    if outcome not in signs:
        raise KeyError(f"{base} claims a sign for {', '.join(signs) or 'no further outcome'}, not {outcome!r}")
    return Claim(name, d.claim, d.arms, outcome, signs[outcome], dict(d.params))


def catalogue_number(name: str) -> tuple[str, str] | None:
    """``(instrument, key)`` for a catalogue number's name (``"awareness_information.unit_cost"``), else None."""
    instrument, dot, key = name.partition(".")
    return (instrument, key) if dot and instrument in CATALOGUE else None


def judgment_space(claims: list[Claim]) -> dict[str, tuple[float, float]]:
    """Every number set by judgment, with its plausible range: the registry's parameters of kind ``judgment``
    (docs/ODD.md's parameter table) and the catalogue's unit costs and effect strengths marked so
    (``instrument.unit_cost`` in kUSD, ``instrument.effects`` a factor on every strength). Sourced and
    calibrated numbers keep their values; a parameter a claim's arm sets defines that comparison and is
    left out."""
    fixed = {n for c in claims for n in c.params} | {n for c in claims for arm, _ in c.arms
                                                     for n in _load(arm).params}
    space = {}
    for name, source in PARAMETER_SOURCES.items():
        if source.kind == "judgment" and name not in fixed:
            space[name] = plausible_range(name)
    for instrument, numbers in CATALOGUE_SOURCES.items():
        for key, source in numbers.items():
            if source.kind == "judgment":
                space[f"{instrument}.{key}"] = tuple(map(float, source.plausible))
    return space


def default_value(name: str) -> float:
    """A varied number's value at the defaults: the registry's, the catalogue's unit cost, or 1 (effects)."""
    number = catalogue_number(name)
    if number is None:
        return REGISTRY[name].default
    instrument, key = number
    return CATALOGUE[instrument].unit_cost if key == "unit_cost" else 1.0


def split_point(point: dict[str, float]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """A point's registry parameters, and its catalogue changes (instrument -> {key: value})."""
    params: dict[str, float] = {}
    changes: dict[str, dict[str, float]] = {}
    for name, value in point.items():
        number = catalogue_number(name)
        if number is None:
            params[name] = value
        else:
            changes.setdefault(number[0], {})[number[1]] = float(value)
    return params, changes


@dataclass
class ExploreConfig:
    """Everything an exploration depends on, as plain data (stored in its manifest)."""

    directions: list[str] = field(default_factory=lambda: list(DEFAULT_DIRECTIONS))
    comparisons: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> treatment, control, outcome...
    params: list[str] = field(default_factory=lambda: ["competitiveness", "connectivity"])
    bounds: dict[str, list[float]] = field(default_factory=dict)
    samples: int = 200
    seeds: int = 10  # 5 cannot tell H1's effect from seed noise in most worlds
    seed: int = 0
    steps: int | None = None
    map: list[str] = field(default_factory=lambda: list(MAP_AXES))
    grid: int = 5                   # 0: no map
    model: str | None = None        # "package.module:function": explore that function, not the simulation
    inputs: dict[str, list[float]] = field(default_factory=dict)
    over: str = "params"            # "judgment": every number set by judgment, over its plausible range
    source: str = COMMAND_LINE

    def __post_init__(self) -> None:
        if self.model is not None and list(self.map) == list(MAP_AXES) and len(self.inputs) >= 2:
            self.map = list(self.inputs)[:2]  # a model's map: its first two inputs, unless named
        if self.over == "judgment" and list(self.map) == list(MAP_AXES):
            self.grid = 0  # the plausible worlds need no map (both axes are calibrated, not judged)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data, only those the exploration uses (a model's has no simulation
        parameters, the simulation's no model): what its manifest records."""
        unused = ("params", "bounds", "steps", "over") if self.model is not None else ("model", "inputs")
        return {k: v for k, v in asdict(self).items() if k not in unused}

    @classmethod
    def from_toml(cls, path: str | Path, overrides: dict[str, Any] | None = None) -> ExploreConfig:
        """Read an explore file; ``overrides`` (from the command line) win over the file."""
        path = Path(path)
        data = read_toml(path, ExploreConfigError)
        schema.validate(schema.ExploreFile, path, data, ExploreConfigError)
        for name, c in data.get("comparisons", {}).items():  # scenarios named in the file: beside it or shipped
            for arm in ("treatment", "control"):
                if isinstance(c.get(arm), str):
                    c[arm] = str(reference(path, c[arm], f"comparisons.{name}.{arm}", error=ExploreConfigError))
        data = {**data, **{k: v for k, v in (overrides or {}).items() if v is not None}}
        if "directions" not in data and data.get("comparisons"):
            data["directions"] = []  # a file of one's own comparisons explores those alone
        cfg = cls(**data, source=str(path))
        cfg.validate()
        return cfg

    def claims(self) -> list[Claim]:
        out = [direction_claim(n) for n in self.directions]
        for name, c in self.comparisons.items():
            if self.model is not None:
                out.append(Claim(name, c.get("claim") or f"{c['output']} has the sign expected",
                                 (), c["output"], int(c.get("expect", 1))))
            else:
                out.append(Claim(name, c.get("claim") or f"{Path(c['treatment']).stem} against "
                                                         f"{Path(c['control']).stem} on {c['outcome']}",
                                 ((c["treatment"], 1), (c["control"], -1)), c["outcome"], int(c.get("expect", 1))))
        return out

    def problem(self) -> dict[str, Any]:
        if self.model is not None:
            return {"num_vars": len(self.inputs), "names": list(self.inputs),
                    "bounds": [[float(lo), float(hi)] for lo, hi in self.inputs.values()]}
        if self.over == "judgment":
            space = judgment_space(self.claims())
            return {"num_vars": len(space), "names": list(space), "bounds": [list(b) for b in space.values()]}
        return problem(self.params, bounds={k: tuple(v) for k, v in self.bounds.items()})

    def validate(self) -> None:
        """Check every field; raise one ExploreConfigError naming the first problem."""
        src = self.source
        schema.validate(schema.ExploreFile, src, {k: v for k, v in self.to_dict().items() if k != "source"},
                        ExploreConfigError)
        if self.over not in OVER:
            raise ExploreConfigError(src, "over", f"{show(self.over)} is not one of {', '.join(OVER)}")
        if self.over == "judgment" and self.model is not None:
            raise ExploreConfigError(src, "over", "judgment numbers are the simulation's; a model explores its "
                                                  "own inputs")
        if self.over == "judgment" and self.bounds:
            raise ExploreConfigError(src, "bounds", "the plausible ranges of judgment numbers come from "
                                                    "simulation/provenance.py; bounds apply to named params")
        for name in self.directions:
            try:
                direction_claim(name)
            except KeyError as err:
                names = list(QUESTIONS)
                known = name.partition(ALSO)[0] in {d.name for d in ablation.DIRECTIONS}
                why = err.args[0] if known else f"unknown direction {show(name)}{suggest(name, names)}"
                raise ExploreConfigError(src, "directions", f"{why}; questions: {', '.join(names)}") from None
        for name, c in self.comparisons.items():  # each mode names its own keys
            wanted, other = (("output",), ("treatment", "control", "outcome")) if self.model else \
                (("treatment", "control", "outcome"), ("output",))
            if any(c.get(k) is None for k in wanted) or any(c.get(k) is not None for k in other):
                raise ExploreConfigError(src, f"comparisons.{name}",
                                         f"{'a model' if self.model else 'the simulation'} is compared on "
                                         f"{', '.join(wanted)} (not {', '.join(other)})")
        if not self.directions and not self.comparisons:
            raise ExploreConfigError(src, "directions", "nothing to explore: name directions or comparisons")
        if self.seeds < 2:
            raise ExploreConfigError(src, "seeds", "at least 2 seeds: each point's effect needs an interval")
        if self.model is not None:
            self._validate_model()
        else:
            self._validate_simulation()
        names = self.problem()["names"]
        if self.grid == 1:
            raise ExploreConfigError(src, "grid", "0 (no map) or at least 2 cells per side")
        if self.grid == 0:
            return
        if len(self.map) != 2 or len(set(self.map)) != 2 or any(m not in names for m in self.map):
            raise ExploreConfigError(src, "map", f"two different parameters among those explored "
                                                 f"({', '.join(names)}), got {show(self.map)}")

    def _validate_simulation(self) -> None:
        src = self.source
        if self.inputs:
            raise ExploreConfigError(src, "inputs", "only for a model (model = \"package.module:function\")")
        try:
            names = self.problem()["names"] if self.over == "params" else []
        except ParameterError as err:
            key = next((f"bounds.{n}" for n in self.bounds if repr(n) in str(err)), "params")
            raise ExploreConfigError(src, key, str(err)) from None
        for claim in self.claims():
            try:
                outcomes.check([claim.outcome])
            except ParameterError as err:
                raise ExploreConfigError(src, f"comparisons.{claim.name}.outcome", str(err)) from None
            for arm, _ in claim.arms:
                scenario = self._scenario(claim, arm)
                fixed = sorted(set(scenario.params) & set(names))
                if fixed:  # the arm is defined by that value: exploring it would erase the comparison
                    raise ExploreConfigError(src, "params", f"{fixed[0]!r} is set by {scenario.name} (an arm of "
                                                            f"{claim.name}); it defines the comparison and cannot "
                                                            f"be explored")

    def _scenario(self, claim: Claim, arm: str) -> Scenario:
        try:
            return _load(arm)
        except ScenarioError as err:
            raise ExploreConfigError(self.source, f"comparisons.{claim.name}", str(err)) from None

    def _validate_model(self) -> None:
        src = self.source
        if self.directions:
            raise ExploreConfigError(src, "directions", "a model is explored through its own comparisons "
                                                        "([comparisons.NAME] output = ..., expect = 1 or -1)")
        try:
            check_inputs(src, self.inputs)
            returned = model_outputs(src, self.model, self.inputs)
        except SweepConfigError as err:
            raise ExploreConfigError(err.file, err.key, err.message) from None
        for name, c in self.comparisons.items():
            if c.get("output") not in returned:
                raise ExploreConfigError(src, f"comparisons.{name}.output",
                                         f"the model returns no output {show(c.get('output'))}; it returns "
                                         f"{', '.join(returned)}")

    def stochastic(self) -> bool:
        return self.model is None or functions.takes_seed(functions.load(self.model))


@functools.lru_cache(maxsize=64)
def _load(ref: str) -> Scenario:
    return load(ref)


@dataclass
class Plan:
    """An exploration's claims, points and runs (plain tables)."""

    claims: list[Claim]
    problem: dict[str, Any]
    points: pd.DataFrame   # point, kind (sample, map, default), then one column per explored parameter
    runs: pd.DataFrame     # claim, point, scenario, sign, seed, run_id (model: scenario "", sign 1)
    specs: list[RunSpec] | list[FunctionSpec]
    outputs: list[str]     # what each run records
    exact: bool = False    # a deterministic model: one run per point, its effect has no sampling error


def sample_points(cfg: ExploreConfig) -> pd.DataFrame:
    """The Latin hypercube, the map's grid and the defaults, one row per point (values as the model gets them)."""
    prob = cfg.problem()
    names, bounds = prob["names"], np.array(prob["bounds"], dtype=float)
    unit = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng([cfg.seed, 27])).random(cfg.samples)
    lhs = pd.DataFrame(qmc.scale(unit, bounds[:, 0], bounds[:, 1]), columns=names).assign(kind=SAMPLE)
    defaults = {n: (default_value(n) if cfg.model is None else float(np.mean(b))) for n, b in zip(names, bounds)}
    grid = pd.DataFrame(columns=[*names, "kind"])
    if cfg.grid:
        (ix, x), (iy, y) = ((names.index(m), m) for m in cfg.map)
        gx, gy = (np.linspace(bounds[i, 0], bounds[i, 1], cfg.grid) for i in (ix, iy))
        grid = pd.DataFrame([{**defaults, x: a, y: b, "kind": MAP} for b in gy for a in gx])
    default = pd.DataFrame([{**defaults, "kind": DEFAULT}])
    points = pd.concat([frame for frame in (lhs, grid, default) if len(frame)], ignore_index=True)
    for n in names:
        if cfg.model is None and catalogue_number(n) is None and REGISTRY[n].kind is int:
            points[n] = points[n].round().astype(int)
    points.insert(0, "point", np.arange(len(points)))
    return points[["point", "kind", *names]]


def build(cfg: ExploreConfig) -> Plan:
    """Every run of the exploration: each claim's arms at each point on the same seeds (shared runs run once)."""
    claims, points = cfg.claims(), sample_points(cfg)
    names = cfg.problem()["names"]
    seeds = replicate_seeds(cfg.seeds, root=cfg.seed) if cfg.stochastic() else [0]
    values = points[names].to_dict("records")
    specs: dict[str, Any] = {}
    rows = []
    for claim in claims:
        arms = claim.arms or (("", 1),)
        for arm, sign in arms:
            scenario = _load(arm) if arm else None
            for k, point in enumerate(values):
                params, changes = split_point(point)
                world = scenario
                if scenario is not None and changes:
                    world = dataclasses.replace(scenario, package=scenario.package.with_catalogue(changes))
                made = ([FunctionSpec.make(cfg.model, point, s) for s in seeds] if world is None
                        else RunSpec.for_seeds(world, seeds, cfg.steps, extra_params={**claim.params, **params}))
                for s, spec in zip(seeds, made):
                    specs.setdefault(spec.run_id, spec)
                    rows.append((claim.name, k, scenario.name if scenario else "", sign, s, spec.run_id))
    runs = pd.DataFrame(rows, columns=["claim", "point", "scenario", "sign", "seed", "run_id"])
    return Plan(claims, cfg.problem(), points, runs, list(specs.values()),
                sorted({c.outcome for c in claims}), exact=not cfg.stochastic())
