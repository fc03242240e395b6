"""Real motion capture replayed through hipsense's IMU model.

The CMU motion-capture database gives the pelvis pose (the ``root`` segment)
of real people at 120 frames/s in AMC files. This module turns a trial into a
smooth pelvis motion with the interface of :class:`~hipsense.sim.motion.Motion`
(``orientation(t)``, ``hip_position(t)``), cuts it into sets from per-0.1 s
action labels (KneeRaise -> ``knee_drive``, Squat -> ``single_leg_squat``),
computes each set's ground truth from the true pelvis with the definitions of
measurements.md, and records a virtual sacral IMU through the sensor model of
:mod:`hipsense.sim.imu` (mounting, errors, sampling) into a session folder.

Conventions (CMU/Acclaim, no ASF file needed for the root):

- The root line is ``root tx ty tz rx ry rz`` (ASF ``order TX TY TZ RX RY RZ``,
  ``axis XYZ`` with zero axis offsets for CMU's root). The rotation is
  ``Rz(rz) Ry(ry) Rx(rx)`` applied to column vectors (extrinsic x, then y,
  then z; scipy ``from_euler("xyz")``), giving world-from-root.
- World: Y up. Root-local axes: X = the subject's left, Y = up, Z = anterior
  (so anterior = left x up, as in measurements.md).
- Length unit: 1 CMU unit = 1/0.45 inch.
- Femur ``rx`` is the hip's flexion about its medio-lateral axis, flexion
  negative.

Hipsense's world is z up: x = CMU Z, y = CMU X, z = CMU Y (a rotation of the
axes, so the pelvis (a, l, u) at rest is the identity).

The CMU trials have no rest between actions (and no still second at all), so
a set that the trial gives no 2 s of quiet standing before its first rep
begins with the quietest frame just before that rep held still for 3 s, and
every set ends with the quietest frame after its last rep held for 2 s (the
spec's quiet start and short rest). The truth's reference is that still pose.
The pose is low-passed at 15 Hz (zero phase) before it is differentiated; the
truth is computed from that same smooth pose.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import butter, filtfilt, find_peaks
from scipy.spatial.transform import Rotation

from hipsense.core import Session, SetInfo
from hipsense.errors import HipsenseError
from hipsense.exercises import EXERCISES, HOLD_TOP_FRACTION
from hipsense.io.session import new_session_metadata
from hipsense.sim.imu import ImuErrors, Mounting, Sampler, record
from hipsense.sim.truth import TRUTH_RATE_HZ, angle_signals
from hipsense.version import __version__

#: CMU frame rate (frames/s).
CMU_FPS = 120.0
#: One CMU length unit in metres (1/0.45 inch).
CMU_UNIT_M = 0.0254 / 0.45
#: Each action label covers this long (s).
LABEL_PERIOD_S = 0.1
#: Action ids of the labels (Fox, Hughes, Sudderth and Jordan 2014).
ACTIONS = {1: "JumpJack", 2: "Jog", 3: "Squat", 4: "KneeRaise", 5: "ArmCircle", 6: "Twist",
           7: "SideReach", 8: "Box", 9: "UpDown", 10: "ToeTouchOneHand", 11: "SideBend",
           12: "ToeTouchTwoHands"}
SQUAT, KNEE_RAISE = 3, 4
#: Exercise each labelled action becomes.
EXERCISE_OF_ACTION = {KNEE_RAISE: "knee_drive", SQUAT: "single_leg_squat"}

#: Hipsense world (z up) from CMU world (Y up): x = Z, y = X, z = Y.
WORLD_FROM_CMU = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
#: Root-local (X left, Y up, Z anterior) from pelvis (a, l, u): columns a, l, u.
ROOT_FROM_PELVIS = WORLD_FROM_CMU.T

#: Zero-phase low-pass of the pose before it is differentiated (Hz).
POSE_CUTOFF_HZ = 15.0
#: Low-pass of the femur angles and pelvis height used to find the true reps (Hz).
REP_CUTOFF_HZ = 6.0
#: A rep leaves / returns to rest at this fraction of its excursion (as the analysis).
EDGE_FRACTION = 0.1
#: A knee raise flexes the hip at least this much (deg) above its rest.
MIN_KNEE_RAISE_DEG = 35.0
#: A squat lowers the pelvis at least this much (m).
MIN_SQUAT_DEPTH_M = 0.06
#: Quiet standing before a set: the pelvis turns slower than this (deg/s) ...
QUIET_RATE_DPS = 8.0
#: ... and moves slower than this (m/s).
QUIET_SPEED_MS = 0.05
#: Seconds of rest put before a set (real if the trial has it, else the pose held).
REST_BEFORE_S = 3.0
#: Seconds of rest after a set's last rep (the pose held).
REST_AFTER_S = 2.0
#: A squat is single-leg when one hip flexes this fraction less per squat than the other.
STANCE_FLEXION_MARGIN = 0.3


class MocapError(HipsenseError):
    """A motion-capture or label file that cannot be used; the message names the
    file and, where it applies, the line (``file:12: ...``)."""

    def __init__(self, path: str | Path, message: str, *, line: int | None = None) -> None:
        where = str(path) + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {message}")


# ---------------------------------------------------------------------------
# AMC and labels


@dataclass
class AmcTrial:
    """One AMC trial: the root's 6 channels and both femurs' 3, one row per frame.

    ``root`` is (n, 6): tx ty tz in CMU units, rx ry rz in degrees; ``femur`` maps
    ``"left"``/``"right"`` to (n, 3) rx ry rz in degrees.
    """

    path: Path
    root: np.ndarray
    femur: dict[str, np.ndarray]
    fps: float = CMU_FPS

    @property
    def n(self) -> int:
        return len(self.root)

    @property
    def time_s(self) -> np.ndarray:
        """Frame times, the first frame at 0."""
        return np.arange(self.n) / self.fps

    def pelvis_orientation(self) -> Rotation:
        """World (z up) from pelvis (a, l, u) at every frame."""
        return root_to_pelvis(self.root[:, 3:])

    def pelvis_position_m(self) -> np.ndarray:
        """(n, 3) root position in metres, hipsense world (z up)."""
        return self.root[:, :3] * CMU_UNIT_M @ WORLD_FROM_CMU.T

    def hip_flexion_deg(self, side: str) -> np.ndarray:
        """Flexion of one hip (deg, + = flexed): minus the femur's ``rx``."""
        return -self.femur[side][:, 0]


