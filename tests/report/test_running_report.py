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
