"""Real marker motion capture (UI-PRMD hurdle steps and standing leg raises)
replayed through the IMU model as knee drives: the reader and its errors, the
pelvis frame from the markers, the sets and reps, and the analysis measured
against the markers' pelvis.

The takes are read from ../shared/realdata/uiprmd (never copied into the
project); the tests that need them skip when that folder is absent.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from hipsense.cli import main
from hipsense.sim.mocap import MocapError, plan_mocap_set
from hipsense.sim.truth import angle_signals
from hipsense.sim.uiprmd import (
    LASI, LKNE, LPSI, N_MARKERS, RASI, RKNE, RPSI, read_take, simulate_uiprmd_session, take_set,
)
from tests.realdata import REALDATA, needs

UIPRMD = REALDATA / "uiprmd"
needs_uiprmd = needs(UIPRMD / "correct", "UI-PRMD")

FPS = 100
#: Standing pelvis markers (m; x forward, y left, z up): the ASIS lower than
#: the PSIS, as on people (the frame is levelled on the first frame).
STANDING = {LASI: (0.12, 0.12, 0.98), RASI: (0.12, -0.12, 0.98),
            LPSI: (-0.05, 0.05, 1.03), RPSI: (-0.05, -0.05, 1.03)}
CENTRE = np.mean(list(STANDING.values()), axis=0)


def _write_take(folder: Path, tilt_deg: float = 10.0, hike_deg: float = 0.0, reps: int = 3,
                asis_artefact_m: float = 0.0, inc: bool = False) -> list[Path]:
    """A take of ``reps`` files, one rep each (2 s: 0.5 s standing, the right
    knee up 0.3 m and back, 0.5 s standing), with the pelvis tilted back by
    ``tilt_deg`` and its right side raised by ``hike_deg`` at each rep's top;
    ``asis_artefact_m`` lifts the right (driving) ASIS marker on top (soft
    tissue)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(2 * FPS) / FPS
    x = np.clip((t - 0.5) / 1.0, 0.0, 1.0)
    bump = np.sin(np.pi * x) ** 2  # 0 at rest, 1 at the top
    paths = []
    for e in range(1, reps + 1):
        frames = np.zeros((t.size, N_MARKERS, 3))
        frames[:, :, 2] = 1.0  # every other marker somewhere, not missing
        # posterior tilt: about +y (left) by -tilt; right side up: about +x by -hike
        rot = Rotation.from_rotvec(np.column_stack(
            [-np.radians(hike_deg) * bump, -np.radians(tilt_deg) * bump, np.zeros_like(bump)]))
        for marker, pos in STANDING.items():
            frames[:, marker] = CENTRE + rot.apply(np.asarray(pos) - CENTRE)
        frames[:, RASI, 2] += asis_artefact_m * bump
        frames[:, LKNE] = (0.05, 0.1, 0.5)
        frames[:, RKNE] = np.column_stack([0.05 + 0.3 * bump, np.full_like(bump, -0.1),
                                           0.5 + 0.3 * bump])
        name = f"m02_s09_e{e:02d}_positions{'_inc' if inc else ''}.txt.gz"
        with gzip.open(folder / name, "wt") as fh:
            for row in frames.reshape(t.size, -1) * 1000.0:
                fh.write(",".join(f"{v:.5f}" for v in row) + "\n")
        paths.append(folder / name)
    return paths


def _truth_signals(take, side="right"):
    mset = take_set(take)
    plan = plan_mocap_set(take, mset, 1000.0)
    t = np.arange(plan.start_s, plan.end_s, 0.01)
    ref = (t >= plan.reference_s[0]) & (t <= plan.reference_s[1])
    return mset, plan, t, angle_signals("knee_drive", side, plan.motion.orientation(t), ref)


def test_take_files_join_into_one_set_with_one_rep_per_file(tmp_path: Path) -> None:
    paths = _write_take(tmp_path, reps=3)
    _write_take(tmp_path, reps=2, inc=True)  # the incorrect take beside it is another take
    take = read_take(paths[1])  # any file names the take
    assert take.n == 3 * 2 * FPS and take.rep_frames == [(0, 200), (200, 400), (400, 600)]
    assert take.driving_leg == "right" and take.correct
    mset = take_set(take)
    assert (mset.exercise, mset.side, len(mset.reps)) == ("knee_drive", "right", 3)
    for k, rep in enumerate(mset.reps):
        # the knee is 10 % up (sin^2 = 0.1) 0.1 s after leaving, and 0.1 s before its return
        assert rep.start_s == pytest.approx(2.0 * k + 0.60, abs=0.011)
        assert rep.peak_s == pytest.approx(2.0 * k + 1.0, abs=0.011)
        assert rep.end_s == pytest.approx(2.0 * k + 1.40, abs=0.011)
    assert len(read_take(tmp_path / "m02_s09_e01_positions_inc.txt.gz").rep_frames) == 2


