"""The catalogue of the seven exercises of the runner's hip programme.

One table that the rest of hipsense reads: posture, what ``side`` means, the
prescription, which angle signals apply, how each becomes a per-rep metric,
its label and which way is better, the default flag thresholds and the words
of each flag (after a set and, shorter, live), and how a set is named in a
sentence. Nothing about an exercise is written anywhere
else. Definitions follow ``shared/spec/measurements.md``.

Pelvis-frame vectors are given in (a, l, u) components: ``a`` anterior, ``l``
left, ``u`` up, with ``a = l x u``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Side = Literal["left", "right", "both"]
SIDES: tuple[str, ...] = ("left", "right", "both")

Posture = Literal["standing", "standing_one_leg", "supine", "prone", "side_lying"]

#: Which pelvis axis a signal is an elevation of. "side" is the axis pointing to
#: the exercise's signal side (``l`` for left, ``-l`` for right).
Axis = Literal["a", "l", "u", "side"]
#: How a signal becomes one number per rep (extreme within the rep) or per hold.
Reduce = Literal["max", "min", "absmax", "mean"]
#: Which way a signal is better: lower (a fault's size), higher (the movement
#: the exercise asks for), nearer zero (signed: either way is a fault), or
#: neither (it describes the movement).
Better = Literal["lower", "higher", "nearer_zero", "neither"]

AXIS_VECTORS: dict[str, np.ndarray] = {
    "a": np.array([1.0, 0.0, 0.0]),
    "l": np.array([0.0, 1.0, 0.0]),
    "u": np.array([0.0, 0.0, 1.0]),
}

#: The smallest movement of the pelvis (deg) that can be a rep, by posture:
#: standing, every rep tilts the pelvis well past the sway of balancing on one
#: leg (a squat 10-30 deg, a knee drive 5-15 deg, a bridge lifts 20-30 deg);
#: lying on the side or front, a good rep may move it by only a degree.
MIN_REP_DEG: dict[str, float] = {"standing": 3.0, "standing_one_leg": 3.0, "supine": 3.0,
                                 "prone": 0.6, "side_lying": 0.6}

#: A movement is "at the top" while it is within this fraction of its rep's
#: excursion (0.9 = the top 10 %). ``hold_s`` of a rep is the time spent there.
HOLD_TOP_FRACTION = 0.9


@dataclass(frozen=True)
class Signal:
    """An angle signal: ``sign * (elev(axis) - elev_ref(axis))`` in degrees.

    ``reduce`` says how it becomes a per-rep (or per-hold) metric.
    """

    name: str
    axis: Axis
    sign: int
    reduce: Reduce
    meaning: str
    better: Better = "neither"
    #: What a higher and a lower value mean, in words, for a signal where
    #: neither way is better ("tilted further forward", "tilted further back").
    directions: tuple[str, str] = ("higher", "lower")

    @property
    def label(self) -> str:
        """The signal's name in words (``pelvic_drop_deg`` -> ``drop``)."""
        return metric_label(self.name)

    def size(self, value_deg: float) -> float:
        """What is judged of a value: its size for a signal better nearer zero
        (the bridge's obliquity, signed by the side that is higher), else the value."""
        return abs(value_deg) if self.better == "nearer_zero" else value_deg

    def reduce_values(self, values_deg: np.ndarray) -> float:
        """The one number of a rep (its extreme) or of a hold (its mean), in degrees."""
        v = np.asarray(values_deg, dtype=float)
        if self.reduce == "max":
            return float(v.max())
        if self.reduce == "min":
            return float(v.min())
        if self.reduce == "absmax":
            return float(v[np.argmax(np.abs(v))])
        return float(v.mean())


