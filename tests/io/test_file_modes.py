"""Health data is readable by its owner only (issue 11, item 6): every folder
hipsense creates is 0700 and every file it writes 0600, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from hipsense.cli import main
from hipsense.history.store import import_folder, open_db
from hipsense.io.private import (
    make_private_dir, open_private, write_private_bytes, write_private_text,
)

from tests.conftest import REPO

WEEK = sorted((REPO / "sample_data").glob("2026-*"))[0]


@pytest.fixture
def umask():
    """Set the process umask for one test (restored after)."""
    saved = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


def _modes(root: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Modes of every folder and file below ``root`` (not ``root`` itself)."""
    dirs, files = {}, {}
    for here, dirnames, filenames in os.walk(root):
        for d in dirnames:
            dirs[os.path.join(here, d)] = stat.S_IMODE(os.lstat(os.path.join(here, d)).st_mode)
        for f in filenames:
            files[os.path.join(here, f)] = stat.S_IMODE(os.lstat(os.path.join(here, f)).st_mode)
    return dirs, files


def _assert_private(root: Path) -> tuple[int, int]:
    dirs, files = _modes(root)
    bad = [f"{oct(m)} {p}" for p, m in dirs.items() if m != 0o700]
    bad += [f"{oct(m)} {p}" for p, m in files.items() if m != 0o600]
    assert not bad, f"{len(bad)} of {len(dirs) + len(files)} paths not private:\n" + \
        "\n".join(sorted(bad))
    return len(dirs), len(files)


def _chromium_here() -> bool:
    from hipsense.report.html import find_chromium
    if find_chromium() is None and os.environ.get("HIPSENSE_REQUIRE_BROWSER"):
        pytest.fail("chromium is required (HIPSENSE_REQUIRE_BROWSER) but not installed")
    return find_chromium() is not None


@pytest.mark.slow
def test_every_command_writes_owner_only_under_umask_022(umask, tmp_path, capsys):
    umask(0o022)
    out = tmp_path / "out"   # everything below is made by hipsense
    db = out / "data" / "history.sqlite3"
    sim = out / "sim"
    assert main(["simulate", "--out", str(sim), "--seed", "3",
                 "--exercises", "single_leg_squat,clamshell"]) == 0
    assert main(["simulate", "--out", str(out / "weeks"), "--history", "2"]) == 0
    assert main(["record", "--out", str(out / "rec"), "--sensor", "virtual", "--unattended",
                 "--exercises", "clamshell", "--db", str(db)]) == 0
    assert main(["analyze", str(sim), "--json"]) == 0
    pdf = _chromium_here()
    assert main(["report", str(sim), *(["--pdf"] if pdf else [])]) == 0
    assert main(["import", str(sim), *map(str, sorted((out / "weeks").iterdir())),
                 "--db", str(db)]) == 0
    assert main(["reanalyze", "--db", str(db)]) == 0
    assert main(["history", "--db", str(db), "--csv", str(out / "reps.csv"),
                 "--parquet", str(out / "reps.parquet")]) == 0
    assert main(["trends", "--db", str(db), "-o", str(out / "trends.html")]) == 0
    assert main(["export", str(sim), "--parquet", str(out / "sets.parquet")]) == 0
    assert main(["recover", str(out / "rec" / "raw-packets.hslog"),
                 "--out", str(out / "recovered")]) == 0
    assert main(["demo", "--out", str(out / "demo")]) == 0
    capsys.readouterr()

    # the things the issue names are all there, and all private
    for name in ("data/history.sqlite3", "rec/raw-packets.hslog", "rec/session.json",
                 "rec/set01.csv", "sim/session.json", "sim/set01.csv", "sim/truth.json",
                 "sim/report.html", "reps.csv", "reps.parquet", "sets.parquet",
                 "trends.html", "recovered/session.json", "demo/history.sqlite3",
                 "demo/session/report.html", "demo/trends.html"):
        assert (out / name).is_file(), name
    if pdf:
        assert (sim / "report.pdf").read_bytes().startswith(b"%PDF")
    n_dirs, n_files = _assert_private(tmp_path)
    assert n_dirs >= 9 and n_files >= 60
    assert stat.S_IMODE(out.stat().st_mode) == 0o700


