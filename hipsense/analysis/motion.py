"""Moving and quiet samples, runs, robust noise and the gyroscope offset
(sensor frame, g, deg/s)."""

from __future__ import annotations

import numpy as np

from hipsense.analysis.dsp import butter2_highpass, sosfiltfilt, uniform_filter1d



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


def smoothed_rate(time_s: np.ndarray, gyr_dps: np.ndarray, window_s: float = 0.2
                  ) -> np.ndarray:
    """|angular rate| (deg/s) of the rate vector averaged over ``window_s`` (so noise
    averages out); the offset must be removed."""
    w = samples_for(time_s, window_s)
    return np.linalg.norm(uniform_filter1d(gyr_dps, w, axis=0, mode="nearest"), axis=1)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    padded = np.r_[False, mask, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def robust_sd(x: np.ndarray) -> float:
    """Standard deviation estimated from the median absolute deviation (outliers
    and the odd movement barely change it)."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def gyro_offset_dps(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray,
                    quiet: np.ndarray, min_run_s: float = 0.5) -> np.ndarray:
    """The gyroscope offset (deg/s, sensor frame) from the quiet runs of ``quiet``.

    A person never stands perfectly still: over a quiet run the pelvis sways a
    little and its net rotation would pass for an offset. The accelerometer sees
    that net rotation (about the two horizontal axes), so each run's mean rate
    minus the rotation of gravity's direction from its start to its end, divided
    by its duration, is the offset; runs are averaged by duration. The rotation
    about the vertical is invisible to the accelerometer and assumed zero
    (averaged over several runs it is). Without any quiet run of ``min_run_s``,
    the median rate over the quiet samples (or over all, when there are none).
    """
    edge = samples_for(time_s, 0.25)
    total, weight = np.zeros(3), 0.0
    for lo, hi in runs(quiet):
        duration = float(time_s[hi - 1] - time_s[lo])
        if duration < min_run_s or hi - lo < 2 * edge + 2:
            continue
        up0 = acc_g[lo:lo + edge].mean(axis=0)
        up1 = acc_g[hi - edge:hi].mean(axis=0)
        up0, up1 = up0 / np.linalg.norm(up0), up1 / np.linalg.norm(up1)
        # d(up)/dt = up x w, so over the run: w_perp = (d_up x up) / T
        span = float(time_s[hi - 1 - edge // 2] - time_s[lo + edge // 2])
        net = np.degrees(np.cross(up1 - up0, 0.5 * (up0 + up1))) / max(span, 1e-6)
        total += (gyr_dps[lo:hi].mean(axis=0) - net) * duration
        weight += duration
    if weight > 0:
        return total / weight
    return np.median(gyr_dps[quiet] if quiet.any() else gyr_dps, axis=0)


#: Standard gravity (m/s^2).
G0_MS2 = 9.80665
#: The pelvis height is high-passed above this frequency (Hz): double
#: integration drifts, reps (1-10 s) pass.
HEIGHT_HIGHPASS_HZ = 0.1
#: Across a gap in the data longer than HEIGHT_GAP_S the height is unknown
#: from HEIGHT_UNKNOWN_S[0] before it to HEIGHT_UNKNOWN_S[1] after it (the
#: velocity lost in the gap takes a while to be filtered out).
HEIGHT_GAP_S, HEIGHT_UNKNOWN_S = 0.5, (0.5, 2.0)


def pelvis_height_m(time_s: np.ndarray, acc_g: np.ndarray, up: np.ndarray) -> np.ndarray:
    """The sensor's height change (m, world vertical, up positive), high-passed
    above :data:`HEIGHT_HIGHPASS_HZ`, per sample; NaN around gaps in the data
    (:data:`HEIGHT_GAP_S`).

    ``acc_g``: the accelerometer (g, sensor frame); ``up``: the world's up per
    sample (unit vectors, sensor frame). The vertical acceleration
    (acc . up - 1 g) is integrated twice on an even grid at the recording's
    median rate (across a packet-loss gap the acceleration is interpolated),
    each stage high-passed forwards and backwards so the drift of double
    integration does not build up. A squat lowers the pelvis once per rep
    however its tilt rises and falls on the way.
    """
    dt = float(np.median(np.diff(time_s)))
    grid = np.arange(time_s[0], time_s[-1] + 0.5 * dt, dt)
    vertical = ((acc_g * up).sum(axis=1) - 1.0) * G0_MS2
    sos = butter2_highpass(HEIGHT_HIGHPASS_HZ, 1.0 / dt)
    if grid.size <= 3 * (2 * sos.shape[0] + 1):
        return np.zeros(len(time_s))
    a = sosfiltfilt(sos, np.interp(grid, time_s, vertical))
    v = sosfiltfilt(sos, np.cumsum(a) * dt)
    z = np.interp(time_s, grid, sosfiltfilt(sos, np.cumsum(v) * dt))
    before, after = HEIGHT_UNKNOWN_S
    for i in np.flatnonzero(np.diff(time_s) > HEIGHT_GAP_S):
        z[(time_s > time_s[i] - before) & (time_s < time_s[i + 1] + after)] = np.nan
    return z
