"""Real motion capture (CMU) replayed through the IMU model: the AMC parser and its
axis conventions, the sets found from the labels, the virtual IMU, and the
current analysis measured against the mocap truth.

The CMU trials are read from ../shared/realdata (never copied into the project);
the tests that need them skip when that folder is absent. The parser and set
finder are also checked on small AMC files written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hipsense.cli import main
from hipsense.io import read_session
from hipsense.sim.imu import Mounting, ideal_imu
from hipsense.sim.mocap import (
    CMU_UNIT_M, MocapError, find_sets, label_segments, parse_amc, parse_labels,
    plan_mocap_set, simulate_mocap_session,
)
from tests.realdata import REALDATA, needs

CMU = REALDATA / "cmu_mocap"
needs_cmu = needs(CMU / "amc", "CMU motion capture")

FPS = 120


def _write_amc(path: Path, root: np.ndarray, lfemur: np.ndarray | None = None,
               rfemur: np.ndarray | None = None) -> Path:
    """An AMC file: the header, then per frame root, a joint hipsense ignores, femurs."""
    n = len(root)
    lf = np.zeros((n, 3)) if lfemur is None else lfemur
    rf = np.zeros((n, 3)) if rfemur is None else rfemur
    out = ["#!OML:ASF test.asf", ":FULLY-SPECIFIED", ":DEGREES"]
    for i in range(n):
        out += [str(i + 1), "root " + " ".join(f"{v:.5f}" for v in root[i]),
                "lowerback 0 0 0",
                "rfemur " + " ".join(f"{v:.4f}" for v in rf[i]),
                "lfemur " + " ".join(f"{v:.4f}" for v in lf[i])]
    path.write_text("\n".join(out) + "\n")
    return path


def _cmu_matrix(rx: float, ry: float, rz: float) -> np.ndarray:
    """Rz Ry Rx written out (the Acclaim root order TX TY TZ RX RY RZ, axis XYZ)."""
    x, y, z = np.radians([rx, ry, rz])
    mx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
    my = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    mz = np.array([[np.cos(z), -np.sin(z), 0], [np.sin(z), np.cos(z), 0], [0, 0, 1]])
    return mz @ my @ mx


# ---------------------------------------------------------------------------
# parser and axis conventions (no real data needed)


def test_root_rotations_give_the_expected_pelvis_axes(tmp_path: Path) -> None:
    root = np.array([[0, 18, 0, 0, 0, 0],      # standing, facing CMU +Z
                     [0, 18, 0, 20, 0, 0],     # +rx: anterior tilt (front down) 20 deg
                     [0, 18, 0, 0, 90, 0],     # +ry: turned 90 deg to the left
                     [0, 18, 0, 0, 0, 10],     # +rz: left side up 10 deg
                     [2, 17, -3, 30, 40, 20]], dtype=float)
    lf = np.array([[-50.0, 0, 0]] * 5)
    trial = parse_amc(_write_amc(tmp_path / "t.amc", root, lfemur=lf))
    m = trial.pelvis_orientation().as_matrix()  # columns a, l, u in the world (z up)
    np.testing.assert_allclose(m[0], np.eye(3), atol=1e-9)
    c, s = np.cos(np.radians(20)), np.sin(np.radians(20))
    np.testing.assert_allclose(m[1][:, 0], [c, 0, -s], atol=1e-9)   # a tilted down
    np.testing.assert_allclose(m[1][:, 1], [0, 1, 0], atol=1e-9)    # l stays level
    np.testing.assert_allclose(m[2][:, 0], [0, 1, 0], atol=1e-9)    # a now points +y
    np.testing.assert_allclose(m[2][:, 1], [-1, 0, 0], atol=1e-9)
    assert np.degrees(np.arcsin(m[3][2, 1])) == pytest.approx(10.0)  # elev(l) = +10
    # the general case against Rz Ry Rx in CMU axes (X left, Y up, Z anterior)
    cmu = _cmu_matrix(30, 40, 20)
    a, l, u = cmu[:, 2], cmu[:, 0], cmu[:, 1]
    to_world = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]])  # x = Z, y = X, z = Y
    np.testing.assert_allclose(m[4], to_world @ np.column_stack([a, l, u]), atol=1e-9)
    np.testing.assert_allclose(trial.pelvis_position_m()[4],
                               np.array([-3, 2, 17]) * CMU_UNIT_M, atol=1e-12)
    np.testing.assert_allclose(trial.hip_flexion_deg("left"), 50.0)
    assert trial.fps == FPS and trial.n == 5


@pytest.mark.parametrize("line, words", [
    ("root 0 18 x 0 0 0", ["values must be numbers"]),
    ("root 0 18 0 0 0", ["root needs 6 values, got 5"]),
    ("lfemur 1 2", ["lfemur needs 3 values"]),
    ("root 0 18 0 nan 0 0", ["not finite"]),
    ("4", ["frame 4 follows frame 1"]),
])
def test_malformed_amc_names_file_and_line(tmp_path: Path, line: str, words: list[str]) -> None:
    path = _write_amc(tmp_path / "bad.amc", np.zeros((3, 6)))
    lines = path.read_text().splitlines()
    if line.startswith("root"):
        target = 10  # frame 2's root line
    elif line.startswith("lfemur"):
        target = 13  # frame 2's lfemur line
    else:
        target = 9   # frame 2's number
    lines[target - 1] = line
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(MocapError) as err:
        parse_amc(path)
    assert str(err.value).startswith(f"{path}:{target}: ")
    for w in words:
        assert w in str(err.value)


def test_missing_femur_and_empty_files(tmp_path: Path) -> None:
    path = tmp_path / "nofemur.amc"
    path.write_text(":DEGREES\n1\nroot 0 0 0 0 0 0\n2\nroot 0 0 0 0 0 0\n")
    with pytest.raises(MocapError, match=r"nofemur.amc:2: frame 1 has no lfemur line"):
        parse_amc(path)
    (tmp_path / "empty.amc").write_text(":FULLY-SPECIFIED\n:DEGREES\n")
    with pytest.raises(MocapError, match="no motion frames"):
        parse_amc(tmp_path / "empty.amc")
    with pytest.raises(MocapError, match="no such file"):
        parse_amc(tmp_path / "absent.amc")
    (tmp_path / "l.txt").write_text("4 4 4\n4 squat 3\n")
    with pytest.raises(MocapError, match=r"l.txt:2: label 'squat'"):
        parse_labels(tmp_path / "l.txt")


def test_labels_become_segments(tmp_path: Path) -> None:
    (tmp_path / "l.txt").write_text("6 6 4 4 4 10\n")
    ids = parse_labels(tmp_path / "l.txt")
    assert [(a, round(s0, 1), round(s1, 1)) for a, s0, s1 in label_segments(ids)] == \
        [(6, 0.0, 0.2), (4, 0.2, 0.5), (10, 0.5, 0.6)]


# ---------------------------------------------------------------------------
# sets from labels, on made-up motion


def _bumps(t: np.ndarray, centres: list[float], width_s: float) -> np.ndarray:
    """Smooth 0..1 bumps (raised cosines) of total width ``width_s``."""
    out = np.zeros_like(t)
    for c in centres:
        x = np.clip((t - c) / width_s + 0.5, 0, 1)
        out += 0.5 - 0.5 * np.cos(2 * np.pi * x)
    return out


def _synthetic_trial(tmp_path: Path) -> tuple[Path, Path]:
    """4 s standing still, knee raises L L R R (two bouts), then three squats on the
    left leg (the right held up), 2 s standing."""
    t = np.arange(0, 21.0, 1 / FPS)
    left_c, right_c = [5.0, 6.6], [8.4, 10.0]
    squat_c = [14.5, 16.5, 18.5]
    lf = np.zeros((t.size, 3))
    rf = np.zeros((t.size, 3))
    lf[:, 0] = -10 - 85 * _bumps(t, left_c, 1.2) - 60 * _bumps(t, squat_c, 1.6)
    rf[:, 0] = -10 - 85 * _bumps(t, right_c, 1.2) - 10 * _bumps(t, squat_c, 1.6)
    rf[t > 13.0, 0] -= 35  # the free leg held up through the squats
    root = np.zeros((t.size, 6))
    root[:, 1] = 1.0 / CMU_UNIT_M - 0.2 / CMU_UNIT_M * _bumps(t, squat_c, 1.6)  # 20 cm squats
    root[:, 3] = -8 * _bumps(t, left_c + right_c, 1.2)   # posterior tilt at each raise
    root[:, 5] = 4 * _bumps(t, squat_c, 1.6)  # left (standing) side up: the free side drops
    (tmp_path / "amc").mkdir()
    amc = _write_amc(tmp_path / "amc" / "99_01.amc", root, lf, rf)
    labels = np.full(int(round(21.0 / 0.1)), 6)
    labels[40:112] = 4   # 4.0-11.2 s
    labels[130:200] = 3  # 13.0-20.0 s
    (tmp_path / "truelabels").mkdir()
    lab = tmp_path / "truelabels" / "99_01.txt"
    lab.write_text(" ".join(str(x) for x in labels) + "\n")
    return amc, lab


def test_sets_reps_and_sides_from_labels(tmp_path: Path) -> None:
    amc, lab = _synthetic_trial(tmp_path)
    sets = find_sets(parse_amc(amc), parse_labels(lab))
    assert [(s.exercise, s.side, len(s.reps)) for s in sets] == [
        ("knee_drive", "left", 2), ("knee_drive", "right", 2), ("single_leg_squat", "left", 3)]
    assert [r.leg for r in sets[0].reps + sets[1].reps] == ["left"] * 2 + ["right"] * 2
    for s, centres in zip(sets, ([5.0, 6.6], [8.4, 10.0], [14.5, 16.5, 18.5])):
        np.testing.assert_allclose([r.peak_s for r in s.reps], centres, atol=0.02)
        for r, c in zip(s.reps, centres):
            assert r.start_s < r.top_first_s <= r.peak_s <= r.top_last_s < r.end_s
            assert c - 0.8 < r.start_s and r.end_s < c + 0.8
    # the first set has real rest before it in the trial; the others start
    # right after the previous set (and get a held pose)
    assert sets[0].real_rest_s == pytest.approx(3.0)
    assert sets[1].real_rest_s == 0.0


def test_cli_writes_a_session_from_made_up_mocap(tmp_path: Path, capsys) -> None:
    amc, _ = _synthetic_trial(tmp_path)  # labels found in ../truelabels by default
    out = tmp_path / "session"
    assert main(["simulate", "--from-mocap", str(amc), "--out", str(out), "--seed", "4",
                 "--rate-hz", "200"]) == 0
    session = read_session(out)
    assert session.calibration is None and session.metadata["calibration"] is None
    assert [(i.exercise, i.side) for i, _ in session.sets] == [
        ("knee_drive", "left"), ("knee_drive", "right"), ("single_leg_squat", "left")]
    truth = json.loads((out / "truth.json").read_text())
    assert truth["calibration"] is None and truth["seed"] == 4
    assert [s["rep_count"] for s in truth["sets"]] == [2, 2, 3]
    squat = truth["sets"][2]
    # the left (standing) side rises 4 deg in each squat: the free right side drops 4
    assert squat["medians"]["pelvic_drop_deg"] == pytest.approx(4.0, abs=0.3)
    knee = truth["sets"][0]
    assert knee["medians"]["pelvic_tilt_deg"] == pytest.approx(-8.0, abs=0.3)
    rec = session.sets[0][1]
    assert 195 < rec.median_rate_hz() < 205
    # same seed, same bytes
    again = tmp_path / "again"
    assert main(["simulate", "--from-mocap", str(amc), "--out", str(again), "--seed", "4",
                 "--rate-hz", "200"]) == 0
    assert (out / "set03.csv").read_bytes() == (again / "set03.csv").read_bytes()


@pytest.mark.parametrize("argv_tail, words", [
    (["--from-mocap", "{tmp}/absent.amc"], ["absent.amc: no such file"]),
    (["--from-mocap", "{tmp}/bad.amc"], ["bad.amc:7: root needs 6 values"]),
    (["--from-mocap", "{tmp}/good.amc"], ["good.txt: no such file"]),
    (["--labels", "{tmp}/x.txt"], ["--labels needs --from-mocap"]),
])
def test_cli_bad_mocap_input_is_one_line_exit_2(tmp_path: Path, capsys, argv_tail, words) -> None:
    (tmp_path / "bad.amc").write_text(":DEGREES\n1\nroot 0 0 0 0 0 0\nlfemur 0 0 0\n"
                                      "rfemur 0 0 0\n2\nroot 1 2\n")
    _write_amc(tmp_path / "good.amc", np.zeros((3, 6)))
    argv = ["simulate", "--out", str(tmp_path / "o")] + [a.format(tmp=tmp_path)
                                                          for a in argv_tail]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hipsense: error: ")
    assert "Traceback" not in err
    for w in words:
        assert w in err


# ---------------------------------------------------------------------------
# the CMU trials


#: trial -> the sets the labels give: (exercise, side, legs of the reps in order)
EXPECTED = {
    "13_31": [("knee_drive", "left", ["left", "right", "right", "left"])],
    "14_20": [("knee_drive", "left", ["right", "left"] * 3)],
}


@needs_cmu
@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_cmu_trials_give_the_expected_sets(stem: str) -> None:
    amc = CMU / "amc" / f"{stem}.amc"
    sets = find_sets(parse_amc(amc), parse_labels(CMU / "truelabels" / f"{stem}.txt"))
    assert [(s.exercise, s.side, [r.leg for r in s.reps]) for s in sets] == EXPECTED[stem]
    for s in sets:
        assert "alternate legs" in s.note
        assert s.real_rest_s == 0.0  # the labels give no rest before the knee raises
        assert s.label_s[0] - 0.5 <= s.first_s <= s.reps[0].start_s
        ends = [r.end_s for r in s.reps]
        starts = [r.start_s for r in s.reps]
        assert all(e <= s2 for e, s2 in zip(ends[:-1], starts[1:]))  # reps do not overlap


@needs_cmu
def test_virtual_imu_of_the_mocap_pelvis() -> None:
    """The held (still) mocap pose reads 1 g and 0 deg/s; over the moving part the
    gyroscope integrates to the mocap's change of orientation (frames agree)."""
    trial = parse_amc(CMU / "amc" / "13_31.amc")
    mset = find_sets(trial, parse_labels(CMU / "truelabels" / "13_31.txt"))[0]
    plan = plan_mocap_set(trial, mset, clock_s=1000.0)
    mounting = Mounting(pitch_deg=20.0, roll_deg=-8.0, yaw_deg=5.0)
    still = np.arange(plan.reference_s[0] + 0.2, plan.reference_s[1] - 0.2, 0.01)
    acc, gyr = ideal_imu(plan.motion, still, mounting)
    np.testing.assert_allclose(np.linalg.norm(acc, axis=1), 1.0, atol=2e-3)
    assert np.abs(gyr).max() < 0.2
    # gravity points along the pelvis's true up in the sensor
    r_ws = plan.motion.orientation(still) * Rotation.from_matrix(mounting.pelvis_from_sensor())
    np.testing.assert_allclose(acc, r_ws.inv().apply([0, 0, 1]), atol=2e-3)
    # integrate the body rate at 1 kHz across the reps
    t = np.arange(plan.reference_s[1], plan.end_s - 1.0, 1e-3)
    _, gyr = ideal_imu(plan.motion, t, mounting)
    steps = Rotation.from_rotvec(np.radians(0.5 * (gyr[:-1] + gyr[1:])) * 1e-3)
    sensor = Rotation.from_matrix(mounting.pelvis_from_sensor())
    q = (plan.motion.orientation(t[:1]) * sensor)[0]
    for step in steps:
        q = q * step
    end = (plan.motion.orientation(t[-1:]) * sensor)[0]
    assert np.degrees((q.inv() * end).magnitude()) < 0.5


