"""PRIM, the Patient Rule Induction Method, for scenario discovery: a box of the parameters where a claim holds.

Friedman and Fisher (1999), "Bump hunting in high-dimensional data", as EMA
Workbench 3.0 implements it for scenario discovery (Bryant and Lempert 2010),
reproduced here for numeric inputs so that its boxes match EMA's: EMA needs
Python >= 3.12, and the `prim` package is GPL.

*Peeling* starts from the box holding every point and, step by step, cuts off
a slice of about ``peel_alpha`` of the points at one end of one parameter,
choosing the cut with EMA's default objective ("lenient1": the gain in the
share of points of interest per point removed), until no cut gains or the box
would hold less than ``mass_min`` of the points. *Pasting* then widens the box
again wherever that adds points and raises the share. Each step is a candidate
box: the trajectory trades *coverage* (the share of all points of interest
that fall in the box) against *density* (the share of the box's points that
are of interest). The quasi-p-value of a limit (Bryant and Lempert 2010) is a
one-sided binomial test of whether the box's density could come from the box
without that limit: small means the limit matters.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

__all__ = ["Prim", "PrimBox", "describe"]

Limits = np.ndarray  # shape (2, n_columns): row 0 the lower limits, row 1 the upper ones


def _quantile(data: np.ndarray, q: float) -> float:
    """EMA's quantile (from sdtoolkit): the midpoint of the two values around position (n-1)q.

    Where they tie it moves outward (down for q > 0.5, up otherwise) to the next
    different value, so that a cut always falls between two distinct values.
    """
    data = np.sort(data)
    pos = (len(data) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    if q > 0.5:
        while data[lo] == data[hi] and lo > 0:
            lo -= 1
    else:
        while data[lo] == data[hi] and hi < len(data) - 1:
            hi += 1
    return float((data[lo] + data[hi]) / 2)


def _lenient1(n_old: int, k_old: int, n_new: int, k_new: int) -> float:
    """EMA's default objective: the change in the share of points of interest per point removed (or added)."""
    mean_old = k_old / n_old
    mean_new = k_new / n_new if n_new else 0.0
    if mean_new == mean_old or n_new == n_old:
        return 0.0
    return (mean_new - mean_old) / abs(n_old - n_new)


@dataclass
class PrimBox:
    """The peeling and pasting trajectory of one PRIM box: each step is a candidate box.

    ``trajectory`` has one row per step: ``coverage`` (share of all points of
    interest inside the box), ``density`` and ``mean`` (share of the box's
    points that are of interest; equal for a boolean y), ``mass`` (share of all
    points inside the box), ``res_dim`` (how many parameters it restricts), ``n``
    (points inside) and ``k`` (points of interest inside). Row 0 is the whole space.
    ``limits[i]`` is step i's box: index every parameter, columns ``min`` and
    ``max`` (inclusive; an unrestricted parameter keeps the range of the data).
    ``qp[i]`` holds the quasi-p-values of step i's restricted parameters
    (columns ``qp_low`` and ``qp_high``, NaN on a side that is not restricted).
    """

    trajectory: pd.DataFrame
    limits: list[pd.DataFrame]
    qp: list[pd.DataFrame]

    def restrictions(self, i: int) -> pd.DataFrame:
        """The parameters step i restricts: ``min``, ``max``, ``qp_low``, ``qp_high``, the smallest qp first.

        A NaN qp marks a side left at the range of the data (not restricted).
        """
        qp = self.qp[i]
        table = self.limits[i].loc[qp.index].join(qp)
        order = np.argsort(qp.min(axis=1, skipna=True).to_numpy(), kind="stable")
        return table.iloc[order]

    def choose(self, min_density: float) -> int:
        """The step to report: the highest coverage among steps at least ``min_density`` dense.

        Ties go to the denser step; if no step is that dense, the densest step (the earliest of equals).
        """
        t = self.trajectory
        ok = np.flatnonzero(t["density"].to_numpy() >= min_density)
        if ok.size == 0:
            return int(np.argmax(t["density"].to_numpy()))
        best = np.lexsort((-t["density"].to_numpy()[ok], -t["coverage"].to_numpy()[ok]))[0]
        return int(ok[best])


