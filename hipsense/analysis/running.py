"""The running check (``shared/spec/running.md``): steps, which foot, and the
contralateral pelvic drop of every stance, from one sacral IMU.

Pure functions over numpy arrays (no files, no printing). Frames: the sensor
frame of the recording; the pelvis axes ``a`` (anterior), ``l`` (left), ``u``
(up) as sensor-frame unit vectors from the calibration. Times in seconds on
the recording's clock, angles in degrees, specific force in g, rates in deg/s.

How it works:

1. The recording is put on an even grid; the gyroscope offset comes from the
   quiet stand before the run.
2. **Orientation:** the gyroscope alone carries a frame fixed to the world
   from the first sample (strapdown: the world axes seen from the sensor).
   Over a stride the mean specific force in a world frame is gravity (the
   runner does not speed up for ever), so the up direction in that drifting
   frame is the specific force rotated into it and averaged over a sliding
   stride (twice, a triangle); the frame's slow drift goes into that average
   and the stance's accelerations do not. Obliquity ``obl(t)`` is the
   elevation of ``l`` above that horizontal minus its quiet-stand mean.
3. **Contacts:** running has a flight phase, in which the sacrum is in free
   fall (the vertical specific force near 0 g); IC is where the steepest rise
   out of it, extended down its tangent, meets the flight's level, TO where
   the steepest fall into the next flight meets it. Walking has no flight:
   then the vertical acceleration is integrated and differentiated with a
   Gaussian (McCamley et al., Gait Posture 36:316, 2012): IC at its minima,
   TO at the maxima of its second derivative.
4. **Which foot:** the pelvis's obliquity over each stance relative to the
   stride's mean, normalised over the bout (the swing side drops: the stance
   side is up). Within a chain of alternating contacts the feet must
   alternate, so the chain's sides are the alternation that agrees best with
   the sum of the cues; ``side_confidence`` says how clearly (the chain's
   evidence against its own scatter) and is lowered for a step whose own cues
   disagree.
5. **Drop per step** as running.md defines it; contact time; steady bouts
   (at least 10 consecutive steps within 25 % of their median step time, and
   no turn: the heading turning over 25 deg/s averaged over a stride);
   per-side medians and IQRs over steady steps, asymmetry, and the change
   from the first to the last steady minute (None under two minutes of
   steady running: the two minutes would overlap).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import erf, sqrt
from typing import Any

import numpy as np

from hipsense.analysis.dsp import uniform_filter1d
from hipsense.analysis.orientation import affine_scan, rotation_steps
from hipsense.analysis.results import Flag
from hipsense.exercises import RUN, RunCheck

#: Step times a runner (or walker) can have, s.
MIN_STEP_S, MAX_STEP_S = 0.22, 0.8
#: Steady running: step times within this fraction of their median, for at least
#: MIN_BOUT_STEPS consecutive steps.
STEADY_FRACTION = 0.25
MIN_BOUT_STEPS = 10
#: A heading turning faster than this (deg/s, averaged over a stride) is a turn.
TURN_RATE_DPS = 25.0
#: Running (flight phases) when the flight's vertical specific force is below this (g).
FLIGHT_G = 0.45
#: The quiet stand used as the reference must last at least this long (s).
MIN_QUIET_S = 1.0
#: The quiet stand ends before the first rate over this (deg/s, over 0.1 s): a
#: runner's pelvis rocks into the first steps before the body bounces (at 40
#: deg/s the reference took in the first stance's obliquity, an offset that
#: lowers one side's median and raises the other's; tuning seeds 1000-1019 at
#: 100 Hz, per-side median error mean 0.23 -> 0.15 deg, worst 0.81 -> 0.62).
QUIET_RATE_DPS = 15.0


@dataclass(frozen=True)
class Step:
    """One step: stance foot, initial contact and toe-off (s), contact time (s),
    contralateral drop (deg, running.md), how sure the side is (0.5-1), and
    whether it is inside a steady bout."""

    side: str
    ic_s: float
    to_s: float
    pelvic_drop_deg: float
    side_confidence: float
    steady: bool

    @property
    def contact_s(self) -> float:
        return self.to_s - self.ic_s

    def to_json(self) -> dict[str, Any]:
        return {"side": self.side, "ic_s": round(self.ic_s, 3), "to_s": round(self.to_s, 3),
                "contact_s": round(self.contact_s, 3),
                "pelvic_drop_deg": round(self.pelvic_drop_deg, 2),
                "side_confidence": round(self.side_confidence, 3), "steady": self.steady}


@dataclass(frozen=True)
class Bout:
    """A bout of steady running: first IC to last IC (s), steps, cadence (steps/min)."""

    start_s: float
    end_s: float
    steps: int
    cadence_spm: float

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "steps": self.steps, "cadence_spm": round(self.cadence_spm, 1)}


@dataclass
class RunAnalysis:
    """A run's result: steps, bouts, per-side summaries, flags, and the
    obliquity signal (deg) on the even grid ``time_s`` for figures."""

    steps: list[Step]
    bouts: list[Bout]
    left: dict[str, Any]
    right: dict[str, Any]
    drop_asymmetry_deg: float | None
    drop_change_deg: float | None
    flags: list[Flag]
    mode: str
    reference_s: tuple[float, float] | None
    time_s: np.ndarray
    obliquity_deg: np.ndarray

    def to_json(self) -> dict[str, Any]:
        """The ``run`` object of running.md."""
        return {"steps": [s.to_json() for s in self.steps],
                "bouts": [b.to_json() for b in self.bouts],
                "left": self.left, "right": self.right,
                "drop_asymmetry_deg": _r(self.drop_asymmetry_deg),
                "drop_change_deg": _r(self.drop_change_deg)}


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(float(x), digits)


def _even_grid(time_s: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The signals on an even grid at the median rate (gaps interpolated)."""
    period = float(np.median(np.diff(time_s)))
    t = np.arange(time_s[0], time_s[-1] + period / 2, period)
    return (t, *[np.column_stack([np.interp(t, time_s, a[:, i]) for i in range(a.shape[1])])
                 for a in arrays])


