"""A receiving host's view of one hipsense connection: notifications in,
samples out, with loss detection, clock unwrapping, a check of every packet's
clock and the host/sensor clock fit."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from hipsense.sensors.base import Samples, StreamConfig, StreamDecoder
from hipsense.sensors.clock import ClockFit
from hipsense.sensors.hipsense.codec import decode_packets

_WRAP_US = 1 << 32
_SEQ_WRAP = 1 << 16
#: After a silence, a sensor clock this far (us) from the host clock's
#: prediction was reset (a reboot), not merely drifting.
CLOCK_RESET_US = 5_000_000
#: After this long without a packet (host s) the host clock, not the last
#: packet, says where the next packet's clock lies (and how many wraps passed).
SILENCE_S = 5.0
#: A packet's clock may lie this far (us), plus CLOCK_TOLERANCE_REL of the time
#: since the packet it is compared with, from where its sequence number puts it.
CLOCK_TOLERANCE_US = 2_000
CLOCK_TOLERANCE_REL = 0.01
#: A packet that disagrees with the stream is taken at its word when the host
#: clock puts it within this much (us) of its own clock (a pause in streaming).
HOST_TOLERANCE_US = 1_000_000
#: Disagreeing packets held back, waiting for the next packets to tell a bad
#: clock from a jump of the stream, before the host clock decides.
MAX_SUSPECTS = 4


def _wrapped_us(d: float) -> float:
    """A u32 clock difference as the nearest signed one."""
    return (d + _WRAP_US // 2) % _WRAP_US - _WRAP_US // 2


@dataclass
class _Packet:
    """One accepted-by-the-codec packet while it is judged."""

    index: int          # in the decoded batch
    host_s: float
    seq: int
    raw_us: int         # its u32 clock (first sample)
    count: int
    period_us: float
    t0_us: float = 0.0  # unwrapped: its claim while judged, then where it is placed

    @property
    def span_us(self) -> float:
        return self.count * self.period_us

    @property
    def newest_us(self) -> float:
        return self.t0_us + (self.count - 1) * self.period_us


def _claim(a: _Packet, p: _Packet) -> tuple[float, float]:
    """Where ``p``'s sequence number puts it after ``a``, and where its own
    clock does (unwrapped next to that place; in ``a``'s placement, which
    differs from its raw clock after a reboot)."""
    step = (p.seq - a.seq) % _SEQ_WRAP * a.span_us
    dev = _wrapped_us(p.raw_us - (a.raw_us + step))
    return a.t0_us + step, a.t0_us + step + dev


def _follows(a: _Packet, p: _Packet) -> tuple[bool, float]:
    """Does ``p``'s clock lie where its sequence number puts it after ``a``?
    Returns the answer and ``p``'s clock unwrapped next to that place."""
    pred, t0 = _claim(a, p)
    tol = CLOCK_TOLERANCE_US + CLOCK_TOLERANCE_REL * (pred - a.t0_us)
    return abs(t0 - pred) <= tol, t0


