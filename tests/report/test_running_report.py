"""A session with a run: the report's running section and the history's row."""

from __future__ import annotations

from hipsense.analysis import analyze
from hipsense.history.store import import_session, open_db
from hipsense.report.html import session_report
from hipsense.sim.movements import SetSpec
from hipsense.sim.running import RunSpec
from hipsense.sim.session import SessionSpec, simulate_session, write_simulated
from hipsense.io.session import read_session


def test_report_and_history_of_a_session_with_a_run(tmp_path):
    spec = SessionSpec(sets=(SetSpec("single_leg_squat", "left"), SetSpec("run", "both")),
                       rate_hz=104.0, run=RunSpec(run_s=25.0, drop_left_deg=8.0,
                                                  drop_right_deg=2.5, stops=0, turns=0))
    sim = simulate_session(spec, 5)
    folder = write_simulated(sim.session, sim.truth, tmp_path / "s")
    session = read_session(folder)
    result = analyze(session)
    page = session_report(result, session)
    assert "<h2>Running check</h2>" in page
    assert "drop per step over time" in page
    run = result.sets[1].run
    left = f"{run['left']['pelvic_drop_deg']:.1f} deg"
    assert f"<tr><td>left</td><td>{left}</td>" in page
    conn = open_db(tmp_path / "h.db")
    import_session(conn, session, result)
    rows = dict(conn.execute(
        "SELECT m.metric, m.value_deg FROM set_medians m JOIN sets s ON s.id = m.set_id "
        "WHERE s.exercise = 'run'").fetchall())
    assert rows["pelvic_drop_left_deg"] == run["left"]["pelvic_drop_deg"]
    assert rows["pelvic_drop_right_deg"] == run["right"]["pelvic_drop_deg"]


def test_trends_put_the_running_drop_beside_the_exercises(tmp_path):
    from hipsense.report.trends import run_table, trends_report

    conn = open_db(tmp_path / "h.db")
    drops = [(8.0, 3.0), (6.0, 3.0)]
    for week, (left, right) in enumerate(drops):
        spec = SessionSpec(sets=(SetSpec("single_leg_squat", "left"), SetSpec("run", "both")),
                           rate_hz=104.0, started_at=f"2026-10-{5 + 7 * week:02d}T07:00:00+00:00",
                           run=RunSpec(run_s=25.0, drop_left_deg=left, drop_right_deg=right,
                                       stops=0, turns=0))
        sim = simulate_session(spec, 40 + week)
        folder = write_simulated(sim.session, sim.truth, tmp_path / f"w{week}")
        session = read_session(folder)
        import_session(conn, session, analyze(session))
    table = run_table(conn)
    left = table[table.side == "left"].sort_values("date")["median"].tolist()
    assert len(left) == 2 and left[0] > left[1] + 1.0  # the drop fell with the plan
    page = trends_report(conn)
    assert "Running check: drop per stance foot" in page and "Single-leg squat" in page


def _flagged_run(tmp_path, sets=(SetSpec("single_leg_squat", "left"),), seed=5):
    spec = SessionSpec(sets=(*sets, SetSpec("run", "both")), rate_hz=104.0,
                       run=RunSpec(run_s=25.0, drop_left_deg=8.0, drop_right_deg=2.5,
                                   stops=0, turns=0))
    sim = simulate_session(spec, seed)
    folder = write_simulated(sim.session, sim.truth, tmp_path / "s")
    session = read_session(folder)
    return session, analyze(session)


def test_the_summary_counts_the_run_its_flag_and_card(tmp_path):
    from hipsense.report.summary import summarise

    session, result = _flagged_run(tmp_path)
    run = result.sets[1].run
    assert any(f.code == "running_pelvic_drop" for f in result.sets[1].flags)
    summary = summarise(result)
    assert summary.status == "1/13 sets done and the running check"
    titles = [p.title for p in summary.priorities]
    assert f"Running, left foot on the ground: drop {run['left']['pelvic_drop_deg']:.1f} " \
           "deg, limit 5" in titles
    (card,) = summary.runs
    assert card.flagged == ("left",) and card.verdict == "flagged"
    assert card.values_text == (f"drop L {run['left']['pelvic_drop_deg']:.1f} deg / "
                                f"R {run['right']['pelvic_drop_deg']:.1f} deg, limit 5")
    assert "steps/min" in card.detail_text and "contact L 0." in card.detail_text
    page = session_report(result, session)
    assert "1/13 sets done and the running check.</b>" in page
    assert 'data-exercise="run"' in page and "Running, left foot on the ground" in page


def test_a_run_only_session_is_about_the_run(tmp_path):
    from hipsense.report.summary import summarise

    session, result = _flagged_run(tmp_path, sets=())
    summary = summarise(result)
    assert summary.run_only and summary.status == "Running check done"
    assert [a.kind for a in summary.alerts] == []  # no "13 of 13 sets missing"
    assert summary.priorities and summary.priorities[0].exercise == "run"
    page = session_report(result, session)
    assert "sets missing" not in page and "0/13" not in page
    assert "<h2>Each exercise</h2>" not in page and "What you did" not in page
    assert "Running check done." in page


def test_the_matplotlib_pdf_of_sessions_with_a_run(tmp_path):
    import pypdf

    from hipsense.report.pdf import session_report_pdf

    for name, sets in (("mixed", (SetSpec("single_leg_squat", "left"),)), ("only", ())):
        session, result = _flagged_run(tmp_path / name, sets=sets)
        out = session_report_pdf(result, session, tmp_path / f"{name}.pdf")
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
        text = " ".join(text.split())
        assert "Running, left foot on the ground: drop" in text
        assert "Running check: drop L" in text and "steps/min" in text
        assert "sets missing" not in text or name == "mixed"
        if name == "only":
            assert "Running check done." in text and "0/13" not in text


def test_the_trends_opening_does_not_ignore_a_flagged_run(tmp_path):
    from hipsense.report.trends import trends_report

    conn = open_db(tmp_path / "h.db")
    session, result = _flagged_run(tmp_path, sets=(SetSpec("clamshell", "left"),))
    assert not any(f.code != "running_pelvic_drop" and f.severity != "info"
                   and f.code != "data_quality" for f in result.sets[0].flags)
    import_session(conn, session, result)
    page = trends_report(conn)
    assert "every exercise was within its limit" not in page
    assert "Still to work on in the latest session:</b> Running, left foot on the ground" \
        in page
    assert ": 1 session</h1>" in page


def test_counts_of_one_are_singular(tmp_path):
    from hipsense.errors import plural
    from hipsense.report.html import running_section

    assert (plural(1, "set"), plural(2, "set"), plural(0, "step")) == ("1 set", "2 sets",
                                                                       "0 steps")
    session, result = _flagged_run(tmp_path, sets=())
    run = result.sets[0]
    run.run = {**run.run, "bouts": run.run["bouts"][:1]}
    text = " ".join(running_section([run]))
    assert "in 1 steady bout," in text and "bout(s)" not in text


def test_trends_of_two_runs_started_at_the_same_time(tmp_path):
    """Two sessions with the same started_at (the same simulation twice, as a
    run-only and a mixed one): the trends page names the last one's drops."""
    from hipsense.report.trends import trends_report

    conn = open_db(tmp_path / "h.db")
    for name, sets in (("a", ()), ("b", (SetSpec("clamshell", "left"),))):
        session, result = _flagged_run(tmp_path / name, sets=sets)
        import_session(conn, session, result)
    page = trends_report(conn)
    assert "In the last run: left foot " in page and ": 2 sessions</h1>" in page
