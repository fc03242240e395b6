"""Speed and memory of `hipsense analyze` on one hour of recording at 100 Hz,
against what a user would otherwise write (the `ahrs` package's Madgwick filter
plus scipy's find_peaks over the same files).

Prints, for each: CPU seconds (user + system) of the whole command including
interpreter start-up and imports, CPU seconds of the work alone, and peak
resident memory; then the ratio. Needs the bench extra: pip install '.[bench]'.

Usage: python benchmarks/speed.py [--minutes 60] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from hipsense.io import write_session
from hipsense.sim import SessionSpec, programme_sets, simulate_session

ALTERNATIVE = textwrap.dedent("""
    import sys, time
    t0 = time.process_time()
    from pathlib import Path
    import json
    import numpy as np
    import pandas as pd
    from ahrs.filters import Madgwick
    from scipy.signal import find_peaks
    folder = Path(sys.argv[1])
    meta = json.loads((folder / "session.json").read_text())
    t1 = time.process_time()
    reps = 0
    for entry in meta["sets"]:
        df = pd.read_csv(folder / entry["file"])
        t = df["time_s"].to_numpy()
        acc = df[["acc_x_g", "acc_y_g", "acc_z_g"]].to_numpy() * 9.80665
        gyr = np.radians(df[["gyr_x_dps", "gyr_y_dps", "gyr_z_dps"]].to_numpy())
        q = Madgwick(gyr=gyr, acc=acc, frequency=1.0 / np.median(np.diff(t))).Q
        w, x, y, z = q.T
        # elevation of the sensor's x axis (nominally up) and y axis (left)
        tilt = np.degrees(np.arcsin(np.clip(2 * (x * z - w * y), -1, 1)))
        roll = np.degrees(np.arcsin(np.clip(2 * (y * z + w * x), -1, 1)))
        movement = np.abs(tilt - tilt[:200].mean()) + np.abs(roll - roll[:200].mean())
        peaks, _ = find_peaks(movement, prominence=1.0, distance=60)
        reps += len(peaks)
    print(f"work_cpu_s={time.process_time() - t1:.3f} reps={reps}")
""")

OURS = textwrap.dedent("""
    import sys, time
    t0 = time.process_time()
    import hipsense
    from hipsense.analysis import analyze
    from hipsense.io import read_session
    t1 = time.process_time()
    result = analyze(read_session(sys.argv[1]))
    print(f"work_cpu_s={time.process_time() - t1:.3f} "
          f"reps={sum(s.rep_count for s in result.sets)}")
""")


def build_session(folder: Path, minutes: float) -> float:
    """Simulate whole programmes at 100 Hz until ``minutes`` of recording."""
    sets, seconds, k = [], 0.0, 0
    while seconds < minutes * 60:
        sim = simulate_session(SessionSpec(sets=programme_sets(), rate_hz=100.0,
                                           packet_loss=0.01), seed=500 + k)
        for info, rec in sim.session.sets:
            sets.append((info, rec))
            seconds += rec.duration_s
        k += 1
    session = sim.session
    from hipsense.core import SetInfo

    session.sets = [(SetInfo(f"set{i:03d}.csv", info.exercise, info.side), rec)
                    for i, (info, rec) in enumerate(sets, start=1)]
    write_session(session, folder)
    return seconds


def run(code: str, folder: Path) -> dict[str, float]:
    """Run a script in a fresh interpreter; its CPU time, peak memory and output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True,
                          text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    fields = dict(item.split("=") for item in proc.stdout.split())
    return {"total_cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "work_cpu_s": float(fields["work_cpu_s"]), "reps": int(fields["reps"]),
            # ru_maxrss of children is the largest child so far, in KiB on Linux
            "peak_mb": after.ru_maxrss / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--keep", type=Path, default=None, help="build the session here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "hour"
        if not (folder / "session.json").exists():
            seconds = build_session(folder, args.minutes)
        else:
            from hipsense.io import read_session
            seconds = sum(rec.duration_s for _, rec in read_session(folder).sets)
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"session: {seconds / 60:.1f} min of recording at 100 Hz, {size_mb:.0f} MB of CSV, "
              f"{os.cpu_count()} cores (each run uses one)")
        # the same work as `hipsense analyze DIR`; CPU time on a shared machine
        # varies, so three runs, the best and the median
        runs = sorted((run(OURS, folder) for _ in range(3)), key=lambda r: r["work_cpu_s"])
        ours = runs[1]
        print(f"hipsense analyze : {ours['total_cpu_s']:.2f} s CPU in all, "
              f"{ours['work_cpu_s']:.2f} s reading + analysing (median of 3; best "
              f"{runs[0]['work_cpu_s']:.2f} s), peak {ours['peak_mb']:.0f} MB, "
              f"{ours['reps']} reps")
        alt = run(ALTERNATIVE, folder)
        print(f"ahrs Madgwick + find_peaks: {alt['total_cpu_s']:.2f} s CPU in all, "
              f"{alt['work_cpu_s']:.2f} s reading + filtering, {alt['reps']} peaks")
        print(f"ratio (work): {alt['work_cpu_s'] / ours['work_cpu_s']:.0f}x faster; "
              f"(whole command): {alt['total_cpu_s'] / ours['total_cpu_s']:.0f}x  "
              f"(targets: < 1 s CPU for one hour, >= 20x, < 500 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
