"""A receiving host's view of one WitMotion connection: notifications in,
samples on a smoothed host clock out (the records carry no time)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from hipsense.sensors.base import Samples, StreamConfig, StreamDecoder
from hipsense.sensors.clock import ClockFit
from hipsense.sensors.witmotion.codec import WitFrameError, decode_notification


class WitMotionDecoder(StreamDecoder):
    """WitMotion notifications into samples on a smoothed host clock.

    The records carry no time or counter. Sample k is placed at the lower
    edge of (k * nominal period, arrival time) pairs fitted by a
    :class:`ClockFit`, which estimates the sensor's true rate (its slope) and
    the shortest latency (its offset). A notification that comes later after
    the previous one than its samples take, by more than :data:`GAP_MIN_S`
    (or 2.5 periods), means lost notifications: the sample index skips the
    missing samples (to within the delivery jitter), so the gap stays a gap
    in time.
    """

    #: Shortest gap detected (s): BLE delivery jitter stays well below it.
    GAP_MIN_S = 0.06

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        self.clock = ClockFit()
        self._period = 1.0 / config.rate_hz
        self._next = 0       # index of the next sample
        self._last_host: float | None = None
        self._last_time = -np.inf
        self.lost_samples = 0
        self.gaps = 0
        self.bad: Counter = Counter()
        self.samples = 0

    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        times, acc, gyr = [], [], []
        bad: Counter = Counter()
        for host, data in zip(host_time_s, payloads):
            try:
                s = decode_notification(data)
            except WitFrameError:
                bad["bad_notification"] += 1
                continue
            m = len(s)
            if m == 0:
                continue
            if self._last_host is not None:
                # more time since the last notification than its samples take:
                # notifications were lost on the way
                period = self._period / (1 + self.clock.drift_ppm * 1e-6)
                late = host - self._last_host - m * period
                if late > max(self.GAP_MIN_S, 2.5 * period):
                    skip = int(round(late / period))
                    self._next += skip
                    self.lost_samples += skip
                    self.gaps += 1
            self._last_host = float(host)
            index = self._next + np.arange(m)
            self.clock.add([(index[-1]) * self._period], [host])
            times.append(index * self._period)
            acc.append(s.acc_g)
            gyr.append(s.gyr_dps)
            self._next += m
        self.bad.update(bad)
        if not times:
            z = np.zeros(0)
            return Samples(z, z, np.zeros((0, 3)), np.zeros((0, 3)), bad=dict(bad))
        nominal = np.concatenate(times)
        host = self.clock.host_at(nominal)
        # the fit moves between batches: never let time run backwards
        floor = self._last_time + 0.5 * self._period * np.arange(1, host.size + 1)
        host = np.maximum(np.maximum.accumulate(host), floor)
        self._last_time = float(host[-1])
        self.samples += nominal.size
        return Samples(host, host, np.vstack(acc), np.vstack(gyr), bad=dict(bad))

    def stats(self) -> dict[str, Any]:
        return {"samples": self.samples, "lost_samples_estimated": self.lost_samples,
                "gaps": self.gaps, "bad_notifications": dict(self.bad),
                "rate_hz_estimated": round(self.config.rate_hz /
                                           (1 + self.clock.drift_ppm * 1e-6), 4)}