def root_to_pelvis(rxyz_deg: np.ndarray) -> Rotation:
    """World (z up) from pelvis (a, l, u), from AMC root angles (n, 3) rx ry rz (deg)."""
    root = Rotation.from_euler("xyz", np.atleast_2d(rxyz_deg), degrees=True)
    change = Rotation.from_matrix(WORLD_FROM_CMU)
    return change * root * change.inv()


_NEEDED = {"root": 6, "lfemur": 3, "rfemur": 3}


def parse_amc(path: str | Path, fps: float = CMU_FPS) -> AmcTrial:
    """Read an AMC file (``:FULLY-SPECIFIED``, ``:DEGREES``): the root and the
    femurs of every frame. Raises :class:`MocapError` naming the line at fault."""
    path = Path(path)
    if not path.is_file():
        raise MocapError(path, "no such file")
    rows: dict[str, list[list[float]]] = {k: [] for k in _NEEDED}
    frame: dict[str, list[float]] | None = None
    frame_no = frame_line = 0

    def close() -> None:
        if frame is None:
            return
        for name in _NEEDED:
            if name not in frame:
                raise MocapError(path, f"frame {frame_no} has no {name} line", line=frame_line)
        for name in _NEEDED:
            rows[name].append(frame[name])

    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            line_no = 0
            for line_no, line in enumerate(fh, start=1):
                parts = line.split()
                if not parts or parts[0].startswith(("#", ":")):
                    if parts and parts[0].startswith(":") and frame is not None:
                        raise MocapError(path, f"header line {parts[0]!r} after the frames",
                                         line=line_no)
                    if parts and parts[0] == ":RADIANS":
                        raise MocapError(path, "angles in radians are not supported "
                                         "(expected :DEGREES)", line=line_no)
                    continue
                if len(parts) == 1 and parts[0].isdigit():
                    close()
                    number = int(parts[0])
                    if frame is not None and number != frame_no + 1:
                        raise MocapError(path, f"frame {number} follows frame {frame_no}",
                                         line=line_no)
                    frame, frame_no, frame_line = {}, number, line_no
                    continue
                if frame is None:
                    raise MocapError(path, f"{parts[0]!r} before the first frame number",
                                     line=line_no)
                try:
                    values = [float(v) for v in parts[1:]]
                except ValueError:
                    raise MocapError(path, f"{parts[0]}: values must be numbers, got "
                                     f"{' '.join(parts[1:])!r}", line=line_no) from None
                if not np.all(np.isfinite(values)):
                    raise MocapError(path, f"{parts[0]}: value is not finite", line=line_no)
                if parts[0] in _NEEDED and len(values) != _NEEDED[parts[0]]:
                    raise MocapError(path, f"{parts[0]} needs {_NEEDED[parts[0]]} values, got "
                                     f"{len(values)}", line=line_no)
                frame[parts[0]] = values
            close()
    except UnicodeDecodeError as exc:  # pragma: no cover - errors="replace"
        raise MocapError(path, f"not a text file ({exc.reason})") from None
    if len(rows["root"]) < 2:
        raise MocapError(path, "no motion frames (not an AMC file?)")
    return AmcTrial(path, np.array(rows["root"]),
                    {"left": np.array(rows["lfemur"]), "right": np.array(rows["rfemur"])},
                    fps)