@dataclass(frozen=True)
class Prescription:
    """What the programme prescribes for one exercise (per side where ``each_side``)."""

    sets: tuple[int, int]
    reps: tuple[int, int] | None  # None for stretches
    hold_s: tuple[float, float]  # hold at the top of a rep, or of a stretch
    holds: tuple[int, int] | None = None  # stretches: number of holds
    each_side: bool = True

    def describe(self) -> str:
        per = " each leg" if self.each_side else ""
        if self.reps is None:
            assert self.holds is not None
            return f"{self.holds[0]}-{self.holds[1]} holds x {self.hold_s[1]:.0f} s{per}"
        hold = (f", {self.hold_s[0]:.0f}-{self.hold_s[1]:.0f} s hold at the top"
                if self.hold_s[1] > self.hold_s[0] else
                (f", {self.hold_s[0]:.0f} s hold at the top" if self.hold_s[0] > 0 else ""))
        return f"{self.sets[0]}-{self.sets[1]} sets x {self.reps[0]}-{self.reps[1]} reps{per}{hold}"


@dataclass(frozen=True)
class FlagRule:
    """A flag raised when the set's median per-rep ``metric`` exceeds ``threshold_deg``.

    ``message`` (the flag after a set) and ``cue`` (the live view's words for one
    rep past the threshold) are templates sharing the fields of
    :meth:`words`: ``value`` (deg: the size, for ``use_abs``), ``side`` and
    ``other`` (the set's side and the opposite one), ``low`` (the lower side for a
    signed value: right when it is positive), ``what`` (the set in words),
    ``aim`` and ``metric``.
    """

    code: str
    metric: str
    threshold_deg: float
    use_abs: bool = False
    message: str = "{metric} was {value:.1f} deg on average during {what}; {aim}."
    cue: str = "{metric} {value:.0f} deg"

    def past(self, value_deg: float) -> bool:
        """Whether a value is past the threshold."""
        return (abs(value_deg) if self.use_abs else value_deg) > self.threshold_deg

    def words(self, template: str, side: str, value_deg: float, what: str = "") -> str:
        """``template`` (:attr:`message` or :attr:`cue`) filled in for a value."""
        return template.format(
            value=abs(value_deg) if self.use_abs else value_deg, side=side,
            other=opposite_side(side) if side in ("left", "right") else side,
            low="right" if value_deg > 0 else "left", what=what, metric=self.metric,
            aim=f"aim for under {self.threshold_deg:.0f} deg")


