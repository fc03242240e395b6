"""``hipsense record``: a guided session from the sensor to the session folder.

The notification callback only appends (host time, payload) to a deque. A
loop every 50 ms drains it: raw packets to the append-only log (flushed to
disk at least every second), decoded samples to the set being recorded and to
the live analysis, the live view redrawn. Each finished set is written to the
session folder at once, and session.json rewritten, so a crash loses nothing
that ``hipsense recover`` cannot rebuild from the log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from hipsense.analysis.acc_only import tilt_rate_dps
from hipsense.analysis.calibration import Calibration, calibrate
from hipsense.analysis.live import LiveSet, LiveState
from hipsense.analysis.live_calibration import CalibrationProgress, LiveCalibration
from hipsense.consts import CALIBRATION_FILE
from hipsense.core import Recording, Session
from hipsense.sensors.base import Samples, SensorDriver, StreamConfig, StreamDecoder
from hipsense.errors import shown
from hipsense.exercises import EXERCISES, RUN
from hipsense.io.private import make_private_dir
from hipsense.io.rawlog import RAW_LOG_FILE, RawLogWriter
from hipsense.io.session import write_recording, write_session_json
from hipsense.live.coach.events import (
    calibration_event, live_event, message_event, prepare_event, run_live_event,
    set_begin_event, set_end_event,
)
from hipsense.record.assemble import (
    MAX_CALIBRATION_TRIES, RecordingBuilder, session_metadata,
)
from hipsense.version import __version__

if TYPE_CHECKING:
    from hipsense.analysis.running import LiveRun

DRAIN_EVERY_S = 0.05
#: With ``auto_end_calibration``, the calibration ends this long (s, sensor
#: time) after its last phase is good.
CALIBRATION_TAIL_S = 1.0


class RecorderUI(Protocol):
    """What the recorder needs from the person (or script) in front of it."""

    stop_set: asyncio.Event

    def say(self, text: str) -> None: ...

    async def ready(self, prompt: str) -> bool:
        """Wait until the runner is ready; False to end the session."""

    async def choose_set(self, suggestion: tuple[str, str] | None
                         ) -> tuple[str, str] | None:
        """The next (exercise, side), or None to end the session."""

    def live_begin(self, title: str, live: LiveSet | None) -> None: ...

    def live_update(self, state: LiveState | None, link: dict[str, Any]) -> None: ...

    def live_end(self) -> None: ...

    def calibration_update(self, progress: CalibrationProgress, samples: int) -> None:
        """The calibration's phases while it is recorded."""

    def prepare(self, title: str, steps: list[str], countdown_s: float) -> None:
        """Before a set: how to get into position; the set starts in ``countdown_s``."""

    def cancel(self) -> None:
        """Ctrl-C: stop waiting for answers (prompts answer "quit")."""


@dataclass
class Plan:
    """The sets to follow: (exercise, side) in order (the programme by default)."""

    sets: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def programme(cls) -> Plan:
        from hipsense.exercises import PROGRAMME_ORDER
        return cls([(ex, side) for ex in PROGRAMME_ORDER for side in EXERCISES[ex].sides])

    @classmethod
    def run(cls) -> Plan:
        """The running check alone (after the calibration)."""
        return cls([(RUN.id, "both")])


#: Receives the coach's messages (:mod:`hipsense.live.coach.events`): dicts.
Observer = Callable[[dict[str, Any]], None]

#: Called before each recording with (exercise or "calibration", side): lets a
#: simulated wearer do what the prompts ask. Returns an awaitable that ends
#: when the wearer has finished (unattended runs stop the set then).
WearerHook = Callable[[str, str], Awaitable[None] | None]


