"""Reading what a user hands hipsense, safely: a regular file of a sane size,
refused before it is read; JSON within limits (depth, number size); and JSON
out without NaN or Infinity.

Every refusal is a :class:`~hipsense.errors.SessionFormatError` naming the file
(and the key), never a traceback, and never echoes more than a few dozen
characters of the input.

Examples
--------
>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "x.json"
>>> _ = path.write_bytes(b'{"a": [1, 2.5]}')
>>> load_json(read_capped(path, 1000), path)
{'a': [1, 2.5]}
>>> finite_json({"x": float("nan"), "y": [1.0, float("inf")], "z": np.array([np.nan, 2.0])})
{'x': None, 'y': [1.0, None], 'z': [None, 2.0]}
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

import numpy as np

from hipsense.errors import MAX_SHOWN_CHARS, SessionFormatError, clip

#: session.json is a few kilobytes; refuse anything above this before reading it.
MAX_SESSION_JSON_BYTES = 1 << 20
#: A recording CSV above this is refused before reading (128 MiB: about two
#: million samples, over 5 hours at 104 Hz with extra columns).
MAX_RECORDING_BYTES = 128 << 20
#: JSON nested deeper than this is refused (session.json needs 3 levels).
MAX_JSON_DEPTH = 32
#: An integer in JSON with more digits than this is refused (beyond 64 bits).
MAX_JSON_INT_DIGITS = 19


def read_capped(path: Path, limit_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, refused before reading when it
    holds more than ``limit_bytes`` (or is a folder, a device, a pipe...)."""
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SessionFormatError(path, "file not found") from None
    except OSError as exc:
        raise SessionFormatError(path, exc.strerror or type(exc).__name__) from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise SessionFormatError(path, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise SessionFormatError(path, "not a regular file")
        if info.st_size > limit_bytes:
            raise SessionFormatError(path, f"{info.st_size} bytes, more than the "
                                     f"{limit_bytes} hipsense reads from such a file")
        data = fh.read(limit_bytes + 1)
    if len(data) > limit_bytes:  # it grew while we looked
        raise SessionFormatError(path, f"more than the {limit_bytes} bytes hipsense reads "
                                 "from such a file")
    return data


class _Refused:
    """A JSON value the parser met and refused; reported with its key by the walk."""

    def __init__(self, why: str) -> None:
        self.why = why


def _parse_int(text: str) -> int | _Refused:
    digits = len(text.lstrip("-"))
    if digits > MAX_JSON_INT_DIGITS:
        return _Refused(f"an integer of {digits} digits is too large")
    return int(text)


def _parse_float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(f"{clip(text)} is too large for a number")
    return value


def _parse_constant(text: str) -> _Refused:
    return _Refused(f"{text} is not a number JSON allows")


def key_path(parts: list[Any] | tuple[Any, ...]) -> str:
    """``['sets', 1, 'file']`` -> ``sets[1].file`` (long keys and paths clipped)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = str(part) if len(str(part)) <= 40 else str(part)[:37] + "..."
            out += f".{name}" if out else name
    return out if len(out) <= MAX_SHOWN_CHARS else out[:MAX_SHOWN_CHARS - 3] + "..."


def load_json(data: bytes, path: Path) -> Any:
    """Parse JSON bytes (UTF-8, a BOM allowed): a document nested at most
    MAX_JSON_DEPTH deep, with finite numbers and integers of at most
    MAX_JSON_INT_DIGITS digits."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SessionFormatError(path, "not a UTF-8 text file") from None
    try:
        doc = json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                         parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise SessionFormatError(path, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise SessionFormatError(path, f"JSON nested more than {MAX_JSON_DEPTH} levels "
                                 "deep") from None
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    while stack:  # iterative: no recursion for whatever was parsed
        value, where = stack.pop()
        if isinstance(value, _Refused):
            raise SessionFormatError(path, value.why, key=key_path(where) or None)
        if len(where) > MAX_JSON_DEPTH:
            raise SessionFormatError(path, f"nested more than {MAX_JSON_DEPTH} levels deep",
                                     key=key_path(where[:3]) + "...")
        if isinstance(value, dict):
            stack.extend((v, (*where, k)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(value))))
    return doc


def finite_json(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None (JSON null), so
    ``json.dumps(..., allow_nan=False)`` never fails and no NaN is ever printed."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_json(v) for v in obj]
    if isinstance(obj, (np.generic, np.ndarray)):
        return finite_json(obj.tolist())
    return obj
