"""Figures of the optimization report: the front in objective space, the front packages' shares, robustness."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .attribution import COUNTS, LABELS, _num, _scale, _unit
from .figures import plt, sns

FRONT, DROPPED = "#1f4e79", "#b42318"
FAINT = LinearSegmentedColormap.from_list("faint_generations", ["#e4e4e4", "#a9bfd6"])  # early grey, late blue
SPECIAL = {"package", "on_front_after_reevaluation", "budget"}


def _label(name: str) -> str:
    return LABELS.get(name, str(name).replace("_", " "))


def _tex(text: str) -> str:
    """Text matplotlib draws as it is (a "$" would start mathtext)."""
    return str(text).replace("$", r"\$")


def _dir(sense: str) -> int:
    """+1 when more is better, -1 when less is."""
    return 1 if sense == "max" else -1


def _words(items: Sequence[Any]) -> str:
    """"2", "2 and 5", "2, 5 and 7"."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _packages(front: pd.DataFrame) -> list[int]:
    return ([int(k) for k in front["package"]] if "package" in front else list(range(1, len(front) + 1)))


def _stays(front: pd.DataFrame) -> np.ndarray:
    if "on_front_after_reevaluation" not in front:
        return np.ones(len(front), dtype=bool)
    return front["on_front_after_reevaluation"].fillna(False).astype(bool).to_numpy()


def _column(table: pd.DataFrame, name: str) -> np.ndarray:
    return table[name].to_numpy(dtype=float) if name in table else np.full(len(table), np.nan)


def _triple(front: pd.DataFrame, name: str, suffix: str = "") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, low and high of ``name`` (or of its gain, ``suffix="_gain"``), in the scale it is said in."""
    k = _scale(name)
    base = f"{name}{suffix}"
    return _column(front, base) * k, _column(front, f"{base}_low") * k, _column(front, f"{base}_high") * k


def _best(values: np.ndarray, sense: str) -> int:
    """The row that does best by its mean (the first of a tie); -1 when no value is known."""
    v = np.asarray(values, dtype=float)
    if not np.isfinite(v).any():
        return -1
    return int(np.nanargmax(v) if sense == "max" else np.nanargmin(v))


def _level(x: float, name: str, scale: float) -> str:
    """A level in the outcome's words: "152 new exporters", "GVC participation of 12.3%"."""
    unit, label, n = _unit(name), _label(name), _num(x, scale, sign=False)
    if unit == "share":
        return f"{label} of {n}%"
    if unit in COUNTS:
        return f"{n} {label}"
    return f"{label} of {n} {unit}" if unit and unit not in ("0-1", "ratio") else f"{label} of {n}"


def _bare(x: float, name: str, scale: float) -> str:
    """The number alone, with its sign of unit: "120", "10.1%", "2,400 kUSD"."""
    unit, n = _unit(name), _num(x, scale, sign=False)
    return f"{n}%" if unit == "share" else f"{n} {unit}" if unit and unit not in COUNTS | {"0-1", "ratio"} else n


def _bounds(low: float, high: float, name: str, scale: float, sign: bool = False) -> str:
    pct = "%" if _unit(name) == "share" and not sign else ""
    return f"95% interval {_num(low, scale, sign)}{pct} to {_num(high, scale, sign)}{pct}"


def _apart(lo1: float, hi1: float, lo2: float, hi2: float) -> bool:
    """Two 95% intervals that do not overlap (a conservative sign of a real difference)."""
    return bool(np.isfinite([lo1, hi1, lo2, hi2]).all() and (hi1 < lo2 or hi2 < lo1))


# ---------------------------------------------------------------- sentences

def _axis_label(name: str, sense: str) -> str:
    unit = "percent" if _unit(name) == "share" else _unit(name)
    unit = "" if unit in ("0-1", "ratio") else unit
    better = "more is better" if sense == "max" else "less is better"
    return _tex(f"{_label(name)} ({unit + '; ' if unit else ''}{better})")


def _panel(ax: plt.Axes, history: pd.DataFrame, front: pd.DataFrame, x: str, y: str, annotate: bool = True) -> Any:
    """Every candidate evaluated (faint, by generation) and the front packages with their 95% intervals."""
    sc = None
    if x in history and y in history and len(history):
        gen = _column(history, "generation") if "generation" in history else np.zeros(len(history))
        sc = ax.scatter(_column(history, x) * _scale(x), _column(history, y) * _scale(y), c=gen, cmap=FAINT,
                        s=14, linewidths=0, zorder=1)
    if x in front and y in front and len(front):
        vx, lx, hx = _triple(front, x)
        vy, ly, hy = _triple(front, y)
        for k, stays, px, ax_lo, ax_hi, py, ay_lo, ay_hi in zip(_packages(front), _stays(front), vx, lx, hx, vy,
                                                                ly, hy):
            colour = FRONT if stays else DROPPED
            xerr = [[max(px - ax_lo, 0)], [max(ax_hi - px, 0)]] if np.isfinite([ax_lo, ax_hi]).all() else None
            yerr = [[max(py - ay_lo, 0)], [max(ay_hi - py, 0)]] if np.isfinite([ay_lo, ay_hi]).all() else None
            ax.errorbar([px], [py], xerr=xerr, yerr=yerr, fmt="o", ms=7, mec=colour, ecolor=colour, elinewidth=1,
                        capsize=2, mfc=colour if stays else "white", mew=1.5, zorder=3)
            if annotate:
                ax.annotate(str(k), (px, py), xytext=(5, 5), textcoords="offset points", fontsize=8, color=colour,
                            zorder=4)
    return sc


