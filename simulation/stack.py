"""Many runs as one population: where each run sits in a batch, its parameters and its random streams.

A batch stacks K independent runs: the SMEs of run 0, then those of run 1,
and so on, each run's rows sorted by region; regions and large enterprises
are stacked the same way. Mechanisms are written once, over the stacked
arrays, and a run computed in a batch equals the same run computed alone
because

- each parameter is a per-row array where runs differ and a scalar where they
  agree (elementwise arithmetic gives the same bits either way); where a
  parameter's value chooses a code path, rows are grouped by value and each
  group takes the path a lone run would;
- every sum over a run (or a region of a run) is a reduction over that run's
  own contiguous segment, computed the same way whatever sits beside it;
- every source of chance is one stream per run: a draw over rows of several
  runs is each run's own draw over its own rows, concatenated.

A single run is a batch of one on the same code path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np


def _bounds(counts: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(counts, np.int64))]).astype(np.int64)


class _Segments:
    """Contiguous segments of an axis, for sums over each segment alone.

    Always a reduction over each segment by itself (``np.add.reduceat``; empty
    segments sum to 0), so a segment's sum does not depend on what lies beside it.
    """

    def __init__(self, bounds: np.ndarray) -> None:
        self.k = len(bounds) - 1
        sizes = np.diff(bounds)
        self.full = bool(np.all(sizes > 0))
        self.starts = bounds[:-1] if self.full else bounds[:-1][sizes > 0]
        self.nonempty = sizes > 0

    def sums(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.full:
            return np.add.reduceat(x, self.starts) if len(x) else np.zeros(self.k)
        out = np.zeros(self.k)
        if len(self.starts):
            out[self.nonempty] = np.add.reduceat(x, self.starts)
        return out


class Stack:
    """The layout of a batch: the rows (SMEs), regions and large enterprises of each of K runs."""

    def __init__(self, rows: Sequence[int], regions: Sequence[int], les: Sequence[int]) -> None:
        self.k = len(rows)
        self.row_bounds = _bounds(rows)
        self.region_bounds = _bounds(regions)
        self.le_bounds = _bounds(les)
        self.n = int(self.row_bounds[-1])
        self.run_of_row = np.repeat(np.arange(self.k), rows)
        self.run_of_region = np.repeat(np.arange(self.k), regions)
        self.run_of_le = np.repeat(np.arange(self.k), les)
        self.rows = np.asarray(rows, np.int64)
        self.regions = np.asarray(regions, np.int64)
        self.les = np.asarray(les, np.int64)
        self._segments = {"row": _Segments(self.row_bounds), "region": _Segments(self.region_bounds),
                          "le": _Segments(self.le_bounds)}
        self._index = {"row": self.run_of_row, "region": self.run_of_region, "le": self.run_of_le}

    @classmethod
    def single(cls, rows: int, regions: int = 1, les: int = 0) -> Stack:
        return cls([rows], [regions], [les])

    def runs_of(self, rows: np.ndarray) -> np.ndarray:
        """How many of the global ``rows`` (grouped by run, in run order) fall in each run."""
        return np.bincount(self.run_of_row[rows], minlength=self.k)

    def per_run(self, x: np.ndarray, over: str = "row") -> np.ndarray:
        """Per-run sums of a per-row (``over="row"``), per-region or per-LE array."""
        return self._segments[over].sums(x)

    def per_run_any(self, mask: np.ndarray) -> np.ndarray:
        """Whether each run has a true row."""
        return np.diff(np.concatenate([[0], np.cumsum(mask)])[self.row_bounds]) > 0

    def spread(self, per_run: np.ndarray, over: str = "row") -> np.ndarray:
        """A per-run array repeated over each run's rows (or regions, or LEs)."""
        if self.k == 1:
            return np.full(len(self._index[over]), np.asarray(per_run).reshape(-1)[0])
        return np.asarray(per_run)[self._index[over]]


class RunParams(Mapping):
    """The parameters of the runs of a batch.

    ``p[name]`` is a scalar when every run has the same value (the run's own
    Python number), else a per-row array; ``p.by(name, index)`` the same for
    any run index array (per region, per LE, per vacancy). A plain dict of one
    run's parameters can stand in wherever a mechanism reads ``p``.
    """

    def __init__(self, runs: Sequence[Mapping[str, Any]], stack: Stack) -> None:
        self.runs = [dict(r) for r in runs]
        self.stack = stack
        self._per_run: dict[str, np.ndarray] = {}
        self._uniform: dict[str, bool] = {}
        self._rows: dict[str, Any] = {}

    def run(self, name: str) -> np.ndarray:
        """The value of each run, shape (K,)."""
        if name not in self._per_run:
            self._per_run[name] = np.array([r[name] for r in self.runs])
        return self._per_run[name]

    def uniform(self, name: str) -> bool:
        if name not in self._uniform:
            v = self.run(name)
            self._uniform[name] = bool(np.all(v == v[0]))
        return self._uniform[name]

    def by(self, name: str, runs: np.ndarray) -> Any:
        """Scalar if uniform, else the value of run ``runs[i]`` at ``i``."""
        if self.uniform(name):
            return self.runs[0][name]
        return self.run(name)[runs]

    def __getitem__(self, name: str) -> Any:
        if name not in self._rows:
            self._rows[name] = self.by(name, self.stack.run_of_row)
        return self._rows[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.runs[0])

    def __len__(self) -> int:
        return len(self.runs[0])


