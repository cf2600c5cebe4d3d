"""What a sweep's indices say, in words: which parameters show an effect against the reference input,
which are tied, whether interactions or second-order indices are resolved (plain tables in, sentences and
:class:`Reading` rows out; the report module draws and writes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd

from ..params import ALL, DUMMY

NEGLIGIBLE = 0.01  # indices in [0, 1] at or below this are "no detectable effect"
OUTSIDE = 0.1  # bounded estimates this far outside [0, 1] mean too small a sample, not a finding
SHOWN = {"mu_star": "mu*"}
MAX_LISTED = 6  # longer lists of negligible parameters are left to the indices table
ACRONYMS = {"gvc": "GVC", "sme": "SME", "musd": "MUSD"}


def pretty(output: str) -> str:
    """An output's name as a heading: words, acronyms in capitals, the first letter capitalised."""
    words = [ACRONYMS.get(w, w) for w in output.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def and_list(names: Sequence[str]) -> str:
    """Names as a list in words: "a, b and c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def horizon(indices: pd.DataFrame) -> pd.DataFrame:
    """The indices at the horizon (not the per-year rows)."""
    return indices[indices["year"].isna()]


def outputs_of(table: pd.DataFrame) -> list[str]:
    """The outputs of a table, in the order they first appear."""
    return list(dict.fromkeys(table["output"]))


def ranked(h: pd.DataFrame, main: str) -> list[str]:
    """Parameters of one output, largest main index first (not the reference input)."""
    m = h[(h["index"] == main) & (h["parameter"] != DUMMY)]
    return list(m.sort_values("value", ascending=False)["parameter"])


def reference(h: pd.DataFrame, index: str, upper: bool = False) -> float | None:
    """What the reference input scores on ``index``, if the sweep has it; with ``upper``, the upper end of
    its interval (the level a parameter's interval must clear to show an effect)."""
    ref = h.loc[(h["parameter"] == DUMMY) & (h["index"] == index)]
    if not len(ref) or pd.isna(ref["value"].iloc[0]):
        return None
    value, conf = float(ref["value"].iloc[0]), ref["conf"].iloc[0]
    return value + float(conf) if upper and pd.notna(conf) else value


def reference_words(method: ModuleType) -> str:
    """What the method's reference input is, in words."""
    if getattr(method, "REFERENCE", "inert") == "seed":
        return "an input that only redraws the seed noise"
    return "an input the model never reads"


def label(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant digits, without exponent notation below a million."""
    return f"{float(f'{x:.{digits}g}'):g}"


TOP = 3  # parameters named as drivers, plus any tied with the last of them


def split_ranking(m: pd.DataFrame, cut: float, use_conf: bool = True, shown: frozenset[str] = frozenset(),
                  unshown: frozenset[str] = frozenset()) -> tuple[list[str], list[str], list[str]]:
    """(top, unclear, negligible): detectable effects, large estimates whose interval reaches the cut, the rest.

    ``m`` is sorted by value, largest first. The drivers named are the first :data:`TOP` detectable ones and
    every other detectable one whose interval overlaps the last of them: a ranking never drops a parameter
    it cannot tell apart from one it names. ``use_conf`` False: the intervals are not to be trusted
    (eFAST's), the estimates decide alone. ``shown``: parameters whose effect another index shows (a
    first-order index clear of 0), detectable whatever the main index; ``unshown``: parameters another
    index rules out, weak whatever the main index.
    """
    conf = m["conf"].where(m["conf"].notna() & use_conf, 0.0)
    low = m["value"] - conf
    weak = (set(m.index[low <= cut]) - shown) | (set(unshown) & set(m.index))
    detectable = [p for p in m.index if p not in weak]
    top = detectable[:TOP]
    if top:
        floor = low[top[-1]]
        top += [p for p in detectable[TOP:] if m.at[p, "value"] + conf[p] >= floor]
    # a large estimate with a wide interval is "not known yet", not "no effect"
    unclear = [p for p in m.index[:3] if p in weak and m.at[p, "value"] > cut]
    return top, unclear, [p for p in m.index if p in weak and p not in unclear]


def _first_order_shown(d: pd.DataFrame, method: ModuleType) -> frozenset[str]:
    """Parameters whose first-order index is clear of :data:`NEGLIGIBLE` within its interval (reliable
    intervals only). Noise cannot make one: for an input that only redraws the noise, the first-order
    estimator has expectation 0, so this route stands beside the total index's comparison with the seed
    reference, which is conservative (the reference redraws the whole noise, a parameter often less)."""
    if method.MAIN != "ST" or not method.CONF_RELIABLE:
        return frozenset()
    s1 = d[(d["index"] == "S1") & d["conf"].notna()]
    return frozenset(s1.loc[s1["value"] - s1["conf"] > NEGLIGIBLE, "parameter"])


@dataclass(frozen=True)
class Reading:
    """How one output's parameters read against the reference: the drivers named (ties included), large
    estimates whose interval reaches the cut, and those with no detectable effect."""

    top: list[str]
    unclear: list[str]
    negligible: list[str]
    cut: float                  # the level an interval must clear
    reference: float | None     # the reference's level, where it sets the cut
    table: pd.DataFrame         # the main index by parameter, largest first


def _classify(rows: pd.DataFrame, method: ModuleType) -> Reading:
    """The :class:`Reading` of one output's rows at the horizon (reference and summary rows included)."""
    main = method.MAIN
    d = rows[~rows["parameter"].isin([DUMMY, ALL])]
    m = d[d["index"] == main].dropna(subset=["value"]).set_index("parameter").sort_values("value", ascending=False)
    # unbounded indices (Morris mu*) are in output units: "negligible" is relative to the largest
    cut = NEGLIGIBLE if main in method.BOUNDED else NEGLIGIBLE * float(m["value"].abs().max())
    # an effect is detectable only where its interval clears the reference's (value and half-width)
    ref_top = reference(rows, main, upper=method.CONF_RELIABLE)
    ref = ref_top if ref_top is not None and ref_top > cut else None
    cut = ref if ref is not None else cut
    top, unclear, negligible = split_ranking(m, cut, method.CONF_RELIABLE, _first_order_shown(d, method),
                                      _first_order_unshown(rows, method))
    return Reading(top, unclear, negligible, cut, ref, m)


def readings(indices: pd.DataFrame, method: ModuleType) -> dict[str, Reading]:
    """The :class:`Reading` of every output at the horizon: what the report's sentences say, as data."""
    h = horizon(indices)
    return {output: _classify(h[h["output"] == output], method) for output in outputs_of(h)}


def _first_order_unshown(rows: pd.DataFrame, method: ModuleType) -> frozenset[str]:
    """For a total index without reliable intervals (eFAST): parameters whose first-order index does not
    clear both :data:`NEGLIGIBLE` and the reference's. Seed noise spreads over every frequency of the
    spectrum, so eFAST's total index of an input the model never reads scatters widely on a noisy model
    (0.59 to 0.76 over eight designs of :func:`~simulation.sensitivity.known.redraw_only`, at N = 256 and
    1024), while its first-order index, a few harmonics of one frequency, shrinks with N (at most 0.01 at
    N = 1024): a single reference column cannot bound the first, it can the second."""
    if method.MAIN != "ST" or method.CONF_RELIABLE:
        return frozenset()
    s1 = rows[rows["index"] == "S1"].set_index("parameter")["value"]
    if DUMMY not in s1.index:
        return frozenset()
    floor = max(NEGLIGIBLE, float(s1[DUMMY]))
    return frozenset(p for p, v in s1.items() if p not in (DUMMY, ALL) and not v > floor)


def ranking_sentences(indices: pd.DataFrame, method_name: str, method: ModuleType,
                      meanings: Mapping[str, str], noise_high: Mapping[str, float] | None = None,
                      samples: int | None = None) -> dict[str, str]:
    """A few plain-words sentences per output (horizon): what drives it, what does not.

    ``noise_high``: the upper end of each output's seed-noise share (for the interaction reading where
    the design has no seed reference); ``samples``: the sweep's N (for the second-order reading).
    """
    noise_high = noise_high or {}
    h = horizon(indices)
    main = method.MAIN
    bounded = main in method.BOUNDED
    num = (lambda x: f"{x:.2f}") if bounded else (lambda x: label(x, 3))  # unbounded: in output units
    out = {}
    for output in outputs_of(h):
        d_all = h[h["output"] == output]
        d = d_all[~d_all["parameter"].isin([DUMMY, ALL])]
        r = _classify(d_all, method)
        m, cut, ref, top, unclear, negligible = r.table, r.cut, r.reference, r.top, r.unclear, r.negligible

        def show(p: str, head: str = "", m: pd.DataFrame = m) -> str:
            v, c = m.at[p, "value"], m.at[p, "conf"]
            return f"{p} ({head}{num(v)}" + (f" ± {num(c)})" if pd.notna(c) else ")")

        meaning = meanings.get(output, "")
        if meaning[1:2].islower():  # lower-case "Share of" but not "SMEs'"
            meaning = meaning[0].lower() + meaning[1:]
        subject = f"{pretty(output)} — {meaning} —" if meaning else f"{pretty(output)} at the horizon"
        reach = f"the reference level {num(cut)}" if ref is not None else "0"
        if top:
            named = [show(top[0], f"{SHOWN.get(main, main)} ")] + [show(p) for p in top[1:]]
            rest = (f", then {and_list(named[1:])}" if len(named) > 1 else "")
            verb = {"morris": "shows the largest elementary effects for",
                    "pawn": "has the largest PAWN median KS distance for"}.get(method_name, "is driven mostly by")
            text = f"{subject} {verb} {named[0]}{rest}."
        elif unclear:
            text = f"{subject} shows no effect of a swept parameter that this sample tells apart from {reach}."
        else:
            text = f"{subject} shows no detectable effect of any swept parameter."
        if unclear:
            verb = "have large estimates but their intervals include" if len(unclear) > 1 else \
                "has a large estimate but its interval includes"
            text += f" {and_list([show(p) for p in unclear])} {verb} {reach}: more samples would tell."
        if negligible and (top or unclear):
            if ref is not None:
                why = f"not clear of {num(cut)}, the top of what {reference_words(method)} scores"
            elif method.CONF_RELIABLE and m.loc[negligible, "conf"].notna().any():
                why = f"each at most {num(cut)} within its interval"
            else:
                why = f"below {cut:.2g}"
            who = and_list(negligible) if len(negligible) <= MAX_LISTED else f"{len(negligible)} other parameters"
            text += f" {who} {'has' if len(negligible) == 1 else 'have'} no detectable effect ({why})."
        if method_name == "morris" and (d["index"] == "sigma").any():
            sigma = d[d["index"] == "sigma"].set_index("parameter")["value"]
            # noise alone spreads the elementary effects: a sigma within the reference's says nothing
            noise_sigma = reference(d_all, "sigma") or 0.0
            bent = [p for p in top if sigma.get(p, 0) > max(m.at[p, "value"], noise_sigma)]
            if bent:
                text += f" The effect of {and_list(bent)} is non-linear or interacting (sigma larger than mu*)."
        b = d[d["index"].isin(method.BOUNDED)]
        if ((b["value"] < -OUTSIDE) | (b["value"] > 1 + OUTSIDE)).any():
            text += " Some estimates fall well outside [0, 1], where these indices lie: the sample is too small."
        elif main == "ST" and (d["index"] == "S1").any():
            text += _interactions(d[d["index"] == "S1"], d_all, method.CONF_RELIABLE, noise_high.get(output))
        if (d["index"] == "S2").any():
            text += second_order_sentence(d[d["index"] == "S2"], samples)
        if not method.CONF_RELIABLE:
            text += " (This method's intervals are unreliable, SALib warns: they are shown but decide nothing.)"
        out[output] = text
    return out


def _interactions(s1: pd.DataFrame, rows: pd.DataFrame, reliable: bool, noise_high: float | None) -> str:
    """Whether parameters acting together matter, said only as far as the intervals and the noise allow.

    The first-order indices add up to 1 only when every parameter acts alone and nothing is noise. With
    Sobol's rows for all parameters (``interactions`` = 1 − ΣS1 − ST of the seed reference, one bootstrap
    interval), interactions matter when that interval lies above 0. Otherwise ΣS1's upper end (intervals
    as independent errors) must stay below 1 minus the noise share's upper end (``noise_high``).
    """
    total = float(s1["value"].sum())
    both = rows[(rows["parameter"] == ALL)].set_index("index")
    if reliable and "interactions" in both.index and DUMMY in set(rows["parameter"]):
        share, conf = float(both.at["interactions", "value"]), float(both.at["interactions", "conf"])
        noise = reference(rows, "ST") or 0.0
        if share - conf > 0:
            return (f" Interactions matter: the first-order indices add up to {total:.2f} and the seed noise "
                    f"takes {noise:.2f}, which leaves {share:.2f} ± {conf:.2f} of the variance to parameters "
                    f"acting together.")
        return (f" No interaction is shown: the first-order indices add up to {total:.2f} and the seed noise "
                f"takes {noise:.2f}; what is left for parameters acting together, {share:.2f} ± {conf:.2f}, "
                f"is not clear of 0.")
    if not (reliable and s1["conf"].notna().all()):
        return (f" The first-order indices add up to {total:.2f}; without reliable intervals, whether parameters "
                f"acting together matter is not settled.") if total < 1 else ""
    upper = total + float(np.sqrt((s1["conf"] ** 2).sum()))
    noise = float(noise_high) if noise_high is not None and np.isfinite(noise_high) else 0.0
    if upper < 1 - noise:
        return (f" Interactions matter: the first-order indices add up to {total:.2f} (at most {upper:.2f} within "
                f"their intervals) and seed noise is at most {noise:.0%}, so at least {1 - noise - upper:.0%} of "
                f"the variance comes from parameters acting together.")
    return (f" No interaction is shown: the first-order indices add up to {total:.2f} (up to {upper:.2f} within "
            f"their intervals) and seed noise may take up to {noise:.0%} of the variance.")


def second_order_sentence(s2: pd.DataFrame, samples: int | None) -> str:
    """Which second-order indices this sample resolves (half-width below the estimate's size, so the
    interval excludes 0), and otherwise the N that would resolve the largest (half-widths shrink as 1/√N)."""
    s2 = s2.dropna(subset=["value", "conf"])
    if s2.empty:
        return ""
    resolved = s2[s2["conf"] < s2["value"].abs()].sort_values("value", key=abs, ascending=False)
    if len(resolved):
        named = [f"{r.parameter} ({r.value:.3f} ± {r.conf:.3f})" for r in resolved.head(MAX_LISTED).itertuples()]
        return f" Resolved second-order indices: {and_list(named)}; the other {len(s2) - len(resolved)} are not."
    big = s2.loc[s2["value"].abs().idxmax()]
    text = (f" No second-order index is resolved at this sample: every interval includes 0 (the largest, "
            f"{big['parameter']}, is {big['value']:.3f} ± {big['conf']:.3f})")
    if samples and abs(big["value"]) > 0:
        need = samples * (float(big["conf"]) / abs(float(big["value"]))) ** 2
        text += f"; resolving it would take about N = {2 ** int(np.ceil(np.log2(need))):,} if it stays this size"
    return text + "."
