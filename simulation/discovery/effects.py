"""Each point's paired effect, its interval and verdict; where the claim holds, by PRIM and by CART.

A point *holds* when the interval of its paired effect lies wholly on the
side of zero the claim predicts, *fails* when it lies wholly on the other
side, and is *unclear* otherwise (Friedman & Fisher's PRIM then looks for a
box of the uncertain parameters dense in "holds", and separately in
"fails"; a CART tree splits the space into regions of one verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as st

from ..experiments.compare import paired_ci
from ..extras import MissingExtra, require
from ..reporting.explore import ABOVE  # PRIM's points of interest: estimates on the predicted side
from .design import SAMPLE, Claim, Plan
from .prim import Prim, describe

HOLDS, FAILS, UNCLEAR = "holds", "fails", "unclear"
MIN_DENSITY = 0.8   # PRIM's chosen box: the largest (coverage) with at least this share of its points of interest
LEAF_SHARE = 0.05   # CART: a leaf holds at least this share of the points (no rules about a handful)
DEPTH = 3           # CART: at most three conditions per rule, so a rule reads as a sentence
SIGNIFICANT = 0.05  # a PRIM restriction is kept only if its quasi-p-value is below this
LIFT = 0.2          # a box is a finding when its density exceeds the share over all worlds by this much
CART_COLUMNS = ["rule", "verdict", "purity", "points", "cv_accuracy", "majority"]
CART = "CART (run.py explore)"  # what needs scikit-learn, the explore extra


def verdict(low: float, high: float, expect: int) -> str:
    """``holds`` when the interval is wholly on the predicted side of 0, ``fails`` on the other, else unclear.

    A claim of no difference (``expect`` 0, the H2 control) holds where the interval contains 0 and fails
    where it does not.
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return UNCLEAR
    if expect == 0:
        return HOLDS if low <= 0 <= high else FAILS
    if (low > 0 and expect > 0) or (high < 0 and expect < 0):
        return HOLDS
    if (high < 0 and expect > 0) or (low > 0 and expect < 0):
        return FAILS
    return UNCLEAR


