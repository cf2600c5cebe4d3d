"""The crash-safe run store: one Parquet part per finished task, consolidated at the end.

Each finished task (one run, or a chunk of runs) is written at once,
atomically (to a temporary name, then renamed), so a crash or a kill loses
at most the runs in flight, and a part on disk is always whole. The last
kind written marks its runs as done; ``completed()`` tells a resumed
invocation what not to run again. ``consolidate()`` gathers the parts into
one table per kind (Parquet and CSV) and removes them. Every file goes through
:mod:`simulation.files`, which never writes or deletes through a symbolic link.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import files
from .._version import __version__

KINDS = ("timeseries", "regions", "summaries")
RUN_ID = re.compile(r"[0-9a-f]{8,64}")


def run_id(**depends_on: Any) -> str:
    """A run's id in the store: a hash of everything the run depends on, plus the package version.

    The same inputs give the same id on any machine (JSON with sorted keys), so a resume recomputes each
    id from its manifest record and refuses a record changed under its old id.
    """
    ident = {**depends_on, "version": __version__}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


class StoreError(ValueError):
    """A results folder holds something the store will not use (a forged run id, a symlink)."""


def _layout(schema: pa.Schema) -> dict[str, str]:
    """A table's columns and the kind of each (number, text, ...): what every part of one kind shares."""
    def kind(t: pa.DataType) -> str:
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            return "number"  # a chunk's NaN turns an integer column into floats
        return "text" if pa.types.is_string(t) or pa.types.is_large_string(t) else str(t)
    return {f.name: kind(f.type) for f in schema if f.name != "__index_level_0__"}


def _same_layout(first: tuple[Path, dict[str, str]] | None, path: Path, layout: dict[str, str]
                 ) -> tuple[Path, dict[str, str]]:
    """Refuse a table whose columns differ from the first one's of its kind (a column dropped or retyped)."""
    if "run_id" not in layout:
        raise StoreError(f"{path}: not a results table this tool wrote (it has no run_id column)")
    if first is None:
        return path, layout
    ref = first[1]
    odd = sorted(set(ref) ^ set(layout)) or sorted(c for c in ref if "null" not in (ref[c], layout[c])
                                                   and ref[c] != layout[c])
    if odd:
        change = "lacks" if odd[0] in ref and odd[0] not in layout else "adds" if odd[0] not in ref else "retypes"
        raise StoreError(f"{path}: {change} the column {odd[0]!r} of {first[0].name}; the folder was altered "
                         f"(run the command again into a new folder)")
    return first


