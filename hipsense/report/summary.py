"""What a session report says first: pure functions over a session's analysis
(no HTML, no files), so what is flagged, how it is ranked and when "keep it up"
may be said are tested on their own.

- :func:`exercise_cards`: one card per exercise of the programme, left and
  right side by side against the limit (or the hold's target), a verdict, the
  asymmetry in words ("right worse by 5.7 deg") and the change since the last
  session.
- :func:`priorities`: what to work on, ranked by how far past its threshold
  each item is (as a fraction of the threshold, so degrees and seconds rank
  together).
- :func:`data_alerts`: what limits what the report can say (sets missing, sets
  not measured, a poor calibration, data-quality alerts).
- :func:`run_cards`: one card per running check (running.md): each stance
  foot's median drop against the limit, the cadence and contact times.
- :func:`summarise`: all of it, with the completion (13/13 sets, and the
  running check) and whether "keep it up" is true. The running check's flags
  rank with the exercises' among the priorities; a session of only a run is
  about the run (no programme sets "missing").

Angles are degrees, hold durations seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hipsense.analysis.results import Comparison, SessionResult, SetResult
from hipsense.errors import plural
from hipsense.exercises import (
    EXERCISES, PROGRAMME_ORDER, RUN, THRESHOLDS, Exercise, better_words, metric_label,
)

#: The metric key of a stretch's hold duration (as in the comparisons).
DURATION = "duration_s"

#: A change since the last session smaller than this is "steady" (deg, or s for holds).
STEADY_DEG = 0.5
STEADY_S = 1.0


@dataclass(frozen=True)
class Previous:
    """The values of an earlier session to compare with: ``values`` maps
    (exercise, side, metric) to the set's median (deg) or hold (``duration_s``, s)."""

    started_at: str | None
    values: dict[tuple[str, str, str], float]


@dataclass(frozen=True)
class SideValue:
    """One side of a card: the value (deg, or s for a hold), or None when the
    set was not done or not measured."""

    side: str
    value: float | None
    done: bool
    flagged: bool
    count: str  # "10 reps", "held 26 s", "not done"


@dataclass(frozen=True)
class Change:
    side: str
    before: float
    now: float
    word: str  # "better", "worse", "steady"


@dataclass(frozen=True)
class Card:
    """One exercise at a glance."""

    exercise: str
    name: str
    metric: str  # the primary metric, or ``duration_s`` for a stretch
    label: str  # "drop", "hold"
    unit: str  # "deg" or "s"
    better: str  # lower / higher / nearer_zero
    limit: float | None  # the flag threshold (deg) or the hold's target (s)
    limit_word: str  # "limit" or "target"
    sides: tuple[SideValue, ...]
    verdict: str  # "ok", "flagged", "not measured", "not done", "partly done"
    verdict_text: str
    asymmetry: str | None = None
    changes: tuple[Change, ...] = ()
    extra: tuple[str, ...] = ()  # other metrics in words (the bridge's lift, a stretch's tilt)

    @property
    def values_text(self) -> str:
        """"L 2.8 deg / R 9.0 deg, limit 5" (or one value for a set of both sides)."""
        parts = []
        digits = 0 if self.unit == "s" else 1
        for sv in self.sides:
            v = "-" if sv.value is None else f"{sv.value:.{digits}f} {self.unit}"
            parts.append(v if sv.side == "both" else f"{sv.side[0].upper()} {v}")
        text = " / ".join(parts)
        if self.limit is not None:
            text += f", {self.limit_word} {self.limit:g}"
        return text


