"""The raw log survives damage: a changed byte, a corrupted length field, a
crash-cut tail, crafted event records. ``recover`` writes everything
undamaged and says what was lost; version-1 logs still read."""

from __future__ import annotations

import asyncio
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipsense.virtual.sensor import VirtualSensor, VirtualWearer
from hipsense.cli import main
from hipsense.errors import HipsenseError
from hipsense.io import read_session, write_session
from hipsense.sensors.hipsense.codec import encode_packet
from hipsense.io.rawlog import RAW_LOG_FILE
from hipsense.record.assemble import session_from_log
from hipsense.io.rawlog import (
    MAGIC, MAGIC_V1, RECORD_OVERHEAD, RawLogWriter, encode_record, read_rawlog,
)
from tests.record.virtual_recording import record_virtual
from hipsense.sim import SessionSpec, programme_sets

SET_FILES = [f"set{i:02d}.csv" for i in range(1, 7)]
FILES = ["calibration.csv", *SET_FILES]


async def _record(wearer: VirtualWearer, folder: Path) -> None:
    await record_virtual(VirtualSensor(wearer), folder)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[bytes, Path]:
    """A 6-set session's raw log, and the session recovered from it undamaged."""
    root = tmp_path_factory.mktemp("damage")
    spec = SessionSpec(programme_sets(["clamshell", "knee_drive", "single_leg_squat"], reps=6))
    asyncio.run(_record(VirtualWearer(spec, 21), root / "rec"))
    data = (root / "rec" / RAW_LOG_FILE).read_bytes()
    session, summary = session_from_log(read_rawlog(root / "rec" / RAW_LOG_FILE))
    assert summary["sets"] == 6 and not summary["losses"] and not summary["notes"]
    write_session(session, root / "clean")
    return data, root / "clean"


def _records(data: bytes) -> list[tuple[int, int, float, bytes]]:
    """(offset, kind, host time, payload) of every record of an intact v2 log."""
    out, pos = [], len(MAGIC)
    while pos < len(data):
        kind, host_s, length, _ = struct.unpack_from("<BdII", data, pos + 4)
        out.append((pos, kind, host_s, data[pos + RECORD_OVERHEAD:pos + RECORD_OVERHEAD + length]))
        pos += RECORD_OVERHEAD + length
    return out


def _v1(data: bytes) -> bytes:
    """The same log in version 1 (no sync marker, no CRC)."""
    return MAGIC_V1 + b"".join(struct.pack("<BdI", k, h, len(p)) + p
                               for _, k, h, p in _records(data))


