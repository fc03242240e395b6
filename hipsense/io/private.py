"""Health data is readable by its owner only: every folder hipsense creates is
0700 and every file it writes 0600, whatever the umask.

Every writer in hipsense goes through these few functions (session folders,
the raw log, the history database, exports, reports). Folders that already
exist are the user's choice and keep their mode (``report -o /tmp/x.html``
must not change ``/tmp``); only the folders created here are made private.

Example
-------
>>> import tempfile, os, stat
>>> root = Path(tempfile.mkdtemp())
>>> make_private_dir(root / "a" / "b")
>>> write_private_text(root / "a" / "b" / "note.txt", "hello")
>>> oct(stat.S_IMODE(os.stat(root / "a" / "b" / "note.txt").st_mode))
'0o600'
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Any

#: Mode of the folders hipsense creates (owner only).
DIR_MODE = 0o700
#: Mode of the files hipsense writes (owner read and write only).
FILE_MODE = 0o600

_WRITE_FLAGS = {"w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL}


def make_private_dir(path: str | Path) -> None:
    """Create ``path`` and any missing parents with mode 0700 (an existing
    folder is left as it is). Safe when another process creates it at once."""
    path = Path(path)
    missing = []
    p = path
    while not p.is_dir():
        if p.exists() or p.is_symlink():
            # let mkdir name the problem (a file where a folder should be)
            os.mkdir(p, DIR_MODE)
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for p in reversed(missing):
        try:
            os.mkdir(p, DIR_MODE)
        except FileExistsError:
            if not p.is_dir():
                raise
            continue  # created by someone else meanwhile: theirs
        os.chmod(p, DIR_MODE)  # the umask may have taken bits away (or added none)


def make_private(path: str | Path) -> None:
    """Take group and world access away from an existing file or folder this
    user owns (keeps the owner's bits: a read-only file stays read-only)."""
    if not hasattr(os, "geteuid"):  # Windows: no POSIX modes (the profile's ACL protects)
        return
    try:
        st = os.stat(path)
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    except FileNotFoundError:
        pass


def open_private(path: str | Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open()`` for writing (modes w, a, x, with b or t): a file created
    0600, and an existing one made 0600 before anything is written to it."""
    if not mode or mode[0] not in _WRITE_FLAGS or "r" in mode:
        raise ValueError(f"open_private writes; mode {mode!r} is not w, a or x")
    flags = _WRITE_FLAGS[mode[0]] | getattr(os, "O_CLOEXEC", 0)
    if "+" in mode:
        flags = (flags & ~os.O_WRONLY) | os.O_RDWR
    fd = os.open(path, flags, FILE_MODE)
    try:
        _fchmod_private(fd)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def _fchmod_private(fd: int) -> None:
    if not hasattr(os, "fchmod"):  # Windows: no POSIX modes (the profile's ACL protects)
        return
    st = os.fstat(fd)
    if stat.S_IMODE(st.st_mode) != FILE_MODE and st.st_uid == os.geteuid():
        os.fchmod(fd, FILE_MODE)


def write_private_bytes(path: str | Path, data: bytes) -> None:
    """Write a file atomically (a crash leaves the old file or none) with mode
    0600, creating its folder (0700) when missing."""
    path = Path(path)
    make_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        _fchmod_private(fd)  # mkstemp makes 0600 already; say so whatever it does
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_private_text(path: str | Path, text: str) -> None:
    """:func:`write_private_bytes` of UTF-8 text (newlines as given)."""
    write_private_bytes(path, text.encode("utf-8"))
