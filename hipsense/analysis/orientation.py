"""The direction of gravity in the sensor frame over time.

Every angle of measurements.md is an elevation, ``asin(v . up)``, so the only
orientation the analysis needs is the world's "up" seen from the sensor. It is
tracked by a complementary filter: the gyroscope rotates the previous estimate
(``up_{k+1} = exp(-[w dt]x) up_k``), and the accelerometer's direction pulls it
back with a gain that is high while the pelvis is quasi-static and small while
it moves, so linear accelerations in squats and bridges barely leak in. Offline
it runs forward and backward and averages the two (zero phase).

The recursion is linear in ``up``: ``x_{k+1} = M_k x_k + c_k``. It is computed
as a blocked scan over numpy arrays (O(n) work in about 2 sqrt(n) vectorised
steps): about 0.5 CPU s per hour of 200 Hz data, as fast as the compiled
per-sample filters VQF and Fusion (benchmarks/orientation.py); it uses each
sample's own time step, so gaps and rate jitter do not bend it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipsense.analysis.dsp import uniform_filter1d
from hipsense.analysis.motion import samples_for


@dataclass(frozen=True)
class FilterSettings:
    """Gains of the gravity filter.

    Attributes:
        static_tau_s: time constant of the pull to the accelerometer when still.
        moving_tau_s: the same while moving (large: trust the gyroscope).
        rate_scale_dps: angular rate at which the pelvis counts as moving.
        acc_scale_g: deviation of |acc| from 1 g at which it counts as moving
            (the angular rate does most of the judging: a tighter |acc| gate
            leaves lunges and step-downs, which turn most of the time, to the
            gyroscope alone for seconds, and its offset error tilts them by
            1-4 deg).
    """

    static_tau_s: float = 0.5
    moving_tau_s: float = 60.0
    rate_scale_dps: float = 4.0
    acc_scale_g: float = 0.1


DEFAULT_FILTER = FilterSettings()
#: A gap longer than this (s) is not bridged by the gyroscope.
LONG_GAP_S = 0.1


def rotation_steps(w: np.ndarray) -> np.ndarray:
    """(n, 3, 3) matrices taking a world-fixed vector from the sensor frame before
    each step to the one after, given each step's rotation vector ``w`` (rad,
    sensor frame). Rodrigues: R = cos(t) I + sin(t) [k]x + (1 - cos(t)) k k^T.
    """
    # a world-fixed vector seen from a frame rotating by w turns by -w
    angle = np.linalg.norm(w, axis=1)
    k = -w / np.where(angle > 1e-12, angle, 1.0)[:, None]
    s, c = np.sin(angle), np.cos(angle)
    r = (1.0 - c)[:, None, None] * (k[:, :, None] * k[:, None, :])
    r[:, 0, 0] += c
    r[:, 1, 1] += c
    r[:, 2, 2] += c
    r[:, 0, 1] -= s * k[:, 2]
    r[:, 0, 2] += s * k[:, 1]
    r[:, 1, 0] += s * k[:, 2]
    r[:, 1, 2] -= s * k[:, 0]
    r[:, 2, 0] -= s * k[:, 1]
    r[:, 2, 1] += s * k[:, 0]
    return r


def affine_scan(m: np.ndarray, c: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """Solve ``x_{k+1} = m_k x_k + c_k`` for k = 0..n-1 from ``x0``.

    m: (n, 3, 3), c: (n, 3), x0: (3,). Returns x: (n + 1, 3) with x[0] = x0.
    Blocks of about sqrt(n) steps are scanned side by side (step j of every
    block at once), then joined in order.
    """
    n = len(m)
    x0 = np.asarray(x0, dtype=m.dtype)
    if n == 0:
        return x0[None, :].copy()
    block = max(8, int(np.sqrt(n)))
    nb = -(-n // block)
    pad = nb * block - n
    if pad:
        m = np.concatenate([m, np.broadcast_to(np.eye(3), (pad, 3, 3))])
        c = np.concatenate([c, np.zeros((pad, 3))])
    # (step in block, block, ...): each step's slice is contiguous
    m = np.ascontiguousarray(m.reshape(nb, block, 3, 3).transpose(1, 0, 2, 3))
    c = np.ascontiguousarray(c.reshape(nb, block, 3).transpose(1, 0, 2))
    # 1. each block as one affine map: x_end = P x_start + L. The 3x3 products
    # are written out on the nine entries (numpy's matmul is slow on stacks of
    # tiny matrices).
    one, zero = np.ones(nb, dtype=m.dtype), np.zeros(nb, dtype=m.dtype)
    pm = [[one if i == k else zero for k in range(3)] for i in range(3)]
    lv = [zero, zero, zero]
    for j in range(block):
        mj, cj = m[j], c[j]
        rows = [[mj[:, i, 0], mj[:, i, 1], mj[:, i, 2]] for i in range(3)]
        pm = [[r[0] * pm[0][k] + r[1] * pm[1][k] + r[2] * pm[2][k] for k in range(3)]
              for r in rows]
        lv = [r[0] * lv[0] + r[1] * lv[1] + r[2] * lv[2] + cj[:, i] for i, r in enumerate(rows)]
    p = np.stack([np.stack(row, axis=-1) for row in pm], axis=-2)
    lin = np.stack(lv, axis=-1)
    # 2. the blocks' start states, in order
    starts = np.empty((nb, 3), dtype=m.dtype)
    x = x0.astype(m.dtype)
    for b in range(nb):
        starts[b] = x
        x = p[b] @ x + lin[b]
    # 3. every state, all blocks side by side
    out = np.empty((block, nb, 3), dtype=m.dtype)
    xv = [starts[:, 0], starts[:, 1], starts[:, 2]]
    for j in range(block):
        mj, cj = m[j], c[j]
        xv = [mj[:, i, 0] * xv[0] + mj[:, i, 1] * xv[1] + mj[:, i, 2] * xv[2] + cj[:, i]
              for i in range(3)]
        out[j, :, 0], out[j, :, 1], out[j, :, 2] = xv
    return np.concatenate([x0[None, :], out.transpose(1, 0, 2).reshape(-1, 3)[:n]])


def acc_trust(acc_g: np.ndarray, gyr_dps: np.ndarray, s: FilterSettings,
               rate_scale_dps: float | np.ndarray | None = None,
               acc_scale_g: float | np.ndarray | None = None) -> np.ndarray:
    """Per-sample weight in [0, 1]: 1 when quasi-static, 0 when clearly moving.

    The scales default to the settings'; :func:`gravity_up` uses each
    recording's own (one-leg balance sways more than two-leg standing)."""
    dev = (np.linalg.norm(acc_g, axis=1) - 1.0) / (s.acc_scale_g if acc_scale_g is None
                                                   else acc_scale_g)
    rate = np.linalg.norm(gyr_dps, axis=1) / (s.rate_scale_dps if rate_scale_dps is None
                                              else rate_scale_dps)
    return np.exp(-(dev * dev) - rate * rate)


