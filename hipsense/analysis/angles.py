"""Angle signals of measurements.md from the sensor's "up" and the pelvis axes.

``elev(v) = asin(v . up)`` with both in the sensor frame; each signal is
``sign * (elev(axis) - mean elev(axis) over the reference)`` in degrees.
"""

from __future__ import annotations

import numpy as np

from hipsense.analysis.calibration import PelvisAxes
from hipsense.exercises import Exercise


def elevation_deg(axis_sensor: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Elevation (deg) above the horizontal of a sensor-frame axis, per sample."""
    return np.degrees(np.arcsin(np.clip(up @ axis_sensor, -1.0, 1.0)))


def angle_between_deg(u: np.ndarray, v: np.ndarray) -> float:
    """Angle (deg) between two vectors of any length."""
    cos = float(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def angle_signals(ex: Exercise, side: str, axes: PelvisAxes, up: np.ndarray,
                  reference: slice) -> dict[str, np.ndarray]:
    """Every angle signal of the exercise (deg), relative to the reference samples."""
    out = {}
    for sig in ex.signals:
        elev = elevation_deg(axes.vector(ex.axis_vector(sig.axis, side)), up)
        out[sig.name] = sig.sign * (elev - elev[reference].mean())
    return out
