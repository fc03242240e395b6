"""The ``hipsense`` command: thin, it parses arguments and delegates.

Every user-facing error prints one line ``hipsense: error: ...`` on stderr and
exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from hipsense.version import __version__
from hipsense.errors import HipsenseError, one_line, plural, shown

EXIT_OK = 0
EXIT_ERROR = 2


def _exercise_list(text: str) -> list[str]:
    from hipsense.exercises import EXERCISES

    ids = [x for x in text.replace(",", " ").split() if x]
    unknown = [x for x in ids if x not in EXERCISES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown exercise(s) {', '.join(unknown)} (choose from {', '.join(EXERCISES)})")
    return ids


def _form_faults(text: str) -> tuple[str, ...]:
    from hipsense.virtual import FORM_FAULTS

    names = tuple(n.strip().replace("-", "_") for n in text.split(",") if n.strip())
    for n in names:
        if n not in FORM_FAULTS:
            raise argparse.ArgumentTypeError(
                f"unknown fault {n!r} (expected one of {', '.join(FORM_FAULTS)})")
    return names


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction in [0, 1)")
    return value


_DB_HELP = ("history database (default: $HIPSENSE_DB, else history.sqlite3 in the user's "
            "data directory)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hipsense",
        description="Hip-stability analysis for runners from one IMU clipped over the sacrum.")
    parser.add_argument("--version", action="version", version=f"hipsense {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sim = sub.add_parser(
        "simulate", help="write simulated session folders with their ground truth",
        description="Simulate a session (calibration plus sets) from physically based "
                    "pelvis motion and an IMU model, and write it as a session folder "
                    "with truth.json. Deterministic for a seed.")
    sim.add_argument("--out", type=Path, required=True, help="output folder")
    sim.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    sim.add_argument("--exercises", type=_exercise_list, default=None,
                     help="comma-separated exercise ids (default: the whole programme)")
    sim.add_argument("--run", choices=("add", "only"), default=None,
                     help="a simulated run (running.md) after the sets ('add') or alone "
                          "after the calibration ('only')")
    sim.add_argument("--rate-hz", type=float, default=104.0, choices=(100.0, 104.0, 200.0),
                     help="nominal sample rate (default 104)")
    sim.add_argument("--packet-loss", type=_fraction, default=0.0,
                     help="fraction of packets lost, in bursts (default 0)")
    sim.add_argument("--mounting", choices=("random", "crooked", "nominal"), default="random",
                     help="sensor placement: random off nominal (default), crooked, nominal")
    sim.add_argument("--no-calibration", action="store_true",
                     help='record no calibration ("calibration": null)')
    sim.add_argument("--realism", type=float, default=0.0, metavar="X",
                     help="realities of real movement: 0 idealised (default), 1 as in real "
                          "recordings (sway, skin wobble, awkward starts, real rep shapes, "
                          "gaps inside reps), 2 every reality doubled")
    sim.add_argument("--history", type=int, metavar="WEEKS", default=None,
                     help="instead of one session, a runner's weekly sessions over WEEKS "
                          "weeks (right side improving), one folder per session")
    sim.add_argument("--force", action="store_true",
                     help="write into session folders that already exist")
    sim.add_argument("--from-mocap", type=Path, nargs="+", metavar="FILE", default=None,
                     help="instead of modelled motion, replay real motion capture (no "
                          "calibration): a CMU trial's KneeRaise and Squat segments "
                          "(FILE.amc), or UI-PRMD takes as knee drives, one set per take "
                          "(any file of each take, e.g. m02_s01_e01_positions.txt.gz)")
    sim.add_argument("--labels", type=Path, metavar="FILE.txt", default=None,
                     help="--from-mocap: action labels, one per 0.1 s (default: "
                          "../truelabels/<stem>.txt beside the AMC file's folder)")
    sim.set_defaults(func=_cmd_simulate)

    scan = sub.add_parser("scan", help="list the sensors in range hipsense can use",
                          description="Scan for hipsense, Polar and WitMotion sensors: name, "
                                      "family, address, signal strength and battery.")
    scan.add_argument("--timeout", type=float, default=5.0, help="seconds to listen (default 5)")
    scan.add_argument("--virtual", action="store_true",
                      help="scan the in-process air of the virtual sensor instead of the radio")
    scan.set_defaults(func=_cmd_scan)

    rec = sub.add_parser(
        "record", help="record a guided session from a sensor (or the virtual one)",
        description="Connect to a hipsense sensor, guide the calibration and each set with "
                    "live feedback, and write the session folder (plus a raw packet log "
                    "that `hipsense recover` can rebuild it from after a crash).")
    rec.add_argument("--out", type=Path, default=None,
                     help="new session folder (default: a new dated folder under the "
                          "sessions folder in the user's data directory)")
    rec.add_argument("--sensor", default="auto",
                     metavar="auto|virtual|hipsense|polar|witmotion|ADDRESS",
                     help="which sensor: the nearest one hipsense can use, or the virtual one "
                          "when none is found (auto, the default); the nearest of a family "
                          "(hipsense, polar: Verity Sense, witmotion: WT901BLE); one address; "
                          "or the simulated virtual sensor (virtual)")
    rec.add_argument("--seed", type=int, default=1,
                     help="virtual sensor: the simulated session's seed (as `simulate --seed`)")
    rec.add_argument("--exercises", type=_exercise_list, default=None,
                     help="comma-separated exercise ids to do (default: the whole programme)")
    rec.add_argument("--run", action="store_true",
                     help="the running check: after the calibration, 3 s of quiet standing and "
                          "a run, ended by Enter or by standing still for 5 s "
                          "(shared/spec/running.md)")
    rec.add_argument("--unattended", action="store_true",
                     help="no prompts: the virtual sensor's runner does the programme")
    rec.add_argument("--force", action="store_true",
                     help="replace the session already in --out")
    rec.add_argument("--speed", type=float, default=None,
                     help="virtual sensor: times real time (default: real time, or as fast "
                          "as possible with --unattended)")
    rec.add_argument("--packet-loss", type=_fraction, default=0.0,
                     help="virtual sensor: fraction of packets the simulated radio loses")
    rec.add_argument("--virtual-faults", type=_form_faults, default=(),
                     metavar="drop,rollback,lift,obliquity,short_hold",
                     help="virtual sensor: faults of form the simulated runner makes, so the "
                          "cues fire (drop: squats and knee drives 8 deg; rollback: "
                          "clamshells; lift: prone hip extensions; obliquity: bridges; "
                          "short_hold: stretches held 18 s)")
    rec.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    rec.add_argument("--no-import", action="store_true",
                     help="do not add the session to the history database")
    rec.add_argument("--athlete", default=None, metavar="NAME",
                     help="who is recorded (session.json's athlete; one history can hold "
                          "several)")
    rec.add_argument("--bell", action="store_true",
                     help="ring the terminal bell when a rep crosses its flag threshold")
    rec.add_argument("--no-browser", action="store_true",
                     help="do not open the coach page in the browser (its address is "
                          "printed; --unattended never opens it)")
    rec.add_argument("--quiet", action="store_true",
                     help="the coach page does not speak (rep counts, cues, set complete) "
                          "nor chime")
    rec.add_argument("--lan", action="store_true",
                     help="serve the coach page to the local network (a phone or tablet), "
                          "with a random token in its address, printed and shown as a QR "
                          "code; by default it listens on this computer only")
    rec.add_argument("--port", type=int, default=0,
                     help="the coach page's TCP port (default: a free one)")
    rec.add_argument("--no-coach", action="store_true",
                     help="no coach page: the terminal view only")
    rec.set_defaults(func=_cmd_record)

    vs = sub.add_parser(
        "virtual-sensor", help="serve the virtual sensor over a real Bluetooth controller",
        description="Advertise the simulated hipsense sensor as a BLE peripheral through any "
                    "HCI controller bumble can open (needs: pip install 'hipsense[bumble]').")
    vs.add_argument("--transport", required=True, metavar="SPEC",
                    help="bumble transport, e.g. usb:0, serial:/dev/ttyACM0, hci-socket:0")
    vs.add_argument("--seed", type=int, default=1, help="the simulated session's seed")
    vs.set_defaults(func=_cmd_virtual_sensor)

    imp = sub.add_parser("import", help="add session folders to the history database",
                         description="Analyse session folders and store them in the history "
                                     "database (importing a session again changes nothing).")
    imp.add_argument("session_dirs", type=Path, nargs="+", metavar="SESSION_DIR")
    imp.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    imp.set_defaults(func=_cmd_import)

    rea = sub.add_parser("reanalyze", help="analyse every stored session with this hipsense",
                         description="Replace every stored session's analysis with this "
                                     "version's (sessions whose folder is gone are kept).")
    rea.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    rea.set_defaults(func=_cmd_reanalyze)

    his = sub.add_parser("history", help="the stored sessions; export per-rep results",
                         description="List the sessions in the history database, or export "
                                     "every rep's results across them.")
    his.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    his.add_argument("--csv", type=Path, default=None, metavar="OUT.csv",
                     help="write per-rep results (one row per rep and metric) as CSV")
    his.add_argument("--parquet", type=Path, default=None, metavar="OUT.parquet",
                     help="the same as Parquet")
    his.add_argument("--athlete", default=None, metavar="NAME",
                     help="only this athlete's sessions (session.json's athlete)")
    his.set_defaults(func=_cmd_history)

    rep = sub.add_parser("report", help="the session report: one self-contained HTML file",
                         description="Write the report of a session: what was done against "
                                     "the prescription, the flags with their cues, every set's "
                                     "main angle with its reps, left against right, data "
                                     "quality.")
    rep.add_argument("session_dir", type=Path, metavar="SESSION_DIR")
    rep.add_argument("-o", "--out", type=Path, default=None,
                     help="HTML file (default: report.html in the session folder; for a "
                          "session inside the repository's sample_data/ or a read-only "
                          "folder, reports/<session>/report.html beside the history database)")
    rep.add_argument("--pdf", action="store_true",
                     help="also write it as a PDF (report.pdf beside the HTML)")
    rep.add_argument("--pdf-engine", choices=("auto", "chromium", "matplotlib"), default="auto",
                     help="what makes the PDF: chromium prints the HTML page (needs chromium "
                          "on PATH), matplotlib draws the same report itself (no browser); "
                          "auto (default): chromium when it is on PATH, else matplotlib")
    rep.add_argument("--paper", choices=("a4", "letter"), default="a4",
                     help="paper size of the PDF (default a4)")
    rep.add_argument("--athlete", default=None, metavar="NAME",
                     help="whose earlier sessions to compare with (default: session.json's "
                          "athlete)")
    rep.add_argument("--db", type=Path, default=None,
                     help=_DB_HELP + "; its last earlier session of the athlete gives the "
                          "change since then")
    rep.set_defaults(func=_cmd_report)

    tr = sub.add_parser("trends", help="left and right over the weeks, from the history",
                        description="Per exercise over the stored sessions: left and right "
                                    "medians and spread, asymmetry, thresholds, adherence, and "
                                    "what changed in a sentence.")
    tr.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    tr.add_argument("--exercise", type=_exercise_list, default=None,
                    help="comma-separated exercise ids (default: all)")
    tr.add_argument("-o", "--out", type=Path, default=Path("trends.html"),
                    help="HTML file (default: trends.html)")
    tr.add_argument("--athlete", default=None, metavar="NAME",
                    help="only this athlete's sessions (session.json's athlete)")
    tr.add_argument("--paper", choices=("a4", "letter"), default="a4",
                    help="paper size when printed (default a4)")
    tr.set_defaults(func=_cmd_trends)

    ros = sub.add_parser("roster", help="a physio's view: every athlete in the history",
                         description="Write an HTML page listing each athlete in the history "
                                     "(last session, adherence over the last 4 weeks, open "
                                     "flags, the trend of their main metric), linking to a "
                                     "trends report per athlete written beside it.")
    ros.add_argument("--db", type=Path, default=None, help=_DB_HELP)
    ros.add_argument("-o", "--out", type=Path, default=Path("roster.html"),
                     help="HTML file (default: roster.html); each athlete's trends page is "
                          "written beside it as trends-NAME.html")
    ros.set_defaults(func=_cmd_roster)

    demo = sub.add_parser("demo", help="the whole job on the virtual sensor, in a temp folder",
                          description="Record a simulated session from the virtual sensor "
                                      "(time-compressed), analyse it, add it to a fresh history "
                                      "with the sample runner's six weeks, and write the "
                                      "session report and the trends report.")
    demo.add_argument("--out", type=Path, default=None,
                      help="folder for the demo (default: a new temporary folder)")
    demo.add_argument("--seed", type=int, default=7, help="the simulated session's seed")
    demo.set_defaults(func=_cmd_demo)

    recover = sub.add_parser(
        "recover", help="rebuild a session folder from a raw packet log",
        description="Rebuild the session from the raw packet log a recording writes "
                    "(raw-packets.hslog), e.g. after a crash or a killed recording.")
    recover.add_argument("log", type=Path, metavar="LOG")
    recover.add_argument("--out", type=Path, default=None,
                         help="session folder to write (default: the log's folder)")
    recover.set_defaults(func=_cmd_recover)

    check = sub.add_parser(
        "check", help="validate a session folder and summarise it",
        description="Read a session folder as session-format.md defines it, report the "
                    "first problem (file and line or key) or summarise every recording.")
    check.add_argument("session_dir", type=Path, metavar="SESSION_DIR")
    check.set_defaults(func=_cmd_check)

    analyze = sub.add_parser(
        "analyze", help="analyse a session: reps, holds, pelvic angles, flags, left vs right",
        description="Find the pelvis orientation, count reps or time holds, measure the "
                    "angles of measurements.md per rep, flag hip instability and compare "
                    "left with right. Prints a table, or the JSON of measurements.md.")
    analyze.add_argument("session_dir", type=Path, metavar="SESSION_DIR")
    analyze.add_argument("--json", action="store_true", help="print the result as JSON")
    analyze.set_defaults(func=_cmd_analyze)

    export = sub.add_parser(
        "export", help="export a session: Parquet, FIT (Garmin, Strava) or Motion-BIDS",
        description="Write a session's sets in long form (one row per sample, with its set "
                    "number, file, exercise and side) to Parquet; as a FIT strength-training "
                    "activity (one set message per set, per-rep pelvic angles as developer "
                    "fields) for Garmin Connect and Strava; or as a Motion-BIDS dataset "
                    "(BIDS 1.9) with each rep as an event. One or more of the three.")
    export.add_argument("session_dir", type=Path, metavar="SESSION_DIR")
    export.add_argument("--parquet", type=Path, metavar="OUT.parquet",
                        help="the Parquet file to write")
    export.add_argument("--fit", type=Path, metavar="OUT.fit", help="the FIT file to write")
    export.add_argument("--bids", type=Path, metavar="DIR",
                        help="the Motion-BIDS folder to write (new or empty)")
    export.set_defaults(func=_cmd_export)
    return parser


def _cmd_simulate(args: argparse.Namespace) -> int:
    from hipsense.io.output import prepare_session_folder
    from hipsense.report.table import print_simulated
    from hipsense.sim import SessionSpec, programme_sets, simulate_session
    from hipsense.sim.session import (
        MAX_REALISM, MIN_REALISM, write_runner_history, write_simulated,
    )

    if args.from_mocap is not None:
        from hipsense.sim.mocap import simulate_mocap_session

        if args.history is not None or args.exercises or getattr(args, "realism", 0.0):
            raise HipsenseError("--from-mocap replays recorded motion with its sets from the "
                                "labels: drop --history, --exercises and --realism")
        amc = [p for p in args.from_mocap if p.suffix.lower() == ".amc"]
        if amc and len(args.from_mocap) > 1:
            raise HipsenseError("--from-mocap takes one CMU trial (FILE.amc) at a time, or "
                                "UI-PRMD takes")
        if args.labels is not None and not amc:
            raise HipsenseError("--labels is for a CMU trial (FILE.amc)")
        prepare_session_folder(args.out, args.force)
        if amc:
            mocap = simulate_mocap_session(amc[0], args.labels, seed=args.seed,
                                           rate_hz=args.rate_hz, packet_loss=args.packet_loss,
                                           mounting=args.mounting)
        else:
            from hipsense.sim.uiprmd import simulate_uiprmd_session

            mocap = simulate_uiprmd_session(args.from_mocap, seed=args.seed,
                                            rate_hz=args.rate_hz,
                                            packet_loss=args.packet_loss,
                                            mounting=args.mounting)
        write_simulated(mocap.session, mocap.truth, args.out)
        print_simulated(args.out, mocap.truth)
        return EXIT_OK
    if args.labels is not None:
        raise HipsenseError("--labels needs --from-mocap")
    if not MIN_REALISM <= args.realism <= MAX_REALISM:  # also refuses nan
        raise HipsenseError(f"--realism must be from {MIN_REALISM:g} to {MAX_REALISM:g}, "
                            f"not {args.realism:g}")
    if args.history is not None:
        if args.history < 1:
            raise HipsenseError("--history needs at least 1 week")
        for folder, truth in write_runner_history(args.out, args.history, args.seed,
                                                  realism=args.realism, force=args.force):
            print_simulated(folder, truth)
        return EXIT_OK
    prepare_session_folder(args.out, args.force)
    exercises = args.exercises or None
    from hipsense.sim.movements import SetSpec

    sets = programme_sets(exercises) if exercises else programme_sets()
    if args.run == "only":
        sets = (SetSpec("run", "both"),)
    elif args.run == "add":
        sets = (*sets, SetSpec("run", "both"))
    spec = SessionSpec(
        sets=sets,
        rate_hz=args.rate_hz, packet_loss=args.packet_loss, mounting=args.mounting,
        calibration=not args.no_calibration, realism=args.realism)
    sim = simulate_session(spec, args.seed)
    write_simulated(sim.session, sim.truth, args.out)
    print_simulated(args.out, sim.truth)
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from hipsense.io import read_session
    from hipsense.report.table import print_check

    print_check(args.session_dir, read_session(args.session_dir))
    return EXIT_OK


def _cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from hipsense import analyze_session
    from hipsense.io.safe import finite_json

    result = analyze_session(args.session_dir)
    if args.json:  # NaN and infinities are null: strict JSON
        print(json.dumps(finite_json(result.to_json()), indent=2, allow_nan=False))
    else:
        from hipsense.report.table import print_session

        print_session(result, f"{args.session_dir}")
    return EXIT_OK


def _cmd_scan(args: argparse.Namespace) -> int:
    import asyncio

    from hipsense.report.table import print_sensors

    from hipsense.sensors import scan

    backend = None
    if args.virtual:
        from hipsense.virtual import virtual_sensor
        from hipsense.virtual.backend import VirtualScannerBackend, advertise

        advertise(virtual_sensor(["clamshell"]))
        backend = VirtualScannerBackend
    found = asyncio.run(scan(args.timeout, backend=backend))
    if not found:
        raise HipsenseError("no sensor found: switch it on and bring it close")
    print_sensors(found)
    return EXIT_OK


def _cmd_record(args: argparse.Namespace) -> int:
    from hipsense.io.output import default_sessions_dir, new_session_folder, \
        prepare_session_folder
    from hipsense.record.run import RecordArgs, record

    if args.speed is not None and args.speed <= 0:
        raise HipsenseError("--speed must be above 0")
    if not 0 <= args.port <= 65535:
        raise HipsenseError(f"--port must be 0-65535, not {args.port}")
    out = args.out if args.out is not None else new_session_folder(default_sessions_dir())
    prepare_session_folder(out, args.force, replace=True)

    def finish(session) -> Path | None:
        """The session as saved: analysed once, printed, added to the history, and
        its report written; returns the report's path."""
        from rich.console import Console

        if not session.sets:
            Console().print(f"{shown(out)}: no sets recorded (the raw log is kept).")
            return None
        from hipsense.analysis import analyze
        from hipsense.io import read_session
        from hipsense.report.html import write_session_report
        from hipsense.report.table import print_session

        saved = read_session(out)  # analysed as saved, once
        result = analyze(saved)
        print_session(result, str(out))
        from hipsense.history.store import default_db_path

        db = args.db or default_db_path()
        previous = None
        if not args.no_import:
            from hipsense.history.store import import_session, open_db

            conn = open_db(db)
            done = import_session(conn, saved, result)
            print(f"{out}: {'added to' if done.new else 'already in'} the history ({db})")
            previous = _previous(conn, saved.metadata, None)
            conn.close()
        report = write_session_report(result, saved, out / "report.html", previous=previous)
        _print_next_steps({"session report": report}, db if not args.no_import else None)
        return report

    record(RecordArgs(out=out, sensor=args.sensor, seed=args.seed,
                      unattended=args.unattended, speed=args.speed,
                      exercises=args.exercises, packet_loss=args.packet_loss,
                      virtual_faults=args.virtual_faults, athlete=args.athlete,
                      bell=args.bell, coach=not args.no_coach,
                      browser=not args.no_browser, quiet=args.quiet, lan=args.lan,
                      port=args.port, on_session_end=finish,
                      run="only" if args.run else None))
    return EXIT_OK


