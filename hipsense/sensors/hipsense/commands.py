"""Control-point commands, their responses, and the configuration record
(firmware_protocol/PROTOCOL.md). Both sides: the host builds commands and
reads responses; a sensor (the virtual one) parses commands and answers."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from hipsense.errors import SensorDataError

PROTOCOL_VERSION = 1
RESPONSE_CODE = 0xF0
ACC_RANGES_G = (2, 4, 8, 16)
GYR_RANGES_DPS = (125, 250, 500, 1000, 2000)


class Op(IntEnum):
    START = 0x01
    STOP = 0x02
    IDENTIFY = 0x03
    SET_CLOCK = 0x04
    READ_CONFIG = 0x05


class Result(IntEnum):
    OK = 0x00
    UNKNOWN_OPCODE = 0x01
    INVALID_PARAMETER = 0x02
    INVALID_STATE = 0x03
    INVALID_LENGTH = 0x04


_PARAMS = {Op.START: "<HBH", Op.STOP: "<", Op.IDENTIFY: "<B", Op.SET_CLOCK: "<I",
           Op.READ_CONFIG: "<"}


class CommandError(SensorDataError):
    """A command a sensor must refuse; ``result`` is the code it answers with.
    The only error :func:`parse_command` raises, whatever the bytes."""

    def __init__(self, result: Result, message: str) -> None:
        super().__init__(message)
        self.result = result


def encode_command(op: Op, *params: int) -> bytes:
    """A command for the control point, e.g. ``encode_command(Op.START, 104, 4, 500)``."""
    return bytes([op]) + struct.pack(_PARAMS[Op(op)], *params)


def parse_command(data: bytes) -> tuple[Op, tuple[int, ...]]:
    """Sensor side: (opcode, parameters), or CommandError with the result code."""
    if not data:
        raise CommandError(Result.INVALID_LENGTH, "empty command")
    try:
        op = Op(data[0])
    except ValueError:
        raise CommandError(Result.UNKNOWN_OPCODE, f"unknown opcode 0x{data[0]:02x}") from None
    fmt = _PARAMS[op]
    if len(data) - 1 != struct.calcsize(fmt):
        raise CommandError(Result.INVALID_LENGTH, f"{op.name}: {len(data) - 1} parameter bytes, "
                           f"expected {struct.calcsize(fmt)}")
    params = struct.unpack(fmt, data[1:])
    if op == Op.START:
        rate_hz, acc_range, gyr_range = params
        if rate_hz == 0 or acc_range not in ACC_RANGES_G or gyr_range not in GYR_RANGES_DPS:
            raise CommandError(Result.INVALID_PARAMETER, f"START {params} not supported")
    return op, params


def encode_response(op: int, result: Result, payload: bytes = b"") -> bytes:
    return bytes([RESPONSE_CODE, op, result]) + payload


_SEQ = struct.Struct("<H")


def seq_payload(seq: int) -> bytes:
    """Sensor side: the payload of a START or STOP result that reports a
    sequence number (START: the stream's first packet's; STOP: the one the
    sensor would give its next packet), a u16, little-endian."""
    return _SEQ.pack(seq & 0xFFFF)


def seq_of_payload(payload: bytes) -> int | None:
    """Host side: the sequence number a START or STOP result's payload
    reports, or None for the empty payload of sensors that do not report it
    (then the packets lost before the first / after the last packet received
    cannot be counted). Bytes after the first two are left for later fields."""
    return _SEQ.unpack_from(payload)[0] if len(payload) >= _SEQ.size else None


class ResponseError(SensorDataError):
    """A control-point response or configuration record that does not decode:
    the only error :func:`parse_response` and :meth:`Config.unpack` raise."""


def parse_response(data: bytes) -> tuple[int, Result, bytes]:
    """Host side: (opcode, result, payload); ResponseError for a malformed response."""
    data = bytes(data)
    if len(data) < 3 or data[0] != RESPONSE_CODE:
        raise ResponseError(f"not a control-point response: {data[:32].hex()}")
    try:
        result = Result(data[2])
    except ValueError:
        raise ResponseError(f"unknown result code 0x{data[2]:02x}") from None
    return data[1], result, bytes(data[3:])


_CONFIG = struct.Struct("<BBHBBHff3BI")


@dataclass(frozen=True)
class Config:
    """The configuration / status record (23 bytes)."""

    streaming: bool
    rate_hz: int
    acc_range_g: int
    sensor_model: int
    gyr_range_dps: int
    acc_g_per_lsb: float
    gyr_dps_per_lsb: float
    firmware: tuple[int, int, int]
    clock_us: int

    def pack(self) -> bytes:
        return _CONFIG.pack(PROTOCOL_VERSION, int(self.streaming), self.rate_hz,
                            self.acc_range_g, self.sensor_model, self.gyr_range_dps,
                            self.acc_g_per_lsb, self.gyr_dps_per_lsb, *self.firmware,
                            self.clock_us & 0xFFFFFFFF)

    @classmethod
    def unpack(cls, data: bytes) -> Config:
        """The record from its 23 bytes; ResponseError when it is not one."""
        if len(data) != _CONFIG.size:
            raise ResponseError(f"configuration is {len(data)} bytes, expected {_CONFIG.size}")
        (version, state, rate, acc, model, gyr, acc_lsb, gyr_lsb, major, minor, patch,
         clock) = _CONFIG.unpack(data)
        if version != PROTOCOL_VERSION:
            raise ResponseError(f"protocol version {version}, this hipsense speaks "
                                f"{PROTOCOL_VERSION}")
        return cls(bool(state), rate, acc, model, gyr, acc_lsb, gyr_lsb,
                   (major, minor, patch), clock)