class Recorder:
    """Records one session (one placement of the sensor) into ``folder``."""

    def __init__(self, driver: SensorDriver, folder: str | Path, ui: RecorderUI, *,
                 rate_hz: float | None = None, wearer: WearerHook | None = None,
                 metadata: dict[str, Any] | None = None,
                 observers: list[Observer] | None = None, countdown_s: float = 0.0,
                 auto_end_calibration: bool = False) -> None:
        """``observers`` get the coach's messages (the web coach); ``countdown_s``:
        the time (s) given to get into position before each set;
        ``auto_end_calibration``: the calibration ends by itself once its three
        phases are good (the runner need not come back to the keyboard)."""
        self.auto_end_calibration = auto_end_calibration
        self.driver, self.folder, self.ui = driver, Path(folder), ui
        self.observers = list(observers or [])
        self.countdown_s = countdown_s
        self.results: list[Any] = []  # each saved set as analysed when it ended
        self._live_seq = 0
        self._cal_live: LiveCalibration | None = None
        self.rate_hz = rate_hz
        self.wearer = wearer
        self.metadata = metadata or {}
        self._queue: deque[tuple[float, bytes]] = deque()
        self._decoder: StreamDecoder | None = None
        self._config: StreamConfig | None = None
        self._log: RawLogWriter | None = None
        self._session_event: dict[str, Any] = {}
        self._calibration: Calibration | None = None
        self._cal_rec: Recording | None = None
        self._sets: list[tuple[RecordingBuilder, Recording]] = []
        self._builder: RecordingBuilder | None = None
        self._link = {"state": "connected", "drops": 0}
        self._decoder_failed = False
        self.interrupted = False

    def _now(self) -> float:
        return self.driver.clock()

    # ---- the session ----------------------------------------------------------------
    async def run(self, plan: Plan | None) -> Session:
        info = await self.driver.connect()  # nothing is written before a sensor answers
        make_private_dir(self.folder)
        self._log = RawLogWriter(self.folder / RAW_LOG_FILE)
        try:
            self.driver.on_link = self._on_link
            battery = f", battery {info.battery_pct} %" if info.battery_pct is not None else ""
            self._say(f"Connected to {shown(info.name)} ({shown(info.address)}){battery}.")
            self._session_event = {
                "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "family": self.driver.family, "recorder": f"hipsense {__version__}",
                "sensor": {"family": info.family, "name": info.name, "address": info.address},
                "metadata": self.metadata}
            self._log.event(self._now(), "session", **self._session_event)
            if await self._calibrate():
                await self._sets_loop(plan)
        finally:
            try:
                await self.driver.disconnect()
            finally:
                self._log.event(self._now(), "end")
                self._log.close()
        return self._write_session_json()

    async def _calibrate(self) -> bool:
        for attempt in range(1, MAX_CALIBRATION_TRIES + 1):
            ok = await self.ui.ready(
                "Calibration: stand upright and still for 3 s, do two slow hip hinges "
                "(bow forward 30-45 deg from the hips, level hips, both feet down), then "
                "stand still for 3 s.")
            if not ok or self.interrupted:
                return False
            rec = await self._record("calibration", "", CALIBRATION_FILE, "Calibration")
            if rec is None:
                return False
            gyr = rec.gyr_dps
            if self._config is not None and not self._config.gyroscope:
                gyr = tilt_rate_dps(rec.time_s, rec.acc_g)  # as the analysis will
            cal = calibrate(rec.time_s, rec.acc_g, gyr) if len(rec) > 10 else None
            if cal is not None and cal.ok:
                self._calibration, self._cal_rec = cal, rec
                write_recording(rec, self.folder / CALIBRATION_FILE)
                self._write_session_json()
                self._log.event(self._now(), "calibration", ok=True)
                q = cal.quality
                self._say(f"Calibration done (hinges {q.get('hinge_peak_deg', 0):.0f} deg).")
                return True
            problem = cal.problem if cal is not None else "the recording is too short"
            self._log.event(self._now(), "calibration", ok=False, problem=problem)
            self._say(f"Calibration attempt {attempt} not usable: {problem}")
        self._say("Continuing without a calibration: angles use the nominal sensor placement.")
        return True

    async def _sets_loop(self, plan: Plan | None) -> None:
        todo = list(plan.sets) if plan else []
        while not self.interrupted:
            choice = await self.ui.choose_set(todo[0] if todo else None)
            if choice is None:
                return
            if todo and choice == todo[0]:
                todo.pop(0)
            exercise, side = choice
            name = RUN.name if exercise == RUN.id else EXERCISES[exercise].name
            file = f"set{len(self._sets) + 1:02d}.csv"
            title = f"{name}" + ("" if side == "both" else f", {side} leg")
            await self._prepare(exercise, side, title)
            if self.interrupted:
                return
            rec = await self._record(exercise, side, file, title)
            if rec is None:
                return

    async def _prepare(self, exercise: str, side: str, title: str) -> None:
        """How to get into position, the side, and a countdown before the set."""
        steps = (RUN if exercise == RUN.id else EXERCISES[exercise]).setup_steps(side)
        self._publish(prepare_event(exercise, side, title, self.countdown_s,
                                    len(self._sets) + 1))
        self.ui.prepare(title, steps, self.countdown_s)
        if self.countdown_s > 0:
            stop = asyncio.ensure_future(self.ui.stop_set.wait())
            try:  # Enter (or Ctrl-C) skips the countdown
                await asyncio.wait([stop], timeout=self.countdown_s)
            finally:
                stop.cancel()
            self.ui.stop_set.clear()

    # ---- one recording ------------------------------------------------------------------
    async def _record(self, exercise: str, side: str, file: str, title: str
                      ) -> Recording | None:
        """Stream one recording until the runner (or the wearer) ends it."""
        assert self._log is not None
        wearer_done = self.wearer(exercise, side) if self.wearer else None
        self.ui.stop_set.clear()
        self._queue.clear()
        try:
            config = await self.driver.start(lambda h, p: self._queue.append((h, p)),
                                             self.rate_hz)
        except BaseException:
            if asyncio.iscoroutine(wearer_done):
                wearer_done.close()
            raise
        if self._decoder is None:
            self._config, self._decoder = config, self.driver.decoder(config)
            self._log.event(self._now(), "stream", family=self.driver.family,
                            config=config.to_json())
        self._builder = builder = RecordingBuilder(file, exercise, side)
        first_seq = self.driver.first_seq
        # the stream configuration again, so a damaged "stream" record costs nothing
        self._log.event(self._now(), "start", file=file, exercise=exercise, side=side,
                        family=self.driver.family, config=config.to_json(),
                        **({"first_seq": first_seq} if first_seq is not None else {}))
        self._decoder.begin_stream(first_seq)
        live = None
        self._cal_live = None
        running = _RunWatch(self._calibration) if exercise == RUN.id else None
        if running is not None:
            self._say("Running check: stand still for 3 s, then run. Enter ends it, or "
                      f"standing still for {RUN.long_stop_s:.0f} s.")
        elif exercise != "calibration":
            cal = self._calibration
            live = LiveSet(EXERCISES[exercise], side, cal.axes if cal else None,
                           cal.gyr_offset_dps if cal else None)
            self._publish(set_begin_event(live.ex, side, title, live.threshold_deg))
        else:
            self._cal_live = LiveCalibration()
        self.ui.live_begin(title, live)
        stop = asyncio.ensure_future(self.ui.stop_set.wait())
        done = asyncio.ensure_future(wearer_done) if wearer_done is not None else None
        try:
            while not stop.done() and not (done is not None and done.done()):
                await asyncio.sleep(DRAIN_EVERY_S)
                self._drain(builder, live)
                if self._calibration_complete():
                    break
                if running is not None:
                    figures = running.check(builder)
                    if figures is not None:
                        line = figures.line()
                        self.ui.say(line)
                        if self.observers:
                            self._publish(run_live_event(
                                figures.cadence_spm, figures.left_drop_deg,
                                figures.right_drop_deg, figures.steps, title, line=line))
                    if running.stopped:
                        self._say("You stood still: the run is over.")
                        break
        finally:
            stop.cancel()
            if done is not None:
                done.cancel()
            await self.driver.stop()
            self._drain(builder, live)
            next_seq = self.driver.next_seq
            self._take(builder, live, self._decoder.end_stream(next_seq))
            # the set named again, so a damaged "start" record costs nothing
            self._log.event(self._now(), "stop", file=file, exercise=exercise, side=side,
                            **({"next_seq": next_seq} if next_seq is not None else {}))
            self._log.flush()
            self.ui.live_end()
        rec = builder.recording()
        if exercise != "calibration":
            if len(rec) < 2:
                text = f"{title}: no data arrived; set not saved."
                self._say(text)
                self._publish_set_end(exercise, side, title, None, text)
                return rec
            write_recording(rec, self.folder / file)
            self._sets.append((builder, rec))
            session = self._write_session_json()
            result = self._analyse_set(session)
            self.results.append(result)
            text = self._set_summary(title, builder, live, result)
            self._say(text)
            self._publish_set_end(exercise, side, title, result, text)
        return rec

    def _calibration_complete(self) -> bool:
        """All three phases good and the runner still for CALIBRATION_TAIL_S more."""
        cal = self._cal_live
        if not self.auto_end_calibration or cal is None or not cal.progress.done:
            return False
        if cal.done_at_s is None or cal.last_time_s is None:
            return False
        return cal.last_time_s - cal.done_at_s >= CALIBRATION_TAIL_S

    def _analyse_set(self, session: Session):
        """The set just saved, analysed offline as the report will (with the
        session's calibration): what the runner is told it counted."""
        from hipsense.analysis import analyze

        info, rec = session.sets[-1]
        try:
            return analyze(Session(session.metadata, session.calibration, [(info, rec)])).sets[0]
        except Exception as exc:  # the analysis must not end a recording
            self._say(f"Could not analyse {info.file} now ({type(exc).__name__}); it is "
                      "saved and analysed again after the session.")
            return None

    def _run_summary(self, title: str, builder: RecordingBuilder, result) -> str:
        """A run in one line: saved where, its steps and cadence, each side's
        median drop and the limit, and its flags' cues."""
        parts = [f"{title}: saved {builder.file}"]
        run = result.run if result is not None else None
        if run:
            bouts = run.get("bouts") or []
            steady = sum(b["steps"] for b in bouts)
            parts.append(f"{len(run.get('steps') or [])} steps")
            if steady:
                cadence = sum(b["cadence_spm"] * b["steps"] for b in bouts) / steady
                parts.append(f"{cadence:.0f} steps/min")
            drops = [f"{side} foot {(run.get(side) or {}).get('pelvic_drop_deg'):.1f} deg"
                     for side in ("left", "right")
                     if (run.get(side) or {}).get("pelvic_drop_deg") is not None]
            if drops:
                parts.append("drop " + ", ".join(drops) + f", limit {RUN.pelvic_drop_deg:.0f} deg")
        if builder.lost_packets or builder.link_drops:
            parts.append(f"{builder.lost_packets} packets lost, "
                         f"{builder.link_drops} link drops")
        text = ", ".join(parts) + "."
        cues = [f.message for f in (result.flags if result is not None else [])
                if f.code.startswith("running_")]
        return " ".join([text, *cues])  # every flagged foot, as analyze prints them

    def _main_angle(self, exercise: str, side: str, result) -> tuple[float | None, float | None]:
        """The set's main angle (the median per rep or hold, deg) and the other
        side's in the last set of the same exercise on it, if any."""
        metric = EXERCISES[exercise].primary_metric
        value = result.medians.get(metric) if result is not None else None
        other = None
        if side in ("left", "right"):
            for r in reversed(self.results[:-1]):
                if r is not None and r.exercise == exercise and r.side not in (side, "both"):
                    other = r.medians.get(metric)
                    break
        return value, other

    def _publish_set_end(self, exercise: str, side: str, title: str, result, text: str
                         ) -> None:
        if not self.observers or exercise == RUN.id:
            return
        ex = EXERCISES[exercise]
        value, other = self._main_angle(exercise, side, result)
        values: list[float | None] = []
        hold = None
        if result is not None:
            values = [r.metrics.get(ex.primary_metric) for r in result.reps]
            hold = max((h.end_s - h.start_s for h in result.holds), default=0.0)
        self._publish(set_end_event(
            ex, side, title, saved=result is not None, file=result.file if result else None,
            rep_count=result.rep_count if result is not None else 0, rep_values_deg=values,
            hold_s=hold, median_deg=value, other_side_deg=other,
            cue=_set_cue(ex, side, result), summary=text))

    def _say(self, text: str) -> None:
        self.ui.say(text)
        if self.observers:
            self._publish(message_event(_plain(text)))

    def _publish(self, event: dict[str, Any]) -> None:
        """Hand a coach message to every observer; one that fails is dropped
        with a word (the page must never end a recording)."""
        for observer in list(self.observers):
            try:
                observer(event)
            except Exception as exc:
                self.observers.remove(observer)
                self.ui.say(f"The coach page stopped ({type(exc).__name__}: {exc}); the "
                            "recording goes on in the terminal.")

    def _drain(self, builder: RecordingBuilder, live: LiveSet | None) -> None:
        assert self._log is not None and self._decoder is not None
        items = []
        while self._queue:
            items.append(self._queue.popleft())
        if items:
            self._log.data(items)  # first: whatever follows, the bytes are kept
            try:
                samples = self._decoder.feed(np.array([h for h, _ in items]),
                                             [p for _, p in items])
            except Exception as exc:  # a decoder bug must not end the session
                samples = Samples.empty(bad={"undecoded": len(items)})
                if not self._decoder_failed:
                    self._decoder_failed = True
                    self._say(f"Could not decode {len(items)} notifications "
                          f"({type(exc).__name__}); they are kept in the raw log.")
            self._take(builder, live, samples)
            if self._cal_live is not None and len(samples):
                try:  # guidance only: it must not end the calibration
                    self._cal_live.feed(samples.time_s, samples.acc_g, samples.gyr_dps)
                except Exception:
                    self._cal_live = None
        self._log.flush_if_due()
        link = {**self._link, "lost_packets": builder.lost_packets,
                "bad_notifications": builder.bad_notifications, "samples": len(builder)}
        self.ui.live_update(live.state if live else None, link)
        if self._cal_live is not None:
            self.ui.calibration_update(self._cal_live.progress, len(builder))
        if self.observers and items:
            if live is not None:
                self._live_seq += 1
                self._publish(live_event(live.ex, live.state, link, self._live_seq,
                                         items[0][0]))
            elif self._cal_live is not None:
                self._publish(calibration_event(self._cal_live.progress, len(builder)))

    @staticmethod
    def _take(builder: RecordingBuilder, live: LiveSet | None, samples: Samples) -> None:
        builder.add(samples)
        if live is not None and len(samples):
            live.feed(samples.time_s, samples.acc_g, samples.gyr_dps)

    def _on_link(self, what: str, host_s: float) -> None:
        if self._log is not None:
            self._log.event(host_s, "link", what=what)
        self._link["state"] = {"disconnected": "reconnecting", "reconnected": "connected",
                               "lost": "lost"}[what]
        if what == "disconnected":
            self._link["drops"] += 1
            if self._builder is not None:
                self._builder.link_drops += 1
        elif what == "lost":
            self._say("The sensor is out of reach; ending the set.")
            self.ui.stop_set.set()

    def _set_summary(self, title: str, builder: RecordingBuilder, live: LiveSet | None,
                     result=None) -> str:
        """The set in one line: saved where, its reps (or hold) and main angle per
        side as analysed offline, the cue, and what the link cost."""
        if builder.exercise == RUN.id:
            return self._run_summary(title, builder, result)
        parts = [f"{title}: saved {builder.file}"]
        ex = EXERCISES[builder.exercise]
        if result is not None:
            if ex.kind == "reps":
                parts.append(f"{result.rep_count} reps")
            else:
                held = max((h.end_s - h.start_s for h in result.holds), default=0.0)
                parts.append(f"held {held:.0f} s")
            value, other = self._main_angle(builder.exercise, builder.side, result)
            if value is not None and math.isfinite(value):
                label = ex.primary_signal.label
                words = f"{label} {value:+.1f} deg"
                if other is not None and math.isfinite(other):
                    words = (f"{label} {builder.side} {value:+.1f} deg, "
                             f"{opposite(builder.side)} {other:+.1f} deg")
                rule = ex.primary_rule
                if rule is not None:
                    words += f", limit {rule.threshold_deg:.0f} deg"
                parts.append(words)
        elif live is not None and live.ex.kind == "reps":
            parts.append(f"{live.state.reps} reps (live count)")
        elif live is not None:
            parts.append(f"held {live.state.longest_hold_s:.0f} s (live)")
        if builder.lost_packets or builder.link_drops:
            parts.append(f"{builder.lost_packets} packets lost, "
                         f"{builder.link_drops} link drops")
        if builder.bad_notifications:
            parts.append(f"{builder.bad_notifications} bad notifications skipped")
        if builder.clock_outliers:
            parts.append(f"{builder.clock_outliers} packets with a bad time stamp placed "
                         "by the clock fit")
        text = ", ".join(parts) + "."
        cue = _set_cue(ex, builder.side, result) if result is not None else None
        return f"{text} {cue}" if cue else text

    def _write_session_json(self) -> Session:
        stats = self._decoder.stats() if self._decoder is not None else {}
        stats["link_drops"] = self._link["drops"]
        meta = session_metadata(self._session_event or {"started_at": None}, self._config,
                                self._cal_rec is not None, stats)
        session = Session(meta, self._cal_rec, [(b.set_entry(), r) for b, r in self._sets])
        if self._session_event:
            write_session_json(session, self.folder)
        return session

    def interrupt(self) -> None:
        """Ctrl-C: end the current set (it is kept) and the session."""
        self.interrupted = True
        self.ui.stop_set.set()
        self.ui.cancel()


