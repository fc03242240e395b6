"""The simulator's realities of real movement (``realism``): each one is there,
has its intended size, can be forced, and keeps the truth contract of
measurements.md; realism 0 is the original simulator, bit for bit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np
import pytest
from scipy.signal import butter, find_peaks, sosfiltfilt
from scipy.spatial.transform import Rotation

from hipsense.exercises import EXERCISES
from hipsense.sim import ImuErrors, Mounting, Sampler, SessionSpec, SetSpec, simulate_session
from hipsense.sim.imu import ideal_imu, record
from hipsense.sim.movements import START_KINDS, _resolve_realities, plan_calibration, plan_set
from hipsense.sim.session import programme_sets
from hipsense.sim.truth import TRUTH_RATE_HZ, angle_signals, set_truth

# ------------------------------------------------------------ realism 0


def _digest(sim) -> str:
    h = hashlib.sha256()
    for rec in [sim.session.calibration] + [r for _, r in sim.session.sets]:
        for a in (rec.time_s, rec.acc_g, rec.gyr_dps):
            h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    truth = {k: v for k, v in sim.truth.items() if k != "generator"}
    h.update(json.dumps(truth, sort_keys=True).encode())
    return h.hexdigest()


#: Recorded with the simulator as it was before realism existed.
ORIGINAL_DIGEST = "baee00a9e8b0922804f9ea9663b3e111808ba67279e6f57f868caff786f775ce"


@pytest.mark.parametrize("realism", [None, 0.0])
def test_realism_0_is_the_original_simulator_bit_for_bit(realism):
    spec = SessionSpec(sets=programme_sets(["single_leg_squat", "clamshell", "hip_stretch"],
                                           reps=6), packet_loss=0.02)
    if realism is not None:
        spec = replace(spec, realism=realism)
    sim = simulate_session(spec, seed=5)
    assert _digest(sim) == ORIGINAL_DIGEST
    assert "realism" not in sim.truth and "start_kind" not in sim.truth["sets"][0]


# ------------------------------------------------------ sway and wobble


def _quiet_gyro(exercise: str, side: str, realism: float, seed: int, *, wobble: bool = True
                ) -> np.ndarray:
    """30 s of the set's home posture (before its first keyframe) as the sensor
    records it, mean removed."""
    rng = np.random.default_rng(seed)
    plan = plan_set(SetSpec(exercise, side, reps=2, start="quiet", fidget=False), 100.0, rng,
                    realism=realism)
    motion = plan.motion if wobble else replace(plan.motion, wobble_deg=None)
    rec, _ = record(motion, 70.0, 100.0, Mounting.random(rng), ImuErrors.random(rng),
                    Sampler.random(rng, 104.0), rng)
    return rec.gyr_dps - rec.gyr_dps.mean(axis=0)


def _sd(g: np.ndarray) -> float:
    """SD of the gyroscope vector: sqrt of the sum of the per-axis variances."""
    return float(np.sqrt((g ** 2).sum(axis=1).mean()))


def _band(g: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    if low is None:
        sos = butter(4, high, "lowpass", fs=104.0, output="sos")
    else:
        sos = butter(4, [low, high], "bandpass", fs=104.0, output="sos")
    return sosfiltfilt(sos, g, axis=0)


SEEDS = range(5)


def test_two_leg_quiet_stand_sways_1_to_1_5_dps_and_the_sensor_wobbles_3_to_10_hz():
    for seed in SEEDS:
        g = _quiet_gyro("hip_flexor_stretch", "left", 1.0, seed)
        assert 1.0 <= _sd(g) <= 1.5, seed
        assert 0.8 <= _sd(_band(g, None, 1.5)) <= 1.3, seed       # the sway itself
        assert 0.4 <= _sd(_band(g, 3.0, 10.0)) <= 0.9, seed       # the skin wobble
        # without the wobble nothing is left at 3-10 Hz but sensor noise
        still = _quiet_gyro("hip_flexor_stretch", "left", 1.0, seed, wobble=False)
        assert _sd(_band(still, 3.0, 10.0)) < 0.1


def test_realism_2_doubles_the_sway_and_the_wobble():
    one = [_quiet_gyro("hip_flexor_stretch", "left", 1.0, s) for s in SEEDS]
    two = [_quiet_gyro("hip_flexor_stretch", "left", 2.0, s) for s in SEEDS]
    for g in two:
        assert 2.0 <= _sd(g) <= 3.0
    ratio = np.mean([_sd(g) for g in two]) / np.mean([_sd(g) for g in one])
    wobble = (np.mean([_sd(_band(g, 3.0, 10.0)) for g in two])
              / np.mean([_sd(_band(g, 3.0, 10.0)) for g in one]))
    assert 1.8 <= ratio <= 2.2 and 1.7 <= wobble <= 2.3


def test_one_leg_sways_more_and_lying_breathes_with_a_smaller_wobble():
    two_leg = np.mean([_sd(_quiet_gyro("hip_flexor_stretch", "left", 1.0, s)) for s in SEEDS])
    one_leg = np.mean([_sd(_quiet_gyro("single_leg_squat", "left", 1.0, s)) for s in SEEDS])
    lying = [_quiet_gyro("hip_bridge", "both", 1.0, s) for s in SEEDS]
    assert one_leg > 1.3 * two_leg
    assert np.mean([_sd(g) for g in lying]) < 0.6 * two_leg
    for g in lying:
        assert 0.1 <= _sd(_band(g, 3.0, 10.0)) <= 0.5           # smaller wobble
        assert _sd(_band(g, 0.15, 0.45)) > 0.15                   # breathing


def test_the_truth_excludes_the_wobble():
    plan = plan_set(SetSpec("knee_drive", "left", reps=3), 0.0, np.random.default_rng(1),
                    realism=1.0)
    assert plan.motion.wobble_deg is not None
    t = np.arange(plan.start_s, plan.end_s, 0.01)
    still = replace(plan.motion, wobble_deg=None)
    truth = set_truth(plan)
    assert truth == set_truth(replace(plan, motion=still))
    # but the sensor turns with it
    _, gyr = ideal_imu(plan.motion, t, Mounting())
    _, gyr_still = ideal_imu(still, t, Mounting())
    assert np.std(gyr - gyr_still) > 0.2


def test_calibration_stands_sway_and_sometimes_shift_weight():
    shifts = {1.0: 0, 2.0: 0}
    for realism in shifts:
        for seed in range(12):
            plan = plan_calibration(0.0, np.random.default_rng(seed), realism)
            assert plan.motion.wobble_deg is not None
            for a, b in plan.quiet_s:
                assert b - a >= 2.9
            for a, b in plan.weight_shifts_s:
                assert any(qa <= a and b <= qb + 1e-9 for qa, qb in plan.quiet_s)
            shifts[realism] += len(plan.weight_shifts_s)
            assert len(plan.hinges_s) == 2 and all(30 <= p <= 45 for p in plan.hinge_peak_deg)
    assert 2 <= shifts[1.0] < shifts[2.0]
    # the stands sway as quiet two-leg standing does
    plan = plan_calibration(0.0, np.random.default_rng(3), 1.0)
    rng = np.random.default_rng(4)
    rec, _ = record(plan.motion, -30.0, 0.0, Mounting(), ImuErrors.random(rng),
                    Sampler.random(rng, 104.0), rng)
    assert 1.0 <= _sd(rec.gyr_dps - rec.gyr_dps.mean(axis=0)) <= 1.5


# -------------------------------------------------------------- starts


def _plain_signals(plan, t):
    """The set's angle signals without sway (the keyframed movement), relative
    to the truth reference window."""
    ref = (t >= plan.reference_s[0]) & (t <= plan.reference_s[1])
    return angle_signals(plan.spec.exercise, plan.spec.side,
                         plan.motion.orientation(t, sway=False), ref)


def test_start_kinds_are_drawn_more_often_at_higher_realism():
    def kinds(realism):
        rng = np.random.default_rng(0)
        return [_resolve_realities(SetSpec("knee_drive", "left"), realism, rng).start
                for _ in range(400)]
    one, two = kinds(1.0), kinds(2.0)
    assert set(one) == set(START_KINDS)
    assert 0.15 < one.count("quiet") / 400 < 0.35
    assert two.count("quiet") < one.count("quiet")
    assert _resolve_realities(SetSpec("knee_drive", "left"), 0.0, np.random.default_rng(0)) \
        is None


@pytest.mark.parametrize("exercise, side", [("single_leg_squat", "left"),
                                            ("knee_drive", "right"),
                                            ("hip_flexor_stretch", "left")])
def test_step_in_start_reference_begins_after_the_step_and_is_quiet(exercise, side):
    for seed in range(3):
        rng = np.random.default_rng(seed)
        plan = plan_set(SetSpec(exercise, side, reps=3, start="step_in"), 50.0, rng, 1.0)
        truth = set_truth(plan)
        ref0, ref1 = truth["reference_s"]
        assert truth["start_kind"] == "step_in"
        assert truth["start_moves_s"] == [50.0, pytest.approx(ref0, abs=1e-3)]
        assert 1.5 - 1e-3 <= ref1 - ref0 <= 3.0 + 1e-3
        t = np.arange(plan.start_s, plan.end_s, 0.01)
        plain = _plain_signals(plan, t)
        horizontal = np.hypot(*[v for k, v in plain.items() if k != "posterior_tilt_deg"]) \
            if exercise != "hip_flexor_stretch" else np.abs(plain["posterior_tilt_deg"])
        # stepping in moved the pelvis by 3-12 deg of tilt/roll
        assert horizontal[0] >= (3.0 if exercise != "hip_flexor_stretch" else 0.0) - 1e-6
        assert np.max(horizontal[t < ref0]) <= 12.5
        # the reference window is still: keyframes constant, the gyro only sways
        window = (t >= ref0) & (t <= ref1)
        assert np.ptp(horizontal[window]) < 1e-6
        _, gyr = ideal_imu(plan.motion, t[window], Mounting())
        assert _sd(gyr - gyr.mean(axis=0)) < 3.0


@pytest.mark.parametrize("exercise, side", [("hip_bridge", "both"), ("clamshell", "left"),
                                            ("prone_hip_extension", "right")])
def test_lying_step_in_starts_standing_and_gets_down_in_3_to_6_s(exercise, side):
    rng = np.random.default_rng(2)
    plan = plan_set(SetSpec(exercise, side, reps=2, start="step_in", sway_scale=0.0),
                    10.0, rng, 1.0)
    acc, _ = ideal_imu(plan.motion, np.array([10.05, plan.reference_s[0] + 0.5]), Mounting())
    np.testing.assert_allclose(acc[0], [1.0, 0.0, 0.0], atol=0.01)   # upright: sensor x up
    up = EXERCISES[exercise].up_axis(side)                             # lying: the posture's up
    nominal = np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(acc[1], nominal.T @ up, atol=0.01)
    down_start, down_end = plan.fidgets_s[0]
    assert 3.0 <= down_end - down_start <= 6.0 + 1.0 + 1e-9  # plus settling on the floor


def test_mid_movement_start_is_moving_when_the_recording_begins():
    for seed in range(4):
        plan = plan_set(SetSpec("single_leg_squat", "right", reps=2, start="mid_movement",
                                sway_scale=0.0), 0.0, np.random.default_rng(seed), 1.0)
        t = np.arange(0.0, plan.reference_s[1], 0.01)
        _, gyr = ideal_imu(plan.motion, t[:10], Mounting())
        assert np.linalg.norm(gyr, axis=1).min() > 1.0              # moving at once
        plain = _plain_signals(plan, t)
        off = np.hypot(plain["pelvic_drop_deg"], plain["pelvic_tilt_deg"])
        assert 0.3 < off[0] < 10.0
        assert np.all(off[t >= plan.reference_s[0]] < 1e-6)          # settled at home


def test_short_and_fidgety_starts():
    plan = plan_set(SetSpec("knee_drive", "left", reps=2, start="short"), 0.0,
                    np.random.default_rng(0), 1.0)
    assert plan.reference_s[0] == 0.0 and 1.5 <= plan.reps[0].start_s <= 2.0
    for seed in range(4):
        plan = plan_set(SetSpec("knee_drive", "left", reps=2, start="fidgety", sway_scale=0.0),
                        0.0, np.random.default_rng(seed), 1.0)
        t = np.arange(0.0, plan.reference_s[1], 0.005)
        plain = _plain_signals(plan, t)
        tilt = np.hypot(plain["pelvic_drop_deg"], plain["pelvic_tilt_deg"])
        before = t < plan.reference_s[0]
        assert 1.0 - 1e-6 <= tilt[before].max() <= 3.0 + 1e-6
        assert np.all(tilt[~before] < 1e-6)
        assert 1.5 - 1e-9 <= plan.reference_s[1] - plan.reference_s[0] <= 3.0 + 1e-9


# ----------------------------------------------------------- rep shapes


def _maxima_per_rep(plan, truth, signal):
    t = np.arange(plan.start_s, plan.end_s, 1.0 / TRUTH_RATE_HZ)
    ref = (t >= plan.reference_s[0]) & (t <= plan.reference_s[1])
    values = angle_signals(plan.spec.exercise, plan.spec.side, plan.motion.orientation(t),
                           ref)[signal]
    out = []
    for rep in truth["reps"]:
        inside = (t >= rep["start_s"]) & (t <= rep["end_s"])
        v = values[inside]
        assert rep["metrics"][signal] == pytest.approx(v.max(), abs=1e-3)
        peaks, _ = find_peaks(v, prominence=0.1 * v.max())
        out.append((len(peaks), v, peaks))
    return out


def test_double_hump_squat_is_one_rep_with_two_tilt_maxima():
    plan = plan_set(SetSpec("single_leg_squat", "left", reps=4, rep_shape="double_hump"),
                    0.0, np.random.default_rng(3), 1.0)
    truth = set_truth(plan)
    assert truth["rep_count"] == 4 and truth["rep_shape"] == "double_hump"
    for n, v, peaks in _maxima_per_rep(plan, truth, "pelvic_tilt_deg"):
        assert n == 2
        dip = v[peaks[0]:peaks[1]].min() / v.max()
        assert 0.2 <= dip <= 0.8                    # back to 0.3-0.7 T at the bottom
        assert v[0] < 0.1 * v.max() and v[-1] < 0.25 * v.max()   # from home, back home


@pytest.mark.parametrize("shape, humps", [("split_squat", (2, 3)), ("lunge", (3,))])
def test_split_squat_and_lunge_have_several_humps_per_rep(shape, humps):
    plan = plan_set(SetSpec("single_leg_squat", "right", reps=4, rep_shape=shape),
                    0.0, np.random.default_rng(5), 1.0)
    truth = set_truth(plan)
    assert truth["rep_count"] == 4
    for rep, (n, _, _) in zip(truth["reps"], _maxima_per_rep(plan, truth, "pelvic_tilt_deg")):
        assert n in humps and rep["humps"] == n


def test_rep_shape_is_checked():
    with pytest.raises(ValueError, match="single_leg_squat"):
        plan_set(SetSpec("clamshell", "left", rep_shape="lunge"), 0.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="start"):
        plan_set(SetSpec("clamshell", "left", start="sideways"), 0.0, np.random.default_rng(0))


def test_overshoot_continuous_reps_and_small_reps():
    plan = plan_set(SetSpec("knee_drive", "left", reps=6, overshoot=0.15, continuous=True,
                            sway_scale=0.0), 0.0, np.random.default_rng(2), 1.0)
    truth = set_truth(plan)
    for a, b in zip(truth["reps"], truth["reps"][1:]):
        assert b["start_s"] - a["end_s"] <= 0.1 + 1e-3
    t = np.arange(plan.start_s, plan.end_s, 0.005)
    tilt = _plain_signals(plan, t)["pelvic_tilt_deg"]
    for rep in truth["reps"]:
        v = tilt[(t >= rep["start_s"]) & (t <= rep["end_s"])]
        # the knee drive tucks the pelvis (tilt < 0); on return it passes home
        assert 0.08 <= v.max() / -v.min() <= 0.25

    plan = plan_set(SetSpec("clamshell", "right", reps=10, small_reps=3, fault_deg=6.0,
                            rep_sd_deg=0.3), 0.0, np.random.default_rng(4), 1.0)
    truth = set_truth(plan)
    values = np.array([r["metrics"]["pelvic_rollback_deg"] for r in truth["reps"]])
    small = np.array(truth["small_reps"]) - 1
    assert len(small) == 3 and 0 not in small
    typical = np.median(np.delete(values, small))
    assert np.all((values[small] / typical >= 0.2) & (values[small] / typical <= 0.42))
    assert values[small].min() > 1.0        # still well above the breathing


def test_skewed_reps_and_the_numeric_hold():
    # min-jerk simple reps: the numeric hold is the closed form's
    plan = plan_set(SetSpec("hip_bridge", "both", reps=4, hold_s=2.0, start="quiet",
                            rep_profile="min_jerk", overshoot=0.0, sway_scale=0.0),
                    0.0, np.random.default_rng(1), 1.0)
    truth = set_truth(plan)
    for rep, timing in zip(truth["reps"], plan.reps):
        assert rep["hold_s"] == pytest.approx(timing.hold_s(), abs=0.05)
        assert rep["up_s"] + rep["hold_s"] + rep["down_s"] == pytest.approx(
            rep["end_s"] - rep["start_s"], abs=0.01)
    # skewed: the velocity peaks away from the middle of the move
    plan = plan_set(SetSpec("hip_bridge", "both", reps=4, rep_profile="skewed",
                            sway_scale=0.0), 0.0, np.random.default_rng(1), 1.0)
    kf = plan.motion.angles_deg
    assert kf.skews is not None and np.max(np.abs(kf.skews)) >= 0.3
    rep = plan.reps[0]
    t = np.linspace(rep.start_s, rep.top_start_s, 2001)
    _, gyr = ideal_imu(plan.motion, t, Mounting())
    where = (t[np.argmax(np.linalg.norm(gyr, axis=1))] - t[0]) / (t[-1] - t[0])
    assert abs(where - 0.5) > 0.07


# ------------------------------------------------------- gaps and holds


def test_a_gap_placed_inside_a_rep_shows_in_the_recording_and_the_truth():
    spec = SessionSpec(sets=(SetSpec("knee_drive", "left", reps=6, gaps=1),), realism=1.0,
                       calibration=False)
    sim = simulate_session(spec, seed=3)
    truth = sim.truth["sets"][0]
    (a, b), = truth["gaps_s"]
    assert 0.3 <= b - a <= 2.0
    time_s = sim.session.sets[0][1].time_s
    dt = np.diff(time_s)
    i = np.argmax(dt)
    assert time_s[i] <= a + 0.2 and time_s[i + 1] >= b - 0.2         # the recording's hole
    assert truth["lost_samples"] >= (b - a) * 100
    hit = [r for r in truth["reps"] if r["start_s"] < b and r["end_s"] > a]
    assert hit and hit[0]["start_s"] <= a <= hit[0]["end_s"]          # starts inside a rep
    expected = min(time_s[i + 1], hit[0]["end_s"]) - max(time_s[i], hit[0]["start_s"])
    assert hit[0]["longest_gap_s"] == pytest.approx(expected, abs=1e-3)
    for r in truth["reps"]:
        if r not in hit:
            assert r["longest_gap_s"] < 0.05


def test_flexor_stretch_settles_before_the_hold_starts():
    for seed in range(3):
        plan = plan_set(SetSpec("hip_flexor_stretch", "right", settle=True, sway_scale=0.0),
                        0.0, np.random.default_rng(seed), 1.0)
        truth = set_truth(plan)
        (hold,) = truth["holds"]
        s0, s1 = truth["settle_s"]
        assert 0.6 - 1e-3 <= s1 - s0 <= 1.5 + 1e-3
        assert hold["start_s"] == pytest.approx(s1, abs=1e-3)
        t = np.arange(plan.start_s, hold["end_s"] + 0.5, 0.005)
        tilt = _plain_signals(plan, t)["posterior_tilt_deg"]
        settling, holding = (t >= s0) & (t < s1), (t >= s1) & (t <= hold["end_s"])
        assert np.ptp(tilt[settling]) >= 1.0                       # a wobble getting in
        _, gyr = ideal_imu(plan.motion, t[holding], Mounting())
        assert np.linalg.norm(gyr, axis=1).max() < 6.0             # slow moves only
        _, gyr = ideal_imu(plan.motion, t[t > hold["end_s"]], Mounting())
        assert hold["end_s"] == pytest.approx(plan.hold[1], abs=1e-3)
        assert np.linalg.norm(gyr, axis=1).max() > 3.0             # coming out starts at end


# ------------------------------------------------------ whole sessions


def test_realistic_session_truth_keys_and_physics():
    spec = SessionSpec(sets=programme_sets(["knee_drive", "hip_stretch"], reps=5),
                       packet_loss=0.01, realism=1.0)
    sim = simulate_session(spec, seed=8)
    assert sim.truth["realism"] == 1.0
    assert "weight_shifts_s" in sim.truth["calibration"]
    for (info, rec), truth in zip(sim.session.sets, sim.truth["sets"]):
        for key in ("start_kind", "rep_shape", "rep_profile", "gaps_s", "realism"):
            assert key in truth
        for rep in truth["reps"]:
            assert rep["longest_gap_s"] >= 1 / 110
        # still at the reference: the accelerometer reads 1 g (sway barely moves it)
        quiet = (rec.time_s >= truth["reference_s"][0]) & (rec.time_s <= truth["reference_s"][1])
        assert np.linalg.norm(rec.acc_g[quiet].mean(axis=0)) == pytest.approx(1.0, abs=0.03)
    # the gyroscope integrates to the sensor's turn, wobble and all
    plan = plan_set(SetSpec("single_leg_squat", "left", reps=2, start="step_in",
                            rep_shape="double_hump"), 0.0, np.random.default_rng(6), 2.0)
    m = Mounting(pitch_deg=12.0, roll_deg=-5.0)
    t = np.arange(1.0, 4.0, 5e-4)
    _, gyr = ideal_imu(plan.motion, t, m)
    turn = Rotation.identity()
    for step in Rotation.from_rotvec(np.radians(gyr[:-1] + gyr[1:]) / 2 * 5e-4):
        turn = turn * step
    r_ps = Rotation.from_matrix(m.pelvis_from_sensor())

    def sensor(tt):
        return plan.motion.orientation(np.array([tt])) * plan.motion.sensor_wobble(
            np.array([tt])) * r_ps
    expected = sensor(t[0]).inv() * sensor(t[-1])
    assert np.degrees(expected.magnitude()) > 10
    # 0.1 deg off without the wobble: the wobble is in the gyroscope
    assert np.degrees((turn.inv() * expected).magnitude()) < 0.01


def test_cli_simulate_realism(tmp_path):
    from hipsense.cli import main

    out = tmp_path / "s"
    assert main(["simulate", "--exercises", "clamshell", "--realism", "1", "--seed", "2",
                 "--out", str(out)]) == 0
    truth = json.loads((out / "truth.json").read_text())
    assert truth["realism"] == 1.0 and truth["sets"][0]["start_kind"] in START_KINDS
    assert main(["simulate", "--exercises", "clamshell", "--realism", "-1",
                 "--out", str(tmp_path / "x")]) != 0