def point_effects(plan: Plan, results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (claim, point): the mean paired effect over seeds, its interval and verdict.

    Each seed's effect is the signed sum of the claim's arms run on that seed
    at that point (common random numbers), so a seed's shared luck cancels.
    """
    by_claim = {c.name: c for c in plan.claims}
    rows = []
    for name, runs in plan.runs.groupby("claim", sort=False):
        claim = by_claim[name]
        r = runs.merge(results[["run_id", claim.outcome]], on="run_id", how="left")
        if r[claim.outcome].isna().any() and not r["run_id"].isin(results["run_id"]).all():
            raise ValueError(f"{name}: runs of the design have no result; resume the exploration")
        r["value"] = r["sign"] * r[claim.outcome]
        # a seed counts only with every arm's value (a ratio with no budget spent is undefined)
        per_seed = r.groupby(["point", "seed"])["value"].sum(min_count=len(claim.arms or ((None, 1),)))
        for point, diffs in per_seed.groupby(level="point"):
            mean, low, high, _ = paired_ci(diffs.to_numpy(dtype=float), level)
            if plan.exact:  # a deterministic model's effect is known exactly
                low = high = mean
            rows.append({"claim": name, "point": int(point), "effect": mean, "low": low, "high": high,
                         "seeds": int(diffs.notna().sum()), "verdict": verdict(low, high, claim.expect)})
    table = pd.DataFrame(rows)
    return table.merge(plan.points, on="point", how="left")


def prim_boxes(effects: pd.DataFrame, names: Sequence[str], bounds: dict[str, tuple[float, float]],
               of: str, expect: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM on the sample points for the verdict ``of``: the peeling trajectory and the reported box.

    ``of`` :data:`ABOVE` is the effect-size reading: the points of interest are the worlds whose estimated
    effect lies on the side ``expect`` predicts, whatever their interval (a threshold on the effect, not a
    verdict), so a region where the effect is larger shows as a box denser in them.

    The box is the trajectory's step with the highest coverage at a density of
    :data:`MIN_DENSITY` (or the share over all worlds plus :data:`LIFT`, if higher),
    then simplified: its least significant limit dropped and the rest re-tested,
    one at a time, until every limit left has a quasi-p-value below
    :data:`SIGNIFICANT` (peeling on a few hundred noisy points also trims
    parameters that do nothing). Its coverage, density and mass are those of the
    simplified box. Rows: every parameter the peeled box restricted; ``significant``
    marks those the reported box keeps (with their limits and quasi-p-values there;
    a dropped side is NaN). Empty tables when no point (or every point) has that verdict.
    """
    pts = effects[effects["kind"] == SAMPLE]
    y = (pts["verdict"] == of).to_numpy() if of != ABOVE else signed(pts, expect) > 0
    if not y.any() or y.all():
        return pd.DataFrame(), pd.DataFrame()
    x = pts[list(names)].astype(float).reset_index(drop=True)
    prim = Prim(x, y)
    box = prim.find_box()
    chosen = box.choose(min(1.0, max(MIN_DENSITY, float(y.mean()) + LIFT)))
    trajectory = box.trajectory.assign(chosen=lambda t: np.arange(len(t)) == chosen)
    peeled = box.restrictions(chosen)
    kept, stats = prim.simplify(box.limits[chosen], SIGNIFICANT)
    limits = peeled.copy()
    limits.loc[kept.index, ["min", "max", "qp_low", "qp_high"]] = kept[["min", "max", "qp_low", "qp_high"]]
    words = dict(zip(kept.index, describe(kept, bounds))) if len(kept) else {}
    limits = limits.assign(significant=limits.index.isin(kept.index), words=[words.get(n, "") for n in limits.index])
    step = box.trajectory.iloc[chosen]
    limits.attrs.update(coverage=stats["coverage"], density=stats["density"], mass=stats["mass"],
                        share=float(y.mean()), finding=bool(len(kept) and stats["density"] - y.mean() >= LIFT),
                        step=int(chosen), peeled_coverage=float(step["coverage"]),
                        peeled_density=float(step["density"]))
    return trajectory, limits.reset_index(names="parameter")


def cart_rules(effects: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """A CART tree (scikit-learn) of the verdicts over the sample points, one row per leaf: its rule in
    words, the verdict most of its points have, that share (purity) and how many points it holds; with
    the tree's 5-fold cross-validated accuracy and, to read it against, the share of the commonest
    verdict (what always guessing it scores): a tree no better than that has found no region.

    Needs scikit-learn (the ``explore`` extra): :class:`~simulation.extras.MissingExtra` without it."""
    tree_module = require("sklearn.tree", "explore", CART)
    selection = require("sklearn.model_selection", "explore", CART)
    pts = effects[effects["kind"] == SAMPLE].reset_index(drop=True)
    majority = float(pts["verdict"].value_counts(normalize=True).iloc[0])
    if pts["verdict"].nunique() < 2:
        return pd.DataFrame([{"rule": "everywhere", "verdict": pts["verdict"].iloc[0], "purity": 1.0,
                              "points": len(pts), "cv_accuracy": 1.0, "majority": majority}])
    X = pts[list(names)].astype(float).to_numpy()
    leaf = max(5, int(LEAF_SHARE * len(pts)))
    model = tree_module.DecisionTreeClassifier(max_depth=DEPTH, min_samples_leaf=leaf, random_state=0)
    folds = selection.StratifiedKFold(n_splits=5, shuffle=True, random_state=0) \
        if pts["verdict"].value_counts().min() >= 5 else selection.KFold(n_splits=5, shuffle=True, random_state=0)
    accuracy = float(selection.cross_val_score(model, X, pts["verdict"], cv=folds).mean())
    tree = model.fit(X, pts["verdict"])
    t = tree.tree_
    rows: list[dict[str, Any]] = []
    for node, rule in _leaves(t, names):
        counts = t.value[node][0]
        k = int(np.argmax(counts))
        rows.append({"rule": rule, "verdict": tree.classes_[k], "purity": float(counts[k] / counts.sum()),
                     "points": int(t.n_node_samples[node])})
    for r in rows:
        r.update(cv_accuracy=accuracy, majority=majority)
    return pd.DataFrame(rows).sort_values(["verdict", "points"], ascending=[True, False]).reset_index(drop=True)


def cart_skipped() -> str:
    """Empty when CART can run; else one line saying it was skipped and which extra brings it (PRIM runs)."""
    try:
        require("sklearn", "explore", CART)
    except MissingExtra as err:
        return f"CART regions and the effect tree skipped, PRIM ran: {err}"
    return ""


def signal_to_noise(sample: pd.DataFrame, level: float = 0.95) -> float:
    """How much the effect varies from world to world against how much one world's estimate varies with
    its seeds: the variance of the effects over the mean squared standard error. Near 1, the differences
    between worlds are what the seeds alone would give, and no box of the parameters can be found."""
    se = (sample["high"] - sample["low"]) / 2 / st.t.ppf(0.5 + level / 2, (sample["seeds"] - 1).clip(lower=1))
    noise = float(np.nanmean(se ** 2))
    return float(np.nanvar(sample["effect"], ddof=1) / noise) if noise > 0 else float("nan")


def summary(effects: pd.DataFrame, claims: Sequence[Claim]) -> pd.DataFrame:
    """Per claim: shares of sample points that hold, fail or are unclear, and the effect at the defaults."""
    rows = []
    for c in claims:
        e = effects[effects["claim"] == c.name]
        sample = e[e["kind"] == SAMPLE]
        s = sample["verdict"].value_counts(normalize=True)
        d = e[e["kind"] == "default"].iloc[0]
        rows.append({"claim": c.name, "outcome": c.outcome, "expect": c.expect, "points": len(sample),
                     "signal_to_noise": signal_to_noise(sample),
                     HOLDS: float(s.get(HOLDS, 0.0)), UNCLEAR: float(s.get(UNCLEAR, 0.0)),
                     FAILS: float(s.get(FAILS, 0.0)),
                     "claimed_sign": float((np.sign(sample["effect"]) == c.expect).mean()) if c.expect else np.nan,
                     "default_effect": float(d["effect"]),
                     "default_low": float(d["low"]), "default_high": float(d["high"]),
                     "default_verdict": d["verdict"]})
    return pd.DataFrame(rows)


# The effect-size reading: where is the effect larger, whatever each world's own verdict?
PERMUTATIONS = 99         # null fits of the effect tree: p-values down to 0.01
TREE = "the effect tree (run.py explore)"
TREE_COLUMNS = ["rule", "mean_effect", "points", "r2", "null_r2_95", "p_value", "cv_r2", "finding"]


def signed(effects: pd.DataFrame, expect: int) -> np.ndarray:
    """Each world's effect turned so that larger is more of what the claim predicts (the raw effect for a
    claim of no difference, whose departures either way are what the tree should find)."""
    return effects["effect"].to_numpy(dtype=float) * (expect if expect else 1)


def effect_tree(effects: pd.DataFrame, names: Sequence[str], expect: int, seed: int = 0) -> pd.DataFrame:
    """A regression tree of the per-world effect estimates over the parameters, one row per leaf: its rule
    in words, the mean effect there (in the outcome's units, signed as measured) and its points; with the
    tree's R² on the worlds it was grown on, the same fit on effects whose world labels were permuted
    (:data:`PERMUTATIONS` times: ``null_r2_95`` is the null's 95th percentile, ``p_value`` the share of
    null fits at or above the real one, counting the real one), the 5-fold cross-validated R² (how much it
    predicts for new worlds), and ``finding``: p below 0.05.

    Verdicts need each world's interval clear of 0, so with a few seeds per world a region whose effect is
    one noise standard deviation is seldom seen by PRIM and CART on verdicts; a tree of the estimates uses
    every world's number. The permutation null refits the whole greedy tree, so it prices in the tree's
    search for splits; the test is exact under the null that the parameters say nothing about the effect.
    (Cross-validated R² as the statistic found the one-noise-sd box of
    :func:`~simulation.sensitivity.known.faint_box` in 7 of 10 replications against 9 of 10 for this one,
    at the same rate of false findings on :func:`~simulation.sensitivity.known.no_box`.)
    Needs scikit-learn (the ``explore`` extra)."""
    tree_module = require("sklearn.tree", "explore", TREE)
    selection = require("sklearn.model_selection", "explore", TREE)
    pts = effects[(effects["kind"] == SAMPLE) & np.isfinite(effects["effect"])].reset_index(drop=True)
    X = pts[list(names)].astype(float).to_numpy()
    y = pts["effect"].to_numpy(dtype=float)
    leaf = max(5, int(LEAF_SHARE * len(pts)))
    if len(pts) < 5 * 2 * leaf or np.ptp(y) == 0:  # too few worlds for five folds of leaves, or nothing varies
        return pd.DataFrame(columns=TREE_COLUMNS)
    model = tree_module.DecisionTreeRegressor(max_depth=DEPTH, min_samples_leaf=leaf, random_state=0)

    def r2(target: np.ndarray) -> float:
        return float(model.fit(X, target).score(X, target))

    real = r2(y)
    rng = np.random.default_rng([seed, 31])
    null = np.array([r2(rng.permutation(y)) for _ in range(PERMUTATIONS)])
    p_value = float((1 + np.sum(null >= real)) / (1 + PERMUTATIONS))
    folds = selection.KFold(n_splits=5, shuffle=True, random_state=seed)
    cv_r2 = float(selection.cross_val_score(model, X, y, cv=folds, scoring="r2").mean())
    fitted = model.fit(X, y).tree_
    rows = [{"rule": rule, "mean_effect": float(fitted.value[node][0][0]), "points": int(fitted.n_node_samples[node])}
            for node, rule in _leaves(fitted, names)]
    table = pd.DataFrame(rows).assign(r2=real, null_r2_95=float(np.quantile(null, 0.95)), p_value=p_value,
                                      cv_r2=cv_r2, finding=p_value < SIGNIFICANT)
    # leaves in the order of the claim: where the predicted effect is largest first
    order = np.argsort(-table["mean_effect"].to_numpy() * (expect if expect else 1), kind="stable")
    return table.iloc[order].reset_index(drop=True)[TREE_COLUMNS]


def _leaves(t: Any, names: Sequence[str]) -> list[tuple[int, str]]:
    """(node, rule in words) of every leaf of a fitted scikit-learn tree (``estimator.tree_``), left to right:
    the path's splits gathered into one interval per parameter."""
    out: list[tuple[int, str]] = []

    def walk(node: int, limits: dict[str, list[float]]) -> None:
        if t.children_left[node] == -1:
            out.append((node, _rule(limits)))
            return
        name, cut = names[t.feature[node]], float(t.threshold[node])
        lo, hi = limits.get(name, [-np.inf, np.inf])
        walk(t.children_left[node], {**limits, name: [lo, min(hi, cut)]})
        walk(t.children_right[node], {**limits, name: [max(lo, cut), hi]})

    walk(0, {})
    return out


def _rule(limits: dict[str, list[float]]) -> str:
    """A tree path as one condition per parameter (a path may split one parameter twice)."""
    words = []
    for name, (lo, hi) in limits.items():
        if np.isfinite(lo) and np.isfinite(hi):
            words.append(f"{lo:.3g} < {name} <= {hi:.3g}")
        else:
            words.append(f"{name} > {lo:.3g}" if np.isfinite(lo) else f"{name} <= {hi:.3g}")
    return " and ".join(words) or "everywhere"
