"""The next step is visible: ``record`` writes the session report and says
where it is, ``demo`` prints where both reports are (as links to open), and
the default output folder policy keeps the repository clean."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from hipsense.cli import main
from hipsense.io.output import default_report_file, protected_folders

from tests.conftest import REPO


def _uris(out: str) -> dict[str, Path]:
    found = re.findall(r"^\s*(session report|trends report): (file://\S+)$", out, re.M)
    return {what: Path(uri.removeprefix("file://")) for what, uri in found}


def test_record_writes_its_report_and_says_where(tmp_path, capsys):
    db = tmp_path / "h.sqlite3"
    folder = tmp_path / "rec"
    assert main(["record", "--unattended", "--exercises", "clamshell", "--seed", "4",
                 "--out", str(folder), "--db", str(db), "--athlete", "Ada"]) == 0
    out = capsys.readouterr().out
    assert "Reports (open in a browser):" in out
    uris = _uris(out)
    assert uris == {"session report": (folder / "report.html").resolve()}
    page = uris["session report"].read_text()
    assert "2/13 sets done" in page and "11 of 13 sets missing" in page
    assert f"hipsense trends --db {db}" in out
    assert "hipsense session" in page and ", Ada</h1>" in page
    assert json.loads((folder / "session.json").read_text())["athlete"] == "Ada"
    # the folder is still a valid session (the report is an extra file)
    assert main(["check", str(folder)]) == 0


def test_record_without_import_still_writes_the_report(tmp_path, capsys):
    folder = tmp_path / "rec"
    assert main(["record", "--unattended", "--exercises", "hip_bridge", "--out", str(folder),
                 "--no-import"]) == 0
    out = capsys.readouterr().out
    assert _uris(out) == {"session report": (folder / "report.html").resolve()}
    assert "hipsense trends" not in out  # nothing was added to a history


@pytest.mark.slow
def test_demo_prints_where_the_reports_are(tmp_path, capsys):
    root = tmp_path / "demo"
    assert main(["demo", "--out", str(root)]) == 0
    out = capsys.readouterr().out
    uris = _uris(out)
    assert uris == {"session report": (root / "session" / "report.html").resolve(),
                    "trends report": (root / "trends.html").resolve()}
    report = uris["session report"].read_text()
    assert "compared with 2026-11-09" in report  # the sample runner's last week
    trends = uris["trends report"].read_text()
    assert "hipsense trends for sample runner: 7 sessions" in trends
    assert "hold rose from" in trends  # the stretches' hold durations


def test_the_default_report_path(tmp_path):
    sample = sorted((REPO / "sample_data").glob("2026-*"))[0]
    assert REPO / "sample_data" in protected_folders()
    reports = tmp_path / "reports"
    assert default_report_file(sample, reports) == reports / sample.name / "report.html"
    assert (reports / sample.name).is_dir()
    assert oct((reports / sample.name).stat().st_mode & 0o777) == "0o700"
    mine = tmp_path / "mine"
    mine.mkdir()
    assert default_report_file(mine, reports) == mine / "report.html"
    if os.geteuid() != 0:  # root writes anywhere
        mine.chmod(0o500)
        try:
            assert default_report_file(mine, reports) == reports / "mine" / "report.html"
        finally:
            mine.chmod(0o700)


def test_a_checkouts_sample_data_is_protected_wherever_hipsense_is_installed(tmp_path,
                                                                             monkeypatch):
    """After a non-editable ``pip install .`` the package is in site-packages: the
    repository's sample_data is known by itself (a README, or in a git checkout)."""
    import hipsense.io.output as output

    monkeypatch.setattr(output, "protected_folders",
                        lambda: (tmp_path / "site-packages" / "sample_data",))
    reports = tmp_path / "reports"
    with_readme = tmp_path / "repo" / "sample_data" / "2026-10-05"
    with_readme.mkdir(parents=True)
    (with_readme.parent / "README.md").write_text("samples")
    in_git = tmp_path / "clone" / "sample_data" / "2026-10-12"
    in_git.mkdir(parents=True)
    (tmp_path / "clone" / ".git").mkdir()
    for session in (with_readme, in_git):
        assert default_report_file(session, reports) == reports / session.name / "report.html"
    plain = tmp_path / "mine" / "sample_data" / "2026-10-19"  # no README, no git
    plain.mkdir(parents=True)
    assert default_report_file(plain, reports) == plain / "report.html"
    assert default_report_file(REPO / "sample_data" / "2026-10-05", reports) == \
        reports / "2026-10-05" / "report.html"
