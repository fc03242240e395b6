"""From decoded samples and the recorder's events to the session of
session-format.md: used live by the recorder and by ``hipsense recover``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hipsense.devices import decoder_for
from hipsense.devices.base import Samples, StreamConfig, StreamDecoder
from hipsense.errors import HipsenseError
from hipsense.recording import Recording, Session, SetInfo
from hipsense.record.rawlog import KIND_DATA, RawLog

CALIBRATION_FILE = "calibration.csv"
RAW_LOG_FILE = "raw-packets.hslog"


class RecordingBuilder:
    """Collects the samples of one recording (calibration or set)."""

    def __init__(self, file: str, exercise: str, side: str) -> None:
        self.file, self.exercise, self.side = file, exercise, side
        self._chunks: list[Samples] = []
        self.lost_packets = 0
        self.link_drops = 0
        self.accepted = False  # a calibration the recorder accepted

    def add(self, samples: Samples) -> None:
        self.lost_packets += samples.lost_packets
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
                       {"lost_packets": self.lost_packets, "link_drops": self.link_drops})


def session_metadata(session_event: dict[str, Any], config: StreamConfig | None,
                     calibration: bool, stats: dict[str, Any]) -> dict[str, Any]:
    """session.json (without ``sets``) from the log's "session" event."""
    meta = {"format": "hipsense-session", "version": 1,
            "started_at": session_event["started_at"],
            "sample_rate_hz": config.rate_hz if config else session_event.get("rate_hz"),
            "calibration": CALIBRATION_FILE if calibration else None}
    meta.update(session_event.get("metadata", {}))
    sensor = dict(session_event.get("sensor", {}))
    if config is not None:
        sensor.update(config.to_json())
    meta["sensor"] = sensor
    meta["recording"] = {"raw_log": RAW_LOG_FILE, "recorder": session_event.get("recorder"),
                         **stats}
    return meta


def session_from_log(log: RawLog, source: str | Path = "log") -> tuple[Session, dict[str, Any]]:
    """Rebuild the session from a raw log. Returns it and a summary (sets
    complete and cut short, bytes lost at a cut-off end)."""
    session_event: dict[str, Any] | None = None
    decoder: StreamDecoder | None = None
    config: StreamConfig | None = None
    builders: list[RecordingBuilder] = []
    current: RecordingBuilder | None = None
    open_set = False
    link_drops = 0
    batch: list[tuple[float, bytes]] = []

    def flush_batch() -> None:
        if batch and decoder is not None and current is not None:
            current.add(decoder.feed(np.array([h for h, _ in batch]), [p for _, p in batch]))
        batch.clear()

    for kind, host_s, payload in log.records:
        if kind == KIND_DATA:
            batch.append((host_s, payload))
            continue
        flush_batch()
        ev = json.loads(payload)
        name = ev.get("event")
        if name == "session":
            session_event = ev
        elif name == "stream" and decoder is None:
            config = StreamConfig.from_json(ev["config"])
            decoder = decoder_for(ev.get("family", "hipsense"), config)
        elif name == "start":
            current = RecordingBuilder(ev["file"], ev["exercise"], ev["side"])
            builders.append(current)
            open_set = True
        elif name == "stop":
            open_set = False
        elif name == "calibration" and current is not None:
            current.accepted = bool(ev.get("ok"))
        elif name == "link" and ev.get("what") == "disconnected":
            link_drops += 1
            if current is not None:
                current.link_drops += 1
    flush_batch()
    if session_event is None:
        raise HipsenseError(f"{source}: the log has no session record; nothing to recover")
    calibrations = [b for b in builders if b.exercise == "calibration" and b.accepted]
    sets = [b for b in builders if b.exercise != "calibration" and len(b) >= 2]
    cal = calibrations[-1].recording() if calibrations else None
    stats = decoder.stats() if decoder is not None else {}
    stats["link_drops"] = link_drops
    meta = session_metadata(session_event, config, cal is not None, stats)
    session = Session(meta, cal, [(b.set_entry(), b.recording()) for b in sets])
    summary = {"sets": len(sets), "cut_short": bool(open_set),
               "truncated_bytes": log.truncated_bytes, **stats}
    return session, summary