@pytest.mark.parametrize("mask", [0o000, 0o027, 0o077])
def test_modes_do_not_depend_on_the_umask(umask, tmp_path, mask, capsys):
    umask(mask)
    out = tmp_path / "out"
    db = out / "db" / "h.sqlite3"
    assert main(["simulate", "--out", str(out / "sim"), "--exercises", "clamshell"]) == 0
    assert main(["report", str(out / "sim")]) == 0
    assert main(["import", str(out / "sim"), "--db", str(db)]) == 0
    assert main(["history", "--db", str(db), "--csv", str(out / "reps.csv")]) == 0
    assert main(["export", str(out / "sim"), "--parquet", str(out / "sets.parquet")]) == 0
    capsys.readouterr()
    n_dirs, n_files = _assert_private(tmp_path)
    assert (n_dirs, n_files) == (3, 9)


def test_sqlite_journal_and_existing_files_are_made_private(umask, tmp_path):
    umask(0o022)
    # a database and a report an older hipsense left world-readable
    old_db = tmp_path / "old.sqlite3"
    sqlite3.connect(old_db).close()
    os.chmod(old_db, 0o644)
    conn = open_db(old_db)
    assert stat.S_IMODE(old_db.stat().st_mode) == 0o600
    # SQLite's rollback journal takes the database's mode: catch it mid-transaction
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO sessions (content_sha256, folder, imported_at, metadata_json) "
                 "VALUES ('x', 'f', 'now', '{}')")
    conn.execute("CREATE TABLE filler (x)")
    conn.executemany("INSERT INTO filler VALUES (?)", [(b"\0" * 4000,)] * 200)
    conn.execute("COMMIT")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM filler")
    journal = Path(str(old_db) + "-journal")
    assert journal.exists()
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    conn.execute("ROLLBACK")
    conn.close()

    report = tmp_path / "report.html"
    report.write_text("old")
    os.chmod(report, 0o644)
    assert main(["report", str(WEEK), "-o", str(report)]) == 0
    assert stat.S_IMODE(report.stat().st_mode) == 0o600


def test_existing_folders_keep_their_mode_new_ones_are_private(umask, tmp_path):
    umask(0o022)
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)   # the user's choice: -o into it must not change it
    assert main(["report", str(WEEK), "-o", str(shared / "r.html")]) == 0
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "r.html").stat().st_mode) == 0o600
    make_private_dir(shared / "a" / "b" / "c")
    for p in (shared / "a", shared / "a" / "b", shared / "a" / "b" / "c"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
    # a file where a folder should be is an error, not a silent pass
    (shared / "file").write_text("x")
    with pytest.raises(FileExistsError):
        make_private_dir(shared / "file" / "sub")


def test_helpers(umask, tmp_path):
    umask(0o000)
    write_private_text(tmp_path / "new" / "t.txt", "héllo\n")
    write_private_bytes(tmp_path / "b.bin", b"\x00\x01")
    with open_private(tmp_path / "a.log", "ab") as fh:
        fh.write(b"1")
    with open_private(tmp_path / "a.log", "ab") as fh:
        fh.write(b"2")
    assert (tmp_path / "a.log").read_bytes() == b"12"
    assert (tmp_path / "new" / "t.txt").read_text(encoding="utf-8") == "héllo\n"
    with pytest.raises(ValueError):
        open_private(tmp_path / "a.log", "rb")
    assert _assert_private(tmp_path) == (1, 3)
    # no temporary file is left behind by the atomic writes
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.log", "b.bin", "new", "t.txt"]


def test_history_database_made_by_import_is_private(umask, tmp_path):
    umask(0o022)
    db = tmp_path / "deep" / "er" / "h.sqlite3"
    conn = open_db(db)
    import_folder(conn, WEEK)
    conn.close()
    assert _assert_private(tmp_path) == (2, 1)
