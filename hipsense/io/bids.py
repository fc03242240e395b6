"""Motion-BIDS export (BIDS 1.9, motion): a session's recordings for researchers.

The layout, for a session of athlete "sample runner" started on 2026-10-05::

    DIR/dataset_description.json, README, participants.tsv, participants.json
    DIR/sub-samplerunner/ses-20261005/sub-samplerunner_ses-20261005_scans.tsv
    DIR/sub-samplerunner/ses-20261005/motion/
        sub-..._task-calibration_tracksys-imu_motion.tsv  (+ _motion.json, _channels.tsv)
        sub-..._task-singlelegsquat_tracksys-imu_acq-left_motion.tsv
        sub-..._task-singlelegsquat_tracksys-imu_acq-left_events.tsv (+ _events.json)
        ...

* subject: the athlete's name in letters and digits, lower case (``01`` without
  one); session: the start date (``YYYYMMDD``, none without ``started_at``);
* task: the exercise id without underscores (``singlelegsquat``), the
  calibration ``calibration``; ``TaskName`` is the exercise id;
  acq: the set's side (``left``, ``right``, ``both``); run: 1, 2, ... only when
  a task and side repeat;
* tracking system ``imu`` (``TrackingSystemName``: the sensor's model from
  session.json, else "hipsense IMU"), one tracked point ``sacrum``;
* channels, in this order: ``latency`` (LATENCY, s), ``acc_x``, ``acc_y``,
  ``acc_z`` (ACCEL, m/s^2: the recording's g times 9.80665), ``gyr_x``,
  ``gyr_y``, ``gyr_z`` (GYRO, deg/s), components x, y, z of the sensor's own
  axes (session-format.md).

Timing: the samples are written as recorded, never resampled (a gap stays a
gap, jitter stays), with the ``latency`` channel giving each sample's time in
seconds from the recording's first sample, as BIDS motion provides for
irregular sampling; ``SamplingFrequency`` is the nominal rate and
``SamplingFrequencyEffective`` the measured one (samples minus one over the
duration). Events: one per rep (``trial_type`` rep) or stretch hold (hold),
``onset`` in seconds from the recording's first sample, ``duration`` in
seconds, and each metric of the exercise in degrees (``n/a`` when lost).

A run (running.md) is its own task, ``task-run`` (``acq-both``), its samples
written like any set's; its events are its steps (``trial_type`` step):
``onset`` the initial contact from the recording's first sample, ``duration``
the contact time, ``side`` the stance foot, ``pelvic_drop_deg`` and ``steady``.

The dataset is written into a hidden temporary folder beside ``DIR`` and
renamed to ``DIR`` when complete: an error leaves no partial export.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hipsense.core import Recording, Session
from hipsense.errors import HipsenseError
from hipsense.exercises import EXERCISES, RUN
from hipsense.io.private import make_private_dir, write_private_text
from hipsense.version import __version__

BIDS_VERSION = "1.9.0"
#: Standard gravity (m/s^2): the accelerometer's g in SI units.
STANDARD_GRAVITY = 9.80665
TRACKSYS = "imu"
TRACKED_POINT = "sacrum"
#: (name, component, type, units) of every channel, in the columns' order.
CHANNELS: tuple[tuple[str, str, str, str], ...] = (
    ("latency", "n/a", "LATENCY", "s"),
    ("acc_x", "x", "ACCEL", "m/s^2"), ("acc_y", "y", "ACCEL", "m/s^2"),
    ("acc_z", "z", "ACCEL", "m/s^2"),
    ("gyr_x", "x", "GYRO", "deg/s"), ("gyr_y", "y", "GYRO", "deg/s"),
    ("gyr_z", "z", "GYRO", "deg/s"),
)


def label(text: str) -> str:
    """A BIDS label: the letters and digits of ``text``, lower case."""
    return re.sub(r"[^a-zA-Z0-9]", "", text).lower()


def _tsv(rows: Sequence[Sequence[Any]]) -> str:
    return "".join("\t".join(str(v) for v in row) + "\n" for row in rows)


def _json(obj: Any) -> str:
    return json.dumps(obj, indent=2) + "\n"


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def motion_rows(rec: Recording) -> str:
    """The ``_motion.tsv`` of a recording (no header): latency (s), acc (m/s^2),
    gyr (deg/s) per sample."""
    table = np.column_stack([rec.time_s - rec.time_s[0], rec.acc_g * STANDARD_GRAVITY,
                             rec.gyr_dps])
    lines = ["\t".join((f"{r[0]:.6f}", *(f"{v:.5f}" for v in r[1:4]),
                        *(f"{v:.4f}" for v in r[4:7]))) for r in table]
    return "\n".join(lines) + "\n"


#: The columns of a run's ``_events.tsv``.
STEP_COLUMNS = ("onset", "duration", "trial_type", "side", "pelvic_drop_deg", "steady")


def _step_events(run: Mapping[str, Any], t0_s: float) -> list[list[Any]]:
    """Rows of a run's ``_events.tsv``: one per step."""
    return [[_num(step["ic_s"] - t0_s, 4), _num(step.get("contact_s"), 4), "step",
             step["side"], _num(step.get("pelvic_drop_deg"), 2),
             "n/a" if step.get("steady") is None else str(bool(step["steady"])).lower()]
            for step in run.get("steps", ())]


