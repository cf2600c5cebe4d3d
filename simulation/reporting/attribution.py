"""Figures, plain-words sentences and the HTML report of an attribution (``run.py attribute``), from its table only.

The table (``attribution.csv``) splits a package's effect on each outcome among its players (entries or
groups of entries) by Shapley values over coalitions, on common seeds, each with a 95% interval; its
special rows are the ``total`` effect, the ``interaction`` (total minus the sum of each player's effect
alone) and, when the scenario's own settings differ from the control's, their effect (``settings``),
which the split does not attribute. Every claim in the sentences is decided by an interval, never by a
point estimate alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..outcomes import OUTCOMES
from .figures import plt, sns
from .render import render, save_and_embed

LABELS = {"exporter_years": "exporter-years", "lasting_entrants": "lasting entrants",
          "new_exporters": "new exporters", "gvc_participation": "GVC participation", "exits": "exits",
          "exporters": "exporters", "export_sales": "export sales"}
COUNTS = {"firms", "entries", "alliances"}  # units whose outcome name is the thing counted
INTERACTION = "interaction (together minus alone)"
COLOURS = {"player": "#4c72b0", "alone": "#dd8452", "interaction": "#8172b3", "total": "#2b8a3e",
           "settings": "#9a9a9a"}
TABLE_COLUMNS = ["kind", "player", "members", "shapley", "ci_low", "ci_high", "standalone", "standalone_low",
                 "standalone_high", "share", "sampling_se"]


def _unit(outcome: str) -> str:
    return OUTCOMES[outcome].unit if outcome in OUTCOMES else ""


def _scale(outcome: str) -> float:
    """Shares are said (and drawn) in percentage points."""
    return 100.0 if _unit(outcome) == "share" else 1.0


def _num(x: float, scale: float, sign: bool = True) -> str:
    """``x`` at the resolution of ``scale`` (the largest number it is read with), signed unless told not."""
    if not np.isfinite(x):
        return "n/a"
    s = abs(scale) if np.isfinite(scale) and scale else abs(x)
    spec = ",.0f" if s >= 100 else ".1f" if s >= 1 else ".2f" if s >= 0.1 else ".3g"
    text = format(x, ("+" if sign else "") + spec)
    return "0" if text.strip("+-0.,") == "" else text


def _amount(x: float, outcome: str, label: str, scale: float, sign: bool = True) -> str:
    """An effect in the outcome's words: "+6 new exporters", "+1.2 percentage points in GVC participation"."""
    n, unit = _num(x, scale, sign), _unit(outcome)
    if unit in COUNTS:
        return f"{n} {label}"
    words = "percentage points" if unit == "share" else "" if unit in ("", "0-1", "ratio") else unit
    return f"{n} {words} in {label}" if words else f"{n} in {label}"


def _side(low: float, high: float) -> int:
    """+1 when the interval lies above 0, -1 below, 0 when it includes 0 (or there is none)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def _rows(table: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The outcome's players (largest Shapley value first) and its special rows by kind."""
    t = table[table["outcome"] == outcome]
    players = t[t["kind"] == "player"].sort_values("shapley", ascending=False, kind="stable")
    special = {k: t[t["kind"] == k].iloc[0] for k in ("total", "interaction", "settings") if (t["kind"] == k).any()}
    return players, special


def _name(row: pd.Series) -> str:
    """The player's name, with the entries it stands for when it is a group."""
    player, members = str(row["player"]), row.get("members")
    if not isinstance(members, str) or not members or members == player or members.startswith(player + " ("):
        return player
    return f"{player} ({members})"


