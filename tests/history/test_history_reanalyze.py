"""``reanalyze`` reads a stored session's files as every reader of a session
does: a file that links out of its session folder, one above the size cap or
one that is no regular file is refused, unread, with one line naming it (exit
2), and no stored analysis changes."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from hipsense.cli import main
from hipsense.history.store import import_folder, open_db
from hipsense.io import write_session
from hipsense.io.safe import MAX_RECORDING_BYTES
from hipsense.sim import SessionSpec, programme_sets, simulate_session

SECRET = "do-not-echo-this-secret-line"


@pytest.fixture(scope="module")
def session_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("src") / "session"
    spec = SessionSpec(sets=programme_sets(["clamshell"], reps=5))
    write_session(simulate_session(spec, 5).session, folder)
    return folder


@pytest.fixture
def stored(tmp_path, session_dir):
    """Two sessions imported, their analyses marked as an old hipsense's."""
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(session_dir, first)
    write_session(simulate_session(SessionSpec(sets=programme_sets(["clamshell"], reps=5)),
                                   6).session, second)
    db = tmp_path / "h.sqlite3"
    conn = open_db(db)
    import_folder(conn, first)
    import_folder(conn, second)
    conn.execute("UPDATE analyses SET hipsense_version = '0.0.1'")
    conn.commit()
    conn.close()
    return db, first


def _versions(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [r[0] for r in conn.execute(
            "SELECT hipsense_version FROM analyses ORDER BY session_id")]


def _refused(db: Path, capsys) -> str:
    capsys.readouterr()
    assert main(["reanalyze", "--db", str(db)]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hipsense: error: "), err
    assert "Traceback" not in out + err and SECRET not in out + err
    assert _versions(db) == ["0.0.1", "0.0.1"]  # nothing re-analysed, nothing lost
    return lines[0]


def test_a_recording_linked_out_of_the_folder_is_refused(stored, tmp_path, capsys):
    db, first = stored
    outside = tmp_path / "elsewhere.csv"
    # the very bytes that were imported, plus a line that must never be shown
    outside.write_bytes((first / "set01.csv").read_bytes())
    (first / "set01.csv").unlink()
    (first / "set01.csv").symlink_to(outside)
    line = _refused(db, capsys)
    assert "set01.csv" in line and "outside the session folder" in line
    outside.write_text(SECRET + "\n")
    assert "outside the session folder" in _refused(db, capsys)


def test_session_json_linked_out_of_the_folder_is_refused(stored, tmp_path, capsys):
    db, first = stored
    outside = tmp_path / "session.json"
    shutil.move(first / "session.json", outside)
    (first / "session.json").symlink_to(outside)
    line = _refused(db, capsys)
    assert "session.json" in line and "outside the session folder" in line


def test_a_huge_recording_is_refused_unread(stored, capsys):
    db, first = stored
    with open(first / "set01.csv", "r+b") as fh:  # sparse: 2 GB on no disk space
        fh.truncate(2 << 30)
    line = _refused(db, capsys)
    assert "set01.csv" in line and f"more than the {MAX_RECORDING_BYTES}" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_without_waiting(stored, capsys):
    db, first = stored
    (first / "set01.csv").unlink()
    os.mkfifo(first / "set01.csv")
    line = _refused(db, capsys)
    assert "set01.csv" in line and "not a regular file" in line


def test_links_inside_the_folder_gone_and_changed_files_still_work(stored, tmp_path, capsys):
    db, first = stored
    # a link that stays inside the folder is read like the file itself
    (first / "set01.csv").rename(first / "real.csv")
    (first / "set01.csv").symlink_to("real.csv")
    capsys.readouterr()
    assert main(["reanalyze", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.count("analysed with hipsense") == 2
    assert "0.0.1" not in _versions(db)
    # a changed file keeps its analysis; a gone folder too
    with open(first / "real.csv", "a") as fh:
        fh.write("\n")
    shutil.rmtree(tmp_path / "second")
    assert main(["reanalyze", "--db", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert any(f"{first}: changed since the import; kept" in line for line in out)
    assert any(f"{tmp_path / 'second'}: not found; kept" in line for line in out)
