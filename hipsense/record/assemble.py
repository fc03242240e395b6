"""From decoded samples and the recorder's events to the session of
session-format.md: used live by the recorder and by ``hipsense recover``.

``hipsense recover`` replays the raw log through the same decoder the
recorder used. It trusts nothing in the log: damaged stretches (skipped by
the reader) are reported with the set and time they hit, and an event whose
fields are missing, of the wrong type or out of range is skipped with a note,
never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from hipsense.consts import CALIBRATION_FILE
from hipsense.core import Recording, Session, SetInfo
from hipsense.sensors.base import Samples, StreamConfig, StreamDecoder
from hipsense.sensors import FAMILIES, decoder_for
from hipsense.sensors.base import LINK_EVENTS
from hipsense.errors import HipsenseError, SessionFormatError, clip
from hipsense.exercises import SET_KINDS, set_sides
from hipsense.io.rawlog import KIND_DATA, RAW_LOG_FILE, Damage, RawLog, json_object
from hipsense.io.session import new_session_metadata

#: Calibration attempts the recorder makes before it goes on without one.
MAX_CALIBRATION_TRIES = 3
#: Keys of session.json that the recorder's metadata may not replace.
_RESERVED = ("format", "version", "started_at", "sample_rate_hz", "calibration", "sets",
             "sensor", "recording")
_SAFE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,60}\.csv")


class RecordingBuilder:
    """Collects the samples of one recording (calibration or set)."""

    def __init__(self, file: str, exercise: str, side: str) -> None:
        self.file, self.exercise, self.side = file, exercise, side
        self._chunks: list[Samples] = []
        self.lost_packets = 0
        self.link_drops = 0
        self.bad_notifications = 0
        self.clock_outliers = 0
        self.accepted = False  # a calibration the recorder accepted
        self.verdict: bool | None = None  # the calibration record's, when it survived

    def add(self, samples: Samples) -> None:
        self.lost_packets += samples.lost_packets
        self.bad_notifications += sum(samples.bad.values())
        self.clock_outliers += samples.clock_outliers
        if len(samples):
            self._chunks.append(samples)

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks)

    def recording(self) -> Recording:
        if not self._chunks:
            return Recording(np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)))
        return Recording(np.concatenate([c.time_s for c in self._chunks]),
                         np.concatenate([c.acc_g for c in self._chunks]),
                         np.concatenate([c.gyr_dps for c in self._chunks]))

    def set_entry(self) -> SetInfo:
        return SetInfo(self.file, self.exercise, self.side,
                       {"lost_packets": self.lost_packets, "link_drops": self.link_drops,
                        "bad_notifications": self.bad_notifications,
                        "clock_outliers": self.clock_outliers})

    @property
    def title(self) -> str:
        side = f" {self.side}" if self.side and self.side != "both" else ""
        return f"{self.file} ({self.exercise}{side})"


def session_metadata(session_event: dict[str, Any], config: StreamConfig | None,
                     calibration: bool, stats: dict[str, Any]) -> dict[str, Any]:
    """session.json (without ``sets``) from the log's "session" event."""
    meta = new_session_metadata(
        session_event.get("started_at"),
        config.rate_hz if config else session_event.get("rate_hz"),
        CALIBRATION_FILE if calibration else None)
    extra = session_event.get("metadata", {})
    if isinstance(extra, dict):
        meta.update({k: v for k, v in extra.items() if k not in _RESERVED})
    sensor = session_event.get("sensor", {})
    sensor = dict(sensor) if isinstance(sensor, dict) else {}
    if config is not None:
        sensor.update(config.to_json())
    meta["sensor"] = sensor
    meta["recording"] = {"raw_log": RAW_LOG_FILE, "recorder": session_event.get("recorder"),
                         **stats}
    return meta


# ---- checking the events ---------------------------------------------------------------
def _seq(ev: dict[str, Any], key: str) -> int | None:
    value = ev.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 65536:
        raise ValueError(f"{key} {clip(value)} is not a sequence number")
    return value


def _text(ev: dict[str, Any], key: str, default: str | None = None) -> str:
    value = ev.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"{'missing ' + key if key not in ev else key + ' ' + clip(value)}"
                         f"{'' if key not in ev else ' is not a string'}")
    return value