@dataclass(frozen=True)
class Exercise:
    """One exercise of the programme. See measurements.md for the contract."""

    id: str
    name: str
    #: A set of it in a sentence ("during right clamshells"); a stretch is held
    #: once, so its name stays singular ("You held the hip stretch").
    plural: str
    posture: Posture
    side_means: str
    kind: Literal["reps", "hold"]
    prescription: Prescription
    #: The side the "side" axis points to: the exercise's own side ("same"), the
    #: other one ("opposite": single-leg squat, whose free leg is the other), or
    #: none (the exercise has no side-axis signal).
    signal_side: Literal["same", "opposite", "none"]
    signals: tuple[Signal, ...]
    #: The metric of the exercise's typical fault: the set's consistency check
    #: and the live gauge use it.
    primary_metric: str
    flag_rules: tuple[FlagRule, ...] = field(default=())
    #: The signal a rep moves (rep exercises) and its direction: +1 when the
    #: signal rises in a rep, -1 when it falls (a knee drive tilts posteriorly).
    rep_signal: tuple[str, int] | None = None
    #: The pelvis axis the exercise mostly rotates about (its reps turn the
    #: pelvis about ``l``: squats, knee drives, bridges), or None when mixed.
    rotation_axis: Axis | None = None
    #: A rep lowers the pelvis once (squats): the reps are counted by its
    #: height, whatever the tilt does on the way down and up.
    rep_lowers_pelvis: bool = False
    #: How to get into the start position, step by step, as the coach says it
    #: before a set ("{side}" and "{other}": the set's side and the other one).
    setup: tuple[str, ...] = ()

    def setup_steps(self, side: str) -> list[str]:
        """:attr:`setup` for a set on ``side``, its sides filled in."""
        other = opposite_side(side) if side in ("left", "right") else side
        return [step.format(side=side, other=other) for step in self.setup]

    def set_name(self, side: str) -> str:
        """A set on ``side`` in words: "right single-leg squats", "bridges"."""
        return self.plural if side == "both" else f"{side} {self.plural}"

    @property
    def primary_signal(self) -> Signal:
        return self.signal(self.primary_metric)

    @property
    def primary_rule(self) -> FlagRule | None:
        """The flag rule of the primary metric (the live cue's), if any."""
        return next((r for r in self.flag_rules if r.metric == self.primary_metric), None)

    @property
    def sides(self) -> tuple[str, ...]:
        """Sides a set of this exercise may have."""
        return ("left", "right") if self.prescription.each_side else ("both",)

    def signal(self, name: str) -> Signal:
        for s in self.signals:
            if s.name == name:
                return s
        raise KeyError(f"{self.id} has no signal {name!r}")

    def axis_vector(self, axis: Axis, side: str) -> np.ndarray:
        """The pelvis-frame unit vector (a, l, u) of ``axis`` for a set on ``side``."""
        if axis != "side":
            return AXIS_VECTORS[axis]
        if self.signal_side == "none" or side == "both":
            raise ValueError(f"{self.id}: no side axis for side {side!r}")
        target = side if self.signal_side == "same" else opposite_side(side)
        return AXIS_VECTORS["l"] * (1.0 if target == "left" else -1.0)

    def rep_direction(self, side: str) -> np.ndarray | None:
        """The way the world's "up" moves in the pelvis frame (a, l, u) during a
        rep, to first order: ``sign * axis`` of the rep signal (None for holds)."""
        if self.rep_signal is None:
            return None
        name, direction = self.rep_signal
        sig = self.signal(name)
        return direction * sig.sign * self.axis_vector(sig.axis, side)

    def up_axis(self, side: str) -> np.ndarray:
        """The pelvis-frame axis (a, l, u) that points up in this exercise's posture."""
        if self.posture in ("standing", "standing_one_leg"):
            return AXIS_VECTORS["u"]
        if self.posture == "supine":
            return AXIS_VECTORS["a"]
        if self.posture == "prone":
            return -AXIS_VECTORS["a"]
        # side-lying: the top (moving) leg's side points up
        return AXIS_VECTORS["l"] * (1.0 if side == "left" else -1.0)


def opposite_side(side: str) -> str:
    return {"left": "right", "right": "left"}[side]


def metric_label(metric: str) -> str:
    """A metric's name in words, as tables and reports show it:
    ``pelvic_drop_deg`` -> ``drop``."""
    return metric.removeprefix("pelvic_").removesuffix("_deg").replace("_", " ")


_TILT_DIRECTIONS = ("tilted further forward", "tilted further back")


def better_words(better: Better) -> str:
    """Which way a signal is better, as reports say it ("lower is better")."""
    return {"lower": "lower is better", "higher": "higher is better",
            "nearer_zero": "nearer zero is better",
            "neither": "neither way is better"}[better]


def _drop() -> Signal:
    return Signal("pelvic_drop_deg", "side", -1, "max",
                  "the unsupported side dropped (Trendelenburg); negative = hiked", "lower")


def _drop_rule(message: str, cue: str) -> FlagRule:
    return FlagRule("excessive_pelvic_drop", "pelvic_drop_deg", 5.0, message=message, cue=cue)


_REPS_HOLD_0_5 = Prescription(sets=(1, 2), reps=(10, 15), hold_s=(0.0, 5.0))
_STRETCH = Prescription(sets=(1, 1), reps=None, hold_s=(30.0, 30.0), holds=(1, 2))

