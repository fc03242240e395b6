"""The analysis against the realities of real movement (``SessionSpec.realism``):
realistic calibration sway, no calibration, a gyroscope offset that drifts between
sets, one-leg balance sway, awkward starts, multi-hump reps, gaps inside reps and
wobbly stretch entries. Each reality is forced through its SetSpec field so the
test exercises it deterministically; numbers are checked against the
simulator's truth.

Where the analysis does not (yet) meet the figure asked for, the test keeps that
figure and is marked ``xfail(strict=True)`` with what was measured, so it turns
into a failure (XPASS) the day the analysis meets it and the mark can go.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

import hipsense.analysis.pipeline as pipeline
import hipsense.sim.session as sim_session
from hipsense.analysis import analyze
from hipsense.analysis.angles import angle_between_deg
from hipsense.analysis.calibration import calibrate
from hipsense.analysis.flags import set_flags
from hipsense.analysis.orientation import gravity_up
from hipsense.exercises import EXERCISES
from hipsense.core import Recording
from hipsense.sim import ImuErrors, Mounting, Sampler, SessionSpec, SetSpec, simulate_session
from hipsense.sim.imu import record
from hipsense.sim.motion import Keyframes, Motion, Sines, base_orientation
from hipsense.sim.session import programme_sets
from hipsense.sim.truth import angle_signals

#: Every reality off but the one a test forces (realism still brings sway and wobble).
PLAIN = dict(start="quiet", rep_shape="simple", rep_profile="min_jerk", overshoot=0.0,
             continuous=False, small_reps=0, gaps=0)


class PremiseError(Exception):
    """A test's setup did not produce the reality it is about (never an expected
    failure: the xfail marks below expect AssertionError only)."""


def _premise(ok: bool, what: object = "") -> None:
    if not ok:
        raise PremiseError(what)


def xfail(reason: str):
    """An expected failure of the analysis (an AssertionError), with what was measured."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


@functools.lru_cache(maxsize=None)
def _run(sets: tuple[SetSpec, ...], seed: int, realism: float = 1.0,
         session: tuple[tuple[str, object], ...] = ()):
    """(simulated session, analysis result), cached across tests."""
    sim = simulate_session(SessionSpec(sets=sets, realism=realism, **dict(session)), seed)
    return sim, analyze(sim.session)


def _match(got, truth_reps) -> list[tuple]:
    """(detected Rep, true rep dict) pairs overlapping most in time, one to one."""
    pairs, used = [], set()
    for t in truth_reps:
        best, overlap = None, 0.0
        for i, g in enumerate(got.reps):
            o = min(g.end_s, t["end_s"]) - max(g.start_s, t["start_s"])
            if i not in used and o > overlap:
                best, overlap = i, o
        if best is not None:
            used.add(best)
            pairs.append((got.reps[best], t))
    return pairs


def _metric_errors(got, truth_set, skip_gap_reps: bool = True) -> dict[str, list[float]]:
    """Per metric, detected minus true, over the matched and measured reps."""
    out: dict[str, list[float]] = {}
    for g, t in _match(got, truth_set["reps"]):
        if skip_gap_reps and t.get("longest_gap_s", 0.0) > 0.5:
            continue
        for name, value in t["metrics"].items():
            if g.metrics[name] is not None:
                out.setdefault(name, []).append(g.metrics[name] - value)
    return out


def _angle_deg(a, b) -> float:
    return angle_between_deg(np.asarray(a, float), np.asarray(b, float))


def _rmse(values) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


# ------------------------------------------------- 1. calibration with sway

CAL_SEEDS = range(6)


def _realistic_calibration(realism: float, seed: int):
    sim = simulate_session(SessionSpec(sets=(), realism=realism), seed)
    c = sim.session.calibration
    return sim, calibrate(c.time_s, c.acc_g, c.gyr_dps)


@pytest.mark.parametrize("realism", [1.0, 2.0])
def test_realistic_calibration_is_good_or_usable(realism):
    for seed in CAL_SEEDS:
        sim, cal = _realistic_calibration(realism, seed)
        assert cal.grade in ("good", "usable"), (seed, cal.problem)
        assert cal.axes is not None


@pytest.mark.parametrize("realism", [
    pytest.param(1.0, marks=xfail((
        "measured: axes up to 2.75 deg off the truth over seeds 0-5 (within 1.5 on seeds 1 "
        "and 4 only); u up to 1.27 deg, as far as the stands' own mean posture is tilted "
        "by sway and weight shifts; l/a up to 2.75 deg (the simulated hinges lean 1-2 deg "
        "off the sagittal plane)"))),
    pytest.param(2.0, marks=xfail((
        "measured: axes up to 2.94 deg off the truth over seeds 0-5"))),
])
def test_realistic_calibration_axes_within_1_5_deg(realism):
    worst = 0.0
    for seed in CAL_SEEDS:
        sim, cal = _realistic_calibration(realism, seed)
        truth = sim.truth["pelvis_axes_in_sensor"]
        worst = max(worst, *(_angle_deg(getattr(cal.axes, k), truth[k]) for k in "alu"))
    assert worst <= 1.5, f"axes off by up to {worst:.2f} deg"


@pytest.mark.parametrize("realism", [
    pytest.param(1.0, marks=xfail((
        "measured: offset off by up to 0.33 deg/s (seed 3; seeds 0-5), 0.32 of it about "
        "the vertical, where the stands' yaw sway is invisible to the accelerometer"))),
    pytest.param(2.0, marks=xfail((
        "measured: offset off by up to 0.64 deg/s (seeds 0-5)"))),
])
def test_realistic_calibration_gyro_offset_within_0_15_dps(realism):
    worst = 0.0
    for seed in CAL_SEEDS:
        sim, cal = _realistic_calibration(realism, seed)
        err = cal.gyr_offset_dps - np.asarray(sim.truth["calibration"]["gyr_bias_dps"])
        worst = max(worst, float(np.linalg.norm(err)))
    assert worst <= 0.15, f"offset off by up to {worst:.3f} deg/s"


#: Share of the sway rate per pelvis axis (a, l, u), as the simulator's standing sway.
_SWAY_SHARE = np.array([0.35, 0.3, 0.4]) / np.linalg.norm([0.35, 0.3, 0.4])
_STANDS_S = ((100.0, 104.0), (114.6, 119.0))


def _hand_calibration(seed: int, sway_dps: float = 1.5, move: str | None = None,
                      yaw_sway: bool = True):
    """A calibration built by hand: stand 4 s, two sagittal 36-38 deg hinges, stand
    4.4 s, swaying with a gyroscope SD of ``sway_dps`` (0.1-1.5 Hz). ``move``:
    "turn" (a 12 deg turn about the vertical in the first stand, which stays) or
    "shift" (a 3 deg sideways weight shift there, which stays). Returns
    (recording, mounting, true constant gyro bias)."""
    rng = np.random.default_rng(seed)
    times = [0.0, 4.0, 6.0, 6.6, 8.6, 10.0, 12.0, 12.6, 14.6, 19.0]
    angles = np.array([[0, 0, 0], [0, 0, 0], [0, 38, 0], [0, 38, 0], [0, 0, 0],
                       [0, 0, 0], [0, 36, 0], [0, 36, 0], [0, 0, 0], [0, 0, 0]], float)
    if move is not None:
        times = [0.0, 1.5, 2.3] + times[1:]
        angles = np.vstack([np.zeros((2, 3)), angles])
        angles[2:] += [0.0, 0.0, 12.0] if move == "turn" else [3.0, 0.0, 0.0]
    share = _SWAY_SHARE if yaw_sway else np.array([0.35, 0.3, 0.0]) / np.hypot(0.35, 0.3)
    motion = Motion(base=base_orientation("standing", "both"), outer_axis="u",
                    angles_deg=Keyframes(np.array(times) + 100.0, angles),
                    hip_m=Keyframes(np.array([100.0, 120.0]), np.zeros((2, 3))),
                    angle_sway_deg=Sines.random_rate(rng, share * sway_dps, n=10,
                                                     band_hz=(0.1, 1.5)),
                    heading_deg=float(rng.uniform(-180, 180)))
    mounting = Mounting(pitch_deg=float(rng.uniform(-30, 30)),
                        roll_deg=float(rng.uniform(-15, 15)),
                        yaw_deg=float(rng.uniform(-10, 10)))
    bias = rng.normal(0.0, 0.7, 3)
    errors = ImuErrors(gyr_bias_dps=bias, acc_noise_g=0.0012, gyr_noise_dps=0.06)
    rec, _ = record(motion, 100.0, 119.0, mounting, errors, Sampler(104.0), rng)
    return rec, mounting, bias


