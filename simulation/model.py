"""The Mesa model: wires the agents, the SME arrays and the mechanisms into a quarterly schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from .agents import SME, LargeEnterprise, LocalGovernment, NationalGovernment
from .mechanisms import alliances, demography, learning, support, trade
from .outcomes import QUARTERS_PER_YEAR
from .params import resolve
from .policy import LEVELS, NO_POLICY, POLICY_STAGES, PolicyPackage
from .reporters import CENSUS_MIN_WORKERS, Recorder
from .state import EXPORTING, PRECONDITION, B, C, RegionBlocks, SMEArrays


@dataclass
class StepContext:
    """Indices every mechanism of a quarter reads, computed once at its start."""

    sme: SMEArrays
    blocks: RegionBlocks
    comp: np.ndarray
    conn: np.ndarray
    cap: np.ndarray
    _cache: dict[tuple | str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Potential as delivery begins, for both stages, so what a programme sees does not depend on
        # where it stands in the package (an earlier programme may lower barriers this quarter).
        scale = support.potential_scale(self.sme, self.cap)
        pre = self.sme.barriers[B["knowledge"]] * scale
        self._cache[("potential", "precondition")] = pre
        self._cache[("potential", "strengthening")] = scale - pre

    def potential(self, instrument_stage: str) -> np.ndarray:
        """What a mapping study would reveal of each SME for a programme of this stage, as delivery began."""
        return self._cache[("potential", instrument_stage)]

    def score(self, instrument_stage: str, kappa: float) -> np.ndarray:
        key = ("score", instrument_stage)
        if key not in self._cache:
            self._cache[key] = support.targeting_score(self.potential(instrument_stage), kappa)
        return self._cache[key]

    def targeting_weight(self, instrument_stage: str, kappa: float) -> np.ndarray:
        """Selection weight from mapping: the score where an SME is mapped, 1 elsewhere."""
        key = ("targeting_weight", instrument_stage)
        if key not in self._cache:
            self._cache[key] = np.where(self.sme.mapped, self.score(instrument_stage, kappa), 1.0)
        return self._cache[key]

    def overlap(self, coordination: float) -> np.ndarray | None:
        """Overlap weights, kept current as programmes serve SMEs during the quarter."""
        if coordination <= 0:
            return None
        if "overlap" not in self._cache:
            self._cache["overlap"] = support.overlap_weight(self.sme.support, coordination)
        return self._cache["overlap"]

    def served(self, rows: np.ndarray, coordination: float) -> None:
        if "overlap" in self._cache:
            self._cache["overlap"][rows] = support.overlap_weight(self.sme.support[rows], coordination)

    def revealed(self, instrument_stage: str, p: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Regional sums of what mapping revealed, for programmes open to every SME (see support.estimated_need)."""
        key = ("revealed", instrument_stage)
        if key not in self._cache:
            self._cache[key] = support.revealed_by_region(self.blocks, None, self.sme.mapped,
                                                          self.potential(instrument_stage), p)
        return self._cache[key]

    def forget_targeting(self) -> None:
        """A mapping study just mapped more SMEs: what targeting knows has changed."""
        for stage in POLICY_STAGES:
            self._cache.pop(("targeting_weight", stage), None)
            self._cache.pop(("revealed", stage), None)


