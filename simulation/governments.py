"""How governments carry out policy packages: regulations, programmes and public goods, for every run of a batch.

The national government enacts meta and macro measures (regulations) and
allocates programme budgets to regions; programmes it delivers itself are
allocated by SME numbers (or, with ``central_need_allocation``, by the local
rule from its own reading of need, delivered through the regions), those
delivered by local governments by local need as far as the levels coordinate
(:mod:`simulation.mechanisms.support`).

In a batch each run has its own package. Entries of the same shape (the same
instrument, dose, timing, targeting and deliverer; budgets may differ) are
one *slot*, delivered to all runs that hold it in one vectorized pass; each
run meets its slots in its own package's order, and each (run, entry) draws
from its own random stream, so a run's policy does not depend on the runs
beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .mechanisms import support
from .policy import LEVELS, POLICY_STAGES, PackageEntry, PolicyPackage

if TYPE_CHECKING:
    from .engine import Batch

_REGULATORY = "regulatory"


def _member(values: np.ndarray, chosen: tuple[int, ...], size: int) -> np.ndarray:
    """``values in chosen`` for small non-negative codes, by table lookup (np.isin sorts)."""
    table = np.zeros(max(size, max(chosen, default=0) + 1), bool)
    table[list(chosen)] = True
    return table[values]


@dataclass
class Slot:
    """One entry shape, held by some runs of the batch, with each run's budget left and random stream."""

    entry: PackageEntry
    key: str                # the entry's name in its packages: keys its random stream
    held: np.ndarray        # (K,) bool: the runs whose package has this entry
    start: int
    end: int
    remaining: np.ndarray   # (K,) kUSD left to spend, per run
    rngs: list[np.random.Generator | None]

    def amounts(self, t: int) -> np.ndarray:
        """This quarter's budget of each run: even spending over the rest of the window; what went unspent
        carries forward."""
        if not self.start <= t < self.end:
            return np.zeros(len(self.held))
        return np.where(self.held, self.remaining / (self.end - t), 0.0)


def plan_slots(packages: list[PolicyPackage], rngs: list[list[np.random.Generator]], horizon: int) -> list[Slot]:
    """The slots of a batch, in an order that keeps each run's entries in its package's order."""
    k = len(packages)
    slots: list[Slot] = []
    shapes: dict[tuple, list[int]] = {}  # a package's entry shapes -> its slots
    for run, package in enumerate(packages):
        key = tuple(replace(e, budget=0.0) for e in package.entries)
        if key not in shapes:
            shapes[key] = []
            for entry, name in zip(key, package.entry_keys):
                start, end = entry.window(horizon)
                slots.append(Slot(entry, name, np.zeros(k, bool), start, end, np.zeros(k), [None] * k))
                shapes[key].append(len(slots) - 1)
        for i, index in enumerate(shapes[key]):
            slot = slots[index]
            slot.held[run] = True
            slot.remaining[run] = float(package.entries[i].budget)
            slot.rngs[run] = rngs[run][i]
    return slots


