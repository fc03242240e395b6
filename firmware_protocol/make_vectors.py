"""Writes test_vectors.json: packets built field by field with struct (not with
hipsense's encoder), with the values a decoder must find in them.

Run from the repository root: python firmware_protocol/make_vectors.py
"""

from __future__ import annotations

import json
import struct
from pathlib import Path


def full(seq: int, t0_us: int, period_us: int, samples: list[list[int]], *, version: int = 1,
         fmt: int = 0x01, count: int | None = None) -> bytes:
    n = len(samples) if count is None else count
    body = b"".join(struct.pack("<6h", *s) for s in samples)
    return struct.pack("<BBHIBH", version, fmt, seq, t0_us, n, period_us) + body


def compact(seq: int, t_us: int, sample: list[int]) -> bytes:
    return struct.pack("<BBHI6h", 1, 0x81, seq, t_us, *sample)


def valid(name: str, data: bytes, seq: int, t0_us: int, period_us: int,
          samples: list[list[int]], layout: str = "full") -> dict:
    return {"name": name, "hex": data.hex(), "layout": layout, "seq": seq, "t0_us": t0_us,
            "period_us": period_us, "samples": samples}


def main() -> None:
    nineteen = [[i * 6 + k - 57 for k in range(6)] for i in range(19)]
    still = [[8192, 0, 0, 3, -2, 1]]  # +1 g on x at +-4 g, a small gyro offset
    extreme = [[-32768, 32767, 0, -1, 1, -32768], [32767, -32768, -1, 0, 32767, 1]]
    vectors = {
        "protocol_version": 1,
        "scale_example": {"acc_range_g": 4, "acc_g_per_lsb": 4 / 32768,
                          "gyr_range_dps": 500, "gyr_dps_per_lsb": 500 / 32768},
        "valid": [
            valid("full packet, 19 samples (239 bytes: fits a 244-byte payload)",
                  full(1234, 1_000_000, 9615, nineteen), 1234, 1_000_000, 9615, nineteen),
            valid("full packet, 1 sample", full(7, 5, 5000, still), 7, 5, 5000, still),
            valid("compact packet (20-byte payload)", compact(42, 123_456, still[0]),
                  42, 123_456, 0, still, "compact"),
            valid("extreme values", full(65535, 4_294_967_295, 65535, extreme),
                  65535, 4_294_967_295, 65535, extreme),
        ],
        "streams": [
            {"name": "sequence and clock wrap, one packet lost",
             "packets": [full(65534, 2**32 - 20_000, 10_000, still).hex(),
                         full(65535, 2**32 - 10_000, 10_000, still).hex(),
                         full(0, 0, 10_000, still).hex(),
                         full(2, 20_000, 10_000, still).hex()],
             "lost_after_each": [0, 0, 1],
             "unwrapped_t0_us": [2**32 - 20_000, 2**32 - 10_000, 2**32, 2**32 + 20_000]},
        ],
        "invalid": [
            {"name": "empty", "hex": "", "error": "too_short"},
            {"name": "7 bytes", "hex": full(1, 0, 100, still)[:7].hex(), "error": "too_short"},
            {"name": "full header cut", "hex": full(1, 0, 100, still)[:10].hex(),
             "error": "too_short"},
            {"name": "version 2", "hex": full(1, 0, 100, still, version=2).hex(),
             "error": "bad_version"},
            {"name": "unknown format", "hex": full(1, 0, 100, still, fmt=0x02).hex(),
             "error": "bad_format"},
            {"name": "count 0", "hex": full(1, 0, 100, [], count=0).hex(), "error": "bad_count"},
            {"name": "count 20", "hex": full(1, 0, 100, nineteen + still).hex(),
             "error": "bad_count"},
            {"name": "one byte missing", "hex": full(1, 0, 100, nineteen)[:-1].hex(),
             "error": "bad_length"},
            {"name": "one byte too many", "hex": (full(1, 0, 100, still) + b"\x00").hex(),
             "error": "bad_length"},
            {"name": "count says 2, carries 1", "hex": full(1, 0, 100, still, count=2).hex(),
             "error": "bad_length"},
            {"name": "period 0", "hex": full(1, 0, 0, still).hex(), "error": "bad_period"},
            {"name": "compact, 19 bytes", "hex": compact(1, 0, still[0])[:-1].hex(),
             "error": "bad_length"},
        ],
    }
    def command(name: str, data: bytes, result: str, opcode: int = 0,
                params: tuple = ()) -> dict:
        return {"name": name, "hex": data.hex(), "result": result, "opcode": opcode,
                "params": list(params)}

    vectors["commands"] = [
        command("start 104 Hz, +-4 g, +-500 dps", struct.pack("<BHBH", 1, 104, 4, 500), "ok",
                1, (104, 4, 500)),
        command("start 416 Hz, +-16 g, +-2000 dps", struct.pack("<BHBH", 1, 416, 16, 2000),
                "ok", 1, (416, 16, 2000)),
        command("stop", b"\x02", "ok", 2),
        command("identify 5 s", b"\x03\x05", "ok", 3, (5,)),
        command("set clock", struct.pack("<BI", 4, 4_000_000_000), "ok", 4, (4_000_000_000,)),
        command("read configuration", b"\x05", "ok", 5),
        command("empty", b"", "invalid_length"),
        command("unknown opcode", b"\x09", "unknown_opcode"),
        command("stop with a parameter", b"\x02\x00", "invalid_length"),
        command("start cut short", struct.pack("<BHBH", 1, 104, 4, 500)[:-1], "invalid_length"),
        command("start at +-3 g", struct.pack("<BHBH", 1, 104, 3, 500), "invalid_parameter"),
        command("start at 0 Hz", struct.pack("<BHBH", 1, 0, 4, 500), "invalid_parameter"),
        command("start at +-300 dps", struct.pack("<BHBH", 1, 104, 4, 300),
                "invalid_parameter"),
    ]
    def response(name: str, opcode: int, result: str, payload: bytes,
                 seq: int | None = None) -> dict:
        """``seq``: the sequence number a START or STOP result reports, None
        when it reports none (the empty payload of the first firmware)."""
        code = {"ok": 0, "invalid_state": 3}[result]
        return {"name": name, "opcode": opcode, "result": result, "payload": payload.hex(),
                "seq": seq, "hex": (bytes([0xF0, opcode, code]) + payload).hex()}

    config = (bytes.fromhex("0101680004" + "00f401") + struct.pack("<ff", 4 / 32768, 500 / 32768)
              + bytes.fromhex("000100") + struct.pack("<I", 123_456_789))
    vectors["responses"] = [
        # the first firmware: START and STOP results without a sequence number
        response("start ok, no sequence number (first firmware)", 1, "ok", b""),
        response("stop while idle", 2, "invalid_state", b""),
        response("configuration", 5, "ok", config),
        response("stop ok, no sequence number (first firmware)", 2, "ok", b""),
        # START: the stream's first packet's sequence number; STOP: the next one's
        response("start ok, first packet 1234", 1, "ok", struct.pack("<H", 1234), 1234),
        response("start ok, first packet 0", 1, "ok", struct.pack("<H", 0), 0),
        response("stop ok, next packet 256", 2, "ok", struct.pack("<H", 256), 256),
        response("stop ok, next packet 65535", 2, "ok", struct.pack("<H", 65535), 65535),
        response("start ok, one payload byte: no sequence number", 1, "ok", b"\x07"),
        response("stop ok, a later field after the sequence number", 2, "ok",
                 struct.pack("<HB", 4660, 9), 4660),
    ]
    vectors["invalid_responses"] = [
        {"name": "empty", "hex": ""},
        {"name": "2 bytes", "hex": "f001"},
        {"name": "not a response (0xf1)", "hex": "f10100"},
        {"name": "unknown result code", "hex": "f00109"},
    ]
    out = Path(__file__).with_name("test_vectors.json")
    out.write_text(json.dumps(vectors, indent=1) + "\n")


if __name__ == "__main__":
    main()
