"""An in-process bleak backend whose peripherals are Python objects.

``BleakScanner(backend=VirtualScannerBackend)`` and
``BleakClient(device, backend=VirtualClientBackend)`` then run bleak's real
public API (characteristic lookup, notification wrapping, disconnect
callbacks) against the peripherals put on the air with :func:`advertise`:
the :class:`~hipsense.virtual.sensor.VirtualSensor`, or any object with the same
few methods (:class:`Peripheral`), such as the fake Polar and WitMotion
devices of the tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError


CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
#: ATT MTU of the virtual link (244-byte payloads, as with data length extension).
MTU = 247

class Peripheral(Protocol):
    """What the fake backend needs from a peripheral."""

    name: str
    address: str
    on_link_lost: Callable[[], None] | None

    def advertisement(self) -> dict[str, Any]: ...

    def gatt(self) -> tuple[tuple[str, tuple[tuple[str, list[str]], ...]], ...]: ...

    def connect(self, notify: Callable[[str, bytes], None]) -> None: ...

    def disconnect(self) -> None: ...

    def read(self, uuid: str) -> bytes: ...

    def write(self, uuid: str, data: bytes) -> None: ...


_on_air: dict[str, Peripheral] = {}



def advertise(*sensors: Peripheral) -> None:
    """Put peripherals on the (in-process) air; replaces earlier ones."""
    _on_air.clear()
    _on_air.update({s.address: s for s in sensors})


class VirtualScannerBackend(BaseBleakScanner):
    """Scanner backend: every advertised virtual sensor is seen at once."""

    def __init__(self, detection_callback: Any, service_uuids: list[str] | None,
                 scanning_mode: str = "active", **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)

    async def start(self) -> None:
        self.seen_devices = {}
        for sensor in list(_on_air.values()):
            ad = sensor.advertisement()
            adv = AdvertisementData(local_name=ad["local_name"], manufacturer_data={},
                                    service_data=ad["service_data"],
                                    service_uuids=ad["service_uuids"],
                                    tx_power=ad["tx_power"], rssi=ad["rssi"], platform_data=())
            if not self.is_allowed_uuid(adv.service_uuids):
                continue
            device = self.create_or_update_device(sensor.address, sensor.address, sensor.name,
                                                  sensor, adv)
            self.call_detection_callbacks(device, adv)
        await asyncio.sleep(0)

    async def stop(self) -> None:
        await asyncio.sleep(0)


def _services(table) -> BleakGATTServiceCollection:
    collection = BleakGATTServiceCollection()
    handle = 1
    for service_uuid, chars in table:
        service = BleakGATTService(None, handle, service_uuid)
        collection.add_service(service)
        handle += 1
        for uuid, props in chars:
            char = BleakGATTCharacteristic(None, handle, uuid, props, lambda: MTU - 3, service)
            collection.add_characteristic(char)
            handle += 2  # declaration + value
            if "notify" in props:
                desc = BleakGATTDescriptor(None, handle, CCCD_UUID, char)
                collection.add_descriptor(desc)
                handle += 1
    return collection


class VirtualClientBackend(BaseBleakClient):
    """Client backend talking to a :class:`VirtualSensor` in the same process."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device,
                         disconnected_callback=kwargs.get("disconnected_callback"),
                         timeout=kwargs.get("timeout", 10.0))
        self._sensor: Peripheral | None = None
        self._callbacks: dict[str, NotifyCallback] = {}

    @property
    def name(self) -> str:
        sensor = _on_air.get(self.address)
        return sensor.name if sensor is not None else self.address

    @property
    def mtu_size(self) -> int:
        return MTU

    @property
    def is_connected(self) -> bool:
        return self._sensor is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        sensor = _on_air.get(self.address)
        if sensor is None:
            raise BleakDeviceNotFoundError(self.address, f"Device {self.address} not found")
        try:
            sensor.connect(self._deliver)
        except ConnectionError as exc:
            raise BleakError(str(exc)) from None
        sensor.on_link_lost = self._link_lost
        self._sensor = sensor
        self._callbacks = {}
        self.services = _services(sensor.gatt())
        await asyncio.sleep(0)

    def _deliver(self, uuid: str, data: bytes) -> None:
        callback = self._callbacks.get(uuid)
        if callback is not None:
            callback(bytearray(data))

    def _link_lost(self) -> None:
        self._sensor = None
        self._callbacks = {}
        if self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def disconnect(self) -> None:
        if self._sensor is not None:
            self._sensor.disconnect()
            self._sensor.on_link_lost = None
        self._sensor = None
        self._callbacks = {}
        await asyncio.sleep(0)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the virtual sensor needs no pairing")

    async def unpair(self) -> None:
        raise NotImplementedError("the virtual sensor needs no pairing")

    def _connected(self) -> Peripheral:
        if self._sensor is None:
            raise BleakError("Not connected")
        return self._sensor

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, *,
                             use_cached: bool = False, **kwargs: Any) -> bytearray:
        await asyncio.sleep(0)
        return bytearray(self._connected().read(characteristic.uuid))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, *,
                                   use_cached: bool = False, **kwargs: Any) -> bytearray:
        on = descriptor.characteristic_uuid in self._callbacks
        return bytearray(b"\x01\x00" if on else b"\x00\x00")

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any,
                              response: bool) -> None:
        sensor = self._connected()
        allowed = "write" if response else "write-without-response"
        if allowed not in characteristic.properties:
            raise BleakError(f"{characteristic.uuid}: {allowed} not permitted")
        await asyncio.sleep(0)
        sensor.write(characteristic.uuid, bytes(data))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        raise BleakError("write the characteristic's notifications with start_notify")

    async def start_notify(self, characteristic: BleakGATTCharacteristic,
                           callback: NotifyCallback, **kwargs: Any) -> None:
        self._connected()
        if "notify" not in characteristic.properties:
            raise BleakError(f"{characteristic.uuid} does not notify")
        self._callbacks[characteristic.uuid] = callback
        await asyncio.sleep(0)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._callbacks.pop(characteristic.uuid, None)
        await asyncio.sleep(0)
