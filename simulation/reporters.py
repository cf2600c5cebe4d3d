"""Reporters: what is recorded each quarter, for the whole economy and by region.

The :class:`Recorder` plays the part of Mesa's DataCollector, computing all
measures in a few vectorized passes and returning tidy pandas tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .policy import LEVELS, POLICY_STAGES
from .state import EXPORTING, GVC, LIVE_STAGES, SIZE_CLASSES, B

# Populations the stylized facts' sources measured (calibration/targets.toml):
# the World Bank Enterprise Survey covers firms of 5+ workers and counts a firm
# as a direct exporter when exports are at least 10% of its sales; Indonesia's
# manufacturing census covers establishments of 20+ workers.
WBES_MIN_WORKERS = 5
WBES_MIN_EXPORT_SHARE = 0.10
CENSUS_MIN_WORKERS = 20
# The plant panels behind export persistence (Colombia's manufacturing census) cover plants of 10+ workers.
PANEL_MIN_WORKERS = 10
WTO_CLASSES: tuple[str, ...] = ("1_9", "10_49", "50_99")
WTO_EDGES = np.array([10.0, 50.0])  # the lower bounds of the second and third class

if TYPE_CHECKING:
    from .engine import Batch

_INT = np.int64


def _count(run: np.ndarray, k: int) -> np.ndarray:
    """Rows per run (``run``: the run of each selected row)."""
    return np.bincount(run, minlength=k)


def _by(run: np.ndarray, code: np.ndarray, width: int, k: int) -> np.ndarray:
    """Counts per (run, code), shape (K, width)."""
    return np.bincount(run * width + code, minlength=k * width).reshape(k, width)


def _by_region(spent: np.ndarray) -> np.ndarray:
    """Spending per region over all levels and stages, added in one fixed order (a NumPy sum over
    several axes may pair terms differently for one region than for many)."""
    total = np.zeros(spent.shape[-1])
    for cell in spent.reshape(-1, spent.shape[-1]):
        total += cell
    return total


def _median_by_run(run: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Median of ``values`` within each run (NaN for a run with none), in one sort."""
    order = np.lexsort((values, run))
    v = values[order]
    n = np.bincount(run, minlength=k)
    start = np.concatenate(([0], np.cumsum(n)[:-1]))
    lo, hi = start + (n - 1) // 2, start + n // 2
    has = n > 0
    out = np.full(k, np.nan)
    out[has] = 0.5 * (v[lo[has]] + v[hi[has]])
    return out


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