def _sway_scales(acc_smooth_g: np.ndarray, gyr_smooth_dps: np.ndarray,
                 settings: FilterSettings) -> tuple[float, float]:
    """(rate scale deg/s, |acc| scale g) at which a recording counts as moving:
    the quieter part (30th percentile) of its smoothed angular rate and |acc|
    deviation, times 3, never below the settings' absolute scales."""
    rate = np.linalg.norm(gyr_smooth_dps, axis=1)
    dev = np.abs(np.linalg.norm(acc_smooth_g, axis=1) - 1.0)
    return (max(settings.rate_scale_dps, 3.0 * float(np.percentile(rate, 30))),
            max(settings.acc_scale_g, 3.0 * float(np.percentile(dev, 30))))


def gravity_up(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray,
               settings: FilterSettings = DEFAULT_FILTER,
               segment_starts: np.ndarray | None = None, stride: int | None = None,
               own_sway: bool = True) -> np.ndarray:
    """Unit "up" vector in the sensor frame at every sample, (n, 3).

    ``gyr_dps`` must already have its offset removed. Zero-phase: the forward
    and backward passes are averaged. ``segment_starts``: indices where an
    independent recording begins (the filter restarts there). ``stride``: the
    filter runs on every stride-th sample, the gyroscope integrated over the
    samples between, and "up" is interpolated back (default: 2 at 80 Hz and
    more, where it changes by well under 0.01 deg; else 1). ``own_sway``: judge
    "moving" against each segment's own sway ; False
    uses the settings' fixed scales.
    """
    n = len(time_s)
    acc_dir = acc_g / np.maximum(np.linalg.norm(acc_g, axis=1), 1e-9)[:, None]
    if n < 2:
        return acc_dir
    starts = np.unique(np.r_[0, np.asarray(segment_starts if segment_starts is not None
                                           else [], dtype=int)])
    starts = starts[starts < n]
    dt = np.diff(time_s)
    restart = np.zeros(n - 1, dtype=bool)
    restart[starts[starts > 0] - 1] = True
    # a long gap: the rotation across it is unknown (the mean of its edge rates
    # can bend gravity by tens of degrees during a squat), so each pass starts
    # afresh after it and the other pass, which reaches it from the far side
    # with a settled state, is trusted there
    gap = (dt > LONG_GAP_S) & ~restart
    dt = np.where(restart, 1.0, dt)
    if stride is None:
        stride = 2 if np.median(dt[::50]) < 1 / 80.0 else 1
    # keep every stride-th sample, each segment's first and last, both edges of a gap
    keep = np.zeros(n, dtype=bool)
    keep[::stride] = True
    keep[starts] = True
    keep[starts[1:] - 1] = True
    keep[np.flatnonzero(gap)] = True
    keep[np.flatnonzero(gap) + 1] = True
    keep[-1] = True
    idx = np.flatnonzero(keep)
    w = np.radians(0.5 * (gyr_dps[1:] + gyr_dps[:-1])) * dt[:, None]  # trapezoid, rad
    w[restart | gap] = 0.0
    steps = rotation_steps(np.add.reduceat(w, idx[:-1], axis=0))
    dt_k = np.add.reduceat(dt, idx[:-1])
    gap_k = gap[idx[:-1]]
    restart_k = np.isin(idx[1:], starts) | gap_k
    # judged on 0.2 s averages (skin wobble at 3-10 Hz is not pelvis movement),
    # each segment against its own sway
    acc_smooth, gyr_smooth = np.empty_like(acc_g), np.empty_like(gyr_dps)
    rate_scale = np.full(n, settings.rate_scale_dps)
    acc_scale = np.full(n, settings.acc_scale_g)
    for lo, hi in zip(starts, np.r_[starts[1:], n]):
        w = samples_for(time_s[lo:hi], 0.2)
        acc_smooth[lo:hi] = uniform_filter1d(acc_g[lo:hi], w, axis=0, mode="nearest")
        gyr_smooth[lo:hi] = uniform_filter1d(gyr_dps[lo:hi], w, axis=0, mode="nearest")
        if own_sway and hi - lo > 2:
            rate_scale[lo:hi], acc_scale[lo:hi] = _sway_scales(
                acc_smooth[lo:hi], gyr_smooth[lo:hi], settings)
    trust = acc_trust(acc_smooth[idx], gyr_smooth[idx], settings, rate_scale[idx],
                       acc_scale[idx])
    tau = 1.0 / (trust / settings.static_tau_s + (1 - trust) / settings.moving_tau_s)

    # The scans run in float32: twice as fast, and 1e-7 is far below any angle
    # that matters (1e-5 deg).
    f32 = np.float32
    steps = steps.astype(f32)
    acc32 = acc_dir[idx].astype(f32)
    # forward: x_{k+1} = (1 - a) R_k x_k + a acc_{k+1}, a from step k's dt
    a_fwd = np.where(restart_k, 1.0, 1.0 - np.exp(-dt_k / tau[1:])).astype(f32)
    fwd = affine_scan((1 - a_fwd)[:, None, None] * steps, a_fwd[:, None] * acc32[1:],
                      acc32[0])
    # backward: y_k = (1 - a) R_k^T y_{k+1} + a acc_k
    a_bwd = np.where(restart_k, 1.0, 1.0 - np.exp(-dt_k / tau[:-1])).astype(f32)[::-1]
    back_steps = np.transpose(steps, (0, 2, 1))[::-1]
    bwd = affine_scan((1 - a_bwd)[:, None, None] * back_steps,
                      a_bwd[:, None] * acc32[:-1][::-1], acc32[-1])[::-1]
    if gap_k.any():
        # how much of each pass's start-up error is left: none after a segment
        # start (a recording starts at rest), all of it just after a gap, then
        # decaying as the accelerometer pulls the state in
        weight_f = 1.0 / (0.05 + _left_since(np.log1p(-np.minimum(a_fwd, 0.999999)), gap_k,
                                             restart_k))
        weight_b = 1.0 / (0.05 + _left_since(np.log1p(-np.minimum(a_bwd, 0.999999)),
                                             gap_k[::-1], restart_k[::-1])[::-1])
        up = _unit(weight_f[:, None] * _unit(fwd.astype(float))
                   + weight_b[:, None] * _unit(bwd.astype(float)))
    else:
        up = _unit(_unit(fwd.astype(float)) + _unit(bwd.astype(float)))
    if len(idx) == n:
        return up
    # interpolate in time (a gap may sit between two kept samples); the clock
    # runs on across segment boundaries so that it always increases
    clock = np.r_[0.0, np.cumsum(dt)]
    return _unit(np.column_stack([np.interp(clock, clock[idx], up[:, i]) for i in range(3)]))


