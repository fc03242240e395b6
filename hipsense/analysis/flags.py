"""Flags in words a runner understands, and left/right comparisons.

Thresholds and the words of the threshold flags come from the catalogue
(``hipsense.exercises``): per-exercise ``flag_rules`` and the general ``THRESHOLDS``.
"""

from __future__ import annotations

from collections import defaultdict
import numpy as np

from hipsense.analysis.results import Comparison, Flag, Rep, SetResult
from hipsense.exercises import EXERCISES, THRESHOLDS, Exercise, GeneralThresholds, metric_label

#: A threshold flag becomes an alert this far (deg) beyond its threshold.
ALERT_MARGIN_DEG = 3.0
#: Tempo is erratic when rep durations vary by more than this coefficient of variation.
ERRATIC_TEMPO_CV = 0.4
#: Rep holds are "well short" below this fraction of the prescribed hold.
SHORT_REP_HOLD_FRACTION = 0.8


def set_flags(result: SetResult, thresholds: GeneralThresholds = THRESHOLDS
              ) -> list[Flag]:
    """The exercise flags of one set (data-quality flags are added by the pipeline)."""
    ex = EXERCISES[result.exercise]
    flags: list[Flag] = []
    reps = [r for r in result.reps if r.measured]
    # without a usable calibration the heading is estimated: a cross-axis
    # metric within its uncertainty of the threshold does not raise the flag
    estimated = result.quality.get("heading", {}).get("source", "calibration") != "calibration"
    uncertainty = result.quality.get("metric_uncertainty_deg", {}) if estimated else {}
    if reps and result.quality.get("reps_reliable", True):
        for rule in ex.flag_rules:
            values = np.array([r.metrics[rule.metric] for r in reps])
            check = np.abs(values) if rule.use_abs else values
            median = float(np.median(check))
            margin = float(uncertainty.get(rule.metric, 0.0))
            if rule.threshold_deg < median <= rule.threshold_deg + margin:
                flags.append(Flag("data_quality", "info",
                                  f"{metric_label(rule.metric).capitalize()} was {median:.0f} "
                                  f"deg (+-{margin:.0f}) on average during "
                                  f"{ex.set_name(result.side)}, near the "
                                  f"{rule.threshold_deg:.0f} deg limit; without a usable "
                                  "calibration hipsense cannot tell which side of it. Record "
                                  "the calibration next time."))
                continue
            if median > rule.threshold_deg:
                severity = "alert" if median > rule.threshold_deg + ALERT_MARGIN_DEG else "warning"
                signed = float(np.median(values))
                concerned = tuple(r.index for r, v in zip(reps, check) if v > rule.threshold_deg)
                message = rule.words(rule.message, result.side, signed,
                                     ex.set_name(result.side))
                flags.append(Flag(rule.code, severity, message, concerned))
        flags += _consistency(ex, reps, result.side, thresholds)
        flags += _rep_holds(ex, result)
    for hold in result.holds:
        if hold.duration_s < thresholds.short_hold_s:
            flags.append(Flag("short_hold", "warning",
                              f"You held the {ex.set_name(result.side)} for "
                              f"{hold.duration_s:.0f} s; aim for "
                              f"{ex.prescription.hold_s[1]:.0f} s: set a timer and breathe "
                              "slowly while you hold."))
    return flags


def _consistency(ex: Exercise, reps: list[Rep], side: str, th: GeneralThresholds
                 ) -> list[Flag]:
    if len(reps) < 4:
        return []
    values = np.array([r.metrics[ex.primary_metric] for r in reps])
    sd = float(np.std(values, ddof=1))
    durations = np.array([r.end_s - r.start_s for r in reps])
    cv = float(np.std(durations, ddof=1) / np.mean(durations))
    out = []
    if sd > th.inconsistent_rep_sd_deg:
        median = float(np.median(values))
        odd = tuple(r.index for r, v in zip(reps, values) if abs(v - median) > max(sd, 2.0))
        label = metric_label(ex.primary_metric)
        out.append(Flag("inconsistent_reps", "info",
                        f"Your {ex.set_name(side)} varied a lot from rep to rep "
                        f"({label} spread {sd:.1f} deg); slow down and make every rep look "
                        "like your best one.", odd))
    if cv > ERRATIC_TEMPO_CV:
        out.append(Flag("inconsistent_reps", "info",
                        f"The tempo of your {ex.set_name(side)} was uneven (rep "
                        f"times {durations.min():.1f}-{durations.max():.1f} s); keep a steady "
                        "rhythm, for example 2 s up and 2 s down."))
    return out


def _rep_holds(ex: Exercise, result: SetResult) -> list[Flag]:
    prescribed = ex.prescription.hold_s[0]
    if prescribed <= 0:
        return []
    holds = np.array([r.hold_s for r in result.reps])
    median = float(np.median(holds))
    if median >= SHORT_REP_HOLD_FRACTION * prescribed:
        return []
    short = tuple(r.index for r in result.reps if r.hold_s < SHORT_REP_HOLD_FRACTION * prescribed)
    return [Flag("short_hold", "info",
                 f"Your holds at the top of {ex.set_name(result.side)} averaged "
                 f"{median:.1f} s; the programme asks for {prescribed:.0f} s: pause at the top.",
                 short)]


def compare_sides(sets: list[SetResult], thresholds: GeneralThresholds = THRESHOLDS
                  ) -> list[Comparison]:
    """Left against right per exercise and metric: medians over all reps (or holds)
    of each side's sets; durations and rep counts too."""
    by: dict[tuple[str, str], list[SetResult]] = defaultdict(list)
    for s in sets:
        by[(s.exercise, s.side)].append(s)
    out = []
    for exercise, ex in EXERCISES.items():
        left, right = by.get((exercise, "left")), by.get((exercise, "right"))
        if not left or not right:
            continue
        for sig in ex.signals:
            lv, rv = _pooled(left, sig.name), _pooled(right, sig.name)
            if lv is None or rv is None:
                continue
            diff = abs(rv - lv)
            out.append(Comparison(exercise, sig.name, lv, rv, diff,
                                  "left_right_asymmetry" if diff > thresholds.asymmetry_deg
                                  else None))
        if ex.kind == "hold":
            pairs = [("duration_s", _median_hold_s(left), _median_hold_s(right))]
        else:
            pairs = [("rep_count", float(sum(s.rep_count for s in left)),
                      float(sum(s.rep_count for s in right)))]
        for metric, lv, rv in pairs:
            if lv is None or rv is None or max(lv, rv) == 0:
                continue
            diff = abs(rv - lv)
            ratio = diff / max(lv, rv)
            out.append(Comparison(exercise, metric, lv, rv, diff,
                                  "left_right_asymmetry" if ratio > thresholds.asymmetry_fraction
                                  else None))
    return out


def _pooled(sets: list[SetResult], metric: str) -> float | None:
    values = [r.metrics[metric] for s in sets for r in (s.reps or s.holds)
              if r.metrics.get(metric) is not None]
    return float(np.median(values)) if values else None


def _median_hold_s(sets: list[SetResult]) -> float | None:
    durations = [h.duration_s for s in sets for h in s.holds]
    return float(np.median(durations)) if durations else None