def _previous(conn, metadata: dict, athlete: str | None):
    """The athlete's last session before this one in the history (for the change)."""
    from hipsense.history.store import previous_session
    from hipsense.report.summary import Previous

    found = previous_session(conn, metadata.get("started_at"),
                             athlete if athlete is not None else metadata.get("athlete"))
    return None if found is None else Previous(*found)


def _print_next_steps(paths: dict[str, Path], db: Path | None) -> None:
    """Where the reports are, and what to run next."""
    from rich.console import Console

    console = Console(soft_wrap=True)
    console.print("\nReports (open in a browser):", style="bold")
    for what, path in paths.items():
        console.print(f"  {what:>15}: {shown(Path(path).resolve().as_uri())}")
    if db is not None:
        console.print(f"Next: hipsense trends --db {shown(db)} -o trends.html (the weeks so "
                      f"far), or hipsense roster --db {shown(db)} (every athlete).")


def _cmd_virtual_sensor(args: argparse.Namespace) -> int:
    import asyncio

    try:
        from hipsense.virtual.bumble_peripheral import serve
    except ImportError:
        raise HipsenseError("the virtual BLE peripheral needs bumble: "
                            "pip install 'hipsense[bumble]'") from None
    from hipsense.virtual import virtual_sensor

    async def run() -> None:
        sensor = virtual_sensor(seed=args.seed, speed=1.0)
        await serve(sensor, args.transport, on_ready=lambda: print(
            f"advertising {sensor.name} on {args.transport}; Ctrl-C to stop"))

    try:
        asyncio.run(run())
    except (OSError, ValueError) as exc:
        raise HipsenseError(f"{args.transport}: {exc}") from None
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from hipsense.history.store import import_folder, open_db

    conn = open_db(args.db)
    for folder in args.session_dirs:
        done = import_folder(conn, folder)
        print(f"{folder}: {'imported' if done.new else 'already in the history'} "
              f"(session {done.session_id})")
    return EXIT_OK