EXERCISES: dict[str, Exercise] = {e.id: e for e in (
    Exercise(
        id="clamshell", name="Clamshell", plural="clamshells", posture="side_lying",
        side_means="the top (moving) leg", kind="reps",
        prescription=_REPS_HOLD_0_5, signal_side="none",
        signals=(Signal("pelvic_rollback_deg", "a", +1, "max",
                        "the pelvis rolled back (front turned toward the ceiling)", "lower"),),
        primary_metric="pelvic_rollback_deg",
        flag_rules=(FlagRule(
            "pelvic_rollback", "pelvic_rollback_deg", 5.0,
            message="Your pelvis rolled back {value:.0f} deg on average during {what}; "
                    "{aim}: keep the hips stacked and open the knee only as far as the "
                    "pelvis stays still.",
            cue="Pelvis rolled back {value:.0f} deg: keep the hips stacked"),),
        rep_signal=("pelvic_rollback_deg", +1),

        setup=("Lie on your {other} side, hips and shoulders stacked, head resting on your arm",
               "Bend both knees to about 45 deg, heels together in line with your back",
               "The {side} knee is the one that opens; keep the feet together",
               "Lie still for 2 s, then open and close the knee slowly"),
    ),
    Exercise(
        id="hip_bridge", name="Hip bridge with band", plural="bridges", posture="supine",
        side_means="both", kind="reps",
        prescription=Prescription(sets=(1, 2), reps=(10, 15), hold_s=(0.0, 5.0),
                                  each_side=False),
        signal_side="none",
        signals=(Signal("bridge_lift_deg", "u", -1, "max", "hips raised", "higher"),
                 Signal("pelvic_obliquity_deg", "l", +1, "absmax", "left side higher",
                        "nearer_zero")),
        primary_metric="pelvic_obliquity_deg",
        flag_rules=(FlagRule(
            "pelvic_obliquity", "pelvic_obliquity_deg", 4.0, use_abs=True,
            message="Your {low} hip sat {value:.0f} deg lower than the other on average at "
                    "the top of your {what}; {aim}: push evenly through both heels and keep "
                    "the belt line level.",
            cue="Hips uneven by {value:.0f} deg: push evenly through both heels"),),
        rep_signal=("bridge_lift_deg", +1), rotation_axis="l",

        setup=("Lie on your back, knees bent, feet flat and hip-width apart",
               "Put the loop band just above your knees and press the knees out into it",
               "Arms by your sides, palms down; lie still for 2 s",
               "Squeeze the glutes and lift the hips until knees, hips and shoulders line up"),
    ),
    Exercise(
        id="prone_hip_extension", name="Prone hip extension", plural="prone hip extensions",
        posture="prone",
        side_means="the lifting leg", kind="reps",
        prescription=_REPS_HOLD_0_5, signal_side="same",
        signals=(Signal("pelvic_lift_deg", "side", +1, "max",
                        "working-side hip lifted off the floor", "lower"),),
        primary_metric="pelvic_lift_deg",
        flag_rules=(FlagRule(
            "pelvic_lift", "pelvic_lift_deg", 5.0,
            message="Your {side} hip lifted {value:.0f} deg off the floor on average during "
                    "{what}; {aim}: keep both hip bones on the floor and lift from the glute "
                    "(a smaller lift is fine).",
            cue="Hip lifted {value:.0f} deg: keep both hip bones on the floor"),),
        rep_signal=("pelvic_lift_deg", +1),

        setup=("Lie face down, forehead on your hands, legs straight",
               "Both hip bones on the floor; lie still for 2 s",
               "Lift the straight {side} leg a little from the glute, then lower it"),
    ),
    Exercise(
        id="hip_stretch", name="Hip stretch (knee to chest)", plural="hip stretch",
        posture="supine",
        side_means="the leg pulled to the chest", kind="hold",
        prescription=_STRETCH, signal_side="none",
        signals=(Signal("posterior_tilt_deg", "u", -1, "mean",
                        "pelvis tucked under (posterior tilt)", "higher"),),
        primary_metric="posterior_tilt_deg",
        setup=("Lie on your back on the floor or along a foam roller, legs straight",
               "Lie still for 2 s",
               "Pull the {side} knee to your chest with both hands and hold it there 30 s; "
               "the other leg stays long"),
    ),
    Exercise(
        id="hip_flexor_stretch", name="Hip flexor stretch, foot on chair or sofa",
        plural="hip flexor stretch", posture="standing",
        side_means="the leg whose foot is up behind", kind="hold",
        prescription=_STRETCH, signal_side="none",
        signals=(Signal("posterior_tilt_deg", "a", +1, "mean",
                        "pelvis tucked under (posterior tilt)", "higher"),),
        primary_metric="posterior_tilt_deg",
        setup=("Stand with your back to a chair or sofa, about a stride in front of it",
               "Stand still for 2 s",
               "Put the top of your {side} foot up on the seat behind you, bend the {other} "
               "knee a little, tuck the pelvis under and hold 30 s"),
    ),
    Exercise(
        id="knee_drive", name="Hip flexor knee drive with loop band", plural="knee drives",
        posture="standing_one_leg", side_means="the driving (lifted) leg", kind="reps",
        prescription=Prescription(sets=(1, 2), reps=(10, 15), hold_s=(1.0, 1.0)),
        signal_side="same",
        signals=(_drop(),
                 Signal("pelvic_tilt_deg", "a", -1, "min",
                        "anterior tilt (the per-rep value is the most posterior)",
                        directions=_TILT_DIRECTIONS)),
        primary_metric="pelvic_drop_deg",
        flag_rules=(_drop_rule(
            "Your {side} hip dropped {value:.0f} deg on average during {what}; {aim}: push "
            "the {other} foot into the floor, squeeze that glute and keep the belt line level.",
            "Hip dropped {value:.0f} deg: push the standing foot down, belt line level"),),
        rep_signal=("pelvic_tilt_deg", -1), rotation_axis="l",
        setup=("Loop the band around both feet and stand tall, hands on the hips",
               "Stand on the {other} leg, the {side} foot just off the floor; be still 2 s",
               "Drive the {side} knee up to hip height against the band, hold 1 s, lower it"),
    ),
    Exercise(
        id="single_leg_squat", name="Single-leg squat", plural="single-leg squats",
        posture="standing_one_leg",
        side_means="the standing (squatting) leg", kind="reps",
        prescription=Prescription(sets=(1, 2), reps=(10, 15), hold_s=(0.0, 0.0)),
        signal_side="opposite",
        signals=(_drop(),
                 Signal("pelvic_tilt_deg", "a", -1, "max", "anterior tilt",
                        directions=_TILT_DIRECTIONS)),
        primary_metric="pelvic_drop_deg",
        flag_rules=(_drop_rule(
            "Your {other} hip dropped {value:.0f} deg on average during {what}; {aim}: "
            "squeeze the {side} glute and keep the belt line level.",
            "Hip dropped {value:.0f} deg: squeeze the {side} glute, belt line level"),),
        rep_signal=("pelvic_tilt_deg", +1), rotation_axis="l", rep_lowers_pelvis=True,
        setup=("Stand tall on the {side} leg, the {other} foot just off the floor",
               "Hands on the hips, eyes ahead; be still for 2 s",
               "Bend the {side} knee over the middle toes and sit back a little, then stand "
               "up; keep the belt line level"),
    ),
)}

