"""The running check on the real recordings (read from ../shared/realdata,
skipped when absent): foot-sensor contacts of lower-back walking, the RBDS
treadmill runner through a virtual sacral IMU, a sacral accelerometer run."""

from __future__ import annotations

import numpy as np
import pytest

from hipsense.analysis.running import analyze_run
from hipsense.sim.running_data import read_rbds, read_sacral_sample, read_walking
from tests.realdata import REALDATA, needs

WALK = REALDATA / "walking_lowback"
RBDS = REALDATA / "running_rbds"
SACRAL = REALDATA / "running_sacral_acc_sample"


def _match(steps, contacts, window, excluded=()):
    tic = np.array([c["ic_s"] for c in contacts])
    out = []
    for s in steps:
        if not window[0] <= s.ic_s <= window[1] or any(a <= s.ic_s <= b for a, b in excluded):
            continue
        j = int(np.argmin(np.abs(tic - s.ic_s)))
        if abs(tic[j] - s.ic_s) < 0.15:
            out.append((s, contacts[j]))
    return out


@needs(WALK, "walking_lowback")
@pytest.mark.parametrize("trial", ["1-1", "2-3", "3-4"])
def test_walking_sides_and_contacts(trial):
    run = read_walking(WALK, trial)
    r = run.recording
    res = analyze_run(r.time_s, r.acc_g, r.gyr_dps, run.l_sensor, run.u_sensor)
    assert res.mode == "walking"
    pairs = _match(res.steps, run.contacts, run.window_s, run.excluded_s)
    assert len(pairs) >= 0.7 * len(run.contacts)
    assert np.mean([s.side == c["side"] for s, c in pairs]) >= 0.97
    assert np.median([abs(s.ic_s - c["ic_s"]) for s, c in pairs]) < 0.060


@needs(RBDS, "running_rbds")
@pytest.mark.slow
def test_rbds_runner_sides_and_drop():
    run = read_rbds(RBDS, seed=2, rate_hz=100.0)
    r = run.recording
    res = analyze_run(r.time_s, r.acc_g, r.gyr_dps, run.l_sensor, run.u_sensor)
    assert res.mode == "running"
    truth = [c for c in run.contacts if c["ic_s"] >= run.window_s[0]]
    pairs = _match(res.steps, truth, run.window_s)
    assert len(pairs) == len(truth)
    assert all(s.side == c["side"] for s, c in pairs)
    for side in ("left", "right"):
        mine = [(s.pelvic_drop_deg, c["pelvic_drop_deg"]) for s, c in pairs if s.side == side]
        assert abs(np.median([m[0] for m in mine]) - np.median([m[1] for m in mine])) < 1.0


@needs(SACRAL, "running_sacral_acc_sample")
def test_sacral_accelerometer_run_gives_a_running_cadence():
    rec = read_sacral_sample(SACRAL)
    res = analyze_run(rec.time_s, rec.acc_g, rec.gyr_dps, np.array([0.0, 1.0, 0.0]),
                      np.array([1.0, 0.0, 0.0]))
    assert res.mode == "running"
    cadence = 60.0 / np.median(np.diff([s.ic_s for s in res.steps]))
    assert 150.0 < cadence < 190.0
    assert all(0.15 < s.contact_s < 0.35 for s in res.steps)
