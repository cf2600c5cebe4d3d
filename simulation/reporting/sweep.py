"""Figures and the self-contained HTML report of a global sensitivity sweep, from its tables only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from ..params import DUMMY, DUMMY_COLUMNS
from .figures import plt, sns
from .render import render, save_and_embed
from .sweep_reading import (
    SHOWN,
    horizon,
    label,
    outputs_of,
    pretty,
    ranked,
    ranking_sentences,
    reference,
    reference_words,
)
from .sweep_trends import convergence_lines, convergence_sentence, indices_over_time

BINS = 6
LABELLED = 6  # parameters named on the Morris plot


def _grid(n: int, height: float, width: float = 4.2) -> tuple[plt.Figure, np.ndarray]:
    ncols = min(3, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def index_bars(indices: pd.DataFrame, method_name: str, method: ModuleType) -> plt.Figure:
    """Bars of the ranking index per parameter (S1 and ST for variance-based methods), one panel per output."""
    h = horizon(indices)
    both = method.MAIN == "ST" and (h["index"] == "S1").any()
    shown = ["S1", "ST"] if both else [method.MAIN]
    outputs = outputs_of(h)
    n_par = h.loc[(h["index"] == method.MAIN) & (h["parameter"] != DUMMY), "parameter"].nunique()
    fig, axes = _grid(len(outputs), 0.3 * n_par * len(shown) + 1.5, 5.0)
    referenced = False
    for ax, out in zip(axes.flat, outputs):
        d = h[(h["output"] == out) & h["index"].isin(shown)]
        ref = reference(d, method.MAIN)
        d = d[d["parameter"] != DUMMY]
        order = ranked(d, method.MAIN)
        sns.barplot(data=d, x="value", y="parameter", hue="index", order=order, hue_order=shown, orient="h",
                    ax=ax, legend=ax is axes.flat[0] and both)
        # seaborn's errorbar is computed from the data; the method's intervals are drawn by hand,
        # at the same dodge offsets seaborn uses (bar group 0.8 wide, split evenly between hue levels)
        step = 0.8 / len(shown)
        for k, idx in enumerate(shown):
            e = d[(d["index"] == idx) & d["conf"].notna()]
            y = [order.index(p) + (k - (len(shown) - 1) / 2) * step for p in e["parameter"]]
            ax.errorbar(e["value"], y, xerr=e["conf"], fmt="none", ecolor="black", capsize=3, lw=1)
        ax.axvline(0, color="grey", lw=1)
        if ref is not None:
            ax.axvline(ref, color="firebrick", ls=":", lw=1.5)
            referenced = True
        ax.set_title(pretty(out), fontsize=10)
        ax.set(xlabel=" / ".join(SHOWN.get(i, i) for i in shown), ylabel="")
    note = " (lines: confidence interval)" if h["conf"].notna().any() else ""
    if referenced:
        note += f"\n(dotted: the {SHOWN.get(method.MAIN, method.MAIN)} of the reference, {reference_words(method)})"
    fig.suptitle(f"{method.TITLE}: indices at the horizon{note}")
    fig.tight_layout()
    return fig


def morris_scatter(indices: pd.DataFrame) -> plt.Figure:
    """Morris mu* against sigma per output, with the mu* intervals and the line sigma = mu*."""
    h = horizon(indices)
    outputs = outputs_of(h)
    fig, axes = _grid(len(outputs), 3.8, 4.4)
    for ax, out in zip(axes.flat, outputs):
        d = h[h["output"] == out].pivot(index="parameter", columns="index", values="value")
        conf = h[(h["output"] == out) & (h["index"] == "mu_star")].set_index("parameter")["conf"]
        sns.scatterplot(x=d["mu_star"], y=d["sigma"], ax=ax, s=40)
        ax.errorbar(d["mu_star"], d["sigma"], xerr=conf.reindex(d.index), fmt="none", ecolor="grey", capsize=2)
        reach = (d["mu_star"] + conf.reindex(d.index).fillna(0)).max()
        top = float(np.nanmax([reach, d["sigma"].max()])) * 1.1 or 1.0
        # with many parameters the weak ones pile up at the origin: label the strongest only
        size = d[["mu_star", "sigma"]].max(axis=1)
        for name, row in d.loc[size[size > 0.03 * top].nlargest(LABELLED).index].iterrows():
            ax.annotate(name, (row["mu_star"], row["sigma"]), xytext=(4, 3), textcoords="offset points",
                        fontsize=8)
        ax.plot([0, top], [0, top], color="grey", ls="--", lw=1)
        ax.set(xlim=(0, top), ylim=(0, top), xlabel="mu* (mean absolute elementary effect)", ylabel="sigma")
        ax.set_title(pretty(out), fontsize=10)
    fig.suptitle("Morris screening: above the dashed line (sigma > mu*) the effect is non-linear or interacting; "
                 f"the {LABELLED} strongest are named")
    fig.tight_layout()
    return fig


def _bins(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Bin code of each value and the bin labels: 6 equal-width bins, or one per value when there are fewer."""
    distinct = np.sort(values.unique())
    if len(distinct) <= BINS:  # Morris levels, integer parameters: equal-width bins would leave empty rows
        return pd.Series(np.searchsorted(distinct, values), index=values.index), [label(v) for v in distinct]
    edges = np.linspace(distinct[0], distinct[-1], BINS + 1)
    # integer codes, not labels: two bin centres may round to the same label
    codes = pd.cut(values, edges, include_lowest=True, labels=False)
    return codes, [label(c) for c in (edges[:-1] + edges[1:]) / 2]


