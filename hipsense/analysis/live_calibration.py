"""The calibration's phases followed as it is recorded (pure, causal).

The calibration recording (session-format.md) is: stand upright and still
for about 3 s, two slow hip hinges (bow forward 30-45 deg from the hips and
come back up), stand still again. :class:`LiveCalibration` follows these
phases batch by batch so the coach can show each with a countdown and say when
it is good:

- a stand is good after :data:`STAND_S` of stillness (the turn rate under
  :data:`STILL_DPS`, the accelerometer within :data:`STILL_ACC_G` of 1 g);
  moving restarts its countdown;
- a hinge is a tilt of the accelerometer's direction away from the first
  stand's by more than :data:`HINGE_DEG` and back within
  :data:`HINGE_BACK_DEG`; two make the phase good.

This is guidance only: the calibration itself is computed offline from the
whole recording (:func:`hipsense.analysis.calibration.calibrate`), which
judges it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: A stand is good after this long still (s).
STAND_S = 3.0
#: Still: the turn rate (deg/s, averaged over RATE_SMOOTH_S) under this.
STILL_DPS = 6.0
#: Still: the accelerometer's magnitude within this of 1 g.
STILL_ACC_G = 0.08
#: Smoothing of the turn rate and of the accelerometer's direction (s).
RATE_SMOOTH_S = 0.25
#: A hinge tilts the pelvis more than this (deg) from the stand...
HINGE_DEG = 15.0
#: ...and comes back within this (deg).
HINGE_BACK_DEG = 8.0
#: Hinges asked for.
HINGES = 2

_DEG = 180.0 / math.pi


@dataclass
class Phase:
    """One phase: ``state`` is ``waiting``, ``now`` or ``good``; a stand's
    ``remaining_s`` counts down while still; a hinge phase counts ``count``
    of ``target``."""

    name: str
    instruction: str
    state: str = "waiting"
    remaining_s: float | None = None
    count: int | None = None
    target: int | None = None

    @property
    def good(self) -> bool:
        return self.state == "good"


@dataclass
class CalibrationProgress:
    """The three phases; ``current`` is the index of the one in progress (3 when done)."""

    phases: list[Phase] = field(default_factory=lambda: [
        Phase("Stand still", "Stand upright and still, feet hip-width apart",
              "now", STAND_S),
        Phase("Two hip hinges", "Bow forward 30-45 deg from the hips, level hips, both "
              "feet down, and come back up; twice, slowly", count=0, target=HINGES),
        Phase("Stand still", "Stand upright and still again", remaining_s=STAND_S),
    ])
    current: int = 0
    tilt_deg: float = 0.0

    @property
    def done(self) -> bool:
        return self.current >= len(self.phases)


class LiveCalibration:
    """Feeds batches of samples (``time_s`` s, ``acc_g`` g, ``gyr_dps`` deg/s,
    sensor frame) and keeps :attr:`progress`. A sensor without a gyroscope
    (zeros) is judged still by the accelerometer's direction alone. About 5 us
    per sample (plain floats: the state machine goes sample by sample)."""

    def __init__(self) -> None:
        self.progress = CalibrationProgress()
        self._last_t: float | None = None
        self._rate = 0.0
        self._dir: tuple[float, float, float] | None = None  # smoothed acc direction
        self._still_s = 0.0
        self._stand_sum = [0.0, 0.0, 0.0]
        self._up_ref: tuple[float, float, float] | None = None  # the first stand's
        self._hinge_open = False
        #: Sensor time (s) of the last sample, and of the moment the last phase
        #: became good (None before).
        self.last_time_s: float | None = None
        self.done_at_s: float | None = None

    def feed(self, time_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray
             ) -> CalibrationProgress:
        time_s = np.asarray(time_s, dtype=float)
        acc_g = np.asarray(acc_g, dtype=float)
        gyr_dps = np.asarray(gyr_dps, dtype=float)
        have_gyro = bool(np.any(gyr_dps))
        rates = np.sqrt((gyr_dps ** 2).sum(axis=1)).tolist() if have_gyro else None
        for i, (t, (ax, ay, az)) in enumerate(zip(time_s.tolist(), acc_g.tolist())):
            self._step(t, ax, ay, az, rates[i] if rates is not None else None)
        return self.progress

    def _step(self, t: float, ax: float, ay: float, az: float, gyro_rate: float | None
              ) -> None:
        dt = 0.0 if self._last_t is None else min(max(t - self._last_t, 0.0), 0.5)
        self._last_t = self.last_time_s = t
        norm = math.sqrt(ax * ax + ay * ay + az * az)
        if norm < 1e-6:
            return
        d = (ax / norm, ay / norm, az / norm)
        previous = self._dir
        k = min(1.0, dt / RATE_SMOOTH_S) if previous is not None else 1.0
        if previous is None:
            self._dir = d
        else:
            self._dir = _unit3(tuple(p + k * (q - p) for p, q in zip(previous, d)))
        if gyro_rate is not None:
            rate = gyro_rate
        elif previous is not None and dt > 0:
            rate = _angle_deg(previous, self._dir) / dt
        else:
            rate = 0.0
        self._rate += k * (rate - self._rate)
        still = self._rate < STILL_DPS and abs(norm - 1.0) < STILL_ACC_G
        p = self.progress
        if self._up_ref is not None:
            p.tilt_deg = _angle_deg(self._up_ref, self._dir)
        if p.done:
            return
        phase = p.phases[p.current]
        if p.current in (0, 2):
            if still:
                self._still_s += dt
                self._stand_sum = [a + b for a, b in zip(self._stand_sum, d)]
            else:
                self._still_s, self._stand_sum = 0.0, [0.0, 0.0, 0.0]
            phase.remaining_s = max(0.0, STAND_S - self._still_s)
            if p.current == 0 and self._still_s >= 0.5:
                self._up_ref = _unit3(tuple(self._stand_sum))
            if self._still_s >= STAND_S:
                self._advance()
            elif p.current == 0 and self._up_ref is not None and \
                    _angle_deg(self._up_ref, self._dir) > HINGE_DEG:
                # hinging already: the stand was short, the hinges are counted
                phase.state = "short"
                p.current = 1
                p.phases[1].state = "now"
                self._hinge_open = True
            return
        # the hinges
        tilt = p.tilt_deg
        if not self._hinge_open and tilt > HINGE_DEG:
            self._hinge_open = True
        elif self._hinge_open and tilt < HINGE_BACK_DEG:
            self._hinge_open = False
            phase.count = (phase.count or 0) + 1
            if phase.count >= HINGES:
                self._advance()

    def _advance(self) -> None:
        p = self.progress
        p.phases[p.current].state = "good"
        if p.phases[p.current].remaining_s is not None:
            p.phases[p.current].remaining_s = 0.0
        p.current += 1
        self._still_s, self._stand_sum = 0.0, [0.0, 0.0, 0.0]
        if not p.done:
            p.phases[p.current].state = "now"
        else:
            self.done_at_s = self._last_t


def _unit3(v: tuple[float, ...]) -> tuple[float, float, float]:
    n = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return (v[0] / n, v[1] / n, v[2] / n) if n > 0 else (v[0], v[1], v[2])


def _angle_deg(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    c = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    return math.acos(max(-1.0, min(1.0, c))) * _DEG
