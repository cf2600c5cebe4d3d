"""The SMEs' numeric state: one row per SME, one array per variable.

The mechanisms are functions over these arrays; the SME agents
(:mod:`simulation.agents`) are views of one row each.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

PRECONDITION, STRENGTHENING, EXPORTING, GVC, EXITED = 0, 1, 2, 3, 4
STAGES: tuple[str, ...] = ("precondition", "strengthening", "exporting", "gvc", "exited")
LIVE_STAGES: tuple[str, ...] = STAGES[:4]

COMPETITIVENESS: tuple[str, ...] = ("management", "skills", "technology", "finance", "quality")
CONNECTIVITY: tuple[str, ...] = (
    "market_knowledge", "network_ties", "le_linkage", "infrastructure", "institutional",
)
BARRIERS: tuple[str, ...] = ("knowledge", "resource", "procedure", "exogenous")

# Column numbers, so mechanisms read as words.
C = {name: j for j, name in enumerate(COMPETITIVENESS)}
K = {name: j for j, name in enumerate(CONNECTIVITY)}
B = {name: j for j, name in enumerate(BARRIERS)}

# Employment classes of Indonesian law (UU 20/2008 uses assets/turnover; BPS
# uses workers): micro 1-4, small 5-19, medium 20-99.
SIZE_CLASSES: tuple[str, ...] = ("micro", "small", "medium")
SIZE_BOUNDS: tuple[int, ...] = (5, 20)
MAX_SME_SIZE = 99


def size_class(size: np.ndarray) -> np.ndarray:
    """0 micro, 1 small, 2 medium, from employment."""
    return np.searchsorted(np.asarray(SIZE_BOUNDS), size, side="right")


@dataclass
class SMEArrays:
    """Struct of arrays: row ``i`` is one SME slot (a firm until it exits)."""

    firm_id: np.ndarray      # int64, a new id for every entrant
    region: np.ndarray       # int64, rows are sorted by region and keep it
    sector: np.ndarray       # int64
    size: np.ndarray         # float64, employees
    eo: np.ndarray           # float64, entrepreneurial orientation
    comp: np.ndarray         # (n, 5) competitiveness components
    comp_base: np.ndarray    # (n, 5) lasting level components fall back to
    conn: np.ndarray         # (n, 5) connectivity components
    conn_base: np.ndarray    # (n, 5)
    infra_offset: np.ndarray # log of a firm's access relative to its region's infrastructure
    barriers: np.ndarray     # (n, 4) knowledge, resource, procedure, exogenous
    exo_base: np.ndarray     # exogenous barrier before liberalization
    stage: np.ndarray        # int8, one of PRECONDITION..GVC
    experience: np.ndarray   # recent export experience in [0, 1]
    ever_exported: np.ndarray  # bool
    spell: np.ndarray        # quarters in the current export spell (0 when not exporting)
    demand: np.ndarray       # foreign demand draw revealed on entry (mean 1)
    partner: np.ndarray      # int64, allied LE or -1
    mapped: np.ndarray       # bool, covered by a mapping study
    support: np.ndarray      # decaying stock of support received
    age: np.ndarray          # quarters since entry

    @property
    def n(self) -> int:
        return len(self.firm_id)

    def replace_rows(self, rows: np.ndarray, new: SMEArrays) -> None:
        """Write ``new`` (len(rows) firms) into ``rows``."""
        for f in fields(self):
            getattr(self, f.name)[rows] = getattr(new, f.name)

    def take(self, rows: np.ndarray) -> SMEArrays:
        """A new SMEArrays holding copies of ``rows``."""
        return SMEArrays(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    def copy(self) -> SMEArrays:
        return SMEArrays(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def competitiveness(self) -> np.ndarray:
        """Competitiveness index: the mean of the five internal components."""
        return self.comp.mean(axis=1)

    def connectivity(self) -> np.ndarray:
        """Connectivity index: the mean of the five external components."""
        return self.conn.mean(axis=1)