@dataclass(frozen=True)
class RunCard:
    """One running check at a glance: per stance foot the median pelvic drop
    over steady steps (deg, None when not measured) and contact time (s)."""

    file: str
    drop: dict[str, float | None]  # "left"/"right" -> deg
    contact: dict[str, float | None]  # "left"/"right" -> s
    steps: int
    steady_steps: int
    cadence_spm: float | None
    limit: float  # the running_pelvic_drop threshold (deg)
    flagged: tuple[str, ...]  # the stance feet past the limit
    verdict: str  # "ok", "flagged", "not measured"
    verdict_text: str
    asymmetry: str | None = None

    name = RUN.name

    @property
    def values_text(self) -> str:
        """"drop L 6.9 deg / R 6.3 deg, limit 5"."""
        parts = [f"{side[0].upper()} " + ("-" if v is None else f"{v:.1f} deg")
                 for side, v in self.drop.items()]
        return "drop " + " / ".join(parts) + f", limit {self.limit:g}"

    @property
    def detail_text(self) -> str:
        """"cadence 169 steps/min; contact L 0.279 s / R 0.275 s; 190 of 200 steps steady"."""
        parts = []
        if self.cadence_spm is not None:
            parts.append(f"cadence {self.cadence_spm:.0f} steps/min")
        if any(v is not None for v in self.contact.values()):
            parts.append("contact " + " / ".join(
                f"{side[0].upper()} " + ("-" if v is None else f"{v:.3f} s")
                for side, v in self.contact.items()))
        parts.append(f"{self.steady_steps} of {plural(self.steps, 'step')} steady")
        return "; ".join(parts)


@dataclass(frozen=True)
class Priority:
    """Something to work on: ``excess`` is how far past its threshold it is, as a
    fraction of the threshold (9 deg against a 5 deg limit: 0.8)."""

    exercise: str
    side: str
    title: str  # "Right single-leg squat: drop 9.1 deg, limit 5"
    advice: str  # the flag's message (with its cue)
    excess: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    """A limit on what the report can say."""

    kind: str  # "missing", "unmeasured", "calibration", "data"
    text: str


@dataclass(frozen=True)
class Summary:
    cards: tuple[Card, ...]
    priorities: tuple[Priority, ...]  # ranked, all of them (the report shows the top three)
    alerts: tuple[Alert, ...]
    sets_done: int
    sets_expected: int
    others: tuple[str, ...] = field(default=())  # everything else worth a line, for details
    runs: tuple[RunCard, ...] = field(default=())  # the running checks, in session order

    @property
    def run_only(self) -> bool:
        """A session of running checks and none of the programme's sets."""
        return bool(self.runs) and self.sets_done == 0

    @property
    def status(self) -> str:
        """The completion in words: "13/13 sets done", "13/13 sets done and the
        running check", "Running check done" (a session of only a run)."""
        run = "running check" if len(self.runs) < 2 else f"{len(self.runs)} running checks"
        if self.run_only:
            return f"{run[0].upper()}{run[1:]} done"
        done = f"{self.sets_done}/{self.sets_expected} sets done"
        return f"{done} and the {run}" if len(self.runs) == 1 else \
            f"{done} and {run}" if self.runs else done

    @property
    def keep_it_up(self) -> bool:
        """True only when nothing is flagged (no priority and no note either),
        nothing is missing and everything was measured."""
        return (not self.priorities and not self.alerts and not self.others
                and (self.sets_done == self.sets_expected or self.run_only))

    @property
    def top(self) -> tuple[Priority, ...]:
        return self.priorities[:3]


def better_direction(better: str, before: float, now: float, steady: float) -> str:
    """"better", "worse" or "steady" for a change from ``before`` to ``now``."""
    if better == "nearer_zero":
        before, now, better = abs(before), abs(now), "lower"
    delta = now - before
    if abs(delta) < steady or better not in ("lower", "higher"):
        return "steady"
    return "better" if (delta < 0) == (better == "lower") else "worse"


