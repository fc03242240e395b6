"""Writes the notebooks of this folder (stored without outputs; the test suite
runs them). Edit here, then: python notebooks/make_notebooks.py"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

def setup(*imports: str) -> str:
    """The first code cell: inline figures, imports, where sample_data is."""
    return "\n".join(["%matplotlib inline", "from pathlib import Path", "", *imports, "",
                      "# the repository's sample_data (run from notebooks/ or the repository)",
                      'SAMPLE = next(p for p in (Path("../sample_data"), Path("sample_data"))'
                      " if p.is_dir())"])

NOTEBOOKS = {
    "01_quickstart.ipynb": [
        new_markdown_cell("# Quickstart\n\nLoad a sample session, analyse it, plot a set. "
                          "Angles are degrees as `shared/spec/measurements.md` defines them."),
        new_code_cell(setup("import hipsense")),
        new_code_cell('''result = hipsense.analyze_session(SAMPLE / "2026-10-05")
for s in result.sets:
    print(f"{s.exercise:20} {s.side:5} {s.rep_count:2} reps  medians {s.medians}")'''),
        new_markdown_cell("The flags, in the words the runner reads:"),
        new_code_cell('''for s in result.sets:
    for f in s.flags:
        print(f"[{f.severity}] {f.message}")'''),
        new_markdown_cell("One set's main angle with its reps shaded and the flagged reps "
                          "marked (the figure of the session report):"),
        new_code_cell('''from hipsense.report.figures import set_figure
squat = next(s for s in result.sets if s.exercise == "single_leg_squat" and s.side == "right")
fig = set_figure(squat)
fig'''),
    ],
    "02_left_right_over_weeks.ipynb": [
        new_markdown_cell("# Left against right over the weeks\n\nThe sample runner's six "
                          "weekly sessions go into a history database; the per-rep results "
                          "come back as a table."),
        new_code_cell(setup("import tempfile", "",
                            "from hipsense.history.store import import_folder, open_db, "
                            "rep_table") + '''
db = Path(tempfile.mkdtemp()) / "history.sqlite3"
conn = open_db(db)
for week in sorted(SAMPLE.glob("2026-*")):
    import_folder(conn, week)
reps = rep_table(conn)
reps.head()'''),
        new_code_cell('''squat = reps.exercise == "single_leg_squat"
drop = reps[squat & (reps.metric == "pelvic_drop_deg")]
weekly = drop.groupby(["started_at", "side"]).value_deg.median().unstack()
weekly.index = weekly.index.str[:10]
ax = weekly.plot(marker="o", ylabel="pelvic drop per rep, median (deg)",
                 title="Single-leg squat")
ax.axhline(5, color="red", ls="--", label="threshold")
weekly'''),
        new_code_cell('''from hipsense.report.trends import trend_table, what_changed
table = trend_table(conn)
for exercise in table.exercise.unique():
    print(what_changed(exercise, table))'''),
    ],
    "03_how_the_analysis_works.ipynb": [
        new_markdown_cell("# How the analysis works, on one set\n\nCalibration, orientation "
                          "(the direction of gravity in the sensor frame), the angle signals, "
                          "and the rep segmentation, step by step, with hipsense's own "
                          "functions."),
        new_code_cell(setup("import matplotlib.pyplot as plt", "", "import hipsense",
                            "from hipsense.io import read_session") + '''
session = read_session(SAMPLE / "2026-10-05")
info, rec = session.sets[-1]          # the right single-leg squat
print(info, len(rec), "samples at", round(rec.median_rate_hz(), 1), "Hz")'''),
        new_markdown_cell("**1. Calibration**: the still stand gives the vertical, the two "
                          "hip hinges the left-right axis; together the pelvis axes in the "
                          "sensor frame."),
        new_code_cell('''from hipsense.analysis.calibration import calibrate
cal = session.calibration
calibration = calibrate(cal.time_s, cal.acc_g, cal.gyr_dps)
print("usable:", calibration.ok, calibration.quality)
print("pelvis axes in the sensor frame:", calibration.axes)'''),
        new_markdown_cell("**2. Orientation**: a complementary filter run forward and "
                          "backward tracks \\\"up\\\" in the sensor frame."),
        new_code_cell('''from hipsense.analysis.orientation import gravity_up
gyr = rec.gyr_dps - calibration.gyr_offset_dps
up = gravity_up(rec.time_s, rec.acc_g, gyr)
t = rec.time_s - rec.time_s[0]
plt.plot(t, up)
plt.xlabel("s")
plt.ylabel("up, sensor frame")
plt.show()'''),
        new_markdown_cell("**3. Reps and the home posture**: the tilt along the set's main "
                          "direction of movement; home is where the pelvis returns between "
                          "reps, and a rep is one departure from home and back, whatever its "
                          "shape."),
        new_code_cell('''from hipsense.analysis.motion import smoothed_rate
from hipsense.analysis.segmentation import find_reps, movement_signal, posture_span
from hipsense.exercises import EXERCISES, MIN_REP_DEG
ex = EXERCISES[info.exercise]
span = posture_span(rec.time_s, up)
direction = calibration.axes.vector(ex.rep_direction(info.side))
movement = movement_signal(rec.time_s, up, gyr, span, direction)
windows, rest = find_reps(rec.time_s, movement, up, smoothed_rate(rec.time_s, gyr, 0.3),
                          span, MIN_REP_DEG[ex.posture])
print(len(windows), "reps, typical excursion", round(rest.typical_deg, 1),
      "deg, noise floor", round(rest.noise_deg, 2), "deg")
plt.plot(t, movement)
for w in windows:
    plt.axvspan(t[w.start], t[w.end], alpha=0.2)
plt.ylabel("deg")
plt.show()'''),
        new_markdown_cell("**4. Angle signals**: each is the elevation of a pelvis axis, "
                          "relative to the quiet period at home before the first rep; each "
                          "rep's metric is its extreme."),
        new_code_cell('''from hipsense.analysis.angles import angle_signals
signals = angle_signals(ex, info.side, calibration.axes, up, rest.reference)
for name, values in signals.items():
    plt.plot(t, values, label=name)
plt.legend()
plt.ylabel("deg")
plt.show()
drops = [signals["pelvic_drop_deg"][w.start:w.end + 1].max() for w in windows]
print("drop per rep (deg):", [round(d, 1) for d in drops])
result = hipsense.analyze_session(SAMPLE / "2026-10-05").sets[-1]
print("the pipeline says:", [r.metrics["pelvic_drop_deg"] for r in result.reps])'''),
    ],
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells, metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"}})
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