class Indices:
    """Competitiveness, connectivity and capability of every SME, kept current cheaply.

    Recomputed in full after the learning phase (which moves every firm);
    afterwards mechanisms that move a few firms mark those rows and only they
    are recomputed before the next reader.
    """

    def __init__(self, sme: SMEArrays, rho: float) -> None:  # rho: the CES exponent in force
        self.sme, self.rho = sme, rho
        self.recompute()

    def recompute(self) -> None:
        s = self.sme
        self.comp, self.conn = s.competitiveness(), s.connectivity()
        self.cap = trade.capability(self.comp, self.conn, self.rho)
        self._dirty: list[np.ndarray] = []
        self._all = False

    def touch(self, rows: np.ndarray | None = None) -> None:
        """Mark rows whose components changed (None: every row)."""
        if rows is None:
            self._all = True
        elif len(rows):
            self._dirty.append(rows)

    def fresh(self) -> Indices:
        touched = sum(len(r) for r in self._dirty)
        if self._all or touched > self.sme.n // 6:  # past this, recomputing everything is cheaper
            self.recompute()
        elif self._dirty:
            mask = np.zeros(self.sme.n, bool)
            for r in self._dirty:
                mask[r] = True
            rows = np.flatnonzero(mask)
            s = self.sme
            self.comp[rows] = s.competitiveness(rows)
            self.conn[rows] = s.connectivity(rows)
            self.cap[rows] = trade.capability(self.comp[rows], self.conn[rows], self.rho)
            self._dirty = []
        return self


# Child streams of the run's SeedSequence, one per source of chance, so that a
# change in one mechanism's draws does not shift another's (common random
# numbers across paired scenarios).
_STREAMS = ("mesa", "init", "dissolution", "matching", "trade", "exit", "entrants", "policy", "growth",
            "regions", "demand")
def _generator(seed: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.SFC64(seed))


# Regime channels (policy.REGIME_CHANNELS) and the model attribute each sets.
_REGIME = {"tariff_cut": "tariff_cut", "alliance_framework": "framework_level",
           "performance_requirements": "requirement_level", "red_tape": "red_tape_cut"}


