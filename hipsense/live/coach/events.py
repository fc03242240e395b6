"""The coach page's messages: plain JSON-able dicts built from the recorder's
state (pure: no I/O, no clock).

Every message has ``type``; the page (``static/coach.js``) draws one screen
per type:

- ``calibration``: the calibration's three phases with a countdown each and
  whether each is good (:class:`~hipsense.analysis.live_calibration.CalibrationProgress`);
- ``prepare``: before a set, how to get into position (the catalogue's
  steps), the side, and a countdown;
- ``set_begin`` then ``live`` (one per batch of notifications): the rep count
  against the prescription, the gauge with its threshold, the hold countdown,
  each finished rep's colour, the cue;
- ``set_end``: the saved set as analysed offline (its count, each rep's
  colour, the main angle per side, the cue); the rest timer runs from here;
- ``run_live`` (every few seconds of a run): the cadence (steps/min) and the
  last steps' median drop per side against the drop threshold, each side's
  colour as a rep's;
- ``message`` (the recorder's words) and ``session_end`` (the report's path).
"""

from __future__ import annotations

import math
from typing import Any

from hipsense.analysis.live import LiveState
from hipsense.analysis.live_calibration import CalibrationProgress
from hipsense.exercises import EXERCISES, RUN, Exercise, FlagRule, metric_label

#: A rep is "near" its threshold (amber) from this fraction of it on.
NEAR_FRACTION = 0.8
#: The gauge spans +-this many times the threshold (deg).
GAUGE_SPAN_FACTOR = 2.0
#: The gauge's span (deg) for an exercise without a threshold (the stretches).
GAUGE_SPAN_NO_THRESHOLD_DEG = 20.0


def rep_status(value_deg: float | None, rule: FlagRule | None) -> str:
    """A finished rep's colour: ``good`` (green, within the threshold), ``near``
    (amber, from :data:`NEAR_FRACTION` of it), ``past`` (red), or ``none``
    (not measured, or no threshold)."""
    if value_deg is None or rule is None or not math.isfinite(value_deg):
        return "none"
    if rule.past(value_deg):
        return "past"
    size = abs(value_deg) if rule.use_abs else value_deg
    return "near" if size >= NEAR_FRACTION * rule.threshold_deg else "good"


