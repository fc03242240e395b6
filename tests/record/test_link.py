"""The sensor link end to end: the virtual sensor, bleak's real client API on
an in-process backend, the driver, the recorder and the raw log."""

from __future__ import annotations

import asyncio
from dataclasses import replace
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from bleak import BleakScanner
from bleak.exc import BleakError

from hipsense.virtual.backend import VirtualClientBackend, VirtualScannerBackend, advertise
from hipsense.virtual.sensor import HOST_DRIFT, Faults, VirtualSensor, VirtualWearer
from hipsense.cli import main
from hipsense.errors import SensorError
from hipsense.sensors import scan
from hipsense.sensors.hipsense.driver import HipsenseDriver
from hipsense.io import read_session, write_session
from hipsense.live.view import ScriptedUI
from hipsense.sensors.hipsense.commands import Op
from hipsense.io.rawlog import RAW_LOG_FILE
from hipsense.record.assemble import session_from_log
from hipsense.io.rawlog import read_rawlog
from tests.record.virtual_recording import record_virtual
from hipsense.record.recorder import Plan, Recorder
from hipsense.core import Recording
from hipsense.sim import SessionSpec, programme_sets

WRAP_S = 2**32 / 1e6


def _spec(exercises=("clamshell", "hip_stretch", "single_leg_squat"), **kw) -> SessionSpec:
    return SessionSpec(programme_sets(list(exercises)), **kw)


async def _record(wearer: VirtualWearer, folder: Path, faults: Faults = Faults()):
    sensor = VirtualSensor(wearer, faults=faults)
    session, driver = await record_virtual(sensor, folder)
    return session, sensor, driver


def _simulated(wearer: VirtualWearer, folder: Path):
    """The simulated session as ``hipsense simulate`` writes it (CSV precision)."""
    write_session(wearer.simulated.session, folder)
    return read_session(folder)


def _recordings(session) -> list[Recording]:
    return [session.calibration] + [r for _, r in session.sets]


def _wraps(got: Recording, want: Recording) -> float:
    """The sensor's u32 us clock is unwrapped from the session's first packet;
    the simulator's clock is not: they differ by whole wraps."""
    return round((want.time_s[0] - got.time_s[0]) / WRAP_S) * WRAP_S


def _keep_delivered(rec: Recording, undelivered_s: list[tuple[float, float]]) -> Recording:
    keep = np.ones(len(rec), dtype=bool)
    for a, b in undelivered_s:
        keep &= ~((rec.time_s >= a - 1e-7) & (rec.time_s <= b + 1e-7))
    return Recording(rec.time_s[keep], rec.acc_g[keep], rec.gyr_dps[keep])


def test_scan_reports_name_rssi_and_battery():
    wearer = VirtualWearer(_spec(("clamshell",)), 1)
    advertise(VirtualSensor(wearer, name="hipsense-0042", rssi_dbm=-61, battery_pct=55))
    found = asyncio.run(scan(0.05, backend=VirtualScannerBackend))
    assert [(i.name, i.rssi_dbm, i.battery_pct) for i, _ in found] == [("hipsense-0042", -61, 55)]