class Recorder:
    """Collects one row per quarter for every run of a batch (step 0 is the state after warm-up).

    Each measure is computed for all runs at once (counts by run, sums over
    each run's own rows); ``timeseries(k)`` and ``regions(k)`` are run k's tables.
    """

    def __init__(self, batch: Batch, regions: bool = True) -> None:
        self.record_regions = regions  # sweeps need only the economy-wide series
        self.k = batch.k
        self.columns: dict[str, list[np.ndarray]] = {}
        self.region_columns: dict[str, list[np.ndarray]] = {}
        self.cum_budget = np.zeros(batch.k)
        self.cum_new = np.zeros(batch.k, _INT)
        self._region_bounds = batch.stack.region_bounds

    def collect(self, b: Batch, flows: dict[str, Any] | None) -> None:
        """Record the quarter just run (``flows``: its flows; None for the starting state)."""
        s, p, stack, k = b.sme, b.p, b.stack, b.k
        run = stack.run_of_row
        n = stack.rows
        live = len(LIVE_STAGES)
        stage_counts = _by(run, s.stage.astype(_INT), live, k)
        exporting = (s.stage == EXPORTING) | (s.stage == GVC)
        ix = b.indices.fresh()
        comp, conn = ix.comp, ix.conn
        spent = stack.per_run(_by_region(b.spent_step), "region")
        self.cum_budget = self.cum_budget + spent
        new_exporters = flows["new_exporters"] if flows is not None else np.zeros(k, _INT)
        self.cum_new = self.cum_new + new_exporters

        row: dict[str, np.ndarray] = {"step": np.full(k, max(b.t, 0)), "n_smes": n}
        for j, name in enumerate(LIVE_STAGES):
            row[f"n_{name}"] = stage_counts[:, j]
        for j, name in enumerate(LIVE_STAGES):
            row[f"share_{name}"] = stage_counts[:, j] / n
        n_exp = _count(run[exporting], k)
        row["exporters"] = n_exp
        row["export_participation"] = n_exp / n
        row["exporters_low_capacity"] = _count(run[exporting & b.low_capacity[s.region]], k)
        row["gvc_participation"] = stage_counts[:, GVC] / n
        cls = s.size_class.astype(_INT)
        cls_n = _by(run, cls, 3, k)
        cls_x = _by(run[exporting], cls[exporting], 3, k)
        for j, name in enumerate(SIZE_CLASSES):
            row[f"export_participation_{name}"] = _share(cls_x[:, j], cls_n[:, j])
            row[f"share_{name}"] = cls_n[:, j] / n
        # Credit rationing (Minetti & Zhu, 2011, who control for size): only micro firms can be
        # rationed in the model, so rationed and other firms are compared within the micro class.
        micro = cls == 0
        rationed = micro & ~b.has_collateral()
        n_rat = _count(run[rationed], k)
        n_oth = _count(run[micro & ~rationed], k)
        x_rat = _count(run[exporting & rationed], k)
        row["export_participation_rationed"] = _share(x_rat, n_rat)
        row["export_participation_unrationed"] = _share(cls_x[:, 0] - x_rat, n_oth)
        for key in ("exits", "exporter_exits", "exits_20plus", "shrank_below_20", "census_base", "census_left",
                    "export_entries", "new_exporters", "born_global", "export_stops", "early_export_stops",
                    "became_aware", "alliances_formed", "alliances_dissolved", "lasting_entrants",
                    "persistence_base", "persistence_stayed"):
            row[key] = flows[key] if flows is not None else np.zeros(k, _INT)
        row["entries"] = row["exits"]  # every exit is replaced by an entrant
        row["alliances"] = _count(run[s.partner >= 0], k)
        row["mean_competitiveness"] = stack.per_run(comp) / n
        row["mean_connectivity"] = stack.per_run(conn) / n
        row["mean_capability"] = stack.per_run(ix.cap) / n
        row["mean_knowledge_barrier"] = stack.per_run(s.barriers[B["knowledge"]]) / n
        row["mean_le_openness"] = _share(stack.per_run(b.le.openness, "le"), stack.les)
        row["tariff_cut"] = b.tariff_cut.copy()
        row["budget_spent"] = spent
        for j, level in enumerate(LEVELS):
            row[f"budget_{level}"] = stack.per_run(b.spent_step[j].sum(axis=0), "region")
        for j, stage in enumerate(POLICY_STAGES):
            row[f"budget_{stage}"] = stack.per_run(b.spent_step[:, j].sum(axis=0), "region")
        row["cumulative_budget"] = self.cum_budget
        row["cumulative_new_exporters"] = self.cum_new
        row["cost_per_new_exporter"] = np.where((self.cum_budget > 0) & (self.cum_new > 0),
                                                self.cum_budget / np.maximum(self.cum_new, 1), np.nan)
        sme_sales = flows["export_sales"] if flows is not None else np.full(k, np.nan)
        le_sales = p.run("le_export_value") * stack.les
        row["sme_export_sales"] = sme_sales
        # What exporting earns (the sales are this over the operating margin on exports): a decision's currency.
        row["sme_foreign_profit"] = flows["foreign_profit"] if flows is not None else np.full(k, np.nan)
        row["export_sellers"] = flows["export_sellers"] if flows is not None else np.zeros(k, _INT)
        total = sme_sales + le_sales
        row["sme_export_share"] = np.where(total > 0, sme_sales / np.where(total > 0, total, 1.0), np.nan)
        home = b.home_sales
        row["home_sales"] = stack.per_run(home)
        row["mean_size"] = stack.per_run(s.size) / n
        # The WBES population and definition: 5+ workers (small and medium), direct exports >= 10% of sales.
        direct = np.flatnonzero(s.stage == EXPORTING)
        sales = b.export_sales[direct]
        intense = direct[sales >= WBES_MIN_EXPORT_SHARE * (sales + home[direct])]
        row["n_5plus"] = cls_n[:, 1] + cls_n[:, 2]
        row["direct_exporters_5plus"] = _count(run[intense[cls[intense] >= 1]], k)
        row["direct_export_share_5plus"] = _share(row["direct_exporters_5plus"], row["n_5plus"])
        row["n_20plus"] = cls_n[:, 2]
        # Export intensity (export over total sales) of direct exporters of 5+ workers, its median per run.
        firms = direct[cls[direct] >= 1]
        exported = b.export_sales[firms]
        row["median_export_intensity"] = _median_by_run(run[firms], exported / (exported + home[firms]), k)
        # Export participation by the size classes of the WTO's figures (1-9, 10-49, 50-249 workers;
        # SMEs here stop at 99): direct exporters, as customs-based counts see them.
        wto = ((s.size >= WTO_EDGES[0]).view(np.int8) + (s.size >= WTO_EDGES[1]).view(np.int8)).astype(_INT)
        counts = _by(run, wto, len(WTO_CLASSES), k)
        exporters = _by(run[direct], wto[direct], len(WTO_CLASSES), k)
        for j, label in enumerate(WTO_CLASSES):
            row[f"n_{label}"] = counts[:, j]
            row[f"direct_exporters_{label}"] = exporters[:, j]
        for name, values in row.items():
            self.columns.setdefault(name, []).append(np.asarray(values))
        if self.record_regions:
            self._collect_regions(b, flows, exporting, comp, conn)

    def _collect_regions(self, b: Batch, flows: dict[str, Any] | None, exporting: np.ndarray,
                         comp: np.ndarray, conn: np.ndarray) -> None:
        s, blocks, stack = b.sme, b.blocks, b.stack
        r = len(b.world.capacity)
        counts = blocks.counts
        denom = np.maximum(counts, 1)
        zeros = np.zeros(r, _INT)
        reg: dict[str, np.ndarray] = {
            "step": np.full(r, max(b.t, 0)), "region": np.arange(r) - stack.region_bounds[stack.run_of_region],
            "n_smes": counts,
        }
        by_stage = np.stack([blocks.sum(s.stage == j) for j in range(len(LIVE_STAGES))], axis=1)
        for j, name in enumerate(LIVE_STAGES):
            reg[f"share_{name}"] = by_stage[:, j] / denom
        reg["export_participation"] = blocks.sum(exporting) / denom
        reg["gvc_participation"] = by_stage[:, GVC] / denom
        reg["exits"] = flows["exits_by_region"] if flows is not None else zeros
        reg["export_entries"] = flows["entries_by_region"] if flows is not None else zeros
        reg["mean_competitiveness"] = blocks.sum(comp) / denom
        reg["mean_connectivity"] = blocks.sum(conn) / denom
        reg["budget_spent"] = _by_region(b.spent_step)
        reg["local_capacity"] = b.world.capacity
        reg["infrastructure"] = b.region_infra.copy()
        for name, values in reg.items():
            self.region_columns.setdefault(name, []).append(np.asarray(values))

    def latest(self, k: int = 0) -> dict[str, Any]:
        """Run k's row for the last quarter recorded."""
        return {name: values[-1][k].item() for name, values in self.columns.items()}

    def timeseries(self, k: int = 0) -> pd.DataFrame:
        """Run k's quarterly table."""
        return pd.DataFrame({name: np.array([v[k] for v in values]) for name, values in self.columns.items()})

    def regions(self, k: int = 0) -> pd.DataFrame:
        """Run k's regional table (one row per region and quarter)."""
        if not self.region_columns:
            return pd.DataFrame()
        a, b = int(self._region_bounds[k]), int(self._region_bounds[k + 1])
        return pd.DataFrame({name: np.concatenate([v[a:b] for v in values])
                             for name, values in self.region_columns.items()})

    def regions_now(self, k: int = 0) -> pd.DataFrame:
        """Run k's regions at the last quarter recorded."""
        a, b = int(self._region_bounds[k]), int(self._region_bounds[k + 1])
        return pd.DataFrame({name: values[-1][a:b] for name, values in self.region_columns.items()})
