"""What the mechanisms of a quarter read: SME indices kept current, and what programmes see as delivery begins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .mechanisms import support, trade
from .policy import POLICY_STAGES
from .stack import pick
from .state import B, SMEArrays

if TYPE_CHECKING:
    from .engine import Batch


class Indices:
    """Competitiveness, connectivity and capability of every SME, kept current cheaply.

    Recomputed in full after the learning phase (which moves every firm);
    afterwards mechanisms that move a few firms mark those rows and only they
    are recomputed before the next reader.
    """

    def __init__(self, sme: SMEArrays, rho: float | np.ndarray) -> None:  # rho: the CES exponent in force
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
            self.cap[rows] = trade.capability(self.comp[rows], self.conn[rows], pick(self.rho, rows))
            self._dirty = []
        return self


@dataclass
class StepContext:
    """What every programme of a quarter reads, computed once as delivery begins."""

    batch: Batch
    cap: np.ndarray
    _cache: dict[tuple | str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Potential as delivery begins, for both stages, so what a programme sees does not depend on
        # where it stands in the package (an earlier programme may lower barriers this quarter).
        s = self.batch.sme
        scale = support.potential_scale(s, self.cap)
        pre = s.barriers[B["knowledge"]] * scale
        self._cache[("potential", "precondition")] = pre
        self._cache[("potential", "strengthening")] = scale - pre

    def potential(self, instrument_stage: str) -> np.ndarray:
        """What a mapping study would reveal of each SME for a programme of this stage, as delivery began."""
        return self._cache[("potential", instrument_stage)]

    def targeting_weight(self, instrument_stage: str) -> np.ndarray:
        """Selection weight from mapping: the score where an SME is mapped, 1 elsewhere."""
        key = ("targeting_weight", instrument_stage)
        if key not in self._cache:
            b = self.batch
            score = support.targeting_score(self.potential(instrument_stage), b.p["targeting_strength"], b.stack)
            self._cache[key] = np.where(b.sme.mapped, score, 1.0)
        return self._cache[key]

    def overlap(self) -> np.ndarray | None:
        """Overlap weights, kept current as programmes serve SMEs during the quarter (None: no run coordinates)."""
        b = self.batch
        if not np.any(b.p.run("coordination") * b.p.run("overlap_screening") > 0):
            return None
        if "overlap" not in self._cache:
            self._cache["overlap"] = support.overlap_weight(b.sme.support, support.screening(b.p))
        return self._cache["overlap"]

    def served(self, rows: np.ndarray) -> None:
        if "overlap" in self._cache:
            self._cache["overlap"][rows] = support.overlap_weight(self.batch.sme.support[rows],
                                                                  pick(support.screening(self.batch.p), rows))

    def revealed(self, instrument_stage: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Regional sums of what mapping revealed, for programmes open to every SME (see support.estimated_need)."""
        key = ("revealed", instrument_stage)
        if key not in self._cache:
            b = self.batch
            self._cache[key] = support.revealed_by_region(b.blocks, None, b.sme.mapped,
                                                          self.potential(instrument_stage), b.p)
        return self._cache[key]

    def forget_targeting(self) -> None:
        """A mapping study just mapped more SMEs: what targeting knows has changed."""
        for stage in POLICY_STAGES:
            self._cache.pop(("targeting_weight", stage), None)
            self._cache.pop(("revealed", stage), None)


