"""The history store: every imported session's analysis in one SQLite file.

Plain SQL, versioned by ``PRAGMA user_version`` (one migration script per
version, applied in order in one exclusive transaction that reads the version
again once it holds the lock, so processes opening a new database at once
migrate it once). A session is identified by
the contents of its files (SHA-256 of session.json and every recording it
names), so importing it again changes nothing, from wherever it is imported.
Each session keeps the analysis of one hipsense version; ``reanalyze``
replaces it with the running version's.

Under load and faults: every connection waits up to :data:`BUSY_TIMEOUT_S` for
a lock; writes take the write lock when they begin (``BEGIN IMMEDIATE``), and
an import inserts ``ON CONFLICT DO NOTHING``, so the same session imported by
several processes at once is stored once and the others say it is already
there. A read-only file or folder, a lock held beyond the timeout, a damaged
or foreign file and a newer schema each give one :class:`HipsenseError` line
naming the file. The file is created 0600 in a folder created 0700 (SQLite
gives its journal the database's mode).

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
from typing import TYPE_CHECKING, Any

from hipsense.consts import SESSION_FILE
from hipsense.errors import HipsenseError
from hipsense.io.private import FILE_MODE, make_private, make_private_dir
from hipsense.version import __version__

if TYPE_CHECKING:
    from hipsense.analysis.results import SessionResult
    from hipsense.core import Session

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


#: Seconds a connection waits for another process's lock before giving up.
BUSY_TIMEOUT_S = 15.0

#: The tables every hipsense history database has (from migration 1 on).
_TABLES = frozenset({"sessions", "analyses", "sets", "reps", "rep_metrics", "set_medians",
                     "flags", "comparisons"})


def default_db_path() -> Path:
    """``$HIPSENSE_DB``, else ``history.sqlite3`` in the user's data directory."""
    env = os.environ.get("HIPSENSE_DB")
    if env:
        return Path(env)
    return _default_dir() / "history.sqlite3"


def _default_dir() -> Path:
    from platformdirs import user_data_dir
    return Path(user_data_dir("hipsense", appauthor=False))


class HistoryDB(sqlite3.Connection):
    """A connection to the history database that knows its file (for messages)."""

    path: Path
    timeout_s: float


