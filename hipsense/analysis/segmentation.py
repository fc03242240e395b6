"""Reps and holds from the pelvis's movement away from its home posture.

The home posture is found, not assumed: a set may start upright and then step
into position, start while the pelvis is still settling, or hold the start
only a second or two. It is where the pelvis returns between reps.

- The set's posture: the samples within :data:`POSTURE_DEG` of its median
  posture (getting down to the floor or up from it is not part of the set).
- The movement signal: the tilt (deg) along the direction in which "up" moves
  fastest over the set (the principal axis of its velocity, so the reps
  dominate even when a step into position moves further), signed so that the
  reps go up (the catalogue's rep direction when the pelvis axes tell it).
- Home: the level where the signal rests between the movement's peaks (the
  lower cluster of those levels: the dip inside a double-humped squat or a
  lunge is not home, nor a brief overshoot before settling).
- A rep is one departure from home and back, whatever its shape: the
  movement's peaks belong to one rep until the signal comes back near home
  between them (humps whose dip stays well above home are one rep). A small rep
  (well above the noise floor, below :data:`FULL_REP_FRACTION` of the typical
  rep) counts when it keeps the set's rhythm: among full reps, or right after
  the last one (not before the first: that is a fidget). Two pieces each far
  shorter than the set's reps and together about one are one rep (a small
  rep's top swaying; a squat's humps where its height is unknown).
- Squats lower the pelvis once per rep, whatever their tilt does on the way
  (a lunge's step forward, descent and step back): the movement's peaks within
  one lowering of the pelvis's height are one rep (:func:`depth_reps`).
- The reference (measurements.md): the quiet period at home just before the
  first rep. The first rep starts no earlier than the end of the last still
  second before it, whatever its level (reps that sink below the start after
  each, never resting at home, must not take the still start into rep 1).

A stretch's hold is the longest stable posture of the set; its edges are where
the movement settles to the hold's own level of motion, measured inside it;
its reference is the last quiet second before getting into the stretch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipsense.analysis.dsp import find_peaks, uniform_filter1d
from hipsense.analysis.motion import robust_sd, runs, samples_for, smoothed_rate
from hipsense.exercises import HOLD_TOP_FRACTION

#: The set's own posture: within this angle (deg) of its median posture.
POSTURE_DEG = 50.0
#: A rep must rise at least this many times the noise floor above home.
NOISE_FACTOR = 3.0
#: Two peaks are two reps when the valley between them comes back below
#: SPLIT_FRACTION of the smaller one's excursion, one rep above HUMP_FRACTION
#: (see :func:`_group_peaks` for the dips in between).
SPLIT_FRACTION, HUMP_FRACTION = 0.25, 0.6
#: A rep with a longer gap in the data (s) is counted but not measured: its
#: top may be lost.
MAX_BRIDGE_S = 0.5
#: A rep's start and end: where it is this fraction of its excursion from home.
EDGE_FRACTION = 0.1
#: A rep smaller than this fraction of the typical rep counts only among full
#: reps; none smaller than MIN_REP_FRACTION counts (sway at home).
FULL_REP_FRACTION, MIN_REP_FRACTION = 0.35, 0.15
#: Two reps each shorter than HALF_REP_FRACTION of the set's typical rep
#: duration and together at most JOINED_FRACTION of it, not home in between,
#: are one (see :func:`_join_halves`).
HALF_REP_FRACTION, JOINED_FRACTION = 0.7, 1.3
#: Reps that rise and fall once: home is a level at least this share of the
#: rests between peaks reach.
HOME_SHARE = 0.4
#: At most this many quick fidgets before the first rep are not reps.
MAX_FIDGETS = 3
#: A hold's posture: within this (deg) of it at least (more for larger stretches).
MIN_HOLD_TOL_DEG = 2.0
#: A hold starts (ends) only once no wobble follows (precedes) within this (s).
SETTLE_S = 2.0
#: ... nor a clear wobble (the rate over this many times the hold's own
#: restless level) within twice that.
WOBBLE_FACTOR = 3.0
#: Bursts of movement closer than this (s) are one way into a stretch.
GETTING_IN_GAP_S = 2.0
#: Getting into a stretch: its largest movement is within this (s) of the hold.
GETTING_IN_S = 5.0
#: The quiet start at home: found when at least this long (s) ...
MIN_REFERENCE_S = 1.0
#: ... or, when the first rep moves the pelvis before it leaves home, a still
#: stretch that ends at most this long (s) before that rep.
STILL_BEFORE_REP_S = 1.5
#: A quiet start shorter than this (s) was cut by its own sway: it goes back
#: while the pelvis turns no faster than SWAY_RATE_FACTOR times its rate there
#: (90th percentile) and stays within SWAY_POSTURE_FACTOR times the tolerance.
SHORT_QUIET_S = 1.6
SWAY_RATE_FACTOR = 1.8
SWAY_POSTURE_FACTOR = 2.0
#: A noise floor above this fraction of the typical rep: reps cannot be told apart.
MAX_NOISE_FRACTION = 0.35
#: Squats lower the pelvis once per rep: a trough of its height is a rep when at
#: least DEPTH_FRACTION of the typical rep's depth and MIN_REP_DEPTH_M deep
#: (both as prominence); the rep's movement is where the pelvis is lower than
#: DEPTH_EDGE_FRACTION of that depth above its surroundings, widened by
#: DEPTH_MARGIN_S (a lunge's step forward before going down).
DEPTH_FRACTION, MIN_REP_DEPTH_M = 0.5, 0.03
DEPTH_EDGE_FRACTION, DEPTH_MARGIN_S = 0.15, 1.5
#: Two lowerings closer than this fraction of the median spacing are one.
CLOSE_LOWERING_FRACTION = 0.5
#: A lowering counts where the height is known at its deepest point and over
#: at least this fraction of it.
KNOWN_FRACTION = 0.7


@dataclass(frozen=True)
class RepWindow:
    """Sample indices of one rep: start, first and last sample in the top part,
    end, the peak; ``top_s`` the time spent in the top part (s)."""

    start: int
    top_first: int
    top_last: int
    end: int
    peak: int
    top_s: float


@dataclass(frozen=True)
class Rest:
    """What the segmentation found about the set's rest posture.

    ``reference``: indices of the reference samples (the quiet period at home
    before the first rep, or the home rests between reps when there is none);
    ``found``: a quiet start at home of :data:`MIN_REFERENCE_S` was there;
    ``noise_deg``: the noise floor of the movement signal (robust SD);
    ``typical_deg``: the typical rep's excursion from home.
    """

    reference: np.ndarray
    found: bool
    noise_deg: float
    typical_deg: float

    @property
    def noisy(self) -> bool:
        """The noise floor is a large part of the reps: they are not reliable."""
        return self.typical_deg > 0 and (NOISE_FACTOR * self.noise_deg
                                         > MAX_NOISE_FRACTION * self.typical_deg)


def posture_span(time_s: np.ndarray, up: np.ndarray) -> tuple[int, int]:
    """[start, stop) of the set's own posture: from the first to the last second
    spent within :data:`POSTURE_DEG` of its median posture."""
    centre = np.median(up, axis=0)
    centre /= np.linalg.norm(centre)
    inside = np.degrees(np.arccos(np.clip(up @ centre, -1, 1))) < POSTURE_DEG
    one = samples_for(time_s, 1.0)
    long_runs = [r for r in runs(inside) if r[1] - r[0] >= min(one, len(up))]
    if not long_runs:
        return 0, len(up)
    return long_runs[0][0], long_runs[-1][1]


def movement_signal(time_s: np.ndarray, up: np.ndarray, gyr_dps: np.ndarray,
                    span: tuple[int, int], rep_direction: np.ndarray | None = None,
                    along_catalogue: bool = False) -> np.ndarray:
    """The tilt (deg) along the set's main direction of movement, per sample.

    The direction is the principal axis of the velocity of "up" (sensor frame)
    within ``span``, each sample's speed capped at the set's 90th percentile
    (a single fast step into position must not outweigh the reps).
    ``rep_direction``: the way "up" moves in a rep (sensor frame), from the
    catalogue and the pelvis axes; it signs the signal when it is clearly along
    the main direction (otherwise the reps are taken to be the side further
    from the span's first second). ``along_catalogue``: take that direction
    itself (exercises that tilt the pelvis a lot and always the same way, whose
    other movements, such as a drop that alternates with the legs, must not
    turn the direction).
    """
    lo, hi = span
    home = up[lo:hi].mean(axis=0)
    d = None
    if rep_direction is not None:
        d = rep_direction - (rep_direction @ home) / (home @ home) * home
        d = d / np.linalg.norm(d) if np.linalg.norm(d) > 0 else None
    if along_catalogue and d is not None:
        return np.degrees(np.arcsin(np.clip(up @ d, -1, 1)))
    g = uniform_filter1d(gyr_dps, samples_for(time_s, 0.15), axis=0, mode="nearest")
    velocity = np.cross(up[lo:hi], np.radians(g[lo:hi]))
    speed = np.linalg.norm(velocity, axis=1)
    cap = max(float(np.percentile(speed, 90)), 1e-9)
    velocity *= np.minimum(1.0, cap / np.maximum(speed, 1e-12))[:, None]
    _, _, vt = np.linalg.svd(velocity, full_matrices=False)
    direction = vt[0]
    m = np.degrees(np.arcsin(np.clip(up @ direction, -1, 1)))
    along = float(direction @ d) if d is not None else 0.0
    sign = np.sign(along) if abs(along) >= 0.3 else 0.0
    if sign == 0.0:
        start = np.median(m[lo:lo + samples_for(time_s, 1.0)])
        tail = np.percentile(m[lo:hi], [1, 99]) - start
        sign = 1.0 if tail[1] >= -tail[0] else -1.0
    return sign * m


def noise_floor_deg(time_s: np.ndarray, m: np.ndarray, rate_dps: np.ndarray,
                    span: tuple[int, int]) -> float:
    """A first noise floor (deg): the median over the set's quiet stretches (the
    pelvis turning slower than in 60 % of the set, for at least 1 s) of the
    movement signal's robust SD within each: sway and breathing, wherever the
    pelvis rests. The rests between reps give the final one (:func:`find_reps`)."""
    lo, hi = span
    quiet = rate_dps[lo:hi] <= np.percentile(rate_dps[lo:hi], 40)
    one = samples_for(time_s, 1.0)
    spreads = [robust_sd(m[lo + a:lo + b]) for a, b in runs(quiet) if b - a >= one]
    if not spreads:
        wander = m - uniform_filter1d(m, samples_for(time_s, 0.5), mode="nearest")
        return robust_sd(wander[lo:hi][quiet])
    return float(np.median(spreads))


@dataclass(frozen=True)
class DepthRep:
    """One lowering of the pelvis (sample indices): [start, stop) from the
    middle of the rest before it to the one after it, and whether the height
    is known (at its deepest point and over :data:`KNOWN_FRACTION` of it)."""

    start: int
    stop: int
    known: bool


@dataclass(frozen=True)
class Lowering:
    """A squat set's reps by the pelvis's height: one :class:`DepthRep` per
    lowering, and where (within the set's span) the height is known."""

    reps: list[DepthRep]
    known: np.ndarray


def depth_reps(time_s: np.ndarray, depth_m: np.ndarray, span: tuple[int, int]
               ) -> Lowering | None:
    """A squat set's reps from the pelvis's height, or None when the height
    shows no clear reps.

    ``depth_m``: how far the pelvis is below its height (m, down positive,
    high-passed; NaN where unknown, e.g. around a gap in the data). Whatever
    the pelvis's tilt does on the way (forward, back at the bottom, forward
    again; a lunge's step), a squat lowers it once per rep.
    """
    lo, hi = span
    known = ~np.isnan(depth_m[lo:hi])
    d = uniform_filter1d(np.where(known, depth_m[lo:hi], 0.0), samples_for(time_s, 0.1),
                         mode="nearest")
    peaks, props = find_peaks(d, prominence=MIN_REP_DEPTH_M,
                              distance=samples_for(time_s, 0.8))
    if peaks.size < 2:
        return None
    prominence = props["prominences"]
    typical = float(np.median(prominence[prominence >= np.median(prominence)]))
    keep = prominence >= DEPTH_FRACTION * typical
    peaks, prominence = peaks[keep], prominence[keep]
    # two lowerings far closer together than the set's rhythm are one rep's
    # (a split squat's wobble at the bottom): the shallower goes
    while peaks.size > 2:
        spacing = np.diff(peaks)
        k = int(np.argmin(spacing))
        if spacing[k] >= CLOSE_LOWERING_FRACTION * np.median(spacing):
            break
        drop = k if prominence[k] < prominence[k + 1] else k + 1
        peaks, prominence = np.delete(peaks, drop), np.delete(prominence, drop)
    # between two lowerings: the middle of the stretch where the pelvis is up
    highs = []
    for k, (a, b) in enumerate(zip(peaks[:-1], peaks[1:])):
        part = d[a:b + 1]
        near = np.flatnonzero(part <= part.min() + DEPTH_EDGE_FRACTION
                              * min(prominence[k], prominence[k + 1]))
        highs.append(a + (int(near[0]) + int(near[-1])) // 2)
    highs = np.array(highs, dtype=int)
    # each lowering runs from the middle of the rest before it to the one after
    # it; the first starts, and the last ends, where the pelvis is back up near its
    # height around them (widened: a lunge steps forward before going down)
    margin = samples_for(time_s, DEPTH_MARGIN_S)
    outer = []
    for p, prom, limit, way in ((peaks[0], prominence[0], 0, -1),
                                (peaks[-1], prominence[-1], hi - lo, 1)):
        back = np.flatnonzero(d[p::way] <= d[p] - (1.0 - DEPTH_EDGE_FRACTION) * prom)
        edge = p + way * (int(back[0]) + margin) if back.size else limit
        outer.append(min(max(edge, 0), hi - lo))
    bounds = np.r_[outer[0], highs, outer[1]]
    # a lowering is known when its deepest point is, and most of it
    found = [DepthRep(lo + a, lo + b, bool(known[p] and known[a:b].mean() >= KNOWN_FRACTION))
             for a, b, p in zip(bounds[:-1], bounds[1:], peaks)]
    return Lowering(found, known)


def find_reps(time_s: np.ndarray, m: np.ndarray, up: np.ndarray, rate_dps: np.ndarray,
              span: tuple[int, int], min_rep_deg: float,
              depth_m: np.ndarray | None = None) -> tuple[list[RepWindow], Rest]:
    """The reps of a set and its rest posture.

    ``m``: the movement signal (deg, reps positive); ``up``: "up" per sample
    (sensor frame); ``rate_dps``: the smoothed angular rate; ``span``: the set's
    own posture (see :func:`posture_span`); ``min_rep_deg``: the smallest
    movement that can be a rep in this posture; ``depth_m``: for squats, how far
    the pelvis is lowered (see :func:`depth_reps`): where it is known, the
    movement's peaks within one lowering are one rep. Without it, the
    movement rises and falls once per rep, so most rests between its peaks
    are at home. A first noise floor comes from the
    quietest samples; the spread of the rests between the reps found with it
    gives the final one, and the reps are found again when it is higher.
    """
    lo, hi = span
    ms = uniform_filter1d(m, samples_for(time_s, 0.1), mode="nearest")
    noise = noise_floor_deg(time_s, m, rate_dps, span)
    lowering = depth_reps(time_s, depth_m, span) if depth_m is not None else None
    one_hump = depth_m is None
    reps, home, typical = _reps_over_floor(time_s, ms, rate_dps, span, noise, min_rep_deg,
                                           lowering, one_hump)
    # the noise at home: the spread of what lies outside the reps and near home
    # (a rep missed at first must not pass for sway)
    outside = np.ones(hi - lo, dtype=bool)
    for r in reps:
        outside[r.start - lo:r.end + 1 - lo] = False
    rest = ms[lo:hi][outside]
    if typical > 0:
        # near home: a small rep missed at first is no sway
        rest = rest[np.abs(rest - home) <= MIN_REP_FRACTION * typical]
    if rest.size >= samples_for(time_s, 1.0):
        at_rest = robust_sd(rest)
        if at_rest > 1.2 * noise:
            reps, home, typical = _reps_over_floor(time_s, ms, rate_dps, span, at_rest,
                                                   min_rep_deg, lowering, one_hump)
        noise = max(noise, at_rest)
        # a rep rises clearly above where the pelvis rests, not only above the
        # troughs of its sway
        level = float(np.median(rest))
        floor = max(min_rep_deg, NOISE_FACTOR * noise)
        reps = [r for r in reps if ms[r.peak] - level >= floor]
    first = reps[0].start if reps else hi
    reference, found = _reference(time_s, up, ms, reps, home, noise, lo, first, rate_dps)
    if not found and reps:
        still = _still_start(time_s, up, rate_dps, noise, span, first)
        if still is not None:
            reference, found = still, True
    return reps, Rest(reference, found, noise, max(typical, 0.0))


def _reps_over_floor(time_s: np.ndarray, ms: np.ndarray, rate_dps: np.ndarray,
                     span: tuple[int, int], noise: float, min_rep_deg: float,
                     lowering: Lowering | None = None, one_hump: bool = False
                     ) -> tuple[list[RepWindow], float, float]:
    """(reps, home level, typical excursion) for a given noise floor (deg);
    ``lowering``: the squat's reps by the pelvis's height (:func:`depth_reps`);
    ``one_hump``: a rep rises and falls once (see :func:`_home_and_top`)."""
    lo, hi = span
    seg = ms[lo:hi]
    floor = max(min_rep_deg, NOISE_FACTOR * noise)
    peaks, _ = find_peaks(seg, prominence=floor, distance=samples_for(time_s, 0.4))
    start_level = _start_level(time_s[lo:hi], seg, rate_dps[lo:hi], peaks)
    home, top = _home_and_top(seg, peaks, one_hump, start_level if one_hump else None)
    typical = top - home
    reps: list[RepWindow] = []
    kept_full: list[bool] = []
    if not peaks.size or typical < floor:
        return reps, home, typical
    # sway bumps at home are not reps however prominent
    peaks = peaks[seg[peaks] - home >= max(floor, MIN_REP_FRACTION * typical)]
    groups = _group_peaks(seg, peaks, home, max(1.5 * noise, 0.25 * floor),
                          samples_for(time_s, 1.0), one_hump, start_level)
    if lowering is not None:
        groups = _group_by_lowering(groups, lowering, lo)
    bounds = [_still_until(time_s[lo:hi], seg, rate_dps[lo:hi], home, groups[0][0])
              if groups else 0]
    bounds += [int(np.argmin(seg[a[-1]:b[0] + 1])) + a[-1]
               for a, b in zip(groups[:-1], groups[1:])] + [len(seg) - 1]
    windows = [_window(time_s[lo:hi], seg, home, g, bounds[i], bounds[i + 1])
               for i, g in enumerate(groups)]
    t = time_s[lo:hi]
    if one_hump:
        windows = _join_halves(t, seg, home, groups, bounds, windows)
    elif lowering is not None:
        # where the height is unknown (around a gap) the lowerings cannot
        # hold a squat's humps together: the rhythm does
        unknown = np.array([not lowering.known[w.peak] for w in windows])
        windows = _join_halves(t, seg, home, groups, bounds, windows, unknown)
    # a peak beside a long gap in the data may have lost its top in it
    gaps = np.flatnonzero(np.diff(t) > MAX_BRIDGE_S)
    near = samples_for(time_s, 0.15)
    full = np.array([seg[w.peak] - home >= FULL_REP_FRACTION * typical
                     or bool(np.any((w.peak >= gaps - near) & (w.peak <= gaps + 1 + near)))
                     for w in windows])
    fulls = np.flatnonzero(full)
    if fulls.size:
        period = float(np.median(np.diff(t[[windows[i].start for i in fulls]]))
                       ) if fulls.size > 1 else np.inf
        duration = float(np.median([t[windows[i].end] - t[windows[i].start] for i in fulls]))
    for i, (w, f) in enumerate(zip(windows, full)):
        # a small rep counts in the set's rhythm: among full reps, or after the
        # last one (tiring), each in step with the rep before it; before the
        # first it is a fidget
        rhythm = fulls.size and (fulls[0] < i < fulls[-1] or (
            i > fulls[-1] and reps and t[w.start] - time_s[reps[-1].start] <= 1.5 * period
            and t[w.end] - t[w.start] >= 0.5 * duration))
        if f or rhythm:
            reps.append(RepWindow(w.start + lo, w.top_first + lo, w.top_last + lo,
                                  w.end + lo, w.peak + lo, w.top_s))
            kept_full.append(bool(f))
    # a first or last "rep" far quicker than the others is a fidget (a weight
    # shift before starting or after finishing), judged on the time spent
    # above half its excursion (a fidget's slow settling does not lengthen it);
    # up to MAX_FIDGETS weight shifts before starting are taken back in turn,
    # each with the small reps between it and the next full rep
    if len(reps) >= 4:
        # (a rep with a long gap in the data may have lost its top in it: its
        # time is unknown, it is no fidget)
        lasting = np.array([np.inf if np.any((gaps + lo >= r.start) & (gaps + lo < r.end))
                            else _time_above_half(time_s, ms, r, home) for r in reps])
        for _ in range(MAX_FIDGETS):
            if len(reps) < 4 or lasting[0] >= 0.5 * np.median(lasting[1:]):
                break
            first = 1 + next((k for k, f in enumerate(kept_full[1:]) if f), 0)
            reps, lasting, kept_full = reps[first:], lasting[first:], kept_full[first:]
        if lasting[-1] < 0.5 * np.median(lasting[:-1]):
            reps = reps[:-1]
    return reps, home, typical


def _join_halves(t: np.ndarray, seg: np.ndarray, home: float, groups: list[list[int]],
                 bounds: list[int], windows: list[RepWindow],
                 only: np.ndarray | None = None) -> list[RepWindow]:
    """Consecutive reps that are each much shorter than the set's reps
    (below HALF_REP_FRACTION of the typical duration: the median of the
    longer half) and together about one (at most JOINED_FRACTION of it), the
    signal not coming home between them, are one rep whose top wobbled (sway
    at the top of a small rep). ``only``: join only where one of the two is
    marked, whatever the dip between them and however long the other (a
    squat's humps where its height is unknown)."""
    if len(windows) < 4:
        return windows
    lasting = np.array([t[w.end] - t[w.start] for w in windows])
    typical = float(np.median(lasting[lasting >= np.median(lasting)]))
    out, i = [], 0
    while i < len(windows):
        a = windows[i]
        if i + 1 < len(windows):
            b = windows[i + 1]
            dip = seg[a.end:max(a.end, b.start) + 1].min() - home
            smaller = min(seg[a.peak], seg[b.peak]) - home
            pair = lasting[i:i + 2]
            joinable = (dip >= SPLIT_FRACTION * smaller and pair.max() < HALF_REP_FRACTION
                        * typical) if only is None else (
                (only[i] or only[i + 1]) and pair.min() < HALF_REP_FRACTION * typical)
            if joinable and t[b.end] - t[a.start] <= JOINED_FRACTION * typical:
                out.append(_window(t, seg, home, groups[i] + groups[i + 1], bounds[i],
                                   bounds[i + 2]))
                i += 2
                continue
        out.append(a)
        i += 1
    return out


def _still_until(t: np.ndarray, seg: np.ndarray, rate_dps: np.ndarray, home: float,
                 peak: int) -> int:
    """Where the last still second before the first rep leaves for its peak
    ends (0 when there is none): the rep starts no earlier, whatever the
    level it leaves (a pelvis still a little above where it later rests
    between reps)."""
    low = np.flatnonzero(seg[:peak] <= home + 0.5 * (seg[peak] - home))
    if not low.size:
        return 0
    long_runs = _still_runs(t, rate_dps, low[-1] + 1)
    return long_runs[-1][1] - 1 if long_runs else 0


def _start_level(t: np.ndarray, seg: np.ndarray, rate_dps: np.ndarray, peaks: np.ndarray
                 ) -> float | None:
    """The level of the last still stretch (:func:`_still_runs`) in the lower
    half before the signal leaves for the first of the larger peaks (a fidget
    or a smaller first rep may come first), or None."""
    big = peaks[seg[peaks] >= np.median(seg[peaks])] if peaks.size else peaks
    if not big.size:
        return None
    p = int(big[0])
    half = 0.5 * (seg[p] + seg[:p + 1].min())
    low = np.flatnonzero(seg[:p] <= half)
    still = _still_runs(t, rate_dps, int(low[-1]) + 1) if low.size else []
    # not the top of a smaller first rep held still
    levels = [float(np.median(seg[a:b])) for a, b in still]
    return next((v for v in reversed(levels) if v <= half), None)


def _still_runs(t: np.ndarray, rate_dps: np.ndarray, stop: int) -> list[tuple[int, int]]:
    """The still stretches of at least 1 s before sample ``stop``, [start, stop):
    the pelvis turning slower than twice the set's 25th percentile rate."""
    still = rate_dps[:stop] <= 2.0 * float(np.percentile(rate_dps, 25))
    return [r for r in runs(still) if t[r[1] - 1] - t[r[0]] >= 1.0]


def _time_above_half(time_s: np.ndarray, ms: np.ndarray, rep: RepWindow, home: float
                     ) -> float:
    """Time (s) the movement signal spends above half a rep's excursion from home."""
    inside = slice(rep.start, rep.end + 1)
    above = ms[inside] >= home + 0.5 * (ms[rep.peak] - home)
    return float(np.diff(time_s[inside])[above[:-1]].sum())


def _home_and_top(seg: np.ndarray, peaks: np.ndarray, one_hump: bool = False,
                  start_level: float | None = None) -> tuple[float, float]:
    """(home level, typical top level) of the movement signal.

    The top is the median of the upper half of the peaks. Home is where the
    signal rests between peaks: the rest levels between consecutive peaks fall
    into clusters (split at clear gaps); among the lower ones with a few
    members, the lowest is home unless the pelvis clearly stays longer per
    visit in another: the rests between reps, not the brief dips inside a
    lunge or a deep squat, nor the turning points of overshoots below home.
    ``one_hump``: a rep rises and falls once, so home is a level that a good
    part (:data:`HOME_SHARE`) of the rests reach, not a dip below home after a
    fidget or one overshoot. ``start_level`` (given for those alone): where
    the pelvis was still before the first peak; a cluster of rests at that
    level is home (reps that overshoot below home and go straight into the
    next one turn lower; a squat's rests are weighted by time instead).
    """
    if peaks.size == 0:
        return float(np.percentile(seg, 10)), float(np.percentile(seg, 10))
    heights = seg[peaks]
    top = float(np.median(heights[heights >= np.median(heights)]))
    if peaks.size < 2:
        return float(np.percentile(seg, 10)), top
    rests = [_valley_level(seg[p:q + 1]) for p, q in zip(peaks[:-1], peaks[1:])]
    order = np.argsort([r[0] for r in rests])
    levels = np.array([rests[i][0] for i in order])
    stays = np.array([rests[i][1] for i in order])
    span = top - levels[0]
    cuts = np.flatnonzero(np.diff(levels) >= 0.15 * span) + 1
    clusters = [c for c in np.split(np.arange(levels.size), cuts)
                if c.size >= max(2, int(np.ceil(0.15 * levels.size)))
                and levels[c[0]] <= levels[0] + 0.5 * span]
    at_start = [c for c in clusters if start_level is not None
                and levels[c[0]] - 0.1 * span <= start_level <= levels[c[-1]] + 0.1 * span]
    if one_hump:
        common = [c for c in clusters if c.size >= HOME_SHARE * levels.size]
        clusters = common or clusters
    if at_start:
        clusters = at_start[:1]
    if clusters:
        # the lowest cluster, unless the pelvis clearly stays longer per visit
        # in a higher one (rests above the turning points of overshoots)
        best = max(clusters, key=lambda c: np.median(stays[c]))
        if np.median(stays[best]) < 1.5 * np.median(stays[clusters[0]]):
            best = clusters[0]
        if one_hump:
            return float(np.median(levels[best])), top
        # reps with several humps: weighted by the time spent there, so the
        # brief dips inside reps do not pull home up from the long rests when
        # no clear gap separates their levels (split squats)
        weight = np.cumsum(stays[best])
        return float(levels[best][np.searchsorted(weight, 0.5 * weight[-1])]), top
    low = float(np.percentile(levels, 25))
    return float(np.median(levels[levels <= low + 0.25 * (top - low)])), top


def _valley_level(x: np.ndarray) -> tuple[float, int]:
    """Where the signal between two peaks rests, and for how many samples: the
    most frequent level of its lower half (a rest's plateau; the turning point
    of a rep that goes straight into the next; not the brief overshoot before
    settling)."""
    low = float(x.min())
    part = x[x <= low + 0.5 * (min(x[0], x[-1]) - low)]
    width = max((float(x.max()) - low) / 40.0, 0.05)
    bins = ((part - low) / width).astype(np.int64)
    k = int(np.argmax(np.bincount(bins)))
    level = float(np.median(part[bins == k]))
    return level, int((np.abs(x - level) <= 2 * width).sum())


def classify_dips(dips_deg: np.ndarray, excursions_deg: np.ndarray, near_home_deg: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The valleys between consecutive peaks as (came home, deep dip) masks.

    ``dips_deg``: each valley's height above home; ``excursions_deg``: each
    peak's. A valley below SPLIT_FRACTION of the smaller peak's excursion (or
    within ``near_home_deg`` of home) came home; one below HUMP_FRACTION is a
    deep dip; above it, a wobble at the top.
    """
    ratio = dips_deg / np.maximum(np.minimum(excursions_deg[:-1], excursions_deg[1:]), 1e-9)
    home_again = (ratio < SPLIT_FRACTION) | (dips_deg <= near_home_deg)
    return home_again, ~home_again & (ratio < HUMP_FRACTION)


def group_peaks(peaks: np.ndarray, split: np.ndarray) -> list[list[int]]:
    """Consecutive peaks in groups (one rep each), a new group after each
    valley where ``split`` is True."""
    groups = [[int(peaks[0])]]
    for q, new in zip(peaks[1:], split):
        if new:
            groups.append([int(q)])
        else:
            groups[-1].append(int(q))
    return groups


def _group_peaks(seg: np.ndarray, peaks: np.ndarray, home: float, near_home: float,
                 tail: int, one_hump: bool = False, start_level: float | None = None
                 ) -> list[list[int]]:
    """Peaks grouped into reps.

    Between consecutive peaks, the valley's height above home as a fraction of
    the smaller peak's excursion decides: below SPLIT_FRACTION (or within
    ``near_home``) the pelvis came home, two reps; above HUMP_FRACTION a wobble
    at the top, one rep; in between a dip that is the set's rep shape when reps
    with more than one peak are common in the set (double-humped squats,
    lunges), else two reps. ``one_hump``: reps rise and fall once, so such a
    dip always parts two reps (a few overshooting reps must not make a
    clamshell set look double-humped).
    A rep must leave from home (a set that starts above home, before stepping
    into position, has no rep until it has been home) or straight from the
    still start at ``start_level`` (reps that overshoot below home on the way
    back, so that home is lower than the start), and come back, unless the
    recording ends within ``tail`` samples of its top.
    """
    if not peaks.size:
        return []
    dips = np.array([_valley_level(seg[p:q + 1])[0] - home
                     for p, q in zip(peaks[:-1], peaks[1:])])
    home_again, deep = classify_dips(dips, seg[peaks] - home, near_home)
    humped = not one_hump and (~home_again).sum() >= 0.5 * max(home_again.sum(), 1)
    groups = group_peaks(peaks, home_again | (deep & ~humped))
    # the first rep leaves from home, or straight from the still start (reps
    # that overshoot home on the way back turn below where they started)
    first = groups[0][0]
    low = seg[:first + 1].min()
    from_start = (start_level is not None and abs(low - start_level) <= near_home
                  and seg[first] - start_level >= SPLIT_FRACTION * (seg[first] - home))
    if low - home > max(near_home, SPLIT_FRACTION * (seg[first] - home)) and not from_start:
        groups.pop(0)
    if groups:
        last = groups[-1][-1]
        after = seg[last:]
        if (after.min() - home > max(near_home, SPLIT_FRACTION * (seg[last] - home))
                and after.size > tail):
            groups.pop()
    return groups


def _group_by_lowering(groups: list[list[int]], lowering: Lowering, lo: int
                       ) -> list[list[int]]:
    """The peaks' groups (indices from ``lo``) regrouped by the lowerings of
    the pelvis (where its height is known): consecutive groups in one lowering
    are merged (a lunge's step forward, its descent and its step back are one
    rep even when the tilt comes near home between them), and a group across
    two lowerings is split between them (squats that go straight into the next
    one, the tilt not quite coming home between them)."""
    which = np.full(lowering.known.size, -1)
    for k, r in enumerate(lowering.reps):
        if r.known:
            which[r.start - lo:r.stop - lo] = k
    which[~lowering.known] = -1  # a peak where the height is unknown stays apart
    split: list[list[int]] = []
    for g in groups:
        split.append([g[0]])
        for p, q in zip(g[:-1], g[1:]):
            if which[p] != which[q] and which[p] >= 0 and which[q] >= 0:
                split.append([q])
            else:
                split[-1].append(q)
    out: list[list[int]] = []
    seen: list[set[int]] = []
    for g in split:
        labels = {int(which[p]) for p in g}
        # a group across two lowerings, or where the height is unknown, stays
        if out and len(labels) == 1 and labels == seen[-1] and -1 not in labels:
            out[-1].extend(g)
        else:
            out.append(list(g))
            seen.append(labels)
    return out


def _window(t: np.ndarray, seg: np.ndarray, home: float, group: list[int], prev: int,
            nxt: int) -> RepWindow:
    """A rep's edges: where it is EDGE_FRACTION of its excursion from home,
    searched no further than the valleys to the neighbouring reps (else those
    valleys' lowest points)."""
    peak = group[int(np.argmax(seg[group]))]
    top = seg[peak]
    edge = home + EDGE_FRACTION * (top - home)
    before = seg[prev:group[0] + 1]
    idx = np.flatnonzero(before <= edge)
    start = prev + (int(idx[-1]) if idx.size else int(np.argmin(before)))
    after = seg[group[-1]:max(nxt, group[-1]) + 1]
    idx = np.flatnonzero(after <= edge)
    end = group[-1] + (int(idx[0]) if idx.size else int(np.argmin(after)))
    in_top = seg[start:end + 1] >= home + HOLD_TOP_FRACTION * (top - home)
    first_last = np.flatnonzero(in_top)[[0, -1]]
    top_s = float(np.diff(t[start:end + 1])[in_top[:-1]].sum())
    return RepWindow(start, start + int(first_last[0]), start + int(first_last[1]), end, peak,
                     top_s)


def _posture_tol_deg(noise: float) -> float:
    """How far (deg) the posture may sway and still be the quiet start."""
    return min(max(1.5, 3.0 * noise), 3.0)


def _still_start(time_s: np.ndarray, up: np.ndarray, rate_dps: np.ndarray, noise: float,
                 span: tuple[int, int], first: int) -> np.ndarray | None:
    """Indices of the quiet start when the pelvis leaves it before the first
    rep (at ``first``) leaves home along the movement (a lunge's step forward):
    within the last still stretch (:func:`_still_runs`) that ends at most
    STILL_BEFORE_REP_S before the rep, the last MIN_REFERENCE_S or more whose
    posture stays near the stretch's median; None without one."""
    lo, hi = span
    still = _still_runs(time_s[lo:hi], rate_dps[lo:hi], first - lo)
    if not still or time_s[first] - time_s[lo + still[-1][1] - 1] > STILL_BEFORE_REP_S:
        return None
    a, b = lo + still[-1][0], lo + still[-1][1]
    near = _angle_deg(up[a:b], np.broadcast_to(np.median(up[a:b], axis=0), (b - a, 3))) \
        <= _posture_tol_deg(noise)
    quiet = [r for r in runs(near)
             if time_s[a + r[1] - 1] - time_s[a + r[0]] >= MIN_REFERENCE_S - 0.05]
    return np.arange(a + quiet[-1][0], a + quiet[-1][1]) if quiet else None


def _back_over_sway(rate_dps: np.ndarray, off_before_deg: np.ndarray, lo: int, start: int,
                    end: int, tol: float) -> int:
    """The first index of a quiet start [start, end) that one-leg sway cut
    short (its posture swung past ``tol`` deg, so a short stretch's mean is off
    by much of the sway): back from ``start`` while the pelvis turns no faster
    than SWAY_RATE_FACTOR times its rate in the stretch (90th percentile,
    deg/s) and its posture (``off_before_deg``, deg from the anchor for
    samples lo..start) stays within SWAY_POSTURE_FACTOR times ``tol``."""
    level = float(np.percentile(rate_dps[start:end], 90))
    swaying = (rate_dps[lo:start] <= SWAY_RATE_FACTOR * level) \
        & (off_before_deg <= SWAY_POSTURE_FACTOR * tol)
    moved = np.flatnonzero(~swaying)
    return lo + (int(moved[-1]) + 1 if moved.size else 0)


def _reference(time_s: np.ndarray, up: np.ndarray, ms: np.ndarray, reps: list[RepWindow],
               home: float, noise: float, lo: int, first: int, rate_dps: np.ndarray
               ) -> tuple[np.ndarray, bool]:
    """Indices of the reference samples and whether a quiet start at home was found.

    The quiet start is the stretch before the first rep where the posture stays
    within a tolerance of where it is just before that rep (3-D: a step into
    position across the reps' direction ends it too); one cut short by sway
    (:data:`SHORT_QUIET_S`) reaches back over it. Without one of at least
    0.3 s, the home rests between the first reps stand in."""
    tol = _posture_tol_deg(noise)
    end = first
    last = samples_for(time_s, 0.3)
    if end - lo >= 2:
        anchor = up[max(lo, end - last):end].mean(axis=0)
        anchor /= np.linalg.norm(anchor)
        off = np.degrees(np.arccos(np.clip(up[lo:end] @ anchor, -1, 1)))
        outside = np.flatnonzero(off > tol)
        start = lo + (int(outside[-1]) + 1 if outside.size else 0)
        if start < end - 1 and time_s[end - 1] - time_s[start] >= 0.3:
            if time_s[end - 1] - time_s[start] < SHORT_QUIET_S:
                start = _back_over_sway(rate_dps, off[:start - lo], lo, start, end, tol)
            return np.arange(start, end), bool(time_s[end - 1] - time_s[start]
                                               >= MIN_REFERENCE_S - 0.05)
    # no quiet start: the rests at home between the first reps
    rests = [np.arange(a.end, b.start) for a, b in zip(reps[:4], reps[1:5])]
    rest = np.concatenate(rests) if rests else np.array([], dtype=int)
    if rest.size:
        near = rest[np.abs(ms[rest] - home) <= max(tol, 0.15 * (ms[rest].max() - home))]
        if near.size:
            return near, False
    return np.arange(lo, min(lo + samples_for(time_s, 1.0), len(up))), False


def find_hold(time_s: np.ndarray, up: np.ndarray, gyr_dps: np.ndarray, rate_dps: np.ndarray,
              span: tuple[int, int], stretch_deg: np.ndarray | None = None
              ) -> tuple[int, int, np.ndarray, bool] | None:
    """A stretch's hold: (first index, last index, reference indices, quiet start
    found), or None when the set has no stable posture of 2 s.

    ``gyr_dps``: the gyroscope (offset removed); ``rate_dps``: the angular
    rate smoothed over 0.3 s. The hold's core is the longest stable stretch of
    the set, judged on the rate averaged over a second (sway to and fro
    cancels, getting in and out does not). The hold is the time the pelvis
    stays near the core's posture (small adjustments inside the hold are part
    of it; the rest posture before getting in is not). Its edges are where the
    motion settles to the hold's own level, measured inside it: the rate stays
    down for a second and the posture no longer moves against the 2 s
    that follow (start) or precede (end) it, so a wobble while settling into
    the stretch is not hold yet (nor a clear wobble within 4 s: a way in
    that slows down early reaches the posture well before the wobble); then
    the rate is down to the hold's own typical level (its 90th percentile),
    not only under its restless one. ``stretch_deg``: the stretch's own angle
    (deg, larger = deeper, any zero): the rest before getting in is one the
    stretch deepens from, not a deeper posture adjusted out of (see
    :func:`_hold_edges`).
    """
    lo, hi = span
    r = rate_dps[lo:hi]
    t = time_s[lo:hi]
    slow = smoothed_rate(t, gyr_dps[lo:hi], 1.0)
    quiet = slow <= max(1.0, 2.0 * float(np.median(slow)))
    core = _longest(t, _bridge(quiet, samples_for(time_s, 1.0)))
    if core is None or t[core[1] - 1] - t[core[0]] < 2.0:
        return None
    a, b = core
    seg_up = up[lo:hi]
    held = seg_up[a:b].mean(axis=0)
    first = seg_up[:samples_for(time_s, 1.0)].mean(axis=0)
    dist = _angle_deg(seg_up, np.broadcast_to(held, seg_up.shape))
    away = float(_angle_deg(first[None, :], held[None, :])[0])
    # near the hold: within a tolerance of it (a part of the way in, from the
    # set's start at first, then from the rest found before getting in), or
    # still after an adjustment that keeps the stretch (up to twice that
    # away, and over half as far from that rest as the hold is)
    one = samples_for(time_s, 1.0)
    stretch = stretch_deg[lo:hi] if stretch_deg is not None else None
    found = _hold_edges(time_s, t, seg_up, r, slow, quiet, dist, a, b, _bridge(
        dist <= max(MIN_HOLD_TOL_DEG, min(0.4 * away, 5.0)), one), stretch)
    _, _, reference, quiet_start = found
    if quiet_start:
        before = seg_up[reference].mean(axis=0)
        way_in = float(_angle_deg(held[None, :], before[None, :])[0])
        if way_in > 2.0 * MIN_HOLD_TOL_DEG:
            tol = max(MIN_HOLD_TOL_DEG, min(0.4 * way_in, 5.0))
            from_rest = _angle_deg(seg_up, np.broadcast_to(before, seg_up.shape))
            found = _hold_edges(time_s, t, seg_up, r, slow, quiet, dist, a, b, _bridge(
                (dist <= tol) | ((dist <= 2.0 * tol) & (from_rest >= 0.5 * way_in) & quiet),
                one), stretch)
    start, stop, reference, quiet_start = found
    return start + lo, stop + lo, reference + lo, quiet_start


def _hold_edges(time_s: np.ndarray, t: np.ndarray, seg_up: np.ndarray, r: np.ndarray,
                slow: np.ndarray, quiet: np.ndarray, dist: np.ndarray, a: int, b: int,
                near: np.ndarray, stretch: np.ndarray | None = None
                ) -> tuple[int, int, np.ndarray, bool]:
    """:func:`find_hold`'s edges and reference (indices within the span) around
    its core [a, b), given where the posture is ``near`` the hold's: (first
    index, last index, reference indices, quiet start found). ``r`` and
    ``slow``: the rate smoothed over 0.3 and 1 s; ``dist``: each sample's
    angle (deg) from the hold's posture; ``stretch``: the stretch's angle (deg,
    larger = deeper), or None."""
    n = len(seg_up)
    centre = (a + b) // 2
    ra, rb = next(((x, y) for x, y in runs(near) if x <= centre < y), (a, b))
    # a slow drift or a small adjustment that stays is part of the hold
    ra, rb = min(ra, a), max(rb, b)
    # each sample against the mean posture of the 2 s after it (for the start)
    # and before it (for the end)
    w = min(samples_for(time_s, 2.0), b - a)
    csum = np.vstack([np.zeros(3), np.cumsum(seg_up, axis=0)])
    idx = np.arange(n)
    d_ahead = _angle_deg(seg_up, csum[np.minimum(idx + w, n)] - csum[idx])
    d_behind = _angle_deg(seg_up, csum[idx + 1] - csum[np.maximum(idx + 1 - w, 0)])
    inside = np.r_[d_ahead[a:max(b - w, a + 1)], d_behind[min(a + w, b - 1):b]]
    level = max(0.5, 2.0 * float(np.percentile(inside, 90)))
    rate_level = max(0.5, 1.5 * float(np.percentile(r[ra:rb], 90)))
    one = samples_for(time_s, 1.0)
    restless = np.r_[0, np.cumsum(r > rate_level)]
    calm_after = restless[np.minimum(idx + one, n)] - restless[idx] == 0
    calm_before = restless[idx + 1] - restless[np.maximum(idx + 1 - one, 0)] == 0
    # the first settled sample, unless the pelvis wobbles again within
    # SETTLE_S after it (settling into the stretch); likewise at the end
    settle = samples_for(time_s, SETTLE_S)
    ok = ra + np.flatnonzero((calm_after & (d_ahead <= level))[ra:centre])
    start = int(ok[0]) if ok.size else ra
    wobbly = r > WOBBLE_FACTOR * rate_level

    def wobble_after(i: int) -> int | None:
        # the last restless sample within SETTLE_S after i, or wobble within twice that
        near = np.flatnonzero(r[i:i + settle] > rate_level)
        far = np.flatnonzero(wobbly[i:i + 2 * settle])
        last = max(near[-1] if near.size else -1, far[-1] if far.size else -1)
        return i + int(last) if last >= 0 else None

    while ok.size and (w := wobble_after(start)) is not None:
        ok = ok[ok > w]
        start = int(ok[0]) if ok.size else min(w + 1, centre)
    ok = centre + np.flatnonzero((calm_before & (d_behind <= level))[centre:rb])
    stop = int(ok[-1]) + 1 if ok.size else rb
    while ok.size and restless[stop] > restless[max(stop - settle, 0)]:
        ok = ok[ok + 1 < max(stop - settle, 0) + int(np.flatnonzero(
            r[max(stop - settle, 0):stop] > rate_level)[0])]
        stop = int(ok[-1]) + 1 if ok.size else stop
    # the edges where the rate is down to the hold's own typical level
    typical = float(np.percentile(r[a:b], 90))
    settled = np.flatnonzero(r[start:centre] <= typical)
    start = start + int(settled[0]) if settled.size else start
    settled = np.flatnonzero(r[centre:stop] <= typical)
    stop = centre + int(settled[-1]) + 1 if settled.size else stop
    dist_level = max(1.0, level)
    # the reference: a quiet second before getting in (see below); else the
    # longest quiet moment. Quiet against the calmest part before the hold
    # (standing sways more than lying in a stretch)
    calm_level = max(1.0, 2.0 * float(np.percentile(slow[:start], 25))) if start > 0 else 1.0
    calm = (slow[:start] <= calm_level) | quiet[:start]
    # getting in: the last burst of movement before the hold as large as in
    # its last GETTING_IN_S, on the rate averaged over a second (a wobble to
    # and fro is not one; bursts less than GETTING_IN_GAP_S apart are one: a
    # lean, then the tuck)
    recent = slow[max(0, start - samples_for(time_s, GETTING_IN_S)):start]
    big = np.flatnonzero(slow[:start] > 0.5 * recent.max()) if start > 0 else np.array([], int)
    getting_in = start
    if big.size:
        apart = np.flatnonzero(np.diff(t[big]) > GETTING_IN_GAP_S)
        getting_in = int(big[apart[-1] + 1]) if apart.size else int(big[0])
    # a quiet moment near the hold's posture is a pause on the way in, unless
    # the pelvis left that posture again before the hold (a rest beside a
    # small stretch, then the way in)
    left_after = np.r_[np.maximum.accumulate(dist[:start][::-1])[::-1][1:], 0.0] \
        > 2.0 * dist_level if start > 0 else np.zeros(0, bool)
    quiet_before = runs(calm & ((np.arange(start) < getting_in) | (dist[:start] > dist_level)
                                | left_after))
    long_enough = [r for r in quiet_before if t[r[1] - 1] - t[r[0]] >= MIN_REFERENCE_S - 0.05]
    if long_enough:
        # before getting in if there is one there (not a pause on the way in):
        # the last one away from the hold, else the farthest from it (not a
        # pause near its posture)
        early = [r for r in long_enough if r[1] <= getting_in] or long_enough
        away = [r for r in early if np.median(dist[r[0]:r[1]]) > dist_level]
        if stretch is not None:
            # one the stretch deepens from by more than the hold's sway (a
            # deeper posture adjusted out of is part of the hold)
            deeper = float(np.median(stretch[a:b]))
            away = [r for r in away
                    if deeper - float(np.median(stretch[r[0]:r[1]])) > dist_level] or away
        x, y = away[-1] if away else max(early, key=lambda r: float(np.median(dist[r[0]:r[1]])))
        return start, stop - 1, np.arange(x, y), True
    some = [r for r in quiet_before if t[r[1] - 1] - t[r[0]] >= 0.3]
    if some:
        x, y = max(some, key=lambda r: r[1] - r[0])
        return start, stop - 1, np.arange(x, y), False
    return start, stop - 1, np.arange(min(samples_for(time_s, 1.0), max(start, 1))), False


def _angle_deg(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle (deg) between the rows of u and v (any lengths)."""
    cos = (u * v).sum(axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _bridge(mask: np.ndarray, gap: int) -> np.ndarray:
    """``mask`` with runs of False shorter than ``gap`` samples (inside) filled."""
    out = mask.copy()
    for a, b in runs(~mask):
        if b - a < gap and a > 0 and b < len(mask):
            out[a:b] = True
    return out


def _longest(t: np.ndarray, mask: np.ndarray) -> tuple[int, int] | None:
    found = runs(mask)
    if not found:
        return None
    return max(found, key=lambda r: t[r[1] - 1] - t[r[0]])