def _samples(fs: float, seconds: float) -> int:
    return max(int(round(seconds * fs)), 1)


def quiet_stand(t: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray
                ) -> tuple[int, int] | None:
    """(first, last) sample of the quiet stand before the run: from the start
    to 0.3 s before the first movement (|acc| 0.25 g off 1 g or a rate of
    QUIET_RATE_DPS); None when it is shorter than MIN_QUIET_S."""
    fs = 1.0 / float(np.median(np.diff(t)))
    mag = uniform_filter1d(np.abs(np.linalg.norm(acc_g, axis=1) - 1.0), _samples(fs, 0.1))
    rate = uniform_filter1d(np.linalg.norm(gyr_dps - np.median(gyr_dps[:_samples(fs, 1.0)],
                                                               axis=0), axis=1),
                            _samples(fs, 0.1))
    moving = np.flatnonzero((mag > 0.25) | (rate > QUIET_RATE_DPS))
    onset = int(moving[0]) if moving.size else len(t)
    last = onset - _samples(fs, 0.3)
    first = min(_samples(fs, 0.2), max(last - 1, 0))
    if last <= first or t[last] - t[first] < MIN_QUIET_S:
        return None
    return first, last


def world_frame(t: np.ndarray, gyr_dps: np.ndarray) -> np.ndarray:
    """(n, 3, 3) matrices C with rows the world-fixed axes (those of the sensor
    at the first sample) seen from the sensor: ``C @ v_sensor`` gives a vector
    in that frame. From the gyroscope alone (offset removed), so it drifts slowly."""
    dt = np.diff(t)
    w = np.radians(0.5 * (gyr_dps[1:] + gyr_dps[:-1])) * dt[:, None]
    steps = rotation_steps(w)
    rows = [affine_scan(steps, np.zeros((len(steps), 3)), e) for e in np.eye(3)]
    return np.stack(rows, axis=1)


def _tangent_onset(v: np.ndarray, lo: int, hi: int, base: float, rising: bool,
                   fs: float) -> float | None:
    """Sample (fractional) where the tangent at the steepest rise (or fall) of
    ``v`` within [lo, hi) meets the level ``base``."""
    if hi - lo < 3:
        return None
    d = np.gradient(v[lo:hi]) * fs
    k = int(np.argmax(d) if rising else np.argmin(d))
    slope = d[k]
    if (slope <= 0) if rising else (slope >= 0):
        return None
    return lo + k - (v[lo + k] - base) * fs / slope


