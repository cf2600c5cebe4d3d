"""Figures and the self-contained HTML report of an exploration (where each claim holds), from its tables only."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..params import REGISTRY
from .figures import plt, sns
from .render import render, save_and_embed

# The effect-size reading's PRIM boxes: worlds whose estimated effect lies on the side the claim predicts
# (the ``of`` of those rows of boxes.csv; discovery.effects draws them).
ABOVE = "effect above 0"

MARK = {"holds": "+", "fails": "x", "unclear": "?"}
EVERYWHERE = 0.9  # a claim holding in this share of the worlds has no region to find
NOISY = 2.0       # below this ratio of world-to-world variance to seed variance, the worlds differ by noise
COLOURS = {"holds": "#1a7f37", "unclear": "#9a9a9a", "fails": "#b42318"}


def _g(x: float) -> str:
    return f"{float(f'{x:.3g}'):g}"


def robustness_map(effects: pd.DataFrame, claim: Any, axes_names: Sequence[str]) -> plt.Figure:
    """The paired effect over the map's grid (the other parameters at the scenarios' values), each cell's
    verdict marked, the defaults starred."""
    x, y = axes_names
    cells = effects[(effects["claim"] == claim.name) & (effects["kind"] == "map")]
    xs, ys = np.sort(cells[x].unique()), np.sort(cells[y].unique())[::-1]  # every cell, even an empty one
    grid = cells.pivot(index=y, columns=x, values="effect").reindex(index=ys, columns=xs)
    marks = cells.pivot(index=y, columns=x, values="verdict").reindex(index=ys, columns=xs)
    annot = grid.map(lambda v: "" if pd.isna(v) else _g(v)) + "\n" + marks.map(lambda v: MARK.get(v, ""))
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    finite = np.abs(grid.to_numpy(dtype=float))
    limit = float(np.nanmax(finite)) if np.isfinite(finite).any() and np.nanmax(finite) > 0 else 1.0
    sns.heatmap(grid, ax=ax, cmap="RdBu" if claim.expect > 0 else "RdBu_r", vmin=-limit, vmax=limit,
                annot=annot, fmt="", annot_kws={"fontsize": 8},
                cbar_kws={"label": f"effect on {claim.outcome.replace('_', ' ')}"})
    ax.set_xticklabels([_g(float(v)) for v in grid.columns])
    ax.set_yticklabels([_g(float(v)) for v in grid.index], rotation=0)
    if x in REGISTRY and y in REGISTRY:  # the defaults, between the grid's cells
        cx = np.interp(REGISTRY[x].default, grid.columns.astype(float), np.arange(len(grid.columns))) + 0.5
        cy = np.interp(REGISTRY[y].default, grid.index[::-1].astype(float),
                       np.arange(len(grid.index))[::-1]) + 0.5
        ax.plot(cx, cy, marker="*", ms=18, color="gold", mec="black")
    ax.set(xlabel=x, ylabel=y)
    ax.set_title(f"{claim.name}: {MARK['holds']} holds, {MARK['fails']} fails, {MARK['unclear']} unclear "
                 f"(95% interval over seeds); star: defaults", fontsize=9)
    fig.tight_layout()
    return fig


def scatter_axes(effects: pd.DataFrame, box: pd.DataFrame | None, map_names: Sequence[str],
                 names: Sequence[str]) -> list[str]:
    """The two parameters to plot the worlds over: the map's when they were varied, else the first two PRIM
    restricts (then the first explored ones)."""
    if all(n in names for n in map_names):
        return list(map_names)
    restricted = [] if box is None else list(box.loc[box["significant"], "parameter"])
    return [*dict.fromkeys([*restricted, *names])][:2]


def sample_scatter(effects: pd.DataFrame, claim: Any, axes_names: Sequence[str],
                   box: pd.DataFrame | None) -> plt.Figure:
    """The sampled worlds over the map's two parameters, coloured by verdict, with PRIM's "holds" box."""
    x, y = axes_names
    pts = effects[(effects["claim"] == claim.name) & (effects["kind"] == "sample")]
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    sns.scatterplot(data=pts, x=x, y=y, hue="verdict", palette=COLOURS, hue_order=list(COLOURS), s=22, ax=ax)
    if box is not None and box["significant"].any():  # the box as reported: its significant restrictions
        lim = box[box["significant"]].set_index("parameter")

        def side(name: str, end: str) -> float:
            value = lim.at[name, end] if name in lim.index else np.nan
            return float(value) if pd.notna(value) else float(getattr(pts[name], end)())

        lo_x, hi_x, lo_y, hi_y = side(x, "min"), side(x, "max"), side(y, "min"), side(y, "max")
        ax.add_patch(plt.Rectangle((lo_x, lo_y), hi_x - lo_x, hi_y - lo_y, fill=False, lw=1.8,
                                   ec=COLOURS["holds"], ls="--"))
    ax.set_title(f"{claim.name}: each sampled world (dashed: PRIM's box where it holds, "
                 f"as far as these two parameters go)", fontsize=9)
    fig.tight_layout()
    return fig


def tradeoff(trajectory: pd.DataFrame, claim: Any, box: pd.DataFrame | None = None) -> plt.Figure | None:
    """PRIM's peeling trajectory: coverage against density for "holds", the step chosen circled and the
    box reported (that step without its non-significant limits) crossed."""
    t = trajectory[(trajectory["claim"] == claim.name) & (trajectory["of"] == "holds")]
    if t.empty:
        return None
    fig, ax = plt.subplots(figsize=(5.0, 4.0))
    sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    fig.colorbar(sc, ax=ax, label="parameters restricted")
    c = t[t["chosen"]]
    ax.scatter(c["coverage"], c["density"], s=140, facecolors="none", edgecolors="red", lw=1.5,
               label="step chosen")
    if box is not None and len(box):
        ax.scatter(box["coverage"].iloc[:1], box["density"].iloc[:1], marker="X", s=120, color="red",
                   label="box reported (significant limits only)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set(xlabel="coverage (share of the holding worlds inside the box)",
           ylabel="density (share of the box's worlds that hold)", xlim=(0, 1.02), ylim=(0, 1.02))
    ax.set_title(f"{claim.name}: PRIM peeling trajectory for the worlds where it holds", fontsize=9)
    fig.tight_layout()
    return fig


def claim_sentences(claim: Any, summary: pd.Series, boxes: pd.DataFrame, cart: pd.DataFrame) -> list[str]:
    """The claim's reading in plain words: how often it holds, at the defaults, PRIM's boxes, CART's rule."""
    way = "higher" if claim.expect > 0 else "lower" if claim.expect < 0 else "no different"
    at_default = (f"it {summary['default_verdict']}" if summary["default_verdict"] != "unclear" else "unclear")
    out = [f"{claim.name}: {claim.text} Judged on {claim.outcome.replace('_', ' ')} ({way} where the claim "
           f"holds). Over {summary['points']} sampled worlds it holds in {summary['holds']:.0%}, fails in "
           f"{summary['fails']:.0%} and is unclear in {summary['unclear']:.0%} (95% interval of the paired effect "
           f"over seeds)"
           + (f"; the estimate has the claimed sign in {summary['claimed_sign']:.0%}" if claim.expect else "")
           + ". At the defaults "
           f"the effect is {_g(summary['default_effect'])} ({_g(summary['default_low'])} to "
           f"{_g(summary['default_high'])}): {at_default}."]
    ratio = summary["signal_to_noise"]
    if np.isfinite(ratio) and ratio < NOISY:
        out.append(f"Its effect varies from world to world only {ratio:.1f} times as much as one world's estimate "
                   f"varies with its seeds: the differences between worlds are mostly what the seeds alone "
                   f"would give, so whether a world holds or is unclear says more about its seeds than about "
                   f"the world: the verdicts' map is blurred, and the effect-size reading below (which uses "
                   f"every world's estimate) is the one to trust for where the effect is larger.")
    elif np.isfinite(ratio):
        out.append(f"Its effect varies from world to world {ratio:.0f} times as much as one world's estimate "
                   f"varies with its seeds: where a world lies matters.")
    for of in ("holds", "fails"):
        b = boxes[(boxes["claim"] == claim.name) & (boxes["of"] == of)]
        if b.empty:
            continue
        strong, weak = b[b["significant"]], b[~b["significant"]]
        if strong.empty:
            out.append(f"PRIM: no restriction of the box where it {of} is significant (quasi-p below 0.05): no "
                       f"region of these parameters stands out ({b['share'].iloc[0]:.0%} of all worlds).")
            continue
        where = " and ".join(strong["words"])
        dropped = (f" The peeled box also restricted {len(weak)} more parameter{'s' * (len(weak) > 1)}, not "
                   f"significantly (quasi-p 0.05 or more); they are dropped." if len(weak) else "")
        if not b["finding"].iloc[0]:
            out.append(f"PRIM: the best box where it {of}, {where}, is hardly denser than all worlds "
                       f"({b['density'].iloc[0]:.0%} against {b['share'].iloc[0]:.0%}): no region of these "
                       f"parameters stands out.{dropped}")
            continue
        out.append(f"PRIM: it {of} where {where} (coverage {b['coverage'].iloc[0]:.0%}: that share of the "
                   f"worlds where it {of} lie in the box; density {b['density'].iloc[0]:.0%}: that share of "
                   f"the box's worlds {'hold' if of == 'holds' else 'fail'}; against {b['share'].iloc[0]:.0%} "
                   f"over all worlds).{dropped}")
    rules = cart[(cart["claim"] == claim.name) & (cart["verdict"] == "holds")]
    if summary["holds"] >= EVERYWHERE:
        out.append(f"It holds in {summary['holds']:.0%} of the sampled worlds: there is no region to find.")
    elif len(rules):
        r = rules.iloc[0]
        chance = ("; with worlds that differ this little beyond their seeds' noise, read it as chance"
                  if np.isfinite(ratio) and ratio < NOISY else "")
        skill = (f" The tree predicts a world's verdict {r['cv_accuracy']:.0%} of the time out of sample, against "
                 f"{r['majority']:.0%} for always guessing the commonest verdict"
                 + (": it has found no region." if r["cv_accuracy"] <= r["majority"] + 0.05 else "."))
        out.append(f"CART: the largest region where it holds is {r['rule']} ({r['points']} worlds, "
                   f"{r['purity']:.0%} of them hold, against {summary['holds']:.0%} over all worlds{chance})."
                   + skill)
    return out


