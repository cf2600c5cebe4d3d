"""One job: a results folder, its manifest, a resume and a completion, the same for every command.

``run``, ``compare``, ``sweep``, ``ablate`` and ``calibrate`` each make a
:class:`Job`. :meth:`Job.create` makes a new folder (atomically and
exclusively, locked: :func:`folders.new_folder`) and writes its manifest
(command, time, versions, git commit, ``status: running`` and what the
command passes in). :meth:`Job.resume` opens an interrupted folder
(:func:`folders.open_for_resume`: no symlink followed, schema checked,
locked), checks that it was made by this command and this version, that
its run ids are hashes only, and clears what a killed invocation left
half-written. :meth:`Job.complete` marks it done. This module writes no
report: the commands do, with the writers of the layers above.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import platform
import subprocess
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

from .. import files
from .._version import __version__
from ..inputs import shorten, show
from . import folders
from .folders import FolderError
from .manifest import check as check_manifest
from .store import RunStore

LIBRARIES = ("mesa", "numpy", "pandas", "pyarrow", "scipy", "seaborn", "matplotlib", "SALib", "tqdm", "dask",
             "distributed")
ROOT = Path(__file__).resolve().parents[2]


def versions() -> dict[str, str]:
    """Python's, this package's and the libraries' versions, for the manifest."""
    out = {"python": platform.python_version(), "simulation": __version__}
    for lib in LIBRARIES:
        try:
            out[lib] = pkg_version(lib)
        except PackageNotFoundError:
            out[lib] = "not installed"
    return out


def git_commit() -> str | None:
    """The repository's commit (``-dirty`` if tracked files changed), or None outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def invocation(command: str) -> str:
    """The command line as the user typed it (``run.py ...``)."""
    return " ".join(["run.py", *sys.argv[1:]]) if sys.argv else command


class Job:
    """A results folder held by this invocation, and its manifest."""

    def __init__(self, folder: Path, manifest: dict[str, Any], resumed: bool = False) -> None:
        self.folder = Path(folder)
        self.manifest = manifest
        self.resumed = resumed

    @property
    def command(self) -> str:
        return self.manifest["command_name"]

    @property
    def is_complete(self) -> bool:
        return self.manifest.get("status") == "complete"

    # --- a new job ---

    @classmethod
    def create(cls, outputs: Path, command: str, names: Iterable[str], out: str | None,
               manifest_fields: dict[str, Any], title: str | None = None) -> Job:
        """A new locked folder (``out``, or ``outputs/<time>-<command>-<names>``) with its manifest written.

        A study whose manifest would pass the size cap is refused before the folder is made.
        """
        manifest = {
            "title": title or command, "command": invocation(command), "command_name": command,
            "created": _now(), "folder": "", **manifest_fields,
            "version": __version__, "versions": versions(), "git_commit": git_commit(), "status": "running",
        }
        folders.encode_manifest({**manifest, "folder": "x" * 4096})  # the folder's name is not known yet
        folder = folders.new_folder(Path(outputs), command, list(names), out)
        manifest["folder"] = str(folder)
        job = cls(folder, manifest)
        try:
            job.write()
        except OSError:  # a full disk at the very start: leave the folder empty and unlocked, to be reused
            folders.release(folder)
            if out is None:
                with contextlib.suppress(OSError):
                    files.remove_empty_root(folder)
            raise
        return job

    # --- an interrupted job ---

    @classmethod
    def resume(cls, folder: str | Path, command_name: str | tuple[str, ...], what: str | None = None) -> Job:
        """The job in ``folder``, locked and checked: made by ``command_name`` and by this version.

        A complete job comes back as is (:attr:`is_complete`); the caller says so and stops.
        ``what`` names the kind of folder in the refusal (default ``a <command_name>``).
        """
        path, manifest = folders.open_for_resume(folder)
        try:
            accepted = (command_name,) if isinstance(command_name, str) else tuple(command_name)
            found = manifest.get("command_name")
            if found not in accepted:
                what = what or f"a {' or '.join(accepted)}"
                raise FolderError(f"--resume {path}: not {what} folder (it holds a {show(found)})")
            job = cls(path, manifest, resumed=True)
            why = check_manifest(manifest)
            if why is not None:
                raise job.unreadable(why)
            if job.is_complete:
                return job
            if manifest.get("version") != __version__:
                raise FolderError(f"--resume {path}: made by version {show(manifest.get('version'))}, this is "
                                  f"{__version__}; runs would not be comparable")
        except FolderError:
            folders.release(path)  # refused: the folder is left as it was found
            raise
        job.clear_temporaries()
        return job

    def unreadable(self, why: str) -> FolderError:
        """The error for a manifest this version cannot resume from."""
        return FolderError(f"--resume {self.folder}: manifest.json does not describe a {self.command} this "
                           f"version can resume ({why})")

    def clear_temporaries(self) -> None:
        """Remove files a killed invocation left half-written (``.<name>.tmp``, here and in ``parts/``)."""
        RunStore(self.folder).clear_temporaries()

    def run_specs(self) -> list[Any]:
        """The manifest's runs as :class:`~simulation.experiments.runner.RunSpec` (run and compare), each
        checked: its package and parameters are valid, and its id is the one they give (a run whose record
        was changed under its old id would be skipped as done, or mixed with runs it is not)."""
        from ..params import resolve
        from ..policy import PolicyPackage
        from .runner import RunSpec

        try:
            specs = [RunSpec(**r) for r in self.manifest["runs"]]
            checked: set[str] = set()
            for spec in specs:  # each distinct package and parameter set once (thousands of seeds share one)
                key = json.dumps([spec.package, spec.params], sort_keys=True, default=str)
                if key not in checked:
                    PolicyPackage.from_dict(spec.package)
                    resolve(spec.params)
                    checked.add(key)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise self.unreadable(f"{type(err).__name__}: {shorten(str(err), 80)}") from None
        for k, spec in enumerate(specs):
            if not spec.verified():
                raise FolderError(f"--resume {self.folder}: manifest.json, runs[{k}] (run {spec.run_id}) does not "
                                  f"match its scenario, package, parameters, seed and horizon; the folder was "
                                  f"altered: run the command again into a new folder")
        return specs

    # --- progress and the end ---

    def write(self) -> None:
        """The manifest to ``manifest.json``, atomically."""
        folders.write_json(self.folder / "manifest.json", self.manifest)

    def update(self, **fields: Any) -> None:
        """Set manifest fields and write it."""
        self.manifest.update(fields)
        self.write()

    def complete(self, **fields: Any) -> None:
        """Mark the job complete (with the time it finished and any last fields) and write the manifest."""
        self.manifest.update(fields)
        self.manifest["status"] = "complete"
        self.manifest["finished"] = _now()
        self.write()
