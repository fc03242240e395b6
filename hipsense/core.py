"""The core data types: a recording, a set's description, and a session.

Plain containers over numpy arrays, free of I/O: ``hipsense.io`` reads and
writes them, the simulator makes them, the analysis consumes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class Recording:
    """One continuous IMU recording in the sensor frame.

    Attributes:
        time_s: (n,) sample times in seconds on the sensor's own clock, strictly
            increasing; gaps are missing samples.
        acc_g: (n, 3) specific force in g along the sensor's x, y, z axes
            (about +1 g on the axis that points up at rest).
        gyr_dps: (n, 3) angular rate in deg/s about the sensor's x, y, z axes.
        extra: optional extra columns (``seq``, ``host_time_s``, ``mag_x_ut`` ...),
            each (n,), kept in file order and written back on save.
    """

    time_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.time_s = np.asarray(self.time_s, dtype=float)
        self.acc_g = np.asarray(self.acc_g, dtype=float).reshape(-1, 3)
        self.gyr_dps = np.asarray(self.gyr_dps, dtype=float).reshape(-1, 3)
        n = self.time_s.shape[0]
        if self.acc_g.shape[0] != n or self.gyr_dps.shape[0] != n:
            raise ValueError("time_s, acc_g and gyr_dps must have the same length")
        for name, col in self.extra.items():
            if np.shape(col) != (n,):
                raise ValueError(f"extra column {name!r} must have shape ({n},)")

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0]) if len(self) else 0.0

    def median_rate_hz(self) -> float:
        """The median sample rate from the time column (robust to gaps)."""
        if len(self) < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.time_s)))

    def gaps(self, factor: float = 1.5) -> Gaps:
        """Intervals longer than ``factor`` times the median sample period."""
        if len(self) < 3:
            return Gaps(0, 0, 0.0)
        dt = np.diff(self.time_s)
        period = float(np.median(dt))
        long = dt > factor * period
        missing = int(np.round(dt[long] / period).sum() - long.sum())
        return Gaps(int(long.sum()), missing, float(dt[long].max()) if long.any() else 0.0)


@dataclass(frozen=True)
class Gaps:
    """Gaps in a recording: how many, the samples they miss, the longest (s)."""

    count: int
    missing_samples: int
    longest_s: float


@dataclass(frozen=True)
class SetInfo:
    """One set's entry in session.json: its file, exercise id and side.

    ``extra`` holds any other keys of the entry, preserved on round trip.
    """

    file: str
    exercise: str
    side: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "exercise": self.exercise, "side": self.side, **self.extra}


@dataclass
class Session:
    """One placement of the sensor on the body: calibration plus sets.

    ``metadata`` is the whole session.json object except ``sets`` (unknown keys
    included, in their order); ``calibration_file`` is None when no calibration
    was recorded. ``folder`` is the session folder it was read from (None for a
    session made in memory and not read back).
    """

    metadata: dict[str, Any]
    calibration: Recording | None
    sets: list[tuple[SetInfo, Recording]]
    folder: Path | None = None

    @property
    def calibration_file(self) -> str | None:
        return self.metadata.get("calibration")

    @property
    def sample_rate_hz(self) -> float | None:
        rate = self.metadata.get("sample_rate_hz")
        return float(rate) if rate is not None else None