def _legend_handles() -> list[Any]:
    return [Line2D([], [], ls="", marker="o", ms=5, color="#b8c6d6", label="a candidate of the search (search seeds)"),
            Line2D([], [], ls="-", marker="o", ms=7, color=FRONT,
                   label="front package on new seeds (95% interval)"),
            Line2D([], [], ls="-", marker="o", ms=7, color=DROPPED, mfc="white",
                   label="dropped from the front on new seeds")]


def front_figure(history: pd.DataFrame, front: pd.DataFrame,
                 objectives: Sequence[tuple[str, str]]) -> plt.Figure | None:
    """The front in objective space: the first two objectives (for three or more, the pairs of the first three);
    with one objective, its value against the generation."""
    objectives = [(str(n), str(s)) for n, s in objectives]
    if not objectives or (history.empty and front.empty):
        return None
    if len(objectives) == 1:
        name, sense = objectives[0]
        fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
        if name in history and "generation" in history:
            ax.scatter(_column(history, "generation"), _column(history, name) * _scale(name), s=14, linewidths=0,
                       color="#b8c6d6")
        last = float(history["generation"].max()) + 1 if "generation" in history and len(history) else 0.0
        v, lo, hi = _triple(front, name)
        for k, stays, p, a, b in zip(_packages(front), _stays(front), v, lo, hi):
            colour = FRONT if stays else DROPPED
            ax.errorbar([last], [p], yerr=[[max(p - a, 0)], [max(b - p, 0)]], fmt="o", color=colour,
                        mfc=colour if stays else "white", capsize=2)
            ax.annotate(str(k), (last, p), xytext=(5, 0), textcoords="offset points", fontsize=8, color=colour)
        ax.set(xlabel="generation (the front on new seeds at the right)", ylabel=_axis_label(name, sense))
        ax.legend(handles=_legend_handles(), fontsize=8, loc="best")
        ax.set_title("Every candidate evaluated and the best packages on new seeds", fontsize=10)
        return fig
    if len(objectives) == 2:
        (a, sa), (b, sb) = objectives
        fig, ax = plt.subplots(figsize=(8.0, 5.8), layout="constrained")
        sc = _panel(ax, history, front, a, b)
        ax.set(xlabel=_axis_label(a, sa), ylabel=_axis_label(b, sb))
        ax.legend(handles=_legend_handles(), fontsize=8, loc="best")
        axes_for_bar: Any = ax
    else:  # a corner of a pair plot of the first three objectives; the empty corner holds the legend
        (a, sa), (b, sb), (c, sc_) = objectives[:3]
        fig, axes = plt.subplots(2, 2, figsize=(10.0, 8.6), layout="constrained")
        pairs = {(0, 0): (a, b), (1, 0): (a, c), (1, 1): (b, c)}
        senses = dict(objectives[:3])
        sc = None
        for (r, col), (x, y) in pairs.items():
            ax = axes[r, col]
            sc = _panel(ax, history, front, x, y) or sc
            ax.set_xlabel(_axis_label(x, senses[x]), fontsize=9)
            ax.set_ylabel(_axis_label(y, senses[y]), fontsize=9)
        axes[0, 1].axis("off")
        axes[0, 1].legend(handles=_legend_handles(), fontsize=9, loc="center")
        axes_for_bar = [axes[0, 0], axes[1, 0], axes[1, 1]]
    if sc is not None:
        bar = fig.colorbar(sc, ax=axes_for_bar, label="generation of the candidate", shrink=0.7)
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    fig.suptitle("The front: every candidate evaluated (faint, bluer later) and the front packages on new seeds",
                 fontsize=10)
    return fig


def _shares(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if str(c).startswith("share_")]


def _enforced(front: pd.DataFrame, i: int) -> str:
    """A package's regulation levels for its label (a regulation's cost share hides how fully it is enforced)."""
    levels = [(c.removeprefix("enforce_"), front[c].iloc[i]) for c in front.columns if str(c).startswith("enforce_")]
    shown = [f"{_tex(name)} {float(v):.2f}" for name, v in levels if pd.notna(v) and float(v) > 0]
    lines = [", ".join(shown[j:j + 2]) for j in range(0, len(shown), 2)]
    return ("\nenforced: " + ",\n".join(lines)) if shown else ("\nno regulation" if levels else "")


