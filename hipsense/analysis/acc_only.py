"""Sensors without a gyroscope (Polar H10): a tilt rate from the accelerometer.

The accelerometer's direction, low-passed without phase shift, stands for
"up" in the sensor frame; how it turns gives the sensor's angular rate
perpendicular to up: a world-fixed vector v seen from a frame turning at w
changes as dv/dt = v x w, so w_perp = dv/dt x v (rotation about the vertical
is invisible). With this in place of the gyroscope the rest of the analysis
runs unchanged; quick movements leak their linear acceleration into the
angles, which is what the data-quality note says.
"""

from __future__ import annotations

import numpy as np

#: Low-pass corner (Hz) of the accelerometer direction: above the reps'
#: movement, below the impacts and vibration.
CUTOFF_HZ = 1.5

NOTE = ("This sensor has no gyroscope: the angles come from the accelerometer alone, so "
        "during quick movements they include the pelvis's own acceleration and per-rep values "
        "can be a degree or two off. Rep counts are not affected; move slowly and smoothly "
        "for the best numbers.")


def tilt_rate_dps(time_s: np.ndarray, acc_g: np.ndarray) -> np.ndarray:
    """(n, 3) angular rate (deg/s, sensor frame) perpendicular to up, from the
    accelerometer alone."""
    n = len(time_s)
    if n < 16:
        return np.zeros((n, 3))
    from scipy.signal import butter, sosfiltfilt  # only for accelerometer-only sensors

    rate_hz = 1.0 / float(np.median(np.diff(time_s)))
    sos = butter(2, min(CUTOFF_HZ, 0.4 * rate_hz), fs=rate_hz, output="sos")
    v = sosfiltfilt(sos, acc_g, axis=0)
    v /= np.maximum(np.linalg.norm(v, axis=1), 1e-9)[:, None]
    dv = np.gradient(v, time_s, axis=0)
    return np.degrees(np.cross(dv, v))
