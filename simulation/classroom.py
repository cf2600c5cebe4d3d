"""The model as a class sees it: a scenario with levers moved, beside a reference run.

:class:`ClassroomModel` is the :class:`~simulation.model.SMEModel` the browser
app steps. It is built from plain keyword values (a scenario, a reference
scenario, a seed and lever values) because Mesa's SolaraViz rebuilds the
model from its controls that way. The reference run, the faint line students
compare with, is the reference scenario's policy in the live run's world
(every parameter outside the registry's ``policy`` group follows the live
run) on the same seed, so the gap between the two lines is the policy.

Nothing here imports Solara: the tests and the benchmark use it directly.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import levers
from .api import run
from .model import SMEModel
from .params import REGISTRY
from .scenario import Scenario, load
from .state import CONNECTIVITY

SAMPLE_SMES = 90       # background SMEs drawn in the network view: readable on a projector
SAMPLE_ALLIED = 60     # at most this many allied SMEs are added to them
TIE_THRESHOLD = 0.5    # network ties above which two SMEs of one cluster count as tied


def parse_seed(text: Any) -> tuple[int, str]:
    """A seed typed in a text box: (seed, '') or (0, why the text was not used)."""
    raw = str(text).strip()
    try:
        value = int(raw) if raw.isascii() else -1  # int() takes "+3", " 3" and other scripts' digits too
    except ValueError:
        value = -1
    if raw.isdigit() and 0 <= value < 2**63:
        return value, ""
    return 0, f"Seed {raw!r} is not a whole number from 0 up; seed 0 is used."


_REFERENCES: collections.OrderedDict[tuple, pd.DataFrame] = collections.OrderedDict()
_CACHED = 32


def reference_run(reference: Scenario, live_params: dict[str, Any], seed: int, steps: int) -> pd.DataFrame:
    """The reference scenario's time series in the live run's world, on the live run's seed.

    Cached on the scenario's content (not its file name), so editing a
    scenario file between two runs never shows a stale reference.
    """
    world = {k: v for k, v in live_params.items() if REGISTRY[k].group != "policy"}
    key = (json.dumps(reference.to_dict(), sort_keys=True, default=str), tuple(sorted(world.items())), seed, steps)
    if key in _REFERENCES:
        _REFERENCES.move_to_end(key)
        return _REFERENCES[key]
    params = {**reference.params, **world}
    ts = run(reference.package, seed=seed, steps=steps, regions=False, **params).timeseries
    _REFERENCES[key] = ts
    while len(_REFERENCES) > _CACHED:
        _REFERENCES.popitem(last=False)
    return ts


# Keywords Mesa's SolaraViz may add when it rebuilds a model on Reset (3.5 adds
# its experimental ``scenario``); the app's own controls are levers and the seed.
_MESA_KEYWORDS = ("scenario", "rng", "simulator")


class ClassroomModel(SMEModel):
    """A scenario with classroom levers moved, and the reference run it is drawn against."""

    def __init__(self, source: str = "baseline", reference: str = "", seed: Any = 1, **kwargs: Any) -> None:
        for key in _MESA_KEYWORDS:
            kwargs.pop(key, None)
        # Registry parameters that are not levers (n_smes, say) set the world of both runs.
        fixed = {k: kwargs.pop(k) for k in list(kwargs) if k not in levers.LEVERS and k in REGISTRY}
        self.source = _with_params(load(source), fixed)
        self.reference_scenario = _with_params(load(reference), fixed) if reference else self.source
        self.changes = levers.moved(self.source, kwargs)
        self.idle = levers.idle(self.source, kwargs)
        self.live = levers.apply(self.source, kwargs)
        seed_value, self.notice = parse_seed(seed)
        super().__init__(self.live.package, seed=seed_value, steps=self.live.steps, **self.live.params)
        self.reference_ts = reference_run(self.reference_scenario, self.p, self.seed, self.horizon)
        self._sample_rows = np.sort(np.random.default_rng(self.seed).choice(
            self.sme.n, size=min(SAMPLE_SMES, self.sme.n), replace=False))

    def timeseries(self) -> pd.DataFrame:
        """The quarters run so far (step 0 is the start)."""
        return self.recorder.timeseries()

    def regions_now(self) -> pd.DataFrame:
        """One row per region at the latest quarter."""
        return self.recorder.regions_now()

    def network(self) -> Network:
        """The alliance and cluster network of a sample of SMEs and all large enterprises."""
        return network_view(self, self._sample_rows)

    def snapshot(self) -> Snapshot:
        """This run as it stands, frozen: call it between quarters (the app does, under its lock)."""
        return Snapshot(run=id(self), t=int(self.t), horizon=self.horizon, seed=self.seed, source=self.source,
                        reference_scenario=self.reference_scenario, live=self.live,
                        changes=types.MappingProxyType(dict(self.changes)), idle=tuple(self.idle),
                        notice=self.notice, p=types.MappingProxyType(dict(self.p)),
                        reference_ts=self.reference_ts, ts=self.timeseries(), regions=self.regions_now(),
                        net=self.network())


@dataclass(frozen=True, eq=False)  # eq=False: compared by identity (a field-wise == of tables is ambiguous)
class Snapshot:
    """A classroom run at the end of one quarter: copies of what the page reads, never changed afterwards.

    It answers every question :mod:`simulation.class_runs` and
    :mod:`simulation.views` ask of a :class:`ClassroomModel` (its tables, its
    scenarios, seed and parameters), so a page can draw it while the model
    itself steps on in another thread.
    """

    run: int                        # the model it was taken from (``id``): tells a Reset's new run from the old
    t: int
    horizon: int
    seed: int
    source: Scenario
    reference_scenario: Scenario
    live: Scenario
    changes: Mapping[str, tuple[Any, Any]]
    idle: tuple[str, ...]
    notice: str
    p: Mapping[str, Any]
    reference_ts: pd.DataFrame
    ts: pd.DataFrame
    regions: pd.DataFrame
    net: Network

    def timeseries(self) -> pd.DataFrame:
        """The quarters run so far (step 0 is the start)."""
        return self.ts

    def regions_now(self) -> pd.DataFrame:
        """One row per region at this quarter."""
        return self.regions

    def network(self) -> Network:
        """The network view at this quarter."""
        return self.net


def _with_params(scenario: Scenario, params: dict[str, Any]) -> Scenario:
    return dataclasses.replace(scenario, params={**scenario.params, **params}) if params else scenario


@dataclass
class Network:
    """Nodes and edges of the network view, with positions (a fixed layout: no force simulation)."""

    sme_rows: np.ndarray     # sampled SME rows
    sme_xy: np.ndarray       # (n, 2)
    sme_stage: np.ndarray
    le_xy: np.ndarray        # (m, 2)
    alliances: np.ndarray    # (k, 2): sample index, LE index
    ties: np.ndarray         # (j, 2): sample index, sample index


def _unit_hash(values: np.ndarray, salt: int) -> np.ndarray:
    """A stable number in [0, 1) per value (positions must not jump between quarters)."""
    x = (values.astype(np.uint64) + np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
    return ((x >> np.uint64(11)).astype(np.float64)) / float(2**53)


# Radius by stage: firms move in towards the lead firms as they internationalize.
_RADIUS = np.array([1.0, 0.82, 0.66, 0.5])
_LE_RADIUS = 0.3


def network_view(model: SMEModel, background: np.ndarray) -> Network:
    """Sampled SMEs (the background sample plus allied SMEs) and every LE, laid out by sector and stage.

    Each sector is a wedge; SMEs sit in their sector's wedge at a radius set
    by their stage, LEs near the centre. Alliances join an SME to its LE;
    cluster ties join SMEs of one region and sector whose network ties both
    exceed :data:`TIE_THRESHOLD` (drawn as a chain, so a cluster of k tied
    firms takes k - 1 edges).
    """
    s, le = model.sme, model.le
    n_sectors = max(model.p["n_sectors"], 1)
    allied = np.flatnonzero(s.partner >= 0)
    if len(allied) > SAMPLE_ALLIED:
        allied = allied[np.linspace(0, len(allied) - 1, SAMPLE_ALLIED).astype(int)]
    rows = np.union1d(background[background < s.n], allied)
    wedge = 2 * np.pi / n_sectors
    stage = s.stage[rows]
    theta = s.sector[rows] * wedge + (_unit_hash(rows, 1) - 0.5) * 0.8 * wedge
    radius = _RADIUS[np.minimum(stage, len(_RADIUS) - 1)] + (_unit_hash(rows, 2) - 0.5) * 0.12
    sme_xy = np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])

    le_theta = np.zeros(le.n)
    for sector in range(n_sectors):
        mine = np.flatnonzero(le.sector == sector)
        if len(mine):
            le_theta[mine] = sector * wedge + (np.arange(len(mine)) - (len(mine) - 1) / 2) * 0.6 * wedge / len(mine)
    le_xy = np.column_stack([_LE_RADIUS * np.cos(le_theta), _LE_RADIUS * np.sin(le_theta)])

    partner = s.partner[rows]
    has = partner >= 0
    alliances = np.column_stack([np.flatnonzero(has), partner[has]]).astype(int)

    tied = s.conn[CONNECTIVITY.index("network_ties"), rows] >= TIE_THRESHOLD
    cluster = s.region[rows] * n_sectors + s.sector[rows]
    idx = np.flatnonzero(tied)
    order = idx[np.argsort(cluster[idx], kind="stable")]
    same = cluster[order[1:]] == cluster[order[:-1]]
    ties = np.column_stack([order[:-1][same], order[1:][same]]).astype(int) if len(order) > 1 else np.zeros((0, 2), int)
    return Network(rows, sme_xy, stage, le_xy, alliances.reshape(-1, 2), ties.reshape(-1, 2))

