"""Real marker motion capture (UI-PRMD) replayed through hipsense's IMU model.

UI-PRMD (Vakanski et al., Data 3(1):2, 2018) gives Vicon marker positions of
rehabilitation exercises, one repetition per file, 100 frames/s. Two of them
are standing knee drives for hipsense: ``m02`` the hurdle step and ``m06`` the
standing straight-leg raise. The files of one take (``mMM_sSS_eEE_positions``,
``_inc`` for the deliberately incorrect takes, EE = 01..10) follow each other,
so joined they are a continuous ten-rep set whose rep boundaries are the file
boundaries; each rep starts and ends standing on both feet.

Conventions (Plug-in-Gait, checked from the geometry): lab Z up, X forward,
Y to the subject's left, millimetres; markers 23 LASI, 24 RASI, 25 LPSI,
26 RPSI, 28 LKNE, 34 RKNE (0-based), written as (0, 0, 0) when missing.

The pelvis frame (a, l, u): ``l`` along the posterior superior iliac spines
(RPSI to LPSI), ``a`` from the stance side's PSIS to its ASIS made square to
``l``, ``u = a x l``, then turned about ``l`` so that ``u`` is vertical in the
take's first frame (a standing calibration). The driving side's ASIS is not
used: at high hip flexion the thigh's soft tissue lifts that marker 70-130 mm
while the PSIS markers rise ~10 mm, which a frame through both ASIS would show
as 15-20 deg of false hike.

The set begins with the stillest frame before its first whole rep held for
3 s (the quiet start the spec asks for, the truth's reference; a first file
that starts mid-rep is left out) and ends with its last frame held 2 s;
the pose is low-passed at 15 Hz before it is differentiated
(:class:`~hipsense.sim.mocap.MocapMotion`).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.spatial.transform import Rotation

from hipsense.sim.imu import Mounting
from hipsense.sim.mocap import (
    POSE_CUTOFF_HZ, MocapError, MocapSession, MocapSet, rep_windows, replay_sets,
)

#: UI-PRMD Vicon frame rate (frames/s; from the data paper, not in the files).
UIPRMD_FPS = 100.0
#: Markers per frame (Plug-in-Gait full body).
N_MARKERS = 39
LASI, RASI, LPSI, RPSI, LKNE, RKNE = 23, 24, 25, 26, 28, 34
#: Movements that are knee drives: hurdle step, standing straight-leg raise.
MOVEMENTS = {"m02": "hurdle step", "m06": "standing straight-leg raise"}
#: A first file whose knee starts above rest by this fraction of its rise is a cut rep.
PARTIAL_REP_FRACTION = 0.25
#: Pelvis markers closer than this (mm) cannot give the pelvis frame.
MIN_MARKER_SPACING_MM = 20.0

_NAME = re.compile(r"^(m\d\d)_(s\d\d)_e(\d\d)_positions(_inc)?\.txt(\.gz)?$")


@dataclass
class MarkerTake:
    """One UI-PRMD take: the pelvis and knee markers of its files joined.

    ``markers_m`` is (n, 39, 3) in metres, hipsense's world (z up, x forward,
    y left: the lab's own axes); ``rep_frames`` the [start, stop) frames of
    each file (one rep each).
    """

    path: Path
    movement: str
    subject: str
    correct: bool
    markers_m: np.ndarray
    rep_frames: list[tuple[int, int]]
    fps: float = UIPRMD_FPS

    @property
    def n(self) -> int:
        return len(self.markers_m)

    @property
    def time_s(self) -> np.ndarray:
        return np.arange(self.n) / self.fps

    @property
    def name(self) -> str:
        return f"{self.movement}_{self.subject}" + ("" if self.correct else "_inc")

    def knee_height_m(self, side: str) -> np.ndarray:
        return self.markers_m[:, LKNE if side == "left" else RKNE, 2]

    @property
    def driving_leg(self) -> str:
        """The leg whose knee rises most."""
        rise = {s: float(np.ptp(self.knee_height_m(s))) for s in ("left", "right")}
        return max(rise, key=rise.get)

    def pelvis_orientation(self) -> Rotation:
        """World (z up) from pelvis (a, l, u) at every frame (see the module doc)."""
        m = self.markers_m
        stance = "right" if self.driving_leg == "left" else "left"
        asis, psis = (LASI, LPSI) if stance == "left" else (RASI, RPSI)
        l_axis = _unit(m[:, LPSI] - m[:, RPSI])
        forward = m[:, asis] - m[:, psis]
        a_axis = _unit(forward - np.sum(forward * l_axis, axis=1, keepdims=True) * l_axis)
        u_axis = np.cross(a_axis, l_axis)
        markers = Rotation.from_matrix(np.stack([a_axis, l_axis, u_axis], axis=2))
        # turn about l so that u is vertical in the first frame
        u0 = markers[0].inv().apply([0.0, 0.0, 1.0])  # world up in the marker frame
        level = Rotation.from_rotvec([0.0, np.arctan2(-u0[0], u0[2]), 0.0])
        return markers * level.inv()

    def pelvis_position_m(self) -> np.ndarray:
        """(n, 3) mean of the four pelvis markers (m), near the hip centres' midpoint."""
        return self.markers_m[:, [LASI, RASI, LPSI, RPSI]].mean(axis=1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def take_files(path: str | Path) -> list[Path]:
    """The files of the take that ``path`` (any one of its files) belongs to,
    in rep order."""
    path = Path(path)
    match = _NAME.match(path.name)
    if match is None:
        raise MocapError(path, "not a UI-PRMD positions file (expected a name like "
                         "m02_s01_e01_positions.txt.gz)")
    if not path.is_file():
        raise MocapError(path, "no such file")
    movement, subject, _, inc, _ = match.groups()
    files = []
    for f in path.parent.iterdir():
        m = _NAME.match(f.name)
        if m and m.group(1) == movement and m.group(2) == subject and m.group(4) == inc:
            files.append((int(m.group(3)), f))
    files.sort()
    numbers = [k for k, _ in files]
    twice = sorted({k for k in numbers if numbers.count(k) > 1})
    if twice:
        # a take unpacked twice (.txt beside .txt.gz): its reps would be replayed twice
        raise MocapError(path, f"the take has two files for rep {twice[0]:02d}")
    missing = sorted(set(range(numbers[0], numbers[-1] + 1)) - set(numbers))
    if missing:
        # joined across a missing file, the pose would jump between two reps
        raise MocapError(path, f"the take has no file for rep {missing[0]:02d} "
                         f"(e{numbers[0]:02d}..e{numbers[-1]:02d} otherwise)")
    return [f for _, f in files]


def _read_positions(path: Path) -> np.ndarray:
    """(n, 39, 3) marker positions (mm) of one file; one line per frame."""
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    values = [float(v) for v in line.split(",")]
                except ValueError:
                    raise MocapError(path, "values must be comma-separated numbers",
                                     line=line_no) from None
                if len(values) != 3 * N_MARKERS or not np.all(np.isfinite(values)):
                    raise MocapError(path, f"expected {3 * N_MARKERS} finite numbers "
                                     f"(39 markers x 3), got {len(values)}", line=line_no)
                lasi, rasi, lpsi, rpsi = np.reshape(values, (N_MARKERS, 3))[
                    [LASI, RASI, LPSI, RPSI]]
                if np.any(np.all(np.array([lasi, rasi, lpsi, rpsi]) == 0.0, axis=1)):
                    raise MocapError(path, "a pelvis marker (LASI, RASI, LPSI, RPSI) is "
                                     "missing", line=line_no)
                # the pelvis frame needs the spines apart (mm)
                if min(np.linalg.norm(lpsi - rpsi), np.linalg.norm(lasi - lpsi),
                       np.linalg.norm(rasi - rpsi)) < MIN_MARKER_SPACING_MM:
                    raise MocapError(path, "pelvis markers lie on top of each other (under "
                                     f"{MIN_MARKER_SPACING_MM:g} mm apart)", line=line_no)
                rows.append(values)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise MocapError(path, f"cannot read ({exc})") from None
    if len(rows) < 2:
        raise MocapError(path, "fewer than 2 frames")
    return np.asarray(rows).reshape(-1, N_MARKERS, 3)


def read_take(path: str | Path) -> MarkerTake:
    """Read the whole take that ``path`` belongs to (see :func:`take_files`)."""
    files = take_files(path)
    blocks = [_read_positions(f) for f in files]
    bounds = np.r_[0, np.cumsum([len(b) for b in blocks])]
    match = _NAME.match(files[0].name)
    assert match is not None
    movement, subject = match.group(1), match.group(2)
    return MarkerTake(files[0], movement, subject, match.group(4) is None,
                      np.concatenate(blocks) / 1000.0,
                      [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])])


