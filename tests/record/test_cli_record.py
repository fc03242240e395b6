"""``hipsense record``'s new options: the default sessions folder, the report
at the end, --lan (token and QR code), --quiet, bad values."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from hipsense.cli import main
from hipsense.live.coach.server import CoachServer


def test_record_without_out_uses_the_sessions_folder_and_writes_the_report(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HIPSENSE_SESSIONS", str(tmp_path / "sessions"))
    assert main(["record", "--unattended", "--exercises", "hip_bridge", "--no-import",
                 "--lan"]) == 0
    out = capsys.readouterr().out
    [folder] = list((tmp_path / "sessions").iterdir())
    assert (folder / "session.json").is_file()
    report = folder / "report.html"
    assert report.is_file() and f"session report: {report.resolve().as_uri()}" in out
    assert "<img " in report.read_text()
    # --lan: the address with its token, and a QR code of it
    line = next(x for x in out.splitlines() if x.startswith("Coach page: http://"))
    assert "/?token=" in line and len(line.split("token=")[1]) >= 20
    assert sum("█" in x for x in out.splitlines()) >= 10
    # the summary says the saved count and the cue
    assert "Hip bridge with band: saved set01.csv, " in out and " reps, obliquity " in out


def test_record_refuses_a_bad_port(tmp_path, capsys):
    assert main(["record", "--unattended", "--port", "70000", "--out",
                 str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--port must be 0-65535" in err[0]
    assert not (tmp_path / "x").exists()


def test_a_quiet_coach_tells_the_page(tmp_path):
    async def go():
        coach = CoachServer(quiet=True)
        url = await coach.start()
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(url.replace("http", "ws").replace("/?", "/ws?"))
            hello = json.loads((await ws.receive()).data)
            await ws.close()
        await coach.close()
        return hello

    assert asyncio.run(go()) == {"type": "hello", "quiet": True, "id": 0}


def test_virtual_faults_make_the_cues_fire(tmp_path, capsys):
    assert main(["record", "--unattended", "--exercises", "single_leg_squat,clamshell",
                 "--virtual-faults", "drop,rollback", "--no-import", "--no-coach",
                 "--out", str(tmp_path / "f")]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the terminal's wrapping undone
    for words in ("rolled back 8 deg on average during left clamshells",
                  "hip dropped 8 deg on average during right single-leg squats"):
        assert words in out
    try:
        main(["record", "--unattended", "--virtual-faults", "dorp", "--out",
              str(tmp_path / "g")])
    except SystemExit as exc:  # argparse: usage and one error line
        assert exc.code == 2
    assert "unknown fault 'dorp' (expected one of drop, rollback" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()


def test_the_page_serves_the_report_when_the_session_ends(tmp_path):
    from hipsense.record.run import RecordArgs, _record

    seen: dict = {}

    async def go():
        def on_coach(coach):
            seen["coach"] = coach

        def finish(session):
            report = tmp_path / "s" / "report.html"
            report.write_text("<html>the report</html>")
            return report

        task = asyncio.ensure_future(_record(RecordArgs(
            out=tmp_path / "s", unattended=True, exercises=["hip_bridge"],
            on_session_end=finish, on_coach=on_coach)))
        while "coach" not in seen:
            await asyncio.sleep(0.01)
        coach = seen["coach"]
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(coach.url.replace("http", "ws").replace("/?", "/ws?"))
            async for msg in ws:
                event = json.loads(msg.data)
                if event["type"] == "session_end":
                    break
            async with http.get(coach.url.replace("/?", "/report?")) as r:
                seen["report"] = (r.status, await r.text())
            async with http.get(coach.url.replace("/?", "/report?").split("?")[0]) as r:
                seen["no token"] = r.status
        await task
        return event

    event = asyncio.run(go())
    assert event["report"].endswith("report.html") and event["sets"] == 1
    assert seen["report"] == (200, "<html>the report</html>") and seen["no token"] == 403


def test_a_port_in_use_is_one_line(tmp_path, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["record", "--unattended", "--port", str(port), "--out",
                     str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--port {port}: cannot listen on 127.0.0.1" in err[0]
    assert not (tmp_path / "x").exists()