def figure(table: pd.DataFrame, outcome: str, label: str | None = None) -> plt.Figure:
    """Each player's Shapley value (bar, 95% interval) and its effect alone (hollow marker, own interval),
    then the interaction and the total (and the scenario's settings, when they have an effect row)."""
    label = label or LABELS.get(outcome, outcome.replace("_", " "))
    players, special = _rows(table, outcome)
    k = _scale(outcome)
    rows = [(str(p["player"]), p, COLOURS["player"]) for _, p in players.iterrows()]
    rows += [(name, special[kind], COLOURS[kind]) for kind, name in
             (("interaction", INTERACTION), ("total", "total"), ("settings", "scenario's settings (not split)"))
             if kind in special]
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * len(rows) + 1.6))
    y = np.arange(len(rows))
    values = np.array([float(r["shapley"]) * k for _, r, _ in rows])
    err = np.array([[v - float(r["ci_low"]) * k, float(r["ci_high"]) * k - v] for v, (_, r, _) in zip(values, rows)])
    ax.barh(y, values, color=[c for _, _, c in rows], height=0.5)
    ax.errorbar(values, y, xerr=np.abs(err.T) if len(rows) else None, fmt="none", ecolor="black", capsize=3, lw=1)
    alone = players[np.isfinite(players["standalone"].to_numpy(dtype=float))] if len(players) else players
    if len(alone):
        ya = np.array([i for i, (_, r, _) in enumerate(rows[:len(players)]) if np.isfinite(r["standalone"])]) + 0.33
        sa = alone["standalone"].to_numpy(dtype=float) * k
        xa = np.abs([sa - alone["standalone_low"].to_numpy(dtype=float) * k,
                     alone["standalone_high"].to_numpy(dtype=float) * k - sa])
        ax.errorbar(sa, ya, xerr=xa, fmt="o", mfc="white", mec=COLOURS["alone"], ecolor=COLOURS["alone"], ms=7,
                    capsize=2, lw=1, label="alone (95% interval)")
    ax.barh([], [], color=COLOURS["player"], label="Shapley value (95% interval)")
    ax.axvline(0, color="black", lw=1)
    ax.grid(axis="y", visible=False)
    if len(players) and len(rows) > len(players):  # the players apart from the interaction and total
        ax.axhline(len(players) - 0.5 + 0.1, color="grey", lw=0.8, ls="--")
    ax.set_yticks(y, [name.replace("$", r"\$") for name, _, _ in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)
    unit = "percentage points" if k != 1 else _unit(outcome)
    ax.set_xlabel(f"effect on {label}" + (f" ({unit})" if unit else ""))
    ax.set_title(f"Who brings the package's effect on {label}", fontsize=10)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], fontsize=8, loc="best")
    sns.despine(ax=ax, left=True)
    fig.tight_layout()
    return fig


def _interval(row: pd.Series, k: float, scale: float, low: str = "ci_low", high: str = "ci_high") -> str:
    """The row's 95% interval in the outcome's scale ``k`` (percentage points for a share)."""
    return f"95% interval {_num(row[low] * k, scale)} to {_num(row[high] * k, scale)}"


def _player(p: pd.Series, total: pd.Series | None, outcome: str, label: str, k: float) -> str:
    """One player's sentence: its interval decides between brings, costs and not distinguishable."""
    v, lo, hi = float(p["shapley"]) * k, float(p["ci_low"]) * k, float(p["ci_high"]) * k
    scale = max(abs(v), abs(lo), abs(hi))
    side, name = _side(lo, hi), _name(p)
    if side == 0:
        text = f"{name}: not distinguishable from no effect ({_amount(v, outcome, label, scale)}, " \
               f"{_interval(p, k, scale)})"
    else:
        t_side = _side(total["ci_low"], total["ci_high"]) if total is not None else 0
        t = float(total["shapley"]) * k if total is not None else np.nan
        how = f"{_amount(abs(v), outcome, label, scale, sign=False)}"
        if t_side == side and t != 0:
            whole = f"the package's {label}" if _unit(outcome) in COUNTS else f"the package's effect on {label}"
            of = f"{_num(v, scale)} of {_num(t, t)}, {_interval(p, k, scale)}"
            text = (f"{name} brings {v / t:.0%} of {whole} ({of})" if side > 0 else
                    f"{name} costs {how}, {v / t:.0%} of the package's total ({of})")
        else:
            against = "; against the direction of the package's total" if t_side == -side else ""
            text = f"{name} {'brings' if side > 0 else 'costs'} {how} ({_interval(p, k, scale)}{against})"
    if np.isfinite(p.get("standalone", np.nan)):
        s = float(p["standalone"]) * k
        sc = max(abs(s), abs(float(p["standalone_low"]) * k), abs(float(p["standalone_high"]) * k))
        text += f"; alone, {_num(s, sc)} ({_interval(p, k, sc, 'standalone_low', 'standalone_high')})"
    return text + "."


def _method(table: pd.DataFrame, outcome: str) -> str:
    """How the split was made: exact or by permutation sampling, on how many common seeds."""
    t = table[table["outcome"] == outcome]
    method = str(t["method"].iloc[0]) if "method" in t and len(t) else "exact"
    seeds = int(t["seeds"].max()) if "seeds" in t and t["seeds"].notna().any() else 0
    how = ("exact Shapley values (every coalition of the entries run)" if method == "exact"
           else f"Shapley values estimated by {method}")
    return f"{how}, on {seeds} common seeds" if seeds else how


