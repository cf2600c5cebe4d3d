"""Reporters: what is recorded each quarter, for the whole economy and by region.

The :class:`Recorder` plays the part of Mesa's DataCollector, computing all
measures in a few vectorized passes and returning tidy pandas tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .mechanisms.trade import home_sales
from .policy import LEVELS, POLICY_STAGES
from .state import EXPORTING, GVC, LIVE_STAGES, SIZE_CLASSES, B

# Populations the stylized facts' sources measured (calibration/targets.toml):
# the World Bank Enterprise Survey covers firms of 5+ workers and counts a firm
# as a direct exporter when exports are at least 10% of its sales; Indonesia's
# manufacturing census covers establishments of 20+ workers.
WBES_MIN_WORKERS = 5
WBES_MIN_EXPORT_SHARE = 0.10
CENSUS_MIN_WORKERS = 20
WTO_CLASSES: tuple[str, ...] = ("1_9", "10_49", "50_99")
WTO_EDGES = np.array([10.0, 50.0])  # the lower bounds of the second and third class

if TYPE_CHECKING:
    from .model import SMEModel


class Recorder:
    """Collects one row per quarter (step 0 is the state after warm-up)."""

    def __init__(self, model: SMEModel, regions: bool = True) -> None:
        self.record_regions = regions  # sweeps need only the economy-wide series
        self.rows: list[dict[str, Any]] = []
        self.region_rows: list[dict[str, np.ndarray]] = []
        self.cum_budget = 0.0
        self.cum_new = 0
        self.cum_entries = 0

    def collect(self, m: SMEModel, flows: dict[str, Any]) -> None:
        s, p = m.sme, m.p
        n = s.n
        stage_counts = np.bincount(s.stage, minlength=len(LIVE_STAGES))[: len(LIVE_STAGES)]
        exporting = (s.stage == EXPORTING) | (s.stage == GVC)
        ix = m.indices.fresh()
        comp, conn = ix.comp, ix.conn
        spent = m.spent_step
        step_budget = float(spent.sum())
        self.cum_budget += step_budget
        self.cum_new += flows["new_exporters"]
        self.cum_entries += flows["export_entries"]

        row: dict[str, Any] = {"step": max(m.t, 0), "n_smes": n}
        for name, count in zip(LIVE_STAGES, stage_counts):
            row[f"n_{name}"] = int(count)
        for name, count in zip(LIVE_STAGES, stage_counts):
            row[f"share_{name}"] = count / n
        n_exp = int(exporting.sum())
        row["exporters"] = n_exp
        row["export_participation"] = n_exp / n
        row["gvc_participation"] = stage_counts[GVC] / n
        cls = s.size_class
        cls_n = np.bincount(cls, minlength=3)
        cls_x = np.bincount(cls[exporting], minlength=3)
        for k, name in enumerate(SIZE_CLASSES):
            row[f"export_participation_{name}"] = cls_x[k] / cls_n[k] if cls_n[k] else np.nan
            row[f"share_{name}"] = cls_n[k] / n
        # Credit rationing (Minetti & Zhu, 2011, who control for size): only micro firms can be
        # rationed in the model, so rationed and other firms are compared within the micro class.
        micro = cls == 0
        rationed = micro & ~m.has_collateral()
        n_rat, n_oth = int(rationed.sum()), int((micro & ~rationed).sum())
        x_rat = int((exporting & rationed).sum())
        row["export_participation_rationed"] = x_rat / n_rat if n_rat else np.nan
        row["export_participation_unrationed"] = (cls_x[0] - x_rat) / n_oth if n_oth else np.nan
        for key in ("exits", "exporter_exits", "exits_20plus", "shrank_below_20", "census_base", "census_left",
                    "export_entries", "new_exporters",
                    "born_global",
                    "export_stops", "early_export_stops", "became_aware",
                    "alliances_formed", "alliances_dissolved"):
            row[key] = int(flows[key])
        row["entries"] = row["exits"]  # every exit is replaced by an entrant
        row["alliances"] = int((s.partner >= 0).sum())
        row["mean_competitiveness"] = float(comp.mean())
        row["mean_connectivity"] = float(conn.mean())
        row["mean_capability"] = float(ix.cap.mean())
        row["mean_knowledge_barrier"] = float(s.barriers[B["knowledge"]].mean())
        row["mean_le_openness"] = float(m.le.openness.mean()) if m.le.n else np.nan
        row["tariff_cut"] = m.tariff_cut
        row["budget_spent"] = step_budget
        for k, level in enumerate(LEVELS):
            row[f"budget_{level}"] = float(spent[k].sum())
        for k, stage in enumerate(POLICY_STAGES):
            row[f"budget_{stage}"] = float(spent[:, k].sum())
        row["cumulative_budget"] = self.cum_budget
        row["cumulative_new_exporters"] = self.cum_new
        row["cost_per_new_exporter"] = (self.cum_budget / self.cum_new
                                        if self.cum_budget > 0 and self.cum_new else np.nan)
        sales = flows["export_sales"]
        sme_sales = sales if sales is not None else np.nan
        le_sales = p["le_export_value"] * m.le.n
        row["sme_export_sales"] = sme_sales
        row["export_sellers"] = flows["export_sellers"]
        row["sme_export_share"] = sme_sales / (sme_sales + le_sales) if sme_sales + le_sales > 0 else np.nan
        home = home_sales(s, comp, p)
        row["home_sales"] = float(home.sum())
        row["mean_size"] = float(s.size.mean())
        # The WBES population and definition: 5+ workers (small and medium), direct exports >= 10% of sales.
        direct = np.flatnonzero(s.stage == EXPORTING)
        sales = m.export_sales[direct]
        intense = direct[sales >= WBES_MIN_EXPORT_SHARE * (sales + home[direct])]
        row["n_5plus"] = int(cls_n[1] + cls_n[2])
        row["direct_exporters_5plus"] = int((cls[intense] >= 1).sum())
        row["direct_export_share_5plus"] = row["direct_exporters_5plus"] / row["n_5plus"] if row["n_5plus"] else np.nan
        row["n_20plus"] = int(cls_n[2])
        # Export participation by the size classes of the WTO's figures (1-9, 10-49, 50-249 workers;
        # SMEs here stop at 99): direct exporters, as customs-based counts see them.
        wto = (s.size >= WTO_EDGES[0]).view(np.int8) + (s.size >= WTO_EDGES[1]).view(np.int8)
        counts = np.bincount(wto, minlength=len(WTO_CLASSES))
        exporters = np.bincount(wto[direct], minlength=len(WTO_CLASSES))
        for k, label in enumerate(WTO_CLASSES):
            row[f"n_{label}"] = int(counts[k])
            row[f"direct_exporters_{label}"] = int(exporters[k])
        self.rows.append(row)
        if self.record_regions:
            self._collect_regions(m, row["step"], flows, exporting, comp, conn)

    def _collect_regions(self, m: SMEModel, step: int, flows: dict[str, Any], exporting: np.ndarray,
                         comp: np.ndarray, conn: np.ndarray) -> None:
        s, r, spent = m.sme, m.world.n_regions, m.spent_step
        blocks = m.blocks
        counts = blocks.counts
        denom = np.maximum(counts, 1)
        reg: dict[str, np.ndarray] = {
            "step": np.full(r, step), "region": np.arange(r), "n_smes": counts,
        }
        by_stage = np.stack([blocks.sum(s.stage == k) for k in range(len(LIVE_STAGES))], axis=1)
        for k, name in enumerate(LIVE_STAGES):
            reg[f"share_{name}"] = by_stage[:, k] / denom
        reg["export_participation"] = blocks.sum(exporting) / denom
        reg["gvc_participation"] = by_stage[:, GVC] / denom
        reg["exits"] = flows["exits_by_region"]
        reg["export_entries"] = flows["entries_by_region"]
        reg["mean_competitiveness"] = blocks.sum(comp) / denom
        reg["mean_connectivity"] = blocks.sum(conn) / denom
        reg["budget_spent"] = spent.sum(axis=(0, 1))
        reg["local_capacity"] = m.world.capacity
        reg["infrastructure"] = m.region_infra.copy()
        self.region_rows.append(reg)

    def timeseries(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def regions(self) -> pd.DataFrame:
        if not self.region_rows:
            return pd.DataFrame()
        cols = self.region_rows[0].keys()
        return pd.DataFrame({c: np.concatenate([rr[c] for rr in self.region_rows]) for c in cols})
