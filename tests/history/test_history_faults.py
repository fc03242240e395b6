"""The history database under load and faults (issue 11, item 7): processes
importing at once into a fresh database, and every fault of the file (read-only
file or folder, locked, corrupt, foreign, newer) as exit 2 and one line naming it."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import hipsense.history.store as store
from hipsense.cli import main
from hipsense.history.store import SCHEMA_VERSION, import_folder, open_db
from hipsense.io import write_session
from hipsense.sim import SessionSpec, programme_sets, simulate_session

from tests.conftest import REPO

WEEK = sorted((REPO / "sample_data").glob("2026-*"))[0]


@pytest.fixture(scope="module")
def small_sessions(tmp_path_factory) -> list[Path]:
    """Four small simulated sessions, different seeds, the same started_at."""
    root = tmp_path_factory.mktemp("small")
    spec = SessionSpec(sets=programme_sets(["clamshell"], reps=6))
    out = []
    for seed in (1, 2, 3, 4):
        folder = root / f"seed{seed}"
        write_session(simulate_session(spec, seed).session, folder)
        out.append(folder)
    return out


# --------------------------------------------------------------------- concurrency

def _meet_at_begins(barriers: dict[int, object]) -> None:
    """Make this process's SQLite connections wait at their n-th ``BEGIN`` until
    every process is there (``barriers[n]``): all of them have then read the
    schema version (n = 1, the migration) or looked the session up (n = 2, the
    insert) before any goes on, so they race on exactly those steps."""
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        conn = real_connect(*args, **kwargs)
        seen = [0]

        def trace(sql: str) -> None:
            if sql.lstrip().upper().startswith("BEGIN"):
                seen[0] += 1
                if seen[0] in barriers:
                    barriers[seen[0]].wait(timeout=120)

        conn.set_trace_callback(trace)
        return conn

    sqlite3.connect = connect


def _import_worker(db: str, folder: str, barriers, results) -> None:
    """One process: open the fresh database and import a session."""
    try:
        _meet_at_begins(barriers)
        conn = open_db(db)
        done = import_folder(conn, folder)
        conn.close()
        results.put((folder, done.new, done.session_id, None))
    except BaseException as exc:  # reported to the test, never lost
        for barrier in barriers.values():
            barrier.abort()  # the others go on (and say what they got)
        results.put((folder, None, None, f"{type(exc).__name__}: {exc}"))


def _open_worker(db: str, barriers, results) -> None:
    try:
        _meet_at_begins(barriers)
        conn = open_db(db)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.close()
        results.put((version, None))
    except BaseException as exc:
        for barrier in barriers.values():
            barrier.abort()
        results.put((None, f"{type(exc).__name__}: {exc}"))


def _run_processes(target, args_list: list[tuple], ctx) -> list[tuple]:
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, results)) for args in args_list]
    for p in procs:
        p.start()
    out = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return out


@pytest.mark.slow
def test_processes_opening_a_fresh_database_at_once_migrate_it_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    n = 8
    barriers = {1: ctx.Barrier(n)}
    db = str(tmp_path / "fresh.sqlite3")
    out = _run_processes(_open_worker, [(db, barriers)] * n, ctx)
    assert [err for _, err in out] == [None] * n
    assert [v for v, _ in out] == [SCHEMA_VERSION] * n
    conn = sqlite3.connect(db)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "ORDER BY name")]
    conn.close()
    assert tables == sorted(store._TABLES)


@pytest.mark.slow
def test_concurrent_imports_of_different_and_identical_sessions(tmp_path, small_sessions):
    """Six processes at once into a fresh database: three sessions, each imported
    by two processes, all migrating at once and all inserting at once. No error;
    each session stored once; one of each pair says imported, the other already
    there, with the same id."""
    ctx = multiprocessing.get_context("spawn")
    folders = [str(f) for f in small_sessions[:3]] * 2
    n = len(folders)
    barriers = {1: ctx.Barrier(n), 2: ctx.Barrier(n)}
    db = str(tmp_path / "h.sqlite3")
    out = _run_processes(_import_worker, [(db, f, barriers) for f in folders], ctx)
    assert [r[3] for r in out] == [None] * n
    by_folder: dict[str, list[tuple[bool, int]]] = {}
    for folder, new, sid, _ in out:
        by_folder.setdefault(folder, []).append((new, sid))
    assert len(by_folder) == 3
    for pair in by_folder.values():
        assert sorted(new for new, _ in pair) == [False, True]
        assert pair[0][1] == pair[1][1]
    conn = open_db(db)
    assert conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 3
    assert conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 3
    # each session's sets stored once (one clamshell set per side)
    assert [r[0] for r in conn.execute(
        "SELECT COUNT(*) FROM sets GROUP BY session_id ORDER BY session_id")] == [2, 2, 2]
    conn.close()


def test_a_lock_shorter_than_the_busy_timeout_is_waited_for(tmp_path, small_sessions, capsys):
    db = tmp_path / "h.sqlite3"
    open_db(db).close()
    locker = _hold_lock(db, seconds=1.5)
    try:
        t0 = time.monotonic()
        assert main(["import", str(small_sessions[0]), "--db", str(db)]) == 0
        waited = time.monotonic() - t0
    finally:
        locker.communicate(timeout=30)
    assert "imported (session 1)" in capsys.readouterr().out
    assert waited >= 1.0 and store.BUSY_TIMEOUT_S >= 10


# ------------------------------------------------------------------ history --csv

def test_history_csv_counts_sessions_not_start_times(tmp_path, small_sessions, capsys):
    db = str(tmp_path / "h.sqlite3")
    assert main(["import", *map(str, small_sessions), "--db", db]) == 0
    started = {pd.read_json(f / "session.json", typ="series")["started_at"]
               for f in small_sessions}
    assert len(started) == 1  # all four share one start time: the old count said 1
    capsys.readouterr()
    assert main(["history", "--db", db, "--csv", str(tmp_path / "r.csv")]) == 0
    out = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "r.csv")
    assert table.session_id.nunique() == 4
    assert f"wrote {len(table)} rows (4 sessions)" in out


# -------------------------------------------------------------------------- faults

def _one_line_error(err: str, path: Path, *words: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("hipsense: error: ") and str(path) in lines[0], lines[0]
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _without_root_override() -> list[str]:
    """A command prefix under which file modes bind (root ignores them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and setpriv (util-linux) is not here to drop "
                    "CAP_DAC_OVERRIDE: a read-only file cannot be made read-only for root")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def _cli(args: list[str], prefix: list[str] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "hipsense", *args],
                          capture_output=True, text=True, timeout=300)