def parse_labels(path: str | Path) -> np.ndarray:
    """Action ids, one per 0.1 s (whitespace separated, any number per line)."""
    path = Path(path)
    if not path.is_file():
        raise MocapError(path, "no such file (labels; give them with --labels)")
    out: list[int] = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line_no, line in enumerate(fh, start=1):
            for tok in line.split():
                try:
                    value = float(tok)
                except ValueError:
                    raise MocapError(path, f"label {tok!r} is not an action id",
                                     line=line_no) from None
                if value != int(value) or value < 0:
                    raise MocapError(path, f"label {tok!r} is not an action id", line=line_no)
                out.append(int(value))
    if not out:
        raise MocapError(path, "no labels")
    return np.array(out)


def default_labels_path(amc: str | Path) -> Path:
    """``../truelabels/<stem>.txt`` beside the AMC file's folder."""
    amc = Path(amc)
    return amc.parent.parent / "truelabels" / f"{amc.stem}.txt"


def label_segments(labels: np.ndarray) -> list[tuple[int, float, float]]:
    """(action id, start s, end s) of each run of equal labels."""
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.r_[0, edges]
    ends = np.r_[edges, len(labels)]
    return [(int(labels[a]), a * LABEL_PERIOD_S, b * LABEL_PERIOD_S)
            for a, b in zip(starts, ends)]


# ---------------------------------------------------------------------------
# Smooth pelvis motion


def _lowpass(x: np.ndarray, fs: float, cutoff_hz: float) -> np.ndarray:
    b, a = butter(4, cutoff_hz / (fs / 2.0))
    return filtfilt(b, a, x, axis=0, padlen=min(3 * max(len(a), len(b)), len(x) - 1))


class MocapMotion:
    """A pelvis pose sampled at frames, made smooth: a zero-phase low-pass, then
    cubic splines (twice differentiable) of the position and of the rotation
    vector relative to the mean orientation. Same interface as
    :class:`~hipsense.sim.motion.Motion`.
    """

    def __init__(self, time_s: np.ndarray, orientation: Rotation, position_m: np.ndarray,
                 cutoff_hz: float = POSE_CUTOFF_HZ) -> None:
        time_s = np.asarray(time_s, dtype=float)
        fs = 1.0 / float(np.median(np.diff(time_s)))
        self.mean = orientation.mean()
        rotvec = (self.mean.inv() * orientation).as_rotvec()
        if np.linalg.norm(rotvec, axis=1).max() > 0.9 * np.pi:
            raise ValueError("the pelvis turns too far from its mean for one motion")
        self._rotvec = CubicSpline(time_s, _lowpass(rotvec, fs, cutoff_hz))
        self._position = CubicSpline(time_s, _lowpass(np.asarray(position_m), fs, cutoff_hz))
        self.start_s, self.end_s = float(time_s[0]), float(time_s[-1])

    def orientation(self, t_s: np.ndarray, sway: bool = True) -> Rotation:
        """World-from-pelvis rotation at each time (``sway`` is accepted for
        :class:`Motion`'s interface; recorded motion has no separate sway)."""
        return self.mean * Rotation.from_rotvec(self._rotvec(np.atleast_1d(t_s)))

    def sensor_wobble(self, t_s: np.ndarray) -> Rotation | None:
        """No skin wobble: the virtual sensor sits rigidly on the mocap pelvis."""
        return None

    def hip_position(self, t_s: np.ndarray) -> np.ndarray:
        """(n, 3) pelvis (root) position in metres, world frame."""
        return self._position(np.atleast_1d(t_s))