@dataclass(frozen=True)
class FitExercise:
    """An exercise as the FIT profile names it: the ``exercise_category`` and the
    exercise name within that category (the ``<category>_exercise_name`` type),
    as Garmin Connect and Strava show a strength set."""

    category: str
    name: str


#: The FIT profile's category and name for each exercise (the nearest the
#: profile has: it knows no knee drive, and no prone single-leg hip extension;
#: a run is the ``run`` category's ``run``).
FIT_EXERCISES: dict[str, FitExercise] = {
    "clamshell": FitExercise("hip_raise", "clams"),
    "hip_bridge": FitExercise("hip_raise", "hip_raise"),
    "prone_hip_extension": FitExercise("leg_raise", "reverse_leg_raise"),
    "hip_stretch": FitExercise("warm_up", "stretch_lying_knee_to_chest"),
    "hip_flexor_stretch": FitExercise("warm_up", "stretch_hip_flexor_and_quad"),
    "knee_drive": FitExercise("warm_up", "walking_high_knees"),
    "single_leg_squat": FitExercise("squat", "one_legged_squat"),
    "run": FitExercise("run", "run"),
}


#: The programme's order, as in the article.
PROGRAMME_ORDER: tuple[str, ...] = tuple(EXERCISES)


@dataclass(frozen=True)
class ProgrammeCadence:
    """How often the programme is done: once a week at first, building to 2-3
    times a week, then at least once a week to maintain."""

    start_per_week: float = 1.0
    build_per_week: tuple[float, float] = (2.0, 3.0)
    maintain_per_week: float = 1.0
    #: weeks "at first" (the article gives no number; two is hipsense's choice)
    start_weeks: int = 2

    def aim_for_week(self, week: int) -> str:
        """Sessions to aim for in week ``week`` (0-based) of the programme, in words."""
        if week < self.start_weeks:
            return f"{self.start_per_week:.0f}"
        lo, hi = self.build_per_week
        return f"{lo:.0f}-{hi:.0f}"

    def met(self, week: int, sessions: int) -> bool:
        low = self.start_per_week if week < self.start_weeks else self.build_per_week[0]
        return sessions >= low


