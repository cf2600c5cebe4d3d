"""Figures and the self-contained HTML report of a calibration, from its tables only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..params import REGISTRY
from .figures import plt, sns
from .render import render, save_and_embed

if TYPE_CHECKING:
    from ..calibration.targets import Targets

FIGURES = (("fit", "Simulated against observed"), ("loss", "Loss trace"), ("marginals", "Parameter marginals"))


def fit_figure(fit: pd.DataFrame) -> plt.Figure:
    """Simulated against observed, each fact on its own band (band drawn as 0 to 1)."""
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(fit) + 1.2))
    width = fit["band_high"] - fit["band_low"]
    pos = lambda v: (v - fit["band_low"]) / width  # noqa: E731
    y = np.arange(len(fit))
    ax.barh(y, 1.0, left=0.0, color=sns.color_palette()[2], alpha=0.25, label="acceptance band")
    ax.scatter(pos(fit["observed"]), y, marker="|", s=300, color="black", label="observed")
    ax.errorbar(pos(fit["simulated"]), y, xerr=fit["ci_half_width"] / width, fmt="o",
                color=sns.color_palette()[0], label="simulated (95% CI)")
    ax.set_yticks(y, fit["fact"])
    ax.invert_yaxis()
    ax.set_xlabel("position within the band (0 = low end, 1 = high end)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Stylized facts: simulated against observed")
    return fig


def loss_figure(history: pd.DataFrame) -> plt.Figure:
    """The distance of every evaluated point, in order, and the best so far."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    sns.scatterplot(data=history, x="evaluation", y="distance", hue="stage", ax=ax, s=18)
    ax.plot(history["evaluation"], history["distance"].cummin(), color="black", lw=1, label="best so far")
    ax.set_yscale("log")
    ax.set_title("Calibration distance by evaluation")
    ax.legend(fontsize=8)
    return fig


def marginals_figure(history: pd.DataFrame, names: Sequence[str], bounds: Sequence[Sequence[float]]) -> plt.Figure:
    """The distance against each free parameter over its bounds, with the best fit marked."""
    n = len(names)
    cols = min(4, n)
    fig, axes = plt.subplots(-(-n // cols), cols, figsize=(3.2 * cols, 2.8 * -(-n // cols)), squeeze=False)
    best = history.loc[history["distance"].idxmin()]
    for ax, name, (lo, hi) in zip(axes.flat, names, bounds):
        sns.scatterplot(data=history, x=name, y="distance", hue="stage", ax=ax, s=12, legend=False)
        ax.axvline(best[name], color="black", lw=1)
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    fig.suptitle("Distance against each free parameter (line: best fit)")
    fig.tight_layout()
    return fig


def write_calibration_report(folder: Path, targets: Targets, best: Mapping[str, Any], fit: pd.DataFrame,
                             history: pd.DataFrame, bounds: Mapping[str, Sequence[float]],
                             tried: pd.DataFrame | None = None) -> Path:
    """Write the figure PNGs into ``folder/figures`` and ``report.html`` into ``folder``.

    ``best``: the chosen point (free parameter -> value); ``fit``: its fit table; ``history``: every
    evaluated point (``evaluation``, ``distance``, ``stage`` and one column per free parameter);
    ``bounds``: each free parameter's (low, high); ``tried``: the points re-checked on fresh seeds.
    """
    folder = Path(folder)
    images = save_and_embed(folder, {
        "fit": fit_figure(fit), "loss": loss_figure(history),
        "marginals": marginals_figure(history, list(bounds), list(bounds.values()))})
    rows = [{"name": name, "value": value, "default": REGISTRY[name].default, "meaning": REGISTRY[name].meaning}
            for name, value in best.items()]
    return render("calibration.html", folder, title="Calibration", targets_path=str(targets.path),
                  evaluated=len(history), seeds=targets.seeds, inside=int(fit["inside"].sum()), checked=len(fit),
                  tried=0 if tried is None else len(tried),
                  found=tried is not None and len(tried) > 0 and bool(tried["robust"].any()), best=rows,
                  fit_table=fit.drop(columns=["source"]).to_html(index=False, float_format=lambda x: f"{x:.4g}",
                                                                 escape=True),
                  images=images, figures=FIGURES, facts=targets.facts)