class _RunWatch:
    """During a run: every RUN_LIVE_EVERY_S the steps so far (the offline
    analysis of the run so far), the cadence and the last steps' drop per side
    (:class:`~hipsense.analysis.running.LiveRun`); and whether the runner has stood still for
    RUN.long_stop_s after running (the run then ends by itself)."""

    def __init__(self, cal: Calibration | None) -> None:
        self.cal = cal
        self.next_s: float | None = None
        self.ran = False
        self.stopped = False

    def check(self, builder: RecordingBuilder) -> LiveRun | None:
        if len(builder) < 50:
            return None
        rec = builder.recording()
        t = rec.time_s
        if self.next_s is None:
            self.next_s = t[0] + RUN_LIVE_EVERY_S
        if t[-1] < self.next_s:
            return None
        self.next_s = t[-1] + RUN_LIVE_EVERY_S
        dev = np.abs(np.linalg.norm(rec.acc_g, axis=1) - 1.0)
        self.ran = self.ran or bool((dev > 0.8).any())
        recent = t >= t[-1] - RUN.long_stop_s
        if (self.ran and t[-1] - t[0] > RUN.long_stop_s and
                float(dev[recent].max()) < 0.15):
            self.stopped = True
            return None
        if self.cal is None or not self.ran:
            return None
        from hipsense.analysis.running import live_run

        # the whole run so far (its quiet stand is the reference): about 0.05 s
        # per minute of running at 100 Hz
        return live_run(t, rec.acc_g, rec.gyr_dps, self.cal.axes.l, self.cal.axes.u)


#: How often (s) the live view says the cadence and the last steps' drop.
RUN_LIVE_EVERY_S = 5.0


def opposite(side: str) -> str:
    return {"left": "right", "right": "left"}.get(side, side)


def _set_cue(ex, side: str, result) -> str | None:
    """What to work on after a set: the flag of its main metric in the
    catalogue's words (with its cue), else a word that it was within the limit."""
    if result is None:
        return None
    rule = ex.primary_rule
    for flag in result.flags:
        if rule is not None and flag.code == rule.code:
            return flag.message
    if ex.kind == "hold":
        short = next((f for f in result.flags if f.code == "short_hold"), None)
        return short.message if short is not None else None
    if rule is not None and result.rep_count:
        return f"Good: {ex.primary_signal.label} within {rule.threshold_deg:.0f} deg."
    return None


def _plain(text: str) -> str:
    """Terminal markup ([bold]...[/bold]) left out, for the coach page."""
    import re

    return re.sub(r"\[/?[a-z ]+\]", "", text)
