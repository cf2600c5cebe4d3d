"""The hypotheses document: each direction's causal chain and ablation table, from a saved effects table.

Reads only the table that :func:`simulation.experiments.ablation.effects`
returns (saved as ``effects.csv`` by ``run.py ablate``), so it can be
rewritten without rerunning the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..experiments.ablation import ALL_NAMED, DEFAULTS, NAMED_AND_ALSO, Direction
from ..params import REGISTRY


def _fmt(x: float, scale: float | None = None) -> str:
    """A number at the resolution of ``scale`` (the effect it belongs with), so an interval reads alike."""
    if not np.isfinite(x):
        return "n/a"
    scale = abs(x) if scale is None else abs(scale)
    if scale >= 100:
        return f"{x:,.0f}"
    if scale >= 1:
        return f"{x:.1f}"
    if scale >= 0.01:
        return f"{x:.3f}"
    return f"{x:.4f}"


def _effect(row: pd.Series) -> str:
    scale = max(abs(row["ci_low"]), abs(row["ci_high"])) if np.isfinite(row["ci_low"]) else row["effect"]
    return f"{_fmt(row['effect'], scale)} [{_fmt(row['ci_low'], scale)}, {_fmt(row['ci_high'], scale)}]"


def sign_verdict(row: pd.Series, expect: int) -> str:
    """Whether an effect's 95% interval shows the sign ``expect`` (0: no difference is claimed)."""
    lo, hi = expect * row["ci_low"], expect * row["ci_high"]
    if expect == 0:
        return "no detectable difference" if row["ci_low"] <= 0 <= row["ci_high"] else "a difference is detected"
    if lo > 0 and hi > 0:
        return "holds (the 95% interval excludes zero in the claimed direction)"
    if lo < 0 and hi < 0:
        return "reversed (the 95% interval excludes zero in the other direction)"
    return "not shown (the 95% interval includes zero)"


def direction_verdict(table: pd.DataFrame, d: Direction) -> tuple[str, str]:
    """Whether the claim holds at the defaults (sign and CI on its first outcome) and whether the named
    mechanisms carry it (all of them off removes at least half of the point estimate)."""
    rows = table[(table["direction"] == d.name) & (table["outcome"] == d.outcomes[0])].set_index("variant")
    base, off = rows.loc[DEFAULTS], rows.loc[ALL_NAMED]
    holds = sign_verdict(base, d.expect)
    if d.expect == 0:
        carried = "not applicable (a control: no effect is claimed)"
    elif abs(base["effect"]) == 0 or not np.isfinite(base["effect"]):
        carried = "not applicable (no effect at the defaults)"
    elif not holds.startswith("holds"):
        remaining = off["effect"] / base["effect"]
        carried = (f"not applicable (the claim is not shown at the defaults; with all named mechanisms off, "
                   f"{remaining:.0%} of the point estimate remains)")
    else:
        remaining = off["effect"] / base["effect"]
        if remaining < -0.1:  # a reversal beyond noise-sized remainders
            carried = (f"yes, and more: with all named mechanisms off the effect reverses ({remaining:.0%} of it "
                       "remains), so something else works against the claim")
        else:
            carried = (f"{'yes' if remaining <= 0.5 else 'NO'}: with all named mechanisms off, "
                       f"{remaining:.0%} of the effect remains")
    return holds, carried


def further_claims(table: pd.DataFrame, d: Direction) -> list[str]:
    """A line for each further outcome the claim predicts a sign for, judged at the defaults."""
    lines = []
    for outcome, sign in d.claims:
        row = table[(table["direction"] == d.name) & (table["outcome"] == outcome)
                    & (table["variant"] == DEFAULTS)].iloc[0]
        lines.append(f"- Also claimed, {outcome} {'higher' if sign > 0 else 'lower'}: {sign_verdict(row, sign)}; "
                     f"{_effect(row)}.")
    return lines


def _also(table: pd.DataFrame, d: Direction) -> list[str]:
    """A line on what remains with the named mechanisms and the rest of the chain switched off."""
    if not d.also:
        return []
    rows = table[(table["direction"] == d.name) & (table["outcome"] == d.outcomes[0])].set_index("variant")
    if NAMED_AND_ALSO not in rows.index or not rows.loc[DEFAULTS, "effect"]:
        return []
    left = rows.loc[NAMED_AND_ALSO, "effect"] / rows.loc[DEFAULTS, "effect"]
    return [f"- With the named mechanisms and {', '.join(f'`{m}`' for m in d.also)} (which the causal chain also "
            f"uses) switched off together, {left:.0%} of the effect remains."]


