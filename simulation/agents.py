"""The agents: SMEs, large enterprises, the national and the local governments.

SMEs are thousands, so their numbers live in the model's arrays
(:class:`simulation.state.SMEArrays`) and an :class:`SME` agent is a view of
its row: inspecting one firm in a notebook or the classroom app reads the
same numbers the mechanisms move. LEs and governments are few and decide in
plain Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from .mechanisms import support
from .policy import LEVELS, POLICY_STAGES, PackageEntry, PolicyPackage
from .state import (
    BARRIERS,
    COMPETITIVENESS,
    CONNECTIVITY,
    SIZE_CLASSES,
    STAGES,
    size_class,
)

if TYPE_CHECKING:
    from .model import SMEModel


class SME(mesa.Agent):
    """A small or medium enterprise: one row of the model's SME arrays.

    When the firm exits, its row is taken by an entrant; this object then
    reports stage ``"exited"`` and the state the firm had when it closed.
    """

    def __init__(self, model: SMEModel, row: int) -> None:
        super().__init__(model)
        self.row = row
        self.firm_id = int(model.sme.firm_id[row])

    @property
    def alive(self) -> bool:
        return int(self.model.sme.firm_id[self.row]) == self.firm_id

    def _view(self):
        if self.alive:
            return self.model.sme, self.row
        return self.model.exit_record(self.firm_id), 0

    @property
    def stage(self) -> str:
        if not self.alive:
            return "exited"
        return STAGES[int(self.model.sme.stage[self.row])]

    @property
    def region(self) -> int:
        s, i = self._view()
        return int(s.region[i])

    @property
    def sector(self) -> int:
        s, i = self._view()
        return int(s.sector[i])

    @property
    def size(self) -> float:
        """Employees (continuous: firms grow and shrink)."""
        s, i = self._view()
        return float(s.size[i])

    @property
    def size_class(self) -> str:
        return SIZE_CLASSES[int(size_class(np.array([self.size]))[0])]

    @property
    def entrepreneurial_orientation(self) -> float:
        s, i = self._view()
        return float(s.eo[i])

    @property
    def competitiveness(self) -> dict[str, float]:
        s, i = self._view()
        return {name: float(s.comp[j, i]) for j, name in enumerate(COMPETITIVENESS)}

    @property
    def connectivity(self) -> dict[str, float]:
        s, i = self._view()
        return {name: float(s.conn[j, i]) for j, name in enumerate(CONNECTIVITY)}

    @property
    def barriers(self) -> dict[str, float]:
        s, i = self._view()
        return {name: float(s.barriers[j, i]) for j, name in enumerate(BARRIERS)}

    @property
    def competitiveness_index(self) -> float:
        return float(np.mean(list(self.competitiveness.values())))

    @property
    def connectivity_index(self) -> float:
        return float(np.mean(list(self.connectivity.values())))

    @property
    def export_experience(self) -> float:
        s, i = self._view()
        return float(s.experience[i])

    @property
    def partner(self) -> LargeEnterprise | None:
        s, i = self._view()
        j = int(s.partner[i])
        return self.model.large_enterprises[j] if (j >= 0 and self.alive) else None

    def __repr__(self) -> str:
        return f"SME(firm {self.firm_id}, {self.stage}, region {self.region}, sector {self.sector})"


class LargeEnterprise(mesa.Agent):
    """A lead firm or MNE: supplier slots, a quality bar, openness to new suppliers."""

    def __init__(self, model: SMEModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def sector(self) -> int:
        return int(self.model.le.sector[self.index])

    @property
    def slots(self) -> int:
        return int(self.model.le.slots[self.index])

    @property
    def quality_threshold(self) -> float:
        return float(self.model.le.threshold[self.index])

    @property
    def openness(self) -> float:
        return float(self.model.le.openness[self.index])

    @property
    def suppliers(self) -> list[SME]:
        rows = np.flatnonzero(self.model.sme.partner == self.index)
        return [self.model.sme_agent(r) for r in rows]

    def __repr__(self) -> str:
        return f"LargeEnterprise({self.index}, sector {self.sector}, {len(self.suppliers)}/{self.slots} suppliers)"


class LocalGovernment(mesa.Agent):
    """The government of one region: delivers meso and micro programmes with its own capacity."""

    def __init__(self, model: SMEModel, region: int) -> None:
        super().__init__(model)
        self.region = region

    @property
    def capacity(self) -> float:
        """Competence of the local apparatus in [0, 1]."""
        return float(self.model.world.capacity[self.region])

    @property
    def coordination(self) -> float:
        """Coordination with the national government."""
        return float(self.model.p["coordination"])

    @property
    def budget_spent(self) -> float:
        return float(self.model.spent_total[:, :, self.region].sum())

    @property
    def budget_share(self) -> float:
        """Share of all spending so far that went through this region."""
        total = self.model.spent_total.sum()
        return float(self.budget_spent / total) if total > 0 else 0.0

    def __repr__(self) -> str:
        return f"LocalGovernment(region {self.region}, capacity {self.capacity:.2f})"


def _member(values: np.ndarray, chosen: tuple[int, ...], size: int) -> np.ndarray:
    """``values in chosen`` for small non-negative codes, by table lookup (np.isin sorts)."""
    table = np.zeros(size, bool)
    table[list(chosen)] = True
    return table[values]


@dataclass
class _EntryState:
    entry: PackageEntry
    start: int
    end: int
    remaining: float
    rng: np.random.Generator

    def budget_for(self, t: int) -> float:
        """Even spending over the rest of the window; what went unspent carries forward."""
        if not self.start <= t < self.end:
            return 0.0
        return self.remaining / (self.end - t)


class NationalGovernment(mesa.Agent):
    """The national government: enacts meta and macro measures and allocates programme budgets.

    Programmes it delivers itself are allocated centrally (by SME numbers);
    programmes delivered by local governments are allocated by local need as
    far as national and local levels coordinate.
    """

    def __init__(self, model: SMEModel, package: PolicyPackage, rngs: list[np.random.Generator]) -> None:
        super().__init__(model)
        self.package = package
        self.entries = []
        for entry, rng in zip(package.entries, rngs):
            start, end = entry.window(model.horizon)
            self.entries.append(_EntryState(entry, start, end, float(entry.budget), rng))

    @property
    def budget(self) -> float:
        return self.package.total_budget

    @property
    def centralization(self) -> float:
        """Share of the programme budget the national government delivers itself."""
        progs = [e.entry for e in self.entries if e.entry.spec.mode != "regulatory"]
        total = sum(e.budget for e in progs)
        return sum(e.budget for e in progs if e.deliverer == "national") / total if total else 1.0

    def enact(self) -> None:
        """Meta and macro measures first: regulations in force this quarter."""
        self.model.lift_regulations()
        self._run(regulatory=True)

    def step(self) -> None:
        """Programmes and public goods, through the regions."""
        self._run(regulatory=False)

    def _run(self, regulatory: bool) -> None:
        m = self.model
        for es in self.entries:
            mode = es.entry.spec.mode
            if (mode == "regulatory") != regulatory:
                continue
            amount = es.budget_for(m.t)
            if amount <= 0.0:
                continue
            if mode == "regulatory":
                spent = self._enforce(es, amount)
            elif mode == "per_firm":
                spent = self._deliver(es, amount)
            else:
                spent = self._build(es, amount)
            es.remaining -= float(spent.sum())
            spec = es.entry.spec
            m.spent_step[LEVELS.index(spec.level), POLICY_STAGES.index(spec.stage)] += spent

    def _enforce(self, es: _EntryState, amount: float) -> np.ndarray:
        """A regulation is enforced at its intensity as far as its budget pays for enforcing it over all it covers.

        Full enforcement costs ``unit_cost`` per SME (or LE) covered per
        quarter, so the same budget enforces less in a larger economy; the
        regulation sets its regime channels, and moves no firm itself.
        """
        m, spec = self.model, es.entry.spec
        full = es.entry.intensity * spec.enforcement_cost(m.sme.n, m.le.n)
        if full <= 0:
            return np.zeros(m.world.n_regions)
        spent = min(amount, full)
        m.enforce(spec.effects, es.entry.intensity * spent / full)
        return spent * m.region_population_share()

    def _targets(self, entry: PackageEntry) -> np.ndarray | None:
        """SMEs an entry may reach (its regions, sectors, and who may take the instrument); None: all."""
        s = self.model.sme
        ok = None
        if entry.targeting.regions is not None:
            ok = _member(s.region, entry.targeting.regions, self.model.world.n_regions)
        if entry.targeting.sectors is not None:
            sectors = _member(s.sector, entry.targeting.sectors, self.model.world.n_sectors)
            ok = sectors if ok is None else ok & sectors
        rule = entry.spec.eligibility
        if rule in ("unmapped", "collateral"):
            allowed = ~s.mapped if rule == "unmapped" else self.model.has_collateral()
            ok = allowed if ok is None else ok & allowed
        return ok

    def _allocation(self, entry: PackageEntry, eligible: np.ndarray | None):
        """Delivery efficiency and budget share of each region for this entry."""
        m = self.model
        eff = np.maximum(support.delivery_efficiency(m.world.capacity, entry.deliverer, m.p), 1e-9)
        population = m.blocks.counts.astype(float) if eligible is None else m.blocks.sum(eligible)
        need = None
        if support.follows_need(entry.deliverer, m.p):  # national budgets follow SME numbers: no estimate needed
            ctx, stage = m.context(), entry.spec.stage
            revealed = (ctx.revealed(stage, m.p) if eligible is None else
                        support.revealed_by_region(m.blocks, eligible, m.sme.mapped, ctx.potential(stage), m.p))
            need = support.need_from_revealed(*revealed, m.world.capacity, m.need_error, m.p) * eff
        return eff, support.regional_allocation(population, need, entry.deliverer, m.p)

    def _deliver(self, es: _EntryState, amount: float) -> np.ndarray:
        """A per-firm programme: allocate to regions, pick recipients, apply, account."""
        m, entry, spec = self.model, es.entry, es.entry.spec
        s, ctx, r = m.sme, m.context(), m.world.n_regions
        eligible = self._targets(entry)
        eff, share = self._allocation(entry, eligible)
        dose = entry.intensity
        if dose <= 0:
            return np.zeros(r)
        unit = spec.unit_cost * dose
        quota = amount * share * eff / unit
        kappa = m.p["targeting_strength"]
        targeted = (entry.targeting.select == "potential" and kappa > 0 and m.p["targeting"]
                    and s.mapped.any())
        targeting = ctx.targeting_weight(spec.stage, kappa) if targeted else None
        overlap = ctx.overlap(m.p["coordination"])
        weights = support.selection_weights(s.n, targeting, eligible, overlap)
        rows = support.draw_recipients(es.rng, weights, m.blocks, quota)
        cost = unit / eff[s.region[rows]]
        if cost.sum() > amount:  # Poisson sampling overshot the money left: drop random picks
            order = es.rng.permutation(len(rows))
            rows, cost = rows[order], cost[order]
            keep = np.cumsum(cost) <= amount
            rows, cost = rows[keep], cost[keep]
        if spec.eligibility == "unmapped":
            s.mapped[rows] = True
            ctx.forget_targeting()
        else:
            support.apply_programme(s, rows, spec, dose, m.p, m.demand_rng)
            ctx.served(rows, m.p["coordination"])
            m.indices.touch(rows)
        return np.bincount(s.region[rows], weights=cost, minlength=r)

    def _build(self, es: _EntryState, amount: float) -> np.ndarray:
        """A public good: regional infrastructure, allocated like a programme, used by every SME there."""
        m, entry, spec = self.model, es.entry, es.entry.spec
        eff, share = self._allocation(entry, self._targets(entry))
        budget = amount * share
        firms = np.maximum(m.blocks.counts, 1)
        coverage = budget * eff / (spec.unit_cost * firms)
        for var, strength in spec.effects.items():
            if var == "infrastructure":
                m.region_infra = support.build_infrastructure(m.region_infra, coverage, strength)
        return budget
