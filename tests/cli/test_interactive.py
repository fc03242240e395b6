"""The guided recording in a real terminal (a pseudo-terminal): prompts, the
live panel, Enter and q, on the virtual sensor at 50x real time."""

from __future__ import annotations

import os
import re
import select
import sys
import time

import pytest

from hipsense.io import read_session

pty = pytest.importorskip("pty")


def _read_until(fd: int, pattern: str, timeout_s: float, seen: list[str]) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", "".join(seen))
        if re.search(pattern, text):
            return text
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen.append(os.read(fd, 65536).decode(errors="replace"))
            except OSError:
                break
    raise AssertionError(f"no {pattern!r} in the terminal:\n{''.join(seen)[-3000:]}")


@pytest.mark.slow
def test_guided_session_in_a_terminal(tmp_path):
    out = tmp_path / "rec"
    pid, fd = pty.fork()
    if pid == 0:  # the child: hipsense in the terminal
        os.environ.update(COLUMNS="100", LINES="40", HIPSENSE_DB=str(tmp_path / "h.sqlite3"))
        os.execv(sys.executable, [sys.executable, "-m", "hipsense", "record", "--sensor",
                                  "virtual", "--speed", "50", "--exercises", "hip_bridge",
                                  "--out", str(out)])
        os._exit(127)  # only if exec failed
    seen: list[str] = []
    try:
        _read_until(fd, r"Press Enter to start", 60, seen)
        os.write(fd, b"\n")
        _read_until(fd, r"Calibration done", 60, seen)
        _read_until(fd, r"Exercise number \[Enter: Hip bridge with band, both\]", 30, seen)
        os.write(fd, b"\n")
        text = _read_until(fd, r"saved set01\.csv, \d+ reps", 60, seen)
        assert "Reps" in text and "obliquity" in text and "Hold at the top" in text
        _read_until(fd, r"Exercise number", 30, seen)
        os.write(fd, b"q\n")
        _read_until(fd, r"added to the history", 60, seen)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.WEXITSTATUS(status) == 0
    saved = read_session(out)
    assert [(i.exercise, i.side) for i, _ in saved.sets] == [("hip_bridge", "both")]
    assert saved.calibration is not None and saved.metadata["simulation"]["seed"] == 1