def shares_figure(front: pd.DataFrame) -> plt.Figure | None:
    """Each front package's budget shares, stacked, one bar per package (hatched: delivered locally; the start
    quarter written in the bar when the search chose it)."""
    cols = [c for c in _shares(front) if np.nan_to_num(_column(front, c)).sum() > 0]
    if front.empty or not cols:
        return None
    names = [c.removeprefix("share_") for c in cols]
    colours = sns.color_palette("tab10" if len(cols) <= 10 else "tab20", len(cols))
    ks, stays = _packages(front), _stays(front)
    n = len(front)
    legend_rows = -(-len(cols) // 3)
    tall = 0.3 if any(str(c).startswith("enforce_") for c in front.columns) else 0.0
    fig, ax = plt.subplots(figsize=(9.0 + 10 * tall, (0.45 + tall) * n + 1.6 + 0.28 * legend_rows),
                           layout="constrained")
    y = np.arange(n)
    left = np.zeros(n)
    for col, name, colour in zip(cols, names, colours):
        w = np.nan_to_num(_column(front, col))
        local = (front[f"local_{name}"].fillna(False).astype(bool).to_numpy() if f"local_{name}" in front
                 else np.zeros(n, dtype=bool))
        for i in range(n):
            if w[i] <= 0:
                continue
            ax.barh(y[i], w[i], left=left[i], color=colour, height=0.7, edgecolor="white", lw=0.5,
                    hatch="///" if local[i] else None)
            if w[i] >= 0.08:
                text = f"{w[i]:.0%}"
                start = front[f"start_{name}"].iloc[i] if f"start_{name}" in front else None
                if start is not None and pd.notna(start) and w[i] >= 0.14:
                    text += f", q{int(start)}"
                ax.text(left[i] + w[i] / 2, y[i], text, ha="center", va="center", fontsize=7, color="white",
                        bbox={"facecolor": colour, "edgecolor": "none", "pad": 1.0})
        left += w
    ax.set_yticks(y, [f"package {k}" + ("" if s else " (dropped)") + _enforced(front, i)
                      for i, (k, s) in enumerate(zip(ks, stays))])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, max(1.0, float(left.max())))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share of the budget" + (" (qN: start quarter)" if any(c.startswith("start_") for c in front)
                                           else ""))
    ax.grid(axis="y", visible=False)
    handles = [Patch(color=c, label=_tex(nm)) for nm, c in zip(names, colours)]
    if any(str(c).startswith("local_") for c in front):
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="///", label="delivered locally"))
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    budget = _column(front, "budget")
    budget = budget[np.isfinite(budget)]
    title = "How each front package splits the budget"
    if len(budget):
        title += f" of {_num(float(budget.max()), float(budget.max()), sign=False)} kUSD"
    ax.set_title(title, fontsize=10)
    sns.despine(ax=ax, left=True)
    return fig


def robust_figure(robust: pd.DataFrame | None, objectives: Sequence[tuple[str, str]]) -> plt.Figure | None:
    """Per package, the share of sampled worlds where it beats the control on the first objective, with its
    worst decile of the gain written beside the bar."""
    if robust is None or robust.empty or not objectives:
        return None
    name, sense = (str(x) for x in objectives[0])
    if f"{name}_share_better" not in robust:
        return None
    share = _column(robust, f"{name}_share_better")
    worst = _column(robust, f"{name}_worst_decile") * _scale(name)
    ks = _packages(robust)
    n, label = len(robust), _label(name)
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * n + 1.5), layout="constrained")
    y = np.arange(n)
    colours = [FRONT if w * _dir(sense) > 0 else "#8fa8c2" for w in np.nan_to_num(worst)]
    ax.barh(y, np.nan_to_num(share), color=colours, height=0.6)
    for i in range(n):
        if np.isfinite(worst[i]):
            ax.text(np.nan_to_num(share[i]) + 0.01, y[i], _tex(f"worst decile {_num(worst[i], abs(worst[i]))}"),
                    va="center", fontsize=8)
    ax.axvline(0.5, color="grey", lw=1, ls="--")
    ax.set_yticks(y, [f"package {k}" for k in ks])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 1.35)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    unit = "percentage points" if _unit(name) == "share" else _unit(name)
    unit = f" ({unit})" if unit and unit not in ("0-1", "ratio") else ""
    ax.set_xlabel(_tex(f"share of sampled worlds where it beats the control on {label}"))
    ax.set_title(_tex(f"Where each package beats the control on {label}; beside each bar, the worst tenth of its "
                      f"gain{unit}"), fontsize=9)
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    return fig


# ---------------------------------------------------------------- report