def asymmetry_words(c: Comparison) -> str:
    """A left/right comparison in words, by which side is worse: "right worse by
    5.7 deg (drop)"; a rep count in whole reps; a metric where neither way is
    better by what the difference means ("right tilted further back by 5.0 deg")."""
    diff = c.right - c.left
    if c.metric == "rep_count":
        n = round(abs(diff))
        if n == 0:
            return "the same number of reps on both sides"
        fewer = "right" if diff < 0 else "left"
        return f"{fewer} {n} rep{'s' if n != 1 else ''} fewer"
    if c.metric == DURATION:
        shorter = "right" if diff < 0 else "left"
        return f"{shorter} held {abs(diff):.0f} s less"
    sig = EXERCISES[c.exercise].signal(c.metric)
    label = metric_label(c.metric)
    if sig.better in ("lower", "higher", "nearer_zero"):
        left, right = sig.size(c.left), sig.size(c.right)
        lower_better = sig.better != "higher"
        worse = "right" if (right > left) == lower_better else "left"
        return f"{worse} worse by {abs(right - left):.1f} deg ({label})"
    # the side that moved further from the reference, in the words of its direction
    side, value = ("right", c.right) if abs(c.right) >= abs(c.left) else ("left", c.left)
    other = c.left if side == "right" else c.right
    words = sig.directions[0] if value > other else sig.directions[1]
    return f"{side} {words} by {abs(diff):.1f} deg ({label}: neither way is better)"


def _sets(result: SessionResult, ex_id: str, side: str) -> list[SetResult]:
    return [s for s in result.sets if s.exercise == ex_id and s.side == side]


def _measured(s: SetResult, metric: str) -> float | None:
    v = s.medians.get(metric)
    return None if v is None else float(v)


def _side_value(ex: Exercise, sets: list[SetResult], side: str) -> SideValue:
    if not sets:
        return SideValue(side, None, False, False, "not done")
    s = sets[0]
    if ex.kind == "hold":
        holds = [h.duration_s for st in sets for h in st.holds]
        flagged = any(f.code == "short_hold" and f.severity != "info"
                      for st in sets for f in st.flags)
        value = max(holds) if holds else None
        count = ", ".join(f"held {d:.0f} s" for d in holds) or "no hold found"
        return SideValue(side, value, True, flagged, count)
    rule = ex.primary_rule
    values = [v for st in sets if (v := _measured(st, ex.primary_metric)) is not None]
    value = None if not values else ex.primary_signal.size(values[0])
    flagged = rule is not None and any(f.code == rule.code for st in sets for f in st.flags)
    count = " + ".join(plural(st.rep_count, "rep") for st in sets)
    if s.rep_count == 0:
        count = "no reps found"
    return SideValue(side, value, True, flagged, count)


def _verdict(ex: Exercise, sides: list[SideValue], what_over: str) -> tuple[str, str]:
    done = [sv for sv in sides if sv.done]
    if not done:
        return "not done", "not done"
    unmeasured = [sv for sv in done if sv.value is None]
    flagged = [sv for sv in done if sv.flagged]
    if flagged:
        who = " and ".join(sv.side for sv in flagged) if flagged[0].side != "both" else ""
        return "flagged", (f"{who} {what_over}" if who else what_over)
    if unmeasured:
        who = " and ".join(sv.side for sv in unmeasured if sv.side != "both")
        return "not measured", (f"{who} not measured" if who else "not measured")
    if len(done) < len(sides):
        missing = [sv.side for sv in sides if not sv.done]
        return "partly done", f"{' and '.join(missing)} not done"
    ok = "held long enough" if ex.kind == "hold" else "within the limit"
    return "ok", ok + (" on both sides" if len(sides) == 2 else "")


def _changes(ex_id: str, metric: str, better: str, sides: list[SideValue],
             previous: Previous | None, steady: float, target: float | None = None
             ) -> tuple[Change, ...]:
    """Per side, the value before and now and whether that is better; a hold
    at or past its ``target`` both times is steady (31 s then 30 s is no worse)."""
    if previous is None:
        return ()
    out = []
    for sv in sides:
        before = previous.values.get((ex_id, sv.side, metric))
        if before is None or sv.value is None:
            continue
        if better == "nearer_zero":
            before = abs(before)
        a, b = before, sv.value
        if target is not None:
            a, b = min(a, target), min(b, target)
        out.append(Change(sv.side, before, sv.value, better_direction(better, a, b, steady)))
    return tuple(out)


