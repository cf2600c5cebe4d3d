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
    "market_knowledge", "network_ties", "institutional", "le_linkage", "infrastructure",
)
# The firm's own connectivity components (the rest follow alliances and the region).
FIRM_CONN = slice(0, 3)
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
    """Struct of arrays: slot ``i`` is one SME (a firm until it exits).

    Component matrices are stored component-major, shape (components, n), so
    that each component is one contiguous row.
    """

    firm_id: np.ndarray      # int64, a new id for every entrant
    region: np.ndarray       # int64, rows are sorted by region and keep it
    sector: np.ndarray       # int64
    size: np.ndarray         # float64, employees (continuous: firms grow and shrink)
    size_class: np.ndarray   # int8, 0 micro, 1 small, 2 medium
    eo: np.ndarray           # float64, entrepreneurial orientation
    comp: np.ndarray         # (5, n) competitiveness components (component-major: fast rows)
    comp_base: np.ndarray    # (5, n) lasting level components fall back to
    conn: np.ndarray         # (5, n) connectivity components
    conn_base: np.ndarray    # (5, n)
    infra_factor: np.ndarray # a firm's access relative to its region's infrastructure (log-normal)
    barriers: np.ndarray     # (4, n) knowledge, resource, procedure, exogenous
    exo_base: np.ndarray     # exogenous barrier before liberalization
    stage: np.ndarray        # int8, one of PRECONDITION..GVC
    experience: np.ndarray   # recent export experience in [0, 1]
    ever_exported: np.ndarray  # bool
    spell: np.ndarray        # quarters in the current export spell (0 when not exporting)
    demand_x: np.ndarray     # standardized log foreign demand: drawn at birth, drifts
    knows_demand: np.ndarray  # bool: has learned its foreign demand (by exporting, or from buyers met)
    error: np.ndarray        # log error in judging foreign profit (persists over a few quarters)
    home_margin: np.ndarray  # home standing (market.standing) at the last growth step
    import_intensity: np.ndarray  # imported inputs as a share of sales (0: buys its inputs at home)
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
            a = getattr(self, f.name)
            if a.ndim == 2:
                a[:, rows] = getattr(new, f.name)
            else:
                a[rows] = getattr(new, f.name)

    def take(self, rows: np.ndarray) -> SMEArrays:
        """A new SMEArrays holding copies of ``rows``."""
        out = {}
        for f in fields(self):
            a = getattr(self, f.name)
            out[f.name] = a[:, rows] if a.ndim == 2 else a[rows]
        return SMEArrays(**out)

    def competitiveness(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Competitiveness index: the mean of the five internal components (of ``rows``, or all)."""
        c = self.comp if rows is None else self.comp[:, rows]
        return (c[0] + c[1] + c[2] + c[3] + c[4]) * 0.2

    def connectivity(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Connectivity index: the mean of the five external components (of ``rows``, or all)."""
        k = self.conn if rows is None else self.conn[:, rows]
        return (k[0] + k[1] + k[2] + k[3] + k[4]) * 0.2


class RegionBlocks:
    """Rows sorted by region, as contiguous blocks: sums by region without a scatter.

    SME rows are assigned to regions in blocks and an entrant takes the row
    (and region) of the firm it replaces, so the blocks hold for a whole run.
    """

    def __init__(self, region: np.ndarray, n_regions: int) -> None:
        if np.any(np.diff(region) < 0):
            raise ValueError("rows must be sorted by region")
        self.n_regions = n_regions
        self.counts = np.bincount(region, minlength=n_regions)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        self._full = bool(np.all(self.counts > 0))

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Per-region sums of a per-row array."""
        x = np.asarray(x, dtype=float)
        if self._full:
            return np.add.reduceat(x, self.starts)
        out = np.zeros(self.n_regions)
        nz = self.counts > 0
        out[nz] = np.add.reduceat(x, self.starts[nz])
        return out

    def spread(self, per_region: np.ndarray) -> np.ndarray:
        """A per-region array repeated over each region's rows."""
        return np.repeat(per_region, self.counts)