def _match(truth_reps: list[dict], found: list) -> list[tuple[dict, object]]:
    """One-to-one pairs (truth rep, analysed rep): the analysed rep contains the
    truth rep's peak; the largest overlaps pair first."""
    cands = []
    for i, r in enumerate(truth_reps):
        for j, a in enumerate(found):
            overlap = min(r["end_s"], a.end_s) - max(r["start_s"], a.start_s)
            if overlap > 0 and a.start_s <= r["peak_s"] <= a.end_s:
                cands.append((overlap, i, j))
    used_i, used_j, pairs = set(), set(), []
    for _, i, j in sorted(cands, reverse=True):
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((truth_reps[i], found[j]))
    return pairs


#: What the analysis achieves on the replays (no calibration, random mounting;
#: seeds 1-3 at 104/100/200 Hz), with a margin of about 0.4 deg: (fewest reps
#: found, drop RMSE, drop max error, tilt RMSE, tilt max error), errors in deg
#: over the reps found. The truth has 4 and 6 knee raises (from the femurs):
#: 13_31's fourth raise tilts the pelvis 2.9 deg, under the 3 deg a standing rep
#: needs; in 14_20 the legs alternate and one leg's raises barely tilt the
#: pelvis (1-2 deg), so 3 of 6 are found. Without a calibration and with one
#: standing set the heading is the nominal one (+-10 deg), so the drop carries
#: about tilt x sin(10 deg) = 1.7 deg of uncertainty (reported with it). The
#: tilt is measured from the held pose before rep 1 (the truth's reference),
#: which the pelvis leaves before the first rep's tilt rises; taken from the
#: rests between raises instead, it was 2.5-5.6 deg off (RMSE) before.
ACHIEVED = {
    "13_31": (3, 2.5, 3.7, 1.0, 1.3),
    "14_20": (3, 2.4, 3.8, 1.2, 1.7),
}


