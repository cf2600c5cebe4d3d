"""Learning: depreciation, peer spillovers, learning by exporting, awareness.

These are the Uppsala side of the model: firms learn incrementally, from
their own export experience and from exporting peers they are tied to, and
what they do not use fades back to their lasting level.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..stack import at
from ..state import (
    EXPORTING,
    FIRM_CONN,
    PRECONDITION,
    STRENGTHENING,
    B,
    C,
    K,
    RegionBlocks,
    SMEArrays,
)
from .demography import infrastructure_access


def depreciate(s: SMEArrays, p: Mapping) -> None:
    """Unused capability fades: components fall back towards the firm's lasting level."""
    gap = np.subtract(s.comp_base, s.comp)
    gap *= p["comp_depreciation"]
    s.comp += gap
    # LE linkage follows alliances and infrastructure the region: only the firm's own components fade.
    own = FIRM_CONN
    s.conn[own] += p["conn_depreciation"] * (s.conn_base[own] - s.conn[own])


def follow_region_and_partner(s: SMEArrays, region_infra: np.ndarray, blocks: RegionBlocks) -> None:
    """Infrastructure access tracks the region's infrastructure; LE linkage tracks alliances."""
    s.conn[K["infrastructure"]] = infrastructure_access(blocks.spread(region_infra), s.infra_factor)
    link = s.conn[K["le_linkage"]]
    s.conn[K["le_linkage"]] = np.where(s.partner >= 0, link + 0.5 * (1.0 - link), 0.8 * link)


def peer_spillovers(s: SMEArrays, p: Mapping, n_regions: int, n_sectors: int) -> np.ndarray:
    """Knowledge flows from exporting peers of the same region and sector, through network ties.

    O(n): each SME sees its cluster's exporter share, not its peers one by
    one. Returns the exporter share of each cluster (region x sector).
    """
    n_clusters = n_regions * n_sectors
    cluster = s.region * n_sectors + s.sector
    exporting = (s.stage >= EXPORTING).astype(float)
    counts = np.bincount(cluster, minlength=n_clusters)
    share = np.bincount(cluster, weights=exporting, minlength=n_clusters) / np.maximum(counts, 1)
    exposure = p["network_spillover"] * s.conn[K["network_ties"]] * share[cluster]
    s.barriers[B["knowledge"]] *= 1.0 - exposure
    mk = s.conn[K["market_knowledge"]]
    s.conn[K["market_knowledge"]] = mk + exposure * (1.0 - mk)
    return share


def learning_by_exporting(s: SMEArrays, p: Mapping) -> None:
    """Exporters learn abroad: quality and market knowledge rise, knowledge and procedure barriers fall."""
    rows = np.flatnonzero(s.stage >= EXPORTING)
    rate = at(p, "learning_by_exporting", rows)
    for matrix, base, j in ((s.comp, s.comp_base, C["quality"]), (s.comp, s.comp_base, C["management"]),
                            (s.conn, s.conn_base, K["market_knowledge"])):
        matrix[j, rows] += rate * (1.0 - matrix[j, rows])
        base[j, rows] += 0.5 * rate * (1.0 - base[j, rows])
    s.barriers[B["knowledge"], rows] *= 1.0 - 2.0 * rate
    s.barriers[B["procedure"], rows] *= 1.0 - rate


def exogenous_barrier(s: SMEArrays, tariff_cut: float | np.ndarray) -> None:
    """Foreign market barriers (tariffs abroad, rules) fall with reciprocal liberalization."""
    s.barriers[B["exogenous"]] = s.exo_base * (1.0 - 0.5 * tariff_cut)


def become_aware(s: SMEArrays, p: Mapping) -> np.ndarray:
    """Precondition SMEs whose knowledge barrier fell below the threshold move to strengthening."""
    rows = np.flatnonzero((s.stage == PRECONDITION) & (s.barriers[B["knowledge"]] < p["awareness_threshold"]))
    s.stage[rows] = STRENGTHENING
    return rows
