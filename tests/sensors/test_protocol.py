"""The packet codec against firmware_protocol/test_vectors.json, and fuzzed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hipsense.sensors.hipsense import (
    decode_packets, encode_packet, sample_times_us, sequence_gaps, unwrap_us,
)
from hipsense.sensors.hipsense.codec import ERRORS, MAX_SAMPLES

from tests.conftest import REPO

VECTORS = json.loads((REPO / "firmware_protocol" / "test_vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_vectors_decode_to_their_values(vector):
    decoded = decode_packets([bytes.fromhex(vector["hex"])])
    assert decoded.errors == {}
    assert decoded.seq.tolist() == [vector["seq"]]
    assert decoded.t0_us.tolist() == [vector["t0_us"]]
    assert decoded.period_us.tolist() == [vector["period_us"]]
    assert decoded.samples.tolist() == vector["samples"]
    n = len(vector["samples"])
    times = sample_times_us(decoded, nominal_period_us=10_000.0)
    period = vector["period_us"] or 10_000.0
    np.testing.assert_array_equal(times, vector["t0_us"] + period * np.arange(n))


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_encoder_writes_the_vectors_byte_for_byte(vector):
    compact = vector["layout"] == "compact"
    data = encode_packet(vector["seq"], vector["t0_us"], np.array(vector["samples"]),
                         None if compact else vector["period_us"], compact=compact)
    assert data.hex() == vector["hex"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vectors_give_their_error(vector):
    good = bytes.fromhex(VECTORS["valid"][1]["hex"])
    decoded = decode_packets([good, bytes.fromhex(vector["hex"]), good])
    assert decoded.errors == {1: vector["error"]}
    assert decoded.samples.shape == (2, 6)  # the good packets around it survive


def test_stream_with_wraps_and_a_lost_packet():
    (stream,) = VECTORS["streams"]
    decoded = decode_packets([bytes.fromhex(h) for h in stream["packets"]])
    lost, repeated = sequence_gaps(decoded.seq)
    assert lost.tolist() == stream["lost_after_each"] and not repeated.any()
    assert unwrap_us(decoded.t0_us).tolist() == stream["unwrapped_t0_us"]


def test_duplicate_notification_is_seen():
    packet = encode_packet(5, 100, np.zeros((3, 6)), 10_000)
    lost, repeated = sequence_gaps(decode_packets([packet, packet]).seq)
    assert lost.tolist() == [0] and repeated.tolist() == [True]


packets = st.builds(
    lambda seq, t0, period, n, data: encode_packet(
        seq, t0, np.frombuffer(data[: 12 * n].ljust(12 * n, b"\0"), "<i2").reshape(n, 6),
        period),
    st.integers(0, 65535), st.integers(0, 2**32 - 1), st.integers(1, 65535),
    st.integers(1, MAX_SAMPLES), st.binary(min_size=0, max_size=12 * MAX_SAMPLES))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_random_bytes_never_crash_and_are_all_accounted_for(payloads):
    decoded = decode_packets(payloads)
    assert set(decoded.errors.values()) <= set(ERRORS)
    assert len(decoded.errors) + len(decoded.seq) == len(payloads)
    assert decoded.samples.shape == (int(decoded.count.sum()), 6)


@settings(max_examples=200, deadline=None)
@given(st.lists(packets, min_size=1, max_size=10), st.data())
def test_truncated_packets_are_rejected_never_misread(good, data):
    cut = [p[: data.draw(st.integers(0, len(p) - 1))] for p in good]
    decoded = decode_packets(cut)
    assert len(decoded.errors) == len(cut) and decoded.samples.size == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(packets, min_size=1, max_size=10))
def test_round_trip(good):
    decoded = decode_packets(good)
    assert decoded.errors == {}
    again = b"".join(encode_packet(int(decoded.seq[i]), int(decoded.t0_us[i]),
                                   decoded.samples[decoded.packet == i],
                                   int(decoded.period_us[i])) for i in range(len(good)))
    assert again == b"".join(good)


def _vector_lines() -> str:
    lines = []
    for v in VECTORS["valid"]:
        values = " ".join(str(x) for s in v["samples"] for x in s)
        lines.append(f"V {v['hex']} {int(v['layout'] == 'compact')} {v['seq']} {v['t0_us']} "
                     f"{v['period_us']} {len(v['samples'])} {values}")
    for v in VECTORS["invalid"]:
        lines.append(f"I {v['hex'] or '-'} {v['error']}")
    for c in VECTORS["commands"]:
        params = (c["params"] + [0, 0, 0])[:3]
        lines.append(f"C {c['hex'] or '-'} {c['result']} {c['opcode']} "
                     + " ".join(map(str, params)))
    results = {"ok": 0, "unknown_opcode": 1, "invalid_parameter": 2, "invalid_state": 3,
               "invalid_length": 4}
    for r in VECTORS["responses"]:
        seq = "-" if r["seq"] is None else r["seq"]
        lines.append(f"R {r['opcode']} {results[r['result']]} {r['payload'] or '-'} {r['hex']} "
                     f"{seq}")
    for r in VECTORS["invalid_responses"]:
        lines.append(f"X {r['hex'] or '-'}")
    return "\n".join(lines) + "\n"


def test_c_reference_codec_agrees_with_every_vector(tmp_path):
    import shutil
    import subprocess

    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.skip("no C compiler on this machine")
    src = REPO / "firmware_protocol" / "c"
    exe = tmp_path / "test_codec"
    subprocess.run([compiler, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2",
                    "-o", str(exe), str(src / "hipsense_codec.c"), str(src / "test_codec.c")],
                   check=True, capture_output=True, text=True, timeout=120)
    run = subprocess.run([str(exe)], input=_vector_lines(), capture_output=True, text=True,
                         timeout=60)
    total = sum(len(VECTORS[k]) for k in ("valid", "invalid", "commands", "responses",
                                          "invalid_responses"))
    assert run.stdout.strip().splitlines()[-1] == f"{total} passed, 0 failed", run.stdout
    assert run.returncode == 0


# ------------------------------------------------------------ commands

def test_commands_have_the_documented_bytes():
    from hipsense.sensors.hipsense.commands import Op, encode_command, parse_command

    start = encode_command(Op.START, 104, 4, 500)
    assert start.hex() == "016800" + "04" + "f401"
    assert parse_command(start) == (Op.START, (104, 4, 500))
    assert encode_command(Op.SET_CLOCK, 2**32 - 1).hex() == "04ffffffff"
    assert parse_command(bytes([Op.STOP])) == (Op.STOP, ())


@pytest.mark.parametrize("data, result", [
    (b"", "INVALID_LENGTH"), (b"\x09", "UNKNOWN_OPCODE"), (b"\x02\x00", "INVALID_LENGTH"),
    (bytes.fromhex("01680004f4"), "INVALID_LENGTH"),              # 4 parameter bytes
    (bytes.fromhex("01680004f40100"), "INVALID_LENGTH"),          # 6 parameter bytes
    (bytes.fromhex("016800" "03" "f401"), "INVALID_PARAMETER"),   # +-3 g is no range
    (bytes.fromhex("010000" "04" "f401"), "INVALID_PARAMETER"),   # 0 Hz
])
def test_bad_commands_get_their_result_code(data, result):
    from hipsense.sensors.hipsense.commands import CommandError, parse_command

    with pytest.raises(CommandError) as exc:
        parse_command(data)
    assert exc.value.result.name == result


def test_responses_and_config_round_trip():
    from hipsense.sensors.hipsense.commands import (
        Config, Op, Result, encode_response, parse_response,
    )

    config = Config(True, 104, 4, 0, 500, 4 / 32768, 500 / 32768, (0, 1, 0), 123_456_789)
    packed = config.pack()
    assert len(packed) == 23 and packed[:2] == b"\x01\x01"
    assert Config.unpack(packed) == config  # the LSBs are exact in float32
    op, result, payload = parse_response(encode_response(Op.READ_CONFIG, Result.OK, packed))
    assert (op, result, Config.unpack(payload)) == (Op.READ_CONFIG, Result.OK, config)
    with pytest.raises(ValueError):
        parse_response(b"\xf0\x01\x09")
    with pytest.raises(ValueError):
        Config.unpack(packed[:-1])


@pytest.mark.parametrize("vector", VECTORS["commands"], ids=lambda v: v["name"])
def test_command_vectors(vector):
    from hipsense.sensors.hipsense.commands import CommandError, Op, encode_command, parse_command

    data = bytes.fromhex(vector["hex"])
    if vector["result"] == "ok":
        op, params = parse_command(data)
        assert (op, list(params)) == (vector["opcode"], vector["params"])
        assert encode_command(Op(op), *params) == data
    else:
        with pytest.raises(CommandError) as exc:
            parse_command(data)
        assert exc.value.result.name.lower() == vector["result"]


@pytest.mark.parametrize("vector", VECTORS["responses"], ids=lambda v: v["name"])
def test_response_vectors(vector):
    from hipsense.sensors.hipsense.commands import (
        Config, Result, encode_response, parse_response, seq_of_payload, seq_payload,
    )

    result = Result[vector["result"].upper()]
    payload = bytes.fromhex(vector["payload"])
    assert encode_response(vector["opcode"], result, payload).hex() == vector["hex"]
    assert parse_response(bytes.fromhex(vector["hex"])) == (vector["opcode"], result, payload)
    if vector["opcode"] in (1, 2) and result == Result.OK:
        # what the host takes from it: first_seq of START, next_seq of STOP
        assert seq_of_payload(payload) == vector["seq"]
        if vector["seq"] is not None and len(payload) == 2:
            assert encode_response(vector["opcode"], result,
                                   seq_payload(vector["seq"])).hex() == vector["hex"]
    else:
        assert vector["seq"] is None
    if vector["opcode"] == 5:
        config = Config.unpack(payload)
        assert (config.streaming, config.rate_hz, config.acc_range_g, config.gyr_range_dps,
                config.firmware, config.clock_us) == (True, 104, 4, 500, (0, 1, 0), 123_456_789)
        assert config.pack() == payload


@pytest.mark.parametrize("vector", VECTORS["invalid_responses"], ids=lambda v: v["name"])
def test_invalid_response_vectors_are_refused(vector):
    from hipsense.sensors.hipsense.commands import ResponseError, parse_response

    with pytest.raises(ResponseError):
        parse_response(bytes.fromhex(vector["hex"]))


def test_the_vectors_have_both_kinds_of_start_and_stop_result():
    ok = [(v["opcode"], v["seq"] is not None) for v in VECTORS["responses"]
          if v["result"] == "ok" and v["opcode"] in (1, 2)]
    assert {(1, True), (1, False), (2, True), (2, False)} <= set(ok)


def test_the_vectors_file_is_what_make_vectors_writes(tmp_path):
    import importlib.util
    import shutil

    script = tmp_path / "make_vectors.py"
    shutil.copy(REPO / "firmware_protocol" / "make_vectors.py", script)
    spec = importlib.util.spec_from_file_location("make_vectors", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    assert json.loads((tmp_path / "test_vectors.json").read_text()) == VECTORS


@pytest.mark.parametrize("reports", [True, False])
def test_driver_reads_the_sequence_numbers_of_start_and_stop(reports):
    """The virtual sensor's START names its first packet, STOP the next one;
    a sensor that reports nothing leaves both None."""
    import asyncio

    from hipsense.virtual import virtual_sensor
    from hipsense.virtual.backend import VirtualClientBackend, advertise
    from hipsense.sensors.hipsense.driver import HipsenseDriver

    sensor = virtual_sensor(["clamshell"], seed=3, reports_seq=reports)
    advertise(sensor)

    async def go():
        driver = HipsenseDriver(sensor.address, backend=VirtualClientBackend,
                                clock=sensor.host_clock)
        await driver.connect()
        seqs = []
        for _ in range(2):  # the calibration, then the set; numbers carry on
            packets = []
            await driver.start(lambda h, p: packets.append(p))
            await sensor.finished.wait()
            await driver.stop()
            seqs.append((driver.first_seq, driver.next_seq,
                         [int.from_bytes(p[2:4], "little") for p in packets]))
        await driver.disconnect()
        return seqs

    seqs = asyncio.run(go())
    for first, nxt, got in seqs:
        assert got == list(range(got[0], got[-1] + 1))
        if reports:
            assert (first, nxt) == (got[0], got[-1] + 1)
        else:
            assert (first, nxt) == (None, None)
    assert seqs[1][2][0] == seqs[0][2][-1] + 1
