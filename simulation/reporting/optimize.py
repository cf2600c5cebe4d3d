"""Figures, plain-words sentences and the HTML report of a search for packages (``run.py optimize``), from its
tables only.

The control is the scenario gains are measured against (``--control``, by default no_policy; the manifest keeps
it under ``baseline``). The tables: ``history`` (every candidate the search evaluated, one row each: its
generation, counted from 1, its decision columns and each objective's mean over the search's common seeds),
``front`` (the final front re-evaluated on
new seeds: each objective's mean and 95% interval, the paired gain over the control when there is one, and
whether the package is still on the front by the new means) and ``robust`` (with ``--robust``: each front
package against the control over sampled worlds). Decision columns are ``share_<instrument>`` (the budget
share), optionally ``start_<instrument>`` (start quarter), ``local_<instrument>`` (delivered locally) and
``enforce_<regulation>`` (enforcement level, its ``share_`` the administration's share of the budget); for a
model of the custom-model hook they are its inputs. Every claim in the sentences is decided by an interval,
never by a point estimate alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .attribution import _amount, _num, _scale, _side
from .optimize_figures import (
    SPECIAL,
    _apart,
    _bare,
    _best,
    _bounds,
    _column,
    _dir,
    _label,
    _level,
    _packages,
    _shares,
    _stays,
    _triple,
    _words,
    front_figure,
    robust_figure,
    shares_figure,
)
from .render import render, save_and_embed


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
            text += (f" Its gain over the control is not distinguishable from zero ({amount}, {interval}).")
        else:
            verdict = "better" if side * _dir(sense) > 0 else "worse"
            text += f" Against the control it gives {amount} ({interval}): {verdict} beyond the seeds' noise."
    return text


def _gain_sentence(front: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> str | None:
    """How many packages do better, worse or no differently from the control on each objective."""
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
    return (f"Against the control, each package's paired 95% interval over the new seeds says, of the {n} "
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
    text = (f"Across the sampled worlds, package {ks[r]} beats the control on {label} in the largest share of "
            f"them, {share[r]:.0%} (its mean over the seeds of each world against the control's)")
    if np.isfinite(median[r]):
        text += f"; its median gain is {_amount(median[r], name, label, abs(median[r]))}"
    if np.isfinite(worst[r]):
        w = worst[r] * _dir(sense)
        verdict = ("so even there it does better than the control" if w > 0 else
                   "worse than the control" if w < 0 else "no different from the control")
        text += (f", and in its worst tenth of worlds {_amount(worst[r], name, label, abs(worst[r]))}, "
                 f"{verdict}")
    return text + "."


def _regulation_sentence(front: pd.DataFrame, objectives: Sequence[tuple[str, str]]) -> str | None:
    """How fully the front enforces each regulation, and whether that goes with an objective (rank correlation
    over the packages that stay on the front, named only when strong)."""
    cols = [c for c in front.columns if str(c).startswith("enforce_")]
    if not cols:
        return None
    stay = front[_stays(front)]
    parts = []
    for col in cols:
        level = _column(stay, col)
        name = col.removeprefix("enforce_")
        lo, hi = float(np.nanmin(level)), float(np.nanmax(level))
        if hi <= 0:
            parts.append(f"{name} is enacted by none")
            continue
        text = f"{name} is enforced at {lo:.2f} to {hi:.2f}"
        with_ = []
        for obj, _ in objectives:
            values = _column(stay, obj)
            if len(stay) >= 5 and np.nanstd(level) > 0 and np.nanstd(values) > 0:
                rho = pd.Series(level).corr(pd.Series(values), method="spearman")
                if abs(rho) >= 0.7:
                    with_.append(f"{'more' if rho > 0 else 'less'} {_label(obj)} (rank correlation {rho:+.2f})")
        if with_:
            text += (f"; across the {len(stay)} packages, the more fully it is enforced, the {' and '.join(with_)}, "
                     f"which describes the front, not the regulation's own effect (its money is another "
                     f"programme's; run.py attribute on a front package splits the effects)")
        parts.append(text)
    tariff = (" (a tariff cut's lost revenue is not in the budget)"
              if "enforce_trade_liberalization" in cols else "")
    return ("Regulations, their administration paid first: " + "; ".join(parts) + ". A regulation's cost is "
            f"its administration only{tariff}.")


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


def _progress_sentence(progress: Mapping[str, Any] | None) -> str | None:
    """Whether the search had settled, from the hypervolume of its front generation by generation."""
    table = (progress or {}).get("table")
    if table is None or len(table) < 2 or not np.isfinite(_column(table, "of_final")).all():
        return None
    share = _column(table, "of_final")
    # generations are counted from 1 (history.csv and convergence.csv number them so): "generation 3 of 3"
    reached = int(table["generation"].iloc[int(np.argmax(share >= 0.9))])
    rise, threshold = progress.get("rise"), float(progress.get("threshold", 0.02))
    text = (f"Search progress: the hypervolume of the front (the share of objective space it dominates, with "
            f"each objective scaled to what the search saw) reached 90% of its final value by generation "
            f"{reached} of {int(table['generation'].iloc[-1])}")
    if rise is None:
        return text + "; too few generations to tell whether it had settled."
    last = int(progress.get("last", 1))
    if rise > threshold:
        return (text + f", and still rose by {rise:.1%} over the last {last} generation{'s' if last > 1 else ''}: "
                f"the search had not settled, and more --generations may find better packages.")
    return (text + f"; over the last {last} generation{'s' if last > 1 else ''} it rose by {rise:.1%} "
            f"(under {threshold:.0%}): the search had about settled.")


def sentences(front: pd.DataFrame, robust: pd.DataFrame | None,
              objectives: Sequence[tuple[str, str]], progress: Mapping[str, Any] | None = None) -> list[str]:
    """What the search found, in plain words: the front and what stays on it, the best package on the first
    objective and its gain over the control, the trade-off between the first two objectives, the package most
    often better across worlds, and the budget every package spends."""
    objectives = [(str(n), str(s)) for n, s in objectives]
    if front is None or front.empty or not objectives:
        return ["No package on the front: the search found nothing to report."]
    out = [_count_sentence(front), _first_sentence(front, objectives)]
    for line in (_gain_sentence(front, objectives), _tradeoff_sentence(front, objectives),
                 _robust_sentence(robust, objectives), _regulation_sentence(front, objectives),
                 _budget_sentence(front), _progress_sentence(progress)):
        if line:
            out.append(line)
    return out


# ---------------------------------------------------------------- figures

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
            "scenario": scenario, "baseline": _text(manifest.get("baseline"), "the control"),
            "model": model, "budget": float(budget) if budget else None, "instruments": [str(i) for i in instruments],
            "regulations": [str(r) for r in manifest.get("regulations") or [] if isinstance(r, str)],
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


def _generations(history: pd.DataFrame, objectives: Sequence[tuple[str, str]],
                 progress: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Per generation: how many candidates, the best mean of each objective (over the search seeds) and,
    when known, the front's hypervolume so far."""
    if history.empty or "generation" not in history:
        return pd.DataFrame()
    g = history.groupby("generation", sort=True)
    out = pd.DataFrame({"candidates": g.size()})
    for name, sense in objectives:
        if name in history:
            out[f"best {name} ({sense})"] = g[name].max() if sense == "max" else g[name].min()
    out = out.reset_index()
    table = (progress or {}).get("table")
    if table is not None and len(table):
        out = out.merge(table[["generation", "hypervolume", "of_final"]].rename(
            columns={"hypervolume": "front hypervolume so far", "of_final": "share of final"}), on="generation",
            how="left")
    return out