def contacts_running(v_g: np.ndarray, fs: float) -> list[tuple[float, float]]:
    """(IC, TO) sample positions from the vertical specific force ``v_g`` (g)
    of a running recording (flight phases near 0 g)."""
    vs = uniform_filter1d(v_g, _samples(fs, 0.02))
    lo_level, hi_level = np.percentile(vs, 10), np.percentile(vs, 90)
    low = lo_level + 0.3 * (hi_level - lo_level)
    high = lo_level + 0.6 * (hi_level - lo_level)
    # hysteresis: stance once above high after being below low
    ups, downs = [], []
    state = vs[0] > high
    for i in np.flatnonzero((vs > high) | (vs < low)):
        above = vs[i] > high
        if above and not state:
            ups.append(int(i))
        elif not above and state:
            downs.append(int(i))
        state = above
    out = []
    win = _samples(fs, 0.09)
    for j, u in enumerate(ups):
        prev_down = max([d for d in downs if d < u], default=None)
        next_down = min([d for d in downs if d > u], default=None)
        if prev_down is None or next_down is None or u - prev_down > _samples(fs, 0.6):
            continue
        nxt_up = ups[j + 1] if j + 1 < len(ups) else None
        base_ic = float(np.min(vs[prev_down:u + 1]))
        ic = _tangent_onset(v_g, max(u - win, prev_down), u + _samples(fs, 0.01) + 1,
                            base_ic, True, fs)
        end = nxt_up if nxt_up is not None else min(next_down + win, len(v_g))
        base_to = float(np.min(vs[next_down:end])) if end > next_down else base_ic
        to = _tangent_onset(v_g, max(next_down - win, u), min(next_down + _samples(fs, 0.02),
                                                              len(v_g)),
                            base_to, False, fs)
        if ic is None or to is None or to <= ic:
            continue
        out.append((ic, to))
    return _merge_close(out, fs)


def _merge_close(contacts: list[tuple[float, float]], fs: float) -> list[tuple[float, float]]:
    """One contact for each step: a contact starting within half a step of the
    previous one (the dip after a hard impact read as a flight) joins it."""
    if len(contacts) < 3:
        return contacts
    iv = np.diff([c[0] for c in contacts]) / fs
    ok = iv[iv >= MIN_STEP_S]
    if ok.size == 0:
        return contacts
    half = 0.5 * float(np.median(ok)) * fs
    out = [contacts[0]]
    for ic, to in contacts[1:]:
        if ic - out[-1][0] < half:
            out[-1] = (out[-1][0], max(out[-1][1], to))
        else:
            out.append((ic, to))
    return out


def contacts_walking(v_g: np.ndarray, fs: float) -> list[tuple[float, float]]:
    """(IC, TO) sample positions of walking (McCamley et al. 2012): the vertical
    acceleration integrated, then differentiated with a Gaussian; IC at its
    minima, TO at the following maximum of the second derivative."""
    # imported here: scipy.ndimage costs `hipsense analyze` 0.2 s of start-up
    from scipy.ndimage import gaussian_filter1d

    x = -(v_g - uniform_filter1d(v_g, _samples(fs, 2.0)))  # McCamley's vertical points down
    s1 = gaussian_filter1d(np.cumsum(x) / fs, sigma=0.05 * fs, order=1)
    s1 -= uniform_filter1d(s1, _samples(fs, 2.0))
    s2 = gaussian_filter1d(s1, sigma=0.05 * fs, order=1)
    gap = _samples(fs, 0.25)
    thr = -0.3 * np.percentile(np.abs(s1), 90)
    mins = [i for i in range(1, len(s1) - 1)
            if s1[i] < s1[i - 1] and s1[i] <= s1[i + 1] and s1[i] < thr]
    ics: list[int] = []
    for i in mins:
        if ics and i - ics[-1] < gap:
            if s1[i] < s1[ics[-1]]:
                ics[-1] = i
            continue
        ics.append(i)
    # IC: where the tangent at the steepest rise of the vertical acceleration
    # before its peak meets the level it rose from; TO of that foot: the
    # largest second-derivative peak just after the other foot's contact
    vs = gaussian_filter1d(v_g, sigma=0.015 * fs)
    out = []
    for k, i in enumerate(ics):
        lo = max(i - _samples(fs, 0.25), 0)
        base = float(np.min(vs[lo:i + 1]))
        onset = _tangent_onset(vs, max(i - _samples(fs, 0.15), 0), i + 1, base, True, fs)
        ic = float(i) if onset is None or onset < lo else onset
        if k + 1 >= len(ics):
            break
        j = ics[k + 1]
        seg = s2[j: j + _samples(fs, 0.3)]
        if seg.size < 3:
            continue
        out.append((ic, float(j + int(np.argmax(seg)))))
    return out