class RunStore:
    """Results of one invocation, in ``directory``, as tables of the given ``kinds``."""

    def __init__(self, directory: Path, kinds: tuple[str, ...] = KINDS) -> None:
        self.directory = Path(directory)
        self.parts = self.directory / "parts"
        self.kinds = kinds
        self.marker = kinds[-1]  # written last: its parts say which runs are done

    def _part(self, kind: str, run_id: str) -> str:
        # A run id becomes a file name: only a hash may, never a path (a doctored manifest).
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            raise StoreError(f"{self.directory}: {str(run_id)[:40]!r} is not a run id (a hexadecimal hash)")
        return f"parts/{kind}/{run_id}.parquet"

    def clear_temporaries(self) -> None:
        """Remove files a killed invocation left half-written (``.<name>.tmp``, here and in the parts).

        Through the one writer: a ``parts`` folder that is a link is refused before anything is removed.
        """
        for folder in [".", *(f"parts/{kind}" for kind in files.listing(self.directory, "parts"))]:
            for name in files.listing(self.directory, folder):
                if name.startswith(".") and name.endswith(".tmp"):
                    files.remove(self.directory, name if folder == "." else f"{folder}/{name}")

    def write(self, key: str, tables: dict[str, pd.DataFrame]) -> None:
        """Store one task's tables under ``key`` (its first run id); the marker kind goes last."""
        for kind in self.kinds:
            files.write_parquet(self.directory, self._part(kind, key), tables[kind])

    def stored(self, kind: str) -> list[Path]:
        """The files holding runs of one kind: the consolidated table, if any, then the parts.

        Listed through the one writer's walk, so a ``parts`` folder that is a link is refused, and a
        table that is a link is refused by name: a folder's results are read from the folder only.
        """
        final = self.directory / f"{kind}.parquet"
        if final.is_symlink():
            raise StoreError(f"{final}: is a symbolic link; results are read from the folder only (the folder was "
                             f"altered: run the command again into a new folder)")
        try:
            names = files.listing(self.directory, f"parts/{kind}")
        except files.UnsafePath as err:
            raise StoreError(str(err)) from None
        parts = [self.parts / kind / n for n in names if n.endswith(".parquet") and not n.startswith(".")]
        for part in parts:
            if part.is_symlink():
                raise StoreError(f"{part}: is a symbolic link; results are read from the folder only (the folder "
                                 f"was altered: run the command again into a new folder)")
        return ([final] if final.exists() else []) + parts

    def completed(self, planned: set[str] | None = None) -> set[str]:
        """Run ids already stored (in the marker kind), after clearing what a killed invocation left
        half-written and refusing a folder whose results were altered.

        A stored table must be one this tool wrote, a part must be named after
        a run it holds, and (given ``planned``, the whole job's run ids) every
        stored row must belong to a planned run. Values inside a genuine part
        cannot be checked without signing them: a folder from an untrusted
        source should be run again, not resumed.
        """
        self.clear_temporaries()
        done: set[str] = set()
        for kind in self.kinds:
            first: tuple[Path, dict[str, str]] | None = None
            for path in self.stored(kind):
                try:
                    layout = _layout(pq.read_schema(path))
                    column = pd.read_parquet(path, columns=["run_id"])["run_id"]
                except Exception as err:  # noqa: BLE001 - any unreadable table is refused the same way
                    raise StoreError(f"{path}: not a results table this tool wrote ({type(err).__name__})") from None
                first = _same_layout(first, path, layout)
                ids = set(column)
                stray = ids - planned if planned is not None else set()
                if stray or (path.parent.parent == self.parts and path.stem not in ids):
                    raise StoreError(f"{path}: holds runs this job did not plan; the folder was altered (run "
                                     f"the command again into a new folder)")
                if kind == self.marker:
                    if len(ids) != len(column):  # one row per run: a repeated run would weigh twice in a mean
                        raise StoreError(f"{path}: holds a run twice; the folder was altered (run the command "
                                         f"again into a new folder)")
                    done |= ids
        return done

    def read(self, kind: str) -> pd.DataFrame:
        """All runs of one kind: consolidated table plus any parts not yet consolidated, all of one layout."""
        frames, first = [], None
        for path in self.stored(kind):
            frame = pd.read_parquet(path)
            first = _same_layout(first, path, _layout(pa.Schema.from_pandas(frame, preserve_index=False)))
            frames.append(frame)
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def consolidate(self, csv: bool = True) -> dict[str, Path]:
        """Gather the parts into ``<kind>.parquet`` (and ``.csv``), sorted by scenario, seed and step."""
        written = {}
        for kind in self.kinds:
            table = self.read(kind)
            if table.empty:
                continue
            # run_id last: rows that tie on the rest (a sweep's points on one seed) come out in one order
            # whatever the workers and their chunks
            keys = [k for k in ("scenario", "seed", "run_id", "step", "region") if k in table.columns]
            table = table.drop_duplicates(subset=[k for k in ("run_id", "step", "region") if k in table.columns])
            table = table.sort_values(keys, kind="stable").reset_index(drop=True)
            written[kind] = files.write_parquet(self.directory, f"{kind}.parquet", table)
            if csv:
                files.write_csv(self.directory, f"{kind}.csv", table)
        for kind in self.kinds:
            for name in files.listing(self.directory, f"parts/{kind}"):
                if name.endswith(".parquet"):
                    files.remove(self.directory, f"parts/{kind}/{name}")
        self.clear_temporaries()
        for kind in files.listing(self.directory, "parts"):
            files.remove_folder(self.directory, f"parts/{kind}")
        files.remove_folder(self.directory, "parts")
        return written
