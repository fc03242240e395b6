"""FIT export (Garmin Connect, Strava): a session as a strength-training activity,
a run as a running activity.

Encoded with Garmin's own FIT SDK (``garmin_fit_sdk.Encoder``, the reference
profile, released with every profile update). The analysis results come in as
plain data, the JSON of ``hipsense analyze --json`` (``SessionResult.to_json()``),
so this module needs no analysis.

What a strength activity holds:

* ``file_id``, ``device_info`` (hipsense), timer start and stop ``event`` s;
* one ``set`` message per set: start time, duration (s, the recording's span),
  repetitions (rep exercises; a stretch has none), the FIT exercise category
  and name of the catalogue (:data:`hipsense.exercises.FIT_EXERCISES`), and the
  developer fields ``side``, ``primary_metric`` (its name) and
  ``primary_median_deg``;
* one ``record`` per rep or hold, at its start, with the developer fields
  ``set_index`` (the set message's ``message_index``), ``rep_index`` (1-based,
  hipsense's), ``duration_s``, ``pelvic_drop_deg`` and ``pelvic_tilt_deg``
  (where the exercise measures them) and ``primary_metric_deg``;
* one ``lap``, one ``session`` (sport ``training``, sub-sport
  ``strength_training``) and the ``activity``.

A run (``running.md``) becomes one ``record`` per step at its initial contact,
with the native ``stance_time`` (ms) and the developer fields ``pelvic_drop_deg``,
``stance_side``, ``side_confidence``, ``steady`` and ``step_time_s``; its
session's sport is ``running``.

Times: FIT timestamps are whole seconds since 1989-12-31 UTC. A session-clock
time ``t`` (s, the recordings' ``time_s``) is ``started_at + (t - origin_s)``,
where ``origin_s`` is the session's first sample (see :func:`session_clock`).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from garmin_fit_sdk import Encoder
from garmin_fit_sdk.fit import BASE_TYPE, BASE_TYPE_DEFINITIONS
from garmin_fit_sdk.profile import Profile

from hipsense.core import Session
from hipsense.errors import HipsenseError
from hipsense.exercises import EXERCISES, FIT_EXERCISES
from hipsense.io.private import open_private

#: The FIT epoch: timestamps count seconds from it.
FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=dt.timezone.utc)
#: hipsense's developer application id (the developer_data_id message).
APPLICATION_ID = uuid.UUID("6b1f3c2e-9a47-4d8e-b2a5-1f0c7e9d4a61")

_MESG = Profile["mesg_num"]
_CATEGORY_NUM = {name: num for num, name in Profile["types"]["exercise_category"].items()}


@dataclass(frozen=True)
class DevField:
    """A developer field: its number, name, FIT base type, units and the
    message it goes on."""

    number: int
    name: str
    base_type: int
    units: str
    mesg: str


#: Every developer field hipsense writes, keyed by its name.
DEV_FIELDS: dict[str, DevField] = {f.name: f for f in (
    DevField(0, "side", BASE_TYPE["STRING"], "", "SET"),
    DevField(1, "primary_metric", BASE_TYPE["STRING"], "", "SET"),
    DevField(2, "primary_median_deg", BASE_TYPE["FLOAT32"], "deg", "SET"),
    DevField(10, "set_index", BASE_TYPE["UINT16"], "", "RECORD"),
    DevField(11, "rep_index", BASE_TYPE["UINT16"], "", "RECORD"),
    DevField(12, "duration_s", BASE_TYPE["FLOAT32"], "s", "RECORD"),
    DevField(13, "pelvic_drop_deg", BASE_TYPE["FLOAT32"], "deg", "RECORD"),
    DevField(14, "pelvic_tilt_deg", BASE_TYPE["FLOAT32"], "deg", "RECORD"),
    DevField(15, "primary_metric_deg", BASE_TYPE["FLOAT32"], "deg", "RECORD"),
    DevField(20, "stance_side", BASE_TYPE["STRING"], "", "RECORD"),
    DevField(21, "side_confidence", BASE_TYPE["FLOAT32"], "", "RECORD"),
    DevField(22, "steady", BASE_TYPE["UINT8"], "", "RECORD"),
    DevField(23, "step_time_s", BASE_TYPE["FLOAT32"], "s", "RECORD"),
)}

#: Per-rep metrics written as developer fields where the exercise has them.
REP_METRICS = ("pelvic_drop_deg", "pelvic_tilt_deg")


@dataclass(frozen=True)
class SessionClock:
    """The session's clock (seconds, the recordings' ``time_s``) in UTC:
    ``started_at`` is the moment of ``origin_s``."""

    started_at: dt.datetime
    origin_s: float

    def utc(self, t_s: float) -> dt.datetime:
        return self.started_at + dt.timedelta(seconds=t_s - self.origin_s)

    def fit_time(self, t_s: float) -> int:
        """A FIT timestamp (whole seconds since :data:`FIT_EPOCH`, rounded down)."""
        return math.floor((self.utc(t_s) - FIT_EPOCH).total_seconds())

    @property
    def utc_offset_s(self) -> int:
        """The offset of ``started_at``'s own time zone from UTC (s)."""
        offset = self.started_at.utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0


