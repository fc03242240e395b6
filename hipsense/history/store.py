"""The history store: every imported session's analysis in one SQLite file.

Plain SQL, versioned by ``PRAGMA user_version`` (one migration script per
version, applied in order in one transaction). A session is identified by
the contents of its files (SHA-256 of session.json and every recording it
names), so importing it again changes nothing, from wherever it is imported.
Each session keeps the analysis of one hipsense version; ``reanalyze``
replaces it with the running version's.

Angles are degrees (measurements.md), times seconds on the recording's clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hipsense import __version__
from hipsense.errors import HipsenseError

#: One script per schema version; never edit a released one, add the next.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        content_sha256 TEXT NOT NULL UNIQUE,
        folder TEXT NOT NULL,
        started_at TEXT,
        athlete TEXT,
        simulated INTEGER NOT NULL DEFAULT 0,
        imported_at TEXT NOT NULL,
        metadata_json TEXT NOT NULL
    );
    CREATE TABLE analyses (
        session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        hipsense_version TEXT NOT NULL,
        settings_json TEXT NOT NULL,
        analysed_at TEXT NOT NULL,
        calibration_ok INTEGER NOT NULL,
        result_json TEXT NOT NULL
    );
    CREATE TABLE sets (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        set_index INTEGER NOT NULL,
        file TEXT NOT NULL,
        exercise TEXT NOT NULL,
        side TEXT NOT NULL,
        rep_count INTEGER NOT NULL,
        hold_s REAL,
        quality_json TEXT NOT NULL,
        UNIQUE (session_id, set_index)
    );
    CREATE TABLE reps (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('rep', 'hold')),
        rep_index INTEGER NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        hold_s REAL,
        UNIQUE (set_id, kind, rep_index)
    );
    CREATE TABLE rep_metrics (
        rep_id INTEGER NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
        metric TEXT NOT NULL,
        value_deg REAL,
        PRIMARY KEY (rep_id, metric)
    );
    CREATE TABLE set_medians (
        set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,
        metric TEXT NOT NULL,
        value_deg REAL,
        PRIMARY KEY (set_id, metric)
    );
    CREATE TABLE flags (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        set_id INTEGER REFERENCES sets(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        reps_json TEXT
    );
    CREATE TABLE comparisons (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        exercise TEXT NOT NULL,
        metric TEXT NOT NULL,
        left_value REAL,
        right_value REAL,
        difference REAL,
        flag TEXT,
        PRIMARY KEY (session_id, exercise, metric)
    );
    CREATE INDEX sets_by_exercise ON sets (exercise, side);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    """``$HIPSENSE_DB``, else ``history.sqlite3`` in the user's data directory."""
    env = os.environ.get("HIPSENSE_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir
    return Path(user_data_dir("hipsense", appauthor=False)) / "history.sqlite3"


def open_db(path: str | Path | None = None) -> sqlite3.Connection:
    """Open (creating and migrating as needed) the history database."""
    path = Path(path) if path is not None else default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise HipsenseError(f"{path}: not a hipsense history database ({exc})") from None
    if version > SCHEMA_VERSION:
        raise HipsenseError(f"{path}: made by a newer hipsense (schema {version}, this one "
                            f"knows {SCHEMA_VERSION}); upgrade hipsense")
    for v in range(version, SCHEMA_VERSION):
        with _transaction(conn):
            for statement in MIGRATIONS[v].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {v + 1}")
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def content_sha256(folder: Path, metadata: dict[str, Any]) -> str:
    """Identity of a session: its session.json and every recording it names."""
    h = hashlib.sha256()
    names = ["session.json"]
    if metadata.get("calibration"):
        names.append(metadata["calibration"])
    names += [s["file"] for s in metadata.get("sets", [])]
    for name in names:
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256((folder / name).read_bytes()).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class Imported:
    session_id: int
    new: bool
    folder: Path


def import_session(conn: sqlite3.Connection, folder: str | Path) -> Imported:
    """Analyse a session folder and store it; a session already there is left as it is."""
    from hipsense import analyze_session

    folder = Path(folder).resolve()
    result = analyze_session(folder)  # validates the folder first
    metadata = json.loads((folder / "session.json").read_text(encoding="utf-8"))
    key = content_sha256(folder, metadata)
    row = conn.execute("SELECT id FROM sessions WHERE content_sha256 = ?", (key,)).fetchone()
    if row is not None:
        return Imported(row[0], False, folder)
    with _transaction(conn):
        cur = conn.execute(
            "INSERT INTO sessions (content_sha256, folder, started_at, athlete, simulated, "
            "imported_at, metadata_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, str(folder), metadata.get("started_at"), metadata.get("athlete"),
             int("simulation" in metadata), _now(), json.dumps(metadata)))
        session_id = int(cur.lastrowid)
        _store_analysis(conn, session_id, result.to_json())
    return Imported(session_id, True, folder)


