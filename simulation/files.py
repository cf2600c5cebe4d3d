"""The one writer: every file the tool writes, renames or deletes in a results folder goes through here.

A results folder is input as much as output: a folder someone else made, or
one altered after the run, may hold a symbolic link where a derived file
(``report.html``, ``figures/``, ``parts/``) belongs. Writing through it would
put the tool's output, or a deletion, anywhere the link points. So every
operation here names a *root* (the results folder) and a *name* inside it
(``"figures/front.png"``), and walks from the root one folder at a time,
opening each with ``O_NOFOLLOW`` relative to the last (``dir_fd``): a
symbolic link anywhere on the way, or where the file goes, is refused with
one line, and nothing is written. Walking by descriptors, not by path
strings, leaves no window between a check and the write.

Files are written atomically: to ``.<name>.tmp`` beside the target, created
exclusively, then renamed over it, so a reader (or a resume after a kill or a
full disk) sees the old file or the whole new one, never half of one.

A path the user names on the command line (``ablate --markdown``) is the
user's choice, not a folder's content: :func:`write_user_file` writes it as
given. ``tests/test_house.py`` fails if any other module under
``simulation/`` writes, renames or deletes a file itself.

A results folder's lock is held the same way (:func:`hold`): an ``flock`` on
``.lock``, which the kernel drops when its process ends.

POSIX only (Linux, macOS): it relies on ``dir_fd``, ``O_NOFOLLOW`` and ``flock``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

import pandas as pd

_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


class UnsafePath(ValueError):
    """A path inside a results folder the tool will not write through (a symbolic link, a name leaving it)."""


def _parts(name: str | os.PathLike[str]) -> tuple[str, ...]:
    parts = PurePosixPath(os.fspath(name)).parts
    if not parts or parts[0] == "/" or any(p in ("", ".", "..") for p in parts):
        raise UnsafePath(f"{name}: not a name inside a results folder")
    return parts


def _refuse_link(path: Path) -> UnsafePath:
    return UnsafePath(f"{path}: is a symbolic link or not a folder; results are never written through one (the "
                      f"folder was altered: run the command again into a new folder)")


@contextlib.contextmanager
def _folder(root: Path, parts: tuple[str, ...], create: bool) -> Iterator[int]:
    """A descriptor of ``root/parts...``, each step opened without following a link; made if ``create``."""
    if create and not os.path.lexists(root):
        root.mkdir(parents=True, exist_ok=True)  # a store used outside a job (a library user's scratch folder)
    try:
        fd = os.open(root, _DIR)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise _refuse_link(root) from None
        raise
    here = root
    try:
        for part in parts:
            here = here / part
            try:
                nxt = os.open(part, _DIR, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):  # made by a concurrent writer: open it below
                    os.mkdir(part, 0o755, dir_fd=fd)
                nxt = os.open(part, _DIR, dir_fd=fd)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _refuse_link(here) from None
                raise
            os.close(fd)
            fd = nxt
        yield fd
    finally:
        os.close(fd)


def _refuse_odd_target(fd: int, leaf: str, path: Path) -> None:
    try:
        mode = os.lstat(leaf, dir_fd=fd).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise UnsafePath(f"{path}: is not a regular file (a symbolic link, a folder or a device); results are "
                         f"never written through one (the folder was altered: run the command again into a new "
                         f"folder)")


def _write(root: Path, name: str | os.PathLike[str], fill: Callable[[IO[bytes]], None]) -> Path:
    """Write a file atomically: ``fill`` writes its bytes into a fresh temporary, renamed over the target."""
    root = Path(root)
    parts = _parts(name)
    path = root.joinpath(*parts)
    with _folder(root, parts[:-1], create=True) as fd:
        leaf, tmp = parts[-1], f".{parts[-1]}.tmp"
        _refuse_odd_target(fd, leaf, path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=fd)  # left by a killed invocation; a link goes, never what it points to
        handle = os.open(tmp, _NEW, 0o644, dir_fd=fd)
        try:
            with os.fdopen(handle, "wb") as fh:
                fill(fh)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)  # a full disk: the old file stays, no half-written copy
            raise
        os.replace(tmp, leaf, src_dir_fd=fd, dst_dir_fd=fd)
    return path


def write_bytes(root: Path, name: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``root/name`` atomically; returns the path."""
    return _write(root, name, lambda fh: fh.write(data))