def _cmd_reanalyze(args: argparse.Namespace) -> int:
    from hipsense.history.store import open_db, reanalyze

    for session_id, outcome in reanalyze(open_db(args.db)):
        print(f"session {session_id}: {outcome}")
    return EXIT_OK


def _cmd_history(args: argparse.Namespace) -> int:
    from hipsense.history.store import open_db, rep_table, require_athlete, sessions_table

    conn = open_db(args.db)
    require_athlete(conn, args.athlete)
    if args.csv or args.parquet:
        from hipsense.io.output import check_output_file
        from hipsense.io.private import open_private  # owner-only files (0600)

        table = rep_table(conn, args.athlete)
        for out in (args.csv, args.parquet):
            if out is not None:
                check_output_file(out)

        if args.csv:
            with open_private(args.csv, "w", encoding="utf-8", newline="") as fh:
                table.to_csv(fh, index=False)
        if args.parquet:
            with open_private(args.parquet, "wb") as fh:
                table.to_parquet(fh, index=False)
        print(f"wrote {plural(len(table), 'row')} "
              f"({plural(table['session_id'].nunique(), 'session')})")
        return EXIT_OK
    from hipsense.report.table import print_history

    print_history(sessions_table(conn, args.athlete))
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from hipsense.analysis import analyze
    from hipsense.history.store import default_db_path
    from hipsense.io import read_session
    from hipsense.io.output import check_output_file, default_report_file
    from hipsense.report.html import find_chromium, write_pdf, write_session_report

    session = read_session(args.session_dir)
    db = args.db or default_db_path()
    out = args.out or default_report_file(args.session_dir, db.parent / "reports")
    check_output_file(out)
    previous = None
    if db.is_file():  # compare with the athlete's last earlier session, when there is one
        from hipsense.history.store import open_db, require_athlete

        conn = open_db(db)
        require_athlete(conn, args.athlete)
        previous = _previous(conn, session.metadata, args.athlete)
        conn.close()
    elif args.db is not None:
        raise HipsenseError(f"{db}: no such history database")
    result = analyze(session)
    write_session_report(result, session, out, previous=previous,
                         athlete=args.athlete, paper=args.paper)
    print(f"wrote {out}")
    if args.pdf:
        engine = args.pdf_engine
        if engine == "auto":
            engine = "chromium" if find_chromium() else "matplotlib"
        if engine == "chromium":
            pdf = write_pdf(out, out.with_suffix(".pdf"))
        else:
            from hipsense.report.pdf import session_report_pdf

            pdf = session_report_pdf(result, session, out.with_suffix(".pdf"),
                                     previous=previous, athlete=args.athlete, paper=args.paper)
        print(f"wrote {pdf} ({engine})")
    return EXIT_OK


