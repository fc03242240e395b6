"""Opening a bleak connection the same way for every sensor family."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bleak import BleakClient
from bleak.backends.device import BLEDevice
from bleak.exc import BleakError

from hipsense.errors import SensorError

#: What a failing BLE call may raise (the OS stack's errors and timeouts included).
BLE_ERRORS = (BleakError, OSError, asyncio.TimeoutError)


def device_name(device: BLEDevice | str) -> str:
    return f"{device.name} ({device.address})" if isinstance(device, BLEDevice) else str(device)


async def open_client(device: BLEDevice | str, *, backend: Any = None,
                      disconnected_callback: Callable[[BleakClient], None] | None = None,
                      setup: Callable[[BleakClient], Awaitable[Any]] | None = None
                      ) -> tuple[BleakClient, Any]:
    """Connect and run ``setup`` (subscriptions, reads); returns the client and
    what ``setup`` returned. Any BLE failure is one :class:`SensorError`."""
    client = BleakClient(device, disconnected_callback=disconnected_callback, backend=backend)
    try:
        await client.connect()
        result = await setup(client) if setup is not None else None
    except BLE_ERRORS as exc:
        raise SensorError(f"cannot connect to {device_name(device)}: "
                          f"{exc or type(exc).__name__}") from None
    return client, result
