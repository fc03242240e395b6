"""A receiving host's view of one Polar PMD connection: ACC and GYRO frames
in, 6-axis samples out (timestamps checked, GYRO interpolated at ACC times)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from hipsense.sensors.base import Samples, StreamConfig, StreamDecoder
from hipsense.sensors.clock import ClockFit
from hipsense.sensors.polar.codec import (
    ACC, GYRO, PmdFrameError, decode_pmd_samples, sample_timestamps_ns,
)


class PolarDecoder(StreamDecoder):
    """ACC and GYRO frames of one connection into 6-axis samples.

    The two streams arrive in separate frames with their own timestamps;
    each ACC sample gets the GYRO value interpolated at its time, once GYRO
    data covers it. Units: mG to g; the sensor clock is the PMD timestamp (s
    since 2000-01-01).

    A frame that cannot be decoded is counted (``bad_frame``) and skipped.
    A frame whose timestamp is not about one frame after the previous one is
    held until the next frame of its stream tells: when that one follows it,
    the stream jumped (lost frames, a pause) and its samples end at its
    timestamp; when that one follows the frame before it instead, its
    timestamp is damaged: it is counted in ``clock_outliers`` and its samples
    are placed at the nominal rate after the previous frame's, so one bad
    timestamp never moves or ends the stream.
    """

    #: Frames of one stream held back at most before the first one is decided.
    MAX_HELD = 3
    #: GYRO samples kept waiting for the ACC samples they fall between.
    MAX_GYRO = 4096

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        # the start responses' factors, kept in the configuration (ACC in g per mG-count)
        self.factors = {ACC: config.acc_g_per_lsb * 1000.0, GYRO: config.gyr_dps_per_lsb}
        self.clock = ClockFit()
        self._period_ns = 1e9 / config.rate_hz
        self._previous: dict[int, int | None] = {ACC: None, GYRO: None}
        self._held: dict[int, list[tuple[float, int, np.ndarray]]] = {ACC: [], GYRO: []}
        self._acc = (np.zeros(0), np.zeros((0, 3)))
        self._gyr = (np.zeros(0), np.zeros((0, 3)))
        self._last_s = {ACC: -np.inf, GYRO: -np.inf}
        self._acc_out_s = -np.inf
        self._outliers = 0
        self.bad: Counter = Counter()
        self.samples = 0
        self.clock_outliers = 0

    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        bad: Counter = Counter()
        self._outliers = 0
        for host, data in zip(host_time_s, payloads):
            try:
                mtype = data[0] if data else -1
                _, _, _, ts, values = decode_pmd_samples(data,
                                                         factor=self.factors.get(mtype, 1.0))
            except PmdFrameError:
                bad["bad_frame"] += 1
                continue
            self._frame(mtype, float(host), ts, values)
        self.bad.update(bad)
        return self._output(dict(bad))

    def end_stream(self, next_seq: int | None = None) -> Samples:
        self._outliers = 0
        for mtype in (ACC, GYRO):
            while self._held[mtype]:
                self._settle_first(mtype)
        return self._output({})

    # ---- the timestamps -----------------------------------------------------------------
    def _follows(self, previous_ns: int, ts: int, n: int) -> bool:
        """Is ``ts`` about one frame of ``n`` samples after ``previous_ns``?"""
        return 0.5 * n * self._period_ns < ts - previous_ns < 1.5 * n * self._period_ns

    def _frame(self, mtype: int, host: float, ts: int, values: np.ndarray) -> None:
        previous, held = self._previous[mtype], self._held[mtype]
        if previous is None and not held:
            self._take(mtype, host, ts, values, None)  # the stream's first frame
            return
        n = len(values)
        if previous is not None:
            # after held frames: does this one follow the last good frame, the
            # held ones taking their nominal places?
            before = previous + round(self._period_ns * sum(len(v) for _, _, v in held))
            if self._follows(before, ts, n):
                for h in held:
                    self._outlier(mtype, *h)
                held.clear()
                self._take(mtype, host, ts, values, self._previous[mtype])
                return
        if held and self._follows(held[-1][1], ts, n):  # the stream jumped at the last held
            jump = held.pop()
            for h in held:
                self._outlier(mtype, *h)
            held.clear()
            self._take(mtype, *jump, None)
            self._take(mtype, host, ts, values, jump[1])
            return
        held.append((host, ts, values))
        if len(held) > self.MAX_HELD:
            self._settle_first(mtype)

    def _settle_first(self, mtype: int) -> None:
        """No later frame tells: the first held frame is taken at its word if it
        is after the last good one, else placed as an outlier."""
        host, ts, values = self._held[mtype].pop(0)
        previous = self._previous[mtype]
        if previous is None or ts > previous:
            self._take(mtype, host, ts, values, None)
        else:
            self._outlier(mtype, host, ts, values)

    def _take(self, mtype: int, host: float, ts: int, values: np.ndarray,
              previous: int | None) -> None:
        """A frame whose timestamp holds: its samples evenly after the previous
        frame's (as the SDK), or back from its timestamp at the nominal rate."""
        try:
            times = sample_timestamps_ns(ts, len(values), previous, self.config.rate_hz)
        except PmdFrameError:  # before 2000-01-01 at this rate
            self._outlier(mtype, host, ts, values)
            return
        self._previous[mtype] = ts
        t = times / 1e9
        if mtype == ACC:
            self.clock.add(t[-1:], [host])
        self._append(mtype, t, values)

    def _outlier(self, mtype: int, host: float, ts: int, values: np.ndarray) -> None:
        self.clock_outliers += 1
        self._outliers += 1
        previous = self._previous[mtype]
        if previous is None:
            return  # nothing to place it after
        times = previous + np.round(self._period_ns * np.arange(1, len(values) + 1))
        self._previous[mtype] = int(times[-1])
        self._append(mtype, times / 1e9, values)

    def _append(self, mtype: int, t: np.ndarray, values: np.ndarray) -> None:
        keep = t > self._last_s[mtype]  # never back in time
        keep[1:] &= np.diff(t) > 0
        t, values = t[keep], values[keep]
        if not t.size:
            return
        self._last_s[mtype] = float(t[-1])
        if mtype == ACC:
            self._acc = (np.r_[self._acc[0], t], np.vstack([self._acc[1], values]))
        else:
            self._gyr = (np.r_[self._gyr[0], t], np.vstack([self._gyr[1], values]))

    # ---- the samples ----------------------------------------------------------------------
    def _output(self, bad: dict[str, int]) -> Samples:
        ta, va = self._acc
        if not self.config.gyroscope:  # H10: ACC only, the gyroscope columns stay zero
            self._acc = (np.zeros(0), np.zeros((0, 3)))
            self.samples += int(ta.size)
            return Samples(ta, self.clock.host_at(ta), va / 1000.0, np.zeros((ta.size, 3)),
                           bad=bad, clock_outliers=self._outliers)
        tg, vg = self._gyr
        ready = ta <= tg[-1] if tg.size else np.zeros(ta.size, dtype=bool)
        ready &= ta >= (tg[0] if tg.size else np.inf)
        t_out = ta[ready]
        gyr = np.column_stack([np.interp(t_out, tg, vg[:, i]) for i in range(3)]) \
            if t_out.size else np.zeros((0, 3))
        self._acc = (ta[~ready & (ta > (tg[-1] if tg.size else -np.inf))],
                     va[~ready & (ta > (tg[-1] if tg.size else -np.inf))])
        if t_out.size:
            self._acc_out_s = float(t_out[-1])
        # keep the GYRO samples later ACC samples may still need (a held ACC
        # frame comes after its GYRO frame), a bounded number of them
        first = max(int(np.searchsorted(tg, self._acc_out_s)) - 1, 0, tg.size - self.MAX_GYRO)
        self._gyr = (tg[first:], vg[first:])
        self.samples += int(t_out.size)
        return Samples(t_out, self.clock.host_at(t_out), va[ready] / 1000.0, gyr,
                       bad=bad, clock_outliers=self._outliers)

    def stats(self) -> dict[str, Any]:
        return {"samples": self.samples, "bad_frames": dict(self.bad),
                "clock_outliers": self.clock_outliers,
                "clock_offset_s": round(self.clock.offset_s, 6) if self.clock.ready else None,
                "clock_drift_ppm": round(self.clock.drift_ppm, 2) if self.clock.ready else None}