@needs_cmu
@pytest.mark.parametrize("stem", ["13_31", "14_20"])
@pytest.mark.parametrize("seed, rate_hz", [(1, 104.0), (2, 100.0), (3, 200.0)])
def test_analysis_against_the_mocap_truth(stem: str, seed: int, rate_hz: float) -> None:
    from hipsense.analysis import analyze

    mocap = simulate_mocap_session(CMU / "amc" / f"{stem}.amc", seed=seed, rate_hz=rate_hz)
    result = analyze(mocap.session)
    min_found, drop_rmse, drop_max, tilt_rmse, tilt_max = ACHIEVED[stem]
    (truth,) = mocap.truth["sets"]
    (found,) = result.sets
    assert truth["rep_count"] == len(EXPECTED[stem][0][2])
    assert min_found <= len(found.reps) <= truth["rep_count"], [
        (round(r.start_s, 2), round(r.end_s, 2)) for r in found.reps]
    pairs = _match(truth["reps"], found.reps)
    assert len(pairs) == len(found.reps)  # every rep found is a true rep
    for metric, rmse_max, err_max in (("pelvic_drop_deg", drop_rmse, drop_max),
                                      ("pelvic_tilt_deg", tilt_rmse, tilt_max)):
        err = np.array([a.metrics[metric] - r["metrics"][metric] for r, a in pairs])
        assert np.sqrt(np.mean(err ** 2)) <= rmse_max, (metric, err)
        assert np.abs(err).max() <= err_max, (metric, err)