def test_pelvis_frame_levelled_and_blind_to_the_driving_asis(tmp_path: Path) -> None:
    """A 10 deg posterior tilt and a 4 deg hike of the driving side at each top:
    the truth gives tilt -10 and drop -4 (within 0.1 deg), also when the
    driving side's ASIS marker rises 100 mm on top (thigh soft tissue, which a
    frame through both ASIS would take for about 20 deg of hike)."""
    for artefact in (0.0, 0.1):
        take = read_take(_write_take(tmp_path / f"a{artefact}", tilt_deg=10.0, hike_deg=4.0,
                                     asis_artefact_m=artefact)[0])
        up0 = take.pelvis_orientation()[0].apply([0.0, 0.0, 1.0])
        np.testing.assert_allclose(up0, [0.0, 0.0, 1.0], atol=1e-9)  # levelled
        mset, plan, t, sig = _truth_signals(take)
        for rep in mset.reps:
            top = np.abs(t - (rep.peak_s + plan.offset_s)).argmin()
            assert sig["pelvic_tilt_deg"][top] == pytest.approx(-10.0, abs=0.1), artefact
            assert sig["pelvic_drop_deg"][top] == pytest.approx(-4.0, abs=0.1), artefact


def test_a_first_file_cut_mid_rep_is_left_out(tmp_path: Path) -> None:
    paths = _write_take(tmp_path, reps=3)
    with gzip.open(paths[0], "rt") as fh:
        lines = fh.readlines()
    with gzip.open(paths[0], "wt") as fh:
        fh.writelines(lines[90:])  # starts with the knee up
    mset = take_set(read_take(paths[0]))
    assert len(mset.reps) == 2 and "mid-rep" in mset.note
    assert mset.first_s >= 110 / FPS  # the held start is after the cut rep


def _standing_row() -> str:
    """One frame (mm) with the pelvis markers of STANDING, every other marker at 1 m up."""
    frame = np.zeros((N_MARKERS, 3))
    frame[:, 2] = 1.0
    for marker, pos in STANDING.items():
        frame[marker] = pos
    return ",".join(f"{v:.3f}" for v in frame.ravel() * 1000.0) + "\n"


@pytest.mark.parametrize("row, words", [
    ("1,2,3\n", ["e01_positions.txt.gz:2: expected 117 finite numbers", "got 3"]),
    (",".join(["1"] * 117).replace("1", "x", 1) + "\n", [":2: values must be"]),
    (",".join(["0"] * 117) + "\n", [":2: a pelvis marker", "missing"]),
])
def test_malformed_take_names_file_and_line(tmp_path: Path, row: str, words: list[str]) -> None:
    good = _standing_row()
    path = tmp_path / "m06_s01_e01_positions.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(good + row + good)
    with pytest.raises(MocapError) as err:
        read_take(path)
    for w in words:
        assert w in str(err.value)


def test_takes_that_cannot_be_replayed_say_why(tmp_path: Path) -> None:
    """Pelvis markers on top of each other (no frame), a take with a file
    missing in its numbering (the pose would jump between reps) or one rep's
    file twice (.txt beside .txt.gz: replayed twice), a take whose
    only file begins mid-rep (no whole rep): one error each, naming the file."""
    path = tmp_path / "psis" / "m06_s01_e01_positions.txt.gz"
    path.parent.mkdir()
    collapsed = _standing_row().split(",")
    collapsed[3 * LPSI:3 * LPSI + 3] = collapsed[3 * RPSI:3 * RPSI + 3]
    with gzip.open(path, "wt") as fh:
        fh.write(_standing_row() + ",".join(collapsed))
    with pytest.raises(MocapError, match=r"e01_positions.txt.gz:2: pelvis markers lie on top"):
        read_take(path)

    paths = _write_take(tmp_path / "gap", reps=3)
    paths[1].unlink()
    with pytest.raises(MocapError, match=r"e01_positions.txt.gz: the take has no file for rep 02"):
        read_take(paths[0])

    paths = _write_take(tmp_path / "twice", reps=2)
    with gzip.open(paths[1], "rt") as fh:
        (paths[1].parent / paths[1].name.removesuffix(".gz")).write_text(fh.read())
    with pytest.raises(MocapError, match=r"e01_positions.txt.gz: the take has two files for "
                                         r"rep 02"):
        read_take(paths[0])

    (only,) = _write_take(tmp_path / "cut", reps=1)
    with gzip.open(only, "rt") as fh:
        lines = fh.readlines()
    with gzip.open(only, "wt") as fh:
        fh.writelines(lines[90:])
    with pytest.raises(MocapError, match="only file begins mid-rep"):
        take_set(read_take(only))


@pytest.mark.parametrize("argv_tail, words", [
    (["--from-mocap", "{tmp}/take.txt"], ["take.txt: not a UI-PRMD positions file"]),
    (["--from-mocap", "{tmp}/m02_s01_e01_positions.txt.gz"], ["no such file"]),
    (["--from-mocap", "{tmp}/a.amc", "{tmp}/b.amc"], ["one CMU trial"]),
    (["--from-mocap", "{tmp}/t/m02_s09_e01_positions.txt.gz", "--labels", "{tmp}/l.txt"],
     ["--labels is for a CMU trial"]),
])
def test_cli_bad_take_is_one_line_exit_2(tmp_path: Path, capsys, argv_tail, words) -> None:
    _write_take(tmp_path / "t", reps=2)
    argv = ["simulate", "--out", str(tmp_path / "o")] + [a.format(tmp=tmp_path)
                                                          for a in argv_tail]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hipsense: error: ") and "Traceback" not in err
    for w in words:
        assert w in err


