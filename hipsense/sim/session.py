"""Whole simulated sessions (calibration plus sets) with their ground truth,
and the multi-week history of one runner used for ``sample_data/``.

Deterministic for a seed: the same spec and seed give the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from hipsense.consts import CALIBRATION_FILE
from hipsense.core import Session, SetInfo
from hipsense.exercises import EXERCISES, PROGRAMME_ORDER
from hipsense.io.output import prepare_session_folder
from hipsense.io.session import new_session_metadata, write_json, write_session
from hipsense.sim.imu import ImuErrors, Mounting, Sampler, record
from hipsense.sim.movements import SetSpec, plan_calibration, plan_set
from hipsense.sim.running import RunSpec, plan_run, run_truth
from hipsense.sim.truth import set_truth
from hipsense.version import __version__


#: The range of ``SessionSpec.realism``: 0 idealised, 1 as people move, 2 doubled;
#: past 3 the motion stops being a person's.
MIN_REALISM, MAX_REALISM = 0.0, 3.0


@dataclass(frozen=True)
class SessionSpec:
    """What one simulated session does and how the sensor behaves.

    Attributes:
        sets: the sets in order.
        rate_hz: nominal sample rate (100, 104 or 200 Hz in practice).
        packet_loss: fraction of packets lost (in bursts of about 3).
        mounting: a fixed :class:`Mounting`, or "random" (off nominal by up to
            30/15/10 deg pitch/roll/yaw), "crooked" (near those limits), "nominal".
        sensor_errors: False for an ideal sensor (no bias, noise, scale error).
        calibration: False to record no calibration (``"calibration": null``).
        started_at: ISO 8601 start, written to session.json.
        metadata: extra session.json keys (``athlete``, ``notes`` ...).
        realism: 0 = the original, idealised movement (the same bytes for a seed
            as before); 1 = the realities of real movement (sway and skin
            wobble of measured size, awkward starts, real rep shapes, gaps
            inside reps, wobbly stretch entries, weight shifts in the
            calibration stands); 2 = every reality doubled. See
            :mod:`hipsense.sim.movements`.
    """

    sets: tuple[SetSpec, ...]
    rate_hz: float = 104.0
    packet_loss: float = 0.0
    mounting: Mounting | Literal["random", "crooked", "nominal"] = "random"
    sensor_errors: bool = True
    calibration: bool = True
    acc_range_g: float = 4.0
    gyr_range_dps: float = 500.0
    started_at: str = "2026-10-04T07:12:00+00:00"
    metadata: dict[str, Any] = field(default_factory=dict)
    realism: float = 0.0
    #: how a ``run`` set runs (default: :class:`RunSpec` drawn at random)
    run: RunSpec | None = None

    def __post_init__(self) -> None:
        if not MIN_REALISM <= self.realism <= MAX_REALISM:  # also refuses NaN
            raise ValueError(f"realism must be from {MIN_REALISM:g} to {MAX_REALISM:g}, "
                             f"not {self.realism!r}")


@dataclass
class SimulatedSession:
    session: Session
    truth: dict[str, Any]


def programme_sets(exercises: tuple[str, ...] | list[str] = PROGRAMME_ORDER,
                   **overrides: Any) -> tuple[SetSpec, ...]:
    """One set of each exercise on each of its sides, in programme order."""
    return tuple(SetSpec(ex, side, **overrides) for ex in exercises
                 for side in EXERCISES[ex].sides)


def simulate_session(spec: SessionSpec, seed: int) -> SimulatedSession:
    """Simulate a calibration and every set of ``spec`` on one sensor placement."""
    streams = [np.random.default_rng(s)
               for s in np.random.SeedSequence(seed).spawn(2 + len(spec.sets))]
    sensor_rng, cal_rng, set_rngs = streams[0], streams[1], streams[2:]
    if isinstance(spec.mounting, Mounting):
        mounting = spec.mounting
    elif spec.mounting == "nominal":
        mounting = Mounting()
    else:
        mounting = Mounting.random(sensor_rng, crooked=spec.mounting == "crooked")
    errors = (ImuErrors.random(sensor_rng, acc_range_g=spec.acc_range_g,
                               gyr_range_dps=spec.gyr_range_dps)
              if spec.sensor_errors else
              ImuErrors(acc_range_g=spec.acc_range_g, gyr_range_dps=spec.gyr_range_dps))
    sampler = (Sampler.random(sensor_rng, spec.rate_hz, spec.packet_loss)
               if spec.sensor_errors else
               Sampler(rate_hz=spec.rate_hz, packet_loss=spec.packet_loss))
    clock_s = float(np.round(sensor_rng.uniform(600.0, 6000.0), 3))

    truth: dict[str, Any] = {
        "seed": seed, "generator": f"hipsense {__version__}",
        "sample_rate_hz": spec.rate_hz,
        "actual_rate_hz": round(spec.rate_hz * (1 + sampler.rate_error), 6),
        "packet_loss": spec.packet_loss,
        "mounting": {"pitch_deg": round(mounting.pitch_deg, 4),
                     "roll_deg": round(mounting.roll_deg, 4),
                     "yaw_deg": round(mounting.yaw_deg, 4),
                     "lever_arm_m": [round(float(x), 4) for x in mounting.lever_arm_m]},
        "pelvis_axes_in_sensor": {k: [round(float(x), 6) for x in v]
                                  for k, v in mounting.pelvis_axes_in_sensor().items()},
        "gyr_bias_dps": [round(float(x), 4) for x in errors.gyr_bias_dps],
        "calibration": None, "sets": [],
    }
    if spec.realism < 0:
        raise ValueError("realism must be >= 0")
    if spec.realism > 0:
        truth["realism"] = spec.realism
    calibration = None
    if spec.calibration:
        plan = plan_calibration(clock_s, cal_rng, spec.realism)
        calibration, lost = record(plan.motion, plan.start_s, plan.end_s, mounting, errors,
                                   sampler, cal_rng)
        truth["calibration"] = {
            "file": CALIBRATION_FILE, "lost_samples": lost,
            "quiet_s": [[round(a, 4), round(b, 4)] for a, b in plan.quiet_s],
            "hinges_s": [[round(a, 4), round(b, 4)] for a, b in plan.hinges_s],
            "hinge_peak_deg": [round(p, 3) for p in plan.hinge_peak_deg],
            "gyr_bias_dps": [round(float(x), 4) for x in
                             errors.gyr_bias_at(calibration.time_s).mean(axis=0)],
        }
        if spec.realism > 0:
            truth["calibration"]["weight_shifts_s"] = [[round(a, 4), round(b, 4)]
                                                       for a, b in plan.weight_shifts_s]
        clock_s = plan.end_s + float(cal_rng.uniform(15.0, 40.0))

    sets = []
    for i, (set_spec, rng) in enumerate(zip(spec.sets, set_rngs), start=1):
        info = SetInfo(f"set{i:02d}.csv", set_spec.exercise, set_spec.side)
        if set_spec.exercise == "run":
            run_plan = plan_run(spec.run or RunSpec(), clock_s, rng)
            rec, lost = record(run_plan.motion, run_plan.start_s, run_plan.end_s, mounting,
                               errors, sampler, rng)
            sets.append((info, rec))
            truth["sets"].append({"file": info.file, **run_truth(run_plan),
                                  "lost_samples": lost})
            clock_s = run_plan.end_s + float(rng.uniform(20.0, 60.0))
            continue
        plan = plan_set(set_spec, clock_s, rng, spec.realism)
        rec, lost = record(plan.motion, plan.start_s, plan.end_s, mounting, errors, sampler, rng,
                           plan.gaps_s)
        sets.append((info, rec))
        truth["sets"].append({"file": info.file, **set_truth(plan, rec.time_s),
                              "lost_samples": lost})
        clock_s = plan.end_s + float(rng.uniform(20.0, 60.0))

    metadata = new_session_metadata(
        spec.started_at, spec.rate_hz, CALIBRATION_FILE if spec.calibration else None,
        {**spec.metadata,
         "sensor": {"model": "hipsense virtual sensor", "simulated": True,
                    "acc_range_g": spec.acc_range_g, "gyr_range_dps": spec.gyr_range_dps},
         "simulation": {"seed": seed, "generator": f"hipsense {__version__}"}})
    return SimulatedSession(Session(metadata, calibration, sets), truth)


@dataclass(frozen=True)
class HistoryWeek:
    started_at: str
    spec: SessionSpec


def runner_history(weeks: int = 6, *, start: dt.datetime | None = None,
                   athlete: str = "sample runner") -> list[HistoryWeek]:
    """A runner's weekly sessions: the right side starts clearly unstable (about
    8-9 deg drop in single-leg squats and knee drives, large clamshell roll-back,
    hip lift, bridge obliquity, short stretch holds) and improves week by week;
    the left stays stable. Week 3 has packet loss; week 5 a crooked sensor."""
    start = start or dt.datetime(2026, 10, 5, 7, 12, tzinfo=dt.timezone.utc)
    out = []
    for w in range(weeks):
        x = w / max(weeks - 1, 1)  # 0 in the first week, 1 in the last

        def right(first: float, last: float) -> float:
            return round(first + (last - first) * x, 2)

        right_fault = {"single_leg_squat": right(8.7, 3.5), "knee_drive": right(8.8, 3.0),
                       "clamshell": right(9.0, 2.8), "prone_hip_extension": right(6.5, 2.5)}
        left_fault = {"single_leg_squat": 2.4, "knee_drive": 2.2, "clamshell": 2.2,
                      "prone_hip_extension": 2.0}
        sets = []
        for set_spec in programme_sets(reps=10, fidget=False):
            ex, side = set_spec.exercise, set_spec.side
            if ex == "hip_bridge":
                set_spec = replace(set_spec, fault_deg=right(5.5, 1.5), hold_s=1.0)
            elif ex in right_fault:
                fault = right_fault[ex] if side == "right" else left_fault[ex]
                set_spec = replace(set_spec, fault_deg=fault)
                if ex in ("clamshell", "prone_hip_extension"):
                    set_spec = replace(set_spec, hold_s=1.0)
            else:  # stretches: short holds at first, on the right more
                hold = right(21.0, 30.5) if side == "right" else min(30.5, 26.0 + 9 * x)
                set_spec = replace(set_spec, hold_s=hold)
            sets.append(set_spec)
        when = (start + dt.timedelta(weeks=w, minutes=int(7 * w) % 40)).isoformat()
        spec = SessionSpec(
            sets=tuple(sets), rate_hz=104.0,
            packet_loss=0.03 if w == 2 else 0.0,
            mounting="crooked" if w == 4 else "random",
            started_at=when,
            metadata={"athlete": athlete, "notes": f"week {w + 1} of the hip programme"},
        )
        out.append(HistoryWeek(when, spec))
    return out


#: The ground truth's file beside a simulated session's session.json.
TRUTH_FILE = "truth.json"


def write_simulated(session: Session, truth: dict[str, Any], folder: Path) -> Path:
    """Write a simulated session folder with its ``truth.json``. Returns the folder."""
    write_session(session, folder)
    write_json(truth, folder / TRUTH_FILE)
    return folder


def write_runner_history(root: Path, weeks: int, seed: int, *, realism: float = 0.0,
                         force: bool = False) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Simulate :func:`runner_history` (week ``w`` with seed ``seed + w``) and write
    each week as ``root/<date>/`` with its truth, yielding (folder, truth) as each
    is written. Every folder is checked first (io.output's policy: a used one
    only with ``force``), so a refusal writes nothing."""
    plan = [replace(item, spec=replace(item.spec, realism=realism))
            for item in runner_history(weeks)]
    for item in plan:
        prepare_session_folder(root / item.started_at[:10], force)
    for week, item in enumerate(plan):
        sim = simulate_session(item.spec, seed + week)
        yield write_simulated(sim.session, sim.truth, root / item.started_at[:10]), sim.truth
