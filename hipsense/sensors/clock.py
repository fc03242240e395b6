"""Mapping between a sensor's clock and the host's.

Each notification gives one pair (sensor time of its newest sample, host
arrival time). Arrival = sending + a latency that is never negative and
usually small, so the mapping is the *lower edge* of the cloud of pairs: a
least-squares line over a sliding window gives the drift (slope), and the
intercept is lowered to the 2nd percentile of the residuals.
"""

from __future__ import annotations

import numpy as np

#: Pairs kept for the fit (about 5 minutes of 8-sample packets at 104 Hz).
WINDOW = 4096
#: Refit after this many new pairs once the fit has settled.
REFIT_EVERY = 32


class ClockFit:
    """Running linear fit ``host_s = offset_s + (1 + drift) * sensor_s``."""

    def __init__(self) -> None:
        self._sensor = np.zeros(WINDOW)
        self._host = np.zeros(WINDOW)
        self._n = 0          # pairs seen
        self._since_fit = 0
        self._ref_s = 0.0    # sensor time the line is expressed around
        self._host_at_ref_s = 0.0
        self._slope = 1.0

    @property
    def ready(self) -> bool:
        return self._n > 0

    @property
    def drift_ppm(self) -> float:
        """Host seconds per sensor second, minus one, in parts per million."""
        return (self._slope - 1.0) * 1e6

    @property
    def offset_s(self) -> float:
        """Host time at sensor time 0 (s)."""
        return self._host_at_ref_s - self._slope * self._ref_s

    def add(self, sensor_s: np.ndarray, host_s: np.ndarray) -> None:
        """Add pairs (sensor time, host arrival time), in seconds."""
        sensor_s = np.asarray(sensor_s, dtype=float)[-WINDOW:]
        host_s = np.asarray(host_s, dtype=float)[-WINDOW:]
        k = sensor_s.size
        if k == 0:
            return
        slots = (self._n + np.arange(k)) % WINDOW
        self._sensor[slots] = sensor_s
        self._host[slots] = host_s
        self._n += k
        self._since_fit += k
        if self._n <= 256 or self._since_fit >= REFIT_EVERY:
            self._fit()

    def _fit(self) -> None:
        m = min(self._n, WINDOW)
        s, h = self._sensor[:m], self._host[:m]
        ref = float(s.mean())
        ds = s - ref
        span = float(ds @ ds)
        # the slope needs a few seconds of data to mean anything
        if m >= 16 and np.ptp(s) > 5.0:
            slope = float(ds @ (h - h.mean())) / span
            self._slope = float(np.clip(slope, 0.99, 1.01))
        resid = h - self._slope * ds
        self._ref_s = ref
        self._host_at_ref_s = float(np.percentile(resid, 2))
        self._since_fit = 0

    def host_at(self, sensor_s: np.ndarray | float) -> np.ndarray:
        """Host time (s) of sensor time(s)."""
        return self._host_at_ref_s + self._slope * (np.asarray(sensor_s, dtype=float)
                                                    - self._ref_s)

    def sensor_at(self, host_s: float) -> float:
        """Sensor time (s) at a host time."""
        return self._ref_s + (host_s - self._host_at_ref_s) / self._slope
