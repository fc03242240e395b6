"""Opening a bleak connection, and asking a control point, the same way for
every sensor family."""

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


class ControlPoint:
    """A characteristic that answers each write with a notification (the
    hipsense control point, Polar's PMD control point): one request at a time.

    Subscribe :meth:`on_notify` to the characteristic, then :meth:`ask`.
    :meth:`fail` ends a request in flight (the link dropped).
    """

    def __init__(self, uuid: str, timeout_s: float = 5.0) -> None:
        self.uuid = uuid
        self.timeout_s = timeout_s
        self._answer: asyncio.Future[bytes] | None = None

    def on_notify(self, _char: Any, data: bytearray) -> None:
        """The notification callback: answers the request in flight (only enqueues)."""
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(bytes(data))

    def fail(self, exc: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)

    async def ask(self, client: BleakClient, data: bytes, what: str) -> bytes:
        """Write ``data`` and wait for the answer; SensorError (``what``: ...) when
        the write fails or no answer comes within ``timeout_s``."""
        self._answer = asyncio.get_running_loop().create_future()
        try:
            await client.write_gatt_char(self.uuid, data, response=True)
            return await asyncio.wait_for(self._answer, self.timeout_s)
        except asyncio.TimeoutError:
            raise SensorError(f"{what}: the sensor did not answer within "
                              f"{self.timeout_s:.0f} s") from None
        except BLE_ERRORS as exc:
            raise SensorError(f"{what}: {exc or type(exc).__name__}") from None