def effect_sentences(claim: Any, boxes: pd.DataFrame, tree: pd.DataFrame) -> list[str]:
    """The effect-size reading in plain words: the effect tree against its permutation null, and PRIM's box
    of the worlds whose estimate lies on the predicted side."""
    out = []
    t = tree[tree["claim"] == claim.name] if len(tree) else tree
    if len(t):
        r2, null, p, cv = (float(t[c].iloc[0]) for c in ("r2", "null_r2_95", "p_value", "cv_r2"))
        fit = (f"a regression tree of the worlds' effects explains {r2:.2f} of their variance, against at most "
               f"{null:.2f} for the same fit on effects shuffled between worlds (95th percentile; p = {p:.2f}; "
               f"out of sample, 5-fold, {cv:.2f})")
        if bool(t["finding"].iloc[0]):
            top, rest = t.iloc[0], t.iloc[1:]
            others = (float(np.average(rest["mean_effect"], weights=rest["points"])) if len(rest) else np.nan)
            out.append(f"Effect sizes: {fit}. Where the effect is "
                       f"{'largest' if claim.expect >= 0 else 'most negative'}: {top['rule']} (mean "
                       f"{_g(top['mean_effect'])} over {int(top['points'])} worlds, against {_g(others)} elsewhere).")
        else:
            out.append(f"Effect sizes: {fit}: no region where the effect differs stands out from the seeds' "
                       f"noise.")
    b = boxes[(boxes["claim"] == claim.name) & (boxes["of"] == ABOVE)] if len(boxes) else boxes
    if len(b):
        strong = b[b["significant"]]
        if len(strong) and bool(b["finding"].iloc[0]):
            out.append(f"PRIM on effect sizes: the worlds whose estimate has the claimed sign crowd where "
                       f"{' and '.join(strong['words'])} (density {b['density'].iloc[0]:.0%} against "
                       f"{b['share'].iloc[0]:.0%} over all worlds; coverage {b['coverage'].iloc[0]:.0%}).")
        else:
            out.append(f"PRIM on effect sizes: no box is denser in worlds whose estimate has the claimed sign "
                       f"than all worlds ({b['share'].iloc[0]:.0%}) by a significant margin.")
    return out