def exercise_cards(result: SessionResult, previous: Previous | None = None
                   ) -> tuple[Card, ...]:
    """One card per exercise of the programme, in the programme's order."""
    comparisons = {(c.exercise, c.metric): c for c in result.comparisons}
    cards = []
    for ex_id in PROGRAMME_ORDER:
        ex = EXERCISES[ex_id]
        per_side = {side: _sets(result, ex_id, side) for side in ex.sides}
        sides = [_side_value(ex, per_side[side], side) for side in ex.sides]
        extra: list[str] = []
        if ex.kind == "hold":
            metric, label, unit, better = DURATION, "hold", "s", "higher"
            limit, limit_word = ex.prescription.hold_s[1], "target"
            verdict, text = _verdict(ex, sides, "held too briefly")
            steady = STEADY_S
            sig = ex.primary_signal
            tilt = [(side, _measured(sets[0], sig.name)) for side, sets in per_side.items()
                    if sets and _measured(sets[0], sig.name) is not None]
            if tilt:
                extra.append(f"{sig.label}: " + " / ".join(
                    f"{side[0].upper()} {v:.1f} deg" for side, v in tilt)
                    + f" ({better_words(sig.better)})")
        else:
            sig = ex.primary_signal
            rule = ex.primary_rule
            metric, label, unit, better = sig.name, sig.label, "deg", sig.better
            limit = rule.threshold_deg if rule is not None else None
            limit_word = "limit"
            verdict, text = _verdict(ex, sides, "past the limit")
            steady = STEADY_DEG
            for other in ex.signals:
                if other.name == metric:
                    continue
                vals = [(side, _measured(sets[0], other.name)) for side, sets in per_side.items()
                        if sets and _measured(sets[0], other.name) is not None]
                if other.better in ("lower", "higher") and vals:
                    extra.append(f"{other.label}: " + " / ".join(
                        (f"{v:.1f} deg" if side == "both" else f"{side[0].upper()} {v:.1f} deg")
                        for side, v in vals) + f" ({better_words(other.better)})")
        comp = comparisons.get((ex_id, metric))
        asym = asymmetry_words(comp) if comp is not None and comp.flag else None
        cards.append(Card(ex_id, ex.name, metric, label, unit, better, limit, limit_word,
                          tuple(sides), verdict, text, asym,
                          _changes(ex_id, metric, better, sides, previous, steady,
                                   limit if ex.kind == "hold" else None),
                          tuple(extra)))
    return tuple(cards)


def _title(ex: Exercise, side: str) -> str:
    return ex.name if side == "both" else f"{side.capitalize()} {ex.name[0].lower()}{ex.name[1:]}"


def priorities(result: SessionResult) -> tuple[Priority, ...]:
    """Every threshold flag, short stretch hold and left/right asymmetry (one
    where neither side is already a priority and one side is worse), ranked by
    how far past its threshold it is."""
    out: list[Priority] = []
    for s in result.sets:
        if s.run is not None:
            out += _run_priorities(s)
            continue
        ex = EXERCISES[s.exercise]
        for rule in ex.flag_rules:
            flag = next((f for f in s.flags if f.code == rule.code), None)
            value = _measured(s, rule.metric)
            if flag is None or value is None:
                continue
            size = abs(value) if rule.use_abs else value
            out.append(Priority(
                s.exercise, s.side,
                f"{_title(ex, s.side)}: {metric_label(rule.metric)} {size:.1f} deg, limit "
                f"{rule.threshold_deg:g}", flag.message,
                (size - rule.threshold_deg) / rule.threshold_deg))
        if ex.kind == "hold":
            flag = next((f for f in s.flags if f.code == "short_hold"
                         and f.severity != "info"), None)
            if flag is not None and s.holds:
                held = max(h.duration_s for h in s.holds)
                out.append(Priority(
                    s.exercise, s.side,
                    f"{_title(ex, s.side)}: held {held:.0f} s, target "
                    f"{ex.prescription.hold_s[1]:g}", flag.message,
                    (THRESHOLDS.short_hold_s - held) / THRESHOLDS.short_hold_s))
    covered = {(p.exercise, p.side) for p in out}
    extra_notes: dict[tuple[str, str], list[str]] = {}
    for c in result.comparisons:
        if not c.flag:
            continue
        words = asymmetry_words(c)
        worse = words.split(" ", 1)[0]
        ex = EXERCISES[c.exercise]
        if c.metric not in (DURATION, "rep_count") and ex.signal(c.metric).better == "neither":
            continue  # no side is worse: a detail, not a priority
        if (c.exercise, worse) in covered:
            extra_notes.setdefault((c.exercise, worse), []).append(words)
            continue
        if c.metric in (DURATION, "rep_count"):
            fraction = c.difference / max(c.left, c.right)
            excess = (fraction - THRESHOLDS.asymmetry_fraction) / THRESHOLDS.asymmetry_fraction
        else:
            excess = (c.difference - THRESHOLDS.asymmetry_deg) / THRESHOLDS.asymmetry_deg
        if c.metric == "rep_count":
            p = ex.prescription
            advice = (f"Do the same number of reps on each side ({p.reps[0]}-{p.reps[1]}); "
                      f"you did {c.left:.0f} left and {c.right:.0f} right.")
            title = f"{ex.name}: {words}"
        elif c.metric == DURATION:
            advice = (f"Hold each side for the same {ex.prescription.hold_s[1]:g} s; time "
                      "both with a timer.")
            title = f"{ex.name}: {words}"
        else:
            advice = (f"Work the {worse} side until it matches the other; the sides may "
                      f"differ by up to {THRESHOLDS.asymmetry_deg:g} deg.")
            title = f"{ex.name}: {words}"
        out.append(Priority(c.exercise, worse, title, advice, excess))
        covered.add((c.exercise, worse))
    out = [Priority(p.exercise, p.side, p.title, p.advice, p.excess,
                    tuple(extra_notes.get((p.exercise, p.side), ()))) for p in out]
    return tuple(sorted(out, key=lambda p: -p.excess))


