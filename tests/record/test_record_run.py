"""``hipsense record --run``: the calibration and a run through the recorder
(virtual sensor), the live line, the saved set, and the run's end by a long
stop."""

from __future__ import annotations

import json

import numpy as np

from hipsense.analysis.calibration import PelvisAxes
from hipsense.cli import main
from hipsense.core import Recording
from hipsense.record.recorder import RUN_LIVE_EVERY_S, _RunWatch


def test_record_run_saves_a_run_set_and_tells_the_drop(tmp_path, capsys):
    out_dir = tmp_path / "r"
    assert main(["record", "--run", "--unattended", "--no-import", "--no-coach",
                 "--out", str(out_dir)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    doc = json.loads((out_dir / "session.json").read_text())
    assert [(s["exercise"], s["side"]) for s in doc["sets"]] == [("run", "both")]
    assert doc["calibration"] == "calibration.csv"
    assert "Running check: saved set01.csv, " in out and " steps/min, drop left foot " in out
    assert (out_dir / "report.html").read_text().count("Running check") >= 1


class _Builder:
    """Enough of a RecordingBuilder for the watch: its length and recording."""

    def __init__(self, rec: Recording) -> None:
        self.rec = rec

    def __len__(self) -> int:
        return len(self.rec)

    def recording(self) -> Recording:
        return self.rec


def test_a_long_stop_after_running_ends_the_run():
    fs = 100.0
    t = np.arange(0, 30, 1 / fs)
    acc = np.zeros((t.size, 3))
    acc[:, 0] = 1.0
    running = (t > 3) & (t < 20)
    acc[running, 0] = 1.0 + 1.5 * np.sin(2 * np.pi * 2.8 * t[running])  # bouncing
    gyr = np.zeros_like(acc)
    axes = PelvisAxes(np.array([0, 0, -1.0]), np.array([0, 1.0, 0]), np.array([1.0, 0, 0]))

    class Cal:
        pass

    cal = Cal()
    cal.axes, cal.gyr_offset_dps = axes, np.zeros(3)
    watch = _RunWatch(cal)
    stopped_at = None
    for end in np.arange(1.0, 30.0, 0.5):
        keep = t <= end
        watch.check(_Builder(Recording(t[keep], acc[keep], gyr[keep])))
        if watch.stopped:
            stopped_at = end
            break
    # standing still from 20 s: over after 5 s of it (checked every few seconds)
    assert stopped_at is not None and 25.0 <= stopped_at <= 25.0 + RUN_LIVE_EVERY_S + 0.5


def test_the_end_of_run_line_gives_every_flagged_foots_cue():
    """Both feet past the limit: both cues, as `analyze` prints them."""
    from types import SimpleNamespace

    from hipsense.analysis.results import Flag, SetResult
    from hipsense.record.recorder import Recorder

    flags = [Flag("running_pelvic_drop", "warning", f"{side} cue") for side in ("left", "right")]
    result = SetResult("set01.csv", "run", "both", flags=[
        *flags, Flag("data_quality", "warning", "range")],
        run={"steps": [], "bouts": [], "left": {"pelvic_drop_deg": 6.9},
             "right": {"pelvic_drop_deg": 6.3}})
    builder = SimpleNamespace(file="set01.csv", lost_packets=0, link_drops=0)
    line = Recorder._run_summary(None, "Running check", builder, result)
    assert "left cue" in line and "right cue" in line and "range" not in line