def sentences(table: pd.DataFrame, outcome: str, label: str | None = None) -> list[str]:
    """The outcome's split in plain words: the total, each player, the interaction, the scenario's settings."""
    label = label or LABELS.get(outcome, outcome.replace("_", " "))
    players, special = _rows(table, outcome)
    if players.empty and not special:
        return [f"No attribution of {label} in this table."]
    k, total = _scale(outcome), special.get("total")
    out = []
    if total is not None:
        t, lo, hi = (float(total[c]) * k for c in ("shapley", "ci_low", "ci_high"))
        scale = max(abs(t), abs(lo), abs(hi))
        said = (f"gives {_amount(t, outcome, label, scale)} ({_interval(total, k, scale)})" if _side(lo, hi) else
                f"is not distinguishable from no effect on {label} ({_amount(t, outcome, label, scale)}, "
                f"{_interval(total, k, scale)})")
        noise = "" if _side(lo, hi) else " No shares of the total are given: it may be noise."
        out.append(f"The package as a whole {said}; split among its "
                   f"{len(players)} players by {_method(table, outcome)}.{noise}")
    se = players["sampling_se"].to_numpy(dtype=float) * k if "sampling_se" in players else np.array([])
    if np.isfinite(se).any() and np.nanmax(se) > 0:
        top = float(np.nanmax(se))
        out.append(f"A player's value carries a permutation-sampling standard error of up to "
                   f"{_amount(top, outcome, label, top, sign=False)} from the orders sampled; the intervals "
                   f"include it beside the seeds' noise.")
    out += [_player(p, total, outcome, label, k) for _, p in players.iterrows()]
    if "interaction" in special:
        r = special["interaction"]
        x, lo, hi = (float(r[c]) * k for c in ("shapley", "ci_low", "ci_high"))
        scale, side = max(abs(x), abs(lo), abs(hi)), _side(lo, hi)
        said = f"interaction {_amount(x, outcome, label, scale)}, {_interval(r, k, scale)}"
        parts = (float(total["shapley"]) - float(r["shapley"])) * k if total is not None else np.nan
        if side == 0:
            out.append(f"The entries add up: no interaction beyond the seeds' noise ({said}).")
        elif np.isfinite(parts) and parts != 0:
            rel = x / parts
            out.append(f"Together the entries bring {abs(rel):.0%} {'more' if rel > 0 else 'less'} than the sum "
                       f"of their parts ({said}).")
        else:
            out.append(f"Together the entries bring {'more' if side > 0 else 'less'} {label} than the sum of "
                       f"their parts ({said}).")
    if "settings" in special:
        r = special["settings"]
        x, lo, hi = (float(r[c]) * k for c in ("shapley", "ci_low", "ci_high"))
        scale = max(abs(x), abs(lo), abs(hi))
        amount, interval = _amount(x, outcome, label, scale), _interval(r, k, scale)
        what = (f"{amount} ({interval})" if _side(lo, hi) else
                f"no effect distinguishable from the seeds' noise ({amount}, {interval})")
        out.append(f"The scenario's own settings (outside the package, different from the control's) alone give "
                   f"{what}; this is not split among the entries.")
    return out


def _record_name(value: Any) -> str:
    """A manifest's scenario record (a dict, as the command stores it) by its title and name, or the text given."""
    if isinstance(value, Mapping):
        return f"{value.get('title') or value.get('name') or ''} ({value.get('name', '')})".strip()
    return str(value) if value else ""


def _filled(manifest: Mapping[str, Any], table: pd.DataFrame) -> dict[str, Any]:
    """The manifest with every field the report reads, so a missing one never fails the template."""
    seeds = manifest.get("seeds")
    n = (len(seeds) if isinstance(seeds, (list, tuple)) else int(seeds) if isinstance(seeds, int)
         else int(table["seeds"].max()) if "seeds" in table and table["seeds"].notna().any() else 0)
    method = manifest.get("method") or (str(table["method"].iloc[0]) if "method" in table and len(table) else "")
    scenario = _record_name(manifest.get("scenario")) or _record_name(manifest.get("model")) or "the scenario"
    return {**manifest, "title": manifest.get("title") or f"Who brings the effect of {scenario}",
            "scenario": scenario, "baseline": _record_name(manifest.get("baseline")) or "the control", "n_seeds": n,
            "method": method, "by": manifest.get("by") or "", "version": manifest.get("version") or "(unrecorded)",
            "git_commit": manifest.get("git_commit") or "", "command": manifest.get("command") or "run.py attribute",
            "created": manifest.get("created") or "", "finished": manifest.get("finished") or "",
            "reallocate": bool(manifest.get("reallocate"))}


def write_report(folder: Path, table: pd.DataFrame, manifest: Mapping[str, Any]) -> Path:
    """Write one figure per outcome into ``folder/figures`` and ``report.html`` into ``folder``."""
    folder = Path(folder)
    info = _filled(manifest, table)
    outcomes = list(dict.fromkeys(table["outcome"]))
    keys = {o: f"attribution_{i}_{re.sub(r'[^A-Za-z0-9_-]+', '_', str(o))}" for i, o in enumerate(outcomes)}
    images = save_and_embed(folder, {keys[o]: figure(table, o) for o in outcomes})
    sections = []
    for o in outcomes:
        t = table[table["outcome"] == o]
        shown = t[[c for c in TABLE_COLUMNS if c in t]]
        sections.append({"outcome": o, "label": LABELS.get(o, str(o).replace("_", " ")), "unit": _unit(o),
                         "sentences": sentences(table, o), "key": keys[o], "image": images.get(keys[o], ""),
                         "table": shown.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="–",
                                                escape=True)})
    return render("attribution.html", folder, title=info["title"], manifest=info,
                  sections=sections)
