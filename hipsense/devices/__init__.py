"""Sensor drivers behind one interface (:mod:`hipsense.devices.base`)."""

from __future__ import annotations

from typing import Any

from hipsense.devices.base import SensorDriver, SensorInfo, StreamConfig, StreamDecoder
from hipsense.errors import HipsenseError


FAMILIES = ("hipsense", "polar", "witmotion")


def family_of(name: str, service_uuids: list[str]) -> str | None:
    """Which family an advertisement belongs to, or None."""
    from hipsense.devices.polar import PMD_SERVICE_UUID
    from hipsense.devices.witmotion import WIT_SERVICE_UUID
    from hipsense.protocol.codec import NAME_PREFIX, SERVICE_UUID

    if SERVICE_UUID in service_uuids or name.startswith(NAME_PREFIX):
        return "hipsense"
    if PMD_SERVICE_UUID in service_uuids or name.startswith("Polar "):
        return "polar"
    if WIT_SERVICE_UUID in service_uuids or name.startswith("WT9"):
        return "witmotion"
    return None


def driver_for(family: str, device: Any, **kwargs: Any) -> SensorDriver:
    """The driver of a family for a device found by a scan (bleak kwargs passed on)."""
    if family == "hipsense":
        from hipsense.devices.hipsense import HipsenseDriver
        return HipsenseDriver(device, **kwargs)
    if family == "polar":
        from hipsense.devices.polar import PolarDriver
        return PolarDriver(device, **kwargs)
    if family == "witmotion":
        from hipsense.devices.witmotion import WitMotionDriver
        return WitMotionDriver(device, **kwargs)
    raise HipsenseError(f"unknown sensor family {family!r}")


def decoder_for(family: str, config: StreamConfig) -> StreamDecoder:
    """The stream decoder of a sensor family (for replaying raw logs)."""
    if family == "hipsense":
        from hipsense.protocol.stream import HipsenseDecoder
        return HipsenseDecoder(config)
    if family == "polar":
        from hipsense.devices.polar import PolarDecoder
        return PolarDecoder(config)
    if family == "witmotion":
        from hipsense.devices.witmotion import WitMotionDecoder
        return WitMotionDecoder(config)
    raise HipsenseError(f"unknown sensor family {family!r}")


__all__ = ["FAMILIES", "SensorDriver", "SensorInfo", "StreamConfig", "StreamDecoder",
           "decoder_for", "driver_for", "family_of"]
