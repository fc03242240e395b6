"""The append-only raw packet log: every notification that reached the
computer, with its host arrival time, plus the recorder's events (session,
stream configuration, set start and stop, link drops).

Format, version 2 (all little-endian): the line ``HIPSENSE-RAWLOG 2`` then
records of

==========  =====  ========================================================
offset      size   field
==========  =====  ========================================================
0           4      sync marker ``a5 48 53 72`` (0xA5, then ``HSr``)
4           1      kind: 1 a notification, 2 an event
5           8      f64 host time, s
13          4      u32 payload length (at most 1 MiB)
17          4      u32 CRC-32 (zlib) of the payload
21          4      u32 CRC-32 of bytes 4-20 (kind to payload CRC)
25          n      the payload: the notification's bytes, or a UTF-8 JSON
                   object (an event, ``{"event": name, ...}``)
==========  =====  ========================================================

A reader checks both CRCs. A damaged record whose header holds is skipped
whole (its extent is known); after a damaged header the reader scans for the
next sync marker whose record checks, so one bad byte costs one record, not
the rest of the log. A crash can cut the last record short; the reader says
how many bytes that left out, apart from the damage it skipped.

Version 1 logs (``HIPSENSE-RAWLOG 1``: records ``<u8 kind, f64 host time s,
u32 length>`` and the payload, no marker, no CRC) still read; past damage the
reader looks for the next place where three plausible records follow each
other. The writer flushes to the disk at least every ``flush_every_s``.
"""

from __future__ import annotations

import json
import math
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hipsense.errors import HipsenseError
from hipsense.io.private import open_private

#: The raw log's name in a session folder (session.json's ``recording.raw_log``).
RAW_LOG_FILE = "raw-packets.hslog"

MAGIC = b"HIPSENSE-RAWLOG 2\n"
MAGIC_V1 = b"HIPSENSE-RAWLOG 1\n"
SYNC = b"\xa5HSr"
KIND_DATA, KIND_EVENT = 1, 2
#: The longest payload a record may carry (notifications are at most 512 bytes).
MAX_PAYLOAD = 1 << 20
_HEAD = struct.Struct("<BdII")    # kind, host time, length, payload CRC
_CRC = struct.Struct("<I")
RECORD_OVERHEAD = len(SYNC) + _HEAD.size + _CRC.size  # 25 bytes
_HEAD_V1 = struct.Struct("<BdI")
#: Version 1: a resynchronisation point is where this many plausible records follow.
_V1_CHAIN = 3


