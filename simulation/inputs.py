"""Reading input files safely, and the one error every bad input becomes.

Every input file of the tool (scenarios, lessons, sweep configs, calibration
targets) is a small TOML file read by :func:`read_toml`. It refuses what is
not a regular file (devices, pipes, anything under ``/proc``, ``/sys`` or
``/dev``: reading some of them blocks forever), files over a size bound, text
that is not UTF-8 (a UTF-8 byte-order mark, as Windows Notepad writes it, is
accepted), and, after parsing, values no model input needs and that break
arithmetic or printing later: numbers that are not finite, whole numbers
beyond 10^15, keys over 100 characters, nesting deeper than 32 levels.

Every problem becomes one :class:`InputError`: ``FILE: dotted.key: message``
on one line of at most 300 characters, with values shortened and anything
that is not printable ASCII shown escaped (so ``'capacity_tr\\u0430ining'``,
with a Cyrillic letter, does not look like the real key).
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

MAX_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_KEY = 100
MAX_WHOLE = 10 ** 15
MAX_LINE = 300
REFUSED_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


def printable(text: str) -> str:
    """``text`` with every character that is not printable ASCII escaped (newlines included)."""
    return "".join(c if " " <= c <= "~" else ascii(c)[1:-1] for c in text)


def shorten(text: str, limit: int = 60) -> str:
    """Printable ``text`` of at most ``limit`` characters, cut in the middle."""
    text = printable(text)
    if len(text) <= limit:
        return text
    keep = (limit - 3) // 2
    return f"{text[:keep]}...{text[len(text) - (limit - 3 - keep):]}"


def show(value: Any, limit: int = 40) -> str:
    """A value as it may appear in an error message: its repr, escaped and shortened; a long whole
    number as its number of digits, never formatted (whatever its size)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** limit:
        bits = abs(value).bit_length()
        if bits <= 10_000:  # at most 3,011 digits: str() is exact and cheap
            return f"a {len(str(abs(value))):,}-digit number"
        # str() of a whole number past 4,300 digits raises (Python's limit); a hexadecimal TOML integer
        # can have a million
        return f"a number of about {math.floor(bits * math.log10(2)) + 1:,} digits"
    try:
        text = repr(value)
    except ValueError:  # a container holding a whole number past Python's 4,300-digit limit
        return f"a {type(value).__name__} holding a number too long to show"
    if isinstance(value, dict | list) and len(text) > limit:
        return f"a {'table' if isinstance(value, dict) else 'list'} of {len(value)}"
    return shorten(text, limit)


class InputError(ValueError):
    """An input file cannot be used: names the file, the dotted key and what is allowed, on one line."""

    def __init__(self, file: str | Path, key: str, message: str) -> None:
        self.file, self.key, self.message = str(file), key, message
        where = shorten(self.file, 160)
        line = f"{where}: {shorten(key, 80)}: " if key else f"{where}: "
        line += printable(" ".join(str(message).split()))
        if len(line) > MAX_LINE:
            line = line[: MAX_LINE - 3] + "..."
        super().__init__(line)


def refused(path: Path) -> bool:
    """Whether ``path`` (resolved) lies where no input file can be: devices, /proc, /sys."""
    return any(path == root or root in path.parents for root in REFUSED_ROOTS)


def read_toml(path: str | Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """A small TOML file as checked data, or one ``error`` (file, key, message)."""
    path = Path(path)
    try:
        real = path.resolve()
        if refused(real):
            raise error(path, "", "not an input file (devices, /proc and /sys are never read)")
        st = real.stat()
    except FileNotFoundError:
        raise error(path, "", "no such file") from None
    except (OSError, RuntimeError) as err:  # too long a name, a symlink loop, no permission on a folder
        raise error(path, "", f"cannot be read ({reason(err)})") from None
    if not stat.S_ISREG(st.st_mode):
        raise error(path, "", "not a regular file")
    if st.st_size > MAX_BYTES:
        raise error(path, "", f"too large ({st.st_size:,} bytes; input files are at most {MAX_BYTES:,})")
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as err:
        raise error(path, "", f"cannot be read ({reason(err)})") from None
    if len(raw) > MAX_BYTES:
        raise error(path, "", f"too large (input files are at most {MAX_BYTES:,} bytes)")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise error(path, "", f"not UTF-8 text (byte {err.start} cannot be decoded)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(path, "", f"TOML syntax error: {shorten(str(err), 120)}") from None
    except RecursionError:
        raise error(path, "", f"nested too deeply (at most {MAX_DEPTH} levels)") from None
    except ValueError:  # a whole number of more than 4,300 digits
        raise error(path, "", f"a number too large to read (whole numbers are at most {MAX_WHOLE:.0e})") from None
    check_values(path, data, error)
    return data


def reason(err: BaseException) -> str:
    """Why a file operation failed, in a few words (the system's message, else the error's name)."""
    return getattr(err, "strerror", None) or type(err).__name__


def check_values(path: Path, data: dict[str, Any], error: type[InputError] = InputError) -> None:
    """Refuse values no input needs: non-finite numbers, huge whole numbers, long keys, deep nesting.

    Walks the data without recursion, so no depth of nesting can crash it.
    """
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        key, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise error(path, key, f"nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(value, dict):
            for k, v in value.items():
                if len(k) > MAX_KEY:
                    raise error(path, f"{key}.{shorten(k, 40)}" if key else shorten(k, 40),
                                f"key of {len(k):,} characters (at most {MAX_KEY})")
                stack.append((f"{key}.{k}" if key else k, v, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{key}[{i}]", v, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            raise error(path, key, f"must be a finite number, got {value}")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WHOLE:
            raise error(path, key, f"must be at most {MAX_WHOLE:.0e} in size, got {show(value)}")
