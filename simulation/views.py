"""The classroom app's charts, as Matplotlib figures (no pyplot: the app draws from several threads).

Each function takes a :class:`~simulation.classroom.ClassroomModel` and
returns a new :class:`matplotlib.figure.Figure`. Time runs over the whole
horizon from the first quarter, so the faint reference line is there in full
and the live line grows beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from .classroom import ClassroomModel
from .policy import LEVELS, POLICY_STAGES
from .state import LIVE_STAGES

STAGE_NAMES = {"precondition": "precondition", "strengthening": "strengthening", "exporting": "exporting",
               "gvc": "in a global value chain"}
STAGE_COLOURS = {"precondition": "#cfcfcf", "strengthening": "#9ecae1", "exporting": "#3182bd",
                 "gvc": "#08306b"}
FAINT = {"alpha": 0.45, "linestyle": "--", "linewidth": 1.4}
SIZE = (6.4, 3.4)  # inches at 100 dpi: two charts side by side on a 1280-pixel projector
# How the app sends a chart: SVG stays sharp on any projector and encodes faster than PNG
# (text becomes paths, so no font has to be on the students' machines).
SAVE = {"format": "svg"}


def _figure(left: float = 0.09, right: float = 0.98, bottom: float = 0.15, top: float = 0.9,
            height: float = SIZE[1]) -> tuple[Figure, object]:
    # Fixed margins: a layout engine would double the drawing time, and the app redraws every quarter.
    fig = Figure(figsize=(SIZE[0], height), dpi=100)
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    return fig, fig.add_subplot()


def _time_axis(ax, model: ClassroomModel) -> None:
    ax.set_xlim(0, model.horizon)
    ax.set_xlabel("quarter")
    ax.grid(alpha=0.25)


def stage_figure(model: ClassroomModel) -> Figure:
    """Where the SMEs are: shares by stage (stacked), with the reference's stage boundaries dashed."""
    ts, ref = model.timeseries(), model.reference_ts
    fig, ax = _figure()
    shares = [100 * ts[f"share_{s}"].to_numpy() for s in LIVE_STAGES]
    ax.stackplot(ts["step"], shares, colors=[STAGE_COLOURS[s] for s in LIVE_STAGES],
                 labels=[STAGE_NAMES[s] for s in LIVE_STAGES])
    bounds = np.cumsum([100 * ref[f"share_{s}"].to_numpy() for s in LIVE_STAGES], axis=0)
    for row in bounds[:-1]:
        ax.plot(ref["step"], row, color="black", **FAINT)
    ax.plot([], [], color="black", label="reference (dashed)", **FAINT)
    _time_axis(ax, model)
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of SMEs")
    ax.set_title("Stages of internationalization", loc="left", fontsize=11)
    ax.legend(loc="lower left", fontsize=7.5, framealpha=0.85)
    return fig


def _exits_rate(ts: pd.DataFrame) -> np.ndarray:
    rate = 100 * ts["exits"].to_numpy(float) / ts["n_smes"].to_numpy(float)
    rate[ts["step"].to_numpy() == 0] = np.nan  # the start is a state, not a quarter
    return rate


def outcomes_figure(model: ClassroomModel) -> Figure:
    """Exporters, GVC participation and exits per quarter, live (solid) and reference (dashed)."""
    ts, ref = model.timeseries(), model.reference_ts
    fig, ax = _figure()
    series = (("exporting (incl. GVC)", "export_participation", "#3182bd"),
              ("in a global value chain", "gvc_participation", "#08306b"))
    for label, column, colour in series:
        ax.plot(ts["step"], 100 * ts[column], color=colour, linewidth=2.2, label=label)
        ax.plot(ref["step"], 100 * ref[column], color=colour, **FAINT)
    ax.plot(ts["step"], _exits_rate(ts), color="#cb181d", linewidth=2.2, label="exits per quarter")
    ax.plot(ref["step"], _exits_rate(ref), color="#cb181d", **FAINT)
    ax.plot([], [], color="black", label="reference (dashed)", **FAINT)
    _time_axis(ax, model)
    top = max(np.nanmax(100 * ref["export_participation"]), np.nanmax(100 * ts["export_participation"]),
              np.nanmax(_exits_rate(ref)), np.nanmax(np.nan_to_num(_exits_rate(ts))), 1.0)
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel("% of SMEs")
    ax.set_title("Exporters, GVC participation and exits", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=7.5, framealpha=0.85)
    return fig