def heatmaps(points: pd.DataFrame, indices: pd.DataFrame, method: ModuleType) -> plt.Figure | None:
    """Mean output over a 6 x 6 grid of the two most influential parameters, one panel per output.

    None when no output has two influential parameters that are columns of ``points``
    (e.g. a sweep by group, whose indices are per group, not per parameter).
    """
    h = horizon(indices)
    panels = []
    for out in outputs_of(h):
        top = [p for p in ranked(h[h["output"] == out], method.MAIN) if p in points.columns][:2]
        if len(top) == 2 and out in points.columns:
            panels.append((out, top))
    if not panels:
        return None
    fig, axes = _grid(len(panels), 4.0, 5.0)
    for ax, (out, (px, py)) in zip(axes.flat, panels):
        (cx, lx), (cy, ly) = _bins(points[px]), _bins(points[py])
        # reindex keeps empty cells as NaN, which seaborn leaves blank
        grid = points[out].groupby([cy, cx]).mean().unstack().reindex(index=range(len(ly)), columns=range(len(lx)))
        grid.index, grid.columns = ly, lx
        grid = grid.iloc[::-1]  # low values at the bottom, as on a plot
        sns.heatmap(grid, ax=ax, cmap="viridis", annot=grid.map(lambda v: "" if pd.isna(v) else label(v)),
                    fmt="", annot_kws={"fontsize": 7}, cbar_kws={"label": "mean " + out.replace("_", " ")})
        ax.set(xlabel=px, ylabel=py)
        ax.tick_params(axis="y", labelrotation=0)
        ax.grid(False)
        ax.set_title(pretty(out), fontsize=10)
    fig.suptitle(f"Mean output over the two parameters with the largest {SHOWN.get(method.MAIN, method.MAIN)} "
                 f"(bin centres; blank: no point)")
    fig.tight_layout()
    return fig


def _pm(v: float, c: float) -> str:
    return "–" if pd.isna(v) else f"{v:.3f}" + (f" ± {c:.3f}" if pd.notna(c) else "")


def _indices_table(h: pd.DataFrame, main: str) -> str:
    """One row per output and parameter, one column per index; by output, then largest main index first."""
    t = h.assign(cell=[_pm(v, c) for v, c in zip(h["value"], h["conf"])])
    wide = t.pivot(index=["output", "parameter"], columns="index", values="cell")[list(dict.fromkeys(h["index"]))]
    key = t[t["index"] == main].set_index(["output", "parameter"])["value"].reindex(wide.index)
    outs = pd.Index(outputs_of(h)).get_indexer(wide.index.get_level_values("output"))
    wide = wide.iloc[np.lexsort(((-key).fillna(np.inf).to_numpy(), outs))]  # rows without the main index last
    return wide.reset_index().rename_axis(columns=None).to_html(index=False, na_rep="–", escape=True)


def _noise_table(noise: pd.DataFrame) -> str:
    t = pd.DataFrame({"output": noise["output"], "seeds": noise["seeds"],
                      "point x seed sd": noise["interaction_sd"].map("{:.4g}".format),
                      "sd of point means": noise["between_sd"].map("{:.4g}".format),
                      "noise share": noise["noise_share"].map(lambda x: "–" if pd.isna(x) else f"{x:.1%}"),
                      "95% interval": [("–" if pd.isna(lo) else f"{lo:.1%} to {hi:.1%}")
                                       for lo, hi in zip(noise["share_low"], noise["share_high"])],
                      "measured on": noise["source"], "reading": noise["verdict"]})
    return t.to_html(index=False, escape=True)


def _params_table(manifest: Mapping[str, Any], points: pd.DataFrame, param_meanings: Mapping[str, str]) -> str:
    rows = []
    for name in manifest["params"]:
        # a group of parameters (sweep by group) has no bounds of its own: its members carry them
        low, high = manifest.get("bounds", {}).get(name) or (
            (points[name].min(), points[name].max()) if name in points.columns else ("–", "–"))
        rows.append({"parameter": name, "low": low, "high": high, "meaning": param_meanings.get(name, "")})
    return pd.DataFrame(rows).to_html(index=False, float_format="{:.4g}".format, escape=True)


