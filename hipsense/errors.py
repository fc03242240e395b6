"""Errors that carry a one-line message naming the file, line or key at fault."""

from __future__ import annotations

from pathlib import Path


class HipsenseError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits 2."""


class SessionFormatError(HipsenseError):
    """A session folder or recording that does not follow session-format.md.

    The message starts with the file, then the line (``file:12:``) or the key
    (``file: key 'sets[1].side':``) at fault.
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None,
                 key: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.key = key
        where = self.path
        if line is not None:
            where += f":{line}"
        if key is not None:
            where += f": key '{key}'"
        super().__init__(f"{where}: {message}")


class SensorError(HipsenseError):
    """A sensor refused a command, did not answer, or could not be reached."""
