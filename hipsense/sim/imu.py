"""An IMU clipped over the sacrum: mounting, lever arm, sensor errors, sampling.

The ideal readings are derived from a :class:`~hipsense.sim.motion.Motion` by
differentiating it where the sensor samples: specific force
``f = R_ws^T (a_w / g0 + z)`` in g and body angular rate in deg/s. Then the
error model adds scale and cross-axis errors, biases (the gyroscope's drifting
slowly), white noise, clipping at the range and int16 quantisation, and the
sampler adds the sensor clock's rate error, timestamp jitter and lost packets
(random bursts, and bursts placed at given times: a gap during a rep).
The sensor may wobble on the skin (``Motion.wobble_deg``): the gyroscope and the
direction of gravity it sees turn with it; the lever arm stays the pelvis's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from hipsense.consts import STANDARD_GRAVITY_MS2
from hipsense.core import Recording
from hipsense.sim.motion import Motion

#: Sensor axes in the pelvis frame when clipped as specified: +X up, +Y left,
#: +Z backwards. Columns are the sensor's x, y, z in (a, l, u) components.
NOMINAL_PELVIS_FROM_SENSOR = np.array([[0.0, 0.0, -1.0],
                                       [0.0, 1.0, 0.0],
                                       [1.0, 0.0, 0.0]])

#: Sacrum relative to the midpoint of the hip centres, pelvis frame (a, l, u), m.
DEFAULT_LEVER_ARM_M = np.array([-0.10, 0.0, 0.07])

_ROT_STEP_S = 1e-4
_POS_STEP_S = 1e-3


@dataclass(frozen=True)
class Mounting:
    """How the sensor sits on the pelvis: nominal, then rotated about the pelvis
    axes by ``roll_deg`` (about a), ``pitch_deg`` (about l, the sacrum's slope)
    and ``yaw_deg`` (about u)."""

    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    yaw_deg: float = 0.0
    lever_arm_m: tuple[float, float, float] = tuple(DEFAULT_LEVER_ARM_M)

    @classmethod
    def random(cls, rng: np.random.Generator, *, crooked: bool = False) -> Mounting:
        """Off nominal by up to 30 deg pitch, 15 deg roll and 10 deg yaw
        (``crooked``: near those limits)."""
        if crooked:
            sign = rng.choice([-1.0, 1.0], size=3)
            return cls(float(rng.uniform(24, 30) * sign[0]), float(rng.uniform(12, 15) * sign[1]),
                       float(rng.uniform(8, 10) * sign[2]))
        return cls(float(rng.uniform(-30, 30)), float(rng.uniform(-15, 15)),
                   float(rng.uniform(-10, 10)))

    def pelvis_from_sensor(self) -> np.ndarray:
        """Rotation matrix taking sensor-frame vectors to pelvis (a, l, u) components."""
        tilt = Rotation.from_euler("ZYX", [self.yaw_deg, self.pitch_deg, self.roll_deg],
                                   degrees=True)
        return tilt.as_matrix() @ NOMINAL_PELVIS_FROM_SENSOR

    def pelvis_axes_in_sensor(self) -> dict[str, np.ndarray]:
        """The pelvis axes a, l, u as unit vectors in the sensor frame."""
        m = self.pelvis_from_sensor()
        return {"a": m[0], "l": m[1], "u": m[2]}


def sensor_orientation(motion: Motion, mounting: Mounting
                       ) -> Callable[[np.ndarray], Rotation]:
    """The true orientation of the sensor (world from sensor) as a function of
    the motion's time (s): the pelvis's, the skin's wobble when the motion has
    one, and the mounting. The world's z is up."""
    r_ps = Rotation.from_matrix(mounting.pelvis_from_sensor())
    # any motion with orientation() and hip_position() will do; a wobble is optional
    sensor_wobble = getattr(motion, "sensor_wobble", None)

    def world_from_sensor(t: np.ndarray) -> Rotation:
        wobble = None if sensor_wobble is None else sensor_wobble(t)
        if wobble is None:
            return motion.orientation(t) * r_ps
        return motion.orientation(t) * wobble * r_ps

    return world_from_sensor


def ideal_imu(motion: Motion, t_s: np.ndarray, mounting: Mounting
              ) -> tuple[np.ndarray, np.ndarray]:
    """Error-free readings at times ``t_s``: (acc_g (n, 3), gyr_dps (n, 3)), sensor frame."""
    t_s = np.asarray(t_s, dtype=float)
    lever = np.asarray(mounting.lever_arm_m)
    world_from_sensor = sensor_orientation(motion, mounting)

    def position(t: np.ndarray) -> np.ndarray:
        return motion.hip_position(t) + motion.orientation(t).apply(lever)

    h = _ROT_STEP_S
    before, after = world_from_sensor(t_s - h), world_from_sensor(t_s + h)
    gyr_dps = np.degrees((before.inv() * after).as_rotvec()) / (2 * h)
    h = _POS_STEP_S
    acc_w = (position(t_s + h) - 2 * position(t_s) + position(t_s - h)) / (h * h)
    specific_w = acc_w / STANDARD_GRAVITY_MS2 + np.array([0.0, 0.0, 1.0])
    acc_g = world_from_sensor(t_s).inv().apply(specific_w)
    return acc_g, gyr_dps


@dataclass(frozen=True)
class ImuErrors:
    """One sensor's error model (drawn once per session by :meth:`random`).

    Biases in g and deg/s, noise as the per-sample standard deviation, scale and
    cross-axis errors as (3, 3) matrices added to the identity.
    """

    acc_bias_g: np.ndarray = field(default_factory=lambda: np.zeros(3))
    gyr_bias_dps: np.ndarray = field(default_factory=lambda: np.zeros(3))
    acc_misalign: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    gyr_misalign: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    acc_noise_g: float = 0.0
    gyr_noise_dps: float = 0.0
    #: slow gyroscope bias wander: sines, amplitude (k, 3) dps, period (k, 3) s, phase
    gyr_drift: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    acc_range_g: float = 4.0
    gyr_range_dps: float = 500.0

    @classmethod
    def random(cls, rng: np.random.Generator, *, acc_range_g: float = 4.0,
               gyr_range_dps: float = 500.0) -> ImuErrors:
        def misalign(scale_sd: float, cross_sd: float) -> np.ndarray:
            m = rng.normal(0, cross_sd, (3, 3))
            np.fill_diagonal(m, rng.normal(0, scale_sd, 3))
            return m

        drift = (rng.uniform(0.02, 0.08, (2, 3)), rng.uniform(300, 3000, (2, 3)),
                 rng.uniform(0, 2 * np.pi, (2, 3)))
        return cls(acc_bias_g=rng.normal(0, 0.01, 3), gyr_bias_dps=rng.normal(0, 0.7, 3),
                   acc_misalign=misalign(0.005, 0.003), gyr_misalign=misalign(0.01, 0.005),
                   acc_noise_g=0.0012, gyr_noise_dps=0.06, gyr_drift=drift,
                   acc_range_g=acc_range_g, gyr_range_dps=gyr_range_dps)

    def gyr_bias_at(self, t_s: np.ndarray) -> np.ndarray:
        """(n, 3) gyroscope bias in deg/s at sensor-clock times ``t_s``."""
        bias = np.broadcast_to(self.gyr_bias_dps, (len(t_s), 3)).copy()
        if self.gyr_drift is not None:
            amp, period, phase = self.gyr_drift
            t = np.asarray(t_s)[:, None, None]
            bias += (amp * np.sin(2 * np.pi * t / period + phase)).sum(axis=1)
        return bias

    def apply(self, t_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Measured (acc_g, gyr_dps): errors, noise, clipping and int16 quantisation."""
        n = len(t_s)
        acc = acc_g @ (np.eye(3) + self.acc_misalign).T + self.acc_bias_g
        gyr = gyr_dps @ (np.eye(3) + self.gyr_misalign).T + self.gyr_bias_at(t_s)
        acc = acc + rng.normal(0, self.acc_noise_g, (n, 3)) if self.acc_noise_g else acc
        gyr = gyr + rng.normal(0, self.gyr_noise_dps, (n, 3)) if self.gyr_noise_dps else gyr
        return quantise(acc, self.acc_range_g), quantise(gyr, self.gyr_range_dps)


def quantise(x: np.ndarray, full_scale: float) -> np.ndarray:
    """int16 quantisation at +-``full_scale`` (LSB = full_scale / 32768), saturating."""
    lsb = full_scale / 32768.0
    return np.clip(np.round(x / lsb), -32768, 32767) * lsb


@dataclass(frozen=True)
class Sampler:
    """When the sensor samples and which samples reach the computer.

    The sensor's oscillator runs ``rate_error`` off nominal (a fraction);
    timestamps carry ``jitter_s`` of standard deviation and are rounded to 1 us;
    samples travel in packets of ``samples_per_packet``, each lost with
    ``packet_loss`` probability, in bursts of mean length ``burst_packets``.
    """

    rate_hz: float = 104.0
    rate_error: float = 0.0
    jitter_s: float = 0.0
    samples_per_packet: int = 8
    packet_loss: float = 0.0
    burst_packets: float = 1.0

    @classmethod
    def random(cls, rng: np.random.Generator, rate_hz: float, packet_loss: float = 0.0
               ) -> Sampler:
        return cls(rate_hz=rate_hz, rate_error=float(rng.uniform(-0.015, 0.015)),
                   jitter_s=1e-4, samples_per_packet=8, packet_loss=packet_loss,
                   burst_packets=3.0 if packet_loss > 0 else 1.0)

    def sample_times(self, start_s: float, end_s: float, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(true sampling instants, timestamps) over [start_s, end_s), before loss."""
        period = 1.0 / (self.rate_hz * (1.0 + self.rate_error))
        t_true = start_s + period * np.arange(int((end_s - start_s) / period))
        jitter = np.clip(rng.normal(0, self.jitter_s, t_true.size), -0.3 * period,
                         0.3 * period) if self.jitter_s else 0.0
        stamps = np.round((t_true + jitter) * 1e6) / 1e6
        return t_true, stamps

    def kept(self, n: int, rng: np.random.Generator, forced_lost: np.ndarray | None = None
             ) -> np.ndarray:
        """Boolean mask of the n samples that arrive (whole packets are lost).

        ``forced_lost`` (n booleans) marks samples that must be lost too (a burst
        placed on purpose); every packet holding one of them is lost.
        """
        n_packets = -(-n // self.samples_per_packet)
        lost = np.zeros(n_packets, dtype=bool)
        if self.packet_loss > 0:
            # a burst starts with probability p / L, so that a fraction p is lost
            starts = np.flatnonzero(rng.random(n_packets) < self.packet_loss / self.burst_packets)
            lengths = rng.geometric(1.0 / self.burst_packets, starts.size)
            for s, length in zip(starts, lengths):
                lost[s:s + length] = True
        if forced_lost is not None and forced_lost.any():
            lost[np.flatnonzero(forced_lost) // self.samples_per_packet] = True
        return np.repeat(~lost, self.samples_per_packet)[:n]


def record(motion: Motion, start_s: float, end_s: float, mounting: Mounting,
           errors: ImuErrors, sampler: Sampler, rng: np.random.Generator,
           blackouts_s: tuple[tuple[float, float], ...] = ()) -> tuple[Recording, int]:
    """Simulate the recording of ``motion`` over [start_s, end_s).

    ``blackouts_s``: time windows whose packets are all lost (on top of the
    sampler's random loss). Returns the recording (only the samples that
    arrived) and the number of samples lost in transit.
    """
    t_true, stamps = sampler.sample_times(start_s, end_s, rng)
    acc, gyr = ideal_imu(motion, t_true, mounting)
    acc, gyr = errors.apply(t_true, acc, gyr, rng)
    forced = None
    if blackouts_s:
        forced = np.zeros(t_true.size, dtype=bool)
        for a, b in blackouts_s:
            forced |= (t_true >= a) & (t_true < b)
    keep = sampler.kept(t_true.size, rng, forced)
    return Recording(stamps[keep], acc[keep], gyr[keep]), int((~keep).sum())
