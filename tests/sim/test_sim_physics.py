"""The simulator against independent physics and the definitions of measurements.md."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hipsense.exercises import EXERCISES
from hipsense.sim import ImuErrors, Mounting, Sampler, SessionSpec, SetSpec, simulate_session
from hipsense.sim.imu import ideal_imu, quantise, record
from hipsense.sim.motion import Keyframes, Motion, base_orientation
from hipsense.sim.movements import plan_calibration, plan_set
from hipsense.sim.truth import angle_signals, set_truth


def _still(posture: str = "standing", side: str = "both", hip=(0.0, 0.0, 0.0)) -> Motion:
    zero = Keyframes([0.0, 100.0], np.zeros((2, 3)))
    return Motion(base=base_orientation(posture, side), outer_axis="a", angles_deg=zero,
                  hip_m=Keyframes([0.0, 100.0], np.array([hip, hip])), heading_deg=37.0)


# ----------------------------------------------------------------- still sensor


def test_still_nominal_sensor_reads_one_g_on_x_and_no_rotation():
    acc, gyr = ideal_imu(_still(), np.linspace(1, 9, 50), Mounting())
    np.testing.assert_allclose(acc, np.tile([1.0, 0.0, 0.0], (50, 1)), atol=1e-9)
    np.testing.assert_allclose(gyr, 0.0, atol=1e-9)


@pytest.mark.parametrize("pitch_deg", [-30.0, -12.0, 17.0, 30.0])
def test_still_sensor_pitched_on_the_sacrum(pitch_deg):
    # Sacrum slope: the sensor turned about the left axis. Its x axis (nominally
    # up) leans forward, so gravity splits between x (cos) and z (sin): sensor
    # z points backwards, a forward lean of x tips z up.
    acc, _ = ideal_imu(_still(), np.array([2.0]), Mounting(pitch_deg=pitch_deg))
    p = np.radians(pitch_deg)
    np.testing.assert_allclose(acc[0], [np.cos(p), 0.0, np.sin(p)], atol=1e-9)


def test_still_sensor_rolled_reads_gravity_on_y():
    # rotation about the anterior axis tips the sensor's x (up) toward the right,
    # and its y (left) up: gravity appears on +y
    acc, _ = ideal_imu(_still(), np.array([2.0]), Mounting(roll_deg=15.0))
    r = np.radians(15.0)
    np.testing.assert_allclose(acc[0], [np.cos(r), np.sin(r), 0.0], atol=1e-9)


@pytest.mark.parametrize("posture, side, expected", [
    ("supine", "both", [0.0, 0.0, -1.0]),       # lying on the back: sensor face down
    ("prone", "both", [0.0, 0.0, 1.0]),         # face down: sensor face up
    ("side_lying", "left", [0.0, 1.0, 0.0]),    # left side up: sensor +y up
    ("side_lying", "right", [0.0, -1.0, 0.0]),
])
def test_still_sensor_in_each_lying_posture(posture, side, expected):
    acc, gyr = ideal_imu(_still(posture, side), np.array([1.0, 5.0]), Mounting())
    np.testing.assert_allclose(acc, [expected, expected], atol=1e-9)
    np.testing.assert_allclose(gyr, 0.0, atol=1e-9)


def test_any_mounting_still_reads_unit_gravity_along_pelvis_up():
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = Mounting.random(rng)
        acc, _ = ideal_imu(_still(), np.array([3.0]), m)
        np.testing.assert_allclose(acc[0], m.pelvis_axes_in_sensor()["u"], atol=1e-9)
        # independent: rotate the nominal up reading (1, 0, 0) by the mounting's inverse
        mount = Rotation.from_euler("ZYX", [m.yaw_deg, m.pitch_deg, m.roll_deg], degrees=True)
        u_in_sensor = (mount * Rotation.from_matrix(
            [[0, 0, -1], [0, 1, 0], [1, 0, 0]])).inv().apply([0, 0, 1])
        np.testing.assert_allclose(acc[0], u_in_sensor, atol=1e-9)


# ----------------------------------------------------------- moving sensor


def test_vertical_hip_motion_gives_the_analytic_specific_force():
    # the hips rise 0.2 m along a minimum-jerk curve in 1 s: a = A/T^2 (60s - 180s^2 + 120s^3)
    hip = Keyframes([0.0, 1.0, 2.0], [[0, 0, 0], [0, 0, 0], [0, 0, 0.2]])
    motion = Motion(base=np.eye(3), outer_axis="a",
                    angles_deg=Keyframes([0.0, 2.0], np.zeros((2, 3))), hip_m=hip)
    t = np.linspace(1.05, 1.95, 30)
    acc, _ = ideal_imu(motion, t, Mounting())
    s = t - 1.0
    expected = 1.0 + 0.2 * (60 * s - 180 * s ** 2 + 120 * s ** 3) / 9.80665
    np.testing.assert_allclose(acc[:, 0], expected, atol=2e-5)
    np.testing.assert_allclose(acc[:, 1:], 0.0, atol=1e-9)


def test_gyro_integrates_to_the_rotation_about_the_right_axis():
    # 30 deg anterior tilt (about pelvis l) with the sensor nominal: sensor y is l
    angles = Keyframes([0.0, 1.0, 3.0, 4.0], [[0, 0, 0], [0, 0, 0], [0, 30, 0], [0, 30, 0]])
    motion = Motion(base=np.eye(3), outer_axis="a", angles_deg=angles,
                    hip_m=Keyframes([0.0, 4.0], np.zeros((2, 3))))
    t = np.arange(0.0, 4.0, 1e-3)
    _, gyr = ideal_imu(motion, t, Mounting())
    total = np.trapezoid(gyr, t, axis=0)
    np.testing.assert_allclose(total, [0.0, 30.0, 0.0], atol=1e-3)


def test_lever_arm_makes_squats_accelerate_the_sensor():
    plan = plan_set(SetSpec("single_leg_squat", "left", reps=5, sway_scale=0.0, fidget=False),
                    100.0, np.random.default_rng(3))
    t = np.arange(plan.reps[0].start_s, plan.reps[-1].end_s, 0.01)
    acc, _ = ideal_imu(plan.motion, t, Mounting())
    magnitude = np.linalg.norm(acc, axis=1)
    # a 20 cm squat in ~3 s: linear accelerations of several hundredths of a g
    assert 0.04 < np.max(np.abs(magnitude - 1.0)) < 0.5


# ----------------------------------------------------------- sensor errors


def test_quantisation_is_int16_and_saturates():
    x = np.array([0.0, 1e-5, 0.5, 3.99, 7.5, -9.0])
    q = quantise(x, 4.0)
    lsb = 4.0 / 32768
    np.testing.assert_allclose(q / lsb, np.round(q / lsb), atol=1e-9)
    assert q[-2] == pytest.approx(32767 * lsb) and q[-1] == pytest.approx(-4.0)
    assert abs(q[2] - 0.5) <= lsb / 2


def test_error_model_biases_and_noise_have_their_sizes():
    rng = np.random.default_rng(1)
    errors = ImuErrors.random(rng)
    t = np.arange(0, 60, 0.01)
    acc_true = np.tile([1.0, 0.0, 0.0], (t.size, 1))
    acc, gyr = errors.apply(t, acc_true, np.zeros_like(acc_true), rng)
    bias = errors.gyr_bias_at(t)
    np.testing.assert_allclose(gyr.mean(axis=0), bias.mean(axis=0), atol=0.01)
    assert np.std(gyr - bias, axis=0) == pytest.approx([0.06] * 3, rel=0.1)
    expected_acc = (np.eye(3) + errors.acc_misalign) @ [1.0, 0, 0] + errors.acc_bias_g
    np.testing.assert_allclose(acc.mean(axis=0), expected_acc, atol=1e-4)


def test_sampling_rate_error_jitter_and_packet_loss():
    rng = np.random.default_rng(2)
    sampler = Sampler(rate_hz=104.0, rate_error=0.01, jitter_s=1e-4, packet_loss=0.05,
                      burst_packets=3.0)
    t_true, stamps = sampler.sample_times(1000.0, 1600.0, rng)
    assert np.all(np.diff(stamps) > 0)
    assert 1 / np.median(np.diff(t_true)) == pytest.approx(105.04, abs=1e-6)
    assert np.std(stamps - t_true) == pytest.approx(1e-4, rel=0.1)
    np.testing.assert_allclose(stamps * 1e6, np.round(stamps * 1e6), atol=1e-3)
    keep = sampler.kept(t_true.size, rng)
    assert 1 - keep.mean() == pytest.approx(0.05, abs=0.015)
    # whole packets go missing
    lost_runs = np.diff(np.flatnonzero(np.diff(np.r_[1, keep.astype(int), 1])))[::2]
    assert np.all(lost_runs % 8 == 0)


# --------------------------------------------- angle signals: signs and sizes


def _rotated(posture: str, side: str, axis_world, angle_deg: float, n: int = 200):
    """Pelvis at rest for the first half, then rotated about a world axis."""
    base = Rotation.from_matrix(base_orientation(posture, side))
    turn = Rotation.from_rotvec(np.radians(angle_deg) * np.asarray(axis_world, float))
    rots = [base] * (n // 2) + [turn * base] * (n - n // 2)
    ref = np.arange(n) < n // 2
    return Rotation.concatenate(rots), ref


# Hand-derived: which world rotation is the named movement, and what each side reads.
# Standing: a = +x, l = +y, u = +z. A rotation about +x raises the left hip (the
# right side drops). A rotation about +y tips the front down (anterior tilt).
# Supine: a = +z, l = +y, u = -x. Prone: a = -z, l = +y, u = +x.
# Side-lying: the top leg's side up, u = +x; a = +y (left on top) or -y (right on top).
SIGN_CASES = [
    # exercise, side, world axis, angle, {signal: expected}
    ("single_leg_squat", "left", [1, 0, 0], 6.0, {"pelvic_drop_deg": 6.0}),    # right drops
    ("single_leg_squat", "right", [1, 0, 0], 6.0, {"pelvic_drop_deg": -6.0}),  # left hiked
    ("single_leg_squat", "right", [1, 0, 0], -6.0, {"pelvic_drop_deg": 6.0}),  # left drops
    ("knee_drive", "right", [1, 0, 0], 4.0, {"pelvic_drop_deg": 4.0}),         # driving side drops
    ("knee_drive", "left", [1, 0, 0], 4.0, {"pelvic_drop_deg": -4.0}),
    ("single_leg_squat", "left", [0, 1, 0], 20.0, {"pelvic_tilt_deg": 20.0}),  # front down
    ("knee_drive", "left", [0, 1, 0], -9.0, {"pelvic_tilt_deg": -9.0}),       # tucked
    ("clamshell", "left", [1, 0, 0], 5.0, {"pelvic_rollback_deg": 5.0}),      # front (+y) turns up
    ("clamshell", "right", [1, 0, 0], -5.0, {"pelvic_rollback_deg": 5.0}),    # front (-y) turns up
    ("clamshell", "right", [1, 0, 0], 5.0, {"pelvic_rollback_deg": -5.0}),
    ("hip_bridge", "both", [0, 1, 0], -25.0, {"bridge_lift_deg": 25.0}),      # head end down
    ("hip_bridge", "both", [1, 0, 0], 4.0, {"pelvic_obliquity_deg": 4.0}),    # left up
    ("hip_bridge", "both", [1, 0, 0], -4.0, {"pelvic_obliquity_deg": -4.0}),
    ("prone_hip_extension", "left", [1, 0, 0], 6.0, {"pelvic_lift_deg": 6.0}),   # left hip up
    ("prone_hip_extension", "right", [1, 0, 0], -6.0, {"pelvic_lift_deg": 6.0}),
    ("prone_hip_extension", "right", [1, 0, 0], 6.0, {"pelvic_lift_deg": -6.0}),
    ("hip_stretch", "left", [0, 1, 0], -12.0, {"posterior_tilt_deg": 12.0}),
    ("hip_flexor_stretch", "right", [0, 1, 0], -7.0, {"posterior_tilt_deg": 7.0}),
    ("hip_flexor_stretch", "right", [0, 1, 0], 7.0, {"posterior_tilt_deg": -7.0}),
]


@pytest.mark.parametrize("exercise, side, axis, angle, expected", SIGN_CASES)
def test_pure_rotation_gives_its_angle_in_the_right_signal(exercise, side, axis, angle, expected):
    posture = EXERCISES[exercise].posture
    rots, ref = _rotated(posture, side, axis, angle)
    signals = angle_signals(exercise, side, rots, ref)
    for name, value in expected.items():
        np.testing.assert_allclose(signals[name][~ref], value, atol=1e-9)
        np.testing.assert_allclose(signals[name][ref], 0.0, atol=1e-9)


def test_rotation_about_the_vertical_changes_no_angle():
    for exercise, ex in EXERCISES.items():
        for side in ex.sides:
            up = base_orientation(ex.posture, side) @ ex.up_axis(side)
            np.testing.assert_allclose(up, [0, 0, 1], atol=1e-12)
            rots, ref = _rotated(ex.posture, side, [0, 0, 1], 40.0)
            for values in angle_signals(exercise, side, rots, ref).values():
                np.testing.assert_allclose(values, 0.0, atol=1e-9)


# ------------------------------------------------- faults of controllable size

FAULTS = [("single_leg_squat", 8.5), ("knee_drive", 7.0), ("clamshell", 6.0),
          ("prone_hip_extension", 5.5), ("hip_bridge", -4.5), ("hip_bridge", 4.5)]


@pytest.mark.parametrize("exercise, fault", FAULTS)
def test_fault_size_shows_up_in_the_truth_with_its_sign(exercise, fault):
    ex = EXERCISES[exercise]
    metric = ex.flag_rules[0].metric
    for side in ex.sides:
        spec = SetSpec(exercise, side, reps=8, fault_deg=fault, rep_sd_deg=0.0,
                       sway_scale=0.0, fidget=False)
        truth = set_truth(plan_set(spec, 50.0, np.random.default_rng(4)))
        # rest-posture jitter between reps (0.15 deg) and hold settling move it a
        # little; in squats the pelvis also turns (+-3 deg) while tilted 20 deg
        # forward, which moves the hip's elevation by up to 1 deg, as in real squats
        tolerance = 1.0 if exercise == "single_leg_squat" else 0.35
        assert truth["medians"][metric] == pytest.approx(fault, abs=tolerance), side


def test_short_stretch_hold_is_the_truth_duration():
    spec = SetSpec("hip_flexor_stretch", "left", hold_s=18.0, fidget=False)
    truth = set_truth(plan_set(spec, 0.0, np.random.default_rng(5)))
    assert truth["holds"][0]["duration_s"] == pytest.approx(18.0, abs=1e-3)


# -------------------------------------------- truth windows match the motion


#: where a minimum-jerk rise 10 s^3 - 15 s^4 + 6 s^5 reaches 90 %
S90 = next(r.real for r in np.roots([6, -15, 10, 0, 0, -0.9]) if abs(r.imag) < 1e-12
           and 0 < r.real < 1)


def _moving(motion: Motion, t: np.ndarray, threshold_dps: float) -> np.ndarray:
    _, gyr = ideal_imu(motion, t, Mounting())
    return np.linalg.norm(gyr, axis=1) > threshold_dps


@pytest.mark.parametrize("exercise", [e for e, x in EXERCISES.items() if x.kind == "reps"])
def test_rep_windows_are_where_the_pelvis_moves(exercise):
    side = EXERCISES[exercise].sides[-1]
    plan = plan_set(SetSpec(exercise, side, reps=7, sway_scale=0.0, fidget=False, hold_s=1.0),
                    10.0, np.random.default_rng(6))
    truth = set_truth(plan)
    assert truth["rep_count"] == 7
    t = np.arange(plan.start_s, plan.end_s, 0.002)
    moving = _moving(plan.motion, t, 0.05)
    inside = np.zeros_like(moving)
    for rep in truth["reps"]:
        window = (t >= rep["start_s"]) & (t <= rep["end_s"])
        inside |= window
        assert moving[window].mean() > 0.5
        # motion starts and ends within 0.15 s of the window's edges
        first, last = t[window & moving][[0, -1]]
        assert first - rep["start_s"] < 0.15 and rep["end_s"] - last < 0.15
        assert rep["up_s"] + rep["hold_s"] + rep["down_s"] == pytest.approx(
            rep["end_s"] - rep["start_s"], abs=1e-3)
        # the plateau (1 s +-15 %) plus the parts of the rise and fall in the top 10 %
        ramps = (1 - S90) / S90 * (rep["up_s"] + rep["down_s"])
        assert 0.85 - 1e-3 <= rep["hold_s"] - ramps <= 1.15 + 1e-3
    assert not moving[~inside].any()


def test_stretch_hold_window_is_still_and_the_moves_are_outside_it():
    plan = plan_set(SetSpec("hip_stretch", "right", sway_scale=0.0, fidget=False),
                    10.0, np.random.default_rng(7))
    hold = set_truth(plan)["holds"][0]
    t = np.arange(plan.start_s, plan.end_s, 0.005)
    _, gyr = ideal_imu(plan.motion, t, Mounting())
    rate = np.linalg.norm(gyr, axis=1)
    during = (t > hold["start_s"]) & (t < hold["end_s"])
    assert rate[during].max() < 0.5       # a slow settling only
    getting_in = (t > plan.reference_s[1]) & (t < hold["start_s"])
    coming_out = t > hold["end_s"]
    assert rate[getting_in].max() > 3 and rate[coming_out].max() > 3


def test_calibration_is_still_then_two_hinges_then_still():
    plan = plan_calibration(0.0, np.random.default_rng(8))
    t = np.arange(plan.start_s, plan.end_s, 0.005)
    angles = plan.motion.angles(t)
    for a, b in plan.quiet_s:
        assert b - a >= 2.9
        assert np.ptp(angles[(t >= a) & (t <= b), 1]) < 1.0
    assert len(plan.hinges_s) == 2
    for (a, b), peak in zip(plan.hinges_s, plan.hinge_peak_deg):
        assert 30 <= peak <= 45
        assert np.max(angles[(t >= a) & (t <= b), 1]) == pytest.approx(peak, abs=0.5)


# ---------------------------------------------------- whole sessions


def test_same_seed_same_bytes_different_seed_different(tmp_path):
    from hipsense.cli import main

    args = ["simulate", "--exercises", "clamshell,knee_drive", "--packet-loss", "0.02"]
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        assert main([*args, "--out", str(tmp_path / name), "--seed", str(seed)]) == 0
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "truth.json" in files and len(files) == 7
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    first = (tmp_path / "a" / "set01.csv").read_bytes()
    assert first != (tmp_path / "c" / "set01.csv").read_bytes()


def test_simulated_set_reads_gravity_in_its_quiet_start(small_sim):
    axes = small_sim.truth["pelvis_axes_in_sensor"]
    for (info, rec), truth in zip(small_sim.session.sets, small_sim.truth["sets"]):
        ex = EXERCISES[info.exercise]
        quiet = (rec.time_s >= truth["reference_s"][0]) & (rec.time_s <= truth["reference_s"][1])
        mean = rec.acc_g[quiet].mean(axis=0)
        up_pelvis = ex.up_axis(info.side)
        up_sensor = sum(up_pelvis[i] * np.array(axes[k]) for i, k in enumerate("alu"))
        # bias (~10 mg), scale error and sway tilt: within 3 deg of the posture's up axis
        cos = mean @ up_sensor / np.linalg.norm(mean)
        assert np.degrees(np.arccos(min(cos, 1.0))) < 3.0, info


def test_mounting_limits_and_crooked():
    rng = np.random.default_rng(9)
    ms = [Mounting.random(rng) for _ in range(200)]
    assert max(abs(m.pitch_deg) for m in ms) <= 30 and max(abs(m.roll_deg) for m in ms) <= 15
    assert max(abs(m.yaw_deg) for m in ms) <= 10
    crooked = Mounting.random(rng, crooked=True)
    assert abs(crooked.pitch_deg) >= 24 and abs(crooked.roll_deg) >= 12


def test_no_calibration_session():
    sim = simulate_session(SessionSpec(sets=(SetSpec("clamshell", "left", reps=3),),
                                       calibration=False), seed=1)
    assert sim.session.calibration is None and sim.session.metadata["calibration"] is None
    assert sim.truth["calibration"] is None


def test_record_drops_only_whole_lost_packets():
    plan = plan_set(SetSpec("knee_drive", "left", reps=4), 0.0, np.random.default_rng(10))
    sampler = Sampler(rate_hz=200.0, packet_loss=0.1, burst_packets=2.0)
    rec, lost = record(plan.motion, plan.start_s, plan.end_s, Mounting(), ImuErrors(), sampler,
                       np.random.default_rng(11))
    expected = int((plan.end_s - plan.start_s) * 200.0)
    assert len(rec) + lost in (expected, expected + 1)
    assert lost > 0 and rec.gaps().missing_samples == lost


def test_the_readme_example():
    spec = SessionSpec(sets=(SetSpec("single_leg_squat", "left", reps=12, fault_deg=8.0),))
    sim = simulate_session(spec, seed=7)
    assert sim.truth["sets"][0]["medians"] == {"pelvic_drop_deg": 8.1682,
                                               "pelvic_tilt_deg": 21.3784}