def _in_stands(rec: Recording) -> np.ndarray:
    return np.any([(rec.time_s >= a) & (rec.time_s < b) for a, b in _STANDS_S], axis=0)


def test_hand_built_calibration_swaying_1_5_dps_finds_the_axes_within_1_5_deg():
    sds = []
    for seed in CAL_SEEDS:
        rec, mounting, bias = _hand_calibration(seed)
        stands = _in_stands(rec)
        sds.append(float(np.sqrt((rec.gyr_dps[stands] - bias).var(axis=0).sum())))
        cal = calibrate(rec.time_s, rec.acc_g, rec.gyr_dps)
        assert cal.grade in ("good", "usable"), (seed, cal.problem)
        truth = mounting.pelvis_axes_in_sensor()
        for k in "alu":
            # measured: at most 1.13 deg (seeds 0-5)
            assert _angle_deg(getattr(cal.axes, k), truth[k]) <= 1.5, (seed, k)
        # the offset about the two horizontal axes, which the accelerometer
        # observes, is within 0.15 deg/s (measured: at most 0.095)
        err = cal.gyr_offset_dps - bias
        up = truth["u"]
        assert np.linalg.norm(err - (err @ up) * up) <= 0.15, seed
    # the premise: the stands sway with a gyroscope SD of about 1.5 deg/s
    _premise(1.2 <= np.mean(sds) <= 1.8, sds)


@xfail((
    "measured: offset off by 0.18 (seed 0) and 0.15 deg/s (seed 2), mostly about the "
    "vertical (0.15 each): yaw sway over 4 s stands does not average out and the "
    "accelerometer cannot see it; the horizontal part is within 0.1"))
def test_hand_built_calibration_swaying_1_5_dps_gyro_offset_within_0_15_dps():
    worst = 0.0
    for seed in CAL_SEEDS:
        rec, _, bias = _hand_calibration(seed)
        cal = calibrate(rec.time_s, rec.acc_g, rec.gyr_dps)
        worst = max(worst, float(np.linalg.norm(cal.gyr_offset_dps - bias)))
    assert worst <= 0.15, f"offset off by up to {worst:.3f} deg/s"


@pytest.mark.parametrize("move", ["turn", "shift"])
def test_a_clear_movement_in_the_stands_does_not_leak_into_the_gyro_offset(move):
    """Sway about the horizontal axes only (1.5 deg/s), so the only rotation the
    accelerometer cannot see is the movement itself."""
    for seed in range(4):
        rec, _, bias = _hand_calibration(seed, move=move, yaw_sway=False)
        cal = calibrate(rec.time_s, rec.acc_g, rec.gyr_dps)
        assert cal.ok, (seed, cal.problem)
        # the premise: averaging the first stand would be off by 0.8-3 deg/s
        first = rec.time_s < _STANDS_S[0][1]
        _premise(np.linalg.norm(rec.gyr_dps[first].mean(axis=0) - bias) > 0.5, seed)
        # measured: at most 0.11 deg/s
        assert np.linalg.norm(cal.gyr_offset_dps - bias) <= 0.15, seed


# ------------------------------------------------------- 2. no calibration

NO_CAL = (("calibration", False), ("mounting", "crooked"))


def _heading_error_deg(heading, truth_axes) -> float:
    """Angle about the estimated vertical between the estimated and the true l."""
    u = heading.axes.u
    lt, le = np.asarray(truth_axes["l"], float), heading.axes.l
    a, b = lt - (lt @ u) * u, le - (le @ u) * u
    return float(np.degrees(np.arctan2(np.cross(b, a) @ u, a @ b)))


_NO_CAL_CASES = {
    "programme r1": (programme_sets(reps=8, settle=False, **PLAIN), 0, 1.0),
    **{f"few r1 seed {s}": (programme_sets(["single_leg_squat", "hip_bridge", "clamshell"],
                                           reps=8, **PLAIN), s, 1.0) for s in range(3)},
    **{f"few r2 seed {s}": (programme_sets(["single_leg_squat", "hip_bridge", "clamshell"],
                                           reps=8, **PLAIN), s, 2.0) for s in range(2)},
}


@functools.lru_cache(maxsize=None)
def _no_cal(case: str):
    """(sim, result, the Heading the pipeline estimated) for a case above."""
    sets, seed, realism = _NO_CAL_CASES[case]
    sim = simulate_session(SessionSpec(sets=sets, realism=realism, **dict(NO_CAL)), seed)
    seen = []

    def capture(clues):
        heading = original(clues)
        seen.append(heading)
        return heading

    original = pipeline.heading_from_sets
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "heading_from_sets", capture)
        result = analyze(sim.session)
    assert len(seen) == 1
    return sim, result, seen[0]


@pytest.mark.parametrize("case", list(_NO_CAL_CASES))
def test_no_calibration_heading_from_the_sets_within_its_uncertainty(case):
    sim, result, heading = _no_cal(case)
    reported = result.calibration["heading"]
    assert reported["source"] == "sets"
    assert heading.source == "sets"
    # measured: at most 0.25 deg off, uncertainty 2.0 deg
    assert abs(_heading_error_deg(heading, sim.truth["pelvis_axes_in_sensor"])) \
        <= reported["uncertainty_deg"]
    for got, truth in zip(result.sets, sim.truth["sets"]):
        assert got.rep_count == truth["rep_count"], got.file


@pytest.mark.parametrize("case", [
    *(c for c in _NO_CAL_CASES if c != "few r2 seed 1"),
    pytest.param("few r2 seed 1", marks=xfail(
        "measured: single-leg squat drop off by up to 1.62 deg at realism 2 without "
        "calibration (seed 0: 1.14); the heading itself is within 0.3 deg")),
])
def test_no_calibration_single_leg_squat_drop_per_rep_within_1_5_deg(case):
    sim, result, _ = _no_cal(case)
    errors = []
    for got, truth in zip(result.sets, sim.truth["sets"]):
        if got.exercise == "single_leg_squat":
            errors += _metric_errors(got, truth)["pelvic_drop_deg"]
    assert len(errors) >= 16
    # measured: at most 0.90 deg at realism 1, 1.14 at realism 2 (seed 0)
    assert np.max(np.abs(errors)) <= 1.5


@pytest.mark.parametrize("seed", range(5))
def test_one_leg_sway_past_the_posture_tolerance_does_not_shorten_the_reference(seed):
    """At doubled sway, a one-leg quiet start swings past the posture
    tolerance, and the mean of the short stretch after the last swing is off
    by much of the sway; the reference reaches back over the sway (not over
    the step onto one leg): every rep's drop and tilt within 2.5 deg.
    Measured over seeds 0-4: worst 2.04 deg (4.38 with the short stretch)."""
    sets = (SetSpec("single_leg_squat", "left", reps=8, **PLAIN),
            SetSpec("single_leg_squat", "right", reps=8, **PLAIN))
    sim, result = _run(sets, seed, 2.0)
    for got, truth in zip(result.sets, sim.truth["sets"]):
        assert got.rep_count == truth["rep_count"] == 8
        errors = _metric_errors(got, truth)
        for metric in ("pelvic_drop_deg", "pelvic_tilt_deg"):
            assert len(errors[metric]) >= 7
            assert np.max(np.abs(errors[metric])) <= 2.5, (got.side, metric)