# ---------------------------------------------------------------------------
# Sets and reps from the labels


@dataclass(frozen=True)
class MocapRep:
    """One rep on the trial's clock (s): leaves rest, enters / leaves the top
    part of the movement, back at rest; its peak; and the leg that moved
    (knee raises) or None."""

    start_s: float
    top_first_s: float
    top_last_s: float
    end_s: float
    peak_s: float
    leg: str | None = None


@dataclass
class MocapSet:
    """A set found in a trial (times on the trial's clock)."""

    exercise: str
    side: str
    label_s: tuple[float, float]
    reps: list[MocapRep]
    #: the first and last frame of the trial the set uses
    first_s: float
    last_s: float
    #: seconds of rest the trial itself gives before ``first_s`` is still (0: none,
    #: the pose at ``first_s`` is held instead)
    real_rest_s: float = 0.0
    note: str = ""


class _Signals:
    """Trial-wide smoothed signals used to find reps and quiet frames."""

    def __init__(self, trial: AmcTrial) -> None:
        fs = trial.fps
        self.t = trial.time_s
        self.flex = {s: _lowpass(trial.hip_flexion_deg(s), fs, REP_CUTOFF_HZ)
                     for s in ("left", "right")}
        pos = _lowpass(trial.pelvis_position_m(), fs, REP_CUTOFF_HZ)
        self.height = pos[:, 2]
        rot = trial.pelvis_orientation()
        rate = np.degrees(np.linalg.norm((rot[:-1].inv() * rot[1:]).as_rotvec(), axis=1)) * fs
        rate = _lowpass(np.r_[rate, rate[-1]], fs, REP_CUTOFF_HZ)
        speed = np.linalg.norm(np.gradient(pos, 1.0 / fs, axis=0), axis=1)
        self.rate_dps, self.speed_ms = np.abs(rate), speed

    def index(self, t: float) -> int:
        return int(np.clip(round(t * CMU_FPS), 0, len(self.t) - 1))

    def unrest(self) -> np.ndarray:
        """How far from quiet each frame is (1 = at the quiet limits)."""
        return np.maximum(self.rate_dps / QUIET_RATE_DPS, self.speed_ms / QUIET_SPEED_MS)


def rep_windows(t: np.ndarray, x: np.ndarray, peaks: np.ndarray, lo: int, hi: int,
                 legs: list[str | None]) -> list[MocapRep]:
    """Rep edges around each peak of ``x`` (valleys between peaks bound them)."""
    bounds = [lo] + [p + int(np.argmin(x[p:q + 1])) for p, q in zip(peaks[:-1], peaks[1:])] \
        + [hi]
    reps = []
    for i, p in enumerate(peaks):
        a, b = bounds[i], bounds[i + 1]
        before, after = x[a:p + 1], x[p:b + 1]
        top = x[p]
        r0, r1 = before.min(), after.min()
        start = a + int(np.flatnonzero(before <= r0 + EDGE_FRACTION * (top - r0))[-1])
        end = p + int(np.flatnonzero(after <= r1 + EDGE_FRACTION * (top - r1))[0])
        top_first = a + int(np.flatnonzero(before >= r0 + HOLD_TOP_FRACTION * (top - r0))[0])
        top_last = p + int(np.flatnonzero(after >= r1 + HOLD_TOP_FRACTION * (top - r1))[-1])
        reps.append(MocapRep(float(t[start]), float(t[top_first]), float(t[top_last]),
                             float(t[end]), float(t[p]), legs[i]))
    return reps