class Prim:
    """PRIM over numeric uncertain parameters ``x`` for the points of interest ``y``.

    ``x``: one row per point of the experiment, one float or integer column per
    uncertain parameter. ``y``: boolean (or 0/1) per point, by position, True
    where the point is of interest (e.g. where the direction holds). ``peel_alpha``: the share
    of the box's points each peel removes; ``paste_alpha``: the share of the
    points next to a limit each paste considers adding; ``mass_min``: the
    smallest share of all points a box may hold.
    """

    def __init__(self, x: pd.DataFrame, y: np.ndarray | pd.Series, *, peel_alpha: float = 0.05,
                 paste_alpha: float = 0.05, mass_min: float = 0.05) -> None:
        if not isinstance(x, pd.DataFrame) or x.shape[1] == 0 or x.shape[0] == 0:
            raise ValueError("x must be a DataFrame with at least one row and one column (the uncertain parameters)")
        for name, col in x.items():
            # EMA treats booleans, strings and categories as categorical inputs: not supported here.
            if pd.api.types.is_bool_dtype(col) or not (
                    pd.api.types.is_float_dtype(col) or pd.api.types.is_integer_dtype(col)):
                raise ValueError(f"column {name!r} of x is not numeric (dtype {col.dtype}): "
                                 "PRIM here takes float or integer parameters only")
            if col.isna().any():
                raise ValueError(f"column {name!r} of x has missing values")
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != x.shape[0]:
            raise ValueError(f"y must be one value per row of x: got shape {y.shape} for {x.shape[0]} rows")
        if y.dtype != bool:
            if not np.issubdtype(y.dtype, np.number) or not np.isin(y, (0, 1)).all():
                raise ValueError(f"y must be boolean or 0/1 (True where the point is of interest); "
                                 f"got dtype {y.dtype} with values {np.unique(y)[:5].tolist()}")
            y = y.astype(bool)
        for name, value in (("peel_alpha", peel_alpha), ("paste_alpha", paste_alpha)):
            if not 0 < value < 0.5:
                raise ValueError(f"{name} must be between 0 and 0.5, got {value}")
        if not 0 <= mass_min < 1:
            raise ValueError(f"mass_min must be in [0, 1), got {mass_min}")
        self._columns = list(x.columns)
        self._is_int = np.array([pd.api.types.is_integer_dtype(c) for _, c in x.items()])
        self._x = x.to_numpy(dtype=float)
        self._y = y
        self.peel_alpha, self.paste_alpha, self.mass_min = peel_alpha, paste_alpha, mass_min
        self._init = np.vstack([self._x.min(axis=0), self._x.max(axis=0)])
        # EMA peels and pastes float columns before integer ones; the order settles ties between equal scores.
        self._groups = (np.flatnonzero(~self._is_int), np.flatnonzero(self._is_int))

    def find_box(self) -> PrimBox:
        """Peel, then paste, as EMA's first ``find_box`` does (not its later boxes, found without this one's points)."""
        n = len(self._y)
        inside = np.arange(n)
        lims = self._init.copy()
        steps = [(lims, inside)]
        while True:  # peeling: the best cut, while it gains and keeps at least mass_min
            cands = [c for group in self._groups for j in group for c in self._peels(j, lims, inside)]
            (score, _), new, idx = self._best(inside, cands)
            if not (len(idx) / n >= self.mass_min and len(idx) < len(inside) and score > 0):
                break
            lims, inside = new, idx
            steps.append((lims, inside))
        while True:  # pasting: the best widening of a restricted limit, while it adds points of interest
            restricted = self._restricted(lims)
            cands = []
            for group in self._groups:
                cands += [c for j in group if restricted[j] for c in self._pastes(j, lims)]
                if not cands:  # as in EMA: with no float column restricted, integer columns are not pasted
                    break
            if not cands:
                break
            (score, _), new, idx = self._best(inside, cands)
            k_old, k_new = self._y[inside].sum(), self._y[idx].sum()
            if not (len(idx) / n >= self.mass_min and len(idx) > len(inside) and score > 0
                    and k_new / len(idx) > k_old / len(inside)):
                break
            lims, inside = new, idx
            steps.append((lims, inside))
        return self._box(steps)

    def _restricted(self, lims: Limits) -> np.ndarray:
        return (lims != self._init).any(axis=0)

    def _in(self, lims: Limits) -> np.ndarray:
        return ((self._x >= lims[0]) & (self._x <= lims[1])).all(axis=1)

    def _best(self, inside: np.ndarray, cands: list[tuple[Limits, np.ndarray]]):
        """The candidate with the best objective, then the fewest restrictions; the first of equals, as in EMA."""
        k_old = self._y[inside].sum()
        scored = [((_lenient1(len(inside), k_old, len(idx), self._y[idx].sum()),
                    len(self._columns) - self._restricted(new).sum()), new, idx) for new, idx in cands]
        return max(scored, key=lambda s: s[0])

    def _peels(self, j: int, lims: Limits, inside: np.ndarray) -> Iterator[tuple[Limits, np.ndarray]]:
        """Cut about peel_alpha of the box's points off the top, then the bottom, of parameter j."""
        xj = self._x[inside, j]
        for side, q in ((1, 1 - self.peel_alpha), (0, self.peel_alpha)):
            cut = _quantile(xj, q)
            if not self._is_int[j]:
                keep = xj <= cut if side else xj >= cut
                limit = cut
            else:
                # EMA truncates the quantile to an integer; if that would not move the limit,
                # it drops the values at the limit instead; the new limit is a value in the data.
                cut = int(cut)
                if side:
                    keep = (xj < lims[1, j] if cut == lims[1, j] else xj <= cut) & (xj >= lims[0, j])
                else:
                    keep = (xj > lims[0, j] if cut == lims[0, j] else xj >= cut) & (xj <= lims[1, j])
                kept = xj[keep] if keep.any() else xj
                limit = kept.max() if side else kept.min()
            new = lims.copy()
            new[side, j] = limit
            yield new, inside[keep]

    def _pastes(self, j: int, lims: Limits) -> Iterator[tuple[Limits, np.ndarray]]:
        """Widen the lower, then the upper, limit of j over about paste_alpha of the points just outside it."""
        for side, q in ((0, 1 - self.paste_alpha), (1, self.paste_alpha)):
            # EMA takes the quantile of the slab between the limit (inclusive) and the edge of the data.
            slab = lims.copy()
            slab[:, j] = (self._init[0, j], lims[0, j]) if side == 0 else (lims[1, j], self._init[1, j])
            data = self._x[self._in(slab), j]
            new = lims.copy()
            # EMA keeps this value as it is for integer columns too (it can fall halfway between two integers).
            new[side, j] = _quantile(data, q) if data.size else self._init[side, j]
            yield new, np.flatnonzero(self._in(new))

    def _box(self, steps: list[tuple[Limits, np.ndarray]]) -> PrimBox:
        total = int(self._y.sum())
        rows, limits, qps = [], [], []
        for lims, idx in steps:
            n_box, k = len(idx), int(self._y[idx].sum())
            restricted = np.flatnonzero(self._restricted(lims))
            rows.append({"coverage": k / max(total, 1), "density": k / n_box, "mean": k / n_box,
                         "mass": n_box / len(self._y), "res_dim": len(restricted), "n": n_box, "k": k})
            limits.append(pd.DataFrame(lims.T, index=pd.Index(self._columns), columns=["min", "max"]))
            qps.append(pd.DataFrame([self._qp(lims, j, n_box, k) for j in restricted],
                                    index=pd.Index([self._columns[j] for j in restricted]),
                                    columns=["qp_low", "qp_high"], dtype=float))
        return PrimBox(pd.DataFrame(rows), limits, qps)

    def simplify(self, limits: pd.DataFrame, alpha: float = 0.05) -> tuple[pd.DataFrame, dict[str, float]]:
        """A step's box without the limits that do not matter: drop the least significant limit (the
        largest quasi-p at ``alpha`` or above), recompute the others' quasi-p-values, and repeat.

        One at a time, because each quasi-p was computed with every other limit in place (Bryant and
        Lempert 2010 drop restrictions the same way). Returns the restrictions that remain (index the
        parameters; ``min``, ``max``, ``qp_low``, ``qp_high``, NaN on an unrestricted side) and the
        box's ``coverage``, ``density``, ``mass``, ``n`` and ``k``.
        """
        lims = limits.loc[self._columns, ["min", "max"]].to_numpy(dtype=float).T.copy()
        while True:
            mask = self._in(lims)
            n_box, k = int(mask.sum()), int(self._y[mask].sum())
            qps = {j: self._qp(lims, j, n_box, k) for j in np.flatnonzero(self._restricted(lims))}
            sides = [(q, j, side) for j, pair in qps.items() for side, q in enumerate(pair) if not np.isnan(q)]
            worst = max(sides, default=None)
            if worst is None or worst[0] < alpha:
                break
            lims[worst[2], worst[1]] = self._init[worst[2], worst[1]]
        rows = {self._columns[j]: [lims[0, j] if not np.isnan(q[0]) else np.nan,
                                   lims[1, j] if not np.isnan(q[1]) else np.nan, *q] for j, q in qps.items()}
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["min", "max", "qp_low", "qp_high"])
        total = int(self._y.sum())
        stats = {"coverage": k / max(total, 1), "density": k / max(n_box, 1), "mass": n_box / len(self._y),
                 "n": n_box, "k": k}
        return table, stats

    def _qp(self, lims: Limits, j: int, n_box: int, k: int) -> list[float]:
        """Quasi-p-values of j's lower and upper limit: drop the limit, test the box's k of n against that density."""
        out = []
        for side in (0, 1):
            if lims[side, j] == self._init[side, j]:
                out.append(np.nan)
                continue
            wider = lims.copy()
            wider[side, j] = self._init[side, j]
            mask = self._in(wider)
            p = self._y[mask].sum() / mask.sum()
            out.append(binomtest(k, n_box, p, alternative="greater").pvalue)
        return out


