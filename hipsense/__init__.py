"""hipsense: hip-stability analysis from one IMU clipped over the sacrum.

Frames and units used throughout the package:

* sensor frame: the IMU's own x, y, z axes; accelerometer in g (specific force,
  +1 g on the axis pointing up at rest), gyroscope in deg/s;
* pelvis frame: ``a`` anterior, ``l`` left, ``u`` up (see
  ``shared/spec/measurements.md``), stored as (a, l, u) component order;
* world frame: z up; headings never matter because every angle is an
  elevation above the horizontal plane.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from hipsense.analysis.results import SessionResult

from hipsense.version import __version__

__all__ = ["__version__", "analyze_session"]


def analyze_session(path: str | Path) -> SessionResult:
    """Read a session folder (session-format.md) and analyse every set.

    Returns a :class:`~hipsense.analysis.results.SessionResult`: per set the reps
    (start/end/hold in seconds on the recording's ``time_s`` clock, metrics in
    degrees as measurements.md defines them, in the pelvis frame found by the
    calibration) or the stretch hold, the flags, the data-quality figures; and
    left/right comparisons. ``result.to_json()`` is the JSON of
    ``hipsense analyze --json``.

    Raises :class:`~hipsense.errors.SessionFormatError` for a malformed folder.

    >>> result = hipsense.analyze_session("sample_data/2026-10-05")  # doctest: +SKIP
    >>> round(result.sets[-1].medians["pelvic_drop_deg"], 1)  # doctest: +SKIP
    9.0
    """
    from hipsense.analysis import analyze
    from hipsense.io import read_session

    return analyze(read_session(path))
