"""Figures, plain-words sentences and the HTML report of a search for packages (``run.py optimize``), from its
tables only.

The tables: ``history`` (every candidate the search evaluated, one row each: its generation, its decision
columns and each objective's mean over the search's common seeds), ``front`` (the final front re-evaluated on
new seeds: each objective's mean and 95% interval, the paired gain over the baseline when there is one, and
whether the package is still on the front by the new means) and ``robust`` (with ``--robust``: each front
package against the baseline over sampled worlds). Decision columns are ``share_<instrument>`` (the budget
share), optionally ``start_<instrument>`` (start quarter) and ``local_<instrument>`` (delivered locally); for a
model of the custom-model hook they are its inputs. Every claim in the sentences is decided by an interval,
never by a point estimate alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .attribution import COUNTS, LABELS, _amount, _num, _scale, _side, _unit
from .figures import plt, sns
from .render import render, save_and_embed

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

def _count_sentence(front: pd.DataFrame) -> str:
    n, stays, ks = len(front), _stays(front), _packages(front)
    if n == 1:
        return "The search ended with one package on its front, re-evaluated on new seeds."
    dropped = [k for k, s in zip(ks, stays) if not s]
    head = f"The search ended with {n} distinct packages on its front; re-evaluated on new seeds, "
    if not dropped:
        return head + (f"all {n} stay on it: by the new means, for none of them does another package do at "
                       f"least as well on every objective and better on one.")
    one = len(dropped) == 1
    m = n - len(dropped)
    stay = "only 1 of them stays" if m == 1 else f"{m} of them stay"
    return head + (f"{stay} on it. Package{'' if one else 's'} {_words(dropped)} drop{'s' if one else ''} off: "
                   f"by the new means another package does at least as well on every objective and better on one "
                   f"(hollow in the first figure).")


def _first_sentence(front: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> str:
    name, sense = objectives[0]
    label, ks = _label(name), _packages(front)
    v, lo, hi = _triple(front, name)
    i = _best(v, sense)
    if i < 0:
        return f"No package has a value of {label} on the new seeds."
    scale = max(abs(v[i]), abs(lo[i]), abs(hi[i]))
    text = (f"On {label} ({'more' if sense == 'max' else 'less'} is better), package {ks[i]} does best: "
            f"{_level(v[i], name, scale)} ({_bounds(lo[i], hi[i], name, scale)})")
    if len(front) > 1:
        close = [ks[j] for j in range(len(front)) if j != i and not _apart(lo[i], hi[i], lo[j], hi[j])]
        if close:
            one = len(close) == 1
            text += (f"; the interval{'' if one else 's'} of package{'' if one else 's'} {_words(close)} "
                     f"overlap{'s' if one else ''} its own, so these seeds do not set it apart from "
                     f"{'it' if one else 'them'}")
        else:
            text += "; its interval overlaps no other package's: it is ahead of them all beyond the seeds' noise"
    text += "."
    if f"{name}_gain" in front:
        g, glo, ghi = _triple(front, name, "_gain")
        gs = max(abs(g[i]), abs(glo[i]), abs(ghi[i]))
        amount, interval = _amount(g[i], name, label, gs), _bounds(glo[i], ghi[i], name, gs, sign=True)
        side = _side(glo[i], ghi[i])
        if side == 0:
            text += (f" Its gain over the baseline is not distinguishable from zero ({amount}, {interval}).")
        else:
            verdict = "better" if side * _dir(sense) > 0 else "worse"
            text += f" Against the baseline it gives {amount} ({interval}): {verdict} beyond the seeds' noise."
    return text


def _gain_sentence(front: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> str | None:
    """How many packages do better, worse or no differently from the baseline on each objective."""
    parts = []
    for name, sense in objectives:
        if f"{name}_gain" not in front:
            continue
        _, lo, hi = _triple(front, name, "_gain")
        sides = np.array([_side(a, b) * _dir(sense) for a, b in zip(lo, hi)])
        counts = [(int((sides > 0).sum()), "better"), (int((sides < 0).sum()), "worse"),
                  (int((sides == 0).sum()), "not distinguishable")]
        parts.append(f"{_label(name)} {', '.join(f'{w} for {c}' for c, w in counts if c)}")
    if not parts:
        return None
    n = len(front)
    return (f"Against the baseline, each package's paired 95% interval over the new seeds says, of the {n} "
            f"package{'s' if n != 1 else ''}: {'; '.join(parts)}.")


def _tradeoff_sentence(front: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> str | None:
    if len(objectives) < 2 or len(front) < 1:
        return None
    (a, sa), (b, sb) = objectives[0], objectives[1]
    ks = _packages(front)
    va, loa, hia = _triple(front, a)
    vb, lob, hib = _triple(front, b)
    i, j = _best(va, sa), _best(vb, sb)
    if i < 0 or j < 0:
        return None
    la, lb = _label(a), _label(b)
    if len(front) == 1:
        return f"With one package on the front, the search found no trade-off between {la} and {lb}."
    if i == j:
        return (f"Package {ks[i]} does best on both {la} and {lb} by the means: on this front the two do not pull "
                f"against each other.")
    sca = max(abs(va[i]), abs(va[j]))
    scb = max(abs(vb[i]), abs(vb[j]))
    text = (f"{la[:1].upper() + la[1:]} and {lb} pull against each other: package {ks[i]} is best on {la} "
            f"({_level(va[i], a, sca)} against {_bare(va[j], a, sca)} from package {ks[j]}), package {ks[j]} on "
            f"{lb} ({_level(vb[j], b, scb)} against {_bare(vb[i], b, scb)} from package {ks[i]}).")
    overlap = [lab for lab, apart in ((la, _apart(loa[i], hia[i], loa[j], hia[j])),
                                      (lb, _apart(lob[i], hib[i], lob[j], hib[j]))) if not apart]
    if not overlap:
        return text + " Their 95% intervals are apart on both, so the trade-off is beyond the seeds' noise."
    where = "both" if len(overlap) == 2 else overlap[0]
    return text + (f" Their 95% intervals overlap on {where}, so these seeds do not show the trade-off to be more "
                   f"than noise.")


def _robust_sentence(robust: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> str | None:
    name, sense = objectives[0]
    if robust is None or robust.empty or f"{name}_share_better" not in robust:
        return None
    share = _column(robust, f"{name}_share_better")
    if not np.isfinite(share).any():
        return None
    k = _scale(name)
    worst = _column(robust, f"{name}_worst_decile") * k
    median = _column(robust, f"{name}_median_gain") * k
    # the largest share of worlds; of a tie, the one whose worst decile is least bad
    order = sorted(range(len(robust)), key=lambda r: (-np.nan_to_num(share[r], nan=-1.0),
                                                      -np.nan_to_num(worst[r] * _dir(sense), nan=-np.inf)))
    r = order[0]
    ks = _packages(robust)
    label = _label(name)
    text = (f"Across the sampled worlds, package {ks[r]} beats the baseline on {label} in the largest share of "
            f"them, {share[r]:.0%} (its mean over the seeds of each world against the baseline's)")
    if np.isfinite(median[r]):
        text += f"; its median gain is {_amount(median[r], name, label, abs(median[r]))}"
    if np.isfinite(worst[r]):
        w = worst[r] * _dir(sense)
        verdict = ("so even there it does better than the baseline" if w > 0 else
                   "worse than the baseline" if w < 0 else "no different from the baseline")
        text += (f", and in its worst tenth of worlds {_amount(worst[r], name, label, abs(worst[r]))}, "
                 f"{verdict}")
    return text + "."


def _budget_sentence(front: pd.DataFrame) -> str | None:
    files = ("each is written as a scenario file front/package_<k>.toml, to run, compare or attribute like any "
             "other scenario.")
    budget = _column(front, "budget")
    budget = budget[np.isfinite(budget)]
    if len(budget):
        lo, hi = float(budget.min()), float(budget.max())
        if np.isclose(lo, hi, rtol=1e-6, atol=1e-6):
            return (f"Every package spends the same budget, {_num(hi, hi, sign=False)} kUSD, only split "
                    f"differently among the instruments (second figure); {files}")
        return (f"The packages spend between {_num(lo, hi, sign=False)} and {_num(hi, hi, sign=False)} kUSD; "
                f"{files}")
    if _shares(front):
        return f"Every package splits the whole budget among the instruments (second figure); {files}"
    return None


def sentences(front: pd.DataFrame, robust: pd.DataFrame | None,
              objectives: Sequence[tuple[str, str]]) -> list[str]:
    """What the search found, in plain words: the front and what stays on it, the best package on the first
    objective and its gain over the baseline, the trade-off between the first two objectives, the package most
    often better across worlds, and the budget every package spends."""
    objectives = [(str(n), str(s)) for n, s in objectives]
    if front is None or front.empty or not objectives:
        return ["No package on the front: the search found nothing to report."]
    out = [_count_sentence(front), _first_sentence(front, objectives)]
    for line in (_gain_sentence(front, objectives), _tradeoff_sentence(front, objectives),
                 _robust_sentence(robust, objectives), _budget_sentence(front)):
        if line:
            out.append(line)
    return out


# ---------------------------------------------------------------- figures

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
    fig, ax = plt.subplots(figsize=(9.0, 0.45 * n + 1.6 + 0.28 * legend_rows), layout="constrained")
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
    ax.set_yticks(y, [f"package {k}" + ("" if s else " (dropped)") for k, s in zip(ks, stays)])
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
    """Per package, the share of sampled worlds where it beats the baseline on the first objective, with its
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
    ax.set_xlabel(_tex(f"share of sampled worlds where it beats the baseline on {label}"))
    ax.set_title(_tex(f"Where each package beats the baseline on {label}; beside each bar, the worst tenth of its "
                      f"gain{unit}"), fontsize=9)
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax, left=True)
    return fig


