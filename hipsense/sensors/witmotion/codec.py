"""WitMotion BLE 5.0 IMUs (WT901BLE and kin): pure decoding of notifications
and the commands the driver writes.

Service 0000ffe5-0000-1000-8000-00805f9a34fb (note the 9a), notify ffe4,
write ffe9. A notification holds one or more 20-byte records: 0x55, a flag,
then 9 int16 little-endian. Flag 0x61 is the motion record: acceleration
(x / 32768 * 16 g), angular rate (x / 32768 * 2000 deg/s) and Euler angles
(x / 32768 * 180 deg); flag 0x71 answers a register read (skipped here).
The records carry no timestamp or counter: host arrival time only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipsense.errors import SensorDataError

WIT_SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
WIT_NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WIT_WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

RECORD = 20
MOTION, REGISTER = 0x61, 0x71
UNLOCK = bytes([0xFF, 0xAA, 0x69, 0x88, 0xB5])
SAVE = bytes([0xFF, 0xAA, 0x00, 0x00, 0x00])
#: Output rate codes of the rate register (0x03).
RATE_CODES = {0.2: 0x01, 0.5: 0x02, 1: 0x03, 2: 0x04, 5: 0x05, 10: 0x06, 20: 0x07, 50: 0x08,
              100: 0x09, 200: 0x0B}


class WitFrameError(SensorDataError):
    """A notification that is not whole WitMotion records: the only error
    :func:`decode_notification` raises, whatever the bytes."""


@dataclass(frozen=True)
class WitSamples:
    """The motion records of one notification: (n, 3) each."""

    acc_g: np.ndarray
    gyr_dps: np.ndarray
    angle_deg: np.ndarray

    def __len__(self) -> int:
        return len(self.acc_g)


def rate_command(rate_hz: float) -> bytes:
    """The register write that sets the output rate (send after :data:`UNLOCK`)."""
    if rate_hz not in RATE_CODES:
        raise ValueError(f"WitMotion rates are {sorted(RATE_CODES)} Hz, not {rate_hz}")
    return bytes([0xFF, 0xAA, 0x03, RATE_CODES[rate_hz], 0x00])


def decode_notification(data: bytes) -> WitSamples:
    """Every motion record of a notification, in order."""
    data = bytes(data)
    if len(data) % RECORD:
        raise WitFrameError(f"{len(data)} bytes is not whole 20-byte records")
    raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    bad = np.flatnonzero(raw[:, 0] != 0x55)
    if bad.size:
        raise WitFrameError(f"byte {bad[0] * RECORD}: record starts with "
                            f"0x{raw[bad[0], 0]:02x}, not 0x55")
    flags = raw[:, 1]
    unknown = np.flatnonzero((flags != MOTION) & (flags != REGISTER))
    if unknown.size:
        raise WitFrameError(f"byte {unknown[0] * RECORD + 1}: unknown record flag "
                            f"0x{flags[unknown[0]]:02x}")
    motion = raw[flags == MOTION, 2:]
    values = np.ascontiguousarray(motion).view("<i2").astype(float).reshape(-1, 9) / 32768.0
    return WitSamples(values[:, 0:3] * 16.0, values[:, 3:6] * 2000.0, values[:, 6:9] * 180.0)