def test_no_calibration_drop_near_the_threshold_is_an_info_note_not_a_flag():
    sets = (SetSpec("single_leg_squat", "left", reps=8, fault_deg=5.8, rep_sd_deg=0.1, **PLAIN),
            SetSpec("single_leg_squat", "right", reps=8, fault_deg=2.0, **PLAIN),
            SetSpec("hip_bridge", "both", reps=8, fault_deg=0.5, **PLAIN),
            SetSpec("clamshell", "left", reps=8, fault_deg=2.0, **PLAIN))
    sim, result = _run(sets, 0, 1.0, NO_CAL)
    got, truth = result.sets[0], sim.truth["sets"][0]
    assert result.calibration["heading"]["source"] == "sets"
    margin = got.quality["metric_uncertainty_deg"]["pelvic_drop_deg"]
    median = got.medians["pelvic_drop_deg"]
    # the premise: truly just over the 5 deg threshold (5.52), measured within the
    # reported uncertainty above it (5.22, +0.58)
    _premise(5.0 < truth["medians"]["pelvic_drop_deg"] < 5.6, truth["medians"])
    assert 5.0 < median <= 5.0 + margin
    assert not any(f.code == "excessive_pelvic_drop" for f in got.flags)
    assert any(f.code == "data_quality" and f.severity == "info" and "near the 5 deg limit"
               in f.message for f in got.flags)
    # with a calibration's heading the same median raises the threshold flag
    calibrated = dataclasses.replace(got, quality={**got.quality, "heading": {
        "source": "calibration", "uncertainty_deg": 1.5}})
    assert "excessive_pelvic_drop" in {f.code for f in set_flags(calibrated)}


# ---------------------------------------------- 3. per-set gyroscope offset

#: Extra gyroscope bias (deg/s) of each recording: calibration, then the sets
#: (the sensor warming up between sets).
_BIAS_STEPS = (np.zeros(3), np.array([3.0, -2.0, 1.5]), np.array([-2.0, 3.0, -2.5]),
               np.array([1.5, 2.0, 3.0]))


@pytest.mark.parametrize("seed", [0, 2])
def test_gyro_bias_that_steps_between_sets_still_measures_within_1_deg(monkeypatch, seed):
    """Measured: metrics within 0.77 deg; with the calibration's offset instead of
    each set's own, seed 2 is off by 2.05 (squat) and 3.2 deg (bridge)."""
    calls = []

    def drifting_record(*args, **kwargs):
        rec, lost = record(*args, **kwargs)
        extra = _BIAS_STEPS[len(calls)]
        calls.append(extra)
        return Recording(rec.time_s, rec.acc_g, rec.gyr_dps + extra, rec.extra), lost

    monkeypatch.setattr(sim_session, "record", drifting_record)
    sets = (SetSpec("single_leg_squat", "left", reps=8, fault_deg=3.0, **PLAIN),
            SetSpec("knee_drive", "right", reps=8, fault_deg=4.0, **PLAIN),
            SetSpec("hip_bridge", "both", reps=8, fault_deg=2.0, **PLAIN))
    sim = simulate_session(SessionSpec(sets=sets, realism=1.0), seed)
    _premise(len(calls) == 4, calls)
    result = analyze(sim.session)
    assert result.calibration["grade"] in ("good", "usable")
    for got, truth in zip(result.sets, sim.truth["sets"]):
        assert got.quality["gyr_offset_source"] == "set", got.file
        assert got.rep_count == truth["rep_count"], got.file
        errors = np.concatenate(list(_metric_errors(got, truth).values()))
        assert errors.size >= 16
        assert np.max(np.abs(errors)) <= 1.0, got.file


# ------------------------------------------------- 4. one-leg balance sway