def session_clock(session: Session) -> SessionClock:
    """``session.json``'s ``started_at`` as the time of the session's first
    sample (the calibration's, else the first set's); HipsenseError when it is
    missing or not an ISO 8601 time with a time zone."""
    raw = session.metadata.get("started_at")
    where = f"{session.folder / 'session.json' if session.folder else 'session.json'}: " \
            "key 'started_at'"
    if not isinstance(raw, str) or not raw:
        raise HipsenseError(f"{where}: missing; a FIT activity needs the session's start time")
    try:
        started = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise HipsenseError(f"{where}: {raw!r} is not an ISO 8601 time") from None
    if started.tzinfo is None:
        raise HipsenseError(f"{where}: {raw!r} has no time zone (e.g. +00:00)")
    recordings = [rec for _, rec in session.sets if len(rec)]
    if session.calibration is not None and len(session.calibration):
        recordings.append(session.calibration)
    if not recordings:
        raise HipsenseError("the session has no samples to export")
    return SessionClock(started, min(float(rec.time_s[0]) for rec in recordings))


class _Writer:
    """The messages of one FIT activity file, in order."""

    def __init__(self, clock: SessionClock) -> None:
        self.clock = clock
        dev_id = {"mesg_num": _MESG["DEVELOPER_DATA_ID"],
                  "application_id": list(APPLICATION_ID.bytes),
                  "application_version": 1, "developer_data_index": 0}
        descriptions = {}
        self.mesgs: list[dict[str, Any]] = []
        for f in DEV_FIELDS.values():
            descriptions[f.number] = {
                "mesg_num": _MESG["FIELD_DESCRIPTION"], "developer_data_index": 0,
                "field_definition_number": f.number,
                # the profile's fit_base_type (0x88 float32, with its endian bit;
                # the bare 8 of the SDK's recipe is unreadable to other decoders)
                "fit_base_type_id": f.base_type | BASE_TYPE_DEFINITIONS[f.base_type]["endian_flag"],
                "field_name": f.name, "units": f.units, "native_mesg_num": _MESG[f.mesg]}
        self.encoder = Encoder(field_descriptions={
            n: {"developer_data_id_mesg": dev_id, "field_description_mesg": d}
            for n, d in descriptions.items()})
        self._dev_id = dev_id
        self._descriptions = list(descriptions.values())

    def header(self, start: int) -> None:
        self.add("FILE_ID", type="activity", manufacturer="development", product=0,
                 serial_number=1, time_created=start, product_name="hipsense")
        self.mesgs.append(self._dev_id)
        self.mesgs.extend(self._descriptions)
        self.add("DEVICE_INFO", timestamp=start, device_index="creator",
                 manufacturer="development", product=0, product_name="hipsense")
        self.add("EVENT", timestamp=start, event="timer", event_type="start")

    def add(self, mesg: str, dev: Mapping[str, Any] | None = None, **fields: Any) -> None:
        message: dict[str, Any] = {"mesg_num": _MESG[mesg], **fields}
        if dev:
            message["developer_fields"] = {DEV_FIELDS[k].number: v for k, v in dev.items()}
        self.mesgs.append(message)

    def footer(self, start: int, end: int, sport: str, sub_sport: str,
               **session_fields: Any) -> bytes:
        elapsed_s = float(end - start)
        self.add("EVENT", timestamp=end, event="timer", event_type="stop_all")
        self.add("LAP", message_index=0, timestamp=end, start_time=start,
                 total_elapsed_time=elapsed_s, total_timer_time=elapsed_s,
                 event="lap", event_type="stop", sport=sport, sub_sport=sub_sport)
        self.add("SESSION", message_index=0, timestamp=end, start_time=start,
                 total_elapsed_time=elapsed_s, total_timer_time=elapsed_s, sport=sport,
                 sub_sport=sub_sport, first_lap_index=0, num_laps=1, event="lap",
                 event_type="stop", **session_fields)
        self.add("ACTIVITY", timestamp=end, num_sessions=1, type="manual",
                 event="activity", event_type="stop", total_timer_time=elapsed_s,
                 local_timestamp=end + self.clock.utc_offset_s)
        for message in self.mesgs:
            self.encoder.write_mesg(message)
        return self.encoder.close()


