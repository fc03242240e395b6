"""The simulator's true sensor orientation (what benchmarks/orientation.py scores
the filters against) is the one its accelerometer sees: at rest the ideal
accelerometer points along the true "up" in the sensor frame (within what
sway's own accelerations add)."""

from __future__ import annotations

import numpy as np

from hipsense.sim.imu import Mounting, ideal_imu, sensor_orientation
from hipsense.sim.movements import SetSpec, plan_set


def test_the_ideal_accelerometer_reads_the_true_up_at_rest():
    rng = np.random.default_rng(4)
    mounting = Mounting.random(rng, crooked=True)
    for exercise, side in [("single_leg_squat", "left"), ("clamshell", "right"),
                           ("hip_bridge", "both")]:
        plan = plan_set(SetSpec(exercise, side, reps=3), 100.0, rng, realism=1.0)
        t = np.linspace(*plan.reference_s, 50)  # the quiet reference before rep 1
        acc, _ = ideal_imu(plan.motion, t, mounting)
        world_from_sensor = sensor_orientation(plan.motion, mounting)(t)
        up = world_from_sensor.inv().apply([0.0, 0.0, 1.0])
        cos = np.sum(acc / np.linalg.norm(acc, axis=1)[:, None] * up, axis=1)
        error_deg = np.degrees(np.arccos(np.clip(cos, -1, 1)))
        # only sway's own accelerations (one-leg balance, realism 1) come between them
        assert np.median(error_deg) < 0.5 and error_deg.max() < 1.5, exercise
        # the other way round (sensor from world) would be far off: the check can fail
        wrong = world_from_sensor.apply([0.0, 0.0, 1.0])
        assert np.degrees(np.arccos(np.clip(np.sum(acc / np.linalg.norm(
            acc, axis=1)[:, None] * wrong, axis=1), -1, 1))).min() > 5.0, exercise