def _one_leg_errors(realism: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for seed in range(4):
        sets = (SetSpec("single_leg_squat", "left", reps=10, **PLAIN),
                SetSpec("single_leg_squat", "right", reps=10, **PLAIN))
        sim, result = _run(sets, seed, realism)
        for got, truth in zip(result.sets, sim.truth["sets"]):
            assert got.rep_count == truth["rep_count"]
            for name, e in _metric_errors(got, truth).items():
                out.setdefault(name, []).extend(e)
    return out


@pytest.mark.parametrize("realism", [1.0, 2.0])
def test_single_leg_squat_metrics_under_one_leg_sway_rmse_within_1_deg(realism):
    errors = _one_leg_errors(realism)
    assert set(errors) == {"pelvic_drop_deg", "pelvic_tilt_deg"}
    for name, e in errors.items():
        assert len(e) == 80
        # measured: realism 1 drop RMSE 0.45 (max 0.87), tilt 0.29; realism 2 drop 0.98
        # (max 2.09; 1.23 before the reference reached back over sway), tilt 0.53
        assert _rmse(e) <= 1.0, (name, _rmse(e))


# --------------------------------------------------------------- 5. starts

START_SEEDS = range(6)


@pytest.mark.parametrize("realism", [1.0, 2.0])
@pytest.mark.parametrize("exercise, side", [("clamshell", "left"),
                                            ("prone_hip_extension", "left"),
                                            ("knee_drive", "right")])
def test_fidgety_start_counts_within_one_and_mostly_exact(exercise, side, realism):
    """A weight shift before the first rep is no rep (judged on the time spent
    above half its excursion: a quick bump is a fidget however slowly it
    settles). Measured exact on 17 of 18 sets at realism 1 and 13 of 18 at
    realism 2 (seeds 0-5), the others one off."""
    diffs = []
    for seed in START_SEEDS:
        spec = SetSpec(exercise, side, reps=8, fidget=False, **{**PLAIN, "start": "fidgety"})
        sim, result = _run((spec,), seed, realism)
        _premise(sim.truth["sets"][0]["start_kind"] == "fidgety")
        diffs.append(result.sets[0].rep_count - sim.truth["sets"][0]["rep_count"])
    assert max(abs(d) for d in diffs) <= 1, diffs
    assert diffs.count(0) >= (5 if realism == 1.0 else 3), diffs


@pytest.mark.parametrize("realism", [1.0, 2.0])
@pytest.mark.parametrize("start", ["step_in", "mid_movement", "short"])
def test_awkward_starts_count_every_rep(start, realism):
    for seed in START_SEEDS:
        spec = SetSpec("single_leg_squat", "left", reps=5, fidget=False,
                       **{**PLAIN, "start": start})
        sim, result = _run((spec,), seed, realism)
        truth = sim.truth["sets"][0]
        _premise(truth["start_kind"] == start)
        if start == "short":  # the first rep leaves home at about 2 s
            _premise(truth["reps"][0]["start_s"] - truth["start_s"] <= 2.1, seed)
        assert result.sets[0].rep_count == 5, seed


@pytest.mark.parametrize("realism", [1.0, 2.0])
def test_step_in_start_reference_ends_where_the_first_rep_leaves_home(realism):
    for seed in START_SEEDS:
        spec = SetSpec("single_leg_squat", "left", reps=5, fidget=False,
                       **{**PLAIN, "start": "step_in"})
        sim, result = _run((spec,), seed, realism)
        # measured: 0.16-0.40 s after the truth's end (the rep's 10 % edge);
        # at realism 2 on seed 0, 1.0 s before it: the last still stretch,
        # inside the true quiet period, when the doubled sway leaves it early
        got, truth = result.sets[0].reference_s, sim.truth["sets"][0]["reference_s"]
        assert -1.05 <= got[1] - truth[1] <= 0.5, seed
        assert got[0] >= truth[0] - 1.0, seed  # not the stand before stepping in


@xfail((
    "measured (realism 1, seeds 0-5): the reference starts -0.99 to +2.1 s from the "
    "truth's (the end of stepping in); its end is within 0.4 s"))
def test_step_in_start_reference_within_0_5_s_of_the_truth():
    for seed in START_SEEDS:
        spec = SetSpec("single_leg_squat", "left", reps=5, fidget=False,
                       **{**PLAIN, "start": "step_in"})
        sim, result = _run((spec,), seed, 1.0)
        got, truth = result.sets[0].reference_s, sim.truth["sets"][0]["reference_s"]
        assert abs(got[0] - truth[0]) <= 0.5 and abs(got[1] - truth[1]) <= 0.5, seed


@pytest.mark.parametrize("start", ["step_in", "mid_movement", "fidgety"])
def test_a_still_start_above_where_the_reps_overshoot_is_the_reference(start):
    """Bridges at realism 2 going straight from rep to rep and sinking 35 % below
    the start after each: the pelvis is never still at home between reps, so
    the first rep starts where the still start ends, and the lift is measured
    from there (measured: within 1.0 deg on seeds 0-5; the start level was
    taken for part of rep 1 before, up to 9.8 deg off)."""
    for seed in range(6):
        spec = SetSpec("hip_bridge", "both", reps=8, fault_deg=3.0, fidget=False,
                       **{**PLAIN, "start": start, "rep_profile": "skewed",
                          "overshoot": 0.35, "continuous": True})
        sim, result = _run((spec,), seed, 2.0)
        truth = sim.truth["sets"][0]
        assert result.sets[0].rep_count == truth["rep_count"], seed
        for got, true in _match(result.sets[0], truth["reps"]):
            error = got.metrics["bridge_lift_deg"] - true["metrics"]["bridge_lift_deg"]
            assert abs(error) <= 1.25, (seed, true["index"], error)


def _reps_of_a_tilt(t, along_deg, rng, noise_deg, min_rep_deg, depth_m=None):
    """find_reps on a hand-built tilt (deg) about one sensor axis: the rate from
    the clean tilt plus 0.2-0.4 deg/s of gyroscope noise, the tilt with
    ``noise_deg`` of sway."""
    from hipsense.analysis.segmentation import find_reps
    rate = np.abs(np.gradient(along_deg, t)) + rng.uniform(0.2, 0.4, t.size)
    along_deg = along_deg + rng.normal(0.0, noise_deg, t.size)
    ax = np.radians(along_deg)
    up = np.column_stack([np.zeros_like(ax), np.sin(ax), np.cos(ax)])
    return find_reps(t, along_deg, up, rate, (0, t.size), min_rep_deg, depth_m)


@pytest.mark.parametrize("first_top_s", [0.0, 2.0])
def test_a_first_rep_straight_from_the_still_start_counts_when_the_reps_overshoot_home(
        first_top_s):
    """3 s still at 0 deg, then six reps straight one into the next, each
    coming back 6 deg below the start (an overshoot that turns into the next
    rep); the first rep is half the others (8 deg against 16) and, in one case,
    held still at its top for 2 s. Every rep leaves from where the pelvis was
    still, so all six count (the first was taken for a rep that never left
    home: 5 reps, and a 2 s still top was taken for the start's level)."""
    rate_hz, rng = 100.0, np.random.default_rng(5)
    t = np.arange(0.0, 3.0 + first_top_s + 6 * 3.0 + 3.0, 1.0 / rate_hz)

    def bump(x, peak, low):
        # up to the peak and back down to ``low``, over one 3 s period
        x = np.clip(x, 0.0, 1.0)
        up = np.sin(np.pi * np.clip(x / 0.8, 0, 1)) ** 2
        return np.where(x < 0.4, peak * up, low + (peak - low) * up)

    along = np.zeros_like(t)
    for k in range(6):
        start = 3.0 + k * 3.0 + (first_top_s if k else 0.0)
        x = (t - start) / 3.0
        inside = (x >= 0) & (x < 1)
        peak, low = (8.0 if k == 0 else 16.0), -6.0
        if k == 0:
            # the first rep rises from the start (0), optionally holds its top
            rise = (t >= start) & (t < start + 1.2)
            along[rise] = bump(x[rise], peak, 0.0)
            along[(t >= start + 1.2) & (t < start + 1.2 + first_top_s)] = peak
            fall = (t >= start + 1.2 + first_top_s) & (t < start + 3.0 + first_top_s)
            y = (t[fall] - (start + 1.2 + first_top_s)) / 1.8
            along[fall] = low + (peak - low) * np.cos(0.5 * np.pi * y) ** 2
        else:
            along[inside] = np.where(x[inside] < 0.4,
                                     low + (peak - low) * np.sin(np.pi * x[inside] / 0.8) ** 2,
                                     low + (peak - low) * np.cos(
                                         0.5 * np.pi * (x[inside] - 0.4) / 0.6) ** 2)
    end = 3.0 + first_top_s + 6 * 3.0
    along[t >= end] = low * np.exp(-(t[t >= end] - end) / 0.4)
    found, rest = _reps_of_a_tilt(t, along, rng, 0.05, 3.0)
    assert len(found) == 6
    assert t[found[0].start] < 3.6
    assert rest.found and t[rest.reference[-1]] <= 3.3


@xfail((
    "measured: 0-39 % of the reference inside the true still start (home is taken at "
    "the turning points, so the fidget, the still start and rep 1 become one rep). Taking "
    "the still start's level for home when the rests are brief fixed these (69-87 %) and "
    "the r2 knee drives (drop RMSE 0.78 -> 0.62 deg) but narrowed the real UI-PRMD hurdle "
    "steps' reps, which rest as briefly 3 deg below their start (drop RMSE 0.70 -> 1.04 "
    "deg): reverted, real movement first"))
@pytest.mark.parametrize("exercise, side, seed", [
    ("knee_drive", "right", 1), ("knee_drive", "right", 2), ("prone_hip_extension", "left", 5)])
def test_reps_that_overshoot_into_the_next_one_are_measured_from_the_still_start(
        exercise, side, seed):
    """Fidgety sets at realism 2 going straight from rep to rep and turning 35 %
    below the start after each: the reference should be the still start before
    rep 1 (at least 60 % of it inside the true one)."""
    spec = SetSpec(exercise, side, reps=10, fault_deg=4.0, fidget=False,
                   **{**PLAIN, "start": "fidgety", "rep_profile": "skewed",
                      "overshoot": 0.35, "continuous": True})
    sim, result = _run((spec,), seed, 2.0)
    truth = sim.truth["sets"][0]
    got = result.sets[0]
    assert got.rep_count == truth["rep_count"]
    (a, b), (c, d) = truth["reference_s"], got.reference_s
    assert max(0.0, min(b, d) - max(a, c)) >= 0.6 * (d - c)


@xfail((
    "measured: knee drives (7 deg drop) whose sway spans 0.6-0.9x the rep: noise floor "
    "1.3-1.6 deg against 14-15 deg 'typical' reps, so no data_quality alert on seeds 0-2; "
    "an excessive_pelvic_drop alert on seed 1 (and 5 reps of 8 on seed 2)"))
def test_noisy_set_gets_the_data_quality_alert_and_no_threshold_flag(monkeypatch):
    plans = []

    def capture(*args, **kwargs):
        plan = original(*args, **kwargs)
        plans.append(plan)
        return plan

    original = sim_session.plan_set
    monkeypatch.setattr(sim_session, "plan_set", capture)
    ex = EXERCISES["knee_drive"]
    name, direction = ex.rep_signal
    failures = []
    for seed in range(3):
        plans.clear()
        spec = SetSpec("knee_drive", "left", reps=8, fault_deg=7.0, sway_scale=6.0,
                       fidget=False, **PLAIN)
        sim = simulate_session(SessionSpec(sets=(spec,), realism=1.0), seed)
        # the premise: the sway's 5-95 % range on the rep signal is over half the rep
        plan = plans[0]
        t = np.arange(plan.start_s, plan.end_s, 0.01)
        ref = (t >= plan.reference_s[0]) & (t <= plan.reference_s[1])
        full = direction * angle_signals("knee_drive", "left", plan.motion.orientation(t),
                                         ref)[name]
        plain = direction * angle_signals("knee_drive", "left",
                                          plan.motion.orientation(t, sway=False), ref)[name]
        sway = np.percentile(full - plain, 95) - np.percentile(full - plain, 5)
        rep = np.median([plain[(t >= r.start_s) & (t <= r.end_s)].max() for r in plan.reps])
        _premise(sway > 0.5 * rep, (seed, sway, rep))
        got = analyze(sim.session).sets[0]
        alert = any(f.code == "data_quality" and f.severity == "alert" and "sway" in f.message
                    for f in got.flags)
        threshold = any(f.code == "excessive_pelvic_drop" for f in got.flags)
        if not alert or threshold:
            failures.append((seed, alert, threshold))
    assert not failures


# ----------------------------------------------------------- 6. rep shapes

SHAPE_SEEDS = range(6)


@pytest.mark.parametrize("shape, realism", [
    ("double_hump", 1.0),
    ("split_squat", 1.0),
    ("lunge", 1.0),
    ("double_hump", 2.0),
    ("split_squat", 2.0),
    ("lunge", 2.0),
])
def test_multi_hump_squats_count_one_rep_each(shape, realism):
    for seed in SHAPE_SEEDS:
        spec = SetSpec("single_leg_squat", "left", reps=8, fidget=False,
                       **{**PLAIN, "rep_shape": shape})
        sim, result = _run((spec,), seed, realism)
        truth = sim.truth["sets"][0]
        _premise(truth["rep_shape"] == shape and all(r["humps"] >= 2 for r in truth["reps"]))
        diff = result.sets[0].rep_count - truth["rep_count"]
        assert diff == 0, (seed, diff)


def test_pelvis_height_follows_a_squat_within_2_cm_and_is_unknown_around_a_gap():
    from hipsense.analysis.motion import pelvis_height_m

    rate_hz, depth_m, freq_hz = 100.0, 0.2, 0.25
    t = np.arange(0.0, 40.0, 1.0 / rate_hz)
    w = 2 * np.pi * freq_hz
    z = -depth_m / 2 * (1 - np.cos(w * t))           # down 20 cm and back, every 4 s
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 1.0 + depth_m / 2 * w * w * np.cos(w * t) * -1 / 9.80665
    up = np.tile([0.0, 0.0, 1.0], (t.size, 1))
    height = pelvis_height_m(t, acc, up)
    inner = (t > 8) & (t < 32)
    # the high-pass keeps the swing (20 cm peak to peak), not the mean level
    assert np.ptp(height[inner]) == pytest.approx(depth_m, abs=0.02)
    assert np.abs((height - height[inner].mean())[inner] - (z - z.mean())[inner]).max() < 0.02
    keep = (t < 20.0) | (t > 21.0)                     # one second lost
    gapped = pelvis_height_m(t[keep], acc[keep], up[keep])
    tk = t[keep]
    assert np.isnan(gapped[(tk > 19.6) & (tk < 22.9)]).all()
    assert not np.isnan(gapped[(tk < 19.4) | (tk > 23.1)]).any()


@pytest.mark.parametrize("realism", [1.0, 2.0])
def test_clamshell_small_reps_in_rhythm_are_counted(realism):
    for seed in SHAPE_SEEDS:
        spec = SetSpec("clamshell", "left", reps=12, fidget=False, **{**PLAIN, "small_reps": 3})
        sim, result = _run((spec,), seed, realism)
        truth = sim.truth["sets"][0]
        _premise(len(truth["small_reps"]) == 3, truth["small_reps"])
        got = result.sets[0]
        # not exact now, so within one: measured at realism 1, exact on seeds 0-4 and
        # 11 of 12 on seed 5 (the small rep 5 merged with rep 6); at realism 2
        # exact on seeds 1-5 and 13 on seed 0 (15 and 11 before a small rep
        # whose top sways was taken as one)
        assert abs(got.rep_count - 12) <= 1, (seed, got.rep_count)
        found = {t["index"] for _, t in _match(got, truth["reps"])}
        assert set(truth["small_reps"]) <= found, seed


def test_three_quick_fidgets_before_the_first_rep_are_not_reps():
    """The first set of the realism 2 benchmark's session 3009 on its own: three
    weight shifts (one as large as a rep) before eight clamshells held 3.8 s
    at the top. Each quick first "rep" is taken back in turn (the old rule took
    back only one: 10 reps in the benchmark, 5 here)."""
    spec = SetSpec("clamshell", "left", reps=8, hold_s=3.8, fault_deg=3.85)
    sim, result = _run((spec,), 3009, 2.0,
                       (("rate_hz", 200.0), ("packet_loss", 0.0288)))
    _premise(len(sim.truth["sets"][0]["fidgets_s"]) >= 3)
    assert result.sets[0].rep_count == 8


def test_a_fidget_dip_or_an_overshoot_below_home_is_not_home():
    """Continuous clamshells (no rest at home) overshooting by 37 % after a
    fidgety start, at realism 2: the fidget's dip and one deep overshoot are the
    lowest rests, but home is where most rests are (the old rule took the dip:
    2 reps of 10 on seed 3)."""
    diffs = []
    for seed in range(10):
        spec = SetSpec("clamshell", "left", reps=10, hold_s=3.0, fault_deg=6.0, start="fidgety",
                       rep_shape="simple", rep_profile="skewed", overshoot=0.37,
                       continuous=True, small_reps=2, gaps=0)
        sim, result = _run((spec,), seed, 2.0)
        _premise(sim.truth["sets"][0]["start_kind"] == "fidgety")
        diffs.append(result.sets[0].rep_count - sim.truth["sets"][0]["rep_count"])
    # measured: exact on 8 of 10, +1 on seeds 8 and 9 (a fidget after the last rep)
    assert all(abs(d) <= 1 for d in diffs), diffs
    assert sum(d == 0 for d in diffs) >= 8, diffs


# ------------------------------------------------------ 7. gaps inside reps

@pytest.mark.parametrize("exercise, side", [
    ("hip_bridge", "both"),
    pytest.param("knee_drive", "left", marks=xfail((
        "measured: 7 reps of 8 on seed 5 (a 0.92 s gap in rep 2); the gap reps found are "
        "all unmeasured and the other reps within 0.76 deg"))),
    pytest.param("single_leg_squat", "left", marks=xfail((
        "measured: 7 reps of 8 on seed 0 (a 0.54 s gap in rep 6); other reps off by up to "
        "1.38 (seed 1) and 1.16 deg (seed 5)"))),
])
def test_rep_with_a_long_gap_is_counted_unmeasured_and_the_others_stay_accurate(
        exercise, side):
    for seed in range(6):
        spec = SetSpec(exercise, side, reps=8, fidget=False, **{**PLAIN, "gaps": 2})
        sim, result = _run((spec,), seed, 1.0)
        got, truth = result.sets[0], sim.truth["sets"][0]
        gap_reps = {r["index"] for r in truth["reps"] if r["longest_gap_s"] > 0.5}
        _premise(bool(gap_reps), seed)  # at least one rep loses over 0.5 s
        assert got.rep_count == truth["rep_count"], seed
        for g, t in _match(got, truth["reps"]):
            if t["index"] in gap_reps:
                assert all(v is None for v in g.metrics.values()), (seed, t["index"])
            else:
                for name, value in t["metrics"].items():
                    assert g.metrics[name] is not None, (seed, t["index"])
                    assert abs(g.metrics[name] - value) <= 1.0, (seed, t["index"], name)


@pytest.mark.parametrize("which", [0, -1])
@pytest.mark.parametrize("exercise, side", [("single_leg_squat", "right"),
                                            ("hip_bridge", "both")])
def test_a_first_or_last_rep_whose_top_is_lost_in_a_gap_is_counted_unmeasured(
        exercise, side, which):
    """The data from 60 % of the rise of the first (last) rep to 40 % of its
    return is lost: what is left looks like a bump of a third of a rep before
    the first full rep (after the last), which is a fidget unless its top
    touches the gap (the old rule dropped the first: 7 reps of 8 on seed 0).
    Not asserted: knee drives and clamshells, whose quick rise and long top
    leave a bump within the noise floor (7 reps of 8)."""
    for seed in range(3):
        spec = SetSpec(exercise, side, reps=8, fidget=False, **PLAIN)
        sim, _ = _run((spec,), seed, 1.0)
        info, rec = sim.session.sets[0]
        rep = sim.truth["sets"][0]["reps"][which]
        top_end_s = rep["start_s"] + rep["up_s"] + rep["hold_s"]
        lost = (rec.time_s > rep["start_s"] + 0.6 * rep["up_s"]) & (
            rec.time_s < top_end_s + 0.4 * rep["down_s"])
        _premise(lost.sum() > 0)
        keep = ~lost
        cut = dataclasses.replace(sim.session, sets=[(info, Recording(
            rec.time_s[keep], rec.acc_g[keep], rec.gyr_dps[keep]))])
        got = analyze(cut).sets[0]
        assert got.rep_count == 8, seed
        ((cut_rep, _),) = _match(got, [rep])
        assert all(v is None for v in cut_rep.metrics.values()), seed


def test_a_small_rep_whose_top_wobbles_is_one_rep():
    """Eight 3 deg clamshells of 5 s (1.5 s up, 1.5 s held, 1.5 s down); the
    fifth only 1.6 deg, its top swaying down to 0.5 deg for a moment (a third
    of its excursion: not home). Each half is far shorter than a rep and
    together they are one: 8 reps (two before)."""
    rng = np.random.default_rng(11)
    t = np.arange(0.0, 3.0 + 8 * 5.0 + 3.0, 0.01)
    phase, k = (t - 3.0) % 5.0, np.floor((t - 3.0) / 5.0)
    inside = (t >= 3.0) & (t < 3.0 + 8 * 5.0)
    shape = np.interp(phase, [0.0, 1.5, 3.0, 4.5, 5.0], [0.0, 1.0, 1.0, 0.0, 0.0])
    wobbly = np.interp(phase, [0.0, 1.5, 2.25, 3.0, 4.5, 5.0], [0.0, 1.6, 0.5, 1.6, 0.0, 0.0])
    along = np.where(inside, np.where(k == 4, wobbly, 3.0 * (0.5 - 0.5 * np.cos(np.pi * shape))),
                     0.0)
    found, _ = _reps_of_a_tilt(t, along, rng, 0.03, 0.5)
    assert len(found) == 8
    starts = np.array([t[r.start] for r in found])
    assert np.abs(starts - (3.0 + 5.0 * np.arange(8))).max() < 0.5


def test_squat_humps_where_the_height_is_unknown_are_held_together_by_the_rhythm():
    """Eight 5 s squats whose tilt rises twice and comes home between (a
    lunge's step and descent), the pelvis lowered once per rep; over rep 4
    the height is unknown (a gap beside it), so the lowerings cannot hold its
    humps together: the rhythm does (two pieces, one far shorter than a rep,
    together about one). Measured: 9 reps (rep 5, whose lowering borders the
    unknown height, still splits); 10 before."""
    rng = np.random.default_rng(2)
    t = np.arange(0.0, 3.0 + 8 * 5.0 + 3.0, 0.01)
    phase, k = (t - 3.0) % 5.0, np.floor((t - 3.0) / 5.0)
    inside = (t >= 3.0) & (t < 3.0 + 8 * 5.0)

    def hump(x):
        return np.sin(np.pi * np.clip(x, 0, 1)) ** 2

    along = np.where(inside, 10.0 * (hump(phase / 1.8) + hump((phase - 2.0) / 1.8)), 0.0)
    depth = np.where(inside, 0.15 * hump((phase - 0.3) / 3.4), 0.0)
    depth[(k == 3) & inside] = np.nan
    found, _ = _reps_of_a_tilt(t, along, rng, 0.05, 3.0, depth)
    assert abs(len(found) - 8) <= 1
    # rep 4 (18-23 s) is one
    assert sum(1 for r in found if 18.0 <= t[r.start] < 22.5) == 1


def test_a_last_rep_that_reaches_its_top_as_the_data_stops_is_a_rep():
    """Eight reps (1 s up, 1 s held, 1 s down, 1 s rest); the data of the last
    one is lost from just before it reaches its top until it is back down,
    past the rest (a 2 s drop of the link). What is left rises fully, so it
    is a rep, not a quick fidget after the set (the old rule judged its time
    at the top without the gap, the smoothing across the gap pulling the last
    samples down: 7 reps)."""
    from hipsense.analysis.segmentation import find_reps
    rate_hz, rng = 100.0, np.random.default_rng(7)
    t = np.arange(0.0, 3.0 + 8 * 4.0 + 3.0, 1.0 / rate_hz)
    phase = (t - 3.0) % 4.0
    inside = (t >= 3.0) & (t < 3.0 + 8 * 4.0)
    shape = np.interp(phase, [0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 1.0, 0.0, 0.0])
    along = np.where(inside, 12.0 * (0.5 - 0.5 * np.cos(np.pi * shape)), 0.0)
    last = 3.0 + 7 * 4.0
    along[(t >= last + 3.0) & (t < last + 3.6)] = -3.0  # back down past the rest
    rate = np.abs(np.gradient(along, t)) + rng.uniform(0.2, 0.4, t.size)
    along += rng.normal(0.0, 0.05, t.size)
    keep = ~((t > last + 0.9) & (t < last + 3.0))
    t, along, rate = t[keep], along[keep], rate[keep]
    ax = np.radians(along)
    up = np.column_stack([np.zeros_like(ax), np.sin(ax), np.cos(ax)])
    found, _ = find_reps(t, along, up, rate, (0, t.size), 3.0)
    assert len(found) == 8
    assert t[found[-1].start] > last - 0.5


@pytest.mark.parametrize("realism", [
    1.0,
    pytest.param(2.0, marks=xfail((
        "measured at realism 2: up to 0.63 deg (seeds 0-3; 1.37 on seed 5)"))),
])
def test_orientation_across_a_0_8_s_gap_in_a_squat_agrees_with_the_gap_free_one(realism):
    worst = 0.0
    for seed in range(4):
        spec = SetSpec("single_leg_squat", "left", reps=5, fidget=False, **PLAIN)
        sim, _ = _run((spec,), seed, realism)
        rec, truth = sim.session.sets[0][1], sim.truth["sets"][0]
        gyr = rec.gyr_dps - np.asarray(sim.truth["gyr_bias_dps"])
        up = gravity_up(rec.time_s, rec.acc_g, gyr)
        for k in (1, 3):
            rep = truth["reps"][k]
            # on the way down, and on the way up
            for a in (rep["start_s"] + 0.1, rep["end_s"] - 0.9):
                keep = (rec.time_s < a) | (rec.time_s >= a + 0.8)
                # the premise: the pelvis turns by 4.6-22 deg during the gap
                lost = np.flatnonzero(~keep)
                turn = max(_angle_deg(up[lost[0] - 1], up[i]) for i in lost)
                _premise(turn > 3.0, (seed, k, a, turn))
                up_gap = gravity_up(rec.time_s[keep], rec.acc_g[keep], gyr[keep])
                cos = np.clip((up_gap * up[keep]).sum(axis=1), -1.0, 1.0)
                worst = max(worst, float(np.degrees(np.arccos(cos)).max()))
    # measured at realism 1: at most 0.51 deg (0.49 with the tighter |acc| gate)
    assert worst <= 0.55, f"{worst:.2f} deg"


# ------------------------------------------------- 8. holds with settle wobble

@pytest.mark.parametrize("exercise, side, realism", [
    ("hip_flexor_stretch", "right", 1.0),
    ("hip_stretch", "left", 1.0),
    ("hip_flexor_stretch", "right", 2.0),
    ("hip_stretch", "left", 2.0),
])
def test_stretch_hold_edges_after_a_wobbly_settling_within_1_s(exercise, side, realism):
    for seed in range(6):
        spec = SetSpec(exercise, side, hold_s=30.0, start="quiet", settle=True, fidget=False)
        sim, result = _run((spec,), seed, realism)
        truth = sim.truth["sets"][0]
        _premise(truth["settle_s"] is not None)
        got = result.sets[0]
        assert len(got.holds) == 1, seed  # none missed
        hold, true = got.holds[0], truth["holds"][0]
        # measured at realism 1 (hip flexor stretch): within 0.11 s
        assert abs(hold.start_s - true["start_s"]) <= 1.0, (seed, hold.start_s - true["start_s"])
        assert abs(hold.end_s - true["end_s"]) <= 1.0, (seed, hold.end_s - true["end_s"])


def test_a_small_stretch_adjusted_out_of_its_deepest_posture_is_held_from_the_way_in():
    """Still for 3 s, into a small stretch (6.5 deg of tilt, 3 deg of roll) by
    4.5 s, held there to 15.5 s, adjusted to (5.8, 1.5) by 16.5 s and to
    (4.9, 0) by 20.5 s, held to 35.5 s: the core is the last posture, and the
    first is 3.4 deg from it. Knowing the stretch's angle, the rest before
    getting in is the still start (the stretch deepens from it), not the
    deeper first posture, so the hold starts at the way in (within 1 s of
    4.5 s). In the benchmark (seed 1022, realism 2, a 6 deg knee-to-chest
    stretch) the first posture was taken for the rest: the hold started 15 s
    late and its tilt was 6.7 deg off (0.2 deg now); this hand-built set keeps
    the shape as a guard."""
    from hipsense.analysis.segmentation import find_hold
    from hipsense.analysis.motion import smoothed_rate
    rate_hz, rng = 100.0, np.random.default_rng(4)
    t = np.arange(0.0, 40.0, 1.0 / rate_hz)
    keys_s = [0.0, 3.0, 4.5, 15.5, 16.5, 19.5, 20.5, 35.5, 37.0, 40.0]
    tilt = np.interp(t, keys_s, [0, 0, 6.5, 6.5, 5.8, 5.8, 4.9, 4.9, 0, 0])
    roll = np.interp(t, keys_s, [0, 0, 3.0, 3.0, 1.5, 1.5, 0.0, 0.0, 0, 0])
    tilt = tilt + 0.15 * np.sin(2 * np.pi * 0.3 * t)
    roll = roll + 0.15 * np.sin(2 * np.pi * 0.25 * t + 1.0)
    th, ph = np.radians(tilt), np.radians(roll)
    up = np.column_stack([np.sin(th) * np.cos(ph), -np.sin(ph), np.cos(th) * np.cos(ph)])
    gyr = np.column_stack([np.gradient(roll, t), np.gradient(tilt, t), np.zeros_like(t)])
    gyr = gyr + rng.normal(0.0, 0.3, gyr.shape)
    rate = smoothed_rate(t, gyr, 0.3)
    first, last, reference, quiet = find_hold(t, up, gyr, rate, (0, t.size), tilt)
    assert abs(t[first] - 4.5) <= 1.0
    assert abs(t[last] - 35.5) <= 1.0
    assert quiet and t[reference[-1]] <= 3.2


def test_hold_edges_after_a_slow_ending_way_in_are_where_the_rate_is_down_to_the_hold_s():
    """Knee-to-chest stretches whose way in slows down early (a skewed
    profile: the last 0.2 deg take a second): the hold starts where the
    rate is down to the hold's own typical level, not where it first
    dips under its restless level (measured on seeds 0-7, realism 1: start
    within 0.73 s, end within 0.24 s; before, 1.0 and 0.39 s early and late)."""
    for seed in range(8):
        spec = SetSpec("hip_stretch", "left", hold_s=30.0, start="quiet", settle=False,
                       fidget=False, rep_profile="skewed")
        start_s, end_s = _hold_edge_errors_s(spec, seed, 1.0)
        assert abs(start_s) <= 0.75, (seed, start_s)
        assert abs(end_s) <= 0.3, (seed, end_s)


def test_a_wobble_soon_after_a_way_in_that_slows_down_early_is_not_hold():
    """Realism 2 knee-to-chest stretches with a skewed way in (the posture is
    reached a second or two before the keyframe ends) and a settling wobble
    after it: the wobble, up to 4 s after the posture is reached, is not hold
    (measured on seeds 30-39: start within 0.4 s; 3.3 s early on seed 35
    before, the wobble 2.1 s after the arrival)."""
    for seed in range(30, 40):
        spec = SetSpec("hip_stretch", "left", hold_s=25.0, start="quiet", settle=True,
                       fidget=False, rep_profile="skewed")
        start_s, _ = _hold_edge_errors_s(spec, seed, 2.0)
        assert abs(start_s) <= 0.75, (seed, start_s)


def _hold_edge_errors_s(spec: SetSpec, seed: int, realism: float) -> tuple[float, float]:
    """(start, end) of the one hold found in a simulated stretch set, minus the
    truth's (s)."""
    sim, result = _run((spec,), seed, realism)
    (hold,) = result.sets[0].holds
    true = sim.truth["sets"][0]["holds"][0]
    return hold.start_s - true["start_s"], hold.end_s - true["end_s"]


def test_after_stepping_in_the_rest_beside_a_small_stretch_is_not_hold():
    """A hip stretch begun standing (the set's first second is 90 deg from the
    hold): the hold's posture is judged against the rest just before it on
    the floor, so lying back down 5.5 deg from a small stretch is not hold
    (measured: both edges within 0.9 s on seeds 16-21; seed 18's hold ran to
    the end of the recording, 6.2 s late, before)."""
    for seed in range(16, 22):
        spec = SetSpec("hip_stretch", "right", hold_s=25.0, start="step_in", fidget=False)
        start_error, end_error = _hold_edge_errors_s(spec, seed, 1.0)
        assert abs(start_error) <= 1.0 and abs(end_error) <= 1.0, (seed, start_error, end_error)


def test_an_adjustment_that_stays_inside_a_hold_does_not_end_it():
    """Hip stretches at realism 2 (adjustments of up to 3 deg that stay, in most
    holds): the hold's end is where the runner comes out, not the adjustment
    (measured: within 0.2 s on seeds 10-15; the old rule ended seed 13's hold
    13.3 s early)."""
    for seed in range(10, 16):
        spec = SetSpec("hip_stretch", "left", hold_s=30.0, start="quiet", fidget=False)
        _, end_error = _hold_edge_errors_s(spec, seed, 2.0)
        assert abs(end_error) <= 1.0, (seed, end_error)


@pytest.mark.parametrize("realism", [1.0, 2.0])
@pytest.mark.parametrize("exercise, side", [("hip_flexor_stretch", "right"),
                                            ("hip_stretch", "left")])
@pytest.mark.parametrize("start", ["quiet", "step_in", "mid_movement", "fidgety"])
def test_stretch_reference_is_the_rest_before_getting_in_tilt_within_0_75_deg(
        exercise, side, start, realism):
    """Not a pause at the lean on the way into a flexor stretch, nor one near the
    top just before the settling wobble, nor the stand before stepping in
    (measured: within 0.56 deg on seeds 0-5; up to 11 deg before)."""
    for seed in range(4):
        spec = SetSpec(exercise, side, hold_s=30.0, start=start, fidget=False)
        sim, result = _run((spec,), seed, realism)
        (hold,) = result.sets[0].holds
        true = sim.truth["sets"][0]["holds"][0]["metrics"]["posterior_tilt_deg"]
        assert abs(hold.metrics["posterior_tilt_deg"] - true) <= 0.75, seed


def test_a_set_that_never_rests_gives_results_not_a_traceback():
    """A sensor spinning at 180 deg/s for the whole set (no rest, no rep shape):
    every exercise still gives a JSON result with no NaN (this crashed once:
    the quiet start before the first rep ran past the recording's end)."""
    import json

    from hipsense.core import Session, SetInfo

    n = 1500
    t = np.arange(n) / 100.0 + 100.0
    a = 2 * np.pi * 0.5 * (t - t[0])
    spin = Recording(t, np.column_stack([np.cos(a), np.sin(a), np.zeros(n)]),
                     np.tile([0.0, 0.0, 180.0], (n, 1)))
    sets = [(SetInfo(f"set{i:02d}.csv", ex, EXERCISES[ex].sides[0]), spin)
            for i, ex in enumerate(EXERCISES)]
    result = analyze(Session({"format": "hipsense-session", "version": 1}, spin, sets))
    json.dumps(result.to_json(), allow_nan=False)
    assert result.calibration["grade"] == "poor"
    assert len(result.sets) == len(EXERCISES)


# ------------------------------------------- 6b. rep shapes, hand-built signals

def _signal(points, rate_hz=100.0, seed=0):
    """A movement signal (deg) through ``points`` [(duration_s, level_deg)],
    minimum jerk between levels, with 0.1 deg of sway; returns (t, m, up, rate_dps)
    as find_reps takes them (up turned by m about the sensor's x)."""
    rng = np.random.default_rng(seed)
    t_s, m = [0.0], [points[0][1]]
    for duration, level in points[1:]:
        n = max(int(round(duration * rate_hz)), 1)
        x = np.arange(1, n + 1) / n
        shape = 10 * x**3 - 15 * x**4 + 6 * x**5
        t_s.extend(t_s[-1] + x * duration)
        m.extend(m[-1] + (level - m[-1]) * shape)
    t = np.array(t_s)
    m = np.array(m) + 0.1 * np.sin(2 * np.pi * 0.4 * t)
    rate = np.abs(np.gradient(m, t)) + rng.uniform(0.2, 0.4, t.size)
    m = m + rng.normal(0, 0.03, t.size)
    rad = np.radians(m)
    up = np.column_stack([np.zeros_like(rad), np.sin(rad), np.cos(rad)])
    return t, m, up, rate


def _count(points, depth=None):
    from hipsense.analysis.segmentation import find_reps
    t, m, up, rate = _signal(points)
    depth_m = None if depth is None else depth(t)
    reps, _ = find_reps(t, m, up, rate, (0, t.size), 1.0, depth_m)
    return reps


def test_reps_that_overshoot_and_go_straight_on_count_from_the_still_start():
    """Clamshells from a 3 s still start at 0 deg: four reps to 8 deg, each
    overshooting to -3 deg and going straight into the next, then three small
    tired reps (2.4 deg) resting at 0. Home is the still start's level, not
    the overshoots' turning points (taken as home before: 3 reps, one across
    two)."""
    points = [(0.0, 0.0), (3.0, 0.0)]
    for _ in range(4):
        points += [(1.2, 8.0), (3.0, 8.0), (1.2, -3.0)]
    points += [(0.8, 0.0), (1.5, 0.0)]
    for _ in range(3):
        points += [(1.2, 2.4), (3.0, 2.4), (1.2, 0.0), (1.5, 0.0)]
    reps = _count(points)
    assert len(reps) == 7


def test_squats_that_go_straight_into_the_next_count_one_rep_per_lowering():
    """Six double-humped squats (tilt to 15 deg, a dip to 8 between the humps)
    going straight into the next: between three of them the tilt only comes
    back to 4.5 deg (30 % of the rep, not home), but the pelvis rises between
    lowerings. One rep per lowering of the pelvis (3 reps before);
    a bounce at the bottom of one squat (two troughs 1.1 s apart) is not two."""
    rep_s = 2.8
    points = [(0.0, 0.0), (3.0, 0.0)]
    for between in (0.0, 4.5, 4.5, 0.0, 4.5, 0.0):
        points += [(0.8, 15.0), (0.6, 8.0), (0.6, 15.0), (0.8, between)]
    points += [(3.0, 0.0)]

    def depth(t):
        x = (t - 3.0) / rep_s
        d = 0.1 * np.sin(np.pi * x) ** 2
        wobble = (x > 2) & (x < 3)
        d[wobble] = 0.1 * (np.exp(-(((x[wobble] - 2.3) / 0.12) ** 2))
                           + np.exp(-(((x[wobble] - 2.7) / 0.12) ** 2)))
        return np.where((x > 0) & (x < 6), d, 0.0)

    reps = _count(points, depth)
    t = _signal(points)[0]
    assert len(reps) == 6
    starts = np.array([t[r.start] for r in reps])
    assert np.abs(starts - (3.0 + rep_s * np.arange(6))).max() < 0.6


def test_a_quiet_start_left_before_the_rep_rises_is_still_the_reference():
    """3 s standing still, then 0.6 s before the first rep's tilt rises the
    pelvis turns 4 deg across the reps' direction (a lunge's step forward),
    and stays turned so between reps. The quiet start is the reference (taken
    as the rests between reps before, 4 deg off the start: the lunges' tilt
    2.5-3 deg low)."""
    from hipsense.analysis.segmentation import find_reps
    rate_hz, rng = 100.0, np.random.default_rng(3)
    t = np.arange(0.0, 24.0, 1.0 / rate_hz)

    def ease(x):
        x = np.clip(x, 0.0, 1.0)
        return 10 * x**3 - 15 * x**4 + 6 * x**5

    across = 4.0 * ease((t - 3.0) / 0.6)  # deg about the sensor's y
    phase = (t - 3.6) % 4.0
    reps = (t >= 3.6) & (t < 3.6 + 5 * 4.0)
    along = np.where(reps, 15.0 * np.sin(np.pi * np.clip(phase / 2.5, 0, 1)) ** 2, 0.0)
    rate = np.hypot(np.gradient(along, t), np.gradient(across, t)) + rng.uniform(0.2, 0.4, t.size)
    along += rng.normal(0.0, 0.05, t.size)
    ax, ay = np.radians(along), np.radians(across)
    up = np.column_stack([np.sin(ay) * np.cos(ax), np.sin(ax), np.cos(ay) * np.cos(ax)])
    found, rest = find_reps(t, along, up, rate, (0, t.size), 3.0)
    assert len(found) == 5
    assert rest.found
    assert t[rest.reference[0]] < 1.0 and 2.0 <= t[rest.reference[-1]] <= 3.05
