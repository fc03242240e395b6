"""Readers of the real running and walking recordings used to check the
running analysis (``shared/realdata``; read where they lie, never copied):

* ``walking_lowback``: an XSens MTw at L5 (100 Hz, acc m/s^2, gyro rad/s) with
  each foot's contacts from foot sensors. The axes are undocumented (X roughly
  up, pitched about 35 deg): the reader takes the stand's gravity as up and,
  as on a sensor strapped face out on the lower back, +Z as backwards (so +Y
  is left, hipsense's nominal placement).
* ``running_rbds`` (Fukuchi, Fukuchi and Duarte, PeerJ 5:e3298, 2017): pelvis
  markers of a treadmill runner at 150 Hz and the plate's vertical force at
  300 Hz. A virtual sacral IMU is made from the pelvis pose (a quiet stand in
  the static trial's pose, a 1.5 s blend into the run) through hipsense's
  sensor model; contacts from the force (each foot by the lower heel at IC);
  truth drop from the marker pelvis.
* ``running_sacral_acc_sample``: a sacral accelerometer (512 Hz, m/s^2, X
  vertical, Z antero-posterior sign flipped), no gyroscope, no truth.

Frames: world z up; pelvis (a, l, u); times in s, angles in deg.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from hipsense.consts import STANDARD_GRAVITY_MS2
from hipsense.core import Recording
from hipsense.sim.imu import ImuErrors, Mounting, Sampler, record
from hipsense.sim.mocap import MocapMotion
from hipsense.sim.motion import min_jerk


@dataclass
class RealRun:
    """A real recording with what is known about it: the pelvis axes in the
    sensor frame (l, u), and per truth contact (side, IC s, TO s or None,
    drop deg or None); ``window_s`` the part that is walking or running."""

    name: str
    recording: Recording
    l_sensor: np.ndarray
    u_sensor: np.ndarray
    contacts: list[dict[str, Any]]
    window_s: tuple[float, float]
    excluded_s: list[tuple[float, float]]


def read_walking(folder: Path, trial: str) -> RealRun:
    """One ``walking_lowback`` trial (``1-1`` ...)."""
    path = folder / f"{trial}_lb.txt"
    rows = np.loadtxt(path, skiprows=2)
    fs = 100.0
    t = rows[:, 0] / fs
    acc = rows[:, 1:4] / STANDARD_GRAVITY_MS2
    gyr = np.degrees(rows[:, 4:7])
    meta = json.loads((folder / f"{trial}.json").read_text())
    start, end = meta["TrialBoundaries"]
    stand = acc[:max(int(start) - 30, 50)].mean(axis=0)
    u = stand / np.linalg.norm(stand)
    back = np.array([0.0, 0.0, 1.0]) - u[2] * u
    a = -back / np.linalg.norm(back)
    lvec = np.cross(u, a)
    contacts = []
    for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
        events = meta[key]
        for k, (_, ic) in enumerate(events):
            nxt_to = events[k + 1][0] if k + 1 < len(events) else None
            contacts.append({"side": side, "ic_s": ic / fs,
                             "to_s": None if nxt_to is None else nxt_to / fs,
                             "pelvic_drop_deg": None})
    contacts.sort(key=lambda c: c["ic_s"])
    uturn = meta.get("UTurnBoundaries")
    excluded = [(uturn[0] / fs, uturn[1] / fs)] if uturn else []
    return RealRun(f"walking_lowback/{trial}", Recording(t, acc, gyr), lvec, u, contacts,
                   (start / fs, end / fs), excluded)


def walking_trials(folder: Path) -> list[str]:
    """The trials of ``walking_lowback`` that have contacts."""
    return sorted(p.name[:-len("_lb.txt")] for p in folder.glob("*_lb.txt")
                  if (folder / (p.name[:-len("_lb.txt")] + ".json")).exists())


def _markers(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open() as f:
        header = f.readline().rstrip("\n").split("\t")
    data = np.loadtxt(path, skiprows=1)
    idx = np.arange(len(data))
    for j in range(data.shape[1]):  # a marker lost for a frame: bridged linearly
        bad = np.isnan(data[:, j])
        if bad.any() and not bad.all():
            data[bad, j] = np.interp(idx[bad], idx[~bad], data[~bad, j])
    return header, data


def _pelvis(header: list[str], data: np.ndarray) -> tuple[Rotation, np.ndarray]:
    """World(z up)-from-pelvis rotation and the sacrum (mid-PSIS, m) per frame."""
    def marker(name: str) -> np.ndarray:
        i = header.index(name + "X")
        xyz = data[:, i:i + 3] / 1000.0
        # RBDS: +X forward, +Y up, +Z right -> hipsense world x forward, y left, z up
        return np.column_stack([xyz[:, 0], -xyz[:, 2], xyz[:, 1]])

    ra, la, rp, lp = (marker(m) for m in ("R.ASIS", "L.ASIS", "R.PSIS", "L.PSIS"))
    lvec = (la + lp) / 2 - (ra + rp) / 2
    lvec /= np.linalg.norm(lvec, axis=1)[:, None]
    fwd = (la + ra) / 2 - (lp + rp) / 2
    u = np.cross(fwd, lvec)
    u /= np.linalg.norm(u, axis=1)[:, None]
    a = np.cross(lvec, u)
    return Rotation.from_matrix(np.stack([a, lvec, u], axis=2)), (lp + rp) / 2


def rbds_motion(folder: Path) -> tuple[MocapMotion, float, float, list[dict[str, Any]]]:
    """The runner's pelvis (a 3 s stand in the static pose, a 1.5 s blend,
    then the run), the run's start (s), the stand's end (s), and the contacts
    (side, IC, TO) from the plate."""
    fs = 150.0
    header, run = _markers(folder / "RBDS001runT25markers.txt")
    sh, static = _markers(folder / "RBDS001static.txt")
    rot_run, pos_run = _pelvis(header, run)
    rot_st, pos_st = _pelvis(sh, static)
    stand_rot = rot_st.mean()
    stand_s, blend_s = 3.0, 1.5
    n0, nb = int(stand_s * fs), int(blend_s * fs)
    t_run0 = stand_s + blend_s
    # the stand at the run's first position (the static trial is elsewhere in the room)
    p0 = pos_run[0]
    k = min_jerk(np.arange(nb) / nb)
    rv = (stand_rot.inv() * rot_run[0]).as_rotvec()
    blend = stand_rot * Rotation.from_rotvec(k[:, None] * rv[None, :])
    rots = Rotation.concatenate([Rotation.from_quat(np.tile(stand_rot.as_quat(), (n0, 1))),
                                 blend, rot_run])
    pos = np.vstack([np.tile(p0, (n0 + nb, 1)), pos_run])
    t = np.arange(len(pos)) / fs
    motion = MocapMotion(t, rots, pos, cutoff_hz=18.0)
    # contacts from the vertical force (N) at 300 Hz
    force = np.loadtxt(folder / "RBDS001runT25forces.txt", skiprows=1)
    fy = force[:, 2]
    tf = (force[:, 0] - 1) / 300.0 + t_run0
    on = fy > 50.0
    edges = np.flatnonzero(np.diff(on.astype(int)))
    contacts = []
    heel = {s: None for s in ("R", "L")}
    for s in heel:
        i = header.index(f"{s}.HeelY") if f"{s}.HeelY" in header else header.index(f"{s}.Heel.TopY")
        heel[s] = run[:, i]
    for e0, e1 in zip(edges[:-1], edges[1:]):
        if not on[e0 + 1] or tf[e1] - tf[e0] < 0.1:
            continue
        ic, to = float(tf[e0 + 1]), float(tf[e1])
        frame = min(int(round((ic - t_run0 + 0.05) * fs)), run.shape[0] - 1)
        side = "left" if heel["L"][frame] < heel["R"][frame] else "right"
        contacts.append({"side": side, "ic_s": ic, "to_s": to})
    return motion, t_run0, stand_s, contacts


def rbds_truth_drop(motion: MocapMotion, contacts: list[dict[str, Any]],
                    stand: tuple[float, float]) -> None:
    """Fill each contact's ``pelvic_drop_deg`` (running.md) from the marker pelvis."""
    ref_t = np.arange(stand[0], stand[1], 1e-3)
    def elev(tt: np.ndarray) -> np.ndarray:
        z = motion.orientation(tt).apply(np.array([0.0, 1.0, 0.0]))[:, 2]
        return np.degrees(np.arcsin(np.clip(z, -1, 1)))
    ref = elev(ref_t).mean()
    for c in contacts:
        obl = elev(np.arange(c["ic_s"], c["to_s"], 1e-3)) - ref
        c["pelvic_drop_deg"] = float(obl.max() if c["side"] == "left" else (-obl).max())


