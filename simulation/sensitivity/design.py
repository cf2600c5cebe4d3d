"""The experiment design of a sweep: which parameters, which bounds, which sample points, which runs.

A :class:`SweepConfig` comes from the command line or from a TOML file
(``run.py sweep --config FILE``); :func:`build` turns it into a SALib problem,
a table of sample points and the runs (every point on the same R seeds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import outcomes, schema
from ..api import replicate_seeds
from ..experiments import functions
from ..experiments.functions import FunctionSpec, ModelError
from ..experiments.runner import RunSpec
from ..inputs import show
from ..params import DUMMY, REGISTRY, ParameterError, suggest
from ..scenario import Scenario, ScenarioError, load, read_toml, reference
from . import METHODS
from .problem import problem, select

# With one seed per point, seed noise is measured on a probe: a few points
# run on extra seeds, kept out of the analysis.
PROBE_POINTS = 16
PROBE_SEEDS = 4

CONFIG_KEYS = frozenset(schema.SweepFile.model_fields)


class SweepConfigError(ScenarioError):
    """A sweep configuration cannot be used: names the file (or the option), the key and what is allowed."""

    def __init__(self, file: str | Path, key: str, message: str) -> None:
        if str(file) == COMMAND_LINE and key:  # name the flag the user typed
            head, _, rest = key.partition(".")
            if head == "options":
                key = f"--option {rest}"
            elif head != "scenario":  # the scenario is the positional argument
                key = f"--{head.replace('_', '-')}"
        super().__init__(file, key, message)


COMMAND_LINE = "command line"


@dataclass
class SweepConfig:
    """Everything a sweep depends on, as plain data (stored in its manifest)."""

    scenario: str = "baseline"
    method: str = "sobol"
    samples: int = 64
    params: list[str] = field(default_factory=lambda: ["competitiveness", "connectivity"])
    bounds: dict[str, list[float]] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=lambda: list(outcomes.DEFAULT_SWEEP_OUTCOMES))
    seeds: int = 1
    seed: int = 0
    steps: int | None = None
    per_year: bool = False
    by_group: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    dummy: bool = True             # a reference input the model never reads (params.DUMMY)
    model: str | None = None       # "package.module:function": sweep that function, not the simulation
    inputs: dict[str, list[float]] = field(default_factory=dict)  # the model's inputs and their ranges
    source: str = COMMAND_LINE

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data, only those the sweep uses (a model's has no scenario, parameters or
        bounds, the simulation's no model): what its manifest records."""
        unused = SIMULATION_ONLY if self.model is not None else ("model", "inputs")
        return {k: v for k, v in asdict(self).items() if k not in unused}

    @classmethod
    def from_toml(cls, path: str | Path, overrides: Mapping[str, Any] | None = None) -> SweepConfig:
        """Read a sweep file; ``overrides`` (from the command line) win over the file."""
        path = Path(path)
        data = read_toml(path, SweepConfigError)
        schema.validate(schema.SweepFile, path, data, SweepConfigError)
        if isinstance(data.get("scenario"), str):  # named in the file: beside it or shipped, confined
            data["scenario"] = str(reference(path, data["scenario"], "scenario", error=SweepConfigError))
        data = {**data, **{k: v for k, v in (overrides or {}).items() if v is not None}}
        if isinstance(data.get("params"), str):
            data["params"] = [p.strip() for p in data["params"].split(",") if p.strip()]
        if data.get("model") is not None:
            for key in SIMULATION_ONLY:
                if data.get(key) not in (None, False, {}, []):
                    raise SweepConfigError(path, key, f"does not apply to a sweep of a model "
                                                      f"({data['model']}); its inputs are [inputs]")
            if data.get("outputs") is None:  # by default every output the model returns
                check_inputs(path, data.get("inputs") or {})
                data["outputs"] = model_outputs(path, data["model"], data.get("inputs") or {})
        cfg = cls(**{k: v for k, v in data.items()}, source=str(path))
        cfg.validate()
        return cfg

    def method_module(self):
        return METHODS[self.method]

    def method_options(self) -> dict[str, Any]:
        """The method's options: defaults updated with this config's, each checked."""
        module = self.method_module()
        out = {k: o.default for k, o in module.OPTIONS.items()}
        for key, value in self.options.items():
            if key not in module.OPTIONS:
                raise SweepConfigError(self.source, f"options.{key}",
                                       f"not an option of {self.method}{suggest(key, module.OPTIONS)}; "
                                       f"options: {', '.join(module.OPTIONS) or 'none'}")
            try:
                out[key] = module.OPTIONS[key].coerce(key, value)
            except ValueError as err:
                raise SweepConfigError(self.source, f"options.{key}", str(err)) from None
        return out

    def validate(self) -> None:
        """Check every field; raise one SweepConfigError naming the first problem."""
        src = self.source
        fields = {k: v for k, v in self.to_dict().items() if k != "source"}
        schema.validate(schema.SweepFile, src, fields, SweepConfigError)  # bounded as the flags (limits)
        if self.method not in METHODS:
            raise SweepConfigError(src, "method",
                                   f"unknown method {show(self.method)}{suggest(self.method, METHODS)}; "
                                   f"methods: {', '.join(METHODS)}")
        if self.model is not None:
            self._validate_model()
            return
        if isinstance(self.params, str):
            raise SweepConfigError(src, "params", "must be a list of parameter names or groups")
        try:
            chosen = select(self.params)
        except ParameterError as err:
            raise SweepConfigError(src, "params", str(err)) from None
        if len(chosen) < 2:
            raise SweepConfigError(src, "params", f"a sweep needs at least 2 parameters, got {len(chosen)}")
        if self.by_group and not self.method_module().GROUPS:
            raise SweepConfigError(src, "by_group", f"{self.method} gives one index per parameter, not per group "
                                                    f"(it would name parameters' indices after groups); "
                                                    f"group sweeps: sobol, morris")
        structural = [p.name for p in chosen if p.group == "population" and p.kind is int]
        if structural:
            raise SweepConfigError(src, "params", f"{structural[0]!r} sets the population's structure and "
                                                  f"cannot be swept; sweep behavioural parameters")
        try:
            self.problem()
        except ParameterError as err:
            key = next((f"bounds.{n}" for n in self.bounds if repr(n) in str(err)),
                       "params" if "no sweep range" in str(err) else "bounds")
            raise SweepConfigError(src, key, str(err)) from None
        try:
            outcomes.check(self.outputs)
        except ParameterError as err:
            raise SweepConfigError(src, "outputs", str(err)) from None
        self.method_options()
        try:
            self.load_scenario()
        except ScenarioError as err:
            raise SweepConfigError(src, "scenario", str(err)) from None

    def _validate_model(self) -> None:
        """A model's sweep: it loads, has at least two inputs with ranges, and returns the named outputs."""
        src = self.source
        check_inputs(src, self.inputs)
        if not self.outputs or len(set(self.outputs)) != len(self.outputs):
            raise SweepConfigError(src, "outputs", "name the model's outputs, each once")
        returned = model_outputs(src, self.model, self.inputs)
        missing = [o for o in self.outputs if o not in returned]
        if missing:
            raise SweepConfigError(src, "outputs", f"the model returns no output {missing[0]!r}; it returns "
                                                   f"{', '.join(returned)}")
        self.method_options()

    def problem(self) -> dict[str, Any]:
        """The SALib problem: the swept parameters (or the model's inputs), and the dummy where the
        method needs it in its design."""
        if self.model is not None:
            prob = {"num_vars": len(self.inputs), "names": list(self.inputs),
                    "bounds": [[float(lo), float(hi)] for lo, hi in self.inputs.values()]}
        else:
            bounds = {k: tuple(v) for k, v in self.bounds.items()}
            prob = problem(self.params, bounds=bounds, grouped=self.by_group)
        if self.dummy and self.method_module().DUMMY_IN_DESIGN:
            prob = {**prob, "num_vars": prob["num_vars"] + 1, "names": [*prob["names"], DUMMY],
                    "bounds": [*prob["bounds"], [0.0, 1.0]]}
            if "groups" in prob:
                prob["groups"] = [*prob["groups"], DUMMY]
        return prob

    def reseeds(self) -> bool:
        """Whether the design's reference input re-keys the random streams (Sobol', Morris on a model that
        takes a seed): then points no longer share their streams, and the noise is measured within points."""
        return self.dummy and getattr(self.method_module(), "REFERENCE", "") == "seed" and self.stochastic()

    def stochastic(self) -> bool:
        """Whether a run depends on its seed (the simulation does; a model only if it takes a seed)."""
        return self.model is None or functions.takes_seed(functions.load(self.model))

    def load_scenario(self) -> Scenario:
        return load(self.scenario)

    def runs(self) -> int:
        """How many model runs the sweep needs (analysis runs, plus the noise probe with one seed)."""
        module = self.method_module()
        base = module.runs(self.problem(), self.samples, self.method_options()) * self.seeds
        return base + (PROBE_POINTS * (PROBE_SEEDS - 1) if self.seeds == 1 and self.stochastic() else 0)


