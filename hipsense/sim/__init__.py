"""Simulated sessions with ground truth: pelvis motion of the seven exercises,
an IMU model (mounting, lever arm, sensor errors, sampling, packet loss), and
the truth computed from the true pelvis orientation. ``SessionSpec.realism``
(0 idealised, 1 real, 2 doubled) brings in the realities of real movement."""

from hipsense.sim.imu import ImuErrors, Mounting, Sampler
from hipsense.sim.movements import REP_PROFILES, REP_SHAPES, START_KINDS, SetSpec
from hipsense.sim.session import (
    SessionSpec, SimulatedSession, programme_sets, runner_history, simulate_session,
)

__all__ = ["REP_PROFILES", "REP_SHAPES", "START_KINDS", "ImuErrors", "Mounting", "Sampler",
           "SessionSpec", "SetSpec", "SimulatedSession", "programme_sets", "runner_history",
           "simulate_session"]
