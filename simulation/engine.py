"""The engine: K runs stacked as one population, one quarterly schedule for all of them.

Each run has its own parameters, package and seed; the mechanisms move the
stacked arrays of all runs at once (see :mod:`simulation.stack` for why a
run in a batch equals the same run alone). The Mesa model
(:class:`simulation.model.SMEModel`) is a batch of one with agents on top.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .context import Indices, StepContext
from .governments import Governments
from .mechanisms import alliances, demography, learning, market, support, trade
from .mechanisms.alliances import LEArrays
from .mechanisms.demography import World
from .outcomes import QUARTERS_PER_YEAR
from .params import resolve
from .policy import LEVELS, NO_POLICY, POLICY_STAGES, PolicyPackage
from .reporters import CENSUS_MIN_WORKERS, PANEL_MIN_WORKERS
from .stack import RunParams, Stack, Streams
from .state import EXPORTING, PRECONDITION, C, RegionBlocks

# Child streams of each run's SeedSequence, one per source of chance, so that a
# change in one mechanism's draws does not shift another's (common random
# numbers across paired scenarios).
STREAMS = ("mesa", "init", "dissolution", "matching", "trade", "exit", "entrants", "policy", "growth",
           "regions", "demand")
_CENSUS_KEY = np.int64(1) << 40  # run * this + firm id: one key per firm of the batch


def entry_stream(policy: np.random.SeedSequence, key: str) -> np.random.SeedSequence:
    """The random stream of the package entry named ``key``: a child of the run's policy stream keyed by
    the name's hash, not by the entry's place, so other entries' draws do not move when one is added or
    removed."""
    words = np.frombuffer(hashlib.sha256(key.encode()).digest()[:16], dtype=np.uint32)
    return np.random.SeedSequence(policy.entropy, spawn_key=(*policy.spawn_key, *map(int, words)))


def generator(seed: np.random.SeedSequence) -> np.random.Generator:
    # SFC64: a fifth faster than NumPy's default PCG64 for the millions of draws a large run makes.
    return np.random.Generator(np.random.SFC64(seed))


@dataclass(frozen=True)
class RunInput:
    """One run of a batch: its package, its parameters (registry names) and its seed."""

    package: PolicyPackage | None
    params: Mapping[str, Any]
    seed: int


def check_run(seed: Any, steps: Any) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive whole number, got {steps!r}")


# Regime channels (policy.REGIME_CHANNELS) and the batch attribute each sets.
_REGIME = {"tariff_cut": "tariff_cut", "alliance_framework": "framework_level",
           "performance_requirements": "requirement_level", "red_tape": "red_tape_cut"}
# What each quarter counts per run (flows), besides the per-region arrays.
FLOW_NAMES = ("became_aware", "alliances_dissolved", "alliances_formed", "export_entries", "new_exporters",
              "born_global", "export_stops", "early_export_stops", "exits", "exporter_exits", "exits_20plus",
              "shrank_below_20", "census_base", "census_left", "export_sellers", "lasting_entrants",
              "persistence_base", "persistence_stayed")
# A first entry *lasts* when the firm exports in each of this many quarters after its entry quarter.
LASTING_QUARTERS = QUARTERS_PER_YEAR


class Batch:
    """K independent runs simulated as one stacked population.

    All runs share the horizon and the warm-up (``warmup_steps``); anything
    else may differ: parameters (the size of the economy included), package
    and seed. ``run_inputs`` are :class:`RunInput`; a run is fully determined
    by its own (parameters, package, seed), whatever else is in the batch.
    """

    def __init__(self, run_inputs: Sequence[RunInput], steps: int = 40) -> None:
        if not run_inputs:
            raise ValueError("a batch needs at least one run")
        for r in run_inputs:
            check_run(r.seed, steps)
        runs = [resolve(r.params) for r in run_inputs]
        warmups = {r["warmup_steps"] for r in runs}
        if len(warmups) > 1:
            raise ValueError("runs of one batch must share warmup_steps")
        self.packages = [r.package if r.package is not None else NO_POLICY for r in run_inputs]
        self.seeds = [int(r.seed) for r in run_inputs]
        self.horizon = int(steps)
        self.k = len(runs)
        seqs = [dict(zip(STREAMS, np.random.SeedSequence(s).spawn(len(STREAMS)))) for s in self.seeds]
        self.seed_sequences = seqs
        gens = {name: [generator(q[name]) for q in seqs] for name in STREAMS if name not in ("mesa", "policy")}

        # Each run's world and LEs, then all runs' first firms in one pass (each run's draws from its own stream).
        worlds = [demography.make_world(g, p) for g, p in zip(gens["init"], runs)]
        self.stack = Stack([p["n_smes"] for p in runs], [w.n_regions for w in worlds],
                           [alliances.le_count(p) for p in runs])
        stack = self.stack
        self.p = RunParams(runs, stack)
        self.streams = {name: Streams(g, stack) for name, g in gens.items()}
        self.world = World(np.concatenate([w.infrastructure for w in worlds]),
                           np.concatenate([w.capacity for w in worlds]),
                           np.concatenate([w.skill for w in worlds]),
                           np.concatenate([w.population_share for w in worlds]),
                           max(w.n_sectors for w in worlds), stack.run_of_region)
        self.region_infra = self.world.infrastructure.copy()
        regions = np.concatenate([demography.region_of_rows(w, p["n_smes"]) + int(stack.region_bounds[k])
                                  for k, (w, p) in enumerate(zip(worlds, runs))])
        threshold = stack.spread(self.p.run("survival_threshold"), "region")  # the opening market's requirement
        self.sme = demography.entrants(self.streams["init"], regions, self.world, self.p, np.zeros(self.k, np.int64),
                                       self.region_infra, threshold[regions])
        self.sme.age[:] = market.ESTABLISHED_AGE
        self.local_region = self.sme.region - stack.region_bounds[stack.run_of_row]
        self.blocks = RegionBlocks(self.sme.region, len(self.world.capacity))
        self.next_firm_id = stack.rows.copy()
        les = [alliances.make_les(g, p) for g, p in zip(gens["init"], runs)]
        self.le = LEArrays(*(np.concatenate([getattr(x, f) for x in les]) for f in
                             ("sector", "slots", "threshold", "base_openness", "openness")), run=stack.run_of_le)
        self.indices = Indices(self.sme, trade.ces_exponent(self.p))
        self.market = market.HomeMarket.open(self.sme, self.indices.comp, self.p, self.blocks, stack)
        self.sme.home_margin = market.standing(self.sme, self.indices.comp, self.p,
                                               self.blocks.spread(threshold), 0.0)
        self.home_sales = market.home_sales(self.sme, market.cover(self.sme.home_margin, self.p), 0.0, self.p)

        self.t = -runs[0]["warmup_steps"]
        zeros = np.zeros(self.k)
        self.tariff_cut = zeros.copy()         # regime: in force from the first cut on (a cut is not reversed)
        self.framework_level = zeros.copy()    # regime channels below hold only while a regulation is enforced
        self.requirement_level = zeros.copy()
        self.red_tape_cut = zeros.copy()
        self.shock = zeros.copy()
        self.export_sales = np.zeros(stack.n)
        self.census_ids = np.empty(0, np.int64)  # firms of 20+ workers at the last year's start (run-keyed)
        self.direct_this_year = np.zeros(stack.n, bool)  # exported directly in some quarter of this year
        self.direct_ids = np.empty(0, np.int64)  # last year's direct exporters of 10+ workers (run-keyed)
        self.first_entries: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # recorded step -> (rows, firm ids)
        # The lowest third of each run's regions by local capacity (the equity outcome counts their exporters).
        self.low_capacity = demography.lowest_third(self.world.capacity, stack)
        # One standard normal per region, fixed for the run: how its government misreads its need (7.3).
        self.need_error = np.concatenate([g.standard_normal(int(r)) for g, r in
                                          zip(gens["regions"], stack.regions)])
        shape = (len(LEVELS), len(POLICY_STAGES), len(self.world.capacity))
        self.spent_step = np.zeros(shape)
        self.spent_total = np.zeros(shape)
        self._ctx: StepContext | None = None
        self.on_exit = None  # called with the rows about to be replaced (the Mesa face keeps their state)
        policy_rngs = [[generator(entry_stream(q["policy"], key)) for key in pkg.entry_keys]
                       for q, pkg in zip(seqs, self.packages)]
        self.governments = Governments(self, self.packages, policy_rngs)
        while self.t < 0:  # warm-up: no policy, nothing recorded
            self.quarter(policy=False)

    # --- helpers the governments read ---------------------------------------
    def streams_for(self, generators: list[np.random.Generator | None]) -> Streams:
        return Streams(generators, self.stack)

    def context(self) -> StepContext:
        if self._ctx is None:
            self._ctx = StepContext(self, self.indices.fresh().cap.copy())
        return self._ctx

    def enforce(self, effects: dict[str, float], level: np.ndarray, active: np.ndarray) -> None:
        """A regulation enforced at ``level`` (per run) this quarter sets its regime channels (at least) that
        high in the ``active`` runs."""
        for channel, strength in effects.items():
            current = getattr(self, _REGIME[channel])
            np.maximum(current, np.where(active, np.minimum(1.0, strength * level), 0.0), out=current)

    def lift_regulations(self) -> None:
        """At the start of a quarter only the tariff cut stays; other rules hold only while enforced."""
        self.framework_level[:] = 0.0
        self.requirement_level[:] = 0.0
        self.red_tape_cut[:] = 0.0

    def region_population_share(self) -> np.ndarray:
        counts = self.blocks.counts.astype(float)
        return counts / self.stack.spread(self.stack.per_run(counts, "region"), "region")

    def has_collateral(self) -> np.ndarray:
        """SMEs a bank lends to without a guarantee: enough finance capability, or not micro."""
        return (self.sme.comp[C["finance"]] >= 0.45) | (self.sme.size >= 5)

    # --- the schedule --------------------------------------------------------
    def quarter(self, policy: bool = True) -> dict[str, np.ndarray]:
        """One quarter for every run; returns its flows, per run (and per region of every run)."""
        p, s, stack = self.p, self.sme, self.stack
        k = self.k
        self._ctx = None
        self.spent_step[:] = 0.0
        flows: dict[str, Any] = {name: np.zeros(k, np.int64) for name in FLOW_NAMES}
        tariff = stack.spread(self.tariff_cut)

        # 1. Learning: support fades, capability falls back, peers and export markets teach.
        support.decay_support(s, p)
        learning.depreciate(s, p)
        learning.exogenous_barrier(s, tariff)
        learning.follow_region_and_partner(s, self.region_infra, self.blocks)
        learning.peer_spillovers(s, p, len(self.world.capacity), self.world.n_sectors)
        learning.learning_by_exporting(s, p)

        # 2. Governments: meta/macro measures, then programmes through the regions.
        if policy:
            self.governments.enact()
            tariff = stack.spread(self.tariff_cut)
        ix = self.indices
        ix.recompute()
        if policy:
            self.governments.deliver()
            self.spent_total += self.spent_step
        self._ctx = None
        flows["became_aware"] = stack.runs_of(learning.become_aware(s, p))

        # 3. Alliances: openness moves, some alliances end, LEs look for suppliers.
        shock_step = p.run("gvc_shock_step")
        hit = (shock_step >= 0) & (shock_step == self.t)
        self.shock[hit] = p.run("gvc_shock_size")[hit]
        ix.fresh()
        le_run = stack.run_of_le
        target = alliances.openness_target(self.le, self.framework_level[le_run], self.requirement_level[le_run],
                                           self.shock[le_run], p)
        alliances.adjust_openness(self.le, target)
        shock_now = stack.spread(np.where(shock_step == self.t, self.shock, 0.0))
        flows["alliances_dissolved"] = stack.runs_of(alliances.dissolve(self.streams["dissolution"], s, self.le,
                                                                        ix.comp, p, shock_now))
        slots = alliances.open_slots(self.le, self.requirement_level[le_run], p)
        allied = alliances.form_alliances(self.streams["matching"], s, self.le, ix.comp, ix.conn, p, slots)
        trade.learn_demand(self.streams["demand"], s, allied)  # a supplier sells abroad through its lead firm
        flows["alliances_formed"] = stack.runs_of(allied)
        ix.touch(alliances.transfer_technology(s, p, stack.spread(self.requirement_level)))

        # 4. Trade: beliefs move, then sunk-cost export entry and exit.
        cap = ix.fresh().cap
        trade.update_beliefs(self.streams["trade"], self.streams["demand"], s, p)
        was_pre = s.stage == PRECONDITION
        never = ~s.ever_exported
        judgement = np.exp(s.error)  # how each firm misjudges profit this quarter (exports and upgrading)
        enter, leave = trade.export_decisions(s, cap, p, tariff, stack.spread(self.red_tape_cut), judgement)
        flows["export_entries"] = stack.runs_of(enter)
        flows["new_exporters"] = stack.runs_of(enter[never[enter]])
        flows["born_global"] = stack.runs_of(enter[was_pre[enter]])
        flows["export_stops"] = stack.runs_of(leave)
        flows["early_export_stops"] = stack.runs_of(leave[s.spell[leave] <= 4])
        flows["entries_by_region"] = np.bincount(s.region[enter], minlength=len(self.world.capacity))
        trade.learn_demand(self.streams["demand"], s, enter)
        trade.apply_export_moves(s, enter, leave)
        trade.update_experience(s)
        self.direct_this_year |= s.stage == EXPORTING
        flows["lasting_entrants"] = stack.runs_of(self._lasting_entrants(enter[never[enter]]))
        sales = trade.export_sales(s, cap, p, tariff)
        flows["export_sales"] = stack.per_run(sales)
        flows["export_sellers"] = stack.runs_of(np.flatnonzero(sales))

        # 5. The home market and demography: firms take their shares, grow or shrink, invest where access
        # pays, exit when profit falls short, and are replaced by entrants.
        comp = ix.fresh().comp
        saving = trade.input_cost_saving(s, p, tariff)
        required, standing, home_cover = self.market.quarter(s, comp, p, self.blocks, stack,
                                                             stack.spread(self.tariff_cut, "region"), saving)
        census = s.size >= CENSUS_MIN_WORKERS
        # Employment follows what the firm earns per customer, not the customers it is still building.
        demography.grow_firms(self.streams["growth"], s, standing, p)
        flows["shrank_below_20"] = stack.runs_of(np.flatnonzero(census & (s.size < CENSUS_MIN_WORKERS)))
        home = market.home_sales(s, home_cover, saving, p)
        abroad = market.foreign_operating_profit(sales, p, saving)
        flows["foreign_profit"] = stack.per_run(abroad)
        ix.touch(market.upgrade(s, market.competitiveness_return(s, comp, cap, p, home, saving, abroad, ix.rho), p,
                                judgement))
        shortfall = market.profit_shortfall(s, home_cover, market.foreign_net(s, abroad, p), p)
        gone = demography.draw_exits(self.streams["exit"], demography.exit_hazard(s, shortfall, p))
        flows["exits"] = stack.runs_of(gone)
        flows["exits_20plus"] = stack.runs_of(gone[s.size[gone] >= CENSUS_MIN_WORKERS])
        flows["exporter_exits"] = stack.runs_of(gone[s.stage[gone] >= EXPORTING])
        flows["exits_by_region"] = np.bincount(s.region[gone], minlength=len(self.world.capacity))
        if len(gone):
            if self.on_exit is not None:
                self.on_exit(gone)
            fresh = demography.entrants(self.streams["entrants"], s.region[gone], self.world, p, self.next_firm_id,
                                        self.region_infra, required[s.region[gone]])
            self.next_firm_id += flows["exits"]
            s.replace_rows(gone, fresh)
            sales[gone] = 0.0
            self.direct_this_year[gone] = False
            ix.touch(gone)
            # An entrant starts with its first customers, at the market as it found it.
            new_saving = trade.input_cost_saving(s, p, tariff, gone)
            base = market.customer_base(s, p, gone)
            new_standing = market.standing(s, s.competitiveness(gone), p, required[s.region[gone]], new_saving, gone,
                                           base)
            home[gone] = market.home_sales(s, market.cover(new_standing, p, gone), new_saving, p, gone)
            s.home_margin[gone] = new_standing - market.customers_to_build(s, p, base, gone)
        self.export_sales = sales
        self.home_sales = home
        s.age += 1
        self.t += 1
        if self.t % QUARTERS_PER_YEAR == 0:
            flows["census_base"], flows["census_left"] = self._census_year()
            flows["persistence_base"], flows["persistence_stayed"] = self._exporter_year()
        self._ctx = None
        return flows

    def _lasting_entrants(self, first: np.ndarray) -> np.ndarray:
        """Rows of the firms that first exported ``LASTING_QUARTERS`` quarters ago and have exported in every
        quarter since (their spell began at that entry); remembers this quarter's first entrants.

        Only entries of recorded quarters count (not the warm-up), so a run's sum is the lasting entrants
        among its first entries up to ``LASTING_QUARTERS`` quarters before its end.
        """
        s, step = self.sme, self.t + 1
        if self.t >= 0:
            self.first_entries[step] = (first, s.firm_id[first].copy())
        rows, ids = self.first_entries.pop(step - LASTING_QUARTERS, (first[:0], first[:0]))
        same = s.firm_id[rows] == ids  # the firm still holds its row (an exit hands the row to an entrant)
        return rows[same & (s.spell[rows] > LASTING_QUARTERS)]

    def _exporter_year(self) -> tuple[np.ndarray, np.ndarray]:
        """A year of export persistence as plant panels measure it (Roberts & Tybout 1997), per run: of last
        year's direct exporters of 10+ workers still alive, how many exported directly in some quarter of this
        year; then this year's list."""
        s, stack = self.sme, self.stack
        keys = stack.run_of_row * _CENSUS_KEY + s.firm_id
        now = keys[self.direct_this_year]
        before = self.direct_ids
        alive = np.isin(before, keys, assume_unique=True)
        base = np.bincount(before[alive] // _CENSUS_KEY, minlength=self.k)
        stayed = np.bincount(before[np.isin(before, now, assume_unique=True)] // _CENSUS_KEY, minlength=self.k)
        self.direct_ids = keys[self.direct_this_year & (s.size >= PANEL_MIN_WORKERS)]
        self.direct_this_year[:] = False
        return base, stayed

    def _census_year(self) -> tuple[np.ndarray, np.ndarray]:
        """A year of the 20+ workers census, per run: of the firms in it a year ago, how many have left
        (closed, or shrunk below 20 workers); then this year's list."""
        s, stack = self.sme, self.stack
        big = np.flatnonzero(s.size >= CENSUS_MIN_WORKERS)
        now = stack.run_of_row[big] * _CENSUS_KEY + s.firm_id[big]
        before = self.census_ids // _CENSUS_KEY
        base = np.bincount(before, minlength=self.k)
        stayed = np.bincount(before[np.isin(self.census_ids, now, assume_unique=True)], minlength=self.k)
        self.census_ids = now
        return base, base - stayed