# Keys of a sweep of the simulation that mean nothing for a sweep of a model.
SIMULATION_ONLY = ("scenario", "params", "bounds", "steps", "per_year", "by_group")


def check_inputs(source: str | Path, inputs: Mapping[str, Any]) -> None:
    """A model's inputs: at least two, each ``[low, high]`` with low < high (SweepConfigError naming the key)."""
    if len(inputs) < 2:
        raise SweepConfigError(source, "inputs", f"a sweep of a model needs at least 2 inputs as "
                                                 f"name = [low, high], got {len(inputs)}")
    for name, (low, high) in inputs.items():
        if not low < high:
            raise SweepConfigError(source, f"inputs.{name}", f"must be [low, high] with low < high, "
                                                             f"got [{low}, {high}]")


def model_outputs(source: str | Path, model: str, inputs: Mapping[str, Any]) -> list[str]:
    """The outputs ``model`` returns at the middle of its input ranges (SweepConfigError naming ``model``)."""
    try:
        fn = functions.load(model)
    except ModelError as err:
        raise SweepConfigError(source, "model", str(err)) from None
    middle = {k: (float(v[0]) + float(v[1])) / 2 for k, v in inputs.items()
              if isinstance(v, list | tuple) and len(v) == 2}
    try:
        got = fn(middle, seed=0) if functions.takes_seed(fn) else fn(middle)
    except Exception as err:  # the user's code: any failure is theirs to see, in one line
        raise SweepConfigError(source, "model", f"calling {model} at the middle of the input ranges failed "
                                                f"({type(err).__name__}: {str(err)[:120]})") from None
    if not isinstance(got, Mapping) or not got:
        raise SweepConfigError(source, "model", f"{model} must return a mapping of output names to numbers, "
                                                f"got {type(got).__name__}")
    return [str(k) for k in got]


