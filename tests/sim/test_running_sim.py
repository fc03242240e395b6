"""The running motion model against its own definitions: cadence, alternation,
contact times, the drop truth from the pelvis, free fall in flight."""

from __future__ import annotations

import numpy as np
import pytest

from hipsense.sim.imu import Mounting, ideal_imu
from hipsense.sim.movements import SetSpec
from hipsense.sim.running import RunSpec, obliquity_deg, plan_run, run_truth
from hipsense.sim.session import SessionSpec, simulate_session


@pytest.fixture(scope="module")
def plan():
    spec = RunSpec(run_s=30.0, cadence_spm=172.0, drop_left_deg=7.0, drop_right_deg=3.0,
                   fatigue_deg=0.0, stops=0, turns=0)
    return plan_run(spec, 100.0, np.random.default_rng(3))


def test_steps_alternate_at_the_cadence(plan):
    sides = [s.side for s in plan.steps]
    assert all(a != b for a, b in zip(sides, sides[1:]))
    steady = [s for s in plan.steps if s.steady]
    step_s = np.median(np.diff([s.ic_s for s in steady]))
    assert 60.0 / step_s == pytest.approx(172.0, rel=0.04)
    contact = np.array([s.to_s - s.ic_s for s in steady])
    assert np.all((contact > 0.15) & (contact < 0.9 * step_s))


def test_drop_truth_is_the_pelvis_obliquity_per_spec(plan):
    truth = run_truth(plan)
    assert truth["exercise"] == "run" and truth["side"] == "both"
    # the medians follow the planned drops (variation 0.9 deg SD); the running
    # posture's sideways offset lifts one side's and lowers the other's, so the
    # sum keeps the plan's
    left, right = truth["left"]["pelvic_drop_deg"], truth["right"]["pelvic_drop_deg"]
    assert left + right == pytest.approx(10.0, abs=1.0)
    assert left - right > 2.0
    step = truth["steps"][20]
    t = np.arange(step["ic_s"], step["to_s"], 1e-3)
    obl = obliquity_deg(plan.motion, t, plan.quiet_s)
    expected = obl.max() if step["side"] == "left" else (-obl).max()
    assert step["pelvic_drop_deg"] == pytest.approx(expected, abs=1e-3)
    # the quiet stand is the reference: obliquity ~0 there
    q = np.arange(*plan.quiet_s, 1e-3)
    assert abs(obliquity_deg(plan.motion, q, plan.quiet_s).mean()) < 1e-9


def test_flight_is_free_fall_and_stance_pushes(plan):
    steady = [s for s in plan.steps if s.steady][5:15]
    acc, _ = ideal_imu(plan.motion, np.array([0.5 * (s.to_s + n.ic_s) for s, n in
                                              zip(steady, steady[1:])]), Mounting())
    # mid-flight: the sensor (x up) reads near 0 g; mid-stance: well over 1 g
    assert np.all(np.abs(acc[:, 0]) < 0.35)
    acc, _ = ideal_imu(plan.motion, np.array([0.5 * (s.ic_s + s.to_s) for s in steady]),
                       Mounting())
    assert np.all(acc[:, 0] > 1.5)


def test_a_run_set_in_a_session_is_deterministic():
    spec = SessionSpec(sets=(SetSpec("run", "both"),), rate_hz=100.0,
                       run=RunSpec(run_s=20.0, stops=0, turns=0))
    a, b = simulate_session(spec, 11), simulate_session(spec, 11)
    info, rec = a.session.sets[0]
    assert (info.exercise, info.side) == ("run", "both")
    assert np.array_equal(rec.acc_g, b.session.sets[0][1].acc_g)
    assert a.truth["sets"][0]["steps"] == b.truth["sets"][0]["steps"]
    assert 95.0 < rec.median_rate_hz() < 105.0