def _knee_raises(sig: _Signals, a: int, b: int) -> list[MocapRep]:
    """One rep per peak of hip flexion (either leg) within frames [a, b)."""
    t = sig.t
    distance = int(0.5 * CMU_FPS)
    found: list[tuple[int, str]] = []
    for side in ("left", "right"):
        x = sig.flex[side]
        peaks, _ = find_peaks(x, prominence=MIN_KNEE_RAISE_DEG, distance=distance)
        found += [(int(p), side) for p in peaks if a <= p < b]
    found.sort()
    if not found:
        return []
    # each rep lies between its neighbours' peaks, from its own leg's lowest
    # flexion before the peak to the lowest after it
    out: list[MocapRep] = []
    margin = int(1.0 * CMU_FPS)
    for i, (p, side) in enumerate(found):
        x = sig.flex[side]
        lo = found[i - 1][0] if i > 0 else max(a - margin, 0)
        hi = found[i + 1][0] if i + 1 < len(found) else min(b + margin, len(t) - 1)
        lo += int(np.argmin(x[lo:p + 1]))
        hi = p + int(np.argmin(x[p:hi + 1]))
        out += rep_windows(t, x, np.array([p]), lo, hi, [side])
    # legs that alternate quickly: the next leg leaves rest before the last is
    # back; the reps then meet halfway through the overlap
    for i in range(len(out) - 1):
        if out[i].end_s > out[i + 1].start_s:
            mid = round(0.5 * (out[i].end_s + out[i + 1].start_s) * CMU_FPS) / CMU_FPS
            out[i] = replace(out[i], end_s=max(mid, out[i].top_last_s))
            out[i + 1] = replace(out[i + 1], start_s=min(mid, out[i + 1].top_first_s))
    return out


def _squats(sig: _Signals, a: int, b: int) -> list[MocapRep]:
    """One rep per minimum of the pelvis height within frames [a, b)."""
    depth = -sig.height
    peaks, _ = find_peaks(depth, prominence=MIN_SQUAT_DEPTH_M, distance=int(0.8 * CMU_FPS))
    peaks = peaks[(peaks >= a) & (peaks < b)]
    if not peaks.size:
        return []
    margin = int(1.0 * CMU_FPS)
    return rep_windows(sig.t, depth, peaks, max(a - margin, 0),
                        min(b + margin, len(depth) - 1), [None] * len(peaks))


def _quiet_frame(sig: _Signals, t0: float, t1: float) -> float:
    """The quietest frame time in [t0, t1]."""
    i0, i1 = sig.index(t0), sig.index(t1)
    if i1 <= i0:
        return float(sig.t[i0])
    return float(sig.t[i0 + int(np.argmin(sig.unrest()[i0:i1 + 1]))])


def _real_rest_before(sig: _Signals, t_end: float) -> tuple[float, float]:
    """(seconds, end time) of the quiet standing in the trial that ends within 1 s
    before ``t_end`` (the pelvis may start moving a little before the leg)."""
    i = sig.index(t_end)
    quiet = sig.unrest()[:i + 1] <= 1.0
    idx = np.flatnonzero(quiet[max(i - int(CMU_FPS), 0):]) + max(i - int(CMU_FPS), 0)
    if not idx.size:
        return 0.0, t_end
    last = int(idx[-1])
    first = last
    while first > 0 and quiet[first - 1]:
        first -= 1
    return (last - first) / CMU_FPS, float(sig.t[last])


def _split_by_leg(reps: list[MocapRep]) -> list[list[MocapRep]]:
    """Reps of one leg then the other (two bouts) -> two groups; one leg -> one
    group; alternating or mixed -> one group (the set's side is then "left")."""
    legs = [r.leg for r in reps]
    changes = sum(1 for x, y in zip(legs[:-1], legs[1:]) if x != y)
    if changes == 1:
        k = next(i for i in range(1, len(legs)) if legs[i] != legs[i - 1])
        if k >= 2 and len(legs) - k >= 2:
            return [reps[:k], reps[k:]]
    return [reps]


def _squat_side(sig: _Signals, reps: list[MocapRep]) -> tuple[str, str]:
    """The standing leg of a squat set: the hip that flexes with each squat (the
    free leg is held up, its flexion changes less)."""
    swing = {}
    for side in ("left", "right"):
        x = sig.flex[side]
        swing[side] = float(np.median([x[sig.index(r.peak_s)] - min(x[sig.index(r.start_s)],
                                                                   x[sig.index(r.end_s)])
                                       for r in reps]))
    big, small = sorted(swing, key=swing.get, reverse=True)
    if swing[big] > 0 and swing[small] < (1.0 - STANCE_FLEXION_MARGIN) * swing[big]:
        return big, ""
    return "left", (f"both hips flex alike (left {swing['left']:.0f}, right "
                    f"{swing['right']:.0f} deg per squat): a two-legged squat, side taken "
                    "as left")