CADENCE = ProgrammeCadence()


@dataclass(frozen=True)
class GeneralThresholds:
    """Thresholds that are not tied to one exercise (measurements.md, Flags)."""

    inconsistent_rep_sd_deg: float = 2.0
    short_hold_s: float = 25.0
    asymmetry_deg: float = 3.0
    asymmetry_fraction: float = 0.15


THRESHOLDS = GeneralThresholds()


def get_exercise(exercise_id: str) -> Exercise:
    """The catalogue entry for ``exercise_id``; ``KeyError`` naming the valid ids."""
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_id!r} "
                       f"(expected one of {', '.join(EXERCISES)})") from None


@dataclass(frozen=True)
class RunCheck:
    """The running check (``shared/spec/running.md``): a set with ``"exercise":
    "run"`` and ``"side": "both"``. Not one of the programme's seven exercises
    (it has no reps or holds); its thresholds and flag words live here.

    ``message`` templates: ``side`` is the stance foot, ``other`` the side
    whose hip dropped, ``value`` deg, ``threshold`` deg.
    """

    id: str = "run"
    name: str = "Running check"
    plural: str = "running"
    sides: tuple[str, ...] = ("both",)
    #: ``running_pelvic_drop``: a side's median drop above this (deg)
    pelvic_drop_deg: float = 5.0
    #: ``running_asymmetry``: the two sides' medians differ by more than this (deg)
    asymmetry_deg: float = 2.0
    drop_message: str = (
        "Your {other} hip dropped {value:.1f} deg on average while you ran on your {side} "
        "foot; aim for under {threshold:.0f} deg: keep the {side} glute working as the "
        "foot lands (the single-leg squats and clamshells train it) and run tall, belt "
        "line level.")
    asymmetry_message: str = (
        "Your hips dropped {value:.1f} deg more over your {side} foot than over your {other} "
        "foot (over {threshold:.0f} deg apart): the {side} side is the weaker one, so give "
        "its single-leg squats and clamshells the extra set.")
    cue: str = "{cadence:.0f} steps/min; drop L {left:.0f} deg, R {right:.0f} deg"
    #: Before a run, as the coach says it.
    setup: tuple[str, ...] = (
        "Stand upright and still for 3 s (the level the drop is measured from)",
        "Run at your usual easy pace, on a treadmill or outside",
        "Press Enter when you are done, or stop and stand still for 5 s")
    #: A run ends by itself after this long standing still (s).
    long_stop_s: float = 5.0

    def setup_steps(self, side: str) -> list[str]:
        return list(self.setup)


RUN = RunCheck()

#: Every id a set may have in session.json: the seven exercises and the run.
SET_KINDS: tuple[str, ...] = (*EXERCISES, RUN.id)


def set_sides(kind: str) -> tuple[str, ...]:
    """The sides a set of ``kind`` (an exercise id or ``run``) may have."""
    return RUN.sides if kind == RUN.id else EXERCISES[kind].sides