def at(p: Mapping, name: str, rows: np.ndarray | slice) -> Any:
    """Parameter ``name`` at ``rows``: a scalar, or the rows' own values where runs differ."""
    return pick(p[name], rows)


def on(p: Mapping, name: str, runs: np.ndarray) -> Any:
    """Parameter ``name`` for items (regions, LEs, vacancies) of the given runs."""
    return p.by(name, runs) if isinstance(p, RunParams) else p[name]


def per_run_values(p: Mapping, name: str) -> np.ndarray:
    """Each run's value of ``name`` (a plain dict is one run)."""
    return p.run(name) if isinstance(p, RunParams) else np.array([p[name]])


def pick(v: Any, rows: np.ndarray | slice) -> Any:
    """``v[rows]`` for a per-row array, ``v`` itself for a scalar."""
    return v[rows] if isinstance(v, np.ndarray) and v.ndim else v


def grouped(fn, x: np.ndarray, e: Any) -> np.ndarray:
    """``fn(x, e)`` for a scalar ``e``; for per-element ``e``, each value's elements go through
    ``fn`` with that value as a scalar (so each takes the code path a lone run would)."""
    if not isinstance(e, np.ndarray) or e.ndim == 0:
        return fn(x, e)
    values = np.unique(e)
    if len(values) == 1:
        return fn(x, values[0].item())
    out = np.empty_like(x, dtype=float)
    for v in values:
        where = e == v
        out[where] = fn(x[where], v.item())
    return out


class Streams:
    """One source of chance for every run of a batch: one generator per run.

    A draw over rows of several runs is each run's own draw over its own
    rows (``size`` rows, in row order), concatenated, so a run's numbers do
    not depend on the runs beside it.
    """

    def __init__(self, generators: Sequence[np.random.Generator], stack: Stack) -> None:
        self.generators = list(generators)
        self.stack = stack

    def _counts(self, rows: np.ndarray | int | None) -> np.ndarray:
        if rows is None or isinstance(rows, (int, np.integer)):
            if rows is not None and int(rows) != self.stack.n:
                raise ValueError(f"a draw over {rows} rows of a batch of {self.stack.n}: pass the rows")
            return self.stack.rows
        return self.stack.runs_of(np.asarray(rows))

    def _draw(self, method: str, rows, lead: tuple[int, ...], runs: np.ndarray | None = None) -> np.ndarray:
        counts = self._counts(rows) if runs is None else runs
        if not lead:  # each run fills its own slice of one array (no copies)
            out = np.empty(int(np.sum(counts)))
            at = 0
            for g, c in zip(self.generators, counts.tolist()):
                if c:
                    getattr(g, method)(out=out[at:at + c])
                    at += c
            return out
        parts = [getattr(g, method)((*lead, int(c))) for g, c in zip(self.generators, counts) if c]
        if not parts:
            return np.empty((*lead, 0))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    def random(self, rows: np.ndarray | int | None = None, lead: tuple[int, ...] = (),
               counts: np.ndarray | None = None) -> np.ndarray:
        """Uniforms on [0, 1) for ``rows`` (None: every row), or ``counts[k]`` of run k's."""
        return self._draw("random", rows, lead, counts)

    def standard_normal(self, rows: np.ndarray | int | None = None, lead: tuple[int, ...] = (),
                        counts: np.ndarray | None = None) -> np.ndarray:
        """Standard normals for ``rows`` (None: every row), or ``counts[k]`` of run k's."""
        return self._draw("standard_normal", rows, lead, counts)


def uniforms(rng: np.random.Generator | Streams, rows: np.ndarray | int) -> np.ndarray:
    """Uniforms for ``rows`` (or ``n`` rows: all of them) from a single run's generator or a batch's streams."""
    if isinstance(rng, Streams):
        return rng.random(rows)
    return rng.random(rows if isinstance(rows, (int, np.integer)) else len(rows))


def normals(rng: np.random.Generator | Streams, rows: np.ndarray | int) -> np.ndarray:
    """Standard normals for ``rows`` (or ``n`` rows: all of them), as :func:`uniforms`."""
    if isinstance(rng, Streams):
        return rng.standard_normal(rows)
    return rng.standard_normal(rows if isinstance(rows, (int, np.integer)) else len(rows))
