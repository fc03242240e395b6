"""The PDF renderer stays offline (issue 11, item 8).

``report --pdf`` prints the HTML report with headless chromium. Two checks that
it makes no network connection: chromium's own network log (every name
resolution, connection and byte it sends is an event there) of a real render,
and a render inside an empty network namespace (``unshare -rn``), where there
is no network to reach. A control run with the old command line shows that
the log check sees what chromium does when it is not told to stay offline.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import hipsense.report.html as report_html
from hipsense.cli import main
from hipsense.report.html import OFFLINE_SWITCHES, pdf_command, write_pdf

from tests.conftest import REPO, chromium

pytestmark = pytest.mark.slow  # a real chromium per test

WEEK = sorted((REPO / "sample_data").glob("2026-*"))[0]

#: Chromium's IPv6 reachability probe: a UDP socket connect()ed to this address
#: (Google Public DNS) to learn whether IPv6 is routable; connect() on a UDP
#: socket sends no packet. The resolver runs it before failing even an
#: unresolvable name, so it is the one socket operation the log may show.
IPV6_PROBE = "[2001:4860:4860::8888]:443"
LOCAL_SCHEMES = ("file:", "data:", "chrome:", "about:", "blob:", "chrome-extension:")




@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(WEEK), "-o", str(out)]) == 0
    return out


def network_use(netlog: Path) -> dict[str, list[str]]:
    """What a chromium net log (``--log-net-log``) shows of the network:
    names resolved (by DNS or the system resolver), connections, bytes sent or
    received, and URL requests that were not local or that succeeded."""
    log = json.loads(netlog.read_text())
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    use: dict[str, list[str]] = {k: [] for k in (
        "resolved", "connected", "bytes", "requests", "completed requests")}
    requests: dict[int, str] = {}
    for event in log["events"]:
        kind = names.get(event["type"], str(event["type"]))
        params = event.get("params", {})
        where = params.get("address") or params.get("host") or params.get("hostname") or ""
        if kind in ("DNS_TRANSACTION", "HOST_RESOLVER_MANAGER_JOB", "HOST_RESOLVER_SYSTEM_TASK",
                    "HOST_RESOLVER_DNS_TASK", "HOST_RESOLVER_MANAGER_DNS_TASK"):
            use["resolved"].append(f"{kind} {where}")
        elif kind in ("TCP_CONNECT", "TCP_CONNECT_ATTEMPT", "SSL_CONNECT", "QUIC_SESSION"):
            use["connected"].append(f"{kind} {where}")
        elif kind in ("SOCKET_CONNECT", "UDP_CONNECT") and where and where != IPV6_PROBE:
            use["connected"].append(f"{kind} {where}")
        elif kind in ("SOCKET_BYTES_SENT", "SOCKET_BYTES_RECEIVED", "UDP_BYTES_SENT",
                      "UDP_BYTES_RECEIVED"):
            use["bytes"].append(f"{kind} {where}")
        elif kind == "URL_REQUEST_START_JOB" and "url" in params:
            url = params["url"]
            if not url.startswith(LOCAL_SCHEMES):
                use["requests"].append(url.split("?")[0])
                requests[event["source"]["id"]] = url.split("?")[0]
        elif kind == "REQUEST_ALIVE" and event.get("phase") == 2:
            url = requests.get(event["source"]["id"])
            if url is not None and not params.get("net_error"):
                use["completed requests"].append(url)
    return use


def _render_with_netlog(tmp_path: Path, command: list[str] | None = None) -> dict:
    netlog = tmp_path / "net.json"
    extra = [f"--log-net-log={netlog}", "--net-log-capture-mode=Everything"]
    if command is None:
        write_pdf(tmp_path / "report.html", tmp_path / "report.pdf", extra_args=extra)
    else:
        done = subprocess.run([*command, *extra, (tmp_path / "report.html").as_uri()],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    log = json.loads(netlog.read_text())
    assert len(log["events"]) > 20  # the log did record the network stack at work
    return network_use(netlog)


def test_the_pdf_render_makes_no_network_connection(report, tmp_path):
    chromium()
    shutil.copy(report, tmp_path / "report.html")
    use = _render_with_netlog(tmp_path)
    assert use["resolved"] == []
    assert use["connected"] == []
    assert use["bytes"] == []
    assert use["completed requests"] == []
    # what chromium still tries (its sign-in service lists accounts at start-up,
    # whatever the switches) fails at the host resolver rule, before any DNS
    # query or socket: nothing above. Name them, so a new one shows up here.
    hosts = {u.split("/")[2] for u in use["requests"]}
    assert hosts <= {"accounts.google.com"}, hosts
    assert stat.S_IMODE((tmp_path / "report.pdf").stat().st_mode) == 0o600


def test_the_log_check_sees_an_online_chromium(report, tmp_path):
    """Control: the command line hipsense used before resolves Google's hosts
    and connects (or tries to) -- the check above would have failed."""
    exe = chromium()
    shutil.copy(report, tmp_path / "report.html")
    old = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           f"--user-data-dir={tmp_path / 'profile'}",
           f"--print-to-pdf={tmp_path / 'report.pdf'}"]
    use = _render_with_netlog(tmp_path, old)
    assert use["resolved"], use
    assert any("google" in r for r in use["resolved"] + use["requests"]), use


def _unshare_net() -> list[str]:
    exe = shutil.which("unshare")
    if exe is None:
        pytest.skip("unshare (util-linux) is not installed: no empty network namespace")
    probe = subprocess.run([exe, "-rn", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("user namespaces are not available here (unshare -rn: "
                    f"{probe.stderr.strip() or probe.returncode})")
    return [exe, "-rn"]


def test_report_pdf_works_in_an_empty_network_namespace(report, tmp_path):
    chromium()
    unshare = _unshare_net()
    out = tmp_path / "week1.html"
    check = ("import socket\n"
             "try:\n"
             "    socket.create_connection(('192.0.2.1', 443), timeout=2)\n"
             "except OSError as exc:\n"
             "    print('no network:', exc.strerror)\n")
    done = subprocess.run([*unshare, sys.executable, "-c", check], capture_output=True,
                          text=True, timeout=60)
    assert "no network: Network is unreachable" in done.stdout
    done = subprocess.run([*unshare, sys.executable, "-m", "hipsense", "report", str(WEEK),
                           "-o", str(out), "--pdf"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000


def test_the_command_line(monkeypatch, tmp_path):
    cmd = pdf_command("chromium", tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "p")
    for switch in ("--headless", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--no-first-run", "--disable-default-apps",
                   "--disable-extensions", "--metrics-recording-only", "--no-pings",
                   "--disable-domain-reliability", "--dns-prefetch-disable",
                   "--no-proxy-server", f"--user-data-dir={tmp_path / 'p'}",
                   f"--print-to-pdf={tmp_path / 'r.pdf'}",
                   "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost"):
        assert switch in cmd
    # one --disable-features (chromium keeps only the last one given)
    features = [c for c in cmd if c.startswith("--disable-features=")]
    assert len(features) == 1
    assert {"Translate", "OptimizationHints", "MediaRouter"} <= set(
        features[0].split("=", 1)[1].split(","))
    assert cmd[-1] == (tmp_path / "r.html").resolve().as_uri()
    assert set(OFFLINE_SWITCHES) <= set(cmd)
    # the sandbox stays on, except as root (where chromium refuses to start with it)
    monkeypatch.setattr(report_html.os, "geteuid", lambda: 1000)
    assert "--no-sandbox" not in pdf_command("chromium", tmp_path / "r.html",
                                             tmp_path / "r.pdf", tmp_path / "p")
    monkeypatch.setattr(report_html.os, "geteuid", lambda: 0)
    assert "--no-sandbox" in pdf_command("chromium", tmp_path / "r.html",
                                         tmp_path / "r.pdf", tmp_path / "p")
    # Windows has no os.geteuid (no root): the sandbox stays on, no AttributeError
    monkeypatch.delattr(report_html.os, "geteuid")
    assert "--no-sandbox" not in pdf_command("chromium", tmp_path / "r.html",
                                             tmp_path / "r.pdf", tmp_path / "p")


def test_no_chromium_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["report", str(WEEK), "-o", str(tmp_path / "r.html"), "--pdf",
                 "--pdf-engine", "chromium"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pdf needs chromium" in err[0]
    assert "--pdf-engine matplotlib needs no browser" in err[0]
    assert (tmp_path / "r.html").exists() and not (tmp_path / "r.pdf").exists()
