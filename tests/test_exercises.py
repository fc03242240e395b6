"""The catalogue against measurements.md: ids, sides, signals, reductions, thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from hipsense.exercises import CADENCE, EXERCISES, PROGRAMME_ORDER, THRESHOLDS, get_exercise

SPEC_SIGNALS = {  # measurements.md, "Angle signals" and the per-rep rules below it
    "clamshell": {"pelvic_rollback_deg": "max"},
    "hip_bridge": {"bridge_lift_deg": "max", "pelvic_obliquity_deg": "absmax"},
    "prone_hip_extension": {"pelvic_lift_deg": "max"},
    "hip_stretch": {"posterior_tilt_deg": "mean"},
    "hip_flexor_stretch": {"posterior_tilt_deg": "mean"},
    "knee_drive": {"pelvic_drop_deg": "max", "pelvic_tilt_deg": "min"},
    "single_leg_squat": {"pelvic_drop_deg": "max", "pelvic_tilt_deg": "max"},
}


def test_the_seven_exercises_in_programme_order():
    assert PROGRAMME_ORDER == ("clamshell", "hip_bridge", "prone_hip_extension", "hip_stretch",
                               "hip_flexor_stretch", "knee_drive", "single_leg_squat")


@pytest.mark.parametrize("exercise", sorted(SPEC_SIGNALS))
def test_signals_and_reductions(exercise):
    ex = EXERCISES[exercise]
    assert {s.name: s.reduce for s in ex.signals} == SPEC_SIGNALS[exercise]
    assert ex.primary_metric in SPEC_SIGNALS[exercise]


def test_sides_and_kinds():
    assert EXERCISES["hip_bridge"].sides == ("both",)
    for ex in EXERCISES.values():
        if ex.id != "hip_bridge":
            assert ex.sides == ("left", "right")
        assert ex.kind == ("hold" if ex.id.endswith("stretch") else "reps")


def test_prescriptions_from_the_programme():
    for ex in EXERCISES.values():
        p = ex.prescription
        if ex.kind == "hold":
            assert p.holds == (1, 2) and p.hold_s == (30.0, 30.0)
            assert ex.prescription.describe() == "1-2 holds x 30 s each leg"
        else:
            assert p.sets == (1, 2) and p.reps == (10, 15)
    assert EXERCISES["knee_drive"].prescription.hold_s == (1.0, 1.0)
    assert EXERCISES["clamshell"].prescription.describe() == \
        "1-2 sets x 10-15 reps each leg, 0-5 s hold at the top"
    assert EXERCISES["single_leg_squat"].prescription.describe() == \
        "1-2 sets x 10-15 reps each leg"
    assert (CADENCE.start_per_week, CADENCE.build_per_week, CADENCE.maintain_per_week) == (
        1.0, (2.0, 3.0), 1.0)


def test_flag_thresholds_are_the_spec_defaults():
    rules = {e.id: [(r.code, r.metric, r.threshold_deg, r.use_abs) for r in e.flag_rules]
             for e in EXERCISES.values()}
    assert rules["single_leg_squat"] == [("excessive_pelvic_drop", "pelvic_drop_deg", 5.0, False)]
    assert rules["knee_drive"] == [("excessive_pelvic_drop", "pelvic_drop_deg", 5.0, False)]
    assert rules["clamshell"] == [("pelvic_rollback", "pelvic_rollback_deg", 5.0, False)]
    assert rules["prone_hip_extension"] == [("pelvic_lift", "pelvic_lift_deg", 5.0, False)]
    assert rules["hip_bridge"] == [("pelvic_obliquity", "pelvic_obliquity_deg", 4.0, True)]
    assert (THRESHOLDS.inconsistent_rep_sd_deg, THRESHOLDS.short_hold_s,
            THRESHOLDS.asymmetry_deg, THRESHOLDS.asymmetry_fraction) == (2.0, 25.0, 3.0, 0.15)


def test_side_axis_points_to_the_unsupported_or_working_side():
    left, right = np.array([0, 1.0, 0]), np.array([0, -1.0, 0])
    sls, kd, prone = (EXERCISES[e] for e in ("single_leg_squat", "knee_drive",
                                             "prone_hip_extension"))
    # standing on the left leg: the free (unsupported) side is the right
    np.testing.assert_array_equal(sls.axis_vector("side", "left"), right)
    np.testing.assert_array_equal(kd.axis_vector("side", "left"), left)  # driving leg
    np.testing.assert_array_equal(prone.axis_vector("side", "right"), right)
    with pytest.raises(ValueError):
        EXERCISES["clamshell"].axis_vector("side", "left")


def test_reduce_values():
    values = np.array([0.5, -3.0, 2.0])
    bridge = EXERCISES["hip_bridge"]
    assert bridge.signal("pelvic_obliquity_deg").reduce_values(values) == -3.0
    assert bridge.signal("bridge_lift_deg").reduce_values(values) == 2.0
    assert EXERCISES["knee_drive"].signal("pelvic_tilt_deg").reduce_values(values) == -3.0
    assert EXERCISES["hip_stretch"].signal("posterior_tilt_deg").reduce_values(values) == \
        pytest.approx(-0.5 / 3)


def test_unknown_exercise_names_the_choices():
    with pytest.raises(KeyError, match="expected one of clamshell"):
        get_exercise("squat")
