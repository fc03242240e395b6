"""Several athletes in one history: ``--athlete`` on history, trends and
report, the previous session of an athlete, and ``hipsense roster``."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from hipsense.cli import main
from hipsense.history.store import (
    athlete_sessions, athletes, import_folder, open_db, previous_session, rep_table,
    sessions_table,
)
from hipsense.report.roster import (
    open_flags, recent_aim, roster_rows, trends_file_names, write_roster,
)
from hipsense.report.trends import hold_table, trend_table

from tests.conftest import REPO

WEEKS = sorted((REPO / "sample_data").glob("2026-*"))


def _as(week: Path, folder: Path, athlete: str | None) -> Path:
    """A copy of a sample week under another athlete's name (None: no name)."""
    shutil.copytree(week, folder)
    meta = json.loads((folder / "session.json").read_text())
    if athlete is None:
        meta.pop("athlete", None)
    else:
        meta["athlete"] = athlete
    (folder / "session.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    """A history of three: the sample runner's six weeks, Ada's weeks 5-6 and
    one session naming nobody (week 1)."""
    root = tmp_path_factory.mktemp("clinic")
    db = root / "h.sqlite3"
    conn = open_db(db)
    for week in WEEKS:
        import_folder(conn, week)
    for week in WEEKS[4:]:
        import_folder(conn, _as(week, root / f"ada-{week.name}", "Ada Lovelace"))
    import_folder(conn, _as(WEEKS[0], root / "anon", None))
    conn.close()
    return db


def test_athletes_and_their_sessions(clinic):
    conn = open_db(clinic)
    assert athletes(conn) == ["Ada Lovelace", "sample runner", None]
    assert len(sessions_table(conn)) == 9
    assert len(sessions_table(conn, "Ada Lovelace")) == 2
    assert len(sessions_table(conn, "")) == 1  # the session naming nobody
    reps = rep_table(conn, "Ada Lovelace")
    assert set(reps.athlete) == {"Ada Lovelace"} and reps.session_id.nunique() == 2
    assert len(rep_table(conn)) > len(rep_table(conn, "sample runner")) > len(reps)
    rows = athlete_sessions(conn, "sample runner")
    assert [r["started_at"][:10] for r in rows] == [w.name for w in WEEKS]
    flags = json.loads(rows[0]["flags_json"])
    assert ["excessive_pelvic_drop", "alert", "single_leg_squat", "right"] in flags


def test_the_previous_session_is_the_same_athletes(clinic):
    conn = open_db(clinic)
    started, values = previous_session(conn, "2026-11-09T07:47:00+00:00", "Ada Lovelace")
    assert started.startswith("2026-11-02")
    assert values[("single_leg_squat", "right", "pelvic_drop_deg")] == pytest.approx(
        conn.execute("SELECT m.value_deg FROM set_medians m JOIN sets st ON st.id = m.set_id "
                     "JOIN sessions s ON s.id = st.session_id WHERE s.athlete = 'Ada Lovelace' "
                     "AND s.started_at LIKE '2026-11-02%' AND st.exercise = 'single_leg_squat' "
                     "AND st.side = 'right' AND m.metric = 'pelvic_drop_deg'").fetchone()[0])
    assert values[("hip_stretch", "left", "duration_s")] > 25.0
    assert previous_session(conn, "2026-11-02T07:40:00+00:00", "Ada Lovelace") is None
    assert previous_session(conn, "2026-12-01T00:00:00+00:00", None) is not None  # nobody's
    assert previous_session(conn, None, "Ada Lovelace") is None


def test_history_and_trends_take_an_athlete(clinic, tmp_path, capsys):
    out = tmp_path / "ada.csv"
    assert main(["history", "--db", str(clinic), "--athlete", "Ada Lovelace", "--csv",
                 str(out)]) == 0
    assert "(2 sessions)" in capsys.readouterr().out
    assert set(pd.read_csv(out).athlete) == {"Ada Lovelace"}
    assert main(["history", "--db", str(clinic), "--athlete", "sample runner"]) == 0
    assert "6 sessions in the history" in capsys.readouterr().out
    page = tmp_path / "ada.html"
    assert main(["trends", "--db", str(clinic), "--athlete", "Ada Lovelace", "-o",
                 str(page)]) == 0
    text = page.read_text()
    assert "hipsense trends for Ada Lovelace: 2 sessions" in text
    assert "Right single-leg squat drop fell from" in text and "in 1 week (better)" in text
    # unknown names: one line naming the database and who is in it, exit 2
    for command in (["history"], ["trends", "-o", str(tmp_path / "x.html")]):
        capsys.readouterr()
        assert main([*command, "--db", str(clinic), "--athlete", "Grace"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"hipsense: error: {clinic}: no sessions of athlete 'Grace' "
                       "(athletes: 'Ada Lovelace', 'sample runner')"]


def test_trend_tables_per_athlete(clinic):
    conn = open_db(clinic)
    ada = trend_table(conn, athlete="Ada Lovelace")
    assert ada.session_id.nunique() == 2
    everyone = trend_table(conn)
    assert everyone.session_id.nunique() == 9
    holds = hold_table(conn, ["hip_stretch"], "sample runner")
    assert len(holds) == 12 and set(holds.side) == {"left", "right"}


def test_the_roster_rows(clinic):
    conn = open_db(clinic)
    rows = {r.athlete: r for r in roster_rows(conn, dt.date(2026, 11, 20))}
    assert list(rows) == ["Ada Lovelace", "sample runner", ""]
    runner = rows["sample runner"]
    assert runner.sessions == 6 and runner.last_session == dt.date(2026, 11, 9)
    # 28 days to 20 Nov: the sessions of 26 Oct, 2 and 9 Nov; the programme's
    # weeks 3-6 ask for at least two a week: 8
    assert (runner.recent_sessions, runner.recent_aim, runner.on_track) == (3, 8, False)
    assert runner.main == "right single-leg squat drop"
    assert runner.main_values[0] > 8.0 and runner.main_values[-1] < 5.0
    assert runner.trend == "better" and runner.threshold == 5.0
    # the last session flagged only the left knee-to-chest stretch's tilt asymmetry
    assert runner.open_flags == ("hip stretch (knee to chest) posterior tilt asymmetry",)
    ada = rows["Ada Lovelace"]
    # Ada started on 2 Nov: two weeks at once a week, then 5 days at two a week
    assert (ada.recent_sessions, ada.recent_aim, ada.on_track) == (2, 3, False)
    nobody = rows[""]
    assert nobody.sessions == 1 and nobody.trend == ""
    # week 1: the seven the session report ranks (the asymmetries are on flagged sides)
    assert nobody.open_flags == (
        "right clamshell rollback", "hip bridge with band obliquity",
        "right prone hip extension lift", "right hip stretch (knee to chest) hold",
        "right hip flexor stretch, foot on chair or sofa hold",
        "right hip flexor knee drive with loop band drop", "right single-leg squat drop")


def test_the_programme_aim_over_four_weeks():
    first = dt.date(2026, 10, 5)
    assert recent_aim(first, dt.date(2026, 10, 11)) == 1  # one week in: once
    assert recent_aim(first, dt.date(2026, 10, 18)) == 2  # two weeks: once each
    assert recent_aim(first, dt.date(2026, 11, 1)) == 6  # 1 + 1 + 2 + 2
    assert recent_aim(first, dt.date(2026, 12, 7)) == 8  # four weeks of two


def test_open_flags_in_words():
    flags = json.dumps([["excessive_pelvic_drop", "alert", "single_leg_squat", "right"],
                        ["inconsistent_reps", "info", "single_leg_squat", "right"],
                        ["short_hold", "warning", "hip_stretch", "left"],
                        ["data_quality", "warning", "clamshell", "left"]])
    comps = json.dumps([["clamshell", "pelvic_rollback_deg", "left_right_asymmetry"],
                        ["clamshell", "rep_count", "left_right_asymmetry"],
                        ["knee_drive", "pelvic_tilt_deg", "left_right_asymmetry"],
                        ["single_leg_squat", "pelvic_drop_deg", "left_right_asymmetry"]])
    # the squat's asymmetry is its flagged side's; a knee drive's tilt is no fault
    assert open_flags(flags, comps) == ("right single-leg squat drop",
                                        "left hip stretch (knee to chest) hold",
                                        "clamshell rollback asymmetry")


def test_trends_file_names_are_safe_and_distinct():
    names = trends_file_names(["Ada Lovelace", "ada  lovelace", "../../etc", "", "Zoë"])
    assert names == {"Ada Lovelace": "trends-ada-lovelace.html",
                     "ada  lovelace": "trends-ada-lovelace-2.html",
                     "../../etc": "trends-etc.html", "": "trends-unnamed.html",
                     "Zoë": "trends-zo.html"}


def test_hipsense_roster_links_each_athlete_to_their_trends(clinic, tmp_path, capsys):
    out = tmp_path / "roster.html"
    assert main(["roster", "--db", str(clinic), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == \
        f"wrote {out} (3 athletes; their trends beside it)"
    page = out.read_text()
    assert '<meta name="viewport"' in page
    links = re.findall(r'<h3><a href="([^"]+)">([^<]+)</a></h3>', page)
    assert links == [("trends-ada-lovelace.html", "Ada Lovelace"),
                     ("trends-sample-runner.html", "sample runner"),
                     ("trends-unnamed.html", "(no athlete named)")]
    for href, name in links:
        trends = (tmp_path / href).read_text()
        n = {"Ada Lovelace": 2, "sample runner": 6}.get(name, 1)
        assert f"{n} session{'s' if n != 1 else ''}</h1>" in trends
    assert page.count('class="spark"') == 3
    assert "Main metric, right single-leg squat drop:" in page
    # the written pages are private, like every report
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_roster_of_an_empty_history(tmp_path):
    conn = open_db(tmp_path / "empty.sqlite3")
    written = write_roster(conn, tmp_path / "roster.html", today=dt.date(2026, 12, 7))
    assert written == {}
    assert "No sessions in the history yet" in (tmp_path / "roster.html").read_text()


def test_roster_and_athlete_options_on_a_damaged_database_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    for command in (["roster", "-o", str(tmp_path / "r.html")],
                    ["trends", "--athlete", "Ada", "-o", str(tmp_path / "t.html")],
                    ["history", "--athlete", "Ada"]):
        capsys.readouterr()
        assert main([*command, "--db", str(bad)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"hipsense: error: {bad}: "), err
    assert main(["roster", "--db", str(tmp_path / "h.sqlite3"), "-o",
                 str(tmp_path / "missing" / "r.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"hipsense: error: {tmp_path / 'missing' / 'r.html'}: folder "
                   f"{tmp_path / 'missing'} does not exist"]