def find_sets(trial: AmcTrial, labels: np.ndarray) -> list[MocapSet]:
    """Every KneeRaise and Squat segment of the labels as sets, with their true reps."""
    sig = _Signals(trial)
    duration = trial.n / trial.fps
    sets: list[MocapSet] = []
    for action, s0, s1 in label_segments(labels):
        if action not in EXERCISE_OF_ACTION or s0 >= duration:
            continue
        exercise = EXERCISE_OF_ACTION[action]
        a, b = sig.index(s0), sig.index(min(s1, duration))
        reps = _knee_raises(sig, a, b) if action == KNEE_RAISE else _squats(sig, a, b)
        if not reps:
            continue
        groups = _split_by_leg(reps) if action == KNEE_RAISE else [reps]
        for gi, group in enumerate(groups):
            # a set starts after the previous one (a second bout: after the first)
            floor = groups[gi - 1][-1].end_s if gi > 0 else (sets[-1].last_s if sets else 0.0)
            search0 = floor if gi > 0 else max(s0 - 0.5, floor)
            real, quiet_end = _real_rest_before(sig, group[0].start_s)
            real = min(real, REST_BEFORE_S, quiet_end - floor)
            if real >= 2.0:
                first = quiet_end - real
            else:
                # no rest in the trial: hold the posture the first rep starts
                # from (where the pelvis is at home for these reps; the
                # quietest earlier frame may belong to the previous action)
                real = 0.0
                first = _quiet_frame(sig, max(search0, group[0].start_s - 0.3),
                                     group[0].start_s)
            if gi + 1 < len(groups):
                last_search = (group[-1].end_s, groups[gi + 1][0].start_s)
            else:
                last_search = (group[-1].end_s, max(group[-1].end_s, min(s1, duration)) + 0.3)
            last = _quiet_frame(sig, last_search[0], min(last_search[1], duration - 1 / CMU_FPS))
            note = ""
            if action == KNEE_RAISE:
                legs = {r.leg for r in group}
                if len(legs) == 1:
                    side = group[0].leg or "left"
                else:
                    side = "left"
                    order = "".join("L" if r.leg == "left" else "R" for r in group)
                    note = (f"knee raises alternate legs ({order}), not separate bouts: one set, "
                            "side taken as left")
            else:
                side, note = _squat_side(sig, group)
            sets.append(MocapSet(exercise, side, (s0, s1), group, first, last, real, note))
    return sets


# ---------------------------------------------------------------------------
# Per-set motion and truth


@dataclass
class MocapSetPlan:
    """A set ready to record: its motion on the recording clock, the window to
    record, the reference (quiet) window, and trial-to-recording clock offset."""

    set: MocapSet
    motion: MocapMotion
    start_s: float
    end_s: float
    reference_s: tuple[float, float]
    offset_s: float  # recording time = trial time + offset_s
    rest_held_s: tuple[float, float] = field(default=(0.0, 0.0))


class PoseTrial(Protocol):
    """A recorded pelvis pose at a fixed frame rate (an AMC trial, a marker take)."""

    path: Path
    fps: float

    def pelvis_orientation(self) -> Rotation: ...

    def pelvis_position_m(self) -> np.ndarray: ...


def plan_mocap_set(trial: PoseTrial, mset: MocapSet, clock_s: float) -> MocapSetPlan:
    """The set's motion starting at ``clock_s``: rest before (real, or the pose
    at ``first_s`` held), the trial from ``first_s`` to ``last_s``, rest after
    (the pose at ``last_s`` held)."""
    fps = trial.fps
    i0 = int(round(mset.first_s * fps))
    i1 = int(round(mset.last_s * fps))
    n_pre = 0 if mset.real_rest_s > 0 else int(round(REST_BEFORE_S * fps))
    n_post = int(round(REST_AFTER_S * fps))
    idx = np.r_[np.full(n_pre, i0), np.arange(i0, i1 + 1), np.full(n_post, i1)]
    t = clock_s + np.arange(idx.size) / fps
    rot = trial.pelvis_orientation()[idx]
    pos = trial.pelvis_position_m()[idx]
    try:
        motion = MocapMotion(t, rot, pos)
    except ValueError as exc:
        raise MocapError(trial.path, f"{mset.exercise} set at {mset.first_s:.1f}-"
                         f"{mset.last_s:.1f} s: {exc}") from None
    offset = clock_s + n_pre / fps - i0 / fps
    start, end = float(t[0]), float(t[-1])
    reference = (start, start + (REST_BEFORE_S if n_pre else mset.real_rest_s))
    return MocapSetPlan(mset, motion, start, end, reference, offset,
                        (n_pre / fps, n_post / fps))