@dataclass
class Design:
    """A sweep's problem, sample and runs."""

    problem: dict[str, Any]
    X: np.ndarray              # (points, parameters) as SALib drew them
    points: pd.DataFrame       # point, then one column per parameter (the values the model gets)
    runs: pd.DataFrame         # point, seed, run_id, role ("analysis" or "probe")
    specs: list[RunSpec] | list[FunctionSpec]

    def analysed_inputs(self, module) -> np.ndarray:
        """The inputs an analyzer reads: for given-data methods the values the model got (integer
        parameters rounded), so an index describes the model that ran; samplers' own layouts otherwise."""
        if not module.GIVEN_DATA:
            return self.X  # Sobol', eFAST and Morris read the design's structure, not the values
        return self.points[self.problem["names"]].to_numpy(dtype=float)


def build(cfg: SweepConfig) -> Design:
    """Draw the sample and make the runs: every point on the same seeds (plus the probe if one seed).

    A sample size the method cannot use is a SweepConfigError naming ``samples``.
    """
    module = cfg.method_module()
    prob = cfg.problem()
    try:  # the sampler knows its own size rules (e.g. eFAST needs N > 4 M^2)
        X = module.sample(prob, cfg.samples, seed=cfg.seed, options=cfg.method_options())
    except ValueError as err:
        raise SweepConfigError(cfg.source, "samples", str(err)) from None
    values = pd.DataFrame(X, columns=prob["names"])
    for name in prob["names"]:
        if cfg.model is None and name in REGISTRY and REGISTRY[name].kind is int:
            values[name] = values[name].round().astype(int)
    points = pd.concat([pd.DataFrame({"point": np.arange(len(X))}), values], axis=1)
    # Plain Python numbers, ints where the registry says so. The dummy is never passed to the model: as the
    # seed reference (Sobol', Morris) it re-keys the run's streams; otherwise a point that differs from
    # another only in the dummy is the same run.
    records = values.drop(columns=[DUMMY], errors="ignore").to_dict("records")
    keys = values[DUMMY].tolist() if cfg.reseeds() else None
    if cfg.model is not None:
        model = cfg.model
        runs, specs = plan(records, cfg.seeds, cfg.seed,
                           lambda params, seed: FunctionSpec.make(model, params, seed), probe=cfg.stochastic(),
                           keys=keys)
        return Design(prob, X, points, runs, specs)
    scenario = cfg.load_scenario()
    runs, specs = plan(records, cfg.seeds, cfg.seed,
                       lambda params, seed: RunSpec.make(scenario, seed, cfg.steps, extra_params=params), keys=keys)
    return Design(prob, X, points, runs, specs)


