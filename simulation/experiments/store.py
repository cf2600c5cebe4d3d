"""The crash-safe run store: one Parquet part per finished run, consolidated at the end.

Each finished run is written at once, atomically (to a temporary name, then
renamed), so a crash or a kill loses at most the runs in flight, and a part
on disk is always whole. ``completed()`` tells a resumed invocation what not
to run again. ``consolidate()`` gathers the parts into one table per kind
(Parquet and CSV) and removes them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

KINDS = ("timeseries", "regions", "summaries")


class RunStore:
    """Results of one invocation, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.parts = self.directory / "parts"

    def _part(self, kind: str, run_id: str) -> Path:
        return self.parts / kind / f"{run_id}.parquet"

    def write(self, run_id: str, tables: dict[str, pd.DataFrame]) -> None:
        """Store one run's tables; the summary is written last and marks the run as done."""
        for kind in KINDS:
            path = self._part(kind, run_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tables[kind].to_parquet(tmp, index=False)
            os.replace(tmp, path)

    def completed(self) -> set[str]:
        """Run ids already stored (in parts or in the consolidated summaries)."""
        done = {p.stem for p in (self.parts / "summaries").glob("*.parquet")}
        final = self.directory / "summaries.parquet"
        if final.exists():
            done |= set(pd.read_parquet(final, columns=["run_id"])["run_id"])
        return done

    def read(self, kind: str) -> pd.DataFrame:
        """All runs of one kind: consolidated table plus any parts not yet consolidated."""
        frames = []
        final = self.directory / f"{kind}.parquet"
        if final.exists():
            frames.append(pd.read_parquet(final))
        frames += [pd.read_parquet(p) for p in sorted((self.parts / kind).glob("*.parquet"))]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True)

    def consolidate(self, csv: bool = True) -> dict[str, Path]:
        """Gather the parts into ``<kind>.parquet`` (and ``.csv``), sorted by scenario, seed and step."""
        written = {}
        for kind in KINDS:
            table = self.read(kind)
            if table.empty:
                continue
            keys = [k for k in ("scenario", "seed", "step", "region") if k in table.columns]
            table = table.drop_duplicates(subset=[k for k in ("run_id", "step", "region") if k in table.columns])
            table = table.sort_values(keys, kind="stable").reset_index(drop=True)
            path = self.directory / f"{kind}.parquet"
            tmp = path.with_name(f".{path.name}.tmp")
            table.to_parquet(tmp, index=False)
            os.replace(tmp, path)
            written[kind] = path
            if csv:
                table.to_csv(self.directory / f"{kind}.csv", index=False)
        for kind in KINDS:
            for p in (self.parts / kind).glob("*.parquet"):
                p.unlink()
        if self.parts.exists():
            for sub in sorted(self.parts.glob("**/*"), reverse=True):
                if sub.is_dir():
                    sub.rmdir()
            self.parts.rmdir()
        return written