def _step_events_json() -> dict[str, Any]:
    return {
        "onset": {"Description": "Initial contact of the stance foot, from the recording's "
                                 "first sample", "Units": "s"},
        "duration": {"Description": "Contact time: until that foot's toe-off", "Units": "s"},
        "trial_type": {"Description": "What the event is", "Levels": {"step": "one step"}},
        "side": {"Description": "The stance foot",
                 "Levels": {"left": "left foot on the ground",
                            "right": "right foot on the ground"}},
        "pelvic_drop_deg": {"Description": "Contralateral pelvic drop over the stance as "
                                           "hipsense's running.md defines it (positive: the "
                                           "swing side dropped)", "Units": "deg"},
        "steady": {"Description": "Whether the step is part of steady running (bouts of "
                                  "10 or more even steps)",
                   "Levels": {"true": "in a steady bout", "false": "a turn, stop or start"}},
    }


def _events(set_json: Mapping[str, Any], t0_s: float) -> tuple[list[list[Any]], list[str]]:
    """Rows and metric columns of a set's ``_events.tsv``."""
    exercise = EXERCISES[set_json["exercise"]]
    metrics = [s.name for s in exercise.signals]
    rows = []
    for kind, items in (("rep", set_json.get("reps", [])), ("hold", set_json.get("holds", []))):
        for item in items:
            # the JSON's times are to the ms: 4 decimals keep them
            rows.append([_num(item["start_s"] - t0_s, 4),
                         _num(item["end_s"] - item["start_s"], 4),
                         kind, item["index"],
                         *(_num(item["metrics"].get(m), 2) for m in metrics)])
    return rows, metrics


def _events_json(metrics: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "onset": {"Description": "Start of the rep (leaving the rest posture) or of the "
                                 "hold, from the recording's first sample", "Units": "s"},
        "duration": {"Description": "Until back at rest (rep) or the start of coming out "
                                    "(hold)", "Units": "s"},
        "trial_type": {"Description": "What the event is",
                       "Levels": {"rep": "one repetition", "hold": "one stretch hold"}},
        "rep_index": {"Description": "The rep's or hold's number in the set, from 1"},
    }
    for m in metrics:
        out[m] = {"Description": f"{m} as hipsense's measurements.md defines it: the "
                                 "extreme within a rep, the mean over a hold",
                  "Units": "deg"}
    return out