def test_scan_command_lists_sensors_and_explains_a_missing_adapter(capsys, monkeypatch,
                                                                  tmp_path):
    assert main(["scan", "--virtual", "--timeout", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "hipsense-5E1A" in out and "-58" in out and "87" in out

    async def no_adapter(*args, **kwargs):
        raise BleakError("No Bluetooth adapters found.")

    monkeypatch.setattr(BleakScanner, "discover", no_adapter)
    assert main(["scan"]) == 2
    assert main(["record", "--out", str(tmp_path / "never-created")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("Bluetooth is not available here (No Bluetooth adapters "
                                 "found.)" in line for line in err)
    assert not (tmp_path / "never-created").exists()


def test_whole_session_through_bleak_equals_the_simulation(tmp_path):
    # seed 32's sensor clock passes 2^32 us (4295 s) in its calibration
    wearer = VirtualWearer(_spec(), 32)
    sim = _simulated(wearer, tmp_path / "sim")
    times = np.concatenate([r.time_s for r in _recordings(sim)])
    assert times[0] < WRAP_S < times[-1]
    session, sensor, _ = asyncio.run(_record(wearer, tmp_path / "rec"))
    saved = read_session(tmp_path / "rec")
    assert sensor.dropped == [] and sensor.undelivered_s == []
    assert [(i.exercise, i.side) for i, _ in saved.sets] == \
        [(i.exercise, i.side) for i, _ in sim.sets]
    for got, want in zip(_recordings(saved), _recordings(sim), strict=True):
        assert len(got) == len(want)  # nothing lost, nothing duplicated
        np.testing.assert_array_equal(got.acc_g, want.acc_g)
        np.testing.assert_array_equal(got.gyr_dps, want.gyr_dps)
        assert np.abs(got.time_s + _wraps(got, want) - want.time_s).max() < 1e-3
    rec = saved.metadata["recording"]
    assert rec["lost_packets"] == 0 and rec["duplicate_packets"] == 0
    assert abs(rec["clock_drift_ppm"] - HOST_DRIFT * 1e6) < 2.0


def test_lost_notifications_and_disconnects_are_gaps_and_nothing_else(tmp_path):
    wearer = VirtualWearer(_spec(("clamshell", "knee_drive"), packet_loss=0.01), 11)
    faults = Faults(drop_fraction=0.02, disconnect_at=(150, 1400), disconnect_s=1.5, seed=4)
    session, sensor, driver = asyncio.run(_record(wearer, tmp_path / "rec", faults))
    assert sensor.disconnects == 2 and driver.reconnects == 2
    assert len(sensor.dropped) > 20
    saved = read_session(tmp_path / "rec")
    sim = _simulated(wearer, tmp_path / "sim")
    for got, want in zip(_recordings(saved), _recordings(sim), strict=True):
        shift = _wraps(got, want)
        expected = _keep_delivered(want, [(a - shift, b - shift) for a, b in
                                          sensor.undelivered_s])
        expected.time_s += shift
        assert len(got) == len(expected)
        np.testing.assert_array_equal(got.acc_g, expected.acc_g)
        assert np.abs(got.time_s - expected.time_s).max() < 1e-3
    # every undelivered packet is counted as lost (the sequence numbers carry on
    # across the reconnects), plus what the simulated radio lost before
    truth_lost = sum(s["lost_samples"] for s in wearer.simulated.truth["sets"])
    truth_lost += wearer.simulated.truth["calibration"]["lost_samples"]
    lost = saved.metadata["recording"]["lost_packets"]
    assert lost == len(sensor.undelivered_s) + truth_lost // 8
    assert saved.metadata["recording"]["link_drops"] == 2


def test_recover_rebuilds_the_recorded_session_exactly(tmp_path):
    wearer = VirtualWearer(_spec(("hip_bridge", "prone_hip_extension")), 2)
    asyncio.run(_record(wearer, tmp_path / "rec"))
    assert main(["recover", str(tmp_path / "rec" / RAW_LOG_FILE), "--out",
                 str(tmp_path / "again")]) == 0
    for name in ["calibration.csv"] + [f"set{i:02d}.csv" for i in range(1, 4)]:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "rec" / name).read_bytes()
    a = json.loads((tmp_path / "rec" / "session.json").read_text())
    b = json.loads((tmp_path / "again" / "session.json").read_text())
    a.pop("started_at"), b.pop("started_at")
    assert a == b


def test_sensor_refusal_is_a_clear_error():
    wearer = VirtualWearer(_spec(("clamshell",)), 1)
    sensor = VirtualSensor(wearer)
    advertise(sensor)

    async def go():
        driver = HipsenseDriver(sensor.address, backend=VirtualClientBackend)
        await driver.connect()
        with pytest.raises(SensorError, match="refused START: invalid_parameter"):
            await driver.command(Op.START, 50, 4, 500)
        with pytest.raises(SensorError, match="refused STOP: invalid_state"):
            await driver.command(Op.STOP)
        await driver.disconnect()
        with pytest.raises(SensorError, match="cannot connect"):
            await HipsenseDriver("00:11:22:33:44:55", backend=VirtualClientBackend).connect()

    asyncio.run(go())


def test_ctrl_c_keeps_the_set_in_progress(tmp_path):
    wearer = VirtualWearer(_spec(("single_leg_squat",)), 5)
    sensor = VirtualSensor(wearer, speed=200.0)
    advertise(sensor)

    async def go():
        driver = HipsenseDriver(sensor.address, backend=VirtualClientBackend)
        ui = ScriptedUI()
        recorder = Recorder(driver, tmp_path / "rec", ui,
                            wearer=lambda e, s: sensor.finished.wait())
        task = asyncio.ensure_future(recorder.run(Plan([("single_leg_squat", "left")])))
        while not (tmp_path / "rec" / "calibration.csv").exists():
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # 20 s of the first set at 200x
        recorder.interrupt()
        return await task

    session = asyncio.run(go())
    saved = read_session(tmp_path / "rec")
    assert len(saved.sets) == 1
    got = saved.sets[0][1]
    want = _simulated(wearer, tmp_path / "sim").sets[0][1]
    assert 5.0 < got.duration_s < want.duration_s - 5.0
    n = len(got)
    np.testing.assert_array_equal(got.acc_g, want.acc_g[:n])
    assert len(session.sets) == 1


def test_record_unattended_gives_the_samples_of_simulate(tmp_path):
    args = ["--seed", "8", "--exercises", "knee_drive"]
    assert main(["record", "--sensor", "virtual", "--unattended", "--out",
                 str(tmp_path / "a"), *args]) == 0
    assert main(["simulate", "--out", str(tmp_path / "b"), *args]) == 0
    a, b = read_session(tmp_path / "a"), read_session(tmp_path / "b")
    for got, want in zip(_recordings(a), _recordings(b), strict=True):
        np.testing.assert_array_equal(got.acc_g, want.acc_g)
        np.testing.assert_array_equal(got.gyr_dps, want.gyr_dps)
        assert np.abs(got.time_s + _wraps(got, want) - want.time_s).max() < 1e-3


def test_record_refuses_unattended_real_sensor_and_used_folder(tmp_path, capsys):
    assert main(["record", "--unattended", "--sensor", "AA:BB:CC:DD:EE:FF", "--out",
                 str(tmp_path / "x")]) == 2
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "a.csv").write_text("x")
    assert main(["record", "--sensor", "virtual", "--out", str(tmp_path / "used")]) == 2
    assert main(["record", "--force", "--out", str(tmp_path / "used")]) == 2
    assert (tmp_path / "used" / "a.csv").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "records from the virtual sensor" in err[0]
    assert "not empty" in err[1] and "not a hipsense session folder" in err[2]


def test_unattended_record_uses_the_virtual_sensor_and_force_replaces(tmp_path, capsys):
    args = ["record", "--unattended", "--exercises", "hip_bridge", "--out", str(tmp_path / "d")]
    assert main(args) == 0
    first = (tmp_path / "d" / "session.json").read_text()
    assert main(args) == 2
    assert main([*args, "--force", "--seed", "2"]) == 0
    again = read_session(tmp_path / "d")
    assert again.metadata["simulation"] == {"seed": 2, "virtual_sensor": True}
    assert (tmp_path / "d" / "session.json").read_text() != first
    assert read_rawlog(tmp_path / "d" / RAW_LOG_FILE).events()[0][1]["event"] == "session"
    # both sessions analysed and their tables shown
    assert capsys.readouterr().out.count("reps / hold") >= 2


def test_recover_rejects_what_is_not_a_log(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert main(["recover", str(bad)]) == 2
    assert main(["recover", str(tmp_path / "missing.hslog")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert "not a hipsense raw packet log" in err[0] and "missing.hslog" in err[1]


def _start_recording(out: Path, *extra: str) -> subprocess.Popen:
    """``hipsense record`` on the virtual sensor at 10x real time, in a child
    process; returns once the calibration is saved and the first set runs."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "hipsense", "record", "--unattended", "--speed", "10",
         "--exercises", "clamshell", "--out", str(out), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (out / "calibration.csv").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(proc.communicate()[1].decode())
        time.sleep(0.05)
    return proc


@pytest.mark.slow
def test_ctrl_c_in_a_child_process_ends_cleanly(tmp_path):
    out = tmp_path / "rec"
    proc = _start_recording(out, "--seed", "4")
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    saved = read_session(out)
    assert len(saved.sets) == 1 and 8.0 < saved.sets[0][1].duration_s < 40.0
    assert read_rawlog(out / RAW_LOG_FILE).events()[-1][1]["event"] == "end"


@pytest.mark.slow
def test_killed_recording_recovers_all_but_the_last_second(tmp_path):
    out = tmp_path / "rec"
    proc = _start_recording(out, "--seed", "4")
    time.sleep(2.5)  # well into the first set
    killed_at = time.monotonic()
    proc.kill()
    proc.communicate()
    log = read_rawlog(out / RAW_LOG_FILE)
    # the host clock of a real-time recording is CLOCK_MONOTONIC, as here
    assert log.records[-1][1] > killed_at - 1.0
    session, summary = session_from_log(log)
    assert summary["cut_short"] and len(session.sets) == 1
    assert main(["recover", str(out / RAW_LOG_FILE)]) == 0
    got = read_session(out).sets[0][1]
    want = _simulated(VirtualWearer(_spec(("clamshell",)), 4), tmp_path / "sim").sets[0][1]
    n = len(got)
    assert n > 15 * 104  # 2.5 s at 10x
    np.testing.assert_array_equal(got.acc_g, want.acc_g[:n])
    np.testing.assert_array_equal(got.gyr_dps, want.gyr_dps[:n])


def test_unusable_calibration_is_asked_again(tmp_path, monkeypatch, capsys):
    import hipsense.record.recorder as recorder_module

    real = recorder_module.calibrate
    calls = []

    def first_fails(*args):
        cal = real(*args)
        calls.append(cal.ok)
        if len(calls) == 1:
            return replace(cal, grade="poor", problem="the hinges were too small (6 deg)")
        return cal

    monkeypatch.setattr(recorder_module, "calibrate", first_fails)
    wearer = VirtualWearer(_spec(("hip_bridge",)), 3)
    asyncio.run(_record(wearer, tmp_path / "rec"))
    out = capsys.readouterr().out
    assert "Calibration attempt 1 not usable: the hinges were too small (6 deg)" in out
    events = [e for _, e in read_rawlog(tmp_path / "rec" / RAW_LOG_FILE).events()]
    starts = [e["file"] for e in events if e["event"] == "start"]
    assert starts == ["calibration.csv", "calibration.csv", "set01.csv"]
    assert [e["ok"] for e in events if e["event"] == "calibration"] == [False, True]
    saved = read_session(tmp_path / "rec")
    # the second, accepted calibration is the session's, in the log and in the folder
    rebuilt, _ = session_from_log(read_rawlog(tmp_path / "rec" / RAW_LOG_FILE))
    assert len(saved.calibration) == len(rebuilt.calibration)
    assert len(saved.sets) == 1 and calls == [True, True]


def test_a_sensor_that_cannot_be_reached_leaves_nothing_behind(tmp_path):
    advertise()  # nothing on the air

    async def go():
        driver = HipsenseDriver("C0:FF:EE:00:00:01", backend=VirtualClientBackend)
        await Recorder(driver, tmp_path / "rec", ScriptedUI()).run(Plan.programme())

    with pytest.raises(SensorError, match="cannot connect to C0:FF:EE:00:00:01"):
        asyncio.run(go())
    assert not (tmp_path / "rec").exists()
