"""``hipsense demo``: the main job end to end on the built-in virtual sensor.

A simulated runner does the programme wearing the virtual sensor; the session
is recorded through the real recording path (bleak client, driver, raw log,
session folder), time-compressed; it is analysed, added to a fresh history
database together with sample_data's six weeks (the same runner's earlier
sessions, simulated), and the session and trends reports are written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console

from hipsense.consts import SESSION_FILE
from hipsense.errors import HipsenseError

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"
#: The sample runner's name in sample_data's session.json (the demo records as them).
SAMPLE_ATHLETE = "sample runner"


def _sample_weeks() -> list[Path]:
    """sample_data's weeks (in a source checkout), or made afresh (installed package)."""
    weeks = sorted(SAMPLE_DATA.glob("2026-*")) if SAMPLE_DATA.is_dir() else []
    return [w for w in weeks if (w / SESSION_FILE).exists()]


def run_demo(out: Path | None = None, seed: int = 7) -> dict[str, Path]:
    from hipsense.analysis import analyze
    from hipsense.history.store import import_folder, import_session, open_db, previous_session
    from hipsense.io import read_session
    from hipsense.io.output import prepare_session_folder
    from hipsense.io.private import make_private_dir
    from hipsense.io.session import write_text
    from hipsense.record.run import RecordArgs, record
    from hipsense.report.html import write_session_report
    from hipsense.report.summary import Previous
    from hipsense.report.trends import trends_report

    console = Console()
    root = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="hipsense-demo-"))
    make_private_dir(root)  # owner-only (0700); mkdtemp's is already
    db_path = root / "history.sqlite3"
    if db_path.exists():
        raise HipsenseError(f"{root}: holds an earlier demo; choose another --out")
    weeks = _sample_weeks()
    if not weeks:
        from hipsense.sim.session import write_runner_history

        console.print("Simulating the sample runner's six weeks...")
        weeks = [folder for folder, _ in write_runner_history(root / "history", 6, 2026)]
    session_dir = root / "session"
    prepare_session_folder(session_dir, force=False)
    console.print("Recording a session from the virtual sensor (time-compressed)...")
    record(RecordArgs(out=session_dir, unattended=True, seed=seed, coach=False,
                      athlete=SAMPLE_ATHLETE, run="add"))
    conn = open_db(db_path)
    for week in weeks:
        import_folder(conn, week)
    session = read_session(session_dir)  # analysed as saved, once
    result = analyze(session)
    import_session(conn, session, result)
    found = previous_session(conn, session.metadata.get("started_at"),
                             session.metadata.get("athlete"))
    report = write_session_report(result, session, session_dir / "report.html",
                                  previous=None if found is None else Previous(*found))
    trends = root / "trends.html"
    write_text(trends_report(conn, athlete=session.metadata.get("athlete")), trends)
    conn.close()
    return {"session": session_dir, "session report": report, "trends report": trends,
            "history": db_path}
