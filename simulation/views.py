"""The classroom app's charts: Vega-Lite specifications built with Altair, and the data they draw.

The browser draws the charts (SVG, through vega-embed); the server sends
each chart's specification once and, at every quarter, only its data: a few
hundred numbers. Each chart reads named data sets:

- ``live``: the run on screen; ``reference``: the faint run it is compared
  with (the reference scenario's policy in the same world, same seed);
- ``ghosts``: the exporters line of earlier runs on this page (key chart only).

:func:`specs` gives the specifications for a horizon, :func:`datasets` the
data of a model at its current quarter (the app passes the model's frozen
:class:`~simulation.classroom.Snapshot`). Nothing here imports Solara.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from .class_runs import SeedGaps
from .classroom import ClassroomModel, Snapshot
from .policy import LEVELS, POLICY_STAGES
from .state import LIVE_STAGES

STAGE_NAMES = {"precondition": "precondition", "strengthening": "strengthening", "exporting": "exporting",
               "gvc": "in a GVC"}
STAGE_COLOURS = {"precondition": "#cfcfcf", "strengthening": "#9ecae1", "exporting": "#3182bd",
                 "gvc": "#08306b"}
SERIES = {"exporting (incl. GVC)": ("export_participation", "#3182bd"),
          "in a GVC": ("gvc_participation", "#08306b"),
          "exits per quarter": ("exits", "#cb181d")}
EXPORTERS = "exporting (incl. GVC)"
TEXT = 14  # px: every label a class reads from the back of a room
CHARTS = ("outcomes", "stages", "budget", "regions", "network")
TITLES = {"outcomes": "Exporters, GVC participation and exits", "stages": "Stages of internationalization",
          "budget": "Budget spent", "regions": "Regions: stages, local capacity, infrastructure",
          "network": "Network: a sample of SMEs and every large enterprise"}
KEY_SIZE = (700, 300)    # the lesson's key chart, above the fold at 1280 x 720
SMALL_SIZE = (470, 240)  # the others, two to a row
DASH = [6, 4]


def _config(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """Readable text everywhere, no outer border, and no version pin (the browser's Vega-Lite 5 reads it)."""
    spec = (chart.configure(font="sans-serif")
            .configure_axis(labelFontSize=TEXT, titleFontSize=TEXT, titleFontWeight="normal", gridOpacity=0.5)
            .configure_legend(labelFontSize=TEXT, titleFontSize=TEXT, symbolSize=160, labelLimit=260)
            .configure_title(fontSize=TEXT + 2, subtitleFontSize=TEXT, anchor="start")
            .configure_view(strokeWidth=0)
            .configure_text(fontSize=TEXT)).to_dict()
    spec.pop("$schema", None)
    return spec


def _quarters(horizon: int) -> alt.X:
    return alt.X("q:Q", title="quarter", scale=alt.Scale(domain=[0, horizon], nice=False),
                 axis=alt.Axis(tickMinStep=4, values=list(range(0, horizon + 1, 4))))


def outcomes_spec(horizon: int, size: tuple[int, int] = KEY_SIZE) -> dict[str, Any]:
    """Exporters, GVC participation and exits (% of SMEs), live solid, reference dashed, earlier runs grey."""
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=list(SERIES),
                                                               range=[c for _, c in SERIES.values()]),
                       legend=alt.Legend(orient="top", direction="horizontal"))
    y = alt.Y("value:Q", title="% of SMEs", scale=alt.Scale(zero=True))
    x = _quarters(horizon)
    ghosts = alt.Chart(alt.Data(name="ghosts")).mark_line(color="#9a9a9a", strokeWidth=1.5, opacity=0.6).encode(
        x=x, y=y, detail="run:N")
    reference = alt.Chart(alt.Data(name="reference")).mark_line(strokeDash=DASH, strokeWidth=2, opacity=0.7).encode(
        x=x, y=y, color=colour)
    live = alt.Chart(alt.Data(name="live")).mark_line(strokeWidth=3.5).encode(x=x, y=y, color=colour)
    chart = alt.layer(ghosts, reference, live).properties(
        width=size[0], height=size[1],
        title=alt.Title(TITLES["outcomes"], subtitle="solid: live run · dashed: reference · grey: earlier runs"))
    return _config(chart)