def _phi(x: float) -> float:
    return 0.5 * (1.0 + erf(x / sqrt(2.0)))


def _chains(ic_s: np.ndarray, step_s: float) -> list[np.ndarray]:
    """Runs of consecutive contacts whose intervals can be single steps."""
    breaks = np.flatnonzero((np.diff(ic_s) > 1.6 * step_s) | (np.diff(ic_s) < 0.5 * step_s))
    edges = np.r_[0, breaks + 1, len(ic_s)]
    return [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def assign_sides(ic_s: np.ndarray, cue: np.ndarray, step_s: float
                 ) -> tuple[list[str], list[float]]:
    """Left/right per contact and its confidence from a per-contact cue
    (positive = left) and alternation within each chain of contacts."""
    sides: list[str] = ["left"] * len(ic_s)
    conf: list[float] = [0.5] * len(ic_s)
    for chain in _chains(ic_s, step_s):
        alt = np.where(np.arange(chain.size) % 2 == 0, 1.0, -1.0)
        m = alt * cue[chain]
        first_left = m.sum() >= 0
        m = m if first_left else -m
        n = chain.size
        spread = float(np.std(m)) if n > 1 else 1.0
        evidence = float(np.mean(m)) * sqrt(n) / max(spread, 1e-6)
        chain_conf = _phi(evidence)
        for k, i in enumerate(chain):
            left = (alt[k] > 0) == first_left
            sides[i] = "left" if left else "right"
            own = m[k] > 0
            conf[i] = chain_conf if own else 0.5 + 0.8 * (chain_conf - 0.5)
    return sides, conf


def _summary(steps: list[Step], side: str) -> dict[str, Any]:
    mine = [s for s in steps if s.side == side and s.steady]
    if not mine:
        return {"steps": 0, "pelvic_drop_deg": None, "pelvic_drop_iqr_deg": None,
                "contact_s": None}
    drops = np.array([s.pelvic_drop_deg for s in mine])
    q1, q3 = np.percentile(drops, [25, 75])
    return {"steps": len(mine), "pelvic_drop_deg": _r(np.median(drops)),
            "pelvic_drop_iqr_deg": _r(q3 - q1),
            "contact_s": _r(np.median([s.contact_s for s in mine]), 3)}


def run_flags(left: dict[str, Any], right: dict[str, Any], asymmetry_deg: float | None,
              check: RunCheck = RUN) -> list[Flag]:
    """``running_pelvic_drop`` per side over the threshold, ``running_asymmetry``
    when the sides differ by more than its threshold, in plain words."""
    flags = []
    for side, other, summary in (("left", "right", left), ("right", "left", right)):
        value = summary.get("pelvic_drop_deg")
        if value is not None and value > check.pelvic_drop_deg:
            flags.append(Flag("running_pelvic_drop", "warning", check.drop_message.format(
                side=side, other=other, value=value, threshold=check.pelvic_drop_deg)))
    if asymmetry_deg is not None and asymmetry_deg > check.asymmetry_deg:
        lv, rv = left["pelvic_drop_deg"], right["pelvic_drop_deg"]
        side, other = ("left", "right") if lv > rv else ("right", "left")
        flags.append(Flag("running_asymmetry", "warning", check.asymmetry_message.format(
            side=side, other=other, value=asymmetry_deg, threshold=check.asymmetry_deg)))
    return flags


def analyze_run(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray,
                l_sensor: np.ndarray, u_sensor: np.ndarray, *,
                gyro_offset_dps: np.ndarray | None = None,
                check: RunCheck = RUN) -> RunAnalysis:
    """The running check of one recording.

    ``l_sensor``, ``u_sensor``: the pelvis's left and up axes as sensor-frame
    unit vectors (from the calibration). ``gyro_offset_dps``: the gyroscope
    offset; default: the mean over the quiet stand before the run (or, without
    one, the median of the whole recording). A recording without a quiet stand
    is measured relative to its mean obliquity over steady running and gets a
    data-quality flag.
    """
    t, acc, gyr = _even_grid(np.asarray(time_s, float), np.asarray(acc_g, float),
                             np.asarray(gyr_dps, float))
    fs = 1.0 / float(t[1] - t[0])
    flags: list[Flag] = []
    quiet = quiet_stand(t, acc, gyr)
    if gyro_offset_dps is None:
        gyro_offset_dps = (gyr[quiet[0]:quiet[1] + 1].mean(axis=0) if quiet is not None
                           else np.median(gyr, axis=0))
    gyr = gyr - gyro_offset_dps
    l_s = np.asarray(l_sensor, float) / np.linalg.norm(l_sensor)
    u_s = np.asarray(u_sensor, float) / np.linalg.norm(u_sensor)

    v = acc @ u_s  # vertical specific force, near enough (the pelvis tilts little)
    flight_level = float(np.percentile(uniform_filter1d(v, _samples(fs, 0.02)), 5))
    mode = "running" if flight_level < FLIGHT_G else "walking"
    raw = contacts_running(v, fs) if mode == "running" else contacts_walking(v, fs)
    ic_idx = np.array([c[0] for c in raw])
    to_idx = np.array([c[1] for c in raw])
    if ic_idx.size >= 2:
        iv = np.diff(ic_idx) / fs
        ok = iv[(iv > MIN_STEP_S) & (iv < MAX_STEP_S)]
        step_s = float(np.median(ok)) if ok.size else float(np.median(iv))
    else:
        step_s = 0.35

    # orientation: strapdown frame, up from the stride-averaged specific force
    c = world_frame(t, gyr)
    f_w = np.einsum("nij,nj->ni", c, acc)
    l_w = np.einsum("nij,j->ni", c, l_s)
    win = _samples(fs, 2.0 * step_s)
    up = uniform_filter1d(uniform_filter1d(f_w, win, axis=0, mode="nearest"), win, axis=0,
                          mode="nearest")
    up /= np.linalg.norm(up, axis=1)[:, None]
    elev = np.degrees(np.arcsin(np.clip(np.sum(l_w * up, axis=1), -1.0, 1.0)))
    if quiet is not None:
        ref = elev[quiet[0]:quiet[1] + 1].mean()
        reference_s: tuple[float, float] | None = (float(t[quiet[0]]), float(t[quiet[1]]))
    else:
        ref = float(np.median(elev))
        reference_s = None
        flags.append(Flag("data_quality", "warning",
                          "The run did not start with 3 s of quiet standing, so the drop is "
                          "measured from the run's average level, not from your standing "
                          "posture: stand still for 3 s before you start running."))
    obl = elev - ref

    # heading rate (turns): the rate about the vertical, averaged over a stride
    up_sensor = np.einsum("nji,nj->ni", c, up)
    turn = np.abs(uniform_filter1d(np.sum(gyr * up_sensor, axis=1), win))

    # the cue per contact: obliquity over the stance against the stride's mean
    # (the lateral force was tried too: on the RBDS treadmill runner it points
    # the other way, the pelvis's roll outweighing the body's sway)
    obl_stride = uniform_filter1d(obl, win, mode="nearest")
    n_c = ic_idx.size
    cue_roll = np.zeros(n_c)
    for k in range(n_c):
        a, b = int(np.ceil(ic_idx[k])), int(np.floor(to_idx[k])) + 1
        cue_roll[k] = float(np.mean(obl[a:max(b, a + 1)] - obl_stride[a:max(b, a + 1)]))

    def norm(x: np.ndarray) -> np.ndarray:
        scale = float(np.median(np.abs(x))) if x.size else 1.0
        return x / max(scale, 1e-9)

    ic_s = t[0] + ic_idx / fs
    to_s = t[0] + to_idx / fs
    # walking: the lateral force too (away from the stance foot; a wide base
    # sways the body over each foot); running: see above
    cue = norm(cue_roll)
    if mode == "walking":
        l_h = l_w - np.sum(l_w * up, axis=1)[:, None] * up
        l_h /= np.linalg.norm(l_h, axis=1)[:, None]
        lateral = np.sum(f_w * l_h, axis=1)
        lateral -= uniform_filter1d(lateral, win, mode="nearest")
        cue_lat = np.array([-float(np.mean(lateral[int(np.ceil(ic_idx[k])):
                                                   max(int(np.floor(to_idx[k])) + 1,
                                                       int(np.ceil(ic_idx[k])) + 1)]))
                            for k in range(n_c)])
        cue = cue + norm(cue_lat)
    sides, conf = assign_sides(ic_s, cue, step_s)

    # drops and steadiness
    drops = []
    for k in range(n_c):
        a, b = int(np.ceil(ic_idx[k])), int(np.floor(to_idx[k])) + 1
        seg = obl[a:max(b, a + 1)]
        drops.append(float(seg.max() if sides[k] == "left" else (-seg).max()))
    steady = np.zeros(n_c, dtype=bool)
    bouts: list[Bout] = []
    for chain in _chains(ic_s, step_s):
        if chain.size < MIN_BOUT_STEPS + 1:
            continue
        st = np.diff(ic_s[chain])
        med = float(np.median(st))
        good = (np.abs(st / med - 1.0) <= STEADY_FRACTION)
        good &= np.array([turn[int(ic_idx[i])] <= TURN_RATE_DPS for i in chain[:-1]])
        # runs of good steps (step k from contact k to k + 1)
        k = 0
        while k < good.size:
            if not good[k]:
                k += 1
                continue
            j = k
            while j < good.size and good[j]:
                j += 1
            if j - k >= MIN_BOUT_STEPS:
                idx = chain[k:j]
                steady[idx] = True
                span = ic_s[chain[j]] - ic_s[chain[k]]
                bouts.append(Bout(float(ic_s[chain[k]]), float(ic_s[chain[j]]), j - k,
                                  float(60.0 * (j - k) / span)))
            k = j
    steps = [Step(sides[k], float(ic_s[k]), float(to_s[k]), drops[k], float(conf[k]),
                  bool(steady[k])) for k in range(n_c)]
    left, right = _summary(steps, "left"), _summary(steps, "right")
    asym = (None if left["pelvic_drop_deg"] is None or right["pelvic_drop_deg"] is None
            else abs(left["pelvic_drop_deg"] - right["pelvic_drop_deg"]))
    change = None
    steady_steps = [s for s in steps if s.steady]
    # the first and last minutes apart: at least two minutes of steady running
    if steady_steps and steady_steps[-1].ic_s - steady_steps[0].ic_s >= 120.0:
        t0, t1 = steady_steps[0].ic_s, steady_steps[-1].ic_s
        first = [s.pelvic_drop_deg for s in steady_steps if s.ic_s < t0 + 60.0]
        last = [s.pelvic_drop_deg for s in steady_steps if s.ic_s > t1 - 60.0]
        change = float(np.median(last) - np.median(first))
    if not bouts:
        flags.append(Flag("data_quality", "alert",
                          f"No steady running was found ({n_c} contacts): run at an even pace "
                          f"for at least {MIN_BOUT_STEPS} steps."))
    flags = run_flags(left, right, asym, check) + flags
    return RunAnalysis(steps, bouts, left, right, asym, change, flags, mode, reference_s,
                       t, obl)


@dataclass(frozen=True)
class LiveRun:
    """The live view's figures during a run: the cadence over the last steps
    (steps/min), their median drop per side (deg) and how many steps."""

    cadence_spm: float
    left_drop_deg: float
    right_drop_deg: float
    steps: int

    def line(self, check: RunCheck = RUN) -> str:
        """The terminal's line (the catalogue's words)."""
        return check.cue.format(cadence=self.cadence_spm, left=self.left_drop_deg,
                                right=self.right_drop_deg)


def live_run(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray,
             l_sensor: np.ndarray, u_sensor: np.ndarray, last_steps: int = 10,
             check: RunCheck = RUN) -> LiveRun | None:
    """The live figures from the run so far (:func:`analyze_run` over all of
    it, its quiet stand the reference): the last ``last_steps`` steps'
    cadence and median drop per side; None before there are that many steps
    with both feet among them."""
    res = analyze_run(time_s, acc_g, gyr_dps, l_sensor, u_sensor, check=check)
    steps = res.steps[-last_steps:]
    if len(steps) < last_steps:
        return None
    span = steps[-1].ic_s - steps[0].ic_s
    if span <= 0:
        return None
    drops = {side: [s.pelvic_drop_deg for s in steps if s.side == side]
             for side in ("left", "right")}
    if not drops["left"] or not drops["right"]:
        return None
    return LiveRun(60.0 * (len(steps) - 1) / span, float(np.median(drops["left"])),
                   float(np.median(drops["right"])), len(steps))


def live_summary(time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray,
                 l_sensor: np.ndarray, u_sensor: np.ndarray, last_steps: int = 10,
                 check: RunCheck = RUN) -> str | None:
    """The live view's line during a run (:func:`live_run` in the catalogue's
    words); None before there are ``last_steps`` steps."""
    live = live_run(time_s, acc_g, gyr_dps, l_sensor, u_sensor, last_steps, check)
    return None if live is None else live.line(check)
