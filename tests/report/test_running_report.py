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
