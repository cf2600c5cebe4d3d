"""The Mesa model: wires the agents, the SME arrays and the mechanisms into a quarterly schedule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from .agents import SME, LargeEnterprise, LocalGovernment, NationalGovernment
from .mechanisms import alliances, demography, learning, support, trade
from .params import resolve
from .policy import LEVELS, NO_POLICY, POLICY_STAGES, PolicyPackage
from .reporters import Recorder
from .state import EXPORTING, GVC, PRECONDITION, C, SMEArrays


@dataclass
class StepContext:
    """Indices every mechanism of a quarter reads, computed once at its start."""

    sme: SMEArrays
    comp: np.ndarray
    conn: np.ndarray
    cap: np.ndarray
    grad_comp: np.ndarray
    grad_conn: np.ndarray
    _potential: dict[str, np.ndarray] = field(default_factory=dict)

    def potential(self, instrument_stage: str) -> np.ndarray:
        if instrument_stage not in self._potential:
            self._potential[instrument_stage] = support.export_potential(self.sme, self.cap, instrument_stage)
        return self._potential[instrument_stage]


# Child streams of the run's SeedSequence, one per source of chance, so that a
# change in one mechanism's draws does not shift another's (common random
# numbers across paired scenarios).
_STREAMS = ("mesa", "init", "dissolution", "matching", "trade", "exit", "entrants", "policy")


class SMEModel(mesa.Model):
    """SME internationalization under a policy package.

    Parameters are registry names (see :mod:`simulation.params`); a run is
    fully determined by (parameters, package, seed). One step is a quarter.
    """

    def __init__(self, package: PolicyPackage | None = None, *, seed: int = 0, steps: int = 40,
                 **params: Any) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"steps must be a positive whole number, got {steps!r}")
        self.p: dict[str, Any] = resolve(params)
        self.package = package if package is not None else NO_POLICY
        self.seed, self.horizon = int(seed), int(steps)
        streams = dict(zip(_STREAMS, np.random.SeedSequence(self.seed).spawn(len(_STREAMS))))
        super().__init__(rng=np.random.default_rng(streams["mesa"]))
        self._rng = {k: np.random.default_rng(v) for k, v in streams.items() if k not in ("mesa", "policy")}
        policy_rngs = [np.random.default_rng(c) for c in streams["policy"].spawn(len(self.package.entries))]

        p = self.p
        init = self._rng["init"]
        self.world = demography.make_world(init, p)
        self.region_infra = self.world.infrastructure.copy()
        regions = demography.region_of_rows(self.world, p["n_smes"])
        self.sme = demography.new_firms(init, regions, self.world, p, 0, self.region_infra)
        self.next_firm_id = self.sme.n
        self.le = alliances.make_les(init, p)

        self.t = -p["warmup_steps"]
        self.tariff_cut = 0.0
        self.framework_level = 0.0
        self.requirement_level = 0.0
        self.shock = 0.0
        r = self.world.n_regions
        self.spent_step = np.zeros((len(LEVELS), len(POLICY_STAGES), r))
        self.spent_total = np.zeros_like(self.spent_step)
        self._ctx: StepContext | None = None
        self._exit_log: list[SMEArrays] = []
        self._exit_index: dict[int, tuple[int, int]] = {}
        self._exit_indexed = 0

        self._sme_agents = [SME(self, i) for i in range(self.sme.n)]
        self._agent_firm = self.sme.firm_id.copy()
        self.large_enterprises = [LargeEnterprise(self, j) for j in range(self.le.n)]
        self.local_governments = [LocalGovernment(self, k) for k in range(r)]
        self.national_government = NationalGovernment(self, self.package, policy_rngs)

        while self.t < 0:  # warm-up: no policy, nothing recorded
            self._quarter(policy=False)
        self.recorder = Recorder(self)
        self.recorder.collect(self, _no_flows(r))

    # --- Mesa's agent views, kept in step with the arrays on demand ---------
    @property
    def agents(self) -> mesa.agent.AgentSet:
        self._sync_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type, mesa.agent.AgentSet]:
        self._sync_agents()
        return super().agents_by_type

    def _sync_agents(self) -> None:
        """Give entrants their SME agents and retire the agents of firms that exited.

        Done when someone looks at the agents rather than every quarter, so
        firm renewal costs no Python objects in long runs and sweeps.
        """
        if "_agent_firm" not in self.__dict__:
            return
        stale = np.flatnonzero(self._agent_firm != self.sme.firm_id)
        for row in stale:
            self._sme_agents[row].remove()
            self._sme_agents[row] = SME(self, int(row))
        self._agent_firm[stale] = self.sme.firm_id[stale]

    def sme_agent(self, row: int) -> SME:
        """The agent of the firm now in ``row``."""
        self._sync_agents()
        return self._sme_agents[row]

    def exit_record(self, firm_id: int) -> SMEArrays:
        """The state an exited firm had when it closed (a one-row SMEArrays)."""
        for k in range(self._exit_indexed, len(self._exit_log)):
            for pos, fid in enumerate(self._exit_log[k].firm_id.tolist()):
                self._exit_index[fid] = (k, pos)
        self._exit_indexed = len(self._exit_log)
        k, pos = self._exit_index[firm_id]
        return self._exit_log[k].take(np.array([pos]))

    # --- helpers read by the governments ------------------------------------
    def context(self) -> StepContext:
        if self._ctx is None:
            s = self.sme
            comp, conn = s.competitiveness(), s.connectivity()
            cap = trade.capability(comp, conn, self.p["ces_rho"])
            gc, gk = trade.capability_gradient(comp, conn, cap, self.p["ces_rho"])
            self._ctx = StepContext(s, comp, conn, cap, gc, gk)
        return self._ctx

    def region_population_share(self) -> np.ndarray:
        counts = np.bincount(self.sme.region, minlength=self.world.n_regions)
        return counts / counts.sum()

    def has_collateral(self) -> np.ndarray:
        """SMEs a bank lends to without a guarantee: enough finance capability, or not micro."""
        return (self.sme.comp[:, C["finance"]] >= 0.45) | (self.sme.size >= 5)

    # --- the schedule --------------------------------------------------------
    def step(self) -> None:
        """One quarter, then record it."""
        flows = self._quarter(policy=True)
        self.recorder.collect(self, flows)
        if self.t >= self.horizon:
            self.running = False

    def _quarter(self, policy: bool) -> dict[str, Any]:
        p, s = self.p, self.sme
        r = self.world.n_regions
        self._ctx = None
        self.spent_step[:] = 0.0
        flows = _no_flows(r)

        # 1. Governments: meta/macro measures, then programmes through the regions.
        if policy:
            self.national_government.step()
            self.spent_total += self.spent_step

        # 2. Learning: support fades, capability falls back, peers and export markets teach.
        support.decay_support(s, p)
        learning.depreciate(s, p)
        learning.exogenous_barrier(s, self.tariff_cut)
        learning.follow_region_and_partner(s, self.region_infra)
        learning.peer_spillovers(s, p, r, self.world.n_sectors)
        learning.learning_by_exporting(s, p)
        flows["became_aware"] = len(learning.become_aware(s, p))

        # 3. Alliances: openness moves, some alliances end, LEs look for suppliers.
        if p["gvc_shock_step"] >= 0 and self.t == p["gvc_shock_step"]:
            self.shock = p["gvc_shock_size"]
        comp, conn = s.competitiveness(), s.connectivity()
        target = alliances.openness_target(self.le, self.framework_level, self.requirement_level,
                                           self.shock, p)
        alliances.adjust_openness(self.le, target)
        shock_now = self.shock if self.t == p["gvc_shock_step"] else 0.0
        flows["alliances_dissolved"] = len(alliances.dissolve(self._rng["dissolution"], s, self.le, comp, p, shock_now))
        flows["alliances_formed"] = len(alliances.form_alliances(self._rng["matching"], s, self.le, comp, conn, p))
        alliances.transfer_technology(s, p, self.requirement_level)

        # 4. Trade: sunk-cost export entry and exit.
        comp, conn = s.competitiveness(), s.connectivity()
        cap = trade.capability(comp, conn, p["ces_rho"])
        was_pre = s.stage == PRECONDITION
        never = ~s.ever_exported
        enter, leave, demand = trade.export_decisions(self._rng["trade"], s, cap, p, self.tariff_cut)
        flows["export_entries"] = len(enter)
        flows["new_exporters"] = int(never[enter].sum())
        flows["born_global"] = int(was_pre[enter].sum())
        flows["export_stops"] = len(leave)
        flows["early_export_stops"] = int((s.spell[leave] <= 4).sum())
        flows["entries_by_region"] = np.bincount(s.region[enter], minlength=r)
        trade.apply_export_moves(s, enter, leave, demand)
        trade.update_experience(s)
        flows["export_sales"] = trade.export_sales(s, cap, p, self.tariff_cut)

        # 5. Demography: exits under competition, replaced by entrants in the same region.
        hazard = demography.exit_hazard(s, comp, p, self.tariff_cut)
        gone = demography.draw_exits(self._rng["exit"], hazard)
        flows["exits"] = len(gone)
        flows["exporter_exits"] = int((s.stage[gone] >= EXPORTING).sum())
        flows["exits_by_region"] = np.bincount(s.region[gone], minlength=r)
        if len(gone):
            self._exit_log.append(s.take(gone))
            fresh = demography.new_firms(self._rng["entrants"], s.region[gone], self.world, p,
                                         self.next_firm_id, self.region_infra)
            self.next_firm_id += len(gone)
            s.replace_rows(gone, fresh)
        s.age += 1
        self.t += 1
        self._ctx = None
        return flows

    # --- results -------------------------------------------------------------
    def run(self) -> SMEModel:
        """Run to the horizon."""
        while self.running and self.t < self.horizon:
            self.step()
        return self

    @property
    def exporters(self) -> int:
        return int(((self.sme.stage == EXPORTING) | (self.sme.stage == GVC)).sum())

    def describe(self) -> Mapping[str, Any]:
        return {"seed": self.seed, "steps": self.horizon, "package": self.package.name}


def _no_flows(r: int) -> dict[str, Any]:
    zeros = np.zeros(r, np.int64)
    return {
        "became_aware": 0, "alliances_dissolved": 0, "alliances_formed": 0,
        "export_entries": 0, "new_exporters": 0, "born_global": 0, "export_stops": 0,
        "early_export_stops": 0, "exits": 0, "exporter_exits": 0,
        "entries_by_region": zeros, "exits_by_region": zeros, "export_sales": None,
    }
