"""The analysis core: calibration, orientation, angle signals, reps and holds,
metrics, flags and left/right comparisons. Pure functions over numpy arrays and
the core types; no files, no BLE, no printing."""

from hipsense.analysis.pipeline import analyze, analyze_set
from hipsense.analysis.results import Comparison, Flag, Hold, Rep, SessionResult, SetResult

__all__ = ["Comparison", "Flag", "Hold", "Rep", "SessionResult", "SetResult", "analyze",
           "analyze_set"]