def _check_start(ev: dict[str, Any]) -> tuple[str, str, str]:
    """(file, exercise, side) of a "start" event; ValueError names what is wrong."""
    file, exercise, side = _text(ev, "file"), _text(ev, "exercise"), _text(ev, "side")
    if exercise != "calibration" and exercise not in SET_KINDS:
        raise ValueError(f"unknown exercise {clip(exercise)}")
    if exercise != "calibration" and side not in set_sides(exercise):
        raise ValueError(f"{exercise} takes side {' or '.join(set_sides(exercise))}, "
                         f"not {clip(side)}")
    if not _SAFE_FILE.fullmatch(file) or (exercise == "calibration") != (
            file == CALIBRATION_FILE):
        raise ValueError(f"file {clip(file)} is not a set's file name")
    return file, exercise, side


def _check_session(ev: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """The "session" event with fields of the wrong type dropped (noted)."""
    kinds = {"started_at": str, "recorder": str, "family": str, "sensor": dict,
             "metadata": dict}
    out = {}
    for key, value in ev.items():
        want = kinds.get(key)
        if want is not None and not isinstance(value, want):
            notes.append(f"session record: {key} {clip(value)} is not "
                         f"{'a string' if want is str else 'an object'}; left out")
            continue
        out[key] = value
    return out


class _Replay:
    """The state of one replay of a raw log."""

    def __init__(self, log: RawLog, source: str | Path) -> None:
        self.log, self.source = log, source
        self.session_event: dict[str, Any] | None = None
        self.decoder: StreamDecoder | None = None
        self.config: StreamConfig | None = None
        self.builders: list[RecordingBuilder] = []
        self.current: RecordingBuilder | None = None   # the open recording
        self.last: RecordingBuilder | None = None      # the last one stopped
        self.start_host_s: dict[int, float] = {}      # builder id -> host time of its start
        self.open_set = False
        self.link_drops = 0
        self.batch: list[tuple[float, bytes]] = []
        self.notes: list[str] = []
        self.losses: list[str] = []
        self.orphan: RecordingBuilder | None = None  # data after a stop, before a start
        self.stray = 0          # samples outside any recording
        self.undecodable = 0    # notifications before the stream record

    # ---- data ----------------------------------------------------------------------
    def flush(self) -> None:
        if not self.batch:
            return
        if self.decoder is None:
            self.undecodable += len(self.batch)
        else:
            if self.current is None:  # after a stop: a set whose start record was lost?
                self.current = self.orphan = RecordingBuilder("", "", "")
                self.start_host_s[id(self.orphan)] = self.batch[0][0]
            self.current.add(self.decoder.feed(np.array([h for h, _ in self.batch]),
                                               [p for _, p in self.batch]))
        self.batch.clear()

    def _drop_orphan(self) -> None:
        if self.orphan is not None:
            self.stray += len(self.orphan)
            if self.current is self.orphan:
                self.current = None
            self.orphan = None

    # ---- events --------------------------------------------------------------------
    def event(self, host_s: float, payload: bytes) -> None:
        self.flush()
        ev = json_object(payload)
        if ev is None:
            self.notes.append(f"an event record at host time {host_s:.3f} s is not a JSON "
                              "object; skipped")
            return
        name = ev.get("event")
        handler = getattr(self, f"_on_{name}", None) if isinstance(name, str) else None
        if handler is None:
            self.notes.append(f"unknown event {clip(name)} at host time {host_s:.3f} s; "
                              "skipped")
            return
        try:
            handler(host_s, ev)
        except ValueError as exc:
            self.notes.append(f"{name} record at host time {host_s:.3f} s: {exc}; skipped")

    def _on_session(self, host_s: float, ev: dict[str, Any]) -> None:
        if self.session_event is None:
            self.session_event = _check_session(ev, self.notes)

    def _on_stream(self, host_s: float, ev: dict[str, Any]) -> None:
        if self.decoder is None:
            self._use_stream(ev)

    def _use_stream(self, ev: dict[str, Any]) -> None:
        family = ev.get("family", "hipsense")
        if family not in FAMILIES:
            raise ValueError(f"unknown sensor family {clip(family)}")
        config = StreamConfig.from_json(ev.get("config"))
        self.config, self.decoder = config, decoder_for(family, config)

    def _on_start(self, host_s: float, ev: dict[str, Any]) -> None:
        file, exercise, side = _check_start(ev)
        first_seq = _seq(ev, "first_seq")
        if self.decoder is None and "config" in ev:  # the stream record was lost
            self._use_stream(ev)
        self._drop_orphan()
        self._end_recording(None)
        self.current = RecordingBuilder(self._unique(file), exercise, side)
        self.builders.append(self.current)
        self.start_host_s[id(self.current)] = host_s
        self.open_set = True
        if self.decoder is not None:
            self.decoder.begin_stream(first_seq)

    def _unique(self, file: str) -> str:
        """``file``, or the next free setNN.csv when a set with data has it."""
        used = {b.file for b in self.builders if len(b) >= 2 and b.exercise != "calibration"}
        if file not in used or file == CALIBRATION_FILE:
            return file
        k = len(used) + 1
        while f"set{k:02d}.csv" in used:
            k += 1
        self.notes.append(f"a second {file} in the log: saved as set{k:02d}.csv")
        return f"set{k:02d}.csv"

    def _on_stop(self, host_s: float, ev: dict[str, Any]) -> None:
        next_seq = _seq(ev, "next_seq")
        orphan = self.orphan
        if orphan is not None and self.current is orphan:
            try:  # new logs name the set in its stop record too
                file, exercise, side = _check_start(ev)
            except ValueError:
                self._drop_orphan()
            else:
                orphan.file, orphan.exercise, orphan.side = self._unique(file), exercise, side
                self.builders.append(orphan)
                self.orphan = None
                self.notes.append(f"the start record of {orphan.file} was lost: rebuilt from "
                                  "its stop record")
        self._end_recording(next_seq)
        self.open_set = False

    def _end_recording(self, next_seq: int | None) -> None:
        if self.current is None:
            return
        if self.decoder is not None:
            self.current.add(self.decoder.end_stream(next_seq))
        self.last, self.current = self.current, None

    def _on_calibration(self, host_s: float, ev: dict[str, Any]) -> None:
        ok = ev.get("ok")
        if not isinstance(ok, bool):
            raise ValueError(f"ok {clip(ok)} is not true or false")
        target = self.current if self.current is not None else self.last
        if target is not None and target.exercise == "calibration":
            target.accepted = target.verdict = ok

    def _on_link(self, host_s: float, ev: dict[str, Any]) -> None:
        what = ev.get("what")
        if what not in LINK_EVENTS:
            raise ValueError(f"what {clip(what)} is not one of {', '.join(LINK_EVENTS)}")
        if what == "disconnected":
            self.link_drops += 1
            if self.current is not None:
                self.current.link_drops += 1

    def _on_end(self, host_s: float, ev: dict[str, Any]) -> None:
        pass

    # ---- damage ----------------------------------------------------------------------
    def damage(self, d: Damage, before_s: float | None, after_s: float | None) -> None:
        """Say what a damaged stretch of the log cost, in one line."""
        if d.exact:
            data = d.kinds.count(KIND_DATA)
            parts = [f"{data} notification{'s' if data > 1 else ''}"] if data else []
            if len(d.kinds) > data:
                events = len(d.kinds) - data
                parts.append(f"{events} event record{'s' if events > 1 else ''}")
            what = " and ".join(parts)
        else:
            what = f"about {d.records} record{'s' if d.records > 1 else ''}"
        where = f"bytes {d.offset}-{d.offset + d.size_bytes - 1} ({d.size_bytes} bytes, {what})"
        rec = self.current
        if rec is None or rec is self.orphan:
            after = f" after {self.last.title}" if self.last is not None else ""
            self.losses.append(f"{where}: between recordings{after}")
            return
        t0 = self.start_host_s[id(rec)]
        lo = max(before_s, t0) if before_s is not None else t0
        hi = after_s if after_s is not None else lo
        if d.exact and KIND_DATA not in d.kinds:
            at = (d.host_s if d.host_s is not None else lo) - t0
            self.losses.append(f"{where}: in {rec.title} at {at:.2f} s into the recording, "
                               "no samples")
            return
        self.losses.append(f"{where}: {rec.title} lost {lo - t0:.2f}-{hi - t0:.2f} s into "
                           "the recording")


def session_from_log(log: RawLog, source: str | Path = "log") -> tuple[Session, dict[str, Any]]:
    """Rebuild the session from a raw log. Returns it and a summary: sets
    complete and cut short, bytes lost at a cut-off end, ``losses`` (one line
    per damaged stretch: bytes, records, the recording and the time it hit)
    and ``notes`` (events skipped, and why)."""
    r = _Replay(log, source)
    damage = {d.before: d for d in log.damage}
    previous_s: float | None = None
    for i, (kind, host_s, payload) in enumerate(log.records):
        if i in damage:
            r.flush()
            r.damage(damage.pop(i), previous_s, host_s)
        if kind == KIND_DATA:
            r.batch.append((host_s, payload))
        else:
            r.event(host_s, payload)
        previous_s = host_s
    r.flush()
    for d in damage.values():  # at the end of the log
        r.damage(d, previous_s, None)
    r._drop_orphan()
    r._end_recording(None)
    if r.session_event is None:
        if r.decoder is None:
            raise HipsenseError(f"{source}: the log has no session record; nothing to recover")
        r.notes.append("the session record was lost: the start time, sensor and athlete are "
                       "unknown")
        r.session_event = {"started_at": None}
    if r.undecodable:
        r.notes.append(f"{r.undecodable} notifications before any stream record could not "
                       "be decoded")
    if r.stray:
        r.notes.append(f"{r.stray} samples outside any recording (its start record was "
                       "lost) left out")
    _infer_lost_verdict(r)
    _judge_cut_calibration(r)
    calibrations = [b for b in r.builders if b.exercise == "calibration" and b.accepted]
    sets = [b for b in r.builders if b.exercise != "calibration" and len(b) >= 2]
    cal = calibrations[-1].recording() if calibrations else None
    stats = r.decoder.stats() if r.decoder is not None else {}
    stats["link_drops"] = r.link_drops
    meta = session_metadata(r.session_event, r.config, cal is not None, stats)
    if r.losses:
        meta["recording"]["log_damage"] = list(r.losses)
    entries = [b.set_entry() for b in sets]
    _drop_invalid_metadata(meta, entries, r.notes)
    session = Session(meta, cal, [(e, b.recording()) for e, b in zip(entries, sets)])
    summary = {"sets": len(sets), "cut_short": bool(r.open_set),
               "truncated_bytes": log.truncated_bytes, "damaged_bytes": log.damaged_bytes,
               "losses": r.losses, "notes": r.notes, **stats}
    return session, summary


def _infer_lost_verdict(r: _Replay) -> None:
    """The recorder goes on to the sets after an accepted calibration, or
    after its last attempt failed: a last attempt whose verdict record was
    lost, made before the last try, with sets after it, was accepted."""
    attempts = [b for b in r.builders if b.exercise == "calibration"]
    if not attempts or attempts[-1].verdict is not None or len(attempts[-1]) < 2:
        return
    later = r.builders[r.builders.index(attempts[-1]) + 1:]
    if len(attempts) < MAX_CALIBRATION_TRIES and later and r.losses:
        attempts[-1].accepted = True
        r.notes.append("the calibration's verdict record was lost: the recorder went on to "
                       "the sets, so it was accepted")


def _judge_cut_calibration(r: _Replay) -> None:
    """A calibration the recorder never judged (killed during it, or before its
    verdict was written) and nothing recorded after it: judged now as the
    recorder judges, and kept when usable."""
    attempts = [b for b in r.builders if b.exercise == "calibration"]
    if (not attempts or any(b.accepted for b in attempts) or attempts[-1].verdict is not None
            or r.builders[-1] is not attempts[-1]):
        return
    last = attempts[-1]
    rec = last.recording()
    if len(rec) <= 10:
        return
    from hipsense.analysis.acc_only import tilt_rate_dps
    from hipsense.analysis.calibration import calibrate

    gyr = rec.gyr_dps
    if r.config is not None and not r.config.gyroscope:
        gyr = tilt_rate_dps(rec.time_s, rec.acc_g)  # as the recorder and the analysis do
    cal = calibrate(rec.time_s, rec.acc_g, gyr)
    if cal.ok:
        last.accepted = True
        r.notes.append(f"the calibration was cut short before the recorder judged it "
                       f"({len(rec)} samples): judged now, usable, kept")
    else:
        r.notes.append(f"the calibration was cut short before the recorder judged it and is "
                       f"not usable ({cal.problem}); left out")


def _drop_invalid_metadata(meta: dict[str, Any], entries: list[SetInfo],
                           notes: list[str]) -> None:
    """Leave out the recorder metadata keys that session.json may not hold
    (a crafted or damaged session record), so the session can be written."""
    try:
        from hipsense.io.schema import validate_session_document
    except ImportError:  # pragma: no cover - the schema is part of hipsense
        return
    for _ in range(len(meta)):
        doc = {**meta, "sets": [e.to_json() for e in entries]}
        try:
            validate_session_document(doc, Path("session.json"))
            return
        except SessionFormatError as exc:
            top = (exc.key or "").split(".")[0].split("[")[0]
            if top not in meta or top in ("format", "version", "calibration", "sets"):
                return
            key = exc.key or top
            notes.append(f"session record: {key} left out ({exc})")
            if top == "sensor" and "." in key and isinstance(meta["sensor"], dict):
                meta["sensor"].pop(key.split(".", 1)[1].split(".")[0], None)
            elif top == "started_at":
                meta["started_at"] = None
            else:
                meta.pop(top, None)