def _run_priorities(s: SetResult) -> list[Priority]:
    """A run's ``running_pelvic_drop`` (per stance foot) and ``running_asymmetry``
    flags as priorities, ranked by how far past their thresholds they are."""
    run = s.run or {}
    out = []
    drops = [f for f in s.flags if f.code == "running_pelvic_drop"]
    for side in ("left", "right"):
        value = (run.get(side) or {}).get("pelvic_drop_deg")
        flag = next((f for f in drops if f"on your {side} foot" in f.message), None)
        if flag is None or value is None:
            continue
        out.append(Priority(
            RUN.id, side, f"Running, {side} foot on the ground: drop {value:.1f} deg, limit "
            f"{RUN.pelvic_drop_deg:g}", flag.message,
            (value - RUN.pelvic_drop_deg) / RUN.pelvic_drop_deg))
    flag = next((f for f in s.flags if f.code == "running_asymmetry"), None)
    asym = run.get("drop_asymmetry_deg")
    if flag is not None and asym is not None:
        lv = (run.get("left") or {}).get("pelvic_drop_deg") or 0.0
        rv = (run.get("right") or {}).get("pelvic_drop_deg") or 0.0
        worse = "left" if lv > rv else "right"
        out.append(Priority(RUN.id, worse, f"Running: {worse} foot's drop {asym:.1f} deg "
                            f"more, the sides may differ by {RUN.asymmetry_deg:g}",
                            flag.message, (asym - RUN.asymmetry_deg) / RUN.asymmetry_deg))
    return out


def run_cards(result: SessionResult) -> tuple[RunCard, ...]:
    """One card per running check of the session, in session order."""
    cards = []
    for s in result.sets:
        if s.run is None:
            continue
        run = s.run
        drop = {side: (run.get(side) or {}).get("pelvic_drop_deg") for side in ("left", "right")}
        contact = {side: (run.get(side) or {}).get("contact_s") for side in ("left", "right")}
        bouts = run.get("bouts") or []
        steady = sum(b["steps"] for b in bouts)
        cadence = (sum(b["cadence_spm"] * b["steps"] for b in bouts) / steady) if steady \
            else None
        flagged = tuple(side for side in ("left", "right")
                        if any(f.code == "running_pelvic_drop" and f"on your {side} foot"
                               in f.message for f in s.flags))
        if flagged:
            verdict = "flagged"
            text = (" and ".join(flagged) + (" foot" if len(flagged) == 1 else " feet")
                    + " past the limit")
        elif all(v is None for v in drop.values()):
            verdict, text = "not measured", "no steady running: not measured"
        else:
            verdict, text = "ok", "within the limit on both feet"
        asym = run.get("drop_asymmetry_deg")
        asym_text = None
        if any(f.code == "running_asymmetry" for f in s.flags) and asym is not None:
            worse = "left" if (drop["left"] or 0.0) > (drop["right"] or 0.0) else "right"
            asym_text = f"{worse} foot worse by {asym:.1f} deg (drop)"
        cards.append(RunCard(s.file, drop, contact, len(run.get("steps") or []), steady,
                             cadence, RUN.pelvic_drop_deg, flagged, verdict, text, asym_text))
    return tuple(cards)


