"""Result types of the analysis and their JSON form (measurements.md).

Times are seconds on the recording's own ``time_s`` clock; angles in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Severity = Literal["info", "warning", "alert"]


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(float(x), digits)


@dataclass(frozen=True)
class Rep:
    """One rep: leaves rest at ``start_s``, back at ``end_s``; ``hold_s`` in the top
    part, ``up_s`` to reach it and ``down_s`` from it; each metric's extreme (deg),
    or None for every metric when too much data was lost during the rep."""

    index: int
    start_s: float
    end_s: float
    hold_s: float
    up_s: float
    down_s: float
    metrics: dict[str, float | None]

    @property
    def measured(self) -> bool:
        """False when data was lost at the top: the metrics are None."""
        return None not in self.metrics.values()

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "start_s": _r(self.start_s, 3), "end_s": _r(self.end_s, 3),
                "hold_s": _r(self.hold_s), "up_s": _r(self.up_s), "down_s": _r(self.down_s),
                "metrics": {k: _r(v) for k, v in self.metrics.items()}}


@dataclass(frozen=True)
class Hold:
    """One stretch hold: from the end of getting in to the start of coming out;
    each metric's mean over it (deg)."""

    index: int
    start_s: float
    end_s: float
    metrics: dict[str, float]

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "start_s": _r(self.start_s, 3), "end_s": _r(self.end_s, 3),
                "duration_s": _r(self.duration_s), "metrics": {k: _r(v) for k, v in
                                                               self.metrics.items()}}


@dataclass(frozen=True)
class Flag:
    """Something a runner should know: a code of measurements.md, how serious it
    is, a message with a cue, and the reps it concerns (1-based)."""

    code: str
    severity: Severity
    message: str
    reps: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "reps": list(self.reps)}


@dataclass
class SetResult:
    """One set's analysis. ``medians`` holds each metric's median over the reps
    (or holds); ``quality`` the data-quality figures."""

    file: str
    exercise: str
    side: str
    reps: list[Rep] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    medians: dict[str, float] = field(default_factory=dict)
    reference_s: tuple[float, float] | None = None
    quality: dict[str, Any] = field(default_factory=dict)
    #: the recording's time (s) and every angle signal (deg) over it, for
    #: figures; not part of the JSON
    time_s: np.ndarray | None = field(default=None, repr=False)
    signals_deg: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: a run set's ``run`` object (running.md); None for the exercises
    run: dict[str, Any] | None = None

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    def to_json(self) -> dict[str, Any]:
        if self.run is not None:
            return {"file": self.file, "exercise": self.exercise, "side": self.side,
                    "run": self.run, "flags": [f.to_json() for f in self.flags],
                    "reference_s": None if self.reference_s is None else
                    [_r(self.reference_s[0], 3), _r(self.reference_s[1], 3)],
                    "quality": self.quality}
        return {
            "file": self.file, "exercise": self.exercise, "side": self.side,
            "rep_count": self.rep_count,
            "reps": [r.to_json() for r in self.reps],
            "holds": [h.to_json() for h in self.holds],
            "flags": [f.to_json() for f in self.flags],
            "medians": {k: _r(v) for k, v in self.medians.items()},
            "reference_s": None if self.reference_s is None else
            [_r(self.reference_s[0], 3), _r(self.reference_s[1], 3)],
            "quality": self.quality,
        }


@dataclass(frozen=True)
class Comparison:
    """Left against right for one exercise and metric within a session.

    ``difference`` is ``abs(right - left)``; ``flag`` is ``left_right_asymmetry``
    when it passes the threshold (3 deg for angles, 15 % for durations and
    counts), else None.
    """

    exercise: str
    metric: str
    left: float
    right: float
    difference: float
    flag: str | None

    def to_json(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "metric": self.metric, "left": _r(self.left),
                "right": _r(self.right), "difference": _r(self.difference), "flag": self.flag}


@dataclass
class SessionResult:
    """A session's analysis: the sets, left/right comparisons, and the calibration."""

    sets: list[SetResult]
    comparisons: list[Comparison]
    calibration: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"sets": [s.to_json() for s in self.sets],
                "comparisons": [c.to_json() for c in self.comparisons],
                "calibration": self.calibration}
