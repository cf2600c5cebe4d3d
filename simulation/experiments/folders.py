"""Results folders: created atomically, held by one invocation at a time, never followed out of.

A job's folder is made with ``mkdir`` (atomic and exclusive on every
platform), then locked by an ``flock`` on ``.lock`` (Linux and macOS),
which the kernel drops when the process ends, however it ends. Of two
invocations given the same folder, exactly one takes the lock; the other
gets a :class:`FolderError`, and of several resumes of a killed job
exactly one takes it over. The lock records the process id and, on Linux,
the process's start time, for the message; a record of a process that no
longer runs (a killed job), or whose id now belongs to another program, is
taken over by ``--resume``; one that cannot be judged says how to take it
over. A lock that is not a regular file (a pipe, a folder, a symlink) is
refused and never opened. The lock goes when the process ends.

A manifest is at most :data:`~simulation.experiments.limits.MAX_MANIFEST_BYTES`:
a larger one is neither written nor read.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import errno
import json
import os
import re
import socket
import stat
import time
from pathlib import Path
from typing import Any

from .. import files
from ..inputs import reason, shorten, show
from .limits import MAX_MANIFEST_BYTES

LOCK = ".lock"
# The layout of manifest.json and of the folder. Raised when a change means an older folder
# cannot be resumed by this code; a resume of another schema says what to do.
SCHEMA_VERSION = 7
_held: dict[Path, int] = {}  # lock file -> the descriptor holding its flock
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
    except (OSError, OverflowError):  # not a process id at all
        return False
    return True


def start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot: field 22 of ``/proc/<pid>/stat``), or None
    where there is no such file (macOS, a process that is gone)."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as fh:
            text = fh.read(4096)
        # the name (field 2) is in parentheses and may hold spaces and ')': count fields after the last ')'
        return int(text[text.rindex(b")") + 1:].split()[19])
    except (OSError, ValueError, IndexError, OverflowError):
        return None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a regular file"


def read_lock(path: Path) -> dict[str, Any] | None:
    """The holder a lock file records, or None if it cannot be read as one.

    Opened without following a symlink and without blocking (a named pipe put in its place must not
    hang a resume), and only if it is a regular file of a few bytes, as this module writes it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 4096:
            return None
        holder = json.loads(os.read(fd, 4096).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(fd)
    return holder if isinstance(holder, dict) else None


def _refuse_odd_lock(folder: Path, path: Path) -> None:
    """Refuse a lock that is not a regular file, without opening it (reading a named pipe blocks forever)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise FolderError(f"{folder}: its lock {path.name} cannot be examined ({reason(err)})") from None
    if not stat.S_ISREG(mode):
        raise FolderError(f"{folder}: its lock {path.name} is {_kind(mode)}, not a lock this tool made (the folder "
                          f"was altered); run the command again into a new folder, or, if you trust the folder, "
                          f"remove {path} and resume")


def _held_by(folder: Path, path: Path) -> str | None:
    """Why ``path`` (an existing lock) still holds ``folder``, or None if its holder is gone."""
    holder = read_lock(path)
    try:
        pid, host = int(holder["pid"]), str(holder["host"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError, OverflowError):
        if _stale(path):  # unreadable and old: a crash while writing it
            return None
        return (f"{folder}: its lock {path.name} cannot be read; if no invocation is writing into this folder, "
                f"delete {path} and try again")
    start = holder.get("start") if isinstance(holder.get("start"), int) else None
    since = f" since {shorten(str(holder['since']), 30)}" if holder.get("since") else ""
    take_over = f"if it no longer runs, delete {path} and resume"
    if host != socket.gethostname():
        return (f"{folder}: another invocation is writing into this folder (process {pid} on "
                f"{shorten(host, 60) if host else 'an unknown host'}{since}); wait for it to finish, or, {take_over}")
    if pid <= 0 or not _alive(pid):
        return None  # left by a killed invocation
    now = start_time(pid)
    if start is not None and now is not None and now != start:
        return None  # the process id was reused by another program
    verified = "" if start is not None and now is not None else f", or, {take_over}"
    return (f"{folder}: another invocation is writing into this folder (process {pid} on {host}{since}); "
            f"wait for it to finish{verified}")


def lock(folder: Path) -> None:
    """Take ``folder``'s lock for this process, or raise :class:`FolderError` if another live one holds it.

    The lock is an ``flock`` on ``.lock`` (:func:`simulation.files.hold`): the kernel drops it when its
    process ends, so of several invocations taking over a killed job's lock exactly one gets it. The file
    records the holder, for the message another invocation gets; a record naming a live process on this
    host is respected even with the ``flock`` free (a lock written by an older version of the tool).
    """
    path = Path(folder) / LOCK
    me = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "start": start_time(os.getpid()),
                     "since": dt.datetime.now().isoformat(timespec="seconds")})
    _refuse_odd_lock(folder, path)
    try:
        handle = files.hold(Path(folder), LOCK)
    except files.UnsafePath:
        _refuse_odd_lock(folder, path)  # replaced meanwhile by something that is not a file
        raise FolderError(f"{folder}: is a symbolic link or not a folder; results are never written through "
                          f"one") from None
    except OSError as err:
        raise FolderError(f"{folder}: cannot take its lock ({reason(err)}); make the folder writable, or give "
                          f"another folder, then try again") from None
    if handle is None:
        raise FolderError(_held_by(folder, path) or f"{folder}: another invocation is writing into this folder "
                                                    f"(it holds {path.name}); wait for it to finish")
    try:
        why = _held_by(folder, path) if os.fstat(handle).st_size else None
        if why is not None:
            raise FolderError(why)
        files.rewrite(handle, me)
    except OSError as err:  # a full disk: an empty lock, released, holds nothing
        files.let_go(Path(folder), LOCK, handle)
        fix = "free some space and try again" if err.errno == errno.ENOSPC else "try again"
        raise FolderError(f"{path}: cannot write the folder's lock ({reason(err)}); {fix}") from None
    except BaseException:
        os.close(handle)  # the record stays as it was, for its holder
        raise
    _held[path] = handle
    if _PAUSE_AFTER_LOCK:
        time.sleep(_PAUSE_AFTER_LOCK)


def _stale(path: Path) -> bool:
    """An unreadable lock file older than a minute (a crash while writing it)."""
    try:
        return time.time() - path.lstat().st_mtime > 60
    except OSError:
        return False


@atexit.register
def _release() -> None:
    for path, handle in list(_held.items()):
        files.let_go(path.parent, path.name, handle)
        _held.pop(path, None)


def _forget_in_child() -> None:
    """A forked worker closes its copies of the held locks: a killed job's lock must go with the job, not
    stay held by workers it leaves behind."""
    for handle in _held.values():
        with contextlib.suppress(OSError):
            os.close(handle)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def release(folder: Path) -> None:
    """Give up ``folder``'s lock now (it also goes when the process ends)."""
    path = Path(folder) / LOCK
    handle = _held.pop(path, None)
    if handle is not None:
        files.let_go(path.parent, path.name, handle)


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
            files.create_root(path)
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
        files.create_root(outputs, exist_ok=True)
    except OSError as err:
        raise FolderError(f"{outputs}: cannot create the outputs folder ({reason(err)})") from None
    for k in range(1, 10_000):
        path = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            files.create_root(path)
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
    data = _read_manifest(folder, path / "manifest.json")
    if not isinstance(data, dict):
        raise FolderError(f"--resume {folder}: manifest.json is not a JSON object")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise FolderError(f"--resume {folder}: made by another version of the tool (folder schema "
                          f"{show(data.get('schema_version', 1))}, this one reads {SCHEMA_VERSION}); run the "
                          f"command again into a new folder, or resume with the version that made it "
                          f"({show(data.get('version', 'unknown'))})")
    lock(path)
    return path, data


def _read_manifest(folder: str | Path, manifest: Path) -> Any:
    """The JSON in ``manifest``: a regular file, never through a symlink, refused unread past the size cap."""
    try:
        st = manifest.lstat()
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise FolderError(f"--resume {folder}: no manifest.json there; nothing to resume")
    if st.st_size > MAX_MANIFEST_BYTES:
        raise FolderError(f"--resume {folder}: manifest.json is {st.st_size / 2 ** 20:,.0f} MB, larger than any this "
                          f"tool writes ({MAX_MANIFEST_BYTES // 2 ** 20} MB at most); the folder was altered: run "
                          f"the command again into a new folder")
    try:
        fd = os.open(manifest, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)  # bounded even if it grew since the check
        if len(raw) > MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        return json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        raise FolderError(f"--resume {folder}: manifest.json cannot be read as JSON") from None


def encode_manifest(data: dict[str, Any]) -> str:
    """``data`` as the text of a manifest.json, or :class:`FolderError` if it would pass the size cap
    (a larger one would be refused by every resume)."""
    text = json.dumps({"schema_version": SCHEMA_VERSION, **data}, indent=2, default=str)
    if len(text) > MAX_MANIFEST_BYTES:  # characters: at least as many bytes
        raise FolderError(f"the study is too large for one results folder: its manifest.json would be "
                          f"{len(text) / 2 ** 20:,.0f} MB, over the {MAX_MANIFEST_BYTES // 2 ** 20} MB a folder "
                          f"holds; plan fewer runs (fewer seeds or scenarios), or split it into several folders")
    return text


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` atomically (a reader sees the old file or the whole new one); never through a symlink.

    A manifest.json gets the folder schema and is refused past the size cap, before anything is written.
    """
    text = encode_manifest(data) if path.name == "manifest.json" else json.dumps(data, indent=2, default=str)
    try:
        files.write_text(path.parent, path.name, text)  # a full disk leaves the old file, no half-written copy
    except files.UnsafePath as err:
        raise FolderError(str(err)) from None
