"""The interface every sensor family implements (hipsense, Polar, WitMotion).

A driver owns the radio conversation with one sensor: connect, configure,
stream, stop. It hands every notification that reaches the computer, raw and
untouched, to a callback together with its host arrival time; turning bytes
into samples is the job of the family's :class:`StreamDecoder`, which the
recorder and ``hipsense recover`` also use on a raw log. Nothing outside a
driver knows which family it talks to.

Every driver reaches its sensor through one :class:`~hipsense.ble.link.Link`,
which reconnects after a drop and reports the link events.
"""

from __future__ import annotations

import abc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from hipsense.ble.link import LINK_EVENTS, Link
from hipsense.errors import clip

__all__ = ["LINK_EVENTS", "PacketSink", "Samples", "SensorDriver", "SensorInfo", "StreamConfig",
           "StreamDecoder"]

#: Called from the BLE notification path: (host time s, payload). Must only enqueue.
PacketSink = Callable[[float, bytes], None]


@dataclass(frozen=True)
class SensorInfo:
    """A sensor found by a scan. ``rssi_dbm`` and ``battery_pct`` may be unknown."""

    family: str
    name: str
    address: str
    rssi_dbm: int | None = None
    battery_pct: int | None = None


@dataclass(frozen=True)
class StreamConfig:
    """What the sensor streams: nominal rate, ranges and count-to-unit scale."""

    rate_hz: float
    acc_range_g: float
    gyr_range_dps: float
    acc_g_per_lsb: float
    gyr_dps_per_lsb: float
    model: str = ""
    firmware: str = ""
    #: False for accelerometer-only sensors (their gyroscope columns are zeros)
    gyroscope: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "firmware": self.firmware, "rate_hz": self.rate_hz,
                "acc_range_g": self.acc_range_g, "gyr_range_dps": self.gyr_range_dps,
                "acc_g_per_lsb": self.acc_g_per_lsb, "gyr_dps_per_lsb": self.gyr_dps_per_lsb,
                "gyroscope": self.gyroscope}

    @classmethod
    def from_json(cls, obj: Any) -> StreamConfig:
        """The configuration from its JSON; ValueError (one line) for a missing
        key, a wrong type, or a rate, range or scale that is not a positive
        finite number (a rate of at most 100 kHz)."""
        if not isinstance(obj, dict):
            raise ValueError(f"stream configuration {clip(obj)} is not an object")

        def positive(key: str, top: float = math.inf) -> float:
            value = obj.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 < value <= top:  # NaN fails too
                raise ValueError(f"stream configuration {key}: {clip(value)} is not a "
                                 "positive number" + (f" up to {top:g}" if top < math.inf else ""))
            return float(value)

        gyroscope = obj.get("gyroscope", True)
        if not isinstance(gyroscope, bool):
            raise ValueError(f"stream configuration gyroscope: {clip(gyroscope)} is not "
                             "true or false")
        return cls(positive("rate_hz", 100_000.0), positive("acc_range_g", 1e6),
                   positive("gyr_range_dps", 1e7), positive("acc_g_per_lsb", 1e6),
                   positive("gyr_dps_per_lsb", 1e7), str(obj.get("model", ""))[:200],
                   str(obj.get("firmware", ""))[:200], gyroscope)


@dataclass
class Samples:
    """Samples decoded from a batch of notifications, in time order.

    ``time_s``: sensor clock (s), unwrapped and continuous over the whole
    connection; ``host_time_s``: the same instants on the host clock (through
    the running clock fit); ``acc_g`` / ``gyr_dps``: sensor frame.
    ``lost_packets``, ``duplicates`` and ``bad`` (error code -> count) describe
    the transport in this batch; ``clock_outliers`` counts packets whose own
    time stamp disagreed with the stream and were placed by the fit instead.
    """

    time_s: np.ndarray
    host_time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    lost_packets: int = 0
    duplicates: int = 0
    bad: dict[str, int] = field(default_factory=dict)
    clock_outliers: int = 0

    def __len__(self) -> int:
        return int(self.time_s.size)

    @classmethod
    def empty(cls, lost_packets: int = 0, bad: dict[str, int] | None = None) -> Samples:
        z = np.zeros(0)
        return cls(z, z, np.zeros((0, 3)), np.zeros((0, 3)), lost_packets=lost_packets,
                   bad=dict(bad or {}))


class StreamDecoder(abc.ABC):
    """Turns one connection's notifications into samples (stateful: sequence
    numbers, clock unwrapping and the host/sensor clock fit carry over)."""

    @abc.abstractmethod
    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        """Decode notifications in arrival order with their host times (s)."""

    @abc.abstractmethod
    def stats(self) -> dict[str, Any]:
        """Transport figures so far (lost packets, clock offset and drift ...)."""

    def begin_stream(self, first_seq: int | None = None) -> None:
        """A new stream starts (START). ``first_seq``: the sequence number of its
        first packet when the sensor says so, so packets lost before the first
        one received are counted too."""

    def end_stream(self, next_seq: int | None = None) -> Samples:
        """The stream ended (STOP): what the decoder still held back, and, with
        ``next_seq`` (the sequence number the sensor would have sent next),
        the packets lost after the last one received counted."""
        return Samples.empty()


class SensorDriver(abc.ABC):
    """One sensor of a family, reached through bleak over :attr:`link`.

    ``on_packet`` receives every data notification; ``on_link`` receives the
    link events (:data:`LINK_EVENTS`: "disconnected", then "reconnected" or
    "lost", with the host time) so the recorder can mark gaps. Every driver
    reconnects by itself after an unexpected disconnect and, if it was
    streaming, starts the stream again (its :class:`~hipsense.ble.link.Link`
    does, calling the driver's own setup and resume).
    """

    family: ClassVar[str]
    #: The host clock (s) stamped on every notification and link event.
    clock: Callable[[], float] = time.monotonic
    #: The connection and its reconnect helper.
    link: Link

    @abc.abstractmethod
    async def connect(self) -> SensorInfo:
        """Connect (and read what the sensor says about itself)."""

    @abc.abstractmethod
    async def start(self, on_packet: PacketSink, rate_hz: float) -> StreamConfig:
        """Configure the sensor and start streaming to ``on_packet``."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop streaming (the connection stays up)."""

    async def disconnect(self) -> None:
        """Stop streaming if needed and close the connection (no reconnect after)."""
        await self.link.close(before=self.stop if self.link.streaming else None)

    @abc.abstractmethod
    def decoder(self, config: StreamConfig) -> StreamDecoder:
        """A fresh decoder for this family's notifications."""

    @property
    def reconnects(self) -> int:
        """Reconnections after unexpected drops so far."""
        return self.link.reconnects

    def report_link(self, what: str) -> None:
        """Pass a link event to ``on_link``, stamped with the host clock."""
        if self.on_link is not None:
            self.on_link(what, self.clock())

    on_link: Callable[[str, float], None] | None = None
    #: Sequence numbers the sensor reported for the current stream, when it does:
    #: its first packet's (from START) and the next one it would send (from
    #: STOP). None when unknown (every family but hipsense, older firmware).
    first_seq: int | None = None
    next_seq: int | None = None