def _cmd_trends(args: argparse.Namespace) -> int:
    from hipsense.history.store import open_db, require_athlete
    from hipsense.io.output import check_output_file
    from hipsense.io.session import write_text
    from hipsense.report.trends import trends_report

    check_output_file(args.out)
    conn = open_db(args.db)
    require_athlete(conn, args.athlete)
    write_text(trends_report(conn, args.exercise, args.athlete, args.paper), args.out)
    print(f"wrote {args.out}")
    return EXIT_OK


def _cmd_roster(args: argparse.Namespace) -> int:
    from hipsense.history.store import open_db
    from hipsense.io.output import check_output_file
    from hipsense.report.roster import write_roster

    check_output_file(args.out)
    written = write_roster(open_db(args.db), args.out)
    n = len(written)
    print(f"wrote {args.out} ({n} athlete{'s' if n != 1 else ''}; their trends beside it)")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from hipsense.demo import run_demo

    paths = run_demo(args.out, args.seed)
    for what, path in paths.items():
        if what not in ("session report", "trends report"):
            print(f"{what:>15}: {path}")
    _print_next_steps({k: v for k, v in paths.items() if k.endswith("report")}, None)
    return EXIT_OK


def _cmd_recover(args: argparse.Namespace) -> int:
    from rich.console import Console

    from hipsense.io import write_session
    from hipsense.record.assemble import session_from_log
    from hipsense.io.rawlog import read_rawlog

    out = args.out or args.log.parent
    session, summary = session_from_log(read_rawlog(args.log), args.log)
    write_session(session, out)
    cut = ", the last set was cut short" if summary["cut_short"] else ""
    tail = (f", {summary['truncated_bytes']} bytes of a half-written record at the end"
            if summary["truncated_bytes"] else "")
    console = Console(soft_wrap=True)  # each message stays one line
    console.print(f"{shown(out)}: recovered the calibration"
                  f"{'' if session.calibration is not None else ' (none)'} and "
                  f"{plural(summary['sets'], 'set')}, {plural(summary.get('samples', 0), 'sample')}"
                  f"{cut}{tail}.")
    losses, notes = summary["losses"], summary["notes"]
    if losses:  # what the damage cost, one line per damaged stretch (the first few)
        console.print(f"Skipped {len(losses)} damaged stretch{'es' if len(losses) > 1 else ''} "
                      f"of the log ({summary['damaged_bytes']} bytes); lost:")
        for line in losses[:MAX_RECOVER_LINES]:
            console.print(f"  {shown(line)}")
        if len(losses) > MAX_RECOVER_LINES:
            console.print(f"  and {len(losses) - MAX_RECOVER_LINES} more (all in session.json, "
                          "recording.log_damage)")
    for line in notes[:MAX_RECOVER_LINES]:
        console.print(f"Note: {shown(line)}")
    if len(notes) > MAX_RECOVER_LINES:
        console.print(f"Note: and {len(notes) - MAX_RECOVER_LINES} more records skipped")
    return EXIT_OK