def stream_seed(seed: int, key: float) -> int:
    """The seed of a run whose seed-noise reference input takes the value ``key`` (in [0, 1]), for replicate
    ``seed``: the same key gives the same streams, any other key independent ones (``SeedSequence`` of the
    pair). This is how the reference changes the random path and nothing else."""
    return int(np.random.SeedSequence([int(seed), int(round(float(key) * 2**32))]).generate_state(1)[0])


def plan(points: Sequence[dict[str, Any]], seeds: int, root: int,
         make_spec: Callable[[dict[str, Any], int], Any], probe: bool = True,
         keys: Sequence[float] | None = None) -> tuple[pd.DataFrame, list[Any]]:
    """Runs of a design: every point on the same ``seeds`` seeds; with one seed, a noise probe.

    With ``keys`` (the seed reference's value at each point), a point's runs use :func:`stream_seed` of
    each replicate seed and its key; the runs table keeps the replicate seed, so replicates still line up.
    Returns the runs table (point, seed, run_id, role) and the distinct specs:
    a design may repeat a point (Morris trajectories can cross), and a
    repeated point is run once.
    """
    all_seeds = replicate_seeds(PROBE_SEEDS if seeds == 1 and probe else seeds, root=root)
    todo: list[tuple[int, int, str]] = [(k, s, "analysis") for k in range(len(points)) for s in all_seeds[:seeds]]
    if seeds == 1 and probe:
        chosen = np.unique(np.linspace(0, len(points) - 1, min(PROBE_POINTS, len(points))).round().astype(int))
        todo += [(int(k), s, "probe") for k in chosen for s in all_seeds[1:]]
    specs: dict[str, RunSpec] = {}
    rows = []
    for k, seed, role in todo:
        spec = make_spec(points[k], seed if keys is None else stream_seed(seed, keys[k]))
        rows.append({"point": k, "seed": seed, "run_id": spec.run_id, "role": role})
        specs.setdefault(spec.run_id, spec)
    return pd.DataFrame(rows), list(specs.values())