def write_text(root: Path, name: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``root/name`` atomically; returns the path."""
    return write_bytes(root, name, text.encode("utf-8"))


def write_csv(root: Path, name: str | os.PathLike[str], table: pd.DataFrame, index: bool = False) -> Path:
    """Write ``table`` as CSV (UTF-8) to ``root/name`` atomically; returns the path."""
    def fill(fh: IO[bytes]) -> None:
        table.to_csv(fh, index=index, encoding="utf-8")
    return _write(root, name, fill)


def write_parquet(root: Path, name: str | os.PathLike[str], table: pd.DataFrame) -> Path:
    """Write ``table`` as Parquet (no index) to ``root/name`` atomically; returns the path."""
    def fill(fh: IO[bytes]) -> None:
        table.to_parquet(fh, index=False)
    return _write(root, name, fill)


def hold(root: Path, name: str) -> int | None:
    """Open ``root/name`` (made if missing, a regular file, never through a link) and take an exclusive
    ``flock`` on it without waiting: the open descriptor, kept for as long as the hold, or None if another
    process holds it.

    The kernel drops a hold when its process ends however it ends, so a killed job's lock is free to take
    without removing the file, and of several takers exactly one gets it (removing a stale lock file and
    making a new one, two takers could each remove the other's). A descriptor whose file was removed or
    replaced while it was being taken is dropped and the file opened again.
    """
    with _folder(Path(root), (), create=False) as fd:
        while True:
            handle = os.open(name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                             | getattr(os, "O_NONBLOCK", 0), 0o644, dir_fd=fd)
            try:
                opened = os.fstat(handle)
                if not stat.S_ISREG(opened.st_mode):
                    raise UnsafePath(f"{Path(root) / name}: is not a regular file; a lock is never taken on one")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(handle)
                    return None
                try:
                    now = os.lstat(name, dir_fd=fd)
                except FileNotFoundError:
                    now = None
            except BaseException:
                with contextlib.suppress(OSError):
                    os.close(handle)
                raise
            if now is not None and (now.st_ino, now.st_dev) == (opened.st_ino, opened.st_dev):
                return handle
            os.close(handle)  # released and removed by its holder meanwhile: take the file that is there now


def rewrite(handle: int, text: str) -> None:
    """Replace what the held file ``handle`` says with ``text`` (a lock's record of its holder)."""
    os.ftruncate(handle, 0)
    data, written = text.encode("utf-8"), 0
    while written < len(data):
        written += os.pwrite(handle, data[written:], written)


def let_go(root: Path, name: str, handle: int) -> None:
    """Remove the held file ``root/name`` (if it is still the one held) and drop the hold."""
    try:
        with _folder(Path(root), (), create=False) as fd:
            held, now = os.fstat(handle), os.lstat(name, dir_fd=fd)
            if (now.st_ino, now.st_dev) == (held.st_ino, held.st_dev):
                os.unlink(name, dir_fd=fd)  # before the close: a taker that opened it meanwhile opens again
    except (OSError, ValueError):
        pass
    finally:
        with contextlib.suppress(OSError):
            os.close(handle)


def remove(root: Path, name: str | os.PathLike[str]) -> bool:
    """Delete ``root/name`` if it is there; a symbolic link is removed itself, never what it points to.

    Returns whether something was removed. A folder on the way that is a link is refused.
    """
    parts = _parts(name)
    try:
        with _folder(Path(root), parts[:-1], create=False) as fd:
            try:
                os.unlink(parts[-1], dir_fd=fd)
            except FileNotFoundError:
                return False
            return True
    except FileNotFoundError:
        return False


def remove_folder(root: Path, name: str | os.PathLike[str]) -> None:
    """Delete the empty folder ``root/name`` if it is there (a link in its place is refused)."""
    parts = _parts(name)
    try:
        with _folder(Path(root), parts[:-1], create=False) as fd:
            mode = os.lstat(parts[-1], dir_fd=fd).st_mode
            if not stat.S_ISDIR(mode):
                raise _refuse_link(Path(root).joinpath(*parts))
            os.rmdir(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        return


def listing(root: Path, name: str | os.PathLike[str] = ".") -> list[str]:
    """The names in the folder ``root/name`` (``"."``: the root), or [] if there is none; a link is refused."""
    parts = () if os.fspath(name) == "." else _parts(name)
    try:
        with _folder(Path(root), parts, create=False) as fd:
            return sorted(os.listdir(fd))
    except FileNotFoundError:
        return []


def make_folder(root: Path, name: str | os.PathLike[str]) -> Path:
    """Make the folder ``root/name`` (and those on the way) if missing; returns its path."""
    parts = _parts(name)
    with _folder(Path(root), parts, create=True):
        pass
    return Path(root).joinpath(*parts)


def create_root(path: Path, exist_ok: bool = False) -> None:
    """Make a results folder (or the outputs folder above them), its parents as needed.

    ``mkdir`` is atomic and exclusive: of two invocations choosing one name,
    exactly one gets it; the other gets ``FileExistsError`` unless ``exist_ok``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(exist_ok=exist_ok)


def remove_empty_root(path: Path) -> None:
    """Remove a results folder this invocation made and left empty (a full disk at the very start)."""
    Path(path).rmdir()


def write_user_file(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to a path the user named on the command line (their choice: links are followed)."""
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path