def _category(exercise: str) -> tuple[int, int]:
    """The FIT (exercise_category, category_subtype) numbers of an exercise."""
    fit = FIT_EXERCISES[exercise]
    names = Profile["types"][f"{fit.category}_exercise_name"]
    subtype = next(num for num, name in names.items() if name == fit.name)
    return _CATEGORY_NUM[fit.category], subtype


def strength_fit(session: Session, sets: Sequence[Mapping[str, Any]]) -> bytes:
    """The session as a FIT strength-training activity (bytes of a .fit file).

    ``sets`` are the analysis's sets as JSON (``SessionResult.to_json()["sets"]``),
    matched to the session's recordings by ``file``; times in them are seconds
    on the session clock, angles in degrees. A run set goes through
    :func:`run_fit` instead (one activity per file): HipsenseError here.
    """
    clock = session_clock(session)
    by_file = {s["file"]: s for s in sets}
    writer = _Writer(clock)
    start = clock.fit_time(clock.origin_s)
    writer.header(start)
    end = start
    for index, (info, rec) in enumerate(session.sets):
        if info.exercise == "run":
            raise HipsenseError(f"{info.file}: a run is its own FIT activity "
                                "(running export), not a set of a strength activity")
        result = by_file.get(info.file)
        if result is None:
            raise HipsenseError(f"{info.file}: no analysis result for this set")
        exercise = EXERCISES[info.exercise]
        primary = exercise.primary_metric
        items = result["reps"] if exercise.kind == "reps" else result["holds"]
        for item in items:
            metrics = item["metrics"]
            dev = {"set_index": index, "rep_index": item["index"],
                   "duration_s": item["end_s"] - item["start_s"]}
            for name in REP_METRICS:
                if metrics.get(name) is not None:
                    dev[name] = float(metrics[name])
            if metrics.get(primary) is not None:
                dev["primary_metric_deg"] = float(metrics[primary])
            writer.add("RECORD", dev, timestamp=clock.fit_time(item["start_s"]))
        set_end = clock.fit_time(float(rec.time_s[-1]))
        category, subtype = _category(info.exercise)
        dev_set: dict[str, Any] = {"side": info.side, "primary_metric": primary}
        if result.get("medians", {}).get(primary) is not None:
            dev_set["primary_median_deg"] = float(result["medians"][primary])
        writer.add("SET", dev_set, timestamp=set_end, message_index=index,
                   start_time=clock.fit_time(float(rec.time_s[0])),
                   duration=rec.duration_s, set_type="active",
                   repetitions=result["rep_count"] if exercise.kind == "reps" else None,
                   category=[category], category_subtype=[subtype])
        end = max(end, set_end)
    return writer.footer(start, end, "training", "strength_training")