def _r(x: float) -> float:
    return round(float(x), 4)


def mocap_set_truth(plan: MocapSetPlan) -> dict[str, Any]:
    """The truth of a set (the keys of :func:`hipsense.sim.truth.set_truth`):
    elevations of the true pelvis axes relative to the mean over the quiet
    reference, each rep's extremes, the medians."""
    mset = plan.set
    ex = EXERCISES[mset.exercise]
    t = np.arange(plan.start_s, plan.end_s, 1.0 / TRUTH_RATE_HZ)
    ref = (t >= plan.reference_s[0]) & (t <= plan.reference_s[1])
    signals = angle_signals(mset.exercise, mset.side, plan.motion.orientation(t), ref)
    reps = []
    for i, rep in enumerate(mset.reps, start=1):
        start, end = rep.start_s + plan.offset_s, rep.end_s + plan.offset_s
        inside = (t >= start) & (t <= end)
        row: dict[str, Any] = {
            "index": i, "start_s": _r(start), "end_s": _r(end),
            "hold_s": _r(rep.top_last_s - rep.top_first_s),
            "up_s": _r(rep.top_first_s - rep.start_s), "down_s": _r(rep.end_s - rep.top_last_s),
            "peak_s": _r(rep.peak_s + plan.offset_s),
            "metrics": {s.name: _r(s.reduce_values(signals[s.name][inside]))
                        for s in ex.signals},
        }
        if rep.leg is not None:
            row["leg"] = rep.leg
        reps.append(row)
    medians = {s.name: _r(np.median([r["metrics"][s.name] for r in reps])) for s in ex.signals}
    return {
        "exercise": mset.exercise, "side": mset.side,
        "start_s": _r(plan.start_s), "end_s": _r(plan.end_s),
        "reference_s": [_r(plan.reference_s[0]), _r(plan.reference_s[1])],
        "rep_count": len(reps), "reps": reps, "holds": [], "medians": medians,
        "intended_fault_deg": None, "fidgets_s": [],
        "mocap": {
            "label_s": [_r(mset.label_s[0]), _r(mset.label_s[1])],
            "trial_s": [_r(mset.first_s), _r(mset.last_s)],
            "trial_to_recording_offset_s": _r(plan.offset_s),
            "rest_held_s": [_r(plan.rest_held_s[0]), _r(plan.rest_held_s[1])],
            "real_rest_s": _r(mset.real_rest_s),
            "note": mset.note,
        },
    }


# ---------------------------------------------------------------------------
# Whole session


@dataclass
class MocapSession:
    session: Session
    truth: dict[str, Any]
    sets: list[MocapSet]


def simulate_mocap_session(amc: str | Path, labels: str | Path | None = None, *,
                           seed: int = 1, rate_hz: float = 104.0, packet_loss: float = 0.0,
                           mounting: Mounting | Literal["random", "crooked", "nominal"]
                           = "random", sensor_errors: bool = True,
                           started_at: str = "2026-10-04T07:12:00+00:00") -> MocapSession:
    """Replay a CMU trial's KneeRaise / Squat segments through the IMU model.

    Deterministic for a seed. The session has no calibration (motion capture
    has none): ``"calibration": null``.
    """
    amc = Path(amc)
    labels_path = Path(labels) if labels is not None else default_labels_path(amc)
    trial = parse_amc(amc)
    ids = parse_labels(labels_path)
    trial_s, labels_s = trial.n / trial.fps, len(ids) * LABEL_PERIOD_S
    if abs(trial_s - labels_s) > 2.0:
        raise MocapError(labels_path, f"{len(ids)} labels ({labels_s:.1f} s) do not match the "
                         f"{trial_s:.1f} s of {amc.name}")
    sets = find_sets(trial, ids)
    if not sets:
        raise MocapError(labels_path, "no KneeRaise (4) or Squat (3) segment with reps to "
                         "replay")
    source = {"amc": amc.name, "labels": labels_path.name,
              "database": "CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu)",
              "frames": trial.n, "fps": trial.fps, "pose_lowpass_hz": POSE_CUTOFF_HZ}
    return replay_sets([(trial, s) for s in sets], source,
                       f"CMU motion capture {amc.stem} replayed through the hipsense sensor "
                       "model", amc.name, seed=seed, rate_hz=rate_hz, packet_loss=packet_loss,
                       mounting=mounting, sensor_errors=sensor_errors, started_at=started_at)