def test_cli_replays_takes_and_the_analysis_counts_them(tmp_path: Path, capsys) -> None:
    """Two made-up takes (3 reps tilting 10 deg, 4 incorrect reps dropping the
    driving side 6 deg as well) as two knee-drive sets: every rep counted, the
    tilt within 1.5 deg of the markers' pelvis (no calibration: the sensor's
    9 deg turn about the vertical leaks 6 x sin 9 = 0.9 deg of drop into it)."""
    correct = _write_take(tmp_path / "takes", reps=3)[0]
    incorrect = _write_take(tmp_path / "takes", reps=4, hike_deg=-6.0, inc=True)[0]
    out = tmp_path / "session"
    assert main(["simulate", "--from-mocap", str(correct), str(incorrect), "--out", str(out),
                 "--seed", "5", "--rate-hz", "100"]) == 0
    truth = json.loads((out / "truth.json").read_text())
    assert [(s["exercise"], s["side"], s["rep_count"]) for s in truth["sets"]] == [
        ("knee_drive", "right", 3), ("knee_drive", "right", 4)]
    assert truth["calibration"] is None
    assert truth["sets"][1]["medians"]["pelvic_drop_deg"] == pytest.approx(6.0, abs=0.2)
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for got, true in zip(result["sets"], truth["sets"]):
        assert got["rep_count"] == true["rep_count"]
        for g, r in zip(got["reps"], true["reps"]):
            assert abs(g["metrics"]["pelvic_tilt_deg"] - r["metrics"]["pelvic_tilt_deg"]) <= 1.5


# ---------------------------------------------------------------------------
# the real takes

#: take -> what the analysis achieves on seeds 1-4 at 104/100/200/104 Hz
#: (measured): (reps counted exactly on every seed, else the fewest found;
#: drop RMSE, tilt RMSE, deg). Correct takes: every rep counted; the drop
#: error is what an unknown turn of the sensor about the vertical gives with
#: no calibration (about 1.5 deg reported). Incorrect hurdle steps of s01 and
#: s02 move the pelvis 1-3 deg per rep (s01) or hike it 15-20 deg in some reps
#: and hardly at all in others (s02): below what a pelvis sensor can count.
ACHIEVED = {
    "correct/m02_s01": (9, 0.7, 0.8), "correct/m02_s02": (10, 1.2, 1.0),
    "correct/m02_s03": (10, 1.1, 1.6), "correct/m06_s01": (10, 0.9, 3.4),
    "correct/m06_s02": (10, 1.9, 2.5), "correct/m06_s03": (10, 0.7, 3.3),
    "incorrect/m02_s03": (9, 2.7, 2.0), "incorrect/m06_s01": (8, 1.6, 2.6),
    "incorrect/m06_s02": (9, 3.7, 3.9), "incorrect/m06_s03": (10, 1.7, 2.6),
}


def _first_file(key: str) -> Path:
    folder, stem = key.split("/")
    suffix = "_inc" if folder == "incorrect" else ""
    return UIPRMD / folder / f"{stem}_e01_positions{suffix}.txt.gz"


@needs_uiprmd
@pytest.mark.parametrize("key", sorted(ACHIEVED))
@pytest.mark.parametrize("seed, rate_hz", [(1, 104.0), (2, 100.0), (3, 200.0)])
def test_analysis_against_the_uiprmd_pelvis(key: str, seed: int, rate_hz: float) -> None:
    from hipsense.analysis import analyze

    mocap = simulate_uiprmd_session([_first_file(key)], seed=seed, rate_hz=rate_hz)
    (truth,) = mocap.truth["sets"]
    (found,) = analyze(mocap.session).sets
    min_found, drop_rmse, tilt_rmse = ACHIEVED[key]
    assert min_found <= found.rep_count <= truth["rep_count"]
    pairs = []
    for g in found.reps:  # every rep found is a true rep, one to one
        overlap = [min(g.end_s, r["end_s"]) - max(g.start_s, r["start_s"]) for r in truth["reps"]]
        k = int(np.argmax(overlap))
        assert overlap[k] > 0
        pairs.append((truth["reps"][k], g))
    assert len({r["index"] for r, _ in pairs}) == len(pairs)
    for metric, limit in (("pelvic_drop_deg", drop_rmse), ("pelvic_tilt_deg", tilt_rmse)):
        err = np.array([g.metrics[metric] - r["metrics"][metric] for r, g in pairs
                        if g.metrics[metric] is not None])
        assert np.sqrt(np.mean(err ** 2)) <= limit, (metric, err)