def run_fit(run: Mapping[str, Any], clock: SessionClock,
            span_s: tuple[float, float] | None = None) -> bytes:
    """A run (``running.md``: the ``run`` object of a run set's analysis JSON)
    as a FIT running activity (bytes of a .fit file).

    One record per step at its initial contact (``ic_s``, s on the session
    clock) with the native ``stance_time`` (``contact_s`` in ms) and the
    developer fields ``pelvic_drop_deg`` (deg), ``stance_side``,
    ``side_confidence``, ``steady`` (1 or 0) and ``step_time_s`` (s since the
    activity's start, the step's exact time). ``span_s`` is the run recording's
    first and last sample time (s); without it the first IC and last TO.
    The session's ``avg_cadence`` (strides per minute, FIT's unit for running)
    is half the steady bouts' cadence, weighted by their steps.
    """
    steps = list(run.get("steps", []))
    if span_s is None:
        if not steps:
            raise HipsenseError("the run has no steps and no time span to export")
        span_s = (min(s["ic_s"] for s in steps), max(s["to_s"] for s in steps))
    writer = _Writer(clock)
    start, end = clock.fit_time(span_s[0]), clock.fit_time(span_s[1])
    writer.header(start)
    start_utc = FIT_EPOCH + dt.timedelta(seconds=start)
    for step in steps:
        dev = {"stance_side": step["side"], "steady": int(bool(step.get("steady"))),
               "step_time_s": (clock.utc(step["ic_s"]) - start_utc).total_seconds()}
        if step.get("pelvic_drop_deg") is not None:
            dev["pelvic_drop_deg"] = float(step["pelvic_drop_deg"])
        if step.get("side_confidence") is not None:
            dev["side_confidence"] = float(step["side_confidence"])
        contact_ms = None if step.get("contact_s") is None else 1000.0 * step["contact_s"]
        writer.add("RECORD", dev, timestamp=clock.fit_time(step["ic_s"]),
                   stance_time=contact_ms)
    session_fields: dict[str, Any] = {}
    bouts = [b for b in run.get("bouts", []) if b.get("steps")]
    if bouts:
        spm = sum(b["cadence_spm"] * b["steps"] for b in bouts) / sum(b["steps"] for b in bouts)
        session_fields["avg_cadence"] = round(spm / 2)
    session_fields["total_cycles"] = len(steps) // 2 if steps else None
    return writer.footer(start, max(start, end), "running", "generic", **session_fields)


def write_fit(data: bytes, path: str | Path) -> int:
    """Write a FIT file owner-only (0600); returns its size in bytes."""
    with open_private(path, "wb") as fh:
        fh.write(data)
    return len(data)


def session_fits(session: Session, sets: Sequence[Mapping[str, Any]]
                 ) -> list[tuple[str | None, bytes]]:
    """The FIT activities of a session, as (name, bytes): its hip exercises as
    one strength activity (:func:`strength_fit`, name None) and each run (a set
    ``"exercise": "run"`` whose analysis has a ``run`` object, running.md) as a
    running activity of its own (:func:`run_fit`, named by its file's stem), in
    the session's order; FIT holds one sport per activity here."""
    by_file = {s["file"]: s for s in sets}
    out: list[tuple[str | None, bytes]] = []
    hip = [(info, rec) for info, rec in session.sets if info.exercise != "run"]
    if hip:
        out.append((None, strength_fit(Session(session.metadata, session.calibration, hip),
                                       sets)))
    for info, rec in session.sets:
        if info.exercise != "run":
            continue
        result = by_file.get(info.file, {})
        if "run" not in result:
            raise HipsenseError(f"{info.file}: no running analysis for this run")
        out.append((Path(info.file).stem, run_fit(
            result["run"], session_clock(session),
            (float(rec.time_s[0]), float(rec.time_s[-1])))))
    return out
