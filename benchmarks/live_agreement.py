"""Agreement of the live rep counter with the offline analysis.

Simulates N sessions (benchmarks/accuracy.py's random programme: random
faults, holds, rep counts, rates, packet loss, and at ``--realism`` above 0 the
realities of real movement), feeds every rep set through the live analyzer
(:class:`hipsense.analysis.live.LiveSet`, in notification-sized batches, with
the session calibration's axes and gyroscope offset as the recorder does) and
the whole session through :func:`hipsense.analysis.analyze`, and prints the
number of rep sets, how often the live count equals the offline one and is
within one of it (target: within one on >= 98 %), per exercise and per start
kind, and the worst sets (with the simulator's true count).

Usage: python benchmarks/live_agreement.py [--sessions 40] [--seed 1000]
       [--jobs 2] [--realism 1] [--batch 8] [--worst 10]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from hipsense.analysis import analyze
from hipsense.analysis.calibration import calibrate
from hipsense.exercises import EXERCISES
from hipsense.analysis.live import LiveSet
from hipsense.sim import simulate_session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import random_spec  # noqa: E402


def evaluate(seed: int, realism: float = 1.0, batch: int = 8) -> list[dict]:
    """One row per rep set of the session: live, offline and true counts."""
    sim = simulate_session(random_spec(seed, realism), seed)
    result = analyze(sim.session)
    c = sim.session.calibration
    cal = calibrate(c.time_s, c.acc_g, c.gyr_dps) if c is not None else None
    rows = []
    for (info, rec), got, truth in zip(sim.session.sets, result.sets, sim.truth["sets"]):
        ex = EXERCISES[info.exercise]
        if ex.kind != "reps":
            continue
        live = LiveSet(ex, info.side, cal.axes if cal else None,
                       cal.gyr_offset_dps if cal else None)
        for i in range(0, len(rec), batch):
            live.feed(rec.time_s[i:i + batch], rec.acc_g[i:i + batch], rec.gyr_dps[i:i + batch])
        rows.append({"seed": seed, "exercise": info.exercise, "side": info.side,
                     "live": live.state.reps, "offline": len(got.reps),
                     "truth": truth["rep_count"], "start": truth.get("start_kind"),
                     "shape": truth.get("rep_shape")})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--realism", type=float, default=1.0,
                        help="realities of real movement: 0 idealised, 1 real (default), "
                             "2 doubled")
    parser.add_argument("--batch", type=int, default=8, help="samples per notification")
    parser.add_argument("--worst", type=int, default=10, help="how many worst sets to list")
    args = parser.parse_args()
    seeds = list(range(args.seed, args.seed + args.sessions))
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [r for rs in pool.map(evaluate, seeds, [args.realism] * len(seeds),
                                     [args.batch] * len(seeds)) for r in rs]
    d = np.array([r["live"] - r["offline"] for r in rows])
    print(f"{len(seeds)} sessions (seeds {seeds[0]}..{seeds[-1]}), realism {args.realism:g}, "
          f"{args.batch} samples per notification")
    print(f"rep sets {d.size}: live = offline {np.mean(d == 0):6.1%}, within one "
          f"{np.mean(np.abs(d) <= 1):6.1%}  (target: within one >= 98 %)")
    live_t = np.array([r["live"] - r["truth"] for r in rows])
    off_t = np.array([r["offline"] - r["truth"] for r in rows])
    print(f"  vs the true count: live exact {np.mean(live_t == 0):6.1%}, within one "
          f"{np.mean(np.abs(live_t) <= 1):6.1%}; offline exact {np.mean(off_t == 0):6.1%}, "
          f"within one {np.mean(np.abs(off_t) <= 1):6.1%}")
    for key in ("exercise", "start", "shape"):
        groups = defaultdict(list)
        for r, x in zip(rows, d):
            if r[key] is not None:
                groups[r[key]].append(x)
        if len(groups) > 1:
            print(f"  by {key}:")
            for name, xs in sorted(groups.items()):
                x = np.array(xs)
                print(f"    {name:22s} n {x.size:4d}  exact {np.mean(x == 0):6.1%}  "
                      f"within one {np.mean(np.abs(x) <= 1):6.1%}  mean {x.mean():+.2f}")
    order = np.argsort(-np.abs(d), kind="stable")
    worst = [rows[i] for i in order[:args.worst] if d[i] != 0]
    if worst:
        print("worst sets (live, offline, true)")
        for r in worst:
            print(f"  seed {r['seed']} {r['exercise']} {r['side']} (start {r['start']}, "
                  f"shape {r['shape']}): {r['live']}, {r['offline']}, {r['truth']}")
    return 0 if np.mean(np.abs(d) <= 1) >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
