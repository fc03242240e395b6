"""Sensor families behind one interface (:mod:`hipsense.sensors.base`): the
registry of families and a scan that finds sensors of every family.

Each family is one package holding its codec, its stream decoder and its
driver (``hipsense``, ``polar``, ``witmotion``); all of them share the
interface, the clock fit (:mod:`hipsense.sensors.clock`) and the bleak
transport with its reconnect helper (:mod:`hipsense.ble`).
"""

from __future__ import annotations

from typing import Any

from hipsense.errors import HipsenseError, SensorError
from hipsense.sensors.base import SensorDriver, SensorInfo, StreamConfig, StreamDecoder

FAMILIES = ("hipsense", "polar", "witmotion")


def family_of(name: str, service_uuids: list[str]) -> str | None:
    """Which family an advertisement belongs to, or None."""
    from hipsense.sensors.hipsense.codec import NAME_PREFIX, SERVICE_UUID
    from hipsense.sensors.polar.codec import PMD_SERVICE_UUID
    from hipsense.sensors.witmotion.codec import WIT_SERVICE_UUID

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
        from hipsense.sensors.hipsense.driver import HipsenseDriver
        return HipsenseDriver(device, **kwargs)
    if family == "polar":
        from hipsense.sensors.polar.driver import PolarDriver
        return PolarDriver(device, **kwargs)
    if family == "witmotion":
        from hipsense.sensors.witmotion.driver import WitMotionDriver
        return WitMotionDriver(device, **kwargs)
    raise HipsenseError(f"unknown sensor family {family!r}")


def decoder_for(family: str, config: StreamConfig) -> StreamDecoder:
    """The stream decoder of a sensor family (for replaying raw logs)."""
    if family == "hipsense":
        from hipsense.sensors.hipsense.stream import HipsenseDecoder
        return HipsenseDecoder(config)
    if family == "polar":
        from hipsense.sensors.polar.stream import PolarDecoder
        return PolarDecoder(config)
    if family == "witmotion":
        from hipsense.sensors.witmotion.stream import WitMotionDecoder
        return WitMotionDecoder(config)
    raise HipsenseError(f"unknown sensor family {family!r}")


async def scan(timeout_s: float = 5.0, *, backend: Any = None) -> list[tuple[SensorInfo, Any]]:
    """Sensors hipsense can use, strongest first: hipsense sensors, Polar
    sensors (PMD service or "Polar" name) and WitMotion IMUs (service ffe5 or
    "WT" name), with name, address, RSSI and the battery level when the
    sensor advertises it (Battery service data). ``backend``: a bleak scanner
    backend (the virtual sensor's in tests)."""
    from bleak import BleakScanner

    from hipsense.ble.client import BLE_ERRORS
    from hipsense.sensors.hipsense.codec import BATTERY_SERVICE_UUID

    try:
        found = await BleakScanner.discover(timeout_s, return_adv=True, backend=backend)
    except BLE_ERRORS as exc:
        raise SensorError(f"Bluetooth is not available here ({exc or type(exc).__name__}); "
                          "the virtual sensor works without it (--sensor virtual)") from None
    out = []
    for device, adv in found.values():
        name = adv.local_name or device.name or ""
        family = family_of(name, [u.lower() for u in adv.service_uuids])
        if family is None:
            continue
        battery = adv.service_data.get(BATTERY_SERVICE_UUID)
        out.append((SensorInfo(family, name, device.address, adv.rssi,
                               battery[0] if battery else None), device))
    return sorted(out, key=lambda x: -(x[0].rssi_dbm or -999))


__all__ = ["FAMILIES", "SensorDriver", "SensorInfo", "StreamConfig", "StreamDecoder",
           "decoder_for", "driver_for", "family_of", "scan"]
