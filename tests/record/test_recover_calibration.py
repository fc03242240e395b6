"""kill -9 during the calibration: ``hipsense recover`` rebuilds the
calibration from the raw log (issue 13, item 4)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from hipsense.cli import main
from hipsense.io import read_session
from hipsense.io.rawlog import KIND_DATA, RAW_LOG_FILE, read_rawlog
from hipsense.record.assemble import session_from_log

#: The virtual calibration of seed 1 is about 1850 samples, 8 to a packet.
CALIBRATION_PACKETS = 230


def _calibration_packets_on_disk(log_path) -> tuple[int, bool]:
    """(data records after the calibration's start record, whether it stopped)."""
    if not log_path.exists():
        return 0, False
    log = read_rawlog(log_path)
    started, data, stopped = False, 0, False
    for (kind, _, _), ev in zip(log.records, _events(log)):
        if ev is not None and ev.get("event") == "start" and ev.get("exercise") == "calibration":
            started = True
        elif ev is not None and ev.get("event") in ("stop", "calibration") and started:
            stopped = True
        elif kind == KIND_DATA and started:
            data += 1
    return data, stopped


def _events(log):
    from hipsense.io.rawlog import json_object

    for kind, _, payload in log.records:
        yield None if kind == KIND_DATA else json_object(payload)


@pytest.mark.slow
def test_recover_after_kill_9_mid_calibration_keeps_the_calibration(tmp_path):
    out = tmp_path / "rec"
    env = {**os.environ, "HIPSENSE_DB": str(tmp_path / "h.sqlite3")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hipsense", "record", "--sensor", "virtual", "--unattended",
         "--speed", "3", "--exercises", "clamshell", "--no-import", "--no-browser",
         "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    log_path = out / RAW_LOG_FILE
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            data, stopped = _calibration_packets_on_disk(log_path)
            assert not stopped, "the calibration ended before the kill; raise the threshold"
            if data >= 0.6 * CALIBRATION_PACKETS:
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
        else:
            raise AssertionError("no calibration data reached the log")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    data, stopped = _calibration_packets_on_disk(log_path)
    assert not stopped  # killed during the calibration, as meant

    session, summary = session_from_log(read_rawlog(log_path), log_path)
    assert session.calibration is not None, summary["notes"]
    assert len(session.calibration) >= 0.6 * CALIBRATION_PACKETS * 8
    assert any("calibration" in n and "cut short" in n for n in summary["notes"])

    assert main(["recover", str(log_path), "--out", str(tmp_path / "back")]) == 0
    back = read_session(tmp_path / "back")
    assert back.calibration is not None and back.metadata["calibration"] == "calibration.csv"
    assert back.sets == []