def read_rbds(folder: Path, seed: int, rate_hz: float = 150.0) -> RealRun:
    """The RBDS runner through a virtual sacral IMU (random placement and
    sensor errors for ``seed``)."""
    motion, t_run0, stand_s, contacts = rbds_motion(folder)
    rbds_truth_drop(motion, contacts, (0.3, stand_s - 0.3))
    rng = np.random.default_rng(seed)
    mounting = Mounting.random(rng)
    mounting = Mounting(mounting.pitch_deg, mounting.roll_deg, mounting.yaw_deg,
                        (0.0, 0.0, 0.0))  # the markers' sacrum is the sensor's place
    errors = ImuErrors.random(rng, acc_range_g=16.0, gyr_range_dps=2000.0)
    sampler = Sampler.random(rng, rate_hz)
    rec, _ = record(motion, motion.start_s + 0.05, motion.end_s - 0.05, mounting, errors,
                    sampler, rng)
    axes = mounting.pelvis_axes_in_sensor()
    return RealRun("running_rbds/RBDS001", rec, axes["l"], axes["u"], contacts,
                   (t_run0 + 0.5, motion.end_s - 0.1), [])


def read_sacral_sample(folder: Path) -> Recording:
    """The sacral accelerometer sample in the hipsense axes (g; x up, z back),
    gyroscope zeros (it has none)."""
    rows = np.loadtxt(folder / "Sample_test_data.csv", delimiter=",", skiprows=1)
    t = rows[:, 3] / 1000.0
    acc = rows[:, :3] / STANDARD_GRAVITY_MS2
    acc = np.column_stack([-acc[:, 0] if np.median(acc[:, 0]) < 0 else acc[:, 0],
                           acc[:, 1], acc[:, 2]])
    return Recording(t, acc, np.zeros_like(acc))
