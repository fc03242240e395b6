"""The guided record's keyboard, read by a thread (portable: Windows' event
loops cannot watch stdin): Enter starts, q quits, Enter ends a set, and the
end of input answers q, all with ``loop.add_reader`` unavailable."""

from __future__ import annotations

import asyncio
import io
import os
from asyncio.selector_events import BaseSelectorEventLoop

from rich.console import Console

from hipsense.live.view import ConsoleUI


def test_prompts_and_sets_answer_the_keyboard_without_add_reader(monkeypatch):
    def no_add_reader(*args, **kwargs):
        raise NotImplementedError("as on Windows' ProactorEventLoop")

    monkeypatch.setattr(BaseSelectorEventLoop, "add_reader", no_add_reader)
    read_fd, write_fd = os.pipe()
    keyboard, stdin = os.fdopen(write_fd, "w"), os.fdopen(read_fd, "r")
    shown = io.StringIO()

    def type_(text: str) -> None:
        keyboard.write(text)
        keyboard.flush()

    async def go():
        ui = ConsoleUI(Console(file=shown, width=80), stdin=stdin)
        type_("\n")
        started = await asyncio.wait_for(ui.ready("Calibration: stand still"), 5)
        type_("1\nl\n")  # the first exercise, left
        chosen = await asyncio.wait_for(ui.choose_set(None), 5)
        ui.live_begin("Clamshell, left leg", None)
        type_("\n")  # Enter ends the set
        await asyncio.wait_for(ui.stop_set.wait(), 5)
        ui.live_end()
        type_("q\n")
        finished = await asyncio.wait_for(ui.choose_set(("clamshell", "right")), 5)
        keyboard.close()  # the end of input answers q
        again = await asyncio.wait_for(ui.ready("Next"), 5)
        return started, chosen, finished, again

    started, chosen, finished, again = asyncio.run(go())
    stdin.close()  # the reader thread has seen the end of input and stopped
    assert started is True
    assert chosen == ("clamshell", "left")
    assert finished is None
    assert again is False
    assert "Press Enter to start (q to quit):" in shown.getvalue()
