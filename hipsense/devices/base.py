"""The interface every sensor family implements (hipsense, later Polar, WitMotion).

A driver owns the radio conversation with one sensor: connect, configure,
stream, stop. It hands every notification that reaches the computer, raw and
untouched, to a callback together with its host arrival time; turning bytes
into samples is the job of the family's :class:`StreamDecoder`, which the
recorder and ``hipsense recover`` also use on a raw log. Nothing outside a
driver knows which family it talks to.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

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
    def from_json(cls, obj: dict[str, Any]) -> StreamConfig:
        return cls(float(obj["rate_hz"]), float(obj["acc_range_g"]), float(obj["gyr_range_dps"]),
                   float(obj["acc_g_per_lsb"]), float(obj["gyr_dps_per_lsb"]),
                   str(obj.get("model", "")), str(obj.get("firmware", "")),
                   bool(obj.get("gyroscope", True)))


@dataclass
class Samples:
    """Samples decoded from a batch of notifications, in time order.

    ``time_s``: sensor clock (s), unwrapped and continuous over the whole
    connection; ``host_time_s``: the same instants on the host clock (through
    the running clock fit); ``acc_g`` / ``gyr_dps``: sensor frame.
    ``lost_packets``, ``duplicates`` and ``bad`` (error code -> count) describe
    the transport in this batch.
    """

    time_s: np.ndarray
    host_time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    lost_packets: int = 0
    duplicates: int = 0
    bad: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.time_s.size)


class StreamDecoder(abc.ABC):
    """Turns one connection's notifications into samples (stateful: sequence
    numbers, clock unwrapping and the host/sensor clock fit carry over)."""

    @abc.abstractmethod
    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        """Decode notifications in arrival order with their host times (s)."""

    @abc.abstractmethod
    def stats(self) -> dict[str, Any]:
        """Transport figures so far (lost packets, clock offset and drift ...)."""


class SensorDriver(abc.ABC):
    """One sensor of a family, reached through bleak.

    ``on_packet`` receives every data notification; ``on_link`` receives
    "disconnected" / "reconnected" events (with the host time) so the
    recorder can mark gaps. Implementations reconnect by themselves after an
    unexpected disconnect while streaming.
    """

    family: ClassVar[str]
    #: The host clock (s) stamped on every notification.
    clock: Callable[[], float] = time.monotonic

    @abc.abstractmethod
    async def connect(self) -> SensorInfo:
        """Connect (and read what the sensor says about itself)."""

    @abc.abstractmethod
    async def start(self, on_packet: PacketSink, rate_hz: float) -> StreamConfig:
        """Configure the sensor and start streaming to ``on_packet``."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop streaming (the connection stays up)."""

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Stop streaming if needed and close the connection."""

    @abc.abstractmethod
    def decoder(self, config: StreamConfig) -> StreamDecoder:
        """A fresh decoder for this family's notifications."""

    on_link: Callable[[str, float], None] | None = None