def reanalyze(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """Analyse every stored session again with this hipsense (those whose folder
    is gone or changed keep their analysis). Returns (session id, outcome)."""
    from hipsense import analyze_session

    out = []
    for row in conn.execute("SELECT id, folder, content_sha256, metadata_json FROM sessions "
                            "ORDER BY started_at").fetchall():
        folder = Path(row["folder"])
        try:
            if content_sha256(folder, json.loads(row["metadata_json"])) != \
                    row["content_sha256"]:
                out.append((row["id"], f"{folder}: changed since the import; kept"))
                continue
        except OSError:
            out.append((row["id"], f"{folder}: not found; kept"))
            continue
        result = analyze_session(folder).to_json()
        with _transaction(conn):
            for table in ("analyses", "flags", "comparisons", "sets"):
                conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (row["id"],))
            _store_analysis(conn, row["id"], result)
        out.append((row["id"], f"{folder}: analysed with hipsense {__version__}"))
    return out


def _store_analysis(conn: sqlite3.Connection, session_id: int, result: dict[str, Any]) -> None:
    from hipsense.analysis.orientation import DEFAULT_FILTER
    from hipsense.exercises import THRESHOLDS

    settings = {"filter": DEFAULT_FILTER.__dict__, "thresholds": THRESHOLDS.__dict__}
    conn.execute("INSERT INTO analyses VALUES (?, ?, ?, ?, ?, ?)",
                 (session_id, __version__, json.dumps(settings, default=str), _now(),
                  int(bool(result["calibration"].get("ok"))), json.dumps(result)))
    for index, s in enumerate(result["sets"], start=1):
        hold = s["holds"][0]["duration_s"] if s["holds"] else None
        set_id = int(conn.execute(
            "INSERT INTO sets (session_id, set_index, file, exercise, side, rep_count, hold_s, "
            "quality_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, index, s["file"], s["exercise"], s["side"], s["rep_count"], hold,
             json.dumps(s["quality"]))).lastrowid)
        items = [("rep", r, r.get("hold_s")) for r in s["reps"]]
        items += [("hold", h, h["duration_s"]) for h in s["holds"]]
        for kind, item, hold_s in items:
            rep_id = int(conn.execute(
                "INSERT INTO reps (set_id, kind, rep_index, start_s, end_s, hold_s) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (set_id, kind, item["index"], item["start_s"], item["end_s"], hold_s)).lastrowid)
            conn.executemany("INSERT INTO rep_metrics VALUES (?, ?, ?)",
                             [(rep_id, m, v) for m, v in item["metrics"].items()])
        conn.executemany("INSERT INTO set_medians VALUES (?, ?, ?)",
                         [(set_id, m, v) for m, v in s["medians"].items()])
        conn.executemany(
            "INSERT INTO flags (session_id, set_id, code, severity, message, reps_json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(session_id, set_id, f["code"], f["severity"], f["message"],
              json.dumps(f.get("reps"))) for f in s["flags"]])
    conn.executemany(
        "INSERT INTO comparisons VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(session_id, c["exercise"], c["metric"], c["left"], c["right"], c["difference"],
          c["flag"]) for c in result["comparisons"]])


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


#: Per-rep results across the history, one row per rep (or hold) and metric.
REPS_QUERY = """
SELECT s.started_at, s.folder, s.athlete, a.hipsense_version, st.set_index, st.file,
       st.exercise, st.side, r.kind, r.rep_index, r.start_s, r.end_s, r.hold_s,
       m.metric, m.value_deg
FROM sessions s JOIN analyses a ON a.session_id = s.id
JOIN sets st ON st.session_id = s.id JOIN reps r ON r.set_id = st.id
JOIN rep_metrics m ON m.rep_id = r.id
ORDER BY s.started_at, s.id, st.set_index, r.kind, r.rep_index, m.metric
"""


def rep_table(conn: sqlite3.Connection):
    """Per-rep results across the history as a pandas DataFrame (REPS_QUERY's columns)."""
    import pandas as pd

    return pd.read_sql_query(REPS_QUERY, conn)


def sessions_table(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT s.id, s.started_at, s.folder, s.simulated, a.hipsense_version, "
        "(SELECT COUNT(*) FROM sets WHERE session_id = s.id) AS sets, "
        "(SELECT COUNT(*) FROM flags WHERE session_id = s.id) AS flags "
        "FROM sessions s JOIN analyses a ON a.session_id = s.id ORDER BY s.started_at, s.id"
    ).fetchall()
