"""Seaborn figures of run results. Each function takes plain tables and returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from ..policy import LEVELS, POLICY_STAGES  # noqa: E402
from ..state import LIVE_STAGES  # noqa: E402

sns.set_theme(style="whitegrid", context="notebook")
STAGE_LABELS = {"precondition": "Precondition", "strengthening": "Strengthening", "exporting": "Exporting",
                "gvc": "GVC-integrated"}


def compact(x: float) -> str:
    """A tick label of at most a few characters: 150000 -> 150k, 2500000 -> 2.5M, 0.004 -> 0.004."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:g}{unit}"
    return f"{x:g}"


def stage_composition(ts: pd.DataFrame) -> plt.Figure:
    """Share of SMEs in each stage over time, mean over seeds with 95% bands, one panel per stage."""
    long = ts.melt(id_vars=["scenario", "seed", "step"], value_vars=[f"share_{s}" for s in LIVE_STAGES],
                   var_name="stage", value_name="share")
    long["stage"] = long["stage"].str.removeprefix("share_").map(STAGE_LABELS)
    g = sns.relplot(data=long, x="step", y="share", hue="scenario", col="stage", kind="line",
                    errorbar=("se", 1.96), col_wrap=2, height=3, aspect=1.4, facet_kws={"sharey": False})
    g.set_axis_labels("quarter", "share of SMEs")
    g.figure.suptitle("Stage composition (mean over seeds, 95% band)", y=1.02)
    return g.figure


def key_outcomes(ts: pd.DataFrame) -> plt.Figure:
    """Export participation, GVC participation, exits, export sales and mean size over time."""
    cols = {"export_participation": "export participation", "gvc_participation": "GVC participation",
            "exits": "exits per quarter", "sme_export_sales": "SME export sales (kUSD/quarter)",
            "mean_size": "mean employment (workers)"}
    long = ts.melt(id_vars=["scenario", "seed", "step"], value_vars=[c for c in cols if c in ts], var_name="outcome")
    long["outcome"] = long["outcome"].map(cols)
    g = sns.relplot(data=long, x="step", y="value", hue="scenario", col="outcome", kind="line", col_wrap=3,
                    errorbar=("se", 1.96), height=3, aspect=1.3, facet_kws={"sharey": False})
    g.set_axis_labels("quarter", "")
    g.figure.suptitle("Exporters, GVC participation, exits, export sales and firm size (95% band)", y=1.04)
    return g.figure


def forest(diffs: pd.DataFrame) -> plt.Figure:
    """Differences from the baseline with paired 95% intervals, one panel per outcome."""
    outcomes = list(dict.fromkeys(diffs["outcome"]))
    scenarios = list(dict.fromkeys(diffs["scenario"]))
    ncols = min(3, len(outcomes))
    nrows = -(-len(outcomes) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, (0.45 * len(scenarios) + 1.3) * nrows),
                             squeeze=False)
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    for ax, out in zip(axes.flat, outcomes):
        d = diffs[diffs["outcome"] == out]
        y = [scenarios.index(s) for s in d["scenario"]]
        # arrays, not Series or lists: matplotlib calls float() on a one-element Series (deprecated in
        # pandas 2.2) and on each array of a list (deprecated in numpy 1.25)
        mid, low, high = (d[c].to_numpy(float) for c in ("difference", "ci_low", "ci_high"))
        ax.errorbar(mid, y, xerr=np.vstack([mid - low, high - mid]),
                    fmt="o", color="tab:blue", capsize=3)
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_title(out.replace("_", " "), fontsize=10)
        ax.set_yticks(range(len(scenarios)), scenarios)
        ax.set_ylim(-0.6, len(scenarios) - 0.4)
        ax.invert_yaxis()
        # few, short tick labels: export sales run to hundreds of thousands and would overlap
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: compact(x)))
    fig.suptitle(f"Difference from {diffs['baseline'].iloc[0]} (paired 95% CI)")
    fig.tight_layout()
    return fig


def budget(ts: pd.DataFrame) -> plt.Figure:
    """Mean total spending per run, by policy level and by stage."""
    per_run = ts.groupby(["scenario", "seed"])[[f"budget_{x}" for x in (*LEVELS, *POLICY_STAGES)]].sum()
    mean = per_run.groupby("scenario").mean()
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * len(mean) + 2.2), sharey=True)
    for ax, keys, title in ((axes[0], LEVELS, "by policy level"), (axes[1], POLICY_STAGES, "by stage")):
        part = mean[[f"budget_{k}" for k in keys]]
        part.columns = list(keys)
        part.plot.barh(stacked=True, ax=ax, colormap="viridis")
        ax.set_title(f"Budget spent {title} (kUSD, mean per run)")
        ax.set_xlabel("kUSD")
        # below the bars, never over them
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(mean) < 4 else -0.15),
                  ncol=len(keys), frameon=False)
    fig.tight_layout()
    return fig