def take_set(take: MarkerTake) -> MocapSet:
    """The take as one knee-drive set on the driving leg's side: one rep per file,
    around the driving knee's highest point, from it leaving its rest height to
    its return (:func:`~hipsense.sim.mocap.rep_windows`, as for CMU knee raises).

    A first file that begins with the knee already up (a rep cut at its
    start) is left out; the set starts at the stillest frame of the pelvis
    before the first whole rep's knee leaves rest (that pose is held as the
    quiet start)."""
    t = take.time_s
    leg = take.driving_leg
    knee = take.knee_height_m(leg)
    rest = float(np.percentile(knee, 5))
    frames = take.rep_frames
    note = ""
    if knee[frames[0][0]] - rest > PARTIAL_REP_FRACTION * (knee[slice(*frames[0])].max() - rest):
        frames = frames[1:]
        note = "; the first file begins mid-rep and is left out"
        if not frames:
            raise MocapError(take.path, "the take's only file begins mid-rep: no whole rep "
                             "to replay")
    reps = [rep for a, b in frames
            for rep in rep_windows(t, knee, np.array([a + int(np.argmax(knee[a:b]))]), a, b - 1,
                                   [leg])]
    # the stillest frame before the first rep leaves rest
    a0, a1 = frames[0][0], max(int(round(reps[0].start_s * take.fps)), frames[0][0] + 1)
    speed = np.linalg.norm(np.gradient(take.pelvis_position_m(), 1.0 / take.fps, axis=0), axis=1)
    first_s = float(t[a0 + int(np.argmin(speed[a0:a1]))])
    note = (f"UI-PRMD {MOVEMENTS.get(take.movement, take.movement)}, subject {take.subject}, "
            + ("correct" if take.correct else "incorrect") + " execution" + note)
    return MocapSet("knee_drive", leg, (0.0, float(t[-1])), reps, first_s, float(t[-1]), 0.0,
                    note)


