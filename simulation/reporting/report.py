"""The self-contained HTML report: figures embedded as PNG, tables as HTML, no server needed."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from . import figures


def _png(fig: plt.Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def save_figures(directory: Path, ts: pd.DataFrame, diffs: pd.DataFrame | None) -> dict[str, str]:
    """Write the figures as PNG files and return them base64-encoded for the report."""
    made = {"stage_composition": figures.stage_composition(ts), "key_outcomes": figures.key_outcomes(ts),
            "budget": figures.budget(ts)}
    if diffs is not None and not diffs.empty:
        made["differences"] = figures.forest(diffs)
    out = {}
    fig_dir = directory / "figures"
    fig_dir.mkdir(exist_ok=True)
    for name, fig in made.items():
        fig.savefig(fig_dir / f"{name}.png", dpi=110, bbox_inches="tight")
        out[name] = _png(fig)
    return out


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.higher{color:#0a6b2b;font-weight:600}.lower{color:#a31515;font-weight:600}code{background:#f3f3f3;padding:0 .2em}"""


def write_report(directory: Path, manifest: dict[str, Any], scenarios: list[dict[str, Any]],
                 summaries: pd.DataFrame, ts: pd.DataFrame, diffs: pd.DataFrame | None,
                 note: str = "") -> Path:
    """Write ``report.html`` (and the figure PNGs) into ``directory``."""
    imgs = save_figures(directory, ts, diffs)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(manifest['title'])}</title>"
             f"<style>{CSS}</style></head><body>",
             f"<h1>{html.escape(manifest['title'])}</h1>",
             f"<p><code>{html.escape(manifest['command'])}</code><br>{len(manifest['seeds'])} seeds, "
             f"{manifest['steps']} quarters, simulation {manifest['version']}, {html.escape(manifest['created'])}</p>"]
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    parts.append("<h2>Scenarios</h2><table><tr><th>scenario</th><th>title</th><th>hypothesis</th>"
                 "<th>budget (kUSD)</th><th>description</th></tr>")
    for s in scenarios:
        parts.append(f"<tr><td>{html.escape(s['name'])}</td><td>{html.escape(s['title'])}</td>"
                     f"<td>{html.escape(s['hypothesis'])}</td><td>{s['budget']:,.0f}</td>"
                     f"<td style='text-align:left'>{html.escape(s['description'])}</td></tr>")
    parts.append("</table>")
    if diffs is not None and not diffs.empty:
        parts.append(f"<h2>Differences from {html.escape(diffs['baseline'].iloc[0])}</h2>"
                     "<p>Each scenario ran on the same seeds as the baseline; "
                     "intervals are paired 95% t-intervals.</p>")
        parts.append(_diff_table(diffs))
        parts.append(f"<img alt='differences' src='data:image/png;base64,{imgs['differences']}'>")
    parts.append("<h2>Outcomes at the horizon (mean over seeds)</h2>")
    cols = ["exporters", "export_participation", "gvc_participation", "new_exporters", "exits",
            "budget_spent", "new_exporters_per_musd", "cost_per_new_exporter"]
    means = summaries.groupby("scenario")[cols].mean()
    parts.append(means.to_html(float_format=lambda x: f"{x:,.3f}", na_rep="–"))
    for key, title in (("stage_composition", "Stage composition"),
                       ("key_outcomes", "Exporters, GVC participation, exits"),
                       ("budget", "Budget spent by level and stage")):
        parts.append(f"<h2>{title}</h2><img alt='{key}' src='data:image/png;base64,{imgs[key]}'>")
    parts.append("<h2>Files</h2><p>timeseries, regions and summaries as Parquet and CSV; "
                 "<code>comparison.csv</code>; <code>manifest.json</code> (command, scenarios, seeds, versions).</p>")
    parts.append("</body></html>")
    path = directory / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _diff_table(diffs: pd.DataFrame) -> str:
    rows = ["<table><tr><th>scenario</th><th>outcome</th><th>baseline</th><th>scenario</th>"
            "<th>difference</th><th>95% CI</th><th>seeds</th><th>reading</th></tr>"]
    for r in diffs.itertuples():
        cls = r.verdict if r.verdict in ("higher", "lower") else ""
        rows.append(f"<tr><td>{html.escape(r.scenario)}</td><td>{html.escape(r.outcome)}</td>"
                    f"<td>{r.baseline_mean:,.4g}</td><td>{r.scenario_mean:,.4g}</td><td>{r.difference:+,.4g}</td>"
                    f"<td>[{r.ci_low:,.4g}, {r.ci_high:,.4g}]</td><td>{r.seeds}</td>"
                    f"<td class='{cls}'>{html.escape(r.verdict)}</td></tr>")
    rows.append("</table>")
    return "".join(rows)