def budget_figure(model: ClassroomModel) -> Figure:
    """Budget spent so far by policy level and by stage; the reference's spending to the same quarter as outlines."""
    ts, ref = model.timeseries(), model.reference_ts
    now = int(ts["step"].iloc[-1])
    ref_now = ref[ref["step"] <= now]
    groups = [*LEVELS, *POLICY_STAGES]
    live = [float(ts[f"budget_{g}"].sum()) for g in groups]
    faint = [float(ref_now[f"budget_{g}"].sum()) for g in groups]
    fig, ax = _figure(left=0.23)
    y = np.arange(len(groups))[::-1]
    colours = ["#6a51a3"] * len(LEVELS) + ["#238b45"] * len(POLICY_STAGES)
    ax.barh(y, live, color=colours, height=0.6, label="live run")
    ax.barh(y, faint, fill=False, edgecolor="black", linestyle="--", alpha=0.6, height=0.75, label="reference")
    ax.set_yticks(y, [f"{g} level" if g in LEVELS else f"{g} stage" for g in groups], fontsize=8.5)
    for yy, value in zip(y, live):
        ax.text(value, yy, f" {value:,.0f}", va="center", fontsize=7.5)
    ax.set_xlim(0, max(max(live), max(faint), 1.0) * 1.2)
    ax.set_xlabel(f"kUSD spent, quarters 1-{now}" if now else "kUSD spent (nothing yet)")
    ax.set_title(f"Budget spent: {sum(live[:len(LEVELS)]):,.0f} kUSD", loc="left", fontsize=11)
    ax.legend(loc="upper right", fontsize=7.5)
    return fig


def regions_figure(model: ClassroomModel) -> Figure:
    """Each region's stage shares (stacked bars) and its local government's capacity (diamond)."""
    reg = model.regions_now()
    fig, ax = _figure(left=0.11, right=0.7)
    y = reg["region"].to_numpy()[::-1]
    left = np.zeros(len(reg))
    for s in LIVE_STAGES:
        width = 100 * reg[f"share_{s}"].to_numpy()
        ax.barh(y, width, left=left, color=STAGE_COLOURS[s], height=0.75, label=STAGE_NAMES[s])
        left += width
    ax.scatter(100 * reg["local_capacity"], y, marker="D", color="#e6550d", edgecolor="black", zorder=3,
               label="local capacity (0-100)")
    ax.scatter(100 * reg["infrastructure"], y, marker="o", facecolor="none", edgecolor="black", zorder=3,
               label="infrastructure (0-100)")
    ax.set_yticks(y, [f"region {r}" for r in reg["region"]], fontsize=7.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the region's SMEs")
    ax.set_title("Regions: stages, local capacity, infrastructure", loc="left", fontsize=11)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7.5, frameon=False)
    return fig


def network_figure(model: ClassroomModel) -> Figure:
    """A sample of SMEs (dots, by stage) and the large enterprises (squares): alliances and cluster ties."""
    net = model.network()
    fig, ax = _figure(left=0.0, right=0.72, bottom=0.0, top=0.92, height=SIZE[1] + 0.6)
    if len(net.ties):
        ax.add_collection(LineCollection(net.sme_xy[net.ties], colors="#31a354", linewidths=0.8, alpha=0.6))
    if len(net.alliances):
        segments = np.stack([net.sme_xy[net.alliances[:, 0]], net.le_xy[net.alliances[:, 1]]], axis=1)
        ax.add_collection(LineCollection(segments, colors="#08306b", linewidths=1.0, alpha=0.7))
    for k, s in enumerate(LIVE_STAGES):
        pick = net.sme_stage == k
        ax.scatter(net.sme_xy[pick, 0], net.sme_xy[pick, 1], s=22, color=STAGE_COLOURS[s], edgecolor="#555555",
                   linewidth=0.4, label=STAGE_NAMES[s], zorder=3)
    ax.scatter(net.le_xy[:, 0], net.le_xy[:, 1], marker="s", s=46, color="#fd8d3c", edgecolor="black",
               label="large enterprise", zorder=4)
    ax.plot([], [], color="#08306b", label=f"alliance ({len(net.alliances)})")
    ax.plot([], [], color="#31a354", label=f"cluster tie ({len(net.ties)})")
    ax.set_xlim(-1.12, 1.12)
    ax.set_ylim(-1.12, 1.12)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"Network: {len(net.sme_rows)} of {model.sme.n:,} SMEs, sectors as wedges", loc="left",
                 fontsize=11)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7.5, frameon=False)
    return fig


FIGURES = {"stages": stage_figure, "outcomes": outcomes_figure, "budget": budget_figure,
           "regions": regions_figure, "network": network_figure}