def stages_spec(horizon: int, size: tuple[int, int] = SMALL_SIZE) -> dict[str, Any]:
    """Where the SMEs are: shares by stage, stacked; the reference's stage boundaries dashed."""
    names = [STAGE_NAMES[s] for s in LIVE_STAGES]
    x = _quarters(horizon)
    area = alt.Chart(alt.Data(name="live")).mark_area().encode(
        x=x, y=alt.Y("share:Q", stack="zero", title="% of SMEs", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("stage:N", title=None, scale=alt.Scale(domain=names, range=list(STAGE_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        order=alt.Order("order:Q"))
    bounds = alt.Chart(alt.Data(name="reference")).mark_line(color="black", strokeDash=DASH, opacity=0.6).encode(
        x=x, y="value:Q", detail="boundary:N")
    return _config(alt.layer(area, bounds).properties(
        width=size[0], height=size[1], title=alt.Title(TITLES["stages"], subtitle="dashed: the reference")))


def budget_spec(horizon: int, size: tuple[int, int] = SMALL_SIZE) -> dict[str, Any]:
    """Budget spent so far by policy level and by stage; the reference's to the same quarter as outlines."""
    groups = [*(f"{g} level" for g in LEVELS), *(f"{g} stage" for g in POLICY_STAGES)]
    y = alt.Y("group:N", title=None, sort=groups)
    x = alt.X("value:Q", title="kUSD spent so far")
    live = alt.Chart(alt.Data(name="live")).mark_bar(height=18).encode(
        y=y, x=x, color=alt.Color("kind:N", legend=None,
                                  scale=alt.Scale(domain=["level", "stage"], range=["#6a51a3", "#238b45"])))
    labels = alt.Chart(alt.Data(name="live")).mark_text(align="left", dx=4).encode(
        y=y, x=x, text=alt.Text("value:Q", format=",.0f"))
    reference = alt.Chart(alt.Data(name="reference")).mark_bar(
        height=24, fillOpacity=0, stroke="black", strokeDash=DASH, strokeOpacity=0.7).encode(y=y, x=x)
    return _config(alt.layer(reference, live, labels).properties(
        width=size[0], height=size[1], title=alt.Title(TITLES["budget"], subtitle="dashed outline: the reference")))


def regions_spec(horizon: int, size: tuple[int, int] = SMALL_SIZE) -> dict[str, Any]:
    """Each region's stage shares (stacked bars), its local government's capacity and its infrastructure."""
    names = [STAGE_NAMES[s] for s in LIVE_STAGES]
    y = alt.Y("region:N", title=None, sort=None)
    bars = alt.Chart(alt.Data(name="live")).mark_bar().encode(
        y=y, x=alt.X("share:Q", stack="zero", title="% of the region's SMEs", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("stage:N", title=None, scale=alt.Scale(domain=names, range=list(STAGE_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", direction="horizontal")),
        order=alt.Order("order:Q"))
    marks = alt.Chart(alt.Data(name="measures")).mark_point(filled=True, size=110, stroke="black").encode(
        y=y, x="value:Q",
        shape=alt.Shape("measure:N", title=None, scale=alt.Scale(
            domain=["local capacity (0-100)", "infrastructure (0-100)"], range=["diamond", "circle"]),
            legend=alt.Legend(orient="top", direction="horizontal")),
        fill=alt.Fill("measure:N", legend=None, scale=alt.Scale(
            domain=["local capacity (0-100)", "infrastructure (0-100)"], range=["#e6550d", "white"])))
    return _config(alt.layer(bars, marks).resolve_scale(color="independent").properties(
        width=size[0], height=size[1], title=TITLES["regions"]))


def network_spec(horizon: int, size: tuple[int, int] = SMALL_SIZE) -> dict[str, Any]:
    """A sample of SMEs (dots, by stage) and the large enterprises (squares): alliances and cluster ties."""
    names = [STAGE_NAMES[s] for s in LIVE_STAGES]
    hidden = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
    x = alt.X("x:Q", axis=hidden, scale=alt.Scale(domain=[-1.12, 1.12]))
    y = alt.Y("y:Q", axis=hidden, scale=alt.Scale(domain=[-1.12, 1.12]))
    edges = alt.Chart(alt.Data(name="edges")).mark_rule(opacity=0.6).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q",
        color=alt.Color("kind:N", title=None, scale=alt.Scale(domain=["alliance", "cluster tie"],
                                                              range=["#08306b", "#31a354"]),
                        legend=alt.Legend(orient="right")))
    smes = alt.Chart(alt.Data(name="smes")).mark_circle(size=60, stroke="#555555", strokeWidth=0.5,
                                                         opacity=1).encode(
        x=x, y=y, fill=alt.Fill("stage:N", title=None, scale=alt.Scale(domain=names,
                                                                         range=list(STAGE_COLOURS.values())),
                                legend=alt.Legend(orient="right")))
    les = alt.Chart(alt.Data(name="les")).mark_square(size=120, color="#fd8d3c", stroke="black").encode(x=x, y=y)
    side = min(size)
    return _config(alt.layer(edges, smes, les).resolve_scale(color="independent").properties(
        width=side, height=side, title=alt.Title(TITLES["network"], subtitle="sectors as wedges; "
                                                 "firms move inwards as they internationalize; squares: LEs")))


SPECS = {"outcomes": outcomes_spec, "stages": stages_spec, "budget": budget_spec, "regions": regions_spec,
         "network": network_spec}


def specs(horizon: int, key: str = "outcomes") -> dict[str, dict[str, Any]]:
    """Every chart's specification; ``key`` (the lesson's key chart) gets the large size."""
    return {name: SPECS[name](horizon, KEY_SIZE if name == key else SMALL_SIZE) for name in CHARTS}


# --- data ---------------------------------------------------------------------------------

def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # Plain Python numbers (JSON), NaN as None so a chart leaves a gap rather than failing.
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def exits_rate(ts: pd.DataFrame) -> np.ndarray:
    """Exits per quarter as % of SMEs (the start, step 0, is a state, not a quarter)."""
    rate = 100 * ts["exits"].to_numpy(float) / np.maximum(ts["n_smes"].to_numpy(float), 1.0)
    rate[ts["step"].to_numpy() == 0] = np.nan
    return rate


def outcome_lines(ts: pd.DataFrame, series: Iterable[str] = SERIES) -> pd.DataFrame:
    """Long table (q, series, value) of the key chart's lines, in % of SMEs."""
    parts = []
    for name in series:
        column = SERIES[name][0]
        value = exits_rate(ts) if column == "exits" else 100 * ts[column].to_numpy(float)
        parts.append(pd.DataFrame({"q": ts["step"].to_numpy(int), "series": name, "value": value}))
    return pd.concat(parts, ignore_index=True)


def _stage_area(ts: pd.DataFrame) -> pd.DataFrame:
    parts = [pd.DataFrame({"q": ts["step"].to_numpy(int), "stage": STAGE_NAMES[s], "order": k,
                           "share": 100 * ts[f"share_{s}"].to_numpy(float)}) for k, s in enumerate(LIVE_STAGES)]
    return pd.concat(parts, ignore_index=True)


def _stage_bounds(ts: pd.DataFrame) -> pd.DataFrame:
    cumulative = np.cumsum([100 * ts[f"share_{s}"].to_numpy(float) for s in LIVE_STAGES], axis=0)
    parts = [pd.DataFrame({"q": ts["step"].to_numpy(int), "boundary": k, "value": row})
             for k, row in enumerate(cumulative[:-1])]
    return pd.concat(parts, ignore_index=True)


def _budget(ts: pd.DataFrame) -> pd.DataFrame:
    rows = [{"group": f"{g} level", "kind": "level", "value": float(ts[f"budget_{g}"].sum())} for g in LEVELS]
    rows += [{"group": f"{g} stage", "kind": "stage", "value": float(ts[f"budget_{g}"].sum())}
             for g in POLICY_STAGES]
    return pd.DataFrame(rows)


def _regions(reg: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    label = [f"region {r}" for r in reg["region"]]
    bars = pd.concat([pd.DataFrame({"region": label, "stage": STAGE_NAMES[s], "order": k,
                                    "share": 100 * reg[f"share_{s}"].to_numpy(float)})
                      for k, s in enumerate(LIVE_STAGES)], ignore_index=True)
    measures = pd.concat([pd.DataFrame({"region": label, "measure": "local capacity (0-100)",
                                        "value": 100 * reg["local_capacity"].to_numpy(float)}),
                          pd.DataFrame({"region": label, "measure": "infrastructure (0-100)",
                                        "value": 100 * reg["infrastructure"].to_numpy(float)})], ignore_index=True)
    return bars, measures


def _network(model: ClassroomModel | Snapshot) -> dict[str, list[dict[str, Any]]]:
    net = model.network()
    stage = [STAGE_NAMES[LIVE_STAGES[min(int(k), len(LIVE_STAGES) - 1)]] for k in net.sme_stage]
    smes = [{"x": float(x), "y": float(y), "stage": s} for (x, y), s in zip(net.sme_xy, stage)]
    les = [{"x": float(x), "y": float(y)} for x, y in net.le_xy]
    edges = [{"x": float(net.sme_xy[a, 0]), "y": float(net.sme_xy[a, 1]), "x2": float(net.le_xy[b, 0]),
              "y2": float(net.le_xy[b, 1]), "kind": "alliance"} for a, b in net.alliances]
    edges += [{"x": float(net.sme_xy[a, 0]), "y": float(net.sme_xy[a, 1]), "x2": float(net.sme_xy[b, 0]),
               "y2": float(net.sme_xy[b, 1]), "kind": "cluster tie"} for a, b in net.ties]
    return {"smes": smes, "les": les, "edges": edges}


def datasets(model: ClassroomModel | Snapshot, ghosts: Sequence[pd.DataFrame] = (),
             charts: Iterable[str] = CHARTS) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each chart's named data sets at the model's current quarter.

    ``ghosts`` are earlier runs' time series; the key chart draws their
    exporters line in grey.
    """
    ts, ref = model.timeseries(), model.reference_ts
    now = int(ts["step"].iloc[-1])
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in charts:
        if name == "outcomes":
            ghost = [outcome_lines(g, [EXPORTERS]).assign(run=k) for k, g in enumerate(ghosts)]
            out[name] = {"live": _records(outcome_lines(ts)), "reference": _records(outcome_lines(ref)),
                         "ghosts": _records(pd.concat(ghost, ignore_index=True)) if ghost else []}
        elif name == "stages":
            out[name] = {"live": _records(_stage_area(ts)), "reference": _records(_stage_bounds(ref))}
        elif name == "budget":
            out[name] = {"live": _records(_budget(ts)), "reference": _records(_budget(ref[ref["step"] <= now]))}
        elif name == "regions":
            bars, measures = _regions(model.regions_now())
            out[name] = {"live": _records(bars), "measures": _records(measures)}
        elif name == "network":
            out[name] = _network(model)
    return out


def seeds_spec(size: tuple[int, int] = SMALL_SIZE) -> dict[str, Any]:
    """'Run 20 seeds': the gap in exporter-years over the run, one bar per seed, and its mean."""
    bars = alt.Chart(alt.Data(name="gaps")).mark_bar().encode(
        x=alt.X("seed:O", title="seed"), y=alt.Y("gap:Q", title="exporter-years, live minus reference"),
        color=alt.condition("datum.gap >= 0", alt.value("#3182bd"), alt.value("#cb181d")))
    mean = alt.Chart(alt.Data(name="mean")).mark_rule(strokeDash=DASH, strokeWidth=2, color="black").encode(
        y="mean:Q")
    return _config(alt.layer(bars, mean).properties(
        width=size[0], height=size[1] - 40,
        title=alt.Title("The gap in exporter-years over the run, seed by seed",
                        subtitle="dashed: the mean over seeds")))


def seeds_data(result: SeedGaps, outcome: str = "exporter_years") -> dict[str, list[dict[str, Any]]]:
    """The seeds chart's data: ``outcome``'s gap on each seed of ``result``, and its mean."""
    gaps = [{"seed": int(s), "gap": float(g)} for s, g in zip(result.seeds, result.gaps(outcome))]
    return {"gaps": _records(pd.DataFrame(gaps, columns=["seed", "gap"])), "mean": [{"mean": result.mean(outcome)}]}