def encode_record(kind: int, host_s: float, payload: bytes) -> bytes:
    """One version-2 record, as the writer appends it."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"a raw log record holds at most {MAX_PAYLOAD} bytes")
    head = _HEAD.pack(kind, host_s, len(payload), zlib.crc32(payload))
    return SYNC + head + _CRC.pack(zlib.crc32(head)) + payload


class RawLogWriter:
    """Appends to a raw log (creating it with its header when new)."""

    def __init__(self, path: str | Path, flush_every_s: float = 0.5) -> None:
        self.path = Path(path)
        size = self.path.stat().st_size if self.path.exists() else 0
        start = self.path.read_bytes()[:len(MAGIC)] if size else b""
        if size and not (start == MAGIC or (size < len(MAGIC) and MAGIC.startswith(start))):
            raise HipsenseError(f"{self.path}: not a raw packet log of version 2; record "
                                "into a new folder")
        self._file = open_private(self.path, "ab")  # owner-only (0600)
        if size < len(MAGIC):  # new, or its header was cut short
            self._file.write(MAGIC[size:])
        self._every = flush_every_s
        self._last_flush = time.monotonic()
        self.flush()

    def data(self, items: list[tuple[float, bytes]]) -> None:
        """Notifications (host time s, payload), in arrival order."""
        self._file.write(b"".join(encode_record(KIND_DATA, h, p) for h, p in items))

    def event(self, host_s: float, name: str, **fields: Any) -> None:
        body = json.dumps({"event": name, **fields}, separators=(",", ":")).encode()
        self._file.write(encode_record(KIND_EVENT, host_s, body))

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


@dataclass(frozen=True)
class Damage:
    """A stretch of the log the reader skipped.

    ``offset`` and ``size_bytes``: where in the file; ``before``: how many
    good records precede it; ``records``: records lost in it (exact when
    ``exact``, else the sync markers counted in it, at least one);
    ``kinds``: their kinds when known; ``host_s``: the host time of the
    damaged record when its header held, else None.
    """

    offset: int
    size_bytes: int
    before: int
    records: int
    exact: bool
    kinds: tuple[int, ...] = ()
    host_s: float | None = None


@dataclass
class RawLog:
    """A raw log read back: records in order, the stretches skipped as
    damaged, and the bytes of a cut-off tail."""

    records: list[tuple[int, float, bytes]]
    truncated_bytes: int
    damage: list[Damage] = field(default_factory=list)
    version: int = 2

    def events(self) -> list[tuple[float, dict[str, Any]]]:
        """The event records that are JSON objects (host time s, object)."""
        out = []
        for kind, host_s, payload in self.records:
            if kind == KIND_EVENT:
                obj = json_object(payload)
                if obj is not None:
                    out.append((host_s, obj))
        return out

    @property
    def damaged_bytes(self) -> int:
        return sum(d.size_bytes for d in self.damage)


def json_object(payload: bytes) -> dict[str, Any] | None:
    """An event record's payload as a JSON object, or None when it is not one."""
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None