NOISE_NOTE_OWN = ("Every sample point ran on its own random streams: the seed reference of this design re-keys "
                  "them at each value it takes, so the spread of the point means includes the whole seed noise, "
                  "and the reference input's index measures it on the same design. The noise share is the "
                  "variance between replicates at one point (measured on the replicates, or with one seed per "
                  "point on a few probe points run on extra seeds), divided by the seeds per point, as a part "
                  "of the spread of the point means, with its 95% interval. Under 5%: enough seeds. From 5 to "
                  "20%: the ranking of the strong parameters holds, but the indices of weak parameters are "
                  "blurred. Over 20%: the indices mostly measure noise; raise --seeds. Where the interval "
                  "straddles a threshold the reading says so.")

NOISE_NOTE = ("Every sample point ran on the same seeds and the analysis uses the mean over seeds. A seed that "
              "makes the world better for every parameter value shifts all point means alike and cancels out of "
              "the indices; what blurs them is the point x seed interaction (how a seed's effect differs from "
              "point to point), measured on the replicates, or with one seed per point on a few probe points run "
              "on extra seeds. The noise share is that interaction's part of the spread of the point means, with "
              "its 95% interval. Under 5%: enough seeds. From 5 to 20%: the ranking of the strong parameters "
              "holds, but the indices of weak parameters are blurred. Over 20%: the indices mostly measure "
              "noise; raise --seeds. Where the interval straddles a threshold the reading says so.")


def _own_streams(noise: pd.DataFrame) -> bool:
    """Whether the noise was measured within points (a design whose seed reference re-keys the streams)."""
    return "streams" in noise.columns and bool((noise["streams"] == "own").any())


def write_sweep_report(directory: Path, manifest: Mapping[str, Any], indices: pd.DataFrame, points: pd.DataFrame,
                       noise: pd.DataFrame, skipped: Sequence[Mapping[str, str]], method_name: str,
                       method: ModuleType, meanings: Mapping[str, str],
                       param_meanings: Mapping[str, str], convergence: pd.DataFrame | None = None) -> Path:
    """Write the figure PNGs into ``directory/figures`` and ``report.html`` into ``directory``.

    ``convergence``: the indices on the nested prefixes of the design (Sobol'), if any.
    """
    h = horizon(indices)
    made: dict[str, plt.Figure | None] = {}
    if not h.empty:
        made["indices"] = index_bars(indices, method_name, method)
        if method_name == "morris":
            made["morris"] = morris_scatter(indices)
        made["heatmaps"] = heatmaps(points, indices, method)
        made["over_time"] = indices_over_time(indices, method.MAIN)
    settled = ""
    if convergence is not None and convergence["samples"].nunique() > 1:
        made["convergence"] = convergence_lines(convergence, method.MAIN)
        settled = convergence_sentence(convergence, method.MAIN)
    images = save_and_embed(Path(directory), made)
    captions = {"indices": f"{method.TITLE} at the horizon",
                "morris": "Morris mu* against sigma",
                "heatmaps": "Where the two strongest parameters take each output",
                "over_time": "The indices year by year",
                "convergence": "Have the indices settled? The same sweep at N/8, N/4, N/2 and N"}

    nh = noise[noise["year"].isna()] if "year" in noise else noise
    samples = (manifest.get("config") or {}).get("samples")
    sentences = ranking_sentences(indices, method_name, method, meanings,
                                  noise_high=dict(zip(nh["output"], nh["share_high"])),
                                  samples=int(samples) if isinstance(samples, int) else None)
    for out, share, low in zip(nh["output"], nh["noise_share"], nh["share_low"]):
        if out in sentences and low >= 0.2:  # a ranking of mostly noise must not be read without warning
            sentences[out] += f" Caution: seed noise is {share:.0%} of the spread of its point means; raise --seeds."
        elif out in sentences and share > 0.2:
            sentences[out] += (f" Seed noise may be {share:.0%} of the spread of its point means (its interval "
                               f"reaches below 20%): read the weaker parameters with care.")
    return render("sweep.html", Path(directory), title=manifest["title"], manifest=manifest,
                  method_title=method.TITLE,
                  options=", ".join(f"{k}={v}" for k, v in manifest.get("options", {}).items()),
                  sentences=list(sentences.values()),
                  noise_note=NOISE_NOTE_OWN if _own_streams(noise) else NOISE_NOTE, noise_table=_noise_table(nh),
                  noise_per_year=len(nh) < len(noise), params_table=_params_table(manifest, points, param_meanings),
                  images=images, figures=[(key, captions[key]) for key in images],
                  indices_table=_indices_table(h, method.MAIN) if not h.empty else "", main=method.MAIN,
                  has_conf=bool(h["conf"].notna().any()), skipped=skipped,
                  has_reference=bool((h["parameter"] == DUMMY).any()), given_data=method.GIVEN_DATA,
                  reference_words=reference_words(method),
                  seed_reference=getattr(method, "REFERENCE", "") == "seed",
                  dummy_columns=DUMMY_COLUMNS, settled=settled,
                  per_year=bool(indices["year"].notna().any()))
