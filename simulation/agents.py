"""The agents: SMEs, large enterprises, the national and the local governments.

SMEs are thousands, so their numbers live in the model's arrays
(:class:`simulation.state.SMEArrays`) and an :class:`SME` agent is a view of
its row: inspecting one firm in a notebook or the classroom app reads the
same numbers the mechanisms move. LEs and governments are few and decide in
plain Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .policy import PolicyPackage
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


class NationalGovernment(mesa.Agent):
    """The national government: enacts meta and macro measures and allocates programme budgets.

    Programmes it delivers itself are allocated centrally (by SME numbers, or
    with ``central_need_allocation`` by the local rule from its own reading of
    need); programmes delivered by local governments are allocated by local need as
    far as national and local levels coordinate. What it does lives in
    :mod:`simulation.governments` (for every run of a batch at once); this
    agent is the run's face of it.
    """

    def __init__(self, model: SMEModel) -> None:
        super().__init__(model)
        self.package: PolicyPackage = model.package

    @property
    def budget(self) -> float:
        return self.package.total_budget

    @property
    def centralization(self) -> float:
        """Share of the programme budget the national government delivers itself."""
        return self.model.batch.governments.centralization(0)

    def enact(self) -> None:
        """Meta and macro measures first: regulations in force this quarter."""
        self.model.batch.governments.enact()

    def step(self) -> None:
        """Programmes and public goods, through the regions."""
        self.model.batch.governments.deliver()