def write_report(folder: Path, history: pd.DataFrame, front: pd.DataFrame, robust: pd.DataFrame | None,
                 objectives: Sequence[tuple[str, str]], manifest: Mapping[str, Any],
                 progress: Mapping[str, Any] | None = None) -> Path:
    """Write the figures into ``folder/figures`` and ``report.html`` into ``folder``; returns the report's path."""
    folder = Path(folder)
    objectives = [(str(n), str(s)) for n, s in objectives]
    history = history if history is not None else pd.DataFrame()
    front = front if front is not None else pd.DataFrame()
    info = _filled(manifest, objectives, front)
    images = save_and_embed(folder, {"front": front_figure(history, front, objectives),
                                                 "shares": shares_figure(front),
                                                 "robust": robust_figure(robust, objectives)})
    first = ["package", "on_front_after_reevaluation", "budget"]
    packages = front[[c for c in first if c in front] + _decisions(front, objectives)]
    measured = [c for name, _ in objectives for c in (name, f"{name}_low", f"{name}_high", f"{name}_gain",
                                                      f"{name}_gain_low", f"{name}_gain_high") if c in front]
    outcomes = front[[c for c in ["package"] if c in front] + measured]
    has_robust = robust is not None and not robust.empty
    written = "budget" in front or bool(_shares(front))
    return render("optimize.html", folder, title=info["title"], manifest=info,
                  sentences=sentences(front, robust, objectives, progress), images=images,
                  first=_label(objectives[0][0]) if objectives else "", packages_table=_html(packages),
                  outcomes_table=_html(outcomes), robust_table=_html(robust) if has_robust else "",
                  history_table=_html(_generations(history, objectives, progress)), has_robust=has_robust,
                  has_gain=any(f"{n}_gain" in front for n, _ in objectives), written=written)