def open_db(path: str | Path | None = None, *, timeout_s: float | None = None
            ) -> HistoryDB:
    """Open (creating and migrating as needed) the history database.

    A new file is made 0600 (its folder, when created, 0700); an existing one
    loses group and world access. Waits up to ``timeout_s`` (default
    :data:`BUSY_TIMEOUT_S`) for other processes' locks. Raises HipsenseError
    (one line naming the file) for a read-only, locked, damaged, foreign or
    newer database.
    """
    path = Path(path) if path is not None else default_db_path()
    timeout_s = BUSY_TIMEOUT_S if timeout_s is None else timeout_s
    _create_private(path)
    with _faults(path, timeout_s):
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None,
                               factory=HistoryDB)
        conn.path, conn.timeout_s = path, timeout_s
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            version = _schema_version(conn, path)
            if version < SCHEMA_VERSION:
                _migrate(conn, path)
            tables = {r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not _TABLES <= tables:
                raise HipsenseError(
                    f"{path}: not a hipsense history database (it lacks the tables "
                    f"{', '.join(sorted(_TABLES - tables))}); choose another --db")
        except BaseException:
            conn.close()
            raise
    conn.row_factory = sqlite3.Row
    return conn


def _create_private(path: Path) -> None:
    """Make the database file 0600 before SQLite opens it (SQLite would use the
    umask), its folder 0700 when missing; an older database loses group and
    world access (the owner's bits stay: a read-only file stays read-only)."""
    try:
        make_private_dir(path.parent)
    except OSError as exc:
        raise HipsenseError(f"{path}: cannot create the folder {path.parent} for the "
                            f"history database: {exc.strerror or exc}") from None
    if path.parent == _default_dir():
        make_private(path.parent)  # hipsense's own folder, made 0755 by older versions
    if path.is_dir():
        raise HipsenseError(f"{path}: is a folder, not a history database file")
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        make_private(path)
    except PermissionError:
        raise HipsenseError(f"{path}: cannot create the history database: the folder "
                            f"{path.parent} is not writable") from None
    except OSError as exc:
        raise HipsenseError(f"{path}: cannot create the history database: "
                            f"{exc.strerror or exc}") from None


def _schema_version(conn: sqlite3.Connection, path: Path) -> int:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise HipsenseError(f"{path}: made by a newer hipsense (schema {version}, this one "
                            f"knows {SCHEMA_VERSION}); upgrade hipsense")
    return version


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date in one exclusive transaction; the version is
    read again under the lock (another process may have migrated meanwhile)."""
    conn.execute("BEGIN EXCLUSIVE")
    try:
        version = _schema_version(conn, path)
        if version == 0:
            foreign = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")]
            if foreign:
                raise HipsenseError(f"{path}: not a hipsense history database (it holds "
                                    f"{len(foreign)} other tables or indexes); choose "
                                    "another --db")
        for v in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[v].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {v + 1}")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the write lock at once (waiting up to the
    busy timeout for it), so it never fails half-way for a lock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# SQLite's primary result codes (sqlite3.h) that name a fault of the file.
_BUSY, _LOCKED, _READONLY, _CORRUPT, _CANTOPEN, _NOTADB = 5, 6, 8, 11, 14, 26
_READONLY_DIRECTORY = _READONLY | (6 << 8)


def db_path(conn: sqlite3.Connection) -> Path | str:
    """The file of a connection (for messages)."""
    path = getattr(conn, "path", None)
    if path is not None:
        return path
    try:
        return conn.execute("PRAGMA database_list").fetchone()[2] or "history database"
    except sqlite3.Error:
        return "history database"


@contextmanager
def database_faults(conn: sqlite3.Connection) -> Iterator[None]:
    """Turn any SQLite error inside into one HipsenseError line naming the file."""
    with _faults(db_path(conn), getattr(conn, "timeout_s", BUSY_TIMEOUT_S)):
        yield


@contextmanager
def _faults(path: Path | str, timeout_s: float) -> Iterator[None]:
    try:
        yield
    except HipsenseError:
        raise
    except Exception as exc:
        cause = _sqlite_cause(exc)
        if cause is None:
            raise
        raise _describe(path, cause, timeout_s) from None


def _sqlite_cause(exc: BaseException) -> sqlite3.Error | None:
    """The sqlite3 error behind ``exc`` (pandas wraps them in its own)."""
    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 5:
        if isinstance(e, sqlite3.Error):
            return e
        e = e.__cause__ or e.__context__
        seen += 1
    return None


def _describe(path: Path | str, exc: sqlite3.Error, timeout_s: float) -> HipsenseError:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    folder = Path(path).parent
    if primary in (_BUSY, _LOCKED) or "locked" in text:
        return HipsenseError(f"{path}: the history database is locked by another program "
                             f"(waited {timeout_s:g} s); try again when it has finished")
    if primary == _READONLY or "readonly" in text:
        if code == _READONLY_DIRECTORY or (os.access(path, os.W_OK)
                                          and not os.access(folder, os.W_OK)):
            why = (f"its folder {folder} is read-only (SQLite writes a journal beside the "
                   "database)")
        elif not os.access(path, os.W_OK):
            why = "the file is read-only"
        else:
            why = text
        return HipsenseError(f"{path}: cannot write the history database: {why}")
    if primary in (_CORRUPT, _NOTADB):
        return HipsenseError(f"{path}: not a hipsense history database, or a damaged one "
                             f"({text}); move it aside to start a new history")
    if primary == _CANTOPEN:
        return HipsenseError(f"{path}: cannot open the history database ({text})")
    return HipsenseError(f"{path}: history database error: {text}")


def content_sha256(folder: Path, metadata: dict[str, Any]) -> str:
    """Identity of a session: its session.json and every recording it names,
    read through :func:`~hipsense.io.session.read_member` (inside the folder,
    regular files, capped): SessionFormatError for a file it refuses,
    FileNotFoundError for one that is gone."""
    from hipsense.io.session import read_member

    h = hashlib.sha256()
    names = [SESSION_FILE]
    if metadata.get("calibration"):
        names.append(metadata["calibration"])
    names += [s["file"] for s in metadata.get("sets", [])]
    for name in names:
        h.update(name.encode() + b"\0")
        h.update(hashlib.sha256(read_member(folder, name)).digest())
    return h.hexdigest()


@dataclass(frozen=True)
class Imported:
    session_id: int
    new: bool
    folder: Path


def import_session(conn: sqlite3.Connection, session: Session, result: SessionResult
                   ) -> Imported:
    """Store a session read from its folder (``session.folder``) and its analysis;
    a session already there is left as it is.

    Safe to run in several processes at once on one database: the analysis is
    done before (outside any lock), the insert inside one write transaction, and
    a session another process stored meanwhile is reported as already there
    (``new`` False).
    """
    from hipsense.io.session import session_document

    if session.folder is None:
        raise ValueError("import_session needs a session read from its folder")
    folder = Path(session.folder).resolve()
    metadata = session_document(session)
    key = content_sha256(folder, metadata)
    find = "SELECT id FROM sessions WHERE content_sha256 = ?"
    with database_faults(conn):
        row = conn.execute(find, (key,)).fetchone()
        if row is not None:
            return Imported(row[0], False, folder)
        with _transaction(conn):
            cur = conn.execute(
                "INSERT INTO sessions (content_sha256, folder, started_at, athlete, "
                "simulated, imported_at, metadata_json) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (content_sha256) DO NOTHING",
                (key, str(folder), metadata.get("started_at"), metadata.get("athlete"),
                 int("simulation" in metadata), _now(), json.dumps(metadata)))
            if cur.rowcount == 0:  # stored by another process since the look-up
                return Imported(conn.execute(find, (key,)).fetchone()[0], False, folder)
            session_id = int(cur.lastrowid)
            _store_analysis(conn, session_id, result.to_json())
    return Imported(session_id, True, folder)


def import_folder(conn: sqlite3.Connection, folder: str | Path) -> Imported:
    """Read a session folder (validating it), analyse it and store it
    (:func:`import_session`); ``hipsense import`` does this for each folder."""
    from hipsense.analysis import analyze
    from hipsense.io.session import read_session

    session = read_session(folder)
    return import_session(conn, session, analyze(session))


def reanalyze(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """Analyse every stored session again with this hipsense (those whose folder
    is gone or changed keep their analysis). Returns (session id, outcome).

    Every session's files are checked first, through the safe reader of
    session files: a file that links out of its session folder, is above the
    size cap or is no regular file stops it before anything changes, with a
    SessionFormatError naming the file (one line, exit 2 from the command line).
    """
    from hipsense.analysis import analyze
    from hipsense.io.session import read_session

    out: dict[int, str] = {}
    with database_faults(conn):
        rows = conn.execute("SELECT id, folder, content_sha256, metadata_json FROM sessions "
                            "ORDER BY started_at").fetchall()
    todo = []
    for row in rows:
        folder = Path(row["folder"])
        try:
            same = content_sha256(folder, json.loads(row["metadata_json"])) == \
                row["content_sha256"]
        except FileNotFoundError:
            out[row["id"]] = f"{folder}: not found; kept"
            continue
        if same:
            todo.append(row)
        else:
            out[row["id"]] = f"{folder}: changed since the import; kept"
    for row in todo:
        folder = Path(row["folder"])
        result = analyze(read_session(folder)).to_json()
        with database_faults(conn), _transaction(conn):
            for table in ("analyses", "flags", "comparisons", "sets"):
                conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (row["id"],))
            _store_analysis(conn, row["id"], result)
        out[row["id"]] = f"{folder}: analysed with hipsense {__version__}"
    return [(row["id"], out[row["id"]]) for row in rows]


def _store_analysis(conn: sqlite3.Connection, session_id: int, result: dict[str, Any]) -> None:
    from hipsense.analysis.orientation import DEFAULT_FILTER
    from hipsense.exercises import THRESHOLDS

    settings = {"filter": DEFAULT_FILTER.__dict__, "thresholds": THRESHOLDS.__dict__}
    conn.execute("INSERT INTO analyses VALUES (?, ?, ?, ?, ?, ?)",
                 (session_id, __version__, json.dumps(settings, default=str), _now(),
                  int(bool(result["calibration"].get("ok"))), json.dumps(result)))
    for index, s in enumerate(result["sets"], start=1):
        if "run" in s:  # a run (running.md): its steps and per-side medians
            s = _run_as_set(s)
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


def _run_as_set(s: dict[str, Any]) -> dict[str, Any]:
    """A run set's JSON in the sets table's shape: ``rep_count`` the steps, no
    reps or holds, medians ``pelvic_drop_left_deg`` / ``pelvic_drop_right_deg``
    (steady steps, running.md) and the asymmetry."""
    run = s["run"]
    medians = {}
    for side in ("left", "right"):
        summary = run.get(side) or {}
        medians[f"pelvic_drop_{side}_deg"] = summary.get("pelvic_drop_deg")
    medians["drop_asymmetry_deg"] = run.get("drop_asymmetry_deg")
    return {**s, "rep_count": len(run.get("steps") or []), "reps": [], "holds": [],
            "medians": medians}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


#: Per-rep results across the history, one row per rep (or hold) and metric.
REPS_QUERY = """
SELECT s.id AS session_id, s.started_at, s.folder, s.athlete, a.hipsense_version,
       st.set_index, st.file, st.exercise, st.side, r.kind, r.rep_index, r.start_s,
       r.end_s, r.hold_s, m.metric, m.value_deg
FROM sessions s JOIN analyses a ON a.session_id = s.id
JOIN sets st ON st.session_id = s.id JOIN reps r ON r.set_id = st.id
JOIN rep_metrics m ON m.rep_id = r.id
ORDER BY s.started_at, s.id, st.set_index, r.kind, r.rep_index, m.metric
"""


def rep_table(conn: sqlite3.Connection, athlete: str | None = None):
    """Per-rep results across the history (one athlete's, when given) as a pandas
    DataFrame (REPS_QUERY's columns; ``session_id`` tells sessions apart,
    ``started_at`` may repeat or be missing)."""
    import pandas as pd

    query, params = REPS_QUERY, ()
    if athlete is not None:
        query = REPS_QUERY.replace("\nORDER BY", "\nWHERE COALESCE(s.athlete, '') = ?\nORDER BY")
        params = (athlete,)
    with database_faults(conn):
        return pd.read_sql_query(query, conn, params=params)


def sessions_table(conn: sqlite3.Connection, athlete: str | None = None
                   ) -> list[sqlite3.Row]:
    """The stored sessions (one athlete's, when given) with their number of sets
    and flags, oldest first."""
    where, params = _athlete_clause(athlete)
    with database_faults(conn):
        return conn.execute(
            "SELECT s.id, s.started_at, s.athlete, s.folder, s.simulated, a.hipsense_version, "
            "(SELECT COUNT(*) FROM sets WHERE session_id = s.id) AS sets, "
            "(SELECT COUNT(*) FROM flags WHERE session_id = s.id) AS flags "
            f"FROM sessions s JOIN analyses a ON a.session_id = s.id WHERE {where} "
            "ORDER BY s.started_at, s.id", params).fetchall()


def _athlete_clause(athlete: str | None, column: str = "s.athlete") -> tuple[str, tuple]:
    """SQL condition and parameters selecting one athlete's sessions (all for None)."""
    if athlete is None:
        return "1", ()
    # "" selects the sessions that name no athlete
    return f"COALESCE({column}, '') = ?", (athlete,)


def athletes(conn: sqlite3.Connection) -> list[str | None]:
    """The athletes in the history (session.json's ``athlete``; None for sessions
    without one), by name."""
    with database_faults(conn):
        rows = conn.execute("SELECT DISTINCT athlete FROM sessions").fetchall()
    names = [r[0] for r in rows]
    return sorted((n for n in names if n is not None), key=str.casefold) + \
        ([None] if None in names else [])


def require_athlete(conn: sqlite3.Connection, athlete: str | None) -> None:
    """HipsenseError naming the database and the athletes in it when ``athlete``
    (not None) has no session there."""
    if athlete is None:
        return
    known = athletes(conn)
    if (athlete or None) not in known:
        names = ", ".join(repr(n) for n in known if n is not None) or "none"
        raise HipsenseError(f"{db_path(conn)}: no sessions of athlete {athlete!r} "
                            f"(athletes: {names})")


def previous_session(conn: sqlite3.Connection, started_at: str | None, athlete: str | None,
                     ) -> tuple[str | None, dict[tuple[str, str, str], float]] | None:
    """The athlete's latest session that started before ``started_at``: its start
    and, per (exercise, side, metric), the first set's median (deg) and hold
    (``duration_s``, s). None when there is none (or no start to compare)."""
    if not started_at:
        return None
    where = "s.athlete IS ?"
    with database_faults(conn):
        row = conn.execute(
            f"SELECT s.id, s.started_at FROM sessions s WHERE {where} AND s.started_at < ? "
            "ORDER BY s.started_at DESC, s.id DESC LIMIT 1", (athlete, started_at)).fetchone()
        if row is None:
            return None
        values: dict[tuple[str, str, str], float] = {}
        for r in conn.execute(
                "SELECT st.exercise, st.side, st.hold_s, m.metric, m.value_deg "
                "FROM sets st LEFT JOIN set_medians m ON m.set_id = st.id "
                "WHERE st.session_id = ? ORDER BY st.set_index DESC", (row[0],)):
            # the first set of an exercise and side wins (rows come last first)
            if r["metric"] is not None and r["value_deg"] is not None:
                values[(r["exercise"], r["side"], r["metric"])] = float(r["value_deg"])
            if r["hold_s"] is not None:
                values[(r["exercise"], r["side"], "duration_s")] = float(r["hold_s"])
    return row[1], values


def athlete_sessions(conn: sqlite3.Connection, athlete: str | None) -> list[sqlite3.Row]:
    """One athlete's sessions (every session for None), oldest first: id, start,
    the number of sets, and the codes and severities of their flags as JSON
    (``flags_json``: a list of [code, severity, exercise, side])."""
    where, params = _athlete_clause(athlete)
    with database_faults(conn):
        return conn.execute(
            "SELECT s.id, s.started_at, s.athlete, "
            "(SELECT COUNT(*) FROM sets WHERE session_id = s.id) AS sets, "
            "(SELECT json_group_array(json_array(f.code, f.severity, st.exercise, st.side)) "
            " FROM flags f LEFT JOIN sets st ON st.id = f.set_id WHERE f.session_id = s.id) "
            "AS flags_json, "
            "(SELECT json_group_array(json_array(c.exercise, c.metric, c.flag)) "
            " FROM comparisons c WHERE c.session_id = s.id AND c.flag IS NOT NULL) "
            "AS comparisons_json "
            f"FROM sessions s WHERE {where} ORDER BY s.started_at, s.id", params).fetchall()
