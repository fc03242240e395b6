"""One bad field never shifts a stream (a flipped bit in a packet's clock or
sequence number is an outlier placed by the fit), and packets lost before
the first and after the last one received are counted when the sensor says
where its stream starts and stops."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from hipsense.virtual.backend import VirtualClientBackend, VirtualScannerBackend, advertise
from hipsense.virtual.sensor import VirtualSensor, VirtualWearer
from hipsense.sensors.base import StreamConfig
from hipsense.sensors import scan
from hipsense.sensors.hipsense.driver import HipsenseDriver
from hipsense.io import read_session
from hipsense.live.view import ScriptedUI
from hipsense.sensors.hipsense.codec import DATA_UUID, encode_packet
from hipsense.sensors.hipsense.commands import Op
from hipsense.sensors.hipsense.stream import HipsenseDecoder
from hipsense.io.rawlog import RAW_LOG_FILE
from hipsense.record.assemble import session_from_log
from hipsense.io.rawlog import read_rawlog
from hipsense.record.recorder import Plan, Recorder
from hipsense.sim import SessionSpec, programme_sets

CONFIG = StreamConfig(104.0, 4.0, 500.0, 4 / 32768, 500 / 32768)
PERIOD_US = 9615
PER = 8


def _stream(n: int, first_us: int = 2**32 - 400 * PER * PERIOD_US, seq0: int = 0, seed: int = 0):
    """n full packets (the clock wraps at packet 400): payloads, host arrival
    times (6-14 ms latency), true sample times (s, unwrapped)."""
    rng = np.random.default_rng(seed)
    t0 = first_us + np.arange(n) * PER * PERIOD_US
    payloads = [encode_packet(seq0 + k, int(t0[k]), rng.integers(-2000, 2000, (PER, 6)),
                              PERIOD_US) for k in range(n)]
    host = 30.0 + (t0 + (PER - 1) * PERIOD_US) / 1e6 + 0.006 + 0.008 * rng.random(n)
    truth = (t0[:, None] + PERIOD_US * np.arange(PER)).ravel() / 1e6
    return payloads, host, truth


def _flip(payload: bytes, byte: int, bit: int) -> bytes:
    out = bytearray(payload)
    out[byte + bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def _decode(payloads, host, batch: int, dec: HipsenseDecoder | None = None):
    dec = dec or HipsenseDecoder(CONFIG)
    out = [dec.feed(host[i:i + batch], payloads[i:i + batch])
           for i in range(0, len(payloads), batch)]
    out.append(dec.end_stream())
    return dec, out


@pytest.mark.parametrize("batch", [1, 7, 3000])
@pytest.mark.parametrize("bit", [12, 16, 20, 26, 31])
def test_a_flipped_clock_bit_moves_nothing_else(bit, batch):
    payloads, host, truth = _stream(3000)
    payloads[500] = _flip(payloads[500], 4, bit)  # the u32 clock of packet 500
    dec, out = _decode(payloads, host, batch)
    time_s = np.concatenate([s.time_s for s in out])
    assert time_s.size == truth.size
    others = np.r_[0:500 * PER, 501 * PER:truth.size]
    assert np.abs(time_s[others] - truth[others]).max() < 1e-3
    # the outlier itself is placed by its sequence number: where it belongs
    assert np.abs(time_s[500 * PER:501 * PER] - truth[500 * PER:501 * PER]).max() < 1e-3
    assert dec.clock_outliers == 1 and sum(s.clock_outliers for s in out) == 1
    assert dec.stats()["clock_outliers"] == 1
    assert dec.lost_packets == 0 and dec.duplicates == 0


@pytest.mark.parametrize("bit", [4, 10, 11])
def test_a_flip_within_the_tolerance_stays_local(bit):
    payloads, host, truth = _stream(3000)
    payloads[500] = _flip(payloads[500], 4, bit)  # up to 2 ms: within the 2.8 ms tolerance
    dec, out = _decode(payloads, host, 5)
    time_s = np.concatenate([s.time_s for s in out])
    others = np.r_[0:500 * PER, 501 * PER:truth.size]
    assert np.abs(time_s[others] - truth[others]).max() < 1e-6
    assert np.abs(time_s - truth).max() == pytest.approx(2**bit / 1e6)
    assert dec.clock_outliers == 0


@pytest.mark.parametrize("where", [0, 1, 2999])
def test_bad_clocks_at_the_ends_of_the_stream(where):
    payloads, host, truth = _stream(3000)
    payloads[where] = _flip(payloads[where], 4, 23)
    dec, out = _decode(payloads, host, 4)
    time_s = np.concatenate([s.time_s for s in out])
    assert time_s.size == truth.size and np.abs(time_s - truth).max() < 1e-3
    assert dec.clock_outliers == 1 and dec.lost_packets == 0


@pytest.mark.parametrize("bit", [3, 9, 14, 15])
def test_a_flipped_sequence_bit_counts_no_loss(bit):
    payloads, host, truth = _stream(3000)
    payloads[500] = _flip(payloads[500], 2, bit)
    dec, out = _decode(payloads, host, 3)
    time_s = np.concatenate([s.time_s for s in out])
    assert time_s.size == truth.size and np.abs(time_s - truth).max() < 1e-3
    assert dec.lost_packets == 0 and dec.clock_outliers == 1


def test_a_pause_between_streams_is_a_jump_not_an_outlier():
    # stop and start 2 s later: the sequence carries on, the clock jumped
    a, host_a, truth_a = _stream(300)
    b, host_b, truth_b = _stream(300, first_us=2**32 - 100 * PER * PERIOD_US + 2_000_000,
                                 seq0=300, seed=1)
    host_b += 2.0
    dec, out = _decode(a + b, np.r_[host_a, host_b], 2)
    time_s = np.concatenate([s.time_s for s in out])
    np.testing.assert_allclose(time_s, np.r_[truth_a, truth_b], atol=1e-6)
    assert dec.clock_outliers == 0 and dec.lost_packets == 0


def test_lost_packets_counted_before_the_first_and_after_the_last():
    payloads, host, _ = _stream(100, seq0=65500)  # the sequence wraps too
    dec = HipsenseDecoder(CONFIG)
    dec.begin_stream(first_seq=65500)
    s = dec.feed(host[3:98], payloads[3:98])
    tail = dec.end_stream(next_seq=(65500 + 100) % 65536)
    assert dec.lost_packets == 5 and s.lost_packets + tail.lost_packets == 5
    assert dec.stats()["lost_packets"] == 5
    # without the sensor's word, the ends are not knowable
    blind = HipsenseDecoder(CONFIG)
    blind.feed(host[3:98], payloads[3:98])
    blind.end_stream()
    assert blind.lost_packets == 0


def test_the_ends_of_consecutive_streams_are_counted_once():
    payloads, host, _ = _stream(200)
    dec = HipsenseDecoder(CONFIG)
    dec.begin_stream(0)
    dec.feed(host[:98], payloads[:98])
    dec.end_stream(None)                 # a STOP that did not say where it ended
    dec.begin_stream(100)                # the next START: packets 98 and 99 were lost
    dec.feed(host[101:199], payloads[101:199])
    dec.end_stream(200)                  # 100 and 199 lost
    assert dec.lost_packets == 4
    dec.begin_stream(200)
    dec.end_stream(205)                  # a stream of which nothing arrived
    assert dec.lost_packets == 9


class ReportingSensor(VirtualSensor):
    """The virtual sensor (its START result names the stream's first packet,
    its STOP result the next one); the first 3 packets of the session and the
    last 2 of every stream never reach the host."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.withheld: list[int] = []
        self._skip = 3
        self._tail: list[bytes] = []

    def _execute(self, op, params):
        if op == Op.STOP:
            self.withheld += [int.from_bytes(d[2:4], "little") for d in self._tail]
            self._tail.clear()
        return super()._execute(op, params)

    def _send(self, uuid: str, data: bytes) -> None:
        if uuid.lower() != DATA_UUID:
            return super()._send(uuid, data)
        if self._skip:
            self._skip -= 1
            self.withheld.append(int.from_bytes(data[2:4], "little"))
            return
        self._tail.append(data)
        if len(self._tail) > 2:
            super()._send(uuid, self._tail.pop(0))


