"""Simulated sessions with ground truth: pelvis motion of the seven exercises,
an IMU model (mounting, lever arm, sensor errors, sampling, packet loss), and
the truth computed from the true pelvis orientation."""

from hipsense.sim.imu import ImuErrors, Mounting, Sampler
from hipsense.sim.movements import SetSpec
from hipsense.sim.session import (
    SessionSpec, SimulatedSession, programme_sets, runner_history, simulate_session,
)

__all__ = ["ImuErrors", "Mounting", "Sampler", "SessionSpec", "SetSpec", "SimulatedSession",
           "programme_sets", "runner_history", "simulate_session"]