def read_rawlog(path: str | Path) -> RawLog:
    """Read a raw log (version 2 or 1). Damage is skipped and described, a
    record cut short by a crash ends it (counted); neither is fatal."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HipsenseError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(MAGIC):
        return _read_v2(data)
    if data.startswith(MAGIC_V1):
        return _read_v1(data)
    raise HipsenseError(f"{path}: not a hipsense raw packet log "
                        f"(it should start with {MAGIC.strip().decode()!r})")


# ---- version 2 ----------------------------------------------------------------------------
def _record_v2(data: bytes, pos: int) -> tuple[str, tuple[int, float, int] | None, int]:
    """The record at ``pos``: ("ok" | "cut" | "bad_payload" | "bad", header or
    None, end). "cut": a sound start that runs past the end of the file."""
    n = len(data)
    head_end = pos + RECORD_OVERHEAD
    if head_end > n:
        sound = SYNC.startswith(data[pos:pos + len(SYNC)])  # a header cut short
        return ("cut" if sound else "bad"), None, n
    if data[pos:pos + len(SYNC)] != SYNC:
        return "bad", None, pos
    head = data[pos + len(SYNC):pos + len(SYNC) + _HEAD.size]
    (head_crc,) = _CRC.unpack_from(data, pos + len(SYNC) + _HEAD.size)
    if zlib.crc32(head) != head_crc:
        return "bad", None, pos
    kind, host_s, length, payload_crc = _HEAD.unpack(head)
    if kind not in (KIND_DATA, KIND_EVENT) or length > MAX_PAYLOAD or not math.isfinite(host_s):
        return "bad", None, pos
    end = head_end + length
    if end > n:
        return "cut", (kind, host_s, length), n
    if zlib.crc32(data[head_end:end]) != payload_crc:
        return "bad_payload", (kind, host_s, length), end
    return "ok", (kind, host_s, length), end


def _read_v2(data: bytes) -> RawLog:
    records: list[tuple[int, float, bytes]] = []
    damage: list[Damage] = []
    pos, n = len(MAGIC), len(data)
    truncated = 0
    while pos < n:
        status, head, end = _record_v2(data, pos)
        if status == "ok":
            assert head is not None
            records.append((head[0], head[1], data[end - head[2]:end]))
            pos = end
        elif status == "cut":
            truncated = n - pos
            break
        elif status == "bad_payload":
            assert head is not None
            damage.append(Damage(pos, end - pos, len(records), 1, True, (head[0],), head[1]))
            pos = end
        else:
            nxt = _resync_v2(data, pos + 1)
            markers = max(1, data.count(SYNC, pos, nxt))
            damage.append(Damage(pos, nxt - pos, len(records), markers, False))
            pos = nxt
    return RawLog(records, truncated, _merged(damage), 2)


def _resync_v2(data: bytes, start: int) -> int:
    """The next sync marker whose record checks (or starts a crash-cut tail),
    else the end of the data."""
    q = data.find(SYNC, start)
    while q >= 0:
        status, head, _ = _record_v2(data, q)
        if status in ("ok", "bad_payload") or (status == "cut" and head is not None):
            return q
        q = data.find(SYNC, q + 1)
    return len(data)


def _merged(damage: list[Damage]) -> list[Damage]:
    """Adjacent damaged stretches as one."""
    out: list[Damage] = []
    for d in damage:
        last = out[-1] if out else None
        if last is not None and last.offset + last.size_bytes == d.offset \
                and last.before == d.before:
            out[-1] = Damage(last.offset, last.size_bytes + d.size_bytes, last.before,
                             last.records + d.records, last.exact and d.exact,
                             last.kinds + d.kinds, last.host_s if last.host_s is not None
                             else d.host_s)
        else:
            out.append(d)
    return out


# ---- version 1 -------------------------------------------------------------------------------
def _record_v1(data: bytes, pos: int, near_host_s: float | None) -> tuple[str, int]:
    """("ok" | "cut" | "bad", end) of a version-1 record at ``pos``; "ok" only
    for a plausible one (a known kind, a host time near the last, a sane
    length, an event that is JSON)."""
    n = len(data)
    if pos + _HEAD_V1.size > n:
        return "cut", n
    kind, host_s, length = _HEAD_V1.unpack_from(data, pos)
    if kind not in (KIND_DATA, KIND_EVENT) or not math.isfinite(host_s) \
            or (near_host_s is not None and abs(host_s - near_host_s) > 86_400.0) \
            or length > (MAX_PAYLOAD if kind == KIND_EVENT else 4096):
        return "bad", pos
    end = pos + _HEAD_V1.size + length
    if end > n:
        return "cut", n
    if kind == KIND_EVENT and json_object(data[pos + _HEAD_V1.size:end]) is None:
        return "bad", pos
    return "ok", end


def _chain_v1(data: bytes, pos: int, near_host_s: float | None) -> bool:
    """Do plausible records follow each other from ``pos`` (to the end of the
    data, or for :data:`_V1_CHAIN` records)?"""
    start = pos
    for _ in range(_V1_CHAIN):
        if pos >= len(data):
            return True
        status, end = _record_v1(data, pos, near_host_s)
        if status == "cut":  # a crash-cut tail after sound records
            return pos > start
        if status != "ok":
            return False
        near_host_s = _HEAD_V1.unpack_from(data, pos)[1]
        pos = end
    return True


def _read_v1(data: bytes) -> RawLog:
    records: list[tuple[int, float, bytes]] = []
    damage: list[Damage] = []
    pos, n = len(MAGIC_V1), len(data)
    truncated = 0
    last_host: float | None = None
    while pos < n:
        status, end = _record_v1(data, pos, last_host)
        if status == "ok":
            kind, host_s, length = _HEAD_V1.unpack_from(data, pos)
            records.append((kind, host_s, data[pos + _HEAD_V1.size:end]))
            last_host = host_s
            pos = end
            continue
        # damaged, or a record cut short by a crash: damage only if sound
        # records follow further on
        nxt = next((q for q in range(pos + 1, n) if _chain_v1(data, q, last_host)), n)
        if status == "cut" and nxt == n:
            truncated = n - pos
            break
        damage.append(Damage(pos, nxt - pos, len(records), 1, False))
        pos = nxt
    return RawLog(records, truncated, damage, 1)
