"""A receiving host's view of one hipsense connection: notifications in,
samples out, with loss detection, clock unwrapping and the clock fit."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from hipsense.devices.base import Samples, StreamConfig, StreamDecoder
from hipsense.devices.clock import ClockFit
from hipsense.protocol.codec import decode_packets

_WRAP_US = 1 << 32
#: After a silence, a sensor clock this far (us) from the host clock's
#: prediction was reset (a reboot), not merely drifting.
CLOCK_RESET_US = 5_000_000


class HipsenseDecoder(StreamDecoder):
    """Decodes hipsense data notifications (PROTOCOL.md) of one connection.

    Sequence numbers count lost packets and drop duplicated notifications.
    The u32 microsecond clock is unwrapped continuously; after a silence (a
    reconnect) the number of wraps comes from the host clock through the
    clock fit, so even a gap longer than the 71.6 min wrap lands right, and a
    clock that was reset meanwhile (a reboot) is placed by the host clock
    and counted in ``clock_resets``.
    """

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        self.clock = ClockFit()
        self._period_us = 1e6 / config.rate_hz
        self._last_seq: int | None = None
        self._last_t0_us: int | None = None   # unwrapped, of the last packet
        self._last_time_s = -np.inf
        self._last_host_s = -np.inf
        self.lost_packets = 0
        self.clock_resets = 0
        self.duplicates = 0
        self.samples = 0
        self.bad: Counter = Counter()

    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        host_time_s = np.asarray(host_time_s, dtype=float)
        dec = decode_packets(payloads)
        bad = dict(dec.error_counts())
        self.bad.update(bad)
        keep_host = np.delete(host_time_s, list(dec.errors)) if dec.errors else host_time_s
        npk = dec.seq.size
        if npk == 0:
            return self._empty(bad)
        # clock: unwrap from the previous packet, or from the host clock after a
        # silence; a clock far from where the host clock puts it was reset (the
        # sensor rebooted): its packets go where the host clock says
        raw = dec.t0_us.astype(np.int64)
        t0 = raw.copy()
        t0[1:] = raw[0] + np.cumsum(np.diff(raw) % _WRAP_US)
        reset = False
        if self._last_t0_us is not None:
            silence = keep_host[0] - self._last_host_s > 5.0 and self.clock.ready
            pred = self.clock.sensor_at(keep_host[0]) * 1e6 if silence else self._last_t0_us
            shift = (raw[0] - pred + _WRAP_US // 2) % _WRAP_US - _WRAP_US // 2
            reset = bool(silence and abs(shift) > CLOCK_RESET_US)
            if reset:  # the arrival time stands for the packet's newest sample
                first_period = dec.period_us[0] or self._period_us
                shift = -(int(dec.count[0]) - 1) * float(first_period)
            t0 += int(round(pred + shift)) - raw[0]
            self.clock_resets += int(reset)
        # sequence: lost packets and repeated notifications (a reset restarts it)
        seq = dec.seq.astype(np.int64)
        prev = np.empty_like(seq)
        prev[0] = self._last_seq if self._last_seq is not None and not reset else seq[0] - 1
        prev[1:] = seq[:-1]
        step = (seq - prev) % 65536
        dup = step == 0
        lost = int(np.where(step > 0, step - 1, 0).sum())
        self._last_seq = int(seq[-1])
        period = np.where(dec.period_us > 0, dec.period_us, self._period_us)
        time_us = t0[dec.packet] + dec.offset * period[dec.packet]
        time_s = time_us / 1e6
        # keep what is new: not a repeated notification, not older than what we have
        ok = ~dup[dec.packet] & (time_s > self._last_time_s)
        ok[1:] &= np.diff(time_s) > 0
        self.duplicates += int(dup.sum())
        self.lost_packets += lost
        last_sample = np.append(np.flatnonzero(np.diff(dec.packet)), dec.packet.size - 1)
        self.clock.add(time_s[last_sample], keep_host)
        self._last_t0_us = int(t0[-1])
        self._last_host_s = float(keep_host[-1])
        counts = dec.samples[ok].astype(float)
        time_s = time_s[ok]
        if time_s.size:
            self._last_time_s = float(time_s[-1])
        self.samples += int(time_s.size)
        return Samples(time_s, self.clock.host_at(time_s),
                       counts[:, :3] * self.config.acc_g_per_lsb,
                       counts[:, 3:] * self.config.gyr_dps_per_lsb, lost_packets=lost,
                       duplicates=int(dup.sum()), bad=bad)

    def _empty(self, bad: dict[str, int]) -> Samples:
        z = np.zeros(0)
        return Samples(z, z, np.zeros((0, 3)), np.zeros((0, 3)), bad=bad)

    def stats(self) -> dict[str, Any]:
        return {"samples": self.samples, "lost_packets": self.lost_packets,
                "duplicate_packets": self.duplicates, "bad_packets": dict(self.bad),
                "clock_resets": self.clock_resets,
                "clock_offset_s": round(self.clock.offset_s, 6) if self.clock.ready else None,
                "clock_drift_ppm": round(self.clock.drift_ppm, 2) if self.clock.ready else None}