def _r(x: float | None, digits: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def _side_words(ex: Exercise, side: str) -> str:
    if side == "both":
        return "Both legs"
    return f"{side.capitalize()} leg: {ex.side_means}"


def calibration_event(progress: CalibrationProgress, samples: int) -> dict[str, Any]:
    """The calibration screen: its phases, the current one, and each one's state."""
    return {"type": "calibration", "samples": samples, "current": progress.current,
            "done": progress.done,
            "phases": [{"name": p.name, "instruction": p.instruction, "good": p.good,
                        "state": p.state, "remaining_s": _r(p.remaining_s),
                        "count": p.count, "target": p.target}
                       for p in progress.phases]}


def prepare_event(exercise: str, side: str, title: str, countdown_s: float,
                  set_number: int) -> dict[str, Any]:
    """Before a set: the catalogue's steps into position, the side, a countdown (s)."""
    if exercise == RUN.id:
        return {"type": "prepare", "exercise": exercise, "title": title, "side": side,
                "side_words": "both feet", "steps": RUN.setup_steps(side),
                "prescription": "a short run", "countdown_s": _r(countdown_s),
                "set_number": set_number}
    ex = EXERCISES[exercise]
    return {"type": "prepare", "exercise": exercise, "title": title, "side": side,
            "side_words": _side_words(ex, side), "steps": ex.setup_steps(side),
            "prescription": ex.prescription.describe(), "countdown_s": _r(countdown_s),
            "set_number": set_number}


def set_begin_event(ex: Exercise, side: str, title: str, threshold_deg: float | None
                    ) -> dict[str, Any]:
    """A set starts: what the screen shows and against what."""
    sig = ex.primary_signal
    rule = ex.primary_rule
    reps = ex.prescription.reps
    span = (GAUGE_SPAN_FACTOR * threshold_deg if threshold_deg
            else GAUGE_SPAN_NO_THRESHOLD_DEG)
    return {"type": "set_begin", "exercise": ex.id, "title": title, "side": side,
            "kind": ex.kind, "metric": ex.primary_metric,
            "metric_label": metric_label(ex.primary_metric), "threshold_deg": threshold_deg,
            "near_deg": _r(NEAR_FRACTION * threshold_deg) if threshold_deg else None,
            "two_sided": bool(rule.use_abs) if rule else sig.reduce == "absmax",
            "gauge_span_deg": span, "target_reps": list(reps) if reps else None,
            "hold_target_s": ex.prescription.hold_s[1]}


def live_event(ex: Exercise, state: LiveState | None, link: dict[str, Any], seq: int,
               notified_s: float | None) -> dict[str, Any]:
    """One batch of the set in progress. ``notified_s``: host time (s) of the
    oldest notification in the batch (the latency benchmark's start)."""
    rule = ex.primary_rule
    reps = ex.prescription.reps
    out: dict[str, Any] = {"type": "live", "seq": seq, "notified_s": notified_s,
                           "link": {k: link.get(k) for k in ("state", "samples",
                                                              "lost_packets", "drops")}}
    if state is None:
        out.update(ready=False, reps=0)
        return out
    out.update(
        ready=state.ready, reps=state.reps, in_rep=state.in_rep,
        angle_deg=_r(state.angle_deg), hold_s=_r(state.hold_s),
        longest_hold_s=_r(state.longest_hold_s),
        rep_angles_deg=[_r(v) for v in state.rep_angles_deg],
        rep_status=[rep_status(v, rule) for v in state.rep_angles_deg],
        cue=state.cue, cues=state.cues,
        complete=(state.reps >= reps[0]) if reps else
        state.longest_hold_s >= ex.prescription.hold_s[0])
    return out


def set_end_event(ex: Exercise, side: str, title: str, *, saved: bool, file: str | None,
                  rep_count: int, rep_values_deg: list[float | None],
                  hold_s: float | None, median_deg: float | None,
                  other_side_deg: float | None, cue: str | None, summary: str
                  ) -> dict[str, Any]:
    """The set as saved and analysed offline: its count, each rep's colour, the
    main angle (the median per rep, deg) on this side and the other side's
    from an earlier set, the cue, and the summary line."""
    rule = ex.primary_rule
    reps = ex.prescription.reps
    complete = (rep_count >= reps[0]) if reps else (
        hold_s is not None and hold_s >= ex.prescription.hold_s[0])
    other = None
    if side in ("left", "right"):
        other = "right" if side == "left" else "left"
    return {"type": "set_end", "exercise": ex.id, "title": title, "side": side,
            "saved": saved, "file": file, "kind": ex.kind, "reps": rep_count,
            "target_reps": list(reps) if reps else None,
            "rep_angles_deg": [_r(v) for v in rep_values_deg],
            "rep_status": [rep_status(v, rule) for v in rep_values_deg],
            "hold_s": _r(hold_s), "hold_target_s": ex.prescription.hold_s[1],
            "metric_label": metric_label(ex.primary_metric),
            "threshold_deg": rule.threshold_deg if rule else None,
            "median_deg": _r(median_deg), "median_status": rep_status(median_deg, rule),
            "other_side": other, "other_side_deg": _r(other_side_deg),
            "cue": cue, "complete": bool(complete), "summary": summary}


def run_live_event(cadence_spm: float, left_drop_deg: float, right_drop_deg: float,
                   steps: int, title: str = RUN.name, threshold_deg: float = RUN.pelvic_drop_deg,
                   line: str | None = None) -> dict[str, Any]:
    """During a run: the cadence over the last ``steps`` steps (steps/min) and
    their median contralateral drop per side (deg) against ``threshold_deg``,
    each side coloured as a rep is (good, near, past); ``line``: the
    terminal's words."""
    rule = FlagRule("running_pelvic_drop", "pelvic_drop_deg", threshold_deg)
    return {"type": "run_live", "title": title, "cadence_spm": _r(cadence_spm, 0),
            "steps": steps, "threshold_deg": threshold_deg,
            "left": {"drop_deg": _r(left_drop_deg), "status": rep_status(left_drop_deg, rule)},
            "right": {"drop_deg": _r(right_drop_deg),
                      "status": rep_status(right_drop_deg, rule)},
            "line": line}


def message_event(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


def session_end_event(report: str | None, sets: int, folder: str) -> dict[str, Any]:
    return {"type": "session_end", "report": report, "sets": sets, "folder": folder}
