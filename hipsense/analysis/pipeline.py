"""Session analysis: calibration -> orientation -> angle signals -> reps/holds
-> metrics -> flags -> left/right comparisons. Pure functions over the core
types; no files, no printing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hipsense.analysis.acc_only import NOTE as ACC_ONLY_NOTE
from hipsense.analysis.acc_only import tilt_rate_dps
from hipsense.analysis.angles import angle_between_deg, angle_signals, elevation_deg
from hipsense.analysis.calibration import (
    NOMINAL_AXES, Calibration, PelvisAxes, axes_from_posture, calibrate,
)
from hipsense.analysis.flags import compare_sides, set_flags
from hipsense.analysis.heading import (
    CALIBRATION_UNCERTAINTY_DEG, Heading, SetClue, heading_from_sets,
)
from hipsense.analysis.motion import (
    gyro_offset_dps, pelvis_height_m, runs, samples_for, smoothed_rate,
)
from hipsense.analysis.orientation import gravity_up, gravity_up_segments
from hipsense.analysis.results import Flag, Hold, Rep, SessionResult, SetResult
from hipsense.analysis.segmentation import (
    MAX_BRIDGE_S, NOISE_FACTOR, Rest, RepWindow, find_hold, find_reps, movement_signal,
    posture_span,
)
from hipsense.analysis.running import analyze_run
from hipsense.exercises import EXERCISES, MIN_REP_DEG, RUN
from hipsense.core import Recording, Session, SetInfo

#: A set needs at least this much data to be analysed.
MIN_SET_S = 3.0
#: A quiet start this far (deg) from the posture the exercise expects: wrong posture.
WRONG_POSTURE_DEG = 40.0
#: Without calibration the placement is unknown; allow the whole mounting range.
WRONG_POSTURE_UNCALIBRATED_DEG = 60.0
#: Rest posture at the end this far (deg) from the start: the sensor or runner shifted.
SHIFT_DEG = 8.0
#: The median |acc| of a set must be near 1 g (gravity) for the file to be in g.
GRAVITY_RANGE_G = (0.7, 1.3)
#: Lost data worth a data-quality flag: this fraction of samples, or a gap this long (s).
LOSS_FRACTION = 0.01
LONG_GAP_S = 0.5
#: Within a rep, an interval this many sample periods long is bridged by a spline.
GAP_FILL_FACTOR = 3.0
#: A set's own gyroscope offset needs this much quiet time (s) in runs of 0.5 s.
MIN_OFFSET_QUIET_S = 2.0


def analyze(session: Session) -> SessionResult:
    """Analyse every set of a session (see measurements.md for what is measured).

    A sensor without a gyroscope (session.json ``"sensor": {"gyroscope": false}``)
    gets a tilt rate derived from its accelerometer instead, and a data-quality
    note on every set. When the calibration is poor or missing, the pelvis axes
    come from the sets themselves (:mod:`hipsense.analysis.heading`).
    """
    sensor = session.metadata.get("sensor") if isinstance(session.metadata.get("sensor"),
                                                          dict) else {}
    no_gyro = sensor.get("gyroscope") is False
    if no_gyro:
        session = _with_tilt_rate(session)
    cal = None
    if session.calibration is not None:
        c = session.calibration
        cal = calibrate(c.time_s, c.acc_g, c.gyr_dps)
    # the gravity filter runs once over all sets (one vectorised pass is much
    # cheaper than one per set); each set is its own segment
    usable = [i for i, (info, rec) in enumerate(session.sets)
              if info.exercise != RUN.id and _long_enough(rec) and _reads_gravity(rec)]
    gyr = {i: _set_gyro(session.sets[i][1], cal) for i in usable}
    ups = dict(zip(usable, gravity_up_segments(
        [(session.sets[i][1].time_s, session.sets[i][1].acc_g, gyr[i][0]) for i in usable])))
    prepared = {i: _Prepared(gyr[i][0], gyr[i][1], ups[i], session.sets[i][1].time_s)
                for i in usable}
    heading = _heading(cal, [p.clue(session.sets[i][0]) for i, p in prepared.items()])
    sets = [analyze_run_set(info, rec, cal, sensor, heading=heading)
            if info.exercise == RUN.id else
            analyze_set(info, rec, cal, sensor, heading=heading, _prepared=prepared.get(i))
            for i, (info, rec) in enumerate(session.sets)]
    if no_gyro:
        for s in sets:
            s.flags.append(Flag("data_quality", "info", ACC_ONLY_NOTE))
    return SessionResult(sets, compare_sides(sets), _calibration_json(cal, heading))


def _heading(cal: Calibration | None, clues: list[SetClue]) -> Heading:
    """The session's pelvis axes: the calibration's when it can be used, else
    what the sets tell (the nominal placement when they tell nothing)."""
    if cal is not None and cal.ok:
        return Heading(cal.axes, "calibration", CALIBRATION_UNCERTAINTY_DEG)
    return heading_from_sets(clues)


class _Prepared:
    """A set's gyroscope (offset removed), where its offset came from, "up" per
    sample, its own posture span and smoothed rate (0.3 s)."""

    def __init__(self, gyr_dps: np.ndarray, offset_source: str, up: np.ndarray,
                 time_s: np.ndarray) -> None:
        self.gyr_dps, self.offset_source, self.up = gyr_dps, offset_source, up
        self.span = posture_span(time_s, up)
        self.rate_dps = smoothed_rate(time_s, gyr_dps, 0.3)

    def clue(self, info: SetInfo) -> SetClue:
        """What this set tells about the heading (its rest posture, its rotation axis)."""
        lo, hi = self.span
        rest = np.median(self.up[lo:hi], axis=0)
        moving = self.rate_dps[lo:hi] > max(5.0, 3.0 * float(np.percentile(
            self.rate_dps[lo:hi], 30)))
        axis = None
        if moving.sum() >= 10:
            g = self.gyr_dps[lo:hi][moving]
            eigval, eigvec = np.linalg.eigh(g.T @ g)
            if eigval[-1] / eigval.sum() >= 0.7:
                axis = eigvec[:, -1]
        return SetClue(info.exercise, info.side, rest / np.linalg.norm(rest), axis)


def _set_gyro(rec: Recording, cal: Calibration | None) -> tuple[np.ndarray, str]:
    """The set's gyroscope with its offset removed, and where the offset came from.

    The offset is the set's own (from its quiet stretches, with the sway's net
    rotation taken out: the sensor's offset drifts as it warms up) when it has
    at least MIN_OFFSET_QUIET_S of them; else the calibration's; else the
    median over the set's quietest samples.
    """
    base = cal.gyr_offset_dps if cal is not None else np.median(rec.gyr_dps, axis=0)
    rate = smoothed_rate(rec.time_s, rec.gyr_dps - base, 0.3)
    quiet = rate <= max(2.0, 2.0 * float(np.percentile(rate, 20)))
    quiet_s = sum(float(rec.time_s[b - 1] - rec.time_s[a]) for a, b in runs(quiet)
                  if rec.time_s[b - 1] - rec.time_s[a] >= 0.5)
    if quiet_s >= MIN_OFFSET_QUIET_S:
        return rec.gyr_dps - gyro_offset_dps(rec.time_s, rec.acc_g, rec.gyr_dps, quiet), "set"
    if cal is not None:
        return rec.gyr_dps - cal.gyr_offset_dps, "calibration"
    return rec.gyr_dps - np.median(rec.gyr_dps[quiet], axis=0), "set (rough)"


def _with_tilt_rate(session: Session) -> Session:
    """The session with each recording's gyroscope replaced by the tilt rate
    derived from its accelerometer."""
    def swap(rec: Recording) -> Recording:
        return Recording(rec.time_s, rec.acc_g, tilt_rate_dps(rec.time_s, rec.acc_g), rec.extra)

    cal = swap(session.calibration) if session.calibration is not None else None
    return Session(session.metadata, cal, [(info, swap(rec)) for info, rec in session.sets])


def _long_enough(rec: Recording) -> bool:
    return len(rec) >= 10 and rec.duration_s >= MIN_SET_S


def _median_acc_g(rec: Recording) -> float:
    return float(np.median(np.linalg.norm(rec.acc_g, axis=1)))


def _reads_gravity(rec: Recording) -> bool:
    return GRAVITY_RANGE_G[0] <= _median_acc_g(rec) <= GRAVITY_RANGE_G[1]


def _calibration_json(cal: Calibration | None, heading: Heading | None = None
                      ) -> dict[str, Any]:
    out: dict[str, Any]
    if cal is None:
        out = {"ok": False, "grade": "poor", "problem": "no calibration was recorded"}
    else:
        out = {"ok": cal.ok, "grade": cal.grade, "problem": cal.problem,
               "quality": cal.quality}
        if cal.axes is not None:
            out["pelvis_axes_in_sensor"] = {k: [round(float(x), 4) for x in getattr(cal.axes, k)]
                                            for k in "alu"}
    if heading is not None:
        out["heading"] = heading.to_json()
    return out


def _calibration_flag(cal: Calibration | None, heading: Heading | None) -> Flag | None:
    source = ("the sets' own movements" if heading is not None and heading.source == "sets"
              else "each set's start and the nominal placement")
    if cal is None:
        return Flag("data_quality", "warning",
                    f"No calibration was recorded, so the sensor's placement was estimated "
                    f"from {source}: drops and tilts may be off by a few degrees. Record the "
                    "calibration (stand still, two hip hinges) next time.")
    if not cal.ok:
        return Flag("data_quality", "warning",
                    f"The calibration could not be used ({cal.problem}), so the sensor's "
                    f"placement was estimated from {source}: drops and tilts may be off by a "
                    "few degrees. Redo the calibration next time.")
    return None


def analyze_set(info: SetInfo, rec: Recording, cal: Calibration | None,
                sensor: dict[str, Any] | None = None, *, heading: Heading | None = None,
                _prepared: _Prepared | None = None) -> SetResult:
    """Analyse one set recording with the session's calibration (or None).

    ``sensor`` is session.json's ``sensor`` object (ranges for saturation);
    ``heading``: the session's pelvis axes (default: the calibration's, else
    the nominal placement).
    """
    ex = EXERCISES[info.exercise]
    result, heading, quality_flags = _start_set(info, cal, heading)
    t = rec.time_s
    if not _long_enough(rec):
        quality_flags.append(Flag("data_quality", "alert",
                                  f"The recording is too short to analyse "
                                  f"({rec.duration_s:.1f} s)."))
        result.flags = quality_flags
        return result
    result.quality.update(_transport_quality(rec, quality_flags))
    result.quality.update(_saturation(rec, sensor or {}, quality_flags))
    result.quality["median_acc_g"] = round(_median_acc_g(rec), 3)
    if not _reads_gravity(rec):
        quality_flags.append(Flag("data_quality", "alert",
                                  f"The accelerometer reads {_median_acc_g(rec):.2f} g where "
                                  "gravity alone is 1 g: the file is not in g (m/s^2?) or the "
                                  "sensor is broken, so this set was not analysed."))
        result.flags = quality_flags
        return result

    if _prepared is None:
        gyr, source = _set_gyro(rec, cal)
        _prepared = _Prepared(gyr, source, gravity_up(t, rec.acc_g, gyr), t)
    p = _prepared
    up, gyr = p.up, p.gyr_dps
    result.quality["gyr_offset_source"] = p.offset_source
    lo, hi = p.span
    # the axes in the set's posture, first from its median posture (enough to
    # tell which way a rep goes), then from the reference found
    rough = np.median(up[lo:hi], axis=0)
    axes = axes_from_posture(rough, ex.up_axis(info.side), heading.axes)
    if ex.kind == "reps":
        direction = ex.rep_direction(info.side)
        m = movement_signal(t, up, gyr, p.span, None if direction is None
                            else axes.vector(direction), ex.rotation_axis == "l")
        depth = -pelvis_height_m(t, rec.acc_g, up) if ex.rep_lowers_pelvis else None
        windows, rest = find_reps(t, m, up, p.rate_dps, p.span, MIN_REP_DEG[ex.posture],
                                  depth)
        reference, found = rest.reference, rest.found
    else:
        main = ex.primary_signal
        stretch = main.sign * elevation_deg(axes.vector(ex.axis_vector(main.axis, info.side)), up)
        hold = find_hold(t, up, gyr, p.rate_dps, p.span, stretch)
        windows, rest = [], None
        if hold is None:
            reference, found = np.arange(lo, lo + min(samples_for(t, 1.0), hi - lo)), False
        else:
            reference, found = hold[2], hold[3]
    if not found:
        quality_flags.append(Flag("data_quality", "warning",
                                  "The set did not start with a still moment in the start "
                                  "position, so the rest posture is uncertain: hold still in "
                                  "the start position for 2 s before the first rep."))
    result.reference_s = (float(t[reference[0]]), float(t[reference[-1]]))
    rest_up = up[reference].mean(axis=0)
    rest_up /= np.linalg.norm(rest_up)
    axes = _posture_axes(result, heading, rest_up, quality_flags)
    signals = angle_signals(ex, info.side, axes, up, reference)
    result.time_s, result.signals_deg = t, signals
    result.quality["heading"] = heading.to_json()
    if ex.kind == "reps":
        assert rest is not None
        _reps(result, t, signals, windows, rest, heading, quality_flags)
    else:
        _hold(result, t, signals, hold, quality_flags)
    _shift(result, t, up, rest_up, quality_flags)
    result.flags = set_flags(result) + quality_flags
    return result


def _start_set(info: SetInfo, cal: Calibration | None, heading: Heading | None
               ) -> tuple[SetResult, Heading, list[Flag]]:
    """A set's empty result, the heading to use (the calibration's, else the
    nominal placement, when none is given) and its first quality flags (the
    calibration's, if any)."""
    if heading is None:
        heading = _heading(cal, [])
    cal_flag = _calibration_flag(cal, heading)
    return SetResult(info.file, info.exercise, info.side), heading, [cal_flag] if cal_flag else []


def analyze_run_set(info: SetInfo, rec: Recording, cal: Calibration | None,
                    sensor: dict[str, Any] | None = None, *,
                    heading: Heading | None = None) -> SetResult:
    """Analyse a run set (running.md) with the session's pelvis axes; the
    result's ``run`` holds the running.md object."""
    result, heading, quality_flags = _start_set(info, cal, heading)
    if not _long_enough(rec) or not _reads_gravity(rec):
        quality_flags.append(Flag("data_quality", "alert",
                                  f"The run could not be analysed: it is "
                                  f"{rec.duration_s:.1f} s long and the accelerometer reads "
                                  f"{_median_acc_g(rec):.2f} g where gravity alone is 1 g."))
        result.flags = quality_flags
        result.run = {"steps": [], "bouts": [], "left": None, "right": None,
                      "drop_asymmetry_deg": None, "drop_change_deg": None}
        return result
    result.quality.update(_transport_quality(rec, quality_flags))
    result.quality.update(_saturation(rec, sensor or {}, quality_flags, running=True))
    run = analyze_run(rec.time_s, rec.acc_g, rec.gyr_dps, heading.axes.l, heading.axes.u)
    result.quality["mode"] = run.mode
    result.quality["heading"] = heading.to_json()
    result.reference_s = run.reference_s
    result.run = run.to_json()
    result.time_s, result.signals_deg = run.time_s, {"pelvic_obliquity_deg": run.obliquity_deg}
    result.flags = run.flags + quality_flags
    return result


def _posture_axes(result: SetResult, heading: Heading, rest_up: np.ndarray,
                  flags: list[Flag]) -> PelvisAxes:
    """The pelvis axes for this set, and a check that its start looks like the
    exercise's posture (the posture's up axis should point up)."""
    ex = EXERCISES[result.exercise]
    up_pelvis = ex.up_axis(result.side)
    if heading.source == "calibration":
        axes, expected, limit = heading.axes, heading.axes, WRONG_POSTURE_DEG
    else:
        axes = axes_from_posture(rest_up, up_pelvis, heading.axes)
        expected, limit = PelvisAxes(**NOMINAL_AXES), WRONG_POSTURE_UNCALIBRATED_DEG
    off_deg = angle_between_deg(expected.vector(up_pelvis), rest_up)
    result.quality["posture_offset_deg"] = round(off_deg, 1)
    if off_deg > limit:
        flags.append(Flag("data_quality", "alert",
                          f"The start position does not look like a {ex.name.lower()} "
                          f"({ex.posture.replace('_', ' ')}): the pelvis is {off_deg:.0f} deg "
                          "from that posture. Check that the exercise and side were chosen "
                          "right and that the sensor did not move."))
    return axes


def _reps(result: SetResult, t: np.ndarray, signals: dict[str, np.ndarray],
          windows: list[RepWindow], rest: Rest, heading: Heading, flags: list[Flag]) -> None:
    ex = EXERCISES[result.exercise]
    result.quality["typical_excursion_deg"] = round(rest.typical_deg, 2)
    result.quality["noise_floor_deg"] = round(rest.noise_deg, 2)
    # a cross-axis metric picks up the main movement times the heading error
    along = ex.rep_signal[0] if ex.rep_signal else None
    result.quality["metric_uncertainty_deg"] = {
        s.name: 0.0 if s.name == along else
        round(rest.typical_deg * float(np.sin(np.radians(heading.uncertainty_deg))), 2)
        for s in ex.signals}
    period = float(np.median(np.diff(t)))
    bridged, unmeasured = [], []
    for i, w in enumerate(windows, start=1):
        inside = slice(w.start, w.end + 1)
        longest = float(np.diff(t[inside]).max(initial=0.0))
        metrics: dict[str, float | None]
        if longest > MAX_BRIDGE_S:
            unmeasured.append(i)
            metrics = {s.name: None for s in ex.signals}
        elif longest > GAP_FILL_FACTOR * period:
            bridged.append(i)
            metrics = {s.name: s.reduce_values(_fill_gaps(t, signals[s.name], inside, period))
                       for s in ex.signals}
        else:
            metrics = {s.name: s.reduce_values(signals[s.name][inside]) for s in ex.signals}
        result.reps.append(Rep(i, float(t[w.start]), float(t[w.end]), w.top_s,
                               float(t[w.top_first] - t[w.start]),
                               float(t[w.end] - t[w.top_last]), metrics))
    measured = [r for r in result.reps if r.measured]
    if measured:
        result.medians = {s.name: float(np.median([r.metrics[s.name] for r in measured]))
                          for s in ex.signals}
    if bridged:
        flags.append(Flag("data_quality", "info",
                          f"Data was lost briefly during {len(bridged)} rep(s); their numbers "
                          "are estimated across the gap.", tuple(bridged)))
    if unmeasured:
        flags.append(Flag("data_quality", "warning",
                          f"Over {MAX_BRIDGE_S:.1f} s of data was lost during {len(unmeasured)} "
                          "rep(s): they are counted but not measured.", tuple(unmeasured)))
    if rest.noisy and result.reps:
        result.quality["reps_reliable"] = False
        flags.append(Flag("data_quality", "alert",
                          f"The pelvis swayed {rest.noise_deg:.1f} deg at rest (SD), so a rep "
                          f"had to move it over {NOISE_FACTOR * rest.noise_deg:.1f} deg, a large "
                          f"part of the reps' {rest.typical_deg:.1f} deg: some reps may have been "
                          "missed or split. Hold still between reps and check that the sensor "
                          "is clipped firmly."))
    n = len(result.reps)
    if n == 0:
        flags.append(Flag("data_quality", "alert",
                          "No reps were found in this set: the pelvis did not move away from "
                          "its start position and back."))
    elif n < 3:
        flags.append(Flag("data_quality", "info",
                          f"Only {n} rep{'s' if n > 1 else ''} found; with so few the "
                          "averages and flags are uncertain."))


def _fill_gaps(t: np.ndarray, values: np.ndarray, inside: slice, period: float
               ) -> np.ndarray:
    """A rep's signal on an even time grid, gaps bridged by a cubic spline (the
    movement is smooth, so a peak lost in a gap is estimated, not cut off)."""
    from scipy.interpolate import CubicSpline  # only for reps with gaps: imported then

    lo, hi = max(inside.start - 10, 0), min(inside.stop + 10, len(t))
    spline = CubicSpline(t[lo:hi], values[lo:hi])
    grid = np.arange(t[inside.start], t[inside.stop - 1] + period / 2, period)
    return spline(grid)


def _hold(result: SetResult, t: np.ndarray, signals: dict[str, np.ndarray],
          found: tuple[int, int, np.ndarray, bool] | None, flags: list[Flag]) -> None:
    ex = EXERCISES[result.exercise]
    if found is None:
        flags.append(Flag("data_quality", "alert",
                          "No hold was found: the recording shows no still period between "
                          "getting into the stretch and coming out of it."))
        return
    first, last = found[0], found[1]
    inside = slice(first, last + 1)
    metrics = {s.name: s.reduce_values(signals[s.name][inside]) for s in ex.signals}
    result.holds.append(Hold(1, float(t[first]), float(t[last]), metrics))
    result.medians = dict(metrics)


def _transport_quality(rec: Recording, flags: list[Flag]) -> dict[str, Any]:
    gaps = rec.gaps()
    expected = len(rec) + gaps.missing_samples
    lost = gaps.missing_samples / expected if expected else 0.0
    if lost > LOSS_FRACTION or gaps.longest_s > LONG_GAP_S:
        flags.append(Flag("data_quality", "warning" if gaps.longest_s < 2.0 else "alert",
                          f"{gaps.missing_samples} samples ({100 * lost:.1f} %) were lost in "
                          f"{gaps.count} gaps, the longest {gaps.longest_s:.1f} s: keep the "
                          "laptop within a few metres of the sensor."))
    return {"samples": len(rec), "rate_hz": round(rec.median_rate_hz(), 2),
            "gaps": gaps.count, "lost_samples": gaps.missing_samples,
            "longest_gap_s": round(gaps.longest_s, 3)}


def _saturation(rec: Recording, sensor: dict[str, Any], flags: list[Flag],
                running: bool = False) -> dict[str, Any]:
    """Samples stuck at the sensor's range (range from session.json's ``sensor`` when
    given, else the largest value if it repeats at a plausible range limit). In a
    run (``running``) the heel strikes clip the accelerometer: the message says
    so instead of telling the runner not to knock the sensor."""
    counts = {}
    for name, data, known, plausible in (
            ("acc", rec.acc_g, sensor.get("acc_range_g"), 1.9),
            ("gyr", rec.gyr_dps, sensor.get("gyr_range_dps"), 120.0)):
        peak = np.abs(data).max()
        limit = 0.999 * float(known) if isinstance(known, (int, float)) else peak - 1e-9
        n = int((np.abs(data) >= limit).any(axis=1).sum())
        counts[name] = n if (peak >= plausible and n >= 3) else 0
    if counts["acc"] or counts["gyr"]:
        what = (f"The sensor hit its measuring range ({counts['acc']} accelerometer "
                f"and {counts['gyr']} gyroscope samples)")
        if running:
            cue = ("; hard landings do that when running, and the steps around those "
                   "moments are a little less certain. Nothing to change unless it is many.")
        else:
            cue = ("; angles around those moments are less certain. Avoid knocking the "
                   "sensor.")
        flags.append(Flag("data_quality", "warning", what + cue))
    return {"saturated_samples": counts}


def _shift(result: SetResult, t: np.ndarray, up: np.ndarray, rest_up: np.ndarray,
           flags: list[Flag]) -> None:
    """Compare the rest posture at the end with the start (a slipped sensor)."""
    shift = angle_between_deg(up[-samples_for(t, 1.0):].mean(axis=0), rest_up)
    result.quality["end_vs_start_deg"] = round(shift, 1)
    if shift > SHIFT_DEG:
        flags.append(Flag("data_quality", "warning",
                          f"The rest position at the end differs from the start by "
                          f"{shift:.0f} deg: the sensor may have slipped on the belt, or the "
                          "set ended in another position. Check the clip before the next "
                          "set."))
