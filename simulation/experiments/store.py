"""The crash-safe run store: one Parquet part per finished task, consolidated at the end.

Each finished task (one run, or a chunk of runs) is written at once,
atomically (to a temporary name, then renamed), so a crash or a kill loses
at most the runs in flight, and a part on disk is always whole. The last
kind written marks its runs as done; ``completed()`` tells a resumed
invocation what not to run again. ``consolidate()`` gathers the parts into
one table per kind (Parquet and CSV) and removes them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

KINDS = ("timeseries", "regions", "summaries")
RUN_ID = re.compile(r"[0-9a-f]{8,64}")


class StoreError(ValueError):
    """A results folder holds something the store will not use (a forged run id, a symlink)."""


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` to ``path`` atomically: a reader sees the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_parquet(tmp, index=False)
    os.replace(tmp, path)


class RunStore:
    """Results of one invocation, in ``directory``, as tables of the given ``kinds``."""

    def __init__(self, directory: Path, kinds: tuple[str, ...] = KINDS) -> None:
        self.directory = Path(directory)
        self.parts = self.directory / "parts"
        self.kinds = kinds
        self.marker = kinds[-1]  # written last: its parts say which runs are done

    def _part(self, kind: str, run_id: str) -> Path:
        # A run id becomes a file name: only a hash may, never a path (a doctored manifest).
        if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
            raise StoreError(f"{self.directory}: {str(run_id)[:40]!r} is not a run id (a hexadecimal hash)")
        path = self.parts / kind / f"{run_id}.parquet"
        for p in (self.directory, self.parts, path.parent, path):
            if p.is_symlink():
                raise StoreError(f"{p}: is a symbolic link; results are never written through one")
        return path

    def clear_temporaries(self) -> None:
        """Remove files a killed invocation left half-written (``.<name>.tmp``, here and in the parts)."""
        for pattern in (".*.tmp", "parts/*/.*.tmp"):
            for tmp in self.directory.glob(pattern):
                if tmp.is_symlink() or tmp.is_file():
                    tmp.unlink(missing_ok=True)  # a symlink goes, never what it points to

    def write(self, key: str, tables: dict[str, pd.DataFrame]) -> None:
        """Store one task's tables under ``key`` (its first run id); the marker kind goes last."""
        for kind in self.kinds:
            path = self._part(kind, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_parquet(tables[kind], path)

    def files(self, kind: str) -> list[Path]:
        """The files holding runs of one kind: the consolidated table, if any, then the parts."""
        final = self.directory / f"{kind}.parquet"
        return ([final] if final.exists() else []) + sorted((self.parts / kind).glob("*.parquet"))

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
            for path in self.files(kind):
                try:
                    ids = set(pd.read_parquet(path, columns=["run_id"])["run_id"])
                except Exception as err:  # noqa: BLE001 - any unreadable table is refused the same way
                    raise StoreError(f"{path}: not a results table this tool wrote ({type(err).__name__})") from None
                stray = ids - planned if planned is not None else set()
                if stray or (path.parent.parent == self.parts and path.stem not in ids):
                    raise StoreError(f"{path}: holds runs this job did not plan; the folder was altered (run "
                                     f"the command again into a new folder)")
                if kind == self.marker:
                    done |= ids
        return done

    def read(self, kind: str) -> pd.DataFrame:
        """All runs of one kind: consolidated table plus any parts not yet consolidated."""
        frames = [pd.read_parquet(p) for p in self.files(kind)]
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
            path = self.directory / f"{kind}.parquet"
            write_parquet(table, path)
            written[kind] = path
            if csv:
                table.to_csv(self.directory / f"{kind}.csv", index=False)
        for kind in self.kinds:
            for p in (self.parts / kind).glob("*.parquet"):
                p.unlink()
        self.clear_temporaries()
        if self.parts.exists():
            for sub in sorted(self.parts.glob("**/*"), reverse=True):
                if sub.is_dir():
                    sub.rmdir()
            self.parts.rmdir()
        return written
