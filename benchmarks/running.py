"""Benchmark of the running check (issue 15): contact timing (ms), side
accuracy (%), per-step drop RMSE and per-side median error (deg).

    python benchmarks/running.py [--sim-seeds 5000-5019] [--rates 100,200] [--no-real]

Simulated runs (``hipsense.sim.running``, realistic mounting, sway, skin wobble
and sensor noise): the analysis was tuned on seeds 1000-1019; report on others.
Real data, read from ``../shared/realdata`` at run time (never copied):
``walking_lowback`` (lower-back IMU walking, foot-sensor contacts),
``running_rbds`` (Fukuchi et al., PeerJ 5:e3298, 2017: a virtual sacral IMU
from the pelvis markers, contacts from the treadmill force, drop from the
marker pelvis), ``running_sacral_acc_sample`` (acc only: cadence only).

Errors: a detected contact is matched to the nearest true IC within 0.15 s;
IC/TO errors are the medians of |detected - true|; side accuracy is over the
matched contacts; the drop RMSE over matched steps that both call steady; the
per-side median error is the analysis's per-side median minus the truth's
over the same (matched, steady) steps, and against the truth's own steady steps.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hipsense.analysis.calibration import calibrate  # noqa: E402
from hipsense.analysis.running import analyze_run  # noqa: E402
from hipsense.sim.movements import SetSpec  # noqa: E402
from hipsense.sim.session import SessionSpec, simulate_session  # noqa: E402

REALDATA = ROOT.parent / "shared" / "realdata"
MATCH_S = 0.15


def score(steps: list[Any], truth: list[dict[str, Any]], *, window_s: tuple[float, float]
          | None = None, excluded_s: tuple[tuple[float, float], ...] = (),
          truth_medians: dict[str, float | None] | None = None) -> dict[str, Any]:
    """Errors of detected steps against true contacts (see the module doc)."""
    tic = np.array([c["ic_s"] for c in truth])
    e_ic, e_to, side_ok, pairs = [], [], [], []
    for s in steps:
        if window_s and not window_s[0] <= s.ic_s <= window_s[1]:
            continue
        if any(a <= s.ic_s <= b for a, b in excluded_s):
            continue
        j = int(np.argmin(np.abs(tic - s.ic_s)))
        if abs(tic[j] - s.ic_s) > MATCH_S:
            continue
        c = truth[j]
        e_ic.append(s.ic_s - c["ic_s"])
        if c.get("to_s") is not None:
            e_to.append(s.to_s - c["to_s"])
        side_ok.append(s.side == c["side"])
        if c.get("pelvic_drop_deg") is not None and s.steady and c.get("steady", True):
            pairs.append((s.side, s.pelvic_drop_deg, c["pelvic_drop_deg"]))
    n_true = sum(1 for c in truth if (not window_s or window_s[0] <= c["ic_s"] <= window_s[1])
                 and not any(a <= c["ic_s"] <= b for a, b in excluded_s))
    out: dict[str, Any] = {
        "matched": len(e_ic), "true": n_true,
        "ic_ms": 1000 * float(np.median(np.abs(e_ic))) if e_ic else None,
        "ic_bias_ms": 1000 * float(np.median(e_ic)) if e_ic else None,
        "to_ms": 1000 * float(np.median(np.abs(e_to))) if e_to else None,
        "to_bias_ms": 1000 * float(np.median(e_to)) if e_to else None,
        "side_pct": 100 * float(np.mean(side_ok)) if side_ok else None,
    }
    if pairs:
        d = np.array([p[1] - p[2] for p in pairs])
        out["drop_rmse_deg"] = float(np.sqrt(np.mean(d ** 2)))
        for side in ("left", "right"):
            mine = [p for p in pairs if p[0] == side]
            if mine:
                out[f"{side}_median_err_deg"] = float(np.median([p[1] for p in mine])
                                                      - np.median([p[2] for p in mine]))
                if truth_medians and truth_medians.get(side) is not None:
                    out[f"{side}_median_vs_truth_deg"] = float(
                        np.median([p[1] for p in mine]) - truth_medians[side])
    return out


def sim_one(seed: int, rate_hz: float) -> dict[str, Any]:
    sim = simulate_session(SessionSpec(sets=(SetSpec("run", "both"),), rate_hz=rate_hz,
                                       realism=1.0), seed)
    _, rec = sim.session.sets[0]
    c = sim.session.calibration
    cal = calibrate(c.time_s, c.acc_g, c.gyr_dps)
    truth = sim.truth["sets"][0]
    res = analyze_run(rec.time_s, rec.acc_g, rec.gyr_dps, cal.axes.l, cal.axes.u)
    return score(res.steps, truth["steps"],
                 truth_medians={s: truth[s]["pelvic_drop_deg"] for s in ("left", "right")})


def _agg(rows: list[dict[str, Any]]) -> dict[str, float]:
    def col(k: str) -> np.ndarray:
        return np.array([r[k] for r in rows if r.get(k) is not None], dtype=float)
    side = sum(r["side_pct"] * r["matched"] for r in rows) / sum(r["matched"] for r in rows)
    med = np.abs(np.r_[col("left_median_err_deg"), col("right_median_err_deg")])
    med_t = np.abs(np.r_[col("left_median_vs_truth_deg"), col("right_median_vs_truth_deg")])
    return {"runs": len(rows), "detected_pct": 100 * col("matched").sum() / col("true").sum(),
            "ic_ms": float(np.median(col("ic_ms"))), "ic_ms_worst": float(col("ic_ms").max()),
            "to_ms": float(np.median(col("to_ms"))), "to_ms_worst": float(col("to_ms").max()),
            "side_pct": side, "side_pct_worst": float(col("side_pct").min()),
            "drop_rmse_deg": float(np.sqrt(np.mean(col("drop_rmse_deg") ** 2))),
            "drop_rmse_worst": float(col("drop_rmse_deg").max()),
            "median_err_deg_mean": float(med.mean()), "median_err_deg_worst": float(med.max()),
            "median_vs_truth_worst": float(med_t.max()) if med_t.size else float("nan")}


def _print(name: str, d: dict[str, Any]) -> None:
    print(f"{name}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                                  for k, v in d.items()), flush=True)


def _seeds(text: str) -> list[int]:
    a, _, b = text.partition("-")
    return list(range(int(a), int(b or a) + 1))


def real(report: dict[str, Any]) -> None:
    from hipsense.sim.running_data import (
        read_rbds, read_sacral_sample, read_walking, walking_trials,
    )

    folder = REALDATA / "walking_lowback"
    if folder.is_dir():
        rows = []
        for trial in walking_trials(folder):
            run = read_walking(folder, trial)
            r = run.recording
            res = analyze_run(r.time_s, r.acc_g, r.gyr_dps, run.l_sensor, run.u_sensor)
            rows.append(score(res.steps, run.contacts, window_s=run.window_s,
                              excluded_s=tuple(run.excluded_s)))
        side = sum(r["side_pct"] * r["matched"] for r in rows) / sum(r["matched"] for r in rows)
        d = {"trials": len(rows),
             "detected_pct": 100 * sum(r["matched"] for r in rows) / sum(r["true"] for r in rows),
             "ic_ms": float(np.median([r["ic_ms"] for r in rows])),
             "ic_bias_ms": float(np.median([r["ic_bias_ms"] for r in rows])),
             "to_ms": float(np.median([r["to_ms"] for r in rows])),
             "to_bias_ms": float(np.median([r["to_bias_ms"] for r in rows])),
             "side_pct": side, "side_pct_worst": min(r["side_pct"] for r in rows)}
        _print("walking_lowback (16 trials, U-turns excluded)", d)
        report["walking_lowback"] = d
    else:
        print(f"walking_lowback: not found at {folder}")
    folder = REALDATA / "running_rbds"
    if folder.is_dir():
        rows = []
        for seed in range(1, 5):
            for rate in (100.0, 200.0):
                run = read_rbds(folder, seed, rate)
                r = run.recording
                res = analyze_run(r.time_s, r.acc_g, r.gyr_dps, run.l_sensor, run.u_sensor)
                truth = [c for c in run.contacts if c["ic_s"] >= run.window_s[0]]
                tm = {s: float(np.median([c["pelvic_drop_deg"] for c in truth
                                          if c["side"] == s])) for s in ("left", "right")}
                rows.append(score(res.steps, truth, window_s=run.window_s, truth_medians=tm))
        d = _agg(rows)
        _print("running_rbds (RBDS001, virtual sacral IMU, seeds 1-4 x 100/200 Hz)", d)
        report["running_rbds"] = d
    else:
        print(f"running_rbds: not found at {folder}")
    folder = REALDATA / "running_sacral_acc_sample"
    if folder.is_dir():
        rec = read_sacral_sample(folder)
        res = analyze_run(rec.time_s, rec.acc_g, rec.gyr_dps, np.array([0.0, 1.0, 0.0]),
                          np.array([1.0, 0.0, 0.0]))
        ics = np.array([s.ic_s for s in res.steps])
        cadence = 60.0 / float(np.median(np.diff(ics))) if ics.size > 2 else float("nan")
        d = {"steps": len(res.steps), "mode": res.mode, "cadence_spm": cadence,
             "contact_s": float(np.median([s.contact_s for s in res.steps]))
             if res.steps else float("nan")}
        _print("running_sacral_acc_sample (acc only, no truth)", d)
        report["running_sacral_acc_sample"] = d


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sim-seeds", default="5000-5019")
    ap.add_argument("--rates", default="100,200")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--no-sim", action="store_true")
    args = ap.parse_args(argv)
    report: dict[str, Any] = {}
    t0 = time.time()
    if not args.no_sim:
        for rate in (float(x) for x in args.rates.split(",")):
            rows = [sim_one(seed, rate) for seed in _seeds(args.sim_seeds)]
            d = _agg(rows)
            _print(f"simulated {rate:.0f} Hz, seeds {args.sim_seeds}", d)
            report[f"sim_{rate:.0f}"] = d
    if not args.no_real:
        real(report)
    print(f"({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
