"""The append-only raw packet log: every notification that reached the
computer, with its host arrival time, plus the recorder's events (session,
stream configuration, set start and stop, link drops).

Format: the line ``HIPSENSE-RAWLOG 1`` then records ``<u8 kind, f64 host
time s, u32 length>`` followed by ``length`` bytes: the notification's
payload (kind 1) or a UTF-8 JSON object (kind 2, an event). A crash can cut
the last record short; the reader stops there and says how many bytes it
left out. The writer flushes to the disk at least every ``flush_every_s``.
"""

from __future__ import annotations

import json
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hipsense.errors import HipsenseError

MAGIC = b"HIPSENSE-RAWLOG 1\n"
KIND_DATA, KIND_EVENT = 1, 2
_HEAD = struct.Struct("<BdI")


class RawLogWriter:
    """Appends to a raw log (creating it with its header when new)."""

    def __init__(self, path: str | Path, flush_every_s: float = 0.5) -> None:
        self.path = Path(path)
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._file = open(self.path, "ab")
        if new:
            self._file.write(MAGIC)
        self._every = flush_every_s
        self._last_flush = time.monotonic()
        self.flush()

    def data(self, items: list[tuple[float, bytes]]) -> None:
        """Notifications (host time s, payload), in arrival order."""
        self._file.write(b"".join(_HEAD.pack(KIND_DATA, h, len(p)) + p for h, p in items))

    def event(self, host_s: float, name: str, **fields: Any) -> None:
        body = json.dumps({"event": name, **fields}, separators=(",", ":")).encode()
        self._file.write(_HEAD.pack(KIND_EVENT, host_s, len(body)) + body)

    def flush_if_due(self) -> None:
        if time.monotonic() - self._last_flush >= self._every:
            self.flush()

    def flush(self) -> None:
        """Push everything written so far to the disk (survives a crash)."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


@dataclass
class RawLog:
    """A raw log read back: records in order, and the bytes of a cut-off tail."""

    records: list[tuple[int, float, bytes]]
    truncated_bytes: int

    def events(self) -> list[tuple[float, dict[str, Any]]]:
        return [(h, json.loads(p)) for k, h, p in self.records if k == KIND_EVENT]


def read_rawlog(path: str | Path) -> RawLog:
    """Read a raw log; a record cut short by a crash ends it (counted, not fatal)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HipsenseError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.startswith(MAGIC):
        raise HipsenseError(f"{path}: not a hipsense raw packet log "
                            f"(it should start with {MAGIC.strip().decode()!r})")
    records = []
    pos, n = len(MAGIC), len(data)
    while pos + _HEAD.size <= n:
        kind, host_s, length = _HEAD.unpack_from(data, pos)
        if kind not in (KIND_DATA, KIND_EVENT):
            raise HipsenseError(f"{path}: byte {pos}: unknown record kind {kind}; "
                                "the log is damaged")
        end = pos + _HEAD.size + length
        if end > n:
            break
        payload = data[pos + _HEAD.size:end]
        if kind == KIND_EVENT:
            try:
                json.loads(payload)
            except ValueError:
                raise HipsenseError(f"{path}: byte {pos}: event record is not JSON; "
                                    "the log is damaged") from None
        records.append((kind, host_s, payload))
        pos = end
    return RawLog(records, n - pos)
