"""Reps and holds from the pelvis's movement away from its rest posture.

A rep is one excursion of the pelvis's tilt from its rest posture along the
set's main direction of movement, and back; a stretch's hold is the long still
stretch between getting into position and coming out of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from hipsense.analysis.motion import samples_for
from hipsense.exercises import HOLD_TOP_FRACTION

#: A peak counts as a rep when its prominence is at least this fraction of the
#: set's typical rep (so partial reps and fidgets do not count).
REL_PROMINENCE = 0.35
#: The smallest excursion (deg) that can be a rep at all.
MIN_REP_DEG = 0.6
#: Leaving / returning to rest: this fraction of the rep's excursion.
EDGE_FRACTION = 0.1
#: Minimum-jerk movements take this fraction of their duration between 10 %
#: and 90 % of the way (10 s^3 - 15 s^4 + 6 s^5: s = 0.2470 .. 0.7530).
_MJ_10_90 = 0.5060


@dataclass(frozen=True)
class RepWindow:
    """Sample indices of one rep: start, first and last sample in the top part, end."""

    start: int
    top_first: int
    top_last: int
    end: int
    peak: int


def movement_along_reps(up: np.ndarray, reference: slice) -> np.ndarray:
    """Tilt from rest (deg) along the set's main direction of movement.

    The tilt is projected on the direction in which "up" moves most during the
    set (its principal component), signed so that reps are positive. Unlike the
    tilt's magnitude, it ignores small shifts of the rest posture across the
    direction of the reps, so even 1-2 deg reps stand out.
    """
    rest = up[reference].mean(axis=0)
    rest /= np.linalg.norm(rest)
    dev = up - rest
    after = dev[reference.stop:] if reference.stop < len(up) else dev
    _, _, vt = np.linalg.svd(after, full_matrices=False)
    along = np.degrees(dev @ vt[0])
    tail = np.percentile(along, [1, 99])
    return along if tail[1] >= -tail[0] else -along


def find_reps(time_s: np.ndarray, movement_deg: np.ndarray, search_from: int
              ) -> tuple[list[RepWindow], float]:
    """Reps after index ``search_from``; also returns the typical rep excursion (deg)."""
    m = movement_deg
    noise = float(np.std(m[:search_from])) if search_from > 1 else 0.0
    floor = max(MIN_REP_DEG, 6.0 * noise)
    peaks, props = find_peaks(m, prominence=floor, distance=samples_for(time_s, 0.6))
    keep = peaks >= search_from
    peaks, prom = peaks[keep], props["prominences"][keep]
    if not peaks.size:
        return [], 0.0
    typical = float(np.median(prom[prom >= 0.5 * prom.max()]))
    peaks = peaks[prom >= REL_PROMINENCE * typical]

    # valleys: the lowest point between consecutive reps (and the set's ends)
    bounds = [search_from]
    for p, q in zip(peaks[:-1], peaks[1:]):
        bounds.append(p + int(np.argmin(m[p:q + 1])))
    bounds.append(len(m) - 1)
    reps = []
    for i, p in enumerate(peaks):
        lo, hi = bounds[i], bounds[i + 1]
        rest_before = float(m[lo:p + 1].min())
        rest_after = float(m[p:hi + 1].min())
        top = float(m[p])
        before = m[lo:p + 1]
        after = m[p:hi + 1]
        start = lo + _last(before <= rest_before + EDGE_FRACTION * (top - rest_before))
        end = p + _first(after <= rest_after + EDGE_FRACTION * (top - rest_after), len(after) - 1)
        top_first = lo + _first(before >= rest_before + HOLD_TOP_FRACTION * (top - rest_before),
                                p - lo)
        top_last = p + _last(after >= rest_after + HOLD_TOP_FRACTION * (top - rest_after))
        reps.append(RepWindow(int(start), int(top_first), int(top_last), int(end), int(p)))
    return reps, typical


def _first(mask: np.ndarray, default: int = 0) -> int:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if idx.size else default


def _last(mask: np.ndarray, default: int = 0) -> int:
    idx = np.flatnonzero(mask)
    return int(idx[-1]) if idx.size else default


def find_hold(time_s: np.ndarray, rate_dps: np.ndarray, up: np.ndarray, search_from: int
              ) -> tuple[float, float] | None:
    """(start_s, end_s) of a stretch's hold, or None when there is none.

    Getting in and coming out are clear movements (the smoothed rate well above
    the quiet start's); the hold is the longest stretch between two of them.
    Its edges are refined on the angle to the held posture: getting in and
    coming out are taken as smooth point-to-point movements (minimum jerk, as
    human reaching and posture changes are), whose end is found from where they
    pass 10 %, 50 % and 90 % of the way.
    """
    quiet = float(np.percentile(rate_dps[:search_from], 95)) if search_from else 0.0
    moving = rate_dps > max(1.0, 3.0 * quiet)
    moving[:search_from] = False
    runs = [r for r in _runs(moving) if time_s[r[1] - 1] - time_s[r[0]] >= 0.1]
    if len(runs) < 2:
        return None
    gaps = [(a[1], b[0]) for a, b in zip(runs[:-1], runs[1:])]
    i0, i1 = max(gaps, key=lambda g: time_s[g[1] - 1] - time_s[g[0]])
    i1 -= 1
    if time_s[i1] - time_s[i0] < 2.0:
        return None
    # the held posture a little inside the hold, where the movement has settled
    one, three = samples_for(time_s, 1.0), samples_for(time_s, 3.0)
    start = _refine(time_s, up, held=slice(min(i0 + one, i1), min(i0 + three, i1) + 1),
                    around=slice(search_from, min(i0 + three, i1) + 1), edge=i0, arriving=True)
    end = _refine(time_s, up, held=slice(max(i1 - three, i0), max(i1 - one, i0) + 1),
                  around=slice(max(i1 - three, i0), len(up)), edge=i1, arriving=False)
    return (start if start is not None else float(time_s[i0]),
            end if end is not None else float(time_s[i1]))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    padded = np.r_[False, mask, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _refine(time_s: np.ndarray, up: np.ndarray, held: slice, around: slice, edge: int,
            arriving: bool) -> float | None:
    """Time the posture arrives at (or leaves) the held posture, from the 10/50/90 %
    passages of the movement into (out of) it; None if unclear.

    ``held``: samples of the held posture; ``around``: samples that contain the
    movement and part of the hold; ``edge``: the coarse edge (the movement's
    furthest point is looked for before it when arriving, after it when leaving).
    """
    target = up[held].mean(axis=0)
    target /= np.linalg.norm(target)
    idx = np.arange(around.start, around.stop)
    d = np.degrees(np.arccos(np.clip(up[idx] @ target, -1.0, 1.0)))
    t = time_s[idx]
    if not arriving:  # leaving is arriving backwards in time
        d, t, idx = d[::-1], -t[::-1], idx[::-1]
    before = np.flatnonzero(idx <= edge) if arriving else np.flatnonzero(idx >= edge)
    if before.size < 3:
        return None
    far = float(d[before].max())
    if far < 2.0:
        return None
    # the last passage through 50 % on the way in, then 10 % and 90 % around it,
    # relative to the furthest point of this movement (not of earlier wobbles)
    mid = _last(d[:before[-1] + 1] >= 0.5 * far, -1)
    if mid < 0:
        return None
    window = t >= t[mid] - 3.0
    far = float(d[window & (np.arange(d.size) <= mid)].max())
    i10 = _last((d >= 0.9 * far) & (np.arange(d.size) <= mid), -1)
    i90 = mid + _first(d[mid:] <= 0.1 * far, -1)
    if i10 < 0 or i90 < mid:
        return None
    duration = (t[i90] - t[i10]) / _MJ_10_90
    end = float(t[mid] + duration / 2)
    return end if arriving else -end