class SMEModel(mesa.Model):
    """SME internationalization under a policy package.

    Parameters are registry names (see :mod:`simulation.params`); a run is
    fully determined by (parameters, package, seed). One step is a quarter.
    """

    def __init__(self, package: PolicyPackage | None = None, *, seed: int = 0, steps: int = 40,
                 record_regions: bool = True, **params: Any) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
            raise ValueError(f"steps must be a positive whole number, got {steps!r}")
        self.p: dict[str, Any] = resolve(params)
        self.package = package if package is not None else NO_POLICY
        self.seed, self.horizon = int(seed), int(steps)
        streams = dict(zip(_STREAMS, np.random.SeedSequence(self.seed).spawn(len(_STREAMS))))
        super().__init__(rng=np.random.default_rng(streams["mesa"]))
        # SFC64: a fifth faster than NumPy's default PCG64 for the millions of draws a large run makes.
        self._streams = {k: _generator(v) for k, v in streams.items() if k not in ("mesa", "policy")}
        policy_rngs = [_generator(c) for c in streams["policy"].spawn(len(self.package.entries))]

        p = self.p
        init = self._streams["init"]
        self.world = demography.make_world(init, p)
        self.region_infra = self.world.infrastructure.copy()
        regions = demography.region_of_rows(self.world, p["n_smes"])
        self.sme = demography.entrants(init, regions, self.world, p, 0, self.region_infra,
                                       demography.survival_requirement(p, 0.0))
        self.blocks = RegionBlocks(self.sme.region, self.world.n_regions)
        self.next_firm_id = self.sme.n
        self.le = alliances.make_les(init, p)
        self.indices = Indices(self.sme, trade.ces_exponent(p))

        self.t = -p["warmup_steps"]
        self.tariff_cut = 0.0          # regime: in force from the first cut on (a cut is not reversed)
        self.framework_level = 0.0     # regime channels below hold only while a regulation is enforced
        self.requirement_level = 0.0
        self.red_tape_cut = 0.0
        self.shock = 0.0
        self.export_sales = np.zeros(self.sme.n)
        self.demand_rng = self._streams["demand"]  # foreign demand, drawn when a firm first learns it
        self.census_ids = np.empty(0, np.int64)  # firms of 20+ workers at the last year's start
        # One standard normal per region, fixed for the run: how its government misreads its need (7.3).
        self.need_error = self._streams["regions"].standard_normal(r := self.world.n_regions)
        self.spent_step = np.zeros((len(LEVELS), len(POLICY_STAGES), r))
        self.spent_total = np.zeros_like(self.spent_step)
        self._ctx: StepContext | None = None
        self._exit_log: list[SMEArrays] = []
        self._exit_index: dict[int, tuple[int, int]] = {}
        self._exit_indexed = 0
        self._watched = False

        # SME agents are made when first looked at (see _sync_agents).
        self._sme_agents: list[SME | None] = [None] * self.sme.n
        self._agent_firm = np.full(self.sme.n, -1, np.int64)
        self.large_enterprises = [LargeEnterprise(self, j) for j in range(self.le.n)]
        self.local_governments = [LocalGovernment(self, k) for k in range(r)]
        self.national_government = NationalGovernment(self, self.package, policy_rngs)

        while self.t < 0:  # warm-up: no policy, nothing recorded
            self._quarter(policy=False)
        self.recorder = Recorder(self, regions=record_regions)
        self.recorder.collect(self, _no_flows(r))

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
        self._watched = self._watched or watch
        stale = np.flatnonzero(self._agent_firm != self.sme.firm_id)
        for row in stale:
            old = self._sme_agents[row]
            if old is not None:
                old.remove()
            self._sme_agents[row] = SME(self, int(row))
        self._agent_firm[stale] = self.sme.firm_id[stale]

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

    # --- helpers read by the governments ------------------------------------
    def context(self) -> StepContext:
        if self._ctx is None:
            ix = self.indices.fresh()
            self._ctx = StepContext(self.sme, self.blocks, ix.comp.copy(), ix.conn.copy(), ix.cap.copy())
        return self._ctx

    def enforce(self, effects: dict[str, float], level: float) -> None:
        """A regulation enforced at ``level`` this quarter sets its regime channels (at least) that high."""
        for channel, strength in effects.items():
            attribute = _REGIME[channel]
            setattr(self, attribute, max(getattr(self, attribute), min(1.0, strength * level)))

    def lift_regulations(self) -> None:
        """At the start of a quarter only the tariff cut stays; other rules hold only while enforced."""
        self.framework_level = self.requirement_level = self.red_tape_cut = 0.0

    def region_population_share(self) -> np.ndarray:
        return self.blocks.counts / self.blocks.counts.sum()

    def has_collateral(self) -> np.ndarray:
        """SMEs a bank lends to without a guarantee: enough finance capability, or not micro."""
        return (self.sme.comp[C["finance"]] >= 0.45) | (self.sme.size >= 5)

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

        # 1. Learning: support fades, capability falls back, peers and export markets teach.
        support.decay_support(s, p)
        learning.depreciate(s, p)
        learning.exogenous_barrier(s, self.tariff_cut)
        learning.follow_region_and_partner(s, self.region_infra, self.blocks)
        learning.peer_spillovers(s, p, r, self.world.n_sectors)
        learning.learning_by_exporting(s, p)

        # 2. Governments: meta/macro measures, then programmes through the regions.
        if policy:
            self.national_government.enact()
        ix = self.indices
        ix.recompute()
        if policy:
            self.national_government.step()
            self.spent_total += self.spent_step
        self._ctx = None
        flows["became_aware"] = len(learning.become_aware(s, p))

        # 3. Alliances: openness moves, some alliances end, LEs look for suppliers.
        if p["gvc_shock_step"] >= 0 and self.t == p["gvc_shock_step"]:
            self.shock = p["gvc_shock_size"]
        ix.fresh()
        target = alliances.openness_target(self.le, self.framework_level, self.requirement_level,
                                           self.shock, p)
        alliances.adjust_openness(self.le, target)
        shock_now = self.shock if self.t == p["gvc_shock_step"] else 0.0
        flows["alliances_dissolved"] = len(alliances.dissolve(self._streams["dissolution"], s, self.le, ix.comp, p,
                                                              shock_now))
        allied = alliances.form_alliances(self._streams["matching"], s, self.le, ix.comp, ix.conn, p)
        trade.learn_demand(self.demand_rng, s, allied)  # a supplier sells abroad through its lead firm
        flows["alliances_formed"] = len(allied)
        ix.touch(alliances.transfer_technology(s, p, self.requirement_level))

        # 4. Trade: beliefs move, then sunk-cost export entry and exit.
        cap = ix.fresh().cap
        trade.update_beliefs(self._streams["trade"], self.demand_rng, s, p)
        was_pre = s.stage == PRECONDITION
        never = ~s.ever_exported
        enter, leave = trade.export_decisions(s, cap, p, self.tariff_cut, self.red_tape_cut)
        flows["export_entries"] = len(enter)
        flows["new_exporters"] = int(never[enter].sum())
        flows["born_global"] = int(was_pre[enter].sum())
        flows["export_stops"] = len(leave)
        flows["early_export_stops"] = int((s.spell[leave] <= 4).sum())
        flows["entries_by_region"] = np.bincount(s.region[enter], minlength=r)
        trade.learn_demand(self.demand_rng, s, enter)
        trade.apply_export_moves(s, enter, leave)
        trade.update_experience(s)
        sales = trade.export_sales(s, cap, p, self.tariff_cut)
        flows["export_sales"] = float(sales.sum())
        flows["export_sellers"] = int(np.count_nonzero(sales))

        # 5. Demography: firms grow or shrink, exit under competition, and are replaced by entrants.
        census = s.size >= CENSUS_MIN_WORKERS
        demography.grow_firms(self._streams["growth"], s, ix.comp, p, self.tariff_cut)
        flows["shrank_below_20"] = int((census & (s.size < CENSUS_MIN_WORKERS)).sum())
        hazard = demography.exit_hazard(s, ix.comp, p, self.tariff_cut)
        gone = demography.draw_exits(self._streams["exit"], hazard)
        flows["exits"] = len(gone)
        flows["exits_20plus"] = int((s.size[gone] >= CENSUS_MIN_WORKERS).sum())
        flows["exporter_exits"] = int((s.stage[gone] >= EXPORTING).sum())
        flows["exits_by_region"] = np.bincount(s.region[gone], minlength=r)
        if len(gone):
            if self._watched:
                self._exit_log.append(s.take(gone))
            fresh = demography.entrants(self._streams["entrants"], s.region[gone], self.world, p, self.next_firm_id,
                                        self.region_infra, demography.survival_requirement(p, self.tariff_cut))
            self.next_firm_id += len(gone)
            s.replace_rows(gone, fresh)
            sales[gone] = 0.0
            ix.touch(gone)
        self.export_sales = sales
        s.age += 1
        self.t += 1
        if self.t % QUARTERS_PER_YEAR == 0:
            flows["census_base"], flows["census_left"] = self._census_year()
        self._ctx = None
        return flows

    def _census_year(self) -> tuple[int, int]:
        """A year of the 20+ workers census: of the firms in it a year ago, how many have left (closed, or
        shrunk below 20 workers); then this year's list. Counted year on year, as an annual census sees it."""
        now = self.sme.firm_id[self.sme.size >= CENSUS_MIN_WORKERS]
        base = len(self.census_ids)
        left = base - int(np.isin(self.census_ids, now, assume_unique=True).sum())
        self.census_ids = now
        return base, left

    # --- results -------------------------------------------------------------
    def run(self) -> SMEModel:
        """Run to the horizon."""
        while self.running and self.t < self.horizon:
            self.step()
        return self


def _no_flows(r: int) -> dict[str, Any]:
    zeros = np.zeros(r, np.int64)
    return {
        "became_aware": 0, "alliances_dissolved": 0, "alliances_formed": 0,
        "export_entries": 0, "new_exporters": 0, "born_global": 0, "export_stops": 0,
        "early_export_stops": 0, "exits": 0, "exporter_exits": 0, "exits_20plus": 0, "shrank_below_20": 0,
        "census_base": 0, "census_left": 0,
        "entries_by_region": zeros, "exits_by_region": zeros, "export_sales": None, "export_sellers": 0,
    }
