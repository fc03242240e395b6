"""Pelvis motion as smooth functions of time.

A :class:`Motion` gives the pelvis orientation (world from pelvis) and the hip
centre position at any instant, so the IMU model can differentiate it exactly
where it samples. Joint-angle channels move between keyframes along
minimum-jerk curves (continuous acceleration, as human movement is) and carry
an additive sway made of a few sines.

Frames: world z up (headings are irrelevant to every angle hipsense measures);
pelvis (a, l, u) = anterior, left, up. Channel angles are in degrees about the
pelvis axes ``a``, ``l``, ``u``; positions in metres in the world frame.

A keyframe segment may carry a skew ``k`` in (-1, 1): its progress is
``min_jerk(s + k s (1 - s))``, a smooth time warp that peaks the velocity early
(k > 0) or late (k < 0) and still starts and stops with zero velocity and
acceleration. The sensor may wobble on the skin
(:attr:`Motion.wobble_deg`): a rotation of the sensor relative to the pelvis
that the IMU sees and the truth (the pelvis) does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

#: World-from-pelvis rotation matrix (columns a, l, u) for each posture at rest.
_BASE = {
    "standing": np.eye(3),
    "supine": np.array([[0.0, 0.0, -1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
    "prone": np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]]),
    "side_lying_left_up": np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
    "side_lying_right_up": np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]),
}


def base_orientation(posture: str, side: str) -> np.ndarray:
    """World-from-pelvis rotation matrix of a posture at rest (heading 0).

    Standing: a = +x, l = +y, u = +z. Supine: a up. Prone: a down. Side-lying:
    the top leg's side points up (``l`` up when the left leg is on top).
    """
    if posture in ("standing", "standing_one_leg"):
        return _BASE["standing"]
    if posture == "side_lying":
        return _BASE[f"side_lying_{side}_up"]
    return _BASE[posture]


def min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk progress 10 s^3 - 15 s^4 + 6 s^5 for s clipped to [0, 1]."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


@dataclass
class Keyframes:
    """Multi-channel values held at ``times_s`` and joined by minimum-jerk curves.

    ``values`` is (k, m); before the first and after the last keyframe the value
    is constant. Times must be strictly increasing.
    """

    times_s: np.ndarray
    values: np.ndarray
    #: Optional skew per segment (k - 1 values in (-1, 1)); None = minimum jerk.
    skews: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.times_s = np.asarray(self.times_s, dtype=float)
        self.values = np.asarray(self.values, dtype=float)
        if self.values.ndim == 1:
            self.values = self.values[:, None]
        if len(self.times_s) < 2 or np.any(np.diff(self.times_s) <= 0):
            raise ValueError("keyframe times must be at least two and strictly increasing")
        if self.skews is not None:
            self.skews = np.asarray(self.skews, dtype=float)
            if self.skews.shape != (len(self.times_s) - 1,) or np.any(np.abs(self.skews) >= 1):
                raise ValueError("skews: one value in (-1, 1) per segment")
            if np.all(self.skews == 0.0):
                self.skews = None

    def __call__(self, t_s: np.ndarray) -> np.ndarray:
        t_s = np.asarray(t_s, dtype=float)
        i = np.clip(np.searchsorted(self.times_s, t_s, side="right") - 1,
                    0, len(self.times_s) - 2)
        t0, t1 = self.times_s[i], self.times_s[i + 1]
        if self.skews is None:
            p = min_jerk((t_s - t0) / (t1 - t0))
        else:
            s = np.clip((t_s - t0) / (t1 - t0), 0.0, 1.0)
            p = min_jerk(s + self.skews[i] * s * (1.0 - s))
        v0, v1 = self.values[i], self.values[i + 1]
        return v0 + (v1 - v0) * p[:, None]


@dataclass
class Sines:
    """Sum of sines per channel: amplitude (k, m), frequency_hz (k, m), phase (k, m)."""

    amplitude: np.ndarray
    frequency_hz: np.ndarray
    phase_rad: np.ndarray

    @classmethod
    def random(cls, rng: np.random.Generator, rms: np.ndarray, *, n: int = 4,
               band_hz: tuple[float, float] = (0.15, 1.2)) -> Sines:
        """Random band-limited sway whose RMS per channel is ``rms``; amplitudes
        fall as 1/f, as in postural sway."""
        rms = np.atleast_1d(np.asarray(rms, dtype=float))
        freq = np.exp(rng.uniform(np.log(band_hz[0]), np.log(band_hz[1]), size=(n, rms.size)))
        amp = rng.uniform(0.5, 1.0, size=(n, rms.size)) / freq
        amp *= (rms * np.sqrt(2.0) / np.sqrt((amp ** 2).sum(axis=0)))[None, :]
        phase = rng.uniform(0, 2 * np.pi, size=(n, rms.size))
        return cls(amp, freq, phase)

    @classmethod
    def random_rate(cls, rng: np.random.Generator, rate_sd: np.ndarray, *, n: int = 8,
                    band_hz: tuple[float, float] = (0.1, 1.5)) -> Sines:
        """Random sines whose angular *rate* has standard deviation ``rate_sd`` per
        channel (deg/s), spread evenly (in rate) over ``band_hz``: amplitudes fall
        as 1/f, so the angle is dominated by the slow components and the rate is
        not."""
        rate_sd = np.atleast_1d(np.asarray(rate_sd, dtype=float))
        freq = np.exp(rng.uniform(np.log(band_hz[0]), np.log(band_hz[1]),
                                  size=(n, rate_sd.size)))
        amp = rng.uniform(0.6, 1.0, size=(n, rate_sd.size)) / freq
        rate_amp = 2 * np.pi * freq * amp
        amp *= (rate_sd * np.sqrt(2.0) / np.sqrt((rate_amp ** 2).sum(axis=0)))[None, :]
        phase = rng.uniform(0, 2 * np.pi, size=(n, rate_sd.size))
        return cls(amp, freq, phase)

    def rate_sd(self) -> np.ndarray:
        """Standard deviation of the rate (per channel, units per second) over a
        long time."""
        return np.sqrt(((2 * np.pi * self.frequency_hz * self.amplitude) ** 2).sum(axis=0) / 2)

    @classmethod
    def zero(cls, channels: int) -> Sines:
        z = np.zeros((1, channels))
        return cls(z, z.copy(), z.copy())

    def __call__(self, t_s: np.ndarray) -> np.ndarray:
        t = np.asarray(t_s, dtype=float)[:, None, None]
        return (self.amplitude * np.sin(2 * np.pi * self.frequency_hz * t + self.phase_rad)
                ).sum(axis=1)


@dataclass
class Motion:
    """The pelvis over one recording.

    ``angles_deg`` gives rotations about the pelvis axes (a, l, u) relative to the
    posture at rest. They compose as R_base @ R_outer @ R_l @ R_inner, where the
    outer axis is the one whose rotation tilts the pelvis sideways in that
    posture: ``a`` standing, ``u`` lying. So a side-to-side tilt keeps its size
    as an elevation however far the pelvis is pitched.
    """

    base: np.ndarray
    outer_axis: str
    angles_deg: Keyframes
    hip_m: Keyframes
    angle_sway_deg: Sines = field(default_factory=lambda: Sines.zero(3))
    hip_sway_m: Sines = field(default_factory=lambda: Sines.zero(3))
    heading_deg: float = 0.0
    #: More sway, each (sines, envelope): the sines times a one-channel keyframed
    #: envelope (two-leg standing sway before getting down onto the floor, say).
    extra_sway_deg: tuple[tuple[Sines, Keyframes], ...] = ()
    #: Skin wobble: the sensor rotating relative to the pelvis (soft tissue), as
    #: rotations about the pelvis axes a, l, u in degrees. Not pelvis motion.
    wobble_deg: Sines | None = None
    #: The wobble grows with the pelvis's keyframed angular speed w (deg/s):
    #: times 1 + gain * min(w / 30, 3).
    wobble_speed_gain: float = 0.0

    def angles(self, t_s: np.ndarray, sway: bool = True) -> np.ndarray:
        """(n, 3) rotations about a, l, u in degrees (``sway=False``: the
        keyframed movement alone)."""
        if not sway:
            return self.angles_deg(t_s)
        ang = self.angles_deg(t_s) + self.angle_sway_deg(t_s)
        for sines, envelope in self.extra_sway_deg:
            ang = ang + sines(t_s) * envelope(t_s)
        return ang

    def orientation(self, t_s: np.ndarray, sway: bool = True) -> Rotation:
        """World-from-pelvis rotation at each time."""
        ang = self.angles(t_s, sway)
        if self.outer_axis == "a":
            delta = Rotation.from_euler("XYZ", ang[:, [0, 1, 2]], degrees=True)
        else:
            delta = Rotation.from_euler("ZYX", ang[:, [2, 1, 0]], degrees=True)
        head = Rotation.from_euler("z", self.heading_deg, degrees=True)
        return head * Rotation.from_matrix(self.base) * delta

    def sensor_wobble(self, t_s: np.ndarray) -> Rotation | None:
        """Pelvis-from-skin rotation of the sensor's wobble at each time (None
        when the sensor sits still on the pelvis)."""
        if self.wobble_deg is None:
            return None
        t_s = np.asarray(t_s, dtype=float)
        ang = self.wobble_deg(t_s)
        if self.wobble_speed_gain:
            h = 0.01
            speed = np.linalg.norm(self.angles_deg(t_s + h) - self.angles_deg(t_s - h),
                                   axis=1) / (2 * h)
            ang = ang * (1.0 + self.wobble_speed_gain * np.minimum(speed / 30.0, 3.0))[:, None]
        return Rotation.from_rotvec(np.radians(ang))

    def hip_position(self, t_s: np.ndarray) -> np.ndarray:
        """(n, 3) hip-centre position in metres, world frame."""
        head = Rotation.from_euler("z", self.heading_deg, degrees=True)
        return head.apply(self.hip_m(t_s) + self.hip_sway_m(t_s))