def test_a_session_missing_its_first_3_and_last_2_packets_counts_them(tmp_path):
    wearer = VirtualWearer(SessionSpec(programme_sets(["hip_bridge"], reps=4)), 9)
    sensor = ReportingSensor(wearer)
    advertise(sensor)

    async def go():
        found = await scan(0.05, backend=VirtualScannerBackend)
        driver = HipsenseDriver(found[0][1], backend=VirtualClientBackend,
                                clock=sensor.host_clock)

        def hook(exercise: str, side: str):
            sensor.wearer_does(exercise, side)
            return sensor.finished.wait()

        await Recorder(driver, tmp_path / "rec", ScriptedUI(), wearer=hook).run(
            Plan([("hip_bridge", "both")]))

    asyncio.run(go())
    # two streams (calibration, one set): 3 at the start, 2 at the end of each
    assert len(sensor.withheld) == 3 + 2 + 2
    saved = read_session(tmp_path / "rec")
    assert saved.metadata["recording"]["lost_packets"] == 7
    assert saved.sets[0][0].extra["lost_packets"] == 2  # its own tail, counted at its STOP
    assert saved.metadata["recording"]["clock_outliers"] == 0
    events = [e for _, e in read_rawlog(tmp_path / "rec" / RAW_LOG_FILE).events()]
    assert [e.get("first_seq") for e in events if e["event"] == "start"][0] == 0
    assert all("next_seq" in e for e in events if e["event"] == "stop")
    rebuilt, summary = session_from_log(read_rawlog(tmp_path / "rec" / RAW_LOG_FILE))
    assert summary["lost_packets"] == 7
    assert json.dumps(rebuilt.metadata["recording"]) == json.dumps(saved.metadata["recording"])