# ---------------------------------------------------------------- report

def _text(value: Any, default: str) -> str:
    """A manifest field as text: a scenario's record by its name, a list joined."""
    if isinstance(value, Mapping):
        value = value.get("name") or value.get("title")
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return str(value) if value not in (None, "") else default


def _count(value: Any) -> int:
    if isinstance(value, (list, tuple)):
        return len(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return 0


def _filled(manifest: Mapping[str, Any], objectives: Sequence[tuple[str, str]], front: pd.DataFrame
            ) -> dict[str, Any]:
    """The manifest with every field the report reads, so a missing one never fails the template."""
    budget = manifest.get("budget")
    if not isinstance(budget, (int, float)) or isinstance(budget, bool):
        known = _column(front, "budget")
        budget = float(np.nanmax(known)) if np.isfinite(known).any() else None
    instruments = manifest.get("instruments")
    if not isinstance(instruments, (list, tuple)):
        instruments = [c.removeprefix("share_") for c in _shares(front)]
    model = _text(manifest.get("model"), "")
    scenario = _text(manifest.get("scenario"), "" if model else "the scenario")
    return {"title": _text(manifest.get("title"), f"Packages on a front: {scenario or model}"),
            "scenario": scenario, "baseline": _text(manifest.get("baseline"), "the baseline"),
            "model": model, "budget": float(budget) if budget else None, "instruments": [str(i) for i in instruments],
            "objectives": [f"{_label(n)} ({s})" for n, s in objectives],
            "n_seeds": _count(manifest.get("seeds")), "n_reeval": _count(manifest.get("reeval_seeds")),
            "population": _count(manifest.get("population")), "generations": _count(manifest.get("generations")),
            "robust_worlds": _count(manifest.get("robust_worlds")),
            "n_robust_seeds": _count(manifest.get("robust_seeds")),
            "version": _text(manifest.get("version"), "(unrecorded)"),
            "git_commit": _text(manifest.get("git_commit"), ""),
            "command": _text(manifest.get("command"), "run.py optimize"),
            "created": _text(manifest.get("created"), ""), "finished": _text(manifest.get("finished"), "")}


def _html(table: pd.DataFrame) -> str:
    return table.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="–", escape=True)