def replay_sets(sets: list[tuple[PoseTrial, MocapSet]], source: dict[str, Any], notes: str,
                from_mocap: str, *, seed: int = 1, rate_hz: float = 104.0,
                packet_loss: float = 0.0,
                mounting: Mounting | Literal["random", "crooked", "nominal"] = "random",
                sensor_errors: bool = True,
                started_at: str = "2026-10-04T07:12:00+00:00") -> MocapSession:
    """Record each (trial, set) through one virtual sensor into one session, with
    its truth; ``source`` describes the recordings in ``truth.json``."""
    streams = [np.random.default_rng(s)
               for s in np.random.SeedSequence(seed).spawn(1 + len(sets))]
    sensor_rng, set_rngs = streams[0], streams[1:]
    if isinstance(mounting, Mounting):
        mount = mounting
    elif mounting == "nominal":
        mount = Mounting()
    else:
        mount = Mounting.random(sensor_rng, crooked=mounting == "crooked")
    errors = ImuErrors.random(sensor_rng) if sensor_errors else ImuErrors()
    sampler = (Sampler.random(sensor_rng, rate_hz, packet_loss) if sensor_errors
               else Sampler(rate_hz=rate_hz, packet_loss=packet_loss))
    clock_s = float(np.round(sensor_rng.uniform(600.0, 6000.0), 3))

    truth: dict[str, Any] = {
        "seed": seed, "generator": f"hipsense {__version__}",
        "sample_rate_hz": rate_hz,
        "actual_rate_hz": round(rate_hz * (1 + sampler.rate_error), 6),
        "packet_loss": packet_loss,
        "mounting": {"pitch_deg": round(mount.pitch_deg, 4), "roll_deg": round(mount.roll_deg, 4),
                     "yaw_deg": round(mount.yaw_deg, 4),
                     "lever_arm_m": [round(float(x), 4) for x in mount.lever_arm_m]},
        "pelvis_axes_in_sensor": {k: [round(float(x), 6) for x in v]
                                  for k, v in mount.pelvis_axes_in_sensor().items()},
        "gyr_bias_dps": [round(float(x), 4) for x in errors.gyr_bias_dps],
        "calibration": None, "source": source, "sets": [],
    }
    recorded = []
    for i, ((trial, mset), rng) in enumerate(zip(sets, set_rngs), start=1):
        plan = plan_mocap_set(trial, mset, clock_s)
        motion: Any = plan.motion  # duck-typed Motion: orientation(t), hip_position(t)
        rec, lost = record(motion, plan.start_s, plan.end_s, mount, errors, sampler, rng)
        info = SetInfo(f"set{i:02d}.csv", mset.exercise, mset.side)
        recorded.append((info, rec))
        truth["sets"].append({"file": info.file, **mocap_set_truth(plan), "lost_samples": lost})
        clock_s = plan.end_s + float(rng.uniform(20.0, 60.0))

    metadata = new_session_metadata(
        started_at, rate_hz, None,
        {"notes": notes,
         "sensor": {"model": "hipsense virtual sensor", "simulated": True,
                    "acc_range_g": errors.acc_range_g, "gyr_range_dps": errors.gyr_range_dps},
         "simulation": {"seed": seed, "generator": f"hipsense {__version__}",
                        "from_mocap": from_mocap}})
    return MocapSession(Session(metadata, None, recorded), truth, [s for _, s in sets])


__all__ = ["AmcTrial", "MocapError", "MocapMotion", "MocapSession", "MocapSet", "MocapRep",
           "default_labels_path", "find_sets", "label_segments", "parse_amc", "parse_labels",
           "plan_mocap_set", "mocap_set_truth", "replay_sets", "rep_windows", "root_to_pelvis",
           "simulate_mocap_session"]
