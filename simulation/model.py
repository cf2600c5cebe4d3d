"""The Mesa model: one run of the engine, with agents for its firms and governments.

The numbers live in the engine (:class:`simulation.engine.Batch`, here a
batch of one, the same code path that runs many runs at once); the model
gives them Mesa's face: SME agents made on demand as views of their rows,
large enterprises, local governments and the national government.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from .agents import SME, LargeEnterprise, LocalGovernment, NationalGovernment
from .engine import Batch, Indices, RunInput, StepContext
from .mechanisms.alliances import LEArrays
from .mechanisms.demography import World
from .policy import PolicyPackage
from .reporters import Recorder
from .state import RegionBlocks, SMEArrays

__all__ = ["Indices", "SMEModel", "StepContext"]


def _of_batch(name: str, first: bool = False) -> Any:
    """A read-only view of the engine's attribute ``name`` (``first``: run 0's value of a per-run array)."""
    if first:
        return property(lambda self: float(getattr(self.batch, name)[0]))
    return property(lambda self: getattr(self.batch, name))


class SMEModel(mesa.Model):
    """SME internationalization under a policy package.

    Parameters are registry names (see :mod:`simulation.params`); a run is
    fully determined by (parameters, package, seed). One step is a quarter.
    """

    def __init__(self, package: PolicyPackage | None = None, *, seed: int = 0, steps: int = 40,
                 record_regions: bool = True, **params: Any) -> None:
        self.batch = Batch([RunInput(package, params, seed)], steps)  # checks the seed and steps; warms up
        super().__init__(rng=np.random.default_rng(self.batch.seed_sequences[0]["mesa"]))
        b = self.batch
        self.p: dict[str, Any] = b.p.runs[0]
        self.package = b.packages[0]
        self.seed, self.horizon = int(seed), int(steps)
        self._exit_log: list[SMEArrays] = []
        self._exit_index: dict[int, tuple[int, int]] = {}
        self._exit_indexed = 0
        self._watched = False

        # SME agents are made when first looked at (see _sync_agents).
        self._sme_agents: list[SME | None] = [None] * self.sme.n
        self._agent_firm = np.full(self.sme.n, -1, np.int64)
        self.large_enterprises = [LargeEnterprise(self, j) for j in range(self.le.n)]
        self.local_governments = [LocalGovernment(self, k) for k in range(self.world.n_regions)]
        self.national_government = NationalGovernment(self)
        self.recorder = Recorder(b, regions=record_regions)
        self.recorder.collect(b, None)

    # --- the engine's state, as one run ---------------------------------------
    sme: SMEArrays = _of_batch("sme")
    world: World = _of_batch("world")
    le: LEArrays = _of_batch("le")
    blocks: RegionBlocks = _of_batch("blocks")
    indices: Indices = _of_batch("indices")
    region_infra: np.ndarray = _of_batch("region_infra")
    spent_step: np.ndarray = _of_batch("spent_step")
    spent_total: np.ndarray = _of_batch("spent_total")
    export_sales: np.ndarray = _of_batch("export_sales")
    need_error: np.ndarray = _of_batch("need_error")
    t: int = _of_batch("t")
    # The regime in force (per run in the engine; this model is run 0).
    tariff_cut: float = _of_batch("tariff_cut", first=True)
    framework_level: float = _of_batch("framework_level", first=True)
    requirement_level: float = _of_batch("requirement_level", first=True)
    red_tape_cut: float = _of_batch("red_tape_cut", first=True)
    shock: float = _of_batch("shock", first=True)

    def context(self) -> StepContext:
        return self.batch.context()

    def has_collateral(self) -> np.ndarray:
        return self.batch.has_collateral()

    def region_population_share(self) -> np.ndarray:
        return self.batch.region_population_share()

    # --- Mesa's agent views, kept in step with the arrays on demand ---------
    @property
    def agents(self) -> mesa.agent.AgentSet:
        self._sync_agents(watch=True)
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        self._sync_agents(watch=True)
        return super().agents_by_type

    def _sync_agents(self, watch: bool = False) -> None:
        """Give firms without one their SME agent and retire the agents of firms that exited.

        Done when someone looks at the agents rather than every quarter, so
        runs nobody inspects (sweeps, batches) create no per-firm Python
        objects at all, and firm renewal costs none in long runs. Once
        someone has looked (``watch``), exits are logged so that an agent held
        from before reports the state its firm closed with.
        """
        if "_agent_firm" not in self.__dict__:
            return
        if watch and not self._watched:
            self._watched = True
            self.batch.on_exit = self._log_exits
        stale = np.flatnonzero(self._agent_firm != self.sme.firm_id)
        for row in stale:
            old = self._sme_agents[row]
            if old is not None:
                old.remove()
            self._sme_agents[row] = SME(self, int(row))
        self._agent_firm[stale] = self.sme.firm_id[stale]

    def _log_exits(self, rows: np.ndarray) -> None:
        self._exit_log.append(self.sme.take(rows))

    def sme_agent(self, row: int) -> SME:
        """The agent of the firm now in ``row``."""
        self._sync_agents(watch=True)
        return self._sme_agents[row]

    def exit_record(self, firm_id: int) -> SMEArrays:
        """The state an exited firm had when it closed (a one-row SMEArrays)."""
        for k in range(self._exit_indexed, len(self._exit_log)):
            for pos, fid in enumerate(self._exit_log[k].firm_id.tolist()):
                self._exit_index[fid] = (k, pos)
        self._exit_indexed = len(self._exit_log)
        k, pos = self._exit_index[firm_id]
        return self._exit_log[k].take(np.array([pos]))

    # --- the schedule --------------------------------------------------------
    def step(self) -> None:
        """One quarter, then record it."""
        flows = self.batch.quarter(policy=True)
        self.recorder.collect(self.batch, flows)
        if self.t >= self.horizon:
            self.running = False

    def run(self) -> SMEModel:
        """Run to the horizon."""
        while self.running and self.t < self.horizon:
            self.step()
        return self