def strongest(table: pd.DataFrame, d: Direction) -> str:
    """The single mechanism whose removal moves the effect on the first outcome most, in words."""
    rows = table[(table["direction"] == d.name) & (table["outcome"] == d.outcomes[0])]
    base = rows[rows["variant"] == DEFAULTS].iloc[0]["effect"]
    single = rows[rows["variant"].str.startswith("-")]
    if single.empty or not np.isfinite(base) or base == 0:
        return "No single mechanism stands out."
    moved = (single["effect"] - base).abs()
    top = single.loc[moved.idxmax()]
    return (f"Switching off `{top['variant'].lstrip('-')}` alone moves the effect on {d.outcomes[0]} most: "
            f"from {_fmt(base)} to {_fmt(top['effect'])} ({top['share_of_default']:.0%} of it remains).")


def _default(table: pd.DataFrame, d: Direction, outcome: str) -> pd.Series:
    return table[(table["direction"] == d.name) & (table["outcome"] == outcome)
                 & (table["variant"] == DEFAULTS)].iloc[0]


def claimed(d: Direction) -> dict[str, int]:
    """The outcomes a question predicts a sign for (0: no difference), its first outcome first."""
    return {d.outcomes[0]: d.expect, **dict(d.claims)}


def verdicts(table: pd.DataFrame, directions: Sequence[Direction]) -> pd.DataFrame:
    """Each question's paired effect at the defaults on every outcome it reports, and its verdict where it
    claims a sign: the table ``tests/test_directions.py`` holds the model to (docs/hypotheses.csv)."""
    rows = []
    for d in directions:
        signs = claimed(d)
        for outcome in d.outcomes:
            r = _default(table, d, outcome)
            sign = signs.get(outcome)
            rows.append({"direction": d.name, "part_of": d.part_of, "outcome": outcome, "seeds": int(r["seeds"]),
                         "effect": r["effect"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                         "claimed_sign": np.nan if sign is None else sign,
                         "verdict": "" if sign is None else sign_verdict(r, sign).split(" (")[0]})
    return pd.DataFrame(rows)


GLANCE = ("<!-- BEGIN GLANCE -->", "<!-- END GLANCE -->")
WORLDS = ("<!-- BEGIN WORLDS -->", "<!-- END WORLDS -->")
ALSO = " @ "  # a further outcome a question claims a sign for, as the plausible-worlds study names it


def _claim_name(d: Direction, outcome: str) -> str:
    return d.name if outcome == d.outcomes[0] else f"{d.name}{ALSO}{outcome}"


def _share(worlds: pd.DataFrame | None, claim: str) -> str:
    """"holds in 62% (fails 3%)" of the plausible worlds, or "" when the study has not judged that claim."""
    if worlds is None:
        return ""
    row = worlds[worlds["claim"] == claim]
    if row.empty:
        return ""
    r = row.iloc[0]
    if int(r["expect"]) == 0:  # a control: it holds where no difference is shown
        return f"no difference in {r['holds']:.0%}"
    return f"{r['holds']:.0%} (fails {r['fails']:.0%})"


def glance(v: pd.DataFrame, directions: Sequence[Direction], worlds: pd.DataFrame | None = None) -> list[str]:
    """One row per question: its effect on exporter-years and on new exporters, the verdict on its first
    outcome at the defaults and, when the plausible-worlds study has run, the share of those worlds in which
    it holds. ``v`` is :func:`verdicts`' table (docs/hypotheses.csv), so the block can be rewritten from it."""
    def row(d: Direction, outcome: str) -> pd.Series:
        return v[(v["direction"] == d.name) & (v["outcome"] == outcome)].iloc[0]

    share = worlds is not None
    out = [GLANCE[0], "| question | part of | exporter-years | new exporters | verdict on its first outcome |"
           + (" holds in plausible worlds |" if share else ""), "|---|---|---|---|---|" + ("---|" if share else "")]
    for d in directions:
        cells = [_effect(row(d, o)) if o in d.outcomes else "" for o in ("exporter_years", "new_exporters")]
        verdict = sign_verdict(row(d, d.outcomes[0]), d.expect).split(" (")[0]
        out.append(f"| {d.name} | {d.part_of or ''} | {cells[0]} | {cells[1]} | {d.outcomes[0]}: {verdict} |"
                   + (f" {_share(worlds, d.name)} |" if share else ""))
    return [*out, GLANCE[1]]


def moves_with(effects: pd.DataFrame, claim: str, names: Sequence[str], top: int = 3) -> str:
    """The judged numbers a claim's effect moves with across the sampled worlds: Spearman's rho of the effect
    with each number, those beyond what chance gives among this many numbers (two-sided 5%, Bonferroni), the
    strongest first (``"le_openness (rho -0.62)"``)."""
    from scipy.stats import norm, spearmanr

    worlds = effects[(effects["claim"] == claim) & (effects["kind"] == "sample")]
    if len(worlds) < 10 or not names:
        return ""
    critical = norm.ppf(1 - 0.025 / len(names)) / np.sqrt(len(worlds) - 1)
    rhos = {}
    for n in names:
        if worlds[n].nunique() > 1 and worlds["effect"].nunique() > 1:
            rhos[n] = float(spearmanr(worlds[n], worlds["effect"]).statistic)
    strong = sorted((n for n, r in rhos.items() if abs(r) >= critical), key=lambda n: -abs(rhos[n]))[:top]
    return "; ".join(f"{n} (rho {rhos[n]:+.2f})" for n in strong)


def worlds_table(summary: pd.DataFrame, boxes: pd.DataFrame, cart: pd.DataFrame,
                 effects: pd.DataFrame | None = None, names: Sequence[str] = ()) -> pd.DataFrame:
    """The plausible-worlds study's verdicts, one row per claim (docs/plausible_worlds.csv): the shares of
    sampled worlds where it holds, is unclear and fails, how much worlds differ beyond seed noise, PRIM's
    significant restrictions of the box where it fails and of the box where it holds, in words, CART's rule
    where it fails when the tree predicts better than chance, and the judged numbers the effect moves with
    (:func:`moves_with`; ``effects`` is the study's effects.csv, ``names`` the numbers it varied)."""
    def where(claim: str, of: str) -> str:
        b = boxes[(boxes["claim"] == claim) & (boxes["of"] == of)] if len(boxes) else boxes
        if b.empty or not bool(b["finding"].iloc[0]):
            return ""
        strong = b[b["significant"].astype(bool)]
        return " and ".join(strong["words"]) if len(strong) else ""

    def rule(claim: str, verdict: str) -> str:
        r = cart[(cart["claim"] == claim) & (cart["verdict"] == verdict)] if len(cart) else cart
        if r.empty or r["cv_accuracy"].iloc[0] <= r["majority"].iloc[0] + 0.05:
            return ""  # a tree that predicts no better than the commonest verdict has found no region
        return str(r["rule"].iloc[0])

    rows = []
    for _, r in summary.iterrows():
        rows.append({"claim": r["claim"], "outcome": r["outcome"], "expect": int(r["expect"]),
                     "worlds": int(r["points"]), "holds": r["holds"], "unclear": r["unclear"], "fails": r["fails"],
                     "claimed_sign": r["claimed_sign"], "signal_to_noise": r["signal_to_noise"],
                     "default_verdict": r["default_verdict"], "prim_fails_where": where(r["claim"], "fails"),
                     "prim_holds_where": where(r["claim"], "holds"), "cart_fails_where": rule(r["claim"], "fails"),
                     "moves_with": "" if effects is None else moves_with(effects, r["claim"], names)})
    return pd.DataFrame(rows)


def _text(x: object) -> str:
    return x if isinstance(x, str) else ""


def _pct(x: float) -> str:
    return f"{x:.0%}" if np.isfinite(x) else "–"  # a control claims no sign


def worlds_section(worlds: pd.DataFrame | None, command: str) -> list[str]:
    """The plausible-worlds section of docs/hypotheses.md, from docs/plausible_worlds.csv."""
    out = [WORLDS[0], "## Each verdict across plausible worlds", ""]
    if worlds is None:
        return [*out, f"Not run yet: `{command}` writes docs/plausible_worlds.csv and this section.", WORLDS[1]]
    n = int(worlds["worlds"].max())
    out += [f"Generated by `{command}` (docs/plausible_worlds.csv). Every number of the model set by judgment "
            "(each registry parameter and each catalogue unit cost and effect strength whose provenance, in "
            "docs/ODD.md's tables, is *judgment*) is drawn together over its plausible range, a Latin hypercube "
            f"of {n} worlds; sourced and calibrated numbers keep their values, and a parameter a comparison's "
            "own arms set is left as they set it. In each world every question is judged as above (the paired "
            "effect's 95% interval over the world's common seeds). *Holds*: the interval excludes zero in the "
            "claimed direction; *fails*: it excludes zero the other way; the rest are unclear. *Claimed sign*: "
            "the share of worlds whose point estimate has the claimed sign. Where a claim fails in some worlds, "
            "PRIM names the region of judged numbers where it fails (its significant restrictions; with 100 "
            "worlds over this many numbers it rarely finds one), and CART when its tree predicts verdicts better "
            "than chance. *Moves with*: the judged numbers whose rank correlation with the world's effect is "
            "beyond what chance gives among this many numbers (two-sided 5%, Bonferroni), strongest first.", "",
            "| claim | outcome | holds | unclear | fails | claimed sign | at the defaults | where it fails (PRIM) "
            "| the effect moves with |",
            "|---|---|---|---|---|---|---|---|---|"]
    for _, r in worlds.iterrows():
        where = r["prim_fails_where"] if isinstance(r["prim_fails_where"], str) and r["prim_fails_where"] else (
            "no region stands out" if r["fails"] > 0 else "")
        out.append(f"| {r['claim']} | {r['outcome']} | {r['holds']:.0%} | {r['unclear']:.0%} | {r['fails']:.0%} "
                   f"| {_pct(r['claimed_sign'])} | {r['default_verdict']} | {where} | {_text(r.get('moves_with'))} |")
    return [*out, "", WORLDS[1]]


def read_worlds(beside: str | Path) -> pd.DataFrame | None:
    """docs/plausible_worlds.csv, the plausible-worlds study's verdicts, beside ``beside`` (None if absent)."""
    path = Path(beside).with_name("plausible_worlds.csv")
    return pd.read_csv(path, keep_default_na=False, na_values=[""]) if path.is_file() else None


def replace_block(text: str, markers: tuple[str, str], lines: list[str]) -> str:
    """``text`` with the block between ``markers`` replaced by ``lines`` (which carry the markers)."""
    start, end = text.index(markers[0]), text.index(markers[1]) + len(markers[1])
    return text[:start] + "\n".join(lines) + text[end:]


def _parts(table: pd.DataFrame, directions: Sequence[Direction], whole: str) -> list[str]:
    """The questions that are parts of ``whole`` beside it, on its first outcome, in words."""
    parent = next((d for d in directions if d.name == whole), None)
    parts = [d for d in directions if d.part_of == whole or (whole == "H1" and d.name == "sequencing")]
    if parent is None or not parts:
        return []
    total = _default(table, parent, parent.outcomes[0])
    out = [f"## {whole} in parts", "",
           f"Each part is its own paired comparison (its section below names the arms: the package with the "
           f"part minus the same package without it, at the same money), on {parent.outcomes[0]}; the whole "
           f"({' - '.join(f'`{n}`' for n, _ in parent.arms)}) is {_effect(total)}. Parts need not add up to "
           "the whole: they interact.", "",
           "| part | effect | verdict |", "|---|---|---|"]
    for d in parts:
        r = _default(table, d, parent.outcomes[0])
        out.append(f"| {d.name} | {_effect(r)} | {sign_verdict(r, d.expect).split(' (')[0]} |")
    return [*out, ""]


WORLDS_COMMAND = "python docs/plausible_worlds.py --workers 2"


def markdown(table: pd.DataFrame, directions: Sequence[Direction], seeds: int, n_smes: int, command: str,
             worlds: pd.DataFrame | None = None) -> str:
    """docs/hypotheses.md as text (``worlds``: docs/plausible_worlds.csv, when the study has run)."""
    out = [
        "# Hypotheses: what carries each direction",
        "",
        f"Generated by `{command}` from the model as it is; do not edit by hand (`python docs/ablations.py` "
        "reruns it and rewrites this file). Every effect is a paired "
        f"difference over {seeds} common seeds ({n_smes:,} SMEs, 40 quarters) with its 95% t interval. Each "
        "direction is measured at the registry defaults, then with one mechanism switched off at a time "
        "(registry group `mechanisms`; every arm of the comparison loses it alike), then with all the "
        "mechanisms the domain brief names for that direction switched off together. A direction is "
        "*carried* by its named mechanisms when switching them all off removes at least half of the effect "
        "on its first outcome.",
        "",
        "Each claim of the paper is its own question, and each question is judged first on exporting that "
        "lasts: *exporter-years* (exporting SMEs summed over the quarters, in years) and *lasting entrants* "
        "(first-time exporters that export in each of the four quarters after entry; entries in the last four "
        "quarters are not counted). New exporters, which count churn, are reported beside them. Verdicts at "
        "the defaults, as `docs/hypotheses.csv` holds them for `tests/test_directions.py`:",
        "",
        *glance(verdicts(table, directions), directions, worlds),
        "",
        "| direction | claim holds at the defaults | carried by its named mechanisms |",
        "|---|---|---|",
    ]
    for d in directions:
        holds, carried = direction_verdict(table, d)
        if d.claims:
            holds = f"on {d.outcomes[0]}: {holds}; " + "; ".join(
                f"on {o}: " + sign_verdict(table[(table["direction"] == d.name) & (table["outcome"] == o)
                                                 & (table["variant"] == DEFAULTS)].iloc[0], sign).split(" (")[0]
                for o, sign in d.claims)
        out.append(f"| {d.name} | {holds} | {carried} |")
    out.append("")
    out += [*worlds_section(worlds, WORLDS_COMMAND), ""]
    out += _parts(table, directions, "H1") + _parts(table, directions, "H4")
    for d in directions:
        holds, carried = direction_verdict(table, d)
        arms = " ".join(f"{'+' if sign > 0 else '-'} `{name}`" for name, sign in d.arms).lstrip("+ ")
        out += [f"## {d.name}", "", d.claim, "",
                f"Measured as {arms}" + (f", with {', '.join(f'`{k}` = {v}' for k, v in d.params.items())}"
                                         if d.params else "") + ".",
                "", f"- Claim at the defaults, on {d.outcomes[0]}: {holds}.", *further_claims(table, d),
                f"- Carried by its named mechanisms (on {d.outcomes[0]}): {carried}.",
                f"- Named mechanisms (domain brief): {', '.join(f'`{m}`' for m in d.mechanisms)}.",
                *([f"- {strongest(table, d)}"] if d.expect else []), *_also(table, d), "",
                "Causal chain in the code:", ""]
        out += [f"{i}. {step}" for i, step in enumerate(d.chain, 1)]
        out += ["", "| variant | " + " | ".join(d.outcomes) + " |", "|---|" + "---|" * len(d.outcomes)]
        sub = table[table["direction"] == d.name]
        for variant in dict.fromkeys(sub["variant"]):
            cells = []
            for o in d.outcomes:
                r = sub[(sub["variant"] == variant) & (sub["outcome"] == o)].iloc[0]
                share = "" if variant == DEFAULTS or not d.expect or not np.isfinite(r["share_of_default"]) \
                    else f" ({r['share_of_default']:.0%})"
                cells.append(_effect(r) + share)
            label = (variant if variant in (DEFAULTS, ALL_NAMED) else
                     f"named and {', '.join(f'`{m}`' for m in d.also)} off" if variant == NAMED_AND_ALSO else
                     f"`{variant.lstrip('-')}` off")
            if variant.lstrip("-") in d.mechanisms:
                label += " (named)"
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out += ["", "Percentages: the share of the default effect that remains with the mechanism off." if d.expect
                else "A control: the claim is no difference, so shares of the default effect mean nothing here.", ""]
    out += ["## The mechanism switches", "", "| switch | what switching it off does |", "|---|---|"]
    out += [f"| `{p.name}` | {p.meaning.removeprefix('Mechanism switch (1 on, 0 off): ')} |"
            for p in REGISTRY.values() if p.group == "mechanisms"]
    return "\n".join(out) + "\n"