def _number(v: float) -> str:
    """A limit in words: an integer as it is, anything else at 2 significant digits."""
    v = float(v)
    if v.is_integer():
        return str(int(v))
    return np.format_float_positional(v, precision=2, unique=False, fractional=False, trim="-")


def describe(restrictions: pd.DataFrame, bounds: dict[str, tuple[float, float]]) -> list[str]:
    """Each restriction in plain words: "x above 0.42", "x below 0.3", "x between 0.3 and 0.6".

    ``restrictions`` is :meth:`PrimBox.restrictions` (or any frame with ``min`` and
    ``max`` per parameter); ``bounds`` the parameters' ranges. A side counts as
    restricted where its quasi-p-value is given, or (without qp columns) where its
    limit lies strictly inside the bounds. An integer limit on one side reads
    "at least 5" / "at most 4", since PRIM's integer limits are values included in the box.
    """
    words = []
    for name, row in restrictions.iterrows():
        lo_bound, hi_bound = bounds.get(name, (-np.inf, np.inf))
        low = pd.notna(row["qp_low"]) if "qp_low" in row else row["min"] > lo_bound
        high = pd.notna(row["qp_high"]) if "qp_high" in row else row["max"] < hi_bound
        if low and high:
            words.append(f"{name} between {_number(row['min'])} and {_number(row['max'])}")
        elif low:
            words.append(f"{name} {'at least' if float(row['min']).is_integer() else 'above'} {_number(row['min'])}")
        elif high:
            words.append(f"{name} {'at most' if float(row['max']).is_integer() else 'below'} {_number(row['max'])}")
    return words