def _middle_of(data: bytes, file: str) -> tuple[int, int, float, bytes]:
    """The notification record in the middle of a set's recording."""
    recs = _records(data)
    events = [(i, json.loads(p)) for i, (_, k, _, p) in enumerate(recs) if k == 2]
    start = next(i for i, e in events if e["event"] == "start" and e["file"] == file)
    stop = next(i for i, e in events if e["event"] == "stop" and e["file"] == file)
    return recs[(start + stop) // 2]


def _recover(tmp_path: Path, data: bytes, capsys) -> tuple[Path, list[str]]:
    log = _write(tmp_path / "damaged.hslog", data)
    out = tmp_path / "out"
    assert main(["recover", str(log), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return out, captured.out.strip().splitlines()


def _same_except(out: Path, clean: Path, damaged: str | None) -> None:
    for name in FILES:
        if name != damaged:
            assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def _missing(out: Path, clean: Path, file: str) -> np.ndarray:
    """Times (s from the set's first sample) of the samples the damage cost."""
    got = read_session(out).sets[SET_FILES.index(file)][1]
    want = read_session(clean).sets[SET_FILES.index(file)][1]
    assert np.isin(got.time_s, want.time_s).all()  # nothing moved, nothing invented
    return want.time_s[~np.isin(want.time_s, got.time_s)] - want.time_s[0]


def _loss_range_s(line: str) -> tuple[float, float]:
    lo, hi = re.search(r"lost (\d+\.\d+)-(\d+\.\d+) s into the recording", line).groups()
    return float(lo), float(hi)


def test_one_changed_byte_mid_log_costs_one_packet(recorded, tmp_path, capsys):
    data, clean = recorded
    offset, _, _, payload = _middle_of(data, "set03.csv")
    at = offset + RECORD_OVERHEAD + len(payload) // 2
    assert abs(at - len(data) // 2) < len(data) // 4  # in the middle of the file
    damaged = bytearray(data)
    damaged[at] ^= 0x10
    out, lines = _recover(tmp_path, bytes(damaged), capsys)
    _same_except(out, clean, "set03.csv")
    missing = _missing(out, clean, "set03.csv")
    assert missing.size == 8  # the one notification's samples, nothing else
    size = RECORD_OVERHEAD + len(payload)
    assert "recovered the calibration and 6 sets" in lines[0]
    assert lines[1] == f"Skipped 1 damaged stretch of the log ({size} bytes); lost:"
    assert lines[2].startswith(f"  bytes {offset}-{offset + size - 1} ({size} bytes, "
                               "1 notification): set03.csv (knee_drive left) lost ")
    lo, hi = _loss_range_s(lines[2])
    assert lo - 0.1 <= missing.min() and missing.max() <= hi + 0.1 and hi - lo < 0.5
    assert len(lines) == 3
    meta = json.loads((out / "session.json").read_text())
    clean_meta = json.loads((clean / "session.json").read_text())
    assert meta["recording"]["lost_packets"] == clean_meta["recording"]["lost_packets"] + 1
    assert meta["sets"][2]["lost_packets"] == clean_meta["sets"][2]["lost_packets"] + 1
    assert meta["recording"]["log_damage"] == [lines[2].strip()]


def test_a_corrupted_length_field_costs_one_record_not_six_sets(recorded, tmp_path, capsys):
    data, clean = recorded
    offset, _, _, payload = _middle_of(data, "set02.csv")
    damaged = bytearray(data)
    struct.pack_into("<I", damaged, offset + 13, 10**8)  # the length: past the end of the file
    out, lines = _recover(tmp_path, bytes(damaged), capsys)
    _same_except(out, clean, "set02.csv")
    assert _missing(out, clean, "set02.csv").size == 8
    size = RECORD_OVERHEAD + len(payload)
    assert "half-written" not in lines[0] and "cut short" not in lines[0]
    assert lines[2].startswith(f"  bytes {offset}-{offset + size - 1} ({size} bytes, about 1 "
                               "record): set02.csv (clamshell right) lost ")


def test_damage_between_sets_and_in_event_records(recorded, tmp_path, capsys):
    data, clean = recorded
    recs = _records(data)
    starts = [r for r in recs if r[1] == 2 and json.loads(r[3])["event"] == "start"]
    damaged = bytearray(data)
    # the start record of set04.csv: its data is rebuilt from the stop record
    offset, _, _, payload = starts[4]
    assert json.loads(payload)["file"] == "set04.csv"
    damaged[offset + RECORD_OVERHEAD + 5] ^= 0xFF
    # and the session record (the first): the sets still come back
    damaged[len(MAGIC) + RECORD_OVERHEAD + 3] ^= 0x01
    out, lines = _recover(tmp_path, bytes(damaged), capsys)
    _same_except(out, clean, None)
    text = "\n".join(lines)
    assert "1 event record): between recordings after set03.csv (knee_drive left)" in text
    assert "Note: the start record of set04.csv was lost: rebuilt from its stop record" in text
    assert "Note: the session record was lost" in text
    assert len(lines) == 6


def test_a_lost_calibration_verdict_is_inferred(recorded, tmp_path, capsys):
    data, clean = recorded
    verdict = next(r for r in _records(data)
                   if r[1] == 2 and json.loads(r[3])["event"] == "calibration")
    assert json.loads(verdict[3])["ok"] is True
    damaged = bytearray(data)
    damaged[verdict[0] + RECORD_OVERHEAD + 2] ^= 0x40
    out, lines = _recover(tmp_path, bytes(damaged), capsys)
    _same_except(out, clean, None)
    size = RECORD_OVERHEAD + len(verdict[3])
    assert lines[2] == (f"  bytes {verdict[0]}-{verdict[0] + size - 1} ({size} bytes, 1 event "
                        "record): between recordings after calibration.csv (calibration)")
    assert lines[3] == ("Note: the calibration's verdict record was lost: the recorder went on "
                        "to the sets, so it was accepted")


def test_a_crash_cut_tail_is_named_as_such(recorded, tmp_path, capsys):
    data, clean = recorded
    offset, _, _, payload = _middle_of(data, "set06.csv")
    cut = offset + RECORD_OVERHEAD + 3
    out, lines = _recover(tmp_path, data[:cut], capsys)
    assert lines[0].endswith(f"the last set was cut short, {RECORD_OVERHEAD + 3} bytes of a "
                             "half-written record at the end.")
    assert len(lines) == 1
    _same_except(out, clean, "set06.csv")


def test_old_format_logs_still_read_and_resynchronise(recorded, tmp_path, capsys):
    data, clean = recorded
    old = _v1(data)
    log = read_rawlog(_write(tmp_path / "v1.hslog", old))
    assert log.version == 1 and log.damage == [] and log.truncated_bytes == 0
    assert log.records == [(k, h, p) for _, k, h, p in _records(data)]
    out, lines = _recover(tmp_path, old, capsys)
    _same_except(out, clean, None)
    assert len(lines) == 1
    # a corrupted length field in the middle of an old log: one record lost
    offset, _, _, payload = _middle_of(data, "set05.csv")
    v1_offset = len(MAGIC_V1) + sum(13 + len(p) for o, _, _, p in _records(data) if o < offset)
    damaged = bytearray(old)
    struct.pack_into("<I", damaged, v1_offset + 9, 10**8)
    out, lines = _recover(tmp_path / "again", bytes(damaged), capsys)
    _same_except(out, clean, "set05.csv")
    assert _missing(out, clean, "set05.csv").size == 8
    assert f"bytes {v1_offset}-{v1_offset + 13 + len(payload) - 1}" in lines[2]


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---- crafted event records ---------------------------------------------------------------
CONFIG = {"rate_hz": 100.0, "acc_range_g": 4.0, "gyr_range_dps": 500.0,
          "acc_g_per_lsb": 4 / 32768, "gyr_dps_per_lsb": 500 / 32768}


def _events() -> list[dict]:
    return [{"event": "session", "started_at": "2026-01-01T10:00:00+00:00",
             "recorder": "test", "sensor": {"name": "x"}, "metadata": {"athlete": "A"}},
            {"event": "stream", "family": "hipsense", "config": dict(CONFIG)},
            {"event": "start", "file": "set01.csv", "exercise": "clamshell", "side": "left"},
            "DATA",
            {"event": "stop", "file": "set01.csv"},
            {"event": "link", "what": "disconnected"},
            {"event": "end"}]


def _log(events: list) -> bytes:
    rng = np.random.default_rng(0)
    out = [MAGIC]
    for i, ev in enumerate(events):
        if ev == "DATA":
            for k in range(20):
                p = encode_packet(k, 1_000_000 + 80_000 * k, rng.integers(-99, 99, (8, 6)),
                                  10_000)
                out.append(encode_record(1, 10.0 + 0.08 * k, p))
        else:
            body = ev if isinstance(ev, bytes) else json.dumps(ev).encode()
            out.append(encode_record(2, 9.0 + i, body))
    return b"".join(out)


@pytest.mark.parametrize("where, change, note", [
    (1, {"config": {**CONFIG, "rate_hz": 0}}, "rate_hz: 0 is not a positive number"),
    (1, {"config": None}, "stream configuration None is not an object"),
    (1, {"family": ["x"]}, "unknown sensor family ['x']"),
    (2, {"file": None}, "file None is not a string"),
    (2, {"exercise": ["clamshell"]}, "exercise ['clamshell'] is not a string"),
    (2, {"file": "../../outside.csv"}, "file '../../outside.csv' is not a set's file name"),
    (2, {"side": "both"}, "clamshell takes side left or right, not 'both'"),
    (2, {"first_seq": 70000}, "first_seq 70000 is not a sequence number"),
    (4, {"next_seq": "7"}, "next_seq '7' is not a sequence number"),
    (5, {"what": 3}, "what 3 is not one of disconnected, reconnected, lost"),
    (0, {"metadata": [1]}, "session record: metadata [1] is not an object; left out"),
    (0, {"metadata": {"athlete": ["A"]}}, "athlete left out"),
    (6, {"event": [1]}, "unknown event [1]"),
])
def test_crafted_events_are_skipped_with_a_note(tmp_path, capsys, where, change, note):
    events = _events()
    events[where] = {**events[where], **change}
    out, lines = _recover(tmp_path, _log(events), capsys)
    notes = [line for line in lines if line.startswith("Note: ")]
    assert any(note in line for line in notes), lines
    assert all("Traceback" not in line for line in lines)
    assert not (tmp_path / "outside.csv").exists()


def test_events_that_are_not_objects_and_a_missing_stream(tmp_path, capsys):
    events = _events()
    events[5] = b"[1, 2]"
    events[6] = b"\xff not json"
    del events[1]  # no stream record: nothing decodes, nothing breaks
    out, lines = _recover(tmp_path, _log(events), capsys)
    assert "and 0 sets" in lines[0]
    assert sum("is not a JSON object; skipped" in line for line in lines) == 2
    assert any("20 notifications before any stream record could not be decoded" in line
               for line in lines)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.sampled_from([0, 1, 2, 4, 5, 6]), key=st.sampled_from(
    ["event", "started_at", "metadata", "sensor", "family", "config", "file", "exercise", "side",
     "what", "first_seq", "next_seq", "ok"]), value=JSON)
def test_any_field_of_any_event_never_gives_a_traceback(tmp_path, where, key, value):
    events = _events()
    events[where] = {**events[where], key: value}
    path = _write(tmp_path / "fuzz.hslog", _log(events))
    try:
        session, summary = session_from_log(read_rawlog(path), path)
    except HipsenseError as exc:
        assert "\n" not in str(exc)
        return
    assert summary["sets"] in (0, 1)
    for line in summary["notes"]:
        assert "\n" not in line


def test_the_writer_refuses_to_append_to_an_old_log(tmp_path):
    path = _write(tmp_path / "old.hslog", MAGIC_V1)
    with pytest.raises(HipsenseError, match="not a raw packet log of version 2"):
        RawLogWriter(path)
    cut = _write(tmp_path / "cut.hslog", MAGIC[:5])  # a crash while writing the header
    RawLogWriter(cut).close()
    assert cut.read_bytes() == MAGIC