def _check_binding(prefix: list[str], path: Path) -> None:
    probe = subprocess.run([*prefix, sys.executable, "-c",
                            f"open({str(path)!r}, 'ab')"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip(f"{path} stays writable here even read-only (file modes not enforced)")


def test_read_only_database_file(tmp_path, small_sessions):
    db = tmp_path / "h.sqlite3"
    conn = open_db(db)
    import_folder(conn, small_sessions[0])
    conn.close()
    os.chmod(db, 0o444)
    prefix = _without_root_override()
    _check_binding(prefix, db)
    before = db.read_bytes()
    # reading still works: the sessions are listed
    done = _cli(["history", "--db", str(db)], prefix)
    assert done.returncode == 0, done.stderr
    assert "1 session in the history" in done.stdout
    done = _cli(["import", str(small_sessions[1]), "--db", str(db)], prefix)
    assert done.returncode == 2
    _one_line_error(done.stderr, db, "cannot write the history database", "read-only")
    assert db.read_bytes() == before
    assert (os.stat(db).st_mode & 0o777) == 0o400  # group and world bits gone, still read-only


def test_read_only_folder(tmp_path, small_sessions):
    folder = tmp_path / "ro"
    db = folder / "h.sqlite3"
    conn = open_db(db)
    import_folder(conn, small_sessions[0])
    conn.close()
    os.chmod(folder, 0o555)
    try:
        prefix = _without_root_override()
        _check_binding(prefix, folder / "new-file")
        done = _cli(["import", str(small_sessions[1]), "--db", str(db)], prefix)
        assert done.returncode == 2
        _one_line_error(done.stderr, db, f"its folder {folder} is read-only")
        # a new database in a read-only folder
        fresh = folder / "fresh.sqlite3"
        done = _cli(["import", str(small_sessions[1]), "--db", str(fresh)], prefix)
        assert done.returncode == 2
        _one_line_error(done.stderr, fresh, f"the folder {folder} is not writable")
        assert not fresh.exists()
    finally:
        os.chmod(folder, 0o700)


def _hold_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another process holding an exclusive lock on ``db`` for ``seconds``."""
    code = ("import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "c.execute('UPDATE sessions SET folder = folder')\n"
            "print('locked', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n"
            "c.execute('COMMIT')\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_locked_beyond_the_timeout(tmp_path, small_sessions, monkeypatch, capsys):
    db = tmp_path / "h.sqlite3"
    conn = open_db(db)
    import_folder(conn, small_sessions[0])
    conn.close()
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.5)
    locker = _hold_lock(db, seconds=120)
    try:
        for args in (["import", str(small_sessions[1])], ["history"], ["reanalyze"],
                     ["trends", "-o", str(tmp_path / "t.html")]):
            t0 = time.monotonic()
            assert main([*args, "--db", str(db)]) == 2
            assert time.monotonic() - t0 < 60
            err = capsys.readouterr().err
            _one_line_error(err, db, "locked by another program", "waited 0.5 s")
            assert "not a hipsense history database" not in err
    finally:
        locker.kill()
        locker.communicate(timeout=30)
    # the lock gone, the import goes through
    assert main(["import", str(small_sessions[1]), "--db", str(db)]) == 0


def test_not_a_database_corrupt_foreign_and_newer(tmp_path, small_sessions, capsys):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not sqlite at all " * 200)
    assert main(["history", "--db", str(junk)]) == 2
    _one_line_error(capsys.readouterr().err, junk, "not a hipsense history database",
                    "file is not a database")

    # a real history whose pages after the first are overwritten
    damaged = tmp_path / "damaged.sqlite3"
    conn = open_db(damaged)
    import_folder(conn, small_sessions[0])
    conn.close()
    data = bytearray(damaged.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = bytes(range(256)) * ((len(data) - page) // 256) + b"\xff" * (
        (len(data) - page) % 256)
    damaged.write_bytes(bytes(data))
    for args in (["history"], ["history", "--csv", str(tmp_path / "r.csv")],
                 ["import", str(small_sessions[1])]):
        assert main([*args, "--db", str(damaged)]) == 2
        _one_line_error(capsys.readouterr().err, damaged, "damaged one")

    # another program's SQLite database is left alone
    foreign = tmp_path / "notes.sqlite3"
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE notes (text TEXT)")
    before = foreign.read_bytes()
    assert main(["import", str(small_sessions[0]), "--db", str(foreign)]) == 2
    _one_line_error(capsys.readouterr().err, foreign, "not a hipsense history database",
                    "1 other tables")
    assert foreign.read_bytes() == before

    newer = tmp_path / "newer.sqlite3"
    open_db(newer).close()
    with sqlite3.connect(newer) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    assert main(["history", "--db", str(newer)]) == 2
    _one_line_error(capsys.readouterr().err, newer, "newer hipsense", "upgrade hipsense")

    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert main(["history", "--db", str(folder)]) == 2
    _one_line_error(capsys.readouterr().err, folder, "is a folder")
