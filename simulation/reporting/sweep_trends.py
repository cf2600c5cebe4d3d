"""How a sweep's indices move: as the sample grows (nested designs) and over the years of the horizon."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..params import DUMMY
from .figures import plt

SHOWN = 5  # parameters drawn per output: the strongest at the full sample (or at the horizon)


def _top(table: pd.DataFrame, main: str, n: int = SHOWN) -> list[str]:
    m = table[(table["index"] == main) & (table["parameter"] != DUMMY)]
    return list(m.sort_values("value", ascending=False)["parameter"].head(n))


def _panels(outputs: Sequence[str], height: float = 3.6, width: float = 4.6) -> tuple[plt.Figure, np.ndarray]:
    ncols = min(3, len(outputs))
    nrows = -(-len(outputs) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    for ax in axes.flat[len(outputs):]:
        ax.set_visible(False)
    return fig, axes


def _finish(ax, xlabel: str, main: str, output: str) -> None:
    """The zero line, labels and legend every trend panel has."""
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel=xlabel, ylabel=main, title=output.replace("_", " "))
    ax.legend(fontsize=7)


def convergence_lines(convergence: pd.DataFrame, main: str) -> plt.Figure:
    """The ranking index of each output's strongest parameters at N = 16, 32, ..., the sweep's N,
    with their intervals: flat lines whose intervals shrink have settled."""
    outputs = list(dict.fromkeys(convergence["output"]))
    full = convergence["samples"].max()
    fig, axes = _panels(outputs)
    for ax, out in zip(axes.flat, outputs):
        d = convergence[(convergence["output"] == out) & (convergence["index"] == main)]
        names = _top(d[d["samples"] == full], main)
        for k, name in enumerate(names):
            e = d[d["parameter"] == name].sort_values("samples")
            x = e["samples"] * 2 ** ((k - (len(names) - 1) / 2) * 0.04)  # a small dodge on the log axis
            ax.errorbar(x, e["value"], yerr=e["conf"], marker="o", ms=3, capsize=2, lw=1, label=name)
        ax.set_xscale("log", base=2)
        _finish(ax, "N (base sample)", main, out)
    fig.suptitle(f"{main} as the sample doubles (the sweep's own nested prefixes; bars: confidence interval)")
    fig.tight_layout()
    return fig


def convergence_sentence(convergence: pd.DataFrame, main: str) -> str:
    """The largest move of a strong parameter's index in the last doubling, and the widest interval at N."""
    sizes = sorted(convergence["samples"].unique())
    if len(sizes) < 2:
        return ""
    last, before = sizes[-1], sizes[-2]
    moves = []
    for out, d in convergence[convergence["index"] == main].groupby("output", sort=False):
        names = _top(d[d["samples"] == last], main)
        at = d[d["parameter"].isin(names)].pivot(index="parameter", columns="samples", values="value")
        conf = d[(d["samples"] == last) & d["parameter"].isin(names)]["conf"]
        move = (at[last] - at[before]).abs()
        moves.append((float(move.max()), str(move.idxmax()), str(out), float(conf.max())))
    size, name, out, widest = max(moves)
    return (f"From N = {before} to N = {last} the {main} of the {SHOWN} strongest parameters of each output "
            f"moved by at most {size:.3f} ({name}, {out.replace('_', ' ')}); the widest of their intervals at "
            f"N = {last} is ± {widest:.3f}.")


def indices_over_time(indices: pd.DataFrame, main: str) -> plt.Figure | None:
    """The ranking index of each output's strongest parameters (at the horizon) in each year, with its interval."""
    yearly = indices[indices["year"].notna() & (indices["index"] == main)]
    if yearly.empty:
        return None
    horizon = indices[indices["year"].isna()]
    outputs = list(dict.fromkeys(yearly["output"]))
    fig, axes = _panels(outputs)
    for ax, out in zip(axes.flat, outputs):
        d = yearly[yearly["output"] == out]
        for name in _top(horizon[horizon["output"] == out], main):
            e = d[d["parameter"] == name].sort_values("year")
            years = e["year"].astype(float)
            line, = ax.plot(years, e["value"], marker="o", ms=3, lw=1.2, label=name)
            if e["conf"].notna().any():
                ax.fill_between(years, e["value"] - e["conf"], e["value"] + e["conf"], color=line.get_color(),
                                alpha=0.15, lw=0)
        _finish(ax, "year", main, out)
    fig.suptitle(f"{main} year by year (the strongest parameters at the horizon; bands: confidence interval)")
    fig.tight_layout()
    return fig
