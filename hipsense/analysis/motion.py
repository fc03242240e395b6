"""Still and moving samples, and the quiet start of a set (sensor frame, g, deg/s)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

STILL_RATE_SD_DPS = 1.0
STILL_ACC_SD_G = 0.008
MOVING_RATE_DPS = 5.0


def samples_for(time_s: np.ndarray, seconds: float) -> int:
    """How many samples span ``seconds`` at the recording's median rate (>= 1)."""
    if len(time_s) < 2:
        return 1
    period = (time_s[-1] - time_s[0]) / (len(time_s) - 1)  # mean: cheap, gaps barely matter
    return max(1, int(round(seconds / period)))


def moving_sd(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving standard deviation along axis 0 (same length as x)."""
    mean = uniform_filter1d(x, window, axis=0, mode="nearest")
    sq = uniform_filter1d(x * x, window, axis=0, mode="nearest")
    return np.sqrt(np.maximum(sq - mean * mean, 0.0))


def still_mask(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray,
               window_s: float = 0.5) -> np.ndarray:
    """Samples where the sensor is still: gyroscope and |acc| steady over ``window_s``.

    Works on raw gyroscope data (the offset does not change a standard deviation).
    """
    w = samples_for(time_s, window_s)
    rate_sd = np.sqrt((moving_sd(gyr_dps, w) ** 2).sum(axis=1))
    acc_sd = moving_sd(np.linalg.norm(acc_g, axis=1), w)
    return (rate_sd < STILL_RATE_SD_DPS) & (acc_sd < STILL_ACC_SD_G)


def smoothed_rate(time_s: np.ndarray, gyr_dps: np.ndarray, window_s: float = 0.2
                  ) -> np.ndarray:
    """|angular rate| (deg/s) of the rate vector averaged over ``window_s`` (so noise
    averages out); the offset must be removed."""
    w = samples_for(time_s, window_s)
    return np.linalg.norm(uniform_filter1d(gyr_dps, w, axis=0, mode="nearest"), axis=1)


def moving_mask(time_s: np.ndarray, gyr_dps: np.ndarray,
                threshold_dps: float = MOVING_RATE_DPS) -> np.ndarray:
    """Samples where the smoothed angular rate exceeds ``threshold_dps``."""
    return smoothed_rate(time_s, gyr_dps) > threshold_dps


def quiet_start(time_s: np.ndarray, gyr_dps: np.ndarray, *, min_s: float = 1.0,
                baseline_s: float = 1.5, max_s: float = 3.0) -> tuple[int, bool]:
    """End index (exclusive) of the quiet period a set starts with.

    The first ``baseline_s`` (the spec asks for at least 2 s of stillness) give
    the quiet level of the angular rate; the quiet period ends where the rate
    leaves that level on its way to the first clear movement, and at ``max_s``
    at the latest (a small fidget can hide in sway; the spec promises 2 s of
    stillness, and a longer window adds little). Returns (end
    index, found): ``found`` is False when the set did not start with ``min_s``
    of quiet, and then the first ``min_s`` is returned.
    """
    rate = smoothed_rate(time_s, gyr_dps)
    n_min = min(samples_for(time_s, min_s), len(rate))
    n_base = min(samples_for(time_s, baseline_s), len(rate))
    base = float(np.median(rate[:n_base]))
    onset_dps = max(0.8, 2.5 * float(np.percentile(rate[:n_base], 95)))
    over = np.flatnonzero(rate > onset_dps)
    if over.size and over[0] < n_min:
        return n_min, False
    onset = int(over[0]) if over.size else len(rate)
    # back off to where the rate last was near its quiet level
    level = base + 0.25 * (onset_dps - base)
    below = np.flatnonzero(rate[:onset] <= level)
    end = int(below[-1]) + 1 if below.size else onset
    return min(max(end, n_min), samples_for(time_s, max_s)), True