class Governments:
    """The national and local governments of every run of a batch."""

    def __init__(self, batch: Batch, packages: list[PolicyPackage], rngs: list[list[np.random.Generator]]) -> None:
        self.batch = batch
        self.packages = packages
        self.slots = plan_slots(packages, rngs, batch.horizon)
        # Set to a list to log every delivery: (quarter, entry name, run of each recipient, its firm id).
        self.log: list[tuple[int, str, np.ndarray, np.ndarray]] | None = None

    def enact(self) -> None:
        """Meta and macro measures first: regulations in force this quarter."""
        self.batch.lift_regulations()
        self._run(regulatory=True)

    def deliver(self) -> None:
        """Programmes and public goods, through the regions."""
        self._run(regulatory=False)

    def _run(self, regulatory: bool) -> None:
        b = self.batch
        for slot in self.slots:
            spec = slot.entry.spec
            if (spec.mode == _REGULATORY) != regulatory:
                continue
            amount = slot.amounts(b.t)
            active = amount > 0.0
            if not active.any():
                continue
            if spec.mode == _REGULATORY:
                spent = self._enforce(slot, amount, active)
            elif spec.mode == "per_firm":
                spent = self._deliver(slot, amount, active)
            else:
                spent = self._build(slot, amount, active)
            slot.remaining -= b.stack.per_run(spent, "region")
            b.spent_step[LEVELS.index(spec.level), POLICY_STAGES.index(spec.stage)] += spent

    def _enforce(self, slot: Slot, amount: np.ndarray, active: np.ndarray) -> np.ndarray:
        """A regulation is enforced at its intensity as far as its budget pays for enforcing it over all it covers.

        Full enforcement costs ``unit_cost`` per SME (or LE) covered per
        quarter, so the same budget enforces less in a larger economy; the
        regulation sets its regime channels, and moves no firm itself.
        """
        b, entry = self.batch, slot.entry
        full = np.array([entry.intensity * entry.spec.enforcement_cost(int(n), int(m))
                         for n, m in zip(b.stack.rows, b.stack.les)])
        active = active & (full > 0)
        spent = np.where(active, np.minimum(amount, full), 0.0)
        level = np.where(active, entry.intensity * spent / np.where(full > 0, full, 1.0), 0.0)
        b.enforce(entry.spec.effects, level, active)
        return b.stack.spread(spent, "region") * b.region_population_share()

    def _targets(self, entry: PackageEntry) -> np.ndarray | None:
        """SMEs an entry may reach (its regions, sectors, and who may take the instrument); None: all."""
        b = self.batch
        s = b.sme
        ok = None
        if entry.targeting.regions is not None:
            ok = _member(b.local_region, entry.targeting.regions, int(b.stack.regions.max()))
        if entry.targeting.sectors is not None:
            sectors = _member(s.sector, entry.targeting.sectors, b.world.n_sectors)
            ok = sectors if ok is None else ok & sectors
        rule = entry.spec.eligibility
        if rule in ("unmapped", "collateral"):
            allowed = ~s.mapped if rule == "unmapped" else b.has_collateral()
            ok = allowed if ok is None else ok & allowed
        return ok

    def _allocation(self, entry: PackageEntry, eligible: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Delivery efficiency and budget share of each region for this entry."""
        b = self.batch
        eff = np.maximum(support.delivery_efficiency(b.world.capacity, entry.deliverer, b.p, b.stack), 1e-9)
        population = b.blocks.counts.astype(float) if eligible is None else b.blocks.sum(eligible)
        need = None
        if support.follows_need(entry.deliverer, b.p).any():  # national ones: SME numbers, unless told otherwise
            ctx, stage = b.context(), entry.spec.stage
            revealed = (ctx.revealed(stage) if eligible is None else
                        support.revealed_by_region(b.blocks, eligible, b.sme.mapped, ctx.potential(stage), b.p))
            reading = support.reading_capacity(b.world.capacity, entry.deliverer, b.p, b.stack)
            need = support.need_from_revealed(*revealed, reading, b.need_error, b.p, b.stack) * eff
        return eff, support.regional_allocation(population, need, entry.deliverer, b.p, b.stack)

    def _deliver(self, slot: Slot, amount: np.ndarray, active: np.ndarray) -> np.ndarray:
        """A per-firm programme: allocate to regions, pick recipients, apply, account."""
        b, entry, spec = self.batch, slot.entry, slot.entry.spec
        s, ctx, stack = b.sme, b.context(), b.stack
        dose = entry.intensity
        if dose <= 0:
            return np.zeros(len(b.world.capacity))
        eligible = self._targets(entry)
        eff, share = self._allocation(entry, eligible)
        unit = spec.unit_cost * dose
        quota = stack.spread(amount, "region") * share * eff / unit
        targeting = None
        if entry.targeting.select == "potential":
            on = (stack.spread(np.asarray(b.p.run("targeting_strength")) > 0) & (b.p["targeting"] != 0)
                  & stack.spread(stack.per_run_any(s.mapped)))
            if np.any(on):
                weight = ctx.targeting_weight(spec.stage)
                targeting = weight if np.all(on) else np.where(on, weight, 1.0)
        overlap = ctx.overlap()
        weights = support.selection_weights(s.n, targeting, eligible, overlap)
        rows = support.draw_recipients(b.streams_for(slot.rngs), weights, b.blocks, quota, active)
        cost = unit / eff[s.region[rows]]
        rows, cost = self._within_budget(slot, rows, cost, amount)
        if self.log is not None:
            self.log.append((b.t, slot.key, stack.run_of_row[rows], s.firm_id[rows].copy()))
        if spec.eligibility == "unmapped":
            s.mapped[rows] = True
            ctx.forget_targeting()
        else:
            support.apply_programme(s, rows, spec, dose, b.p, b.streams["demand"])
            ctx.served(rows)
            b.indices.touch(rows)
        return np.bincount(s.region[rows], weights=cost, minlength=len(b.world.capacity))

    def _within_budget(self, slot: Slot, rows: np.ndarray, cost: np.ndarray, amount: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Where Poisson sampling overshot a run's money left, drop random picks of that run until it fits
        (the kept picks in the drawn order, as a lone run keeps them)."""
        stack = self.batch.stack
        run = stack.run_of_row[rows]
        over = np.flatnonzero(np.bincount(run, weights=cost, minlength=stack.k) > amount)
        if not len(over):
            return rows, cost
        fits = ~np.isin(run, over)
        parts_rows, parts_cost, parts_run = [rows[fits]], [cost[fits]], [run[fits]]
        for k in over.tolist():
            mine = np.flatnonzero(run == k)
            order = slot.rngs[k].permutation(len(mine))
            r, c = rows[mine][order], cost[mine][order]
            keep = np.cumsum(c) <= amount[k]
            parts_rows.append(r[keep])
            parts_cost.append(c[keep])
            parts_run.append(np.full(int(keep.sum()), k))
        # Back in run order; within a run, the order it had (drawn order where trimmed).
        order = np.argsort(np.concatenate(parts_run), kind="stable")
        return np.concatenate(parts_rows)[order], np.concatenate(parts_cost)[order]

    def _build(self, slot: Slot, amount: np.ndarray, active: np.ndarray) -> np.ndarray:
        """A public good: regional infrastructure, allocated like a programme, used by every SME there."""
        b, entry, spec = self.batch, slot.entry, slot.entry.spec
        eff, share = self._allocation(entry, self._targets(entry))
        budget = b.stack.spread(amount, "region") * share
        firms = np.maximum(b.blocks.counts, 1)
        coverage = budget * eff / (spec.unit_cost * firms)
        for var, strength in spec.effects.items():
            if var == "infrastructure":
                b.region_infra = support.build_infrastructure(b.region_infra, coverage, strength)
        return budget

    # --- what one run's national government shows (the Mesa agent reads these) ---
    def budget(self, run: int) -> float:
        return self.packages[run].total_budget

    def centralization(self, run: int) -> float:
        """Share of the run's programme budget the national government delivers itself."""
        progs = [e for e in self.packages[run].entries if e.spec.mode != _REGULATORY]
        total = sum(e.budget for e in progs)
        return sum(e.budget for e in progs if e.deliverer == "national") / total if total else 1.0