def _meaning(name: str) -> str:
    if name in REGISTRY:
        return REGISTRY[name].meaning
    instrument, _, key = name.partition(".")
    return {"unit_cost": f"unit cost of {instrument} (kUSD)",
            "effects": f"factor on every strength of {instrument}'s effects"}.get(key, "")


def write_explore_report(directory: Path, manifest: Mapping[str, Any], claims: Sequence[Any],
                         out: Mapping[str, pd.DataFrame], problem: Mapping[str, Any],
                         map_names: Sequence[str]) -> Path:
    """Write the figures into ``directory/figures`` and ``report.html`` into ``directory``."""
    effects, boxes, cart, trajectory = out["effects"], out["boxes"], out["cart"], out["trajectory"]
    skipped = cart.attrs.get("skipped", "")  # CART not run (no scikit-learn): this line stands for its table
    summary = out["summary"].set_index("claim")
    sections = []
    for claim in claims:
        key = claim.name.replace(" ", "_")
        holds = boxes[(boxes["claim"] == claim.name) & (boxes["of"] == "holds")] if len(boxes) else None
        made = {f"{key}_map": robustness_map(effects, claim, map_names) if manifest.get("grid") else None,
                f"{key}_worlds": sample_scatter(effects, claim, scatter_axes(effects, holds, map_names,
                                                                            problem["names"]), holds),
                f"{key}_prim": tradeoff(trajectory, claim, holds) if len(trajectory) else None}
        images = save_and_embed(Path(directory), made)
        b = boxes[boxes["claim"] == claim.name] if len(boxes) else boxes
        table = (b[["of", "parameter", "min", "max", "qp_low", "qp_high", "significant", "words"]]
                 .to_html(index=False, float_format=_g, na_rep="–", escape=True) if len(b) else "")
        rules = cart[cart["claim"] == claim.name][["rule", "verdict", "purity", "points", "cv_accuracy", "majority"]]
        known_boxes = boxes if len(boxes) else pd.DataFrame(columns=["claim", "of"])
        sentences = (claim_sentences(claim, summary.loc[claim.name], known_boxes, cart)
                     + effect_sentences(claim, known_boxes, out.get("effect_tree", pd.DataFrame())))
        sections.append({"name": claim.name, "sentences": sentences,
                         "images": images, "boxes_table": table,
                         "cart_table": f"<p>{html.escape(skipped)}</p>" if skipped else
                         rules.to_html(index=False, float_format="{:.2f}".format, escape=True)})
    overview = out["summary"].rename(columns={"default_verdict": "at the defaults"})
    params = pd.DataFrame({"parameter": problem["names"], "low": [b[0] for b in problem["bounds"]],
                           "high": [b[1] for b in problem["bounds"]],
                           "meaning": [_meaning(n) for n in problem["names"]]})
    return render("explore.html", Path(directory), title=manifest["title"], manifest=manifest,
                  sections=sections, map_names=list(map_names),
                  overview=overview[["claim", "outcome", "points", "holds", "unclear", "fails", "default_effect",
                                     "at the defaults"]].to_html(index=False, float_format="{:.2f}".format,
                                                                 escape=True),
                  params_table=params.to_html(index=False, float_format="{:.4g}".format, escape=True))
