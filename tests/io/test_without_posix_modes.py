"""Where the OS has no POSIX owner or modes (Windows: no ``os.fchmod`` nor
``os.geteuid``), the private files of a recording are still written: a whole
unattended record, its raw log and its report, and a history import."""

from __future__ import annotations

import os

from hipsense.cli import main
from hipsense.io import read_session


def test_record_and_history_work_without_fchmod_and_geteuid(monkeypatch, tmp_path):
    monkeypatch.delattr(os, "fchmod")
    monkeypatch.delattr(os, "geteuid")
    out = tmp_path / "s"
    assert main(["record", "--unattended", "--exercises", "clamshell", "--out", str(out),
                 "--db", str(tmp_path / "h.db"), "--no-coach"]) == 0
    session = read_session(out)
    assert [info.exercise for info, _ in session.sets] == ["clamshell", "clamshell"]
    assert (out / "raw-packets.hslog").stat().st_size > 0
    assert (out / "report.html").is_file()
    assert main(["history", "--db", str(tmp_path / "h.db")]) == 0