def data_alerts(result: SessionResult) -> tuple[Alert, ...]:
    """What limits what the report can say: the programme's sets not done, sets
    with nothing measured, a poor or missing calibration, data-quality alerts."""
    out = []
    expected = [(ex_id, side) for ex_id in PROGRAMME_ORDER for side in EXERCISES[ex_id].sides]
    missing = [(e, s) for e, s in expected if not _sets(result, e, s)]
    run_only = (any(s.run is not None for s in result.sets)
                and all(s.run is not None for s in result.sets))
    if missing and not run_only:  # a session of only a run is about the run
        names = ", ".join(_title(EXERCISES[e], s).lower() for e, s in missing[:4])
        more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
        out.append(Alert("missing", f"{len(missing)} of {len(expected)} sets missing "
                                    f"({names}{more}): nothing can be said about them."))
    for s in result.sets:
        if s.run is not None:
            run = s.run
            if all((run.get(side) or {}).get("pelvic_drop_deg") is None
                   for side in ("left", "right")):
                out.append(Alert("unmeasured", f"{RUN.name} ({s.file}): no steady running "
                                               "found; its pelvic drop is unknown."))
            out += [Alert("data", f"{RUN.name}: {f.message}") for f in s.flags
                    if f.code == "data_quality" and f.severity == "alert"]
            continue
        ex = EXERCISES[s.exercise]
        title = _title(ex, s.side)
        if ex.kind == "reps":
            measured = [r for r in s.reps if r.measured]
            if not measured:
                why = "no reps found" if not s.reps else "no rep could be measured"
                out.append(Alert("unmeasured", f"{title}: {why}; its angles are unknown."))
        elif not s.holds:
            out.append(Alert("unmeasured", f"{title}: no hold found; its duration is unknown."))
        for f in s.flags:
            if f.code == "data_quality" and f.severity == "alert":
                out.append(Alert("data", f"{title}: {f.message}"))
    cal = result.calibration or {}
    if not cal.get("ok"):
        out.append(Alert("calibration", "Calibration " + (
            f"poor: {cal['problem']}" if cal.get("problem") else "not recorded")
            + "; drop and obliquity may be off by a few degrees."))
    return tuple(out)


def summarise(result: SessionResult, previous: Previous | None = None) -> Summary:
    """The summary of a session: cards, ranked priorities, alerts, completion."""
    expected = [(e, s) for e in PROGRAMME_ORDER for s in EXERCISES[e].sides]
    done = sum(1 for e, s in expected if _sets(result, e, s))
    ranked = priorities(result)
    others = []
    for s in result.sets:
        if s.run is not None:
            continue
        ex = EXERCISES[s.exercise]
        for f in s.flags:
            if f.code == "inconsistent_reps" or (f.code == "short_hold" and f.severity == "info"):
                others.append(f"{_title(ex, s.side)}: {f.message}")
    for c in result.comparisons:
        if c.flag and c.metric != DURATION and c.metric != "rep_count" and \
                EXERCISES[c.exercise].signal(c.metric).better == "neither":
            others.append(f"{EXERCISES[c.exercise].name}: {asymmetry_words(c)}.")
    return Summary(exercise_cards(result, previous), ranked, data_alerts(result), done,
                   len(expected), tuple(others), run_cards(result))