#: Lines of losses (and of notes) ``recover`` prints at most.
MAX_RECOVER_LINES = 5


def _cmd_export(args: argparse.Namespace) -> int:
    from hipsense.io import read_session
    from hipsense.io.export import write_parquet

    from hipsense.io.output import check_output_file

    if args.parquet is None and args.fit is None and args.bids is None:
        raise HipsenseError("export: give --parquet OUT.parquet, --fit OUT.fit or --bids DIR")
    session = read_session(args.session_dir)
    if not session.sets:
        raise HipsenseError(f"{args.session_dir}: the session has no sets to export")
    for out in (args.parquet, args.fit, args.bids):
        if out is not None:
            check_output_file(out)
    if args.bids is not None:
        from hipsense.io.bids import check_bids_target

        check_bids_target(args.bids)
    sets_json = None
    if args.fit is not None or args.bids is not None:
        from hipsense.analysis import analyze

        sets_json = analyze(session).to_json()["sets"]
    if args.parquet is not None:
        rows = write_parquet(session, args.session_dir.resolve().name, args.parquet)
        print(f"wrote {plural(rows, 'row')} from {plural(len(session.sets), 'set')} to "
              f"{args.parquet}")
    if args.fit is not None:
        from hipsense.io.fit import session_fits, write_fit

        # the first activity to OUT.fit, a run beside hip sets to OUT-setNN.fit
        activities = session_fits(session, sets_json)
        paths = [args.fit if k == 0 else
                 args.fit.with_name(f"{args.fit.stem}-{name}{args.fit.suffix}")
                 for k, (name, _) in enumerate(activities)]
        for path in paths[1:]:
            check_output_file(path)
        for path, (name, data) in zip(paths, activities):
            size = write_fit(data, path)
            what = (f"a running activity ({name})" if name else
                    "a strength activity of "
                    + plural(sum(i.exercise != 'run' for i, _ in session.sets), "set"))
            print(f"wrote {what} ({size} bytes) to {path}")
    if args.bids is not None:
        from hipsense.io.bids import write_bids

        count = write_bids(session, sets_json, args.bids)
        print(f"wrote {plural(count, 'Motion-BIDS recording')} to {args.bids}")
    return EXIT_OK


def _quiet_stdout() -> None:
    """Point stdout at devnull (after a broken pipe)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except HipsenseError as exc:
        print(f"hipsense: error: {one_line(str(exc))}", file=sys.stderr)
    except BrokenPipeError:
        # the reader stopped (``| head``): end quietly, as the table's output does,
        # with stdout pointed at devnull so the exit's flush cannot fail again
        _quiet_stdout()
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"hipsense: error: {one_line(f'{where}{exc.strerror or exc}')}", file=sys.stderr)
    except KeyboardInterrupt:
        print("hipsense: interrupted", file=sys.stderr)
        return 130
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
