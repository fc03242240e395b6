"""Cutting a recording into hipsense packets as the sensor sends them (the
virtual sensor's packetiser)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipsense.core import Recording


@dataclass
class Packets:
    """One recording cut into packets: number (in the recording), t0 (us,
    64-bit), period (us), samples (int16 counts)."""

    number: np.ndarray
    t0_us: np.ndarray
    period_us: np.ndarray
    last_s: np.ndarray
    counts: list[np.ndarray]


def packetise(rec: Recording, acc_g_per_lsb: float, gyr_dps_per_lsb: float,
              samples_per_packet: int) -> Packets:
    """Cut a recording into packets as the sensor sent them.

    Each sample's index in the sensor's sample stream is recovered from the
    time steps (a gap of k periods skips k - 1 samples), so samples lost in
    transit leave the packet numbers of their packets unused.
    """
    t = rec.time_s
    dt = np.diff(t)
    period_s = float(np.median(dt)) if dt.size else 0.01
    index = np.r_[0, np.cumsum(np.maximum(np.round(dt / period_s), 1))].astype(np.int64)
    counts = np.column_stack([np.round(rec.acc_g / acc_g_per_lsb),
                              np.round(rec.gyr_dps / gyr_dps_per_lsb)])
    counts = np.clip(counts, -32768, 32767).astype("<i2")
    number = index // samples_per_packet
    starts = np.r_[0, np.flatnonzero(np.diff(number)) + 1]
    ends = np.r_[starts[1:], t.size]
    t_us = np.round(t * 1e6).astype(np.int64)
    n = ends - starts
    span = t_us[ends - 1] - t_us[starts]
    nominal = int(round(period_s * 1e6))
    period = np.where(n > 1, np.round(span / np.maximum(n - 1, 1)), nominal).astype(np.int64)
    return Packets(number[starts], t_us[starts], period, t[ends - 1],
                    [counts[a:b] for a, b in zip(starts, ends)])
