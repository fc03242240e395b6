"""Sensor drivers behind one interface (:mod:`hipsense.devices.base`)."""

from __future__ import annotations

from hipsense.devices.base import SensorDriver, SensorInfo, StreamConfig, StreamDecoder
from hipsense.errors import HipsenseError


def decoder_for(family: str, config: StreamConfig) -> StreamDecoder:
    """The stream decoder of a sensor family (for replaying raw logs)."""
    if family == "hipsense":
        from hipsense.protocol.stream import HipsenseDecoder
        return HipsenseDecoder(config)
    raise HipsenseError(f"unknown sensor family {family!r}")


__all__ = ["SensorDriver", "SensorInfo", "StreamConfig", "StreamDecoder", "decoder_for"]