class HipsenseDecoder(StreamDecoder):
    """Decodes hipsense data notifications (PROTOCOL.md) of one connection.

    Sequence numbers count lost packets and drop duplicated notifications.
    Every packet's u32 microsecond clock is checked against where its
    sequence number puts it after the last good packet: a packet that
    disagrees while the next packets agree with the stream is an outlier (a
    damaged clock or sequence field): it is counted in ``clock_outliers`` and
    placed by its sequence number (or the clock fit), and nothing after it
    moves. When the next packets agree with it instead, the stream's clock
    jumped (a pause between streams) and it starts the new stretch. After a
    silence (a reconnect) the number of wraps comes from the host clock
    through the clock fit, so even a gap longer than the 71.6 min wrap lands
    right, and a clock that was reset meanwhile (a reboot) is placed by the
    host clock and counted in ``clock_resets``. A disagreeing packet at the
    end of a batch is held back until the next batch (or :meth:`end_stream`)
    decides.
    """

    def __init__(self, config: StreamConfig) -> None:
        self.config = config
        self.clock = ClockFit()
        self._period_us = 1e6 / config.rate_hz
        self._ref: _Packet | None = None      # the last packet placed by its own clock
        self._last_seq: int | None = None     # the last sequence number counted
        self._seq_from_start = False          # _last_seq came from the sensor's START
        self._last_time_s = -np.inf
        self._pending: list[tuple[float, bytes]] = []
        self._early: Samples | None = None    # decided by begin_stream, not yet returned
        self._pairs: list[tuple[float, float]] = []
        self._placed: list[tuple[_Packet, bool, float, float]] = []
        self._batch = Counter()
        self._carry_lost = 0                  # counted by begin_stream, not yet returned
        self.lost_packets = 0
        self.clock_resets = 0
        self.clock_outliers = 0
        self.duplicates = 0
        self.samples = 0
        self.bad: Counter = Counter()

    # ---- the stream's ends ---------------------------------------------------------
    def begin_stream(self, first_seq: int | None = None) -> None:
        if self._pending:
            self._early = self._process(np.zeros(0), [], final=True)
        if first_seq is None:
            return
        first_seq = int(first_seq) % _SEQ_WRAP
        if self._last_seq is not None:
            gap = (first_seq - 1 - self._last_seq) % _SEQ_WRAP
            if gap < _SEQ_WRAP // 2:  # else the sensor restarted its count
                self.lost_packets += gap
                self._carry_lost += gap
        self._last_seq = (first_seq - 1) % _SEQ_WRAP
        self._seq_from_start = True

    def end_stream(self, next_seq: int | None = None) -> Samples:
        out = self._process(np.zeros(0), [], final=True)
        if next_seq is not None and self._last_seq is not None:
            gap = (int(next_seq) - 1 - self._last_seq) % _SEQ_WRAP
            if gap < _SEQ_WRAP // 2:
                self.lost_packets += gap
                out.lost_packets += gap
            self._last_seq = (int(next_seq) - 1) % _SEQ_WRAP
        return out

    # ---- notifications -------------------------------------------------------------
    def feed(self, host_time_s: np.ndarray, payloads: list[bytes]) -> Samples:
        return self._process(np.asarray(host_time_s, dtype=float), list(payloads), final=False)

    def _process(self, host_time_s: np.ndarray, payloads: list[bytes], final: bool) -> Samples:
        if self._pending:  # held back last time: judged again with what follows
            host_time_s = np.r_[[h for h, _ in self._pending], host_time_s]
            payloads = [p for _, p in self._pending] + payloads
            self._pending = []
        dec = decode_packets(payloads)
        bad = dict(dec.error_counts())
        self.bad.update(bad)
        kept = [i for i in range(len(payloads)) if i not in dec.errors]
        keep_host = host_time_s[kept]
        self._batch = Counter(lost=self._carry_lost)
        self._carry_lost = 0
        period = np.where(dec.period_us > 0, dec.period_us, self._period_us).astype(float)
        packets = [_Packet(i, float(keep_host[i]), int(dec.seq[i]), int(dec.t0_us[i]),
                           int(dec.count[i]), float(period[i])) for i in range(dec.seq.size)]
        held = self._judge(packets, final)
        self._pending = [(float(keep_host[p.index]), bytes(payloads[kept[p.index]]))
                         for p in held]
        out = self._samples(dec, period, bad)
        if self._early is not None:
            out = _joined(self._early, out)
            self._early = None
        return out

    def _judge(self, packets: list[_Packet], final: bool) -> list[_Packet]:
        """Place the packets in order; returns the ones held back undecided."""
        queue = deque(packets)
        suspects: list[_Packet] = []
        while True:
            while queue:
                p = queue.popleft()
                ref = self._ref
                if ref is None and not suspects:
                    p.t0_us = float(p.raw_us)
                    suspects.append(p)  # the first packet: confirmed by the next one
                    continue
                latest = suspects[-1] if suspects else ref
                if ref is not None and p.host_s - latest.host_s > SILENCE_S:
                    self._sync_clock()
                    if self.clock.ready:
                        for s in suspects:
                            self._decide_by_host(s)
                        suspects = []
                        self._after_silence(p)
                        continue
                if ref is not None:
                    ok, t0 = _follows(ref, p)
                    if ok:
                        self._outliers(suspects, p, t0)
                        suspects = []
                        self._accept(p, t0)
                        continue
                j = next((j for j, s in enumerate(suspects) if _follows(s, p)[0]), None)
                if j is not None:  # the clock jumped at suspect j: a new stretch
                    anchor = suspects[j]
                    self._outliers(suspects[:j], anchor, anchor.t0_us)
                    self._accept(anchor, anchor.t0_us)
                    t0 = _follows(anchor, p)[1]
                    self._outliers(suspects[j + 1:], p, t0)
                    suspects = []
                    self._accept(p, t0)
                    continue
                if ref is not None:
                    p.t0_us = _claim(ref, p)[1]
                else:
                    p.t0_us = float(p.raw_us)
                suspects.append(p)
                if len(suspects) > MAX_SUSPECTS:
                    self._settle_first(suspects, queue)
                    suspects = []
            if not (final and suspects):
                return suspects
            self._settle_first(suspects, queue)
            suspects = []

    def _settle_first(self, suspects: list[_Packet], queue: deque) -> None:
        """Decide the first suspect by the host clock; judge the rest again."""
        self._sync_clock()
        first = suspects[0]
        if self._ref is None:
            self._accept(first, float(first.raw_us))
        else:
            self._decide_by_host(first)
        queue.extendleft(reversed(suspects[1:]))

    # ---- placing packets ----------------------------------------------------------
    def _count_lost(self, n: int) -> None:
        self.lost_packets += n
        self._batch["lost"] += n

    def _count_seq(self, seq: int) -> bool:
        """Count the packets lost before ``seq``; False when it repeats the last one."""
        if self._last_seq is not None:
            step = (seq - self._last_seq) % _SEQ_WRAP
            if step == 0:
                return False
            self._count_lost(step - 1)
        self._last_seq = seq
        self._seq_from_start = False
        return True

    def _accept(self, p: _Packet, t0_us: float) -> None:
        """``p`` placed by its own clock; it becomes the reference."""
        p.t0_us = t0_us
        if not self._count_seq(p.seq):
            self.duplicates += 1
            self._batch["duplicates"] += 1
            return
        self._ref = p
        self._placed.append((p, False, -np.inf, np.inf))
        self._pairs.append((p.newest_us / 1e6, p.host_s))

    def _outliers(self, outliers: list[_Packet], after: _Packet, after_t0_us: float) -> None:
        """Place packets whose clock disagreed with both the stream before them
        and ``after`` (which agrees with the stream): by their sequence number
        when it lies between, else by their clock when that does, else by the
        clock fit; their samples only between their neighbours'."""
        ref = self._ref
        for o in outliers:
            self.clock_outliers += 1
            self._batch["outliers"] += 1
            seq: int | None = None
            t0: float | None = None
            if ref is not None:
                room = (after.seq - ref.seq) % _SEQ_WRAP
                dseq = (o.seq - ref.seq) % _SEQ_WRAP
                by_clock = ref.t0_us + _wrapped_us(o.raw_us - ref.raw_us)  # its sequence aside
                k = round((by_clock - ref.t0_us) / ref.span_us)
                if 0 < dseq < room:
                    seq, t0 = o.seq, ref.t0_us + dseq * ref.span_us
                elif 0 < k < room and abs(by_clock - ref.t0_us - k * ref.span_us) <= \
                        CLOCK_TOLERANCE_US + CLOCK_TOLERANCE_REL * k * ref.span_us:
                    seq, t0 = (ref.seq + k) % _SEQ_WRAP, by_clock
                lo = ref.newest_us
            else:  # before the first good packet: back from it
                back = (after.seq - o.seq) % _SEQ_WRAP
                if 0 < back <= MAX_SUSPECTS + 1:
                    seq, t0 = o.seq, after_t0_us - back * o.span_us
                lo = -np.inf
            if t0 is None:
                self._sync_clock()
                if not self.clock.ready:
                    continue
                t0 = self.clock.sensor_at(o.host_s) * 1e6 - (o.count - 1) * o.period_us
            if seq is not None and not self._count_seq(seq):
                continue
            o.t0_us = t0
            self._placed.append((o, True, lo, after_t0_us))

    def _decide_by_host(self, p: _Packet) -> None:
        """No later packet tells: the host clock does. A clock it confirms is
        taken (the stream jumped); else the packet is an outlier placed by its
        sequence number, or by the fit when that disagrees with the host too."""
        ref = self._ref
        assert ref is not None
        if not self.clock.ready:
            self._accept(p, p.t0_us)
            return
        at_host_us = self.clock.sensor_at(p.host_s) * 1e6
        if abs(at_host_us - p.newest_us) <= HOST_TOLERANCE_US:
            self._accept(p, p.t0_us)
            return
        self.clock_outliers += 1
        self._batch["outliers"] += 1
        dseq = (p.seq - ref.seq) % _SEQ_WRAP
        by_seq = ref.t0_us + dseq * ref.span_us
        if dseq and abs(at_host_us - by_seq - (p.count - 1) * p.period_us) <= HOST_TOLERANCE_US:
            if not self._count_seq(p.seq):
                return
            p.t0_us = by_seq
        else:
            p.t0_us = at_host_us - (p.count - 1) * p.period_us
        self._placed.append((p, True, ref.newest_us, np.inf))

    def _after_silence(self, p: _Packet) -> None:
        """The first packet after a silence: the host clock gives its wraps; a
        clock far from the host clock's prediction was reset (a reboot)."""
        pred = self.clock.sensor_at(p.host_s) * 1e6
        shift = _wrapped_us(p.raw_us - pred)
        reset = abs(shift) > CLOCK_RESET_US
        if reset:  # the arrival time stands for the packet's newest sample
            self.clock_resets += 1
            if not self._seq_from_start:
                self._last_seq = None  # a reboot restarts the sequence too
            self._accept(p, pred - (p.count - 1) * p.period_us)
        else:
            self._accept(p, pred + shift)

    def _sync_clock(self) -> None:
        if self._pairs:
            pairs = np.array(self._pairs)
            self.clock.add(pairs[:, 0], pairs[:, 1])
            self._pairs = []

    # ---- samples ----------------------------------------------------------------------
    def _samples(self, dec: Any, period: np.ndarray, bad: dict[str, int]) -> Samples:
        self._sync_clock()
        placed, self._placed = self._placed, []
        batch = self._batch
        if not placed:
            return Samples.empty(batch["lost"], bad)
        npk = dec.seq.size
        t0 = np.full(npk, np.nan)
        lo = np.full(npk, -np.inf)
        hi = np.full(npk, np.inf)
        for p, _, low, high in placed:
            t0[p.index], lo[p.index], hi[p.index] = p.t0_us, low, high
        time_us = t0[dec.packet] + dec.offset * period[dec.packet]
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(time_us) & (time_us > lo[dec.packet]) & (time_us < hi[dec.packet])
        time_s = time_us / 1e6
        masked = np.where(ok, time_s, -np.inf)
        before = np.maximum.accumulate(np.r_[self._last_time_s, masked[:-1]])
        ok &= time_s > before  # keep what is new: never back in time
        counts = dec.samples[ok].astype(float)
        time_s = time_s[ok]
        if time_s.size:
            self._last_time_s = float(time_s[-1])
        self.samples += int(time_s.size)
        return Samples(time_s, self.clock.host_at(time_s),
                       counts[:, :3] * self.config.acc_g_per_lsb,
                       counts[:, 3:] * self.config.gyr_dps_per_lsb,
                       lost_packets=batch["lost"], duplicates=batch["duplicates"], bad=bad,
                       clock_outliers=batch["outliers"])

    def stats(self) -> dict[str, Any]:
        return {"samples": self.samples, "lost_packets": self.lost_packets,
                "duplicate_packets": self.duplicates, "bad_packets": dict(self.bad),
                "clock_outliers": self.clock_outliers, "clock_resets": self.clock_resets,
                "clock_offset_s": round(self.clock.offset_s, 6) if self.clock.ready else None,
                "clock_drift_ppm": round(self.clock.drift_ppm, 2) if self.clock.ready else None}


def _joined(a: Samples, b: Samples) -> Samples:
    """Two batches of samples as one (``a`` first)."""
    bad = Counter(a.bad)
    bad.update(b.bad)
    return Samples(np.r_[a.time_s, b.time_s], np.r_[a.host_time_s, b.host_time_s],
                   np.vstack([a.acc_g, b.acc_g]), np.vstack([a.gyr_dps, b.gyr_dps]),
                   lost_packets=a.lost_packets + b.lost_packets,
                   duplicates=a.duplicates + b.duplicates, bad=dict(bad),
                   clock_outliers=a.clock_outliers + b.clock_outliers)
