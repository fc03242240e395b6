"""The history database: import, idempotence, re-analysis, migrations, exports."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing

import pandas as pd
import pytest

from hipsense import analyze_session
from hipsense.cli import main
from hipsense.errors import HipsenseError
from hipsense.history.store import (
    SCHEMA_VERSION, import_folder, open_db, reanalyze, rep_table, sessions_table,
)

from tests.conftest import REPO

WEEKS = sorted((REPO / "sample_data").glob("2026-*"))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    db = tmp_path_factory.mktemp("history") / "h.sqlite3"
    conn = open_db(db)
    for week in WEEKS[:3]:
        import_folder(conn, week)
    return db


def test_import_stores_what_the_analysis_says(history):
    conn = open_db(history)
    result = analyze_session(WEEKS[0]).to_json()
    sid = conn.execute("SELECT id FROM sessions WHERE folder = ?", (str(WEEKS[0]),)).fetchone()[0]
    sets = conn.execute("SELECT exercise, side, rep_count FROM sets WHERE session_id = ? "
                        "ORDER BY set_index", (sid,)).fetchall()
    assert [tuple(r) for r in sets] == [(s["exercise"], s["side"], s["rep_count"])
                                        for s in result["sets"]]
    # the right single-leg squat's per-rep drops, rep by rep
    squat = result["sets"][-1]
    drops = conn.execute(
        "SELECT m.value_deg FROM sets st JOIN reps r ON r.set_id = st.id JOIN rep_metrics m "
        "ON m.rep_id = r.id WHERE st.session_id = ? AND st.set_index = ? AND m.metric = "
        "'pelvic_drop_deg' ORDER BY r.rep_index", (sid, len(result["sets"]))).fetchall()
    assert [d[0] for d in drops] == [r["metrics"]["pelvic_drop_deg"] for r in squat["reps"]]
    n_flags = sum(len(s["flags"]) for s in result["sets"])
    assert conn.execute("SELECT COUNT(*) FROM flags WHERE session_id = ?",
                        (sid,)).fetchone()[0] == n_flags > 0


def test_importing_again_changes_nothing_even_from_a_copy(history, tmp_path):
    conn = open_db(history)
    before = conn.execute("SELECT COUNT(*) FROM rep_metrics").fetchone()[0]
    copy = tmp_path / "copy"
    shutil.copytree(WEEKS[1], copy)
    again = import_folder(conn, copy)
    assert not again.new
    assert conn.execute("SELECT COUNT(*) FROM rep_metrics").fetchone()[0] == before
    assert len(sessions_table(conn)) == 3


def test_reanalyze_replaces_the_analysis_and_keeps_lost_folders(tmp_path):
    db = tmp_path / "h.sqlite3"
    kept = tmp_path / "week"
    shutil.copytree(WEEKS[0], kept)
    conn = open_db(db)
    import_folder(conn, kept)
    import_folder(conn, WEEKS[1])
    conn.execute("UPDATE analyses SET hipsense_version = '0.0.1'")
    conn.commit()
    shutil.rmtree(kept)
    outcomes = dict(reanalyze(conn))
    assert "not found; kept" in outcomes[1] and "analysed with hipsense" in outcomes[2]
    versions = [r[0] for r in conn.execute(
        "SELECT hipsense_version FROM analyses ORDER BY session_id")]
    assert versions[0] == "0.0.1" and versions[1] != "0.0.1"
    # nothing duplicated by the re-analysis
    n = conn.execute("SELECT COUNT(*) FROM sets WHERE session_id = 2").fetchone()[0]
    assert n == len(analyze_session(WEEKS[1]).sets)


def test_schema_is_versioned_and_newer_databases_are_refused(tmp_path):
    db = tmp_path / "h.sqlite3"
    conn = open_db(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    with pytest.raises(HipsenseError, match="newer hipsense"):
        open_db(db)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(HipsenseError, match="not a hipsense history database"):
        open_db(junk)


def test_per_rep_export_csv_and_parquet(history, tmp_path, capsys):
    with closing(sqlite3.connect(history)) as conn:
        table = rep_table(conn)
    assert main(["history", "--db", str(history), "--csv", str(tmp_path / "r.csv"),
                 "--parquet", str(tmp_path / "r.parquet")]) == 0
    csv = pd.read_csv(tmp_path / "r.csv")
    pq = pd.read_parquet(tmp_path / "r.parquet")
    assert len(csv) == len(pq) == len(table) > 400
    squat = pq[(pq.exercise == "single_leg_squat") & (pq.side == "right") &
               (pq.metric == "pelvic_drop_deg")]
    # the sample runner's right squat drop improves over the three weeks
    medians = squat.groupby("started_at").value_deg.median().to_numpy()
    assert len(medians) == 3 and medians[0] > medians[-1] + 1.0
    assert f"wrote {len(table)} rows (3 sessions)" in capsys.readouterr().out


def test_import_command_and_bad_folder(tmp_path, capsys):
    db = str(tmp_path / "h.sqlite3")
    assert main(["import", str(WEEKS[0]), "--db", db]) == 0
    assert main(["import", str(WEEKS[0]), "--db", db]) == 0
    assert main(["import", str(tmp_path / "nowhere"), "--db", db]) == 2
    captured = capsys.readouterr()
    assert "imported (session 1)" in captured.out
    assert "already in the history (session 1)" in captured.out
    assert len(captured.err.strip().splitlines()) == 1 and "nowhere" in captured.err
