"""The self-contained HTML report of a run or comparison: figures embedded as PNG, tables as HTML, no server needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import figures
from .render import render, save_and_embed

OUTCOME_COLUMNS = ["exporter_years", "lasting_entrants", "exporters", "export_participation",
                   "gvc_participation", "new_exporters", "exits",
                   "budget_spent", "new_exporters_per_musd", "cost_per_new_exporter"]
FIGURES = (("stage_composition", "Stage composition"),
           ("key_outcomes", "Exporters, GVC participation, exits"),
           ("budget", "Budget spent by level and stage"))


def save_figures(directory: Path, ts: pd.DataFrame, diffs: pd.DataFrame | None) -> dict[str, str]:
    """Write the figures as PNG files and return them base64-encoded for the report."""
    made = {"stage_composition": figures.stage_composition(ts), "key_outcomes": figures.key_outcomes(ts),
            "budget": figures.budget(ts)}
    if diffs is not None and not diffs.empty:
        made["differences"] = figures.forest(diffs)
    return save_and_embed(Path(directory), made)


def write_report(directory: Path, manifest: dict[str, Any], scenarios: list[dict[str, Any]],
                 summaries: pd.DataFrame, ts: pd.DataFrame, diffs: pd.DataFrame | None,
                 note: str = "") -> Path:
    """Write ``report.html`` (and the figure PNGs) into ``directory``."""
    images = save_figures(directory, ts, diffs)
    has_diffs = diffs is not None and not diffs.empty
    means = summaries.groupby("scenario")[OUTCOME_COLUMNS].mean()
    return render("run.html", Path(directory), title=manifest["title"], manifest=manifest,
                  note=note, scenarios=scenarios, images=images, figures=FIGURES,
                  diffs=diffs.to_dict("records") if has_diffs else [],
                  baseline=diffs["baseline"].iloc[0] if has_diffs else None,
                  means_table=means.to_html(float_format=lambda x: f"{x:,.3f}", na_rep="–", escape=True))
