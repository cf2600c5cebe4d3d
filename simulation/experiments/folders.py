"""Results folders: created atomically, held by one invocation at a time, never followed out of.

A job's folder is made with ``mkdir`` (atomic and exclusive on every
platform), then locked by creating ``.lock`` with ``O_CREAT | O_EXCL``
(portable to Linux and macOS, unlike ``fcntl`` alone). Of two invocations
given the same folder, exactly one takes the lock; the other gets a
:class:`FolderError`. A lock left by a process that no longer runs (a
killed job) is taken over by ``--resume``. The lock goes when the process
ends.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

from ..inputs import reason, show

LOCK = ".lock"
# The layout of manifest.json and of the folder. Raised when a change means an older folder
# cannot be resumed by this code; a resume of another schema says what to do.
SCHEMA_VERSION = 4
_held: set[Path] = set()
# Tests set this to widen the window between taking a lock and writing into the folder.
_PAUSE_AFTER_LOCK = float(os.environ.get("SME_TEST_PAUSE_AFTER_LOCK", "0") or 0)


class FolderError(ValueError):
    """A results folder cannot be used (taken by another invocation, not writable, not empty)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def lock(folder: Path) -> None:
    """Take ``folder``'s lock for this process, or raise :class:`FolderError` if another live one holds it."""
    path = Path(folder) / LOCK
    me = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                     "since": dt.datetime.now().isoformat(timespec="seconds")})
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8"))
                pid, host = int(holder["pid"]), str(holder["host"])
            except (OSError, ValueError, KeyError, TypeError):
                pid, host = -1, ""
            if host == socket.gethostname() and pid > 0 and not _alive(pid) or pid == -1 and _stale(path):
                path.unlink(missing_ok=True)  # left by a killed invocation
                continue
            raise FolderError(f"{folder}: another invocation is writing into this folder "
                              f"(process {pid} on {host or 'an unknown host'}); wait for it to finish") from None
        except OSError as err:
            raise FolderError(f"{folder}: cannot write into this folder ({reason(err)})") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(me)
        _held.add(path)
        if _PAUSE_AFTER_LOCK:
            time.sleep(_PAUSE_AFTER_LOCK)
        return
    raise FolderError(f"{folder}: could not take the folder's lock")


def _stale(path: Path) -> bool:
    """An unreadable lock file older than a minute (a crash while writing it)."""
    try:
        return time.time() - path.lstat().st_mtime > 60
    except OSError:
        return False


@atexit.register
def _release() -> None:
    for path in list(_held):
        try:
            holder = json.loads(path.read_text(encoding="utf-8"))
            if holder.get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError, AttributeError):
            pass
        _held.discard(path)


def release(folder: Path) -> None:
    """Give up ``folder``'s lock now (it also goes when the process ends)."""
    path = Path(folder) / LOCK
    if path in _held:
        path.unlink(missing_ok=True)
        _held.discard(path)


def refuse_filled(out: str) -> None:
    """Refuse an ``--out`` that exists and holds anything but a lock: results are never overwritten."""
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(p.name != LOCK for p in path.iterdir())):
        raise FolderError(f"--out {out}: the folder exists and is not empty; results are never overwritten "
                          "(give a new or empty folder, or --resume it)")


def new_folder(outputs: Path, command: str, names: list[str], out: str | None) -> Path:
    """A new results folder, locked: ``out`` (new, or existing and empty) or ``outputs/<time>-<command>-<names>``."""
    if out is not None:
        path = Path(out)
        if path.is_symlink():
            raise FolderError(f"--out {out}: is a symbolic link; give a real folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.mkdir()
        except FileExistsError:
            refuse_filled(out)
        except OSError as err:
            raise FolderError(f"--out {out}: cannot create the folder ({reason(err)})") from None
        lock(path)
        try:
            refuse_filled(out)  # filled between the check and the lock
        except FolderError:
            release(path)
            raise
        return path
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(names))[:80]
    base = outputs / f"{stamp}-{command}-{slug}"
    try:
        outputs.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FolderError(f"{outputs}: cannot create the outputs folder ({reason(err)})") from None
    for k in range(1, 10_000):
        path = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            path.mkdir()
        except FileExistsError:
            continue  # another invocation took this name first
        except OSError as err:
            raise FolderError(f"{path}: cannot create the folder ({reason(err)})") from None
        lock(path)
        return path
    raise FolderError(f"{base}: too many folders of this name")


def open_for_resume(folder: str | Path) -> tuple[Path, dict[str, Any]]:
    """A folder to resume and its manifest, locked; refuses symlinks and a manifest that is not a JSON object."""
    path = Path(folder)
    if path.is_symlink() or not path.is_dir():
        raise FolderError(f"--resume {folder}: not a results folder")
    manifest = path / "manifest.json"
    if manifest.is_symlink() or not manifest.is_file():
        raise FolderError(f"--resume {folder}: no manifest.json there; nothing to resume")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        raise FolderError(f"--resume {folder}: manifest.json cannot be read as JSON") from None
    if not isinstance(data, dict):
        raise FolderError(f"--resume {folder}: manifest.json is not a JSON object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise FolderError(f"--resume {folder}: made by another version of the tool (folder schema "
                          f"{show(data.get('schema_version', 1))}, this one reads {SCHEMA_VERSION}); run the "
                          f"command again into a new folder, or resume with the version that made it "
                          f"({show(data.get('version', 'unknown'))})")
    lock(path)
    return path, data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` atomically (a reader sees the old file or the whole new one); never through a symlink."""
    if path.is_symlink():
        raise FolderError(f"{path}: is a symbolic link; results are never written through one")
    if path.name == "manifest.json":
        data = {"schema_version": SCHEMA_VERSION, **data}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