def _left_since(log_keep: np.ndarray, gap_k: np.ndarray, restart_k: np.ndarray
                ) -> np.ndarray:
    """(m + 1,) fraction of a pass's initial error left at each state: 0 from
    the start and after a segment restart, 1 just after a gap, then multiplied
    by each step's (1 - a) (``log_keep`` = log(1 - a) per step, in the pass's
    own order)."""
    total = np.r_[0.0, np.cumsum(log_keep.astype(float))]
    k = np.arange(total.size)
    # index of the last restart at or before each state (state 0: the start)
    marks = np.r_[0, np.flatnonzero(restart_k) + 1]
    last = marks[np.searchsorted(marks, k, side="right") - 1]
    from_gap = np.r_[False, gap_k][last]
    return np.where(from_gap, np.exp(total - total[last]), 0.0)


def gravity_up_segments(recordings: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
                        settings: FilterSettings = DEFAULT_FILTER) -> list[np.ndarray]:
    """:func:`gravity_up` of several independent recordings (time_s, acc_g,
    gyr_dps) in one vectorised pass; the same result as one call each."""
    if not recordings:
        return []
    lengths = [len(t) for t, _, _ in recordings]
    starts = np.cumsum([0, *lengths[:-1]])
    up = gravity_up(np.concatenate([t for t, _, _ in recordings]),
                    np.concatenate([a for _, a, _ in recordings]),
                    np.concatenate([g for _, _, g in recordings]), settings, starts)
    return np.split(up, starts[1:])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1), 1e-12)[:, None]
