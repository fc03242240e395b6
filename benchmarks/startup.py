"""Start-up: ``hipsense analyze`` of a whole session, as a user runs it (a new
process each time), wall-clock and CPU, and what the process imports. Target:
under 1.2 s wall for a 20-minute session (sample_data's first week: calibration
and 14 sets over 17 minutes).

Usage: python benchmarks/startup.py [--runs 5] [SESSION_DIR]

The figures depend on the machine and on what else runs on it: the best of
``--runs`` is the one to compare. No test asserts them.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SESSION = ROOT / "sample_data" / "2026-10-05"
#: Third-party packages worth naming when the command imports them.
HEAVY = ("numpy", "scipy", "scipy.signal", "scipy.ndimage", "scipy.interpolate", "pyarrow",
         "jsonschema", "pandas", "matplotlib", "rich", "bleak")

#: Runs the command in-process and reports the split: imports, analysis, output.
PROBE = """
import io, contextlib, sys, time
t0 = time.perf_counter()
from hipsense.cli import main
import hipsense.analysis, hipsense.io, hipsense.report.table
t1 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["analyze", sys.argv[1]])
t2 = time.perf_counter()
heavy = [m for m in sys.argv[2].split(",") if m in sys.modules]
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {code} {','.join(heavy)}")
"""


def session_minutes(folder: Path) -> float:
    from hipsense.io import read_session

    session = read_session(folder)
    recs = [r for _, r in session.sets] + ([session.calibration] if session.calibration else [])
    first = min(float(r.time_s[0]) for r in recs)
    last = max(float(r.time_s[-1]) for r in recs)
    return (last - first) / 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session", nargs="?", type=Path, default=DEFAULT_SESSION)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "hipsense", "analyze", str(args.session)]
    subprocess.run(command, capture_output=True, check=True, env=env)  # warm the caches
    walls, cpus = [], []
    for _ in range(args.runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    probe = subprocess.run([sys.executable, "-c", PROBE, str(args.session), ",".join(HEAVY)],
                           capture_output=True, text=True, check=True, env=env).stdout.split()
    imports_s, analyse_s, heavy = float(probe[0]), float(probe[1]), probe[3:]
    print(f"session: {args.session} ({session_minutes(args.session):.1f} min recorded)")
    print(f"hipsense analyze, {args.runs} runs: wall best {min(walls):.2f} s, median "
          f"{statistics.median(walls):.2f} s; CPU best {min(cpus):.2f} s "
          f"(target: under 1.2 s wall)")
    print(f"in one process: imports {imports_s:.2f} s, reading + analysis + table "
          f"{analyse_s:.2f} s")
    print(f"imported: {', '.join(heavy[0].split(',')) if heavy else 'none of the heavy ones'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