def simulate_uiprmd_session(paths: Sequence[str | Path], *, seed: int = 1,
                            rate_hz: float = 104.0,
                            packet_loss: float = 0.0,
                            mounting: Mounting | Literal["random", "crooked", "nominal"]
                            = "random", sensor_errors: bool = True) -> MocapSession:
    """Replay UI-PRMD takes (each named by any one of its files) through one
    virtual sensor: one knee-drive set per take, no calibration. Deterministic
    for a seed."""
    takes = [read_take(p) for p in paths]
    if not takes:
        raise MocapError("--from-mocap", "no UI-PRMD take given")
    source = {"database": "UI-PRMD (Vakanski et al., Data 3(1):2, 2018)",
              "takes": [{"take": t.name, "files": len(t.rep_frames), "frames": t.n}
                        for t in takes],
              "fps": UIPRMD_FPS, "pose_lowpass_hz": POSE_CUTOFF_HZ}
    names = ", ".join(t.name for t in takes)
    return replay_sets([(t, take_set(t)) for t in takes], source,
                       f"UI-PRMD {names} replayed through the hipsense sensor model",
                       takes[0].path.name, seed=seed, rate_hz=rate_hz, packet_loss=packet_loss,
                       mounting=mounting, sensor_errors=sensor_errors)


__all__ = ["MarkerTake", "MOVEMENTS", "UIPRMD_FPS", "read_take", "simulate_uiprmd_session",
           "take_files", "take_set"]
