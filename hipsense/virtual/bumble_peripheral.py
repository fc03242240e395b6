"""The virtual sensor as a real BLE peripheral on the bumble stack.

:func:`add_to_device` puts the GATT database of PROTOCOL.md on a bumble
``Device`` and wires it to a :class:`~hipsense.virtual.sensor.VirtualSensor`;
:func:`serve` runs it on any HCI controller bumble can open (``usb:0``,
``serial:/dev/ttyACM0``, ``tcp-client:...``), so phones and other computers
can connect to the virtual sensor over the air. Tests use bumble's
in-process local link instead of a radio.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service
from bumble.hci import Address

from hipsense.virtual.sensor import VirtualSensor
from hipsense.errors import HipsenseError
from hipsense.sensors.hipsense.codec import (
    BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID, CONFIG_UUID, CONTROL_UUID, DATA_UUID,
    DEVICE_INFO_SERVICE_UUID, FIRMWARE_UUID, MANUFACTURER_UUID, MODEL_NUMBER_UUID, SERVICE_UUID,
)

log = logging.getLogger(__name__)
P = Characteristic.Properties


class BumbleSensor:
    """A VirtualSensor's GATT server on a bumble device. Notifications go out
    in order through one sender task."""

    def __init__(self, sensor: VirtualSensor, device: Device) -> None:
        self.sensor, self.device = sensor, device
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._sender: asyncio.Task | None = None
        self._connection: Connection | None = None

        def read(uuid: str) -> CharacteristicValue:
            return CharacteristicValue(read=lambda _c: sensor.read(uuid))

        self._chars = {
            DATA_UUID: Characteristic(DATA_UUID, P.NOTIFY, Characteristic.READABLE, b""),
            CONTROL_UUID: Characteristic(CONTROL_UUID, P.WRITE | P.NOTIFY,
                                         Characteristic.WRITEABLE,
                                         CharacteristicValue(write=self._on_control)),
        }
        services = [
            Service(SERVICE_UUID, [
                self._chars[DATA_UUID], self._chars[CONTROL_UUID],
                Characteristic(CONFIG_UUID, P.READ, Characteristic.READABLE, read(CONFIG_UUID)),
            ]),
            Service(BATTERY_SERVICE_UUID, [
                Characteristic(BATTERY_LEVEL_UUID, P.READ, Characteristic.READABLE,
                               read(BATTERY_LEVEL_UUID))]),
            Service(DEVICE_INFO_SERVICE_UUID, [
                Characteristic(u, P.READ, Characteristic.READABLE, read(u))
                for u in (MANUFACTURER_UUID, MODEL_NUMBER_UUID, FIRMWARE_UUID)]),
        ]
        device.add_services(services)
        device.advertising_data = bytes(advertising_data(sensor))
        device.on(device.EVENT_CONNECTION, self._on_connection)

    def _on_connection(self, connection: Connection) -> None:
        self._connection = connection
        self.sensor.connect(lambda uuid, data: self._queue.put_nowait((uuid, data)))
        self._sender = asyncio.get_running_loop().create_task(self._send())
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, *_: Any) -> None:
        self.sensor.disconnect()
        if self._sender is not None:
            self._sender.cancel()
        self._connection = None

    def _on_control(self, _connection: Connection, value: bytes) -> None:
        self.sensor.write(CONTROL_UUID, bytes(value))

    async def _send(self) -> None:
        while True:
            uuid, data = await self._queue.get()
            await self.device.notify_subscribers(self._chars[uuid], data)


def advertising_data(sensor: VirtualSensor) -> AdvertisingData:
    """Name, the hipsense service UUID and the battery level (Battery service data)."""
    return AdvertisingData([
        (AdvertisingData.FLAGS, bytes([0x06])),
        (AdvertisingData.COMPLETE_LOCAL_NAME, sensor.name.encode()),
        (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
         UUID(SERVICE_UUID).to_bytes(force_128=True)),
        (AdvertisingData.SERVICE_DATA_16_BIT_UUID,
         UUID(BATTERY_SERVICE_UUID).to_bytes() + bytes([sensor.battery_pct])),
    ])


async def serve(sensor: VirtualSensor, transport: str, address: str = "C0:FF:EE:00:5E:1A",
                on_ready: Callable[[], None] | None = None) -> None:
    """Advertise and serve the virtual sensor on an HCI controller until cancelled."""
    from bumble.transport import open_transport

    try:
        hci_transport = await open_transport(transport)
    except Exception as exc:  # bumble's transports raise whatever their libraries raise
        raise HipsenseError(f"cannot open Bluetooth transport {transport!r}: "
                            f"{exc or type(exc).__name__}") from None
    async with hci_transport as hci:
        device = Device.with_hci(sensor.name, Address(address), hci.source, hci.sink)
        BumbleSensor(sensor, device)
        await device.power_on()
        await device.start_advertising(auto_restart=True)
        log.info("advertising %s on %s", sensor.name, transport)
        if on_ready is not None:
            on_ready()
        await asyncio.Event().wait()