def _decisions(table: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> list[str]:
    """The decision columns: every column that is not an objective's, the package's or the generation's."""
    taken = set(SPECIAL) | {"generation"}
    for name, _ in objectives:
        taken |= {name, f"{name}_low", f"{name}_high", f"{name}_gain", f"{name}_gain_low", f"{name}_gain_high"}
    return [c for c in table.columns if c not in taken]


def _generations(history: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Per generation: how many candidates, and the best mean of each objective (over the search seeds)."""
    if history.empty or "generation" not in history:
        return pd.DataFrame()
    g = history.groupby("generation", sort=True)
    out = pd.DataFrame({"candidates": g.size()})
    for name, sense in objectives:
        if name in history:
            out[f"best {name} ({sense})"] = g[name].max() if sense == "max" else g[name].min()
    return out.reset_index()


def write_report(folder: Path, history: pd.DataFrame, front: pd.DataFrame, robust: pd.DataFrame | None,
                 objectives: Sequence[tuple[str, str]], manifest: Mapping[str, Any]) -> Path:
    """Write the figures into ``folder/figures`` and ``report.html`` into ``folder``; returns the report's path."""
    folder = Path(folder)
    objectives = [(str(n), str(s)) for n, s in objectives]
    history = history if history is not None else pd.DataFrame()
    front = front if front is not None else pd.DataFrame()
    info = _filled(manifest, objectives, front)
    images = save_and_embed(folder / "figures", {"front": front_figure(history, front, objectives),
                                                 "shares": shares_figure(front),
                                                 "robust": robust_figure(robust, objectives)})
    first = ["package", "on_front_after_reevaluation", "budget"]
    packages = front[[c for c in first if c in front] + _decisions(front, objectives)]
    measured = [c for name, _ in objectives for c in (name, f"{name}_low", f"{name}_high", f"{name}_gain",
                                                      f"{name}_gain_low", f"{name}_gain_high") if c in front]
    outcomes = front[[c for c in ["package"] if c in front] + measured]
    has_robust = robust is not None and not robust.empty
    written = "budget" in front or bool(_shares(front))
    return render("optimize.html", folder / "report.html", title=info["title"], manifest=info,
                  sentences=sentences(front, robust, objectives), images=images,
                  first=_label(objectives[0][0]) if objectives else "", packages_table=_html(packages),
                  outcomes_table=_html(outcomes), robust_table=_html(robust) if has_robust else "",
                  history_table=_html(_generations(history, objectives)), has_robust=has_robust,
                  has_gain=any(f"{n}_gain" in front for n, _ in objectives), written=written)