def write_bids(session: Session, sets: Sequence[Mapping[str, Any]], out_dir: str | Path) -> int:
    """Write the session as a Motion-BIDS dataset in ``out_dir`` (created; an
    existing one must be empty). ``sets`` are the analysis's sets as JSON
    (``SessionResult.to_json()["sets"]``), matched by ``file``, for the events.
    Returns the number of recordings written. Files 0600, folders 0700."""
    out = Path(out_dir)
    check_bids_target(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        count = _write_dataset(session, sets, tmp)
        if out.is_dir():
            out.rmdir()  # empty (checked); the complete export takes its place
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return count


def check_bids_target(out: Path) -> None:
    """Raise :class:`HipsenseError` unless ``out`` can take an export: absent or
    an empty folder, in an existing folder."""
    if out.is_file() or (out.exists() and not out.is_dir()):
        raise HipsenseError(f"{out}: is a file (give a folder for the Motion-BIDS dataset)")
    if out.is_dir() and any(out.iterdir()):
        raise HipsenseError(f"{out}: exists and is not an empty folder")
    if not out.parent.is_dir():
        raise HipsenseError(f"{out}: folder {out.parent} does not exist")


def _write_dataset(session: Session, sets: Sequence[Mapping[str, Any]], out: Path) -> int:
    """The dataset written into the (new, empty) folder ``out``."""
    meta = session.metadata
    subject = label(str(meta.get("athlete") or "")) or "01"
    started = meta.get("started_at")
    try:
        start_time = dt.datetime.fromisoformat(started) if isinstance(started, str) else None
    except ValueError:
        start_time = None
    ses = start_time.strftime("%Y%m%d") if start_time else None
    base = f"sub-{subject}" + (f"_ses-{ses}" if ses else "")
    sub_dir = out / f"sub-{subject}" / (f"ses-{ses}" if ses else "")
    motion_dir = sub_dir / "motion"
    make_private_dir(motion_dir)

    sensor = meta.get("sensor") if isinstance(meta.get("sensor"), Mapping) else {}
    model = str(sensor.get("model") or "hipsense IMU")
    nominal_hz = meta.get("sample_rate_hz")
    by_file = {s["file"]: s for s in sets}

    recordings: list[tuple[str, str | None, str, Recording, Mapping[str, Any] | None]] = []
    if session.calibration is not None and len(session.calibration):
        recordings.append(("calibration", None, "calibration", session.calibration, None))
    for info, rec in session.sets:
        recordings.append((info.exercise, info.side, info.file, rec, by_file.get(info.file)))
    repeats = Counter((task, side) for task, side, *_ in recordings)
    seen: Counter[tuple[str, str | None]] = Counter()
    scans = [["filename", "acq_time"]]

    for task, side, file, rec, set_json in recordings:
        seen[(task, side)] += 1
        # the entities in BIDS's order: task, tracksys, acq, run
        name = f"{base}_task-{label(task)}_tracksys-{TRACKSYS}"
        if side is not None:
            name += f"_acq-{side}"
        if repeats[(task, side)] > 1:
            name += f"_run-{seen[(task, side)]}"
        write_private_text(motion_dir / f"{name}_motion.tsv", motion_rows(rec))
        write_private_text(motion_dir / f"{name}_channels.tsv", _tsv(
            [["name", "component", "type", "tracked_point", "units"]]
            + [[n, c, t, "n/a" if t == "LATENCY" else TRACKED_POINT, u]
               for n, c, t, u in CHANNELS]))
        duration_s = rec.duration_s
        what = (EXERCISES[task].name + ("" if side in (None, "both") else
                                        f", side {side}: {EXERCISES[task].side_means}")
                if task in EXERCISES else
                f"{RUN.name}: 3 s standing still, then running at an easy pace"
                if task == RUN.id else "Calibration: stand still, two hip hinges, stand still")
        sidecar = {
            "TaskName": task,
            "TaskDescription": f"{what} (hipsense session file {file})",
            "SamplingFrequency": float(nominal_hz) if nominal_hz else rec.median_rate_hz(),
            "SamplingFrequencyEffective": (len(rec) - 1) / duration_s if duration_s > 0
            else rec.median_rate_hz(),
            "TrackingSystemName": model,
            "ManufacturersModelName": model,
            "RecordingDuration": round(duration_s, 6),
            "RecordingType": "continuous",
            "MotionChannelCount": len(CHANNELS),
            "ACCELChannelCount": sum(t == "ACCEL" for _, _, t, _ in CHANNELS),
            "GYROChannelCount": sum(t == "GYRO" for _, _, t, _ in CHANNELS),
            "LATENCYChannelCount": sum(t == "LATENCY" for _, _, t, _ in CHANNELS),
            "TrackedPointsCount": 1,
        }
        if sensor.get("manufacturer"):
            sidecar["Manufacturer"] = str(sensor["manufacturer"])
        write_private_text(motion_dir / f"{name}_motion.json", _json(sidecar))
        if set_json is not None and set_json.get("run") is not None:
            write_private_text(motion_dir / f"{name}_events.tsv", _tsv(
                [list(STEP_COLUMNS), *_step_events(set_json["run"], float(rec.time_s[0]))]))
            write_private_text(motion_dir / f"{name}_events.json", _json(_step_events_json()))
        elif set_json is not None:
            rows, metrics = _events(set_json, float(rec.time_s[0]))
            write_private_text(motion_dir / f"{name}_events.tsv", _tsv(
                [["onset", "duration", "trial_type", "rep_index", *metrics], *rows]))
            write_private_text(motion_dir / f"{name}_events.json", _json(_events_json(metrics)))
        if start_time is not None and start_time.tzinfo is not None:
            origin = min(float(r.time_s[0]) for *_, r, _ in recordings)
            acq = start_time + dt.timedelta(seconds=float(rec.time_s[0]) - origin)
            scans.append([f"motion/{name}_motion.tsv",
                          acq.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")])
    if len(scans) > 1:
        write_private_text(sub_dir / f"{base}_scans.tsv", _tsv(scans))

    write_private_text(out / "dataset_description.json", _json({
        "Name": f"hipsense session {ses or ''}".strip(),
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "raw",
        "GeneratedBy": [{"Name": "hipsense", "Version": __version__,
                         "Description": "hipsense export --bids"}],
    }))
    write_private_text(out / "README", (
        "A hipsense session: one IMU clipped over the sacrum during a runner's hip "
        "programme (see hipsense's shared/spec/measurements.md).\n"
        "Channels: latency (s from the recording's first sample; samples are as "
        "recorded, gaps not filled), acc_x/y/z (m/s^2), gyr_x/y/z (deg/s) on the sensor's "
        "own axes (nominally +x up, +y left, +z backwards).\n"
        "Events: one per rep or stretch hold with hipsense's per-rep pelvic angles (deg); "
        "for a run (task-run), one per step with its contact time and pelvic drop (deg).\n"))
    write_private_text(out / "participants.tsv", _tsv([["participant_id"], [f"sub-{subject}"]]))
    write_private_text(out / "participants.json", _json({
        "participant_id": {"Description": "The athlete's name in letters and digits"}}))
    return len(recordings)
