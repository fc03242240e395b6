"""Result types of the analysis and their JSON form (measurements.md).

Times are seconds on the recording's own ``time_s`` clock; angles in degrees.
:meth:`SessionResult.reps_frame`, :meth:`SessionResult.holds_frame` and
:meth:`SessionResult.sets_frame` give the same values as the JSON as pandas
DataFrames, for notebooks and spreadsheets; :meth:`SessionResult.steps_frame`
the steps of a run (running.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

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

    def reps_frame(self) -> pd.DataFrame:
        """One row per rep of every set, with the values of :meth:`to_json`.

        Columns: ``set`` (1-based, in session order), ``file``, ``exercise``,
        ``side``, ``rep`` (1-based within the set), ``start_s``, ``end_s``,
        ``hold_s``, ``up_s``, ``down_s`` (s, on the recording's clock), then one
        column per metric of any set in the session, each named with its unit
        (``pelvic_drop_deg``, ...): NaN where the rep's exercise has no such
        metric or the rep was counted but not measured (data lost at the top).
        """
        rows = [{**_set_columns(i, s), "rep": r["index"],
                 **{k: r[k] for k in ("start_s", "end_s", "hold_s", "up_s", "down_s")},
                 **r["metrics"]}
                for i, s in enumerate(self.to_json()["sets"], start=1)
                for r in s.get("reps", ())]
        return _frame(rows, [*_SET_COLUMNS, "rep", "start_s", "end_s", "hold_s", "up_s",
                             "down_s"], self._metric_names("reps"))

    def holds_frame(self) -> pd.DataFrame:
        """One row per stretch hold: ``set``, ``file``, ``exercise``, ``side``,
        ``hold`` (1-based within the set), ``start_s``, ``end_s``,
        ``duration_s`` (s), then each metric's mean over the hold (deg)."""
        rows = [{**_set_columns(i, s), "hold": h["index"],
                 **{k: h[k] for k in ("start_s", "end_s", "duration_s")}, **h["metrics"]}
                for i, s in enumerate(self.to_json()["sets"], start=1)
                for h in s.get("holds", ())]
        return _frame(rows, [*_SET_COLUMNS, "hold", "start_s", "end_s", "duration_s"],
                      self._metric_names("holds"))

    def sets_frame(self) -> pd.DataFrame:
        """One row per set: ``set``, ``file``, ``exercise``, ``side``,
        ``rep_count``, ``hold_count``, ``flag_codes`` (comma-separated,
        "" for none), then ``median_<metric>`` for each metric (deg; NaN where
        the set has no such metric). A run is listed too, with ``rep_count`` and
        ``hold_count`` empty (NaN) and no medians; its steps are in
        :meth:`steps_frame`."""
        rows = [{**_set_columns(i, s), "rep_count": s.get("rep_count"),
                 "hold_count": len(s["holds"]) if "holds" in s else None,
                 "flag_codes": ",".join(f["code"] for f in s["flags"]),
                 **{f"median_{k}": v for k, v in s.get("medians", {}).items()}}
                for i, s in enumerate(self.to_json()["sets"], start=1)]
        return _frame(rows, [*_SET_COLUMNS, "rep_count", "hold_count", "flag_codes"],
                      [f"median_{m}" for m in self._metric_names("medians")])

    def steps_frame(self) -> pd.DataFrame:
        """One row per step of every run in the session (running.md): ``set``
        (1-based, in session order), ``file``, ``side`` (the stance foot),
        ``ic_s``, ``to_s``, ``contact_s`` (s, on the session clock),
        ``pelvic_drop_deg`` (NaN when not measured), ``side_confidence`` and
        ``steady`` (bool). Empty (with these columns) without a run."""
        import pandas as pd

        columns = ["set", "file", "side", "ic_s", "to_s", "contact_s", "pelvic_drop_deg",
                   "side_confidence", "steady"]
        rows = [{"set": i, "file": s["file"], **{k: step.get(k) for k in columns[2:]}}
                for i, s in enumerate(self.to_json()["sets"], start=1)
                if s.get("run") is not None for step in s["run"].get("steps", ())]
        frame = pd.DataFrame(rows, columns=columns)
        for c in ("ic_s", "to_s", "contact_s", "pelvic_drop_deg", "side_confidence"):
            frame[c] = pd.to_numeric(frame[c], errors="raise").astype(float)
        frame["set"] = frame["set"].astype(int)
        frame["steady"] = frame["steady"].astype(bool)
        return frame

    def _metric_names(self, where: str) -> list[str]:
        """Every metric name of the reps, holds or medians, in first-seen order."""
        names: dict[str, None] = {}
        for s in self.sets:
            if where == "medians":
                names.update(dict.fromkeys(s.medians))
            for item in s.reps if where == "reps" else s.holds if where == "holds" else ():
                names.update(dict.fromkeys(item.metrics))
        return list(names)


_SET_COLUMNS = ["set", "file", "exercise", "side"]


def _set_columns(number: int, s: dict[str, Any]) -> dict[str, Any]:
    return {"set": number, "file": s["file"], "exercise": s["exercise"], "side": s["side"]}


def _frame(rows: list[dict[str, Any]], columns: list[str], metrics: list[str]) -> pd.DataFrame:
    """The rows as a DataFrame with ``columns`` then ``metrics`` (float, NaN for
    missing or None), even when there are no rows."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[*columns, *metrics])
    for m in metrics:
        frame[m] = pd.to_numeric(frame[m], errors="raise").astype(float)
    return frame
