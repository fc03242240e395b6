"""Packets lost at the very start and end of a stream are counted: the
virtual sensor's START result names the stream's first packet and its STOP
result the next one (PROTOCOL.md), end to end through the recorder, the raw
log and ``hipsense record``; a sensor that reports neither (the first
firmware) leaves exactly those edge losses uncounted."""

from __future__ import annotations

import asyncio

import pytest

import hipsense.virtual.sensor as virtual
from hipsense.virtual.sensor import Faults, VirtualSensor, VirtualWearer
from hipsense.cli import main
from hipsense.io import read_session
from hipsense.sensors.hipsense.codec import DATA_UUID
from hipsense.sensors.hipsense.commands import Op
from hipsense.io.rawlog import RAW_LOG_FILE
from hipsense.record.assemble import session_from_log
from hipsense.io.rawlog import read_rawlog
from tests.record.virtual_recording import record_virtual
from hipsense.record.recorder import Plan
from hipsense.sim import SessionSpec, programme_sets


class EdgeLossSensor(VirtualSensor):
    """The virtual sensor whose first ``head`` and last ``tail`` packets of
    every stream never reach the host (sequence numbers in ``withheld``, per
    stream in ``streams``)."""

    made: list[EdgeLossSensor] = []

    def __init__(self, *args, head: int = 3, tail: int = 2, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.head, self.tail = head, tail
        self.withheld: list[int] = []
        self.streams: list[dict[str, list[int]]] = []
        self._skip = 0
        self._held: list[bytes] = []
        EdgeLossSensor.made.append(self)

    def _execute(self, op, params):
        if op == Op.START and not self.streaming:
            self._skip = self.head
            self.streams.append({"head": [], "tail": [], "sent": []})
        elif op == Op.STOP and self.streaming:
            tail = [int.from_bytes(d[2:4], "little") for d in self._held]
            self.streams[-1]["tail"] = tail
            self.withheld += tail
            self._held.clear()
        return super()._execute(op, params)

    def _send(self, uuid: str, data: bytes) -> None:
        if uuid.lower() != DATA_UUID:
            return super()._send(uuid, data)
        seq = int.from_bytes(data[2:4], "little")
        if self._skip:
            self._skip -= 1
            self.withheld.append(seq)
            self.streams[-1]["head"].append(seq)
            return
        self._held.append(data)  # sent once ``tail`` later packets exist
        if len(self._held) > self.tail:
            sent = self._held.pop(0)
            self.streams[-1]["sent"].append(int.from_bytes(sent[2:4], "little"))
            super()._send(uuid, sent)


async def _record(sensor: VirtualSensor, folder, plan: Plan):
    return (await record_virtual(sensor, folder, plan))[0]


def _wearer(exercises=("hip_bridge", "clamshell"), seed: int = 9) -> VirtualWearer:
    return VirtualWearer(SessionSpec(programme_sets(list(exercises))), seed)


def test_a_set_missing_its_first_3_and_last_2_packets_reports_5_lost(tmp_path):
    sensor = EdgeLossSensor(_wearer())
    asyncio.run(_record(sensor, tmp_path / "rec", Plan([("hip_bridge", "both"),
                                                        ("clamshell", "left")])))
    # three streams (calibration, two sets), each without its first 3 and last 2
    assert len(sensor.streams) == 3
    for s in sensor.streams:
        assert len(s["head"]) == 3 and len(s["tail"]) == 2 and len(s["sent"]) > 50
        # really the ends: nothing of the stream came before or after them
        assert max(s["head"]) < min(s["sent"]) and max(s["sent"]) < min(s["tail"])
    saved = read_session(tmp_path / "rec")
    assert [info.extra["lost_packets"] for info, _ in saved.sets] == [5, 5]
    assert saved.metadata["recording"]["lost_packets"] == 15 == len(sensor.withheld)
    assert saved.metadata["recording"]["duplicate_packets"] == 0
    assert saved.metadata["recording"]["clock_outliers"] == 0
    # the raw log keeps the sensor's word, so recover counts the same
    events = [e for _, e in read_rawlog(tmp_path / "rec" / RAW_LOG_FILE).events()]
    starts = [e["first_seq"] for e in events if e["event"] == "start"]
    stops = [e["next_seq"] for e in events if e["event"] == "stop"]
    assert starts == [s["head"][0] for s in sensor.streams]
    assert stops == [s["tail"][-1] + 1 for s in sensor.streams]
    rebuilt, summary = session_from_log(read_rawlog(tmp_path / "rec" / RAW_LOG_FILE))
    assert summary["lost_packets"] == 15
    assert [info.extra["lost_packets"] for info, _ in rebuilt.sets] == [5, 5]


def test_without_the_sensors_word_only_the_inner_edges_are_counted(tmp_path):
    """The first firmware's empty START and STOP results: the head of the
    first stream and the tail of the last one are not knowable; the edges
    between streams still show in the sequence numbers."""
    sensor = EdgeLossSensor(_wearer(), reports_seq=False)
    asyncio.run(_record(sensor, tmp_path / "rec", Plan([("hip_bridge", "both"),
                                                        ("clamshell", "left")])))
    assert len(sensor.withheld) == 15
    saved = read_session(tmp_path / "rec")
    # set 1: the calibration's tail and its own head; set 2: set 1's tail and its head
    assert [info.extra["lost_packets"] for info, _ in saved.sets] == [5, 5]
    assert saved.metadata["recording"]["lost_packets"] == 15 - 3 - 2
    events = [e for _, e in read_rawlog(tmp_path / "rec" / RAW_LOG_FILE).events()]
    assert not any("first_seq" in e or "next_seq" in e for e in events)


@pytest.mark.parametrize("head, tail", [(1, 0), (0, 1), (5, 7)])
def test_any_number_lost_at_either_end_is_counted(tmp_path, head, tail):
    sensor = EdgeLossSensor(_wearer(("hip_stretch",), seed=4), head=head, tail=tail)
    asyncio.run(_record(sensor, tmp_path / "rec", Plan([("hip_stretch", "left")])))
    saved = read_session(tmp_path / "rec")
    assert [info.extra["lost_packets"] for info, _ in saved.sets] == [head + tail]
    assert saved.metadata["recording"]["lost_packets"] == 2 * (head + tail) \
        == len(sensor.withheld)


def test_randomly_dropped_notifications_are_all_counted(tmp_path):
    """The fault-injection run of issue 11: 30 % of the notifications dropped
    on air; every one is counted, those at the streams' ends too."""
    def run(reports: bool, folder):
        sensor = VirtualSensor(_wearer(seed=3), faults=Faults(drop_fraction=0.3, seed=7),
                               reports_seq=reports)
        asyncio.run(_record(sensor, folder, Plan([("hip_bridge", "both"),
                                                  ("clamshell", "left")])))
        return sensor, read_session(folder).metadata["recording"]["lost_packets"]

    sensor, lost = run(True, tmp_path / "rec")
    assert len(sensor.dropped) > 100 and lost == len(sensor.dropped)
    # the same drops counted without the sensor's word miss the outer edges
    blind_sensor, blind_lost = run(False, tmp_path / "blind")
    assert blind_sensor.dropped == sensor.dropped
    assert blind_lost < len(blind_sensor.dropped)


def test_hipsense_record_unattended_counts_the_withheld_packets(tmp_path, monkeypatch, capsys):
    EdgeLossSensor.made.clear()
    monkeypatch.setattr(virtual, "VirtualSensor", EdgeLossSensor)
    out = tmp_path / "rec"
    assert main(["record", "--sensor", "virtual", "--unattended",
                 "--exercises", "hip_bridge,clamshell", "--out", str(out)]) == 0
    [sensor] = EdgeLossSensor.made
    streams = len(sensor.streams)
    saved = read_session(out)
    assert streams == len(saved.sets) + 1  # the calibration, then every set
    assert all(info.extra["lost_packets"] == 5 for info, _ in saved.sets)
    assert saved.metadata["recording"]["lost_packets"] == 5 * streams == len(sensor.withheld)
    assert "5 packets lost" in capsys.readouterr().out
