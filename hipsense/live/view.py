"""The terminal during a recording (rich): prompts, and the live panel of a set.

:func:`live_panel` draws one frame from a :class:`LiveState`: the rep counter
against the prescription, a gauge of the set's primary angle with its flag
zone, the hold timer, the cue of the last rep and the link's health.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import IO, Any, Callable

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from hipsense.exercises import EXERCISES, RUN, Exercise, metric_label
from hipsense.analysis.live import LiveSet, LiveState
from hipsense.analysis.live_calibration import CalibrationProgress

GAUGE_WIDTH = 41


def gauge(value_deg: float, threshold_deg: float | None, *, two_sided: bool = False,
          width: int = GAUGE_WIDTH) -> Text:
    """A horizontal gauge of an angle: level in the middle (0 deg), the flag
    zone past the threshold in red, a marker at the value."""
    span = 2.0 * (threshold_deg or 5.0)
    half = width // 2
    pos = int(round(half + max(-1.0, min(1.0, value_deg / span)) * half))
    text = Text()
    for i in range(width):
        v = (i - half) / half * span
        bad = threshold_deg is not None and (v > threshold_deg or (two_sided and
                                                                   v < -threshold_deg))
        style = "red" if bad else "green"
        text.append("█" if i == pos else ("|" if i == half else "─"), style=style)
    return text


def live_panel(ex: Exercise, side: str, title: str, state: LiveState | None,
               threshold_deg: float | None, link: dict[str, Any]) -> Panel:
    """One frame of the live view."""
    rows: list[Any] = []
    if state is None or not state.ready:
        rows.append(Text("Hold still a moment...", style="bold"))
    elif ex.kind == "reps":
        reps = ex.prescription.reps
        target = f" / {reps[0]}-{reps[1]}" if reps else ""
        rows.append(Text(f"Reps  {state.reps}{target}", style="bold"))
    else:
        target = ex.prescription.hold_s[1]
        rows.append(Text(f"Hold  {state.hold_s:4.1f} s / {target:.0f} s", style="bold"))
    if state is not None and state.ready:
        sig = ex.signal(ex.primary_metric)
        label = metric_label(ex.primary_metric)
        line = Text(f"{label:>16} {state.angle_deg:+5.1f} deg  ")
        line.append_text(gauge(state.angle_deg, threshold_deg,
                               two_sided=sig.reduce == "absmax"))
        rows.append(line)
        if ex.kind == "reps" and ex.prescription.hold_s[1] > 0:
            rows.append(Text(f"Hold at the top  {state.hold_s:3.1f} s "
                             f"(aim {ex.prescription.hold_s[1]:.0f} s)"))
        if state.rep_angles_deg and threshold_deg is not None:
            last = state.rep_angles_deg[-1]
            rows.append(Text(f"Last rep {label} {last:+.1f} deg (flag above "
                             f"{threshold_deg:.0f} deg)"))
        if state.cue:
            rows.append(Text(state.cue, style="bold yellow"))
    health = (f"link {link.get('state', '?')}, {link.get('samples', 0)} samples, "
              f"{link.get('lost_packets', 0)} packets lost, {link.get('drops', 0)} drops")
    rows.append(Text(health, style="dim"))
    rows.append(Text("Press Enter to end the set, Ctrl-C to end the session.", style="dim"))
    return Panel(Group(*rows), title=Text(title), expand=False)  # plain text, not markup


def calibration_text(progress: CalibrationProgress, samples: int) -> Text:
    """The calibration's phases in one line each: done, in progress (with its
    countdown or count) or to come."""
    text = Text(f"Calibration: {samples} samples\n")
    for i, p in enumerate(progress.phases):
        if p.state == "good":
            mark, style = "good", "green"
        elif p.state == "short":
            mark, style = "short", "yellow"
        elif p.state == "now":
            mark = (f"{p.count} of {p.target}" if p.target is not None
                    else f"{p.remaining_s or 0:.0f} s to go")
            style = "bold"
        else:
            mark, style = "next", "dim"
        text.append(f"  {i + 1}. {p.name}: {mark}", style=style)
        if p.state == "now":
            text.append(f"  ({p.instruction})", style="dim")
        text.append("\n")
    if progress.done:
        text.append("  All good: stay still a moment (Enter ends it now).", style="bold green")
    else:
        text.append("  Press Enter when done.", style="dim")
    return text


class LineReader:
    """The lines of a text stream (stdin), read by a daemon thread and handed
    to ``on_line`` in the event loop; "" once at the end of input. Portable:
    Windows' event loops cannot watch stdin (``loop.add_reader``)."""

    def __init__(self, stream: IO[str], on_line: Callable[[str], None],
                 loop: asyncio.AbstractEventLoop) -> None:
        self._stream, self._on_line, self._loop = stream, on_line, loop
        self._thread = threading.Thread(target=self._run, name="hipsense-keyboard", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                line = self._stream.readline()
            except (OSError, ValueError):  # the stream went away
                line = ""
            try:
                self._loop.call_soon_threadsafe(self._on_line, line)
            except RuntimeError:  # the loop is closed: nobody listens any more
                return
            if line == "":
                return


class ConsoleUI:
    """Interactive prompts on stdin/stdout; the live panel redrawn in place."""

    def __init__(self, console: Console | None = None, *, bell: bool = False,
                 stdin: IO[str] | None = None) -> None:
        self.console = console or Console()
        self.bell = bell
        self._stdin = stdin
        self.stop_set = asyncio.Event()
        self._lines: asyncio.Queue[str] = asyncio.Queue()
        self._live: Live | None = None
        self._set: tuple[Exercise, str, str, LiveSet | None] | None = None
        self._cues = 0
        self._reader = False
        self._preparing = False

    def _ensure_reader(self) -> None:
        if not self._reader:
            LineReader(self._stdin or sys.stdin, self._on_line,
                       asyncio.get_running_loop()).start()
            self._reader = True

    def _on_line(self, line: str) -> None:
        if line == "":  # end of input: nobody will answer any more
            line = "q\n"
        if self._live is not None or self._preparing:
            self.stop_set.set()
        else:
            self._lines.put_nowait(line.strip())

    async def _ask(self, prompt: str) -> str:
        self._ensure_reader()
        self.console.print(prompt, end=" ")
        return await self._lines.get()

    def say(self, text: str) -> None:
        self.console.print(text)

    async def ready(self, prompt: str) -> bool:
        self.console.print(Text(prompt, style="bold"))
        return (await self._ask("Press Enter to start (q to quit):")).lower() != "q"

    async def choose_set(self, suggestion: tuple[str, str] | None) -> tuple[str, str] | None:
        ids = [*EXERCISES, RUN.id]

        def name(x: str) -> str:
            return RUN.name if x == RUN.id else EXERCISES[x].name

        while True:
            hint = ""
            if suggestion:
                hint = f" [Enter: {name(suggestion[0])}, {suggestion[1]}]"
            self.console.print("Next set: " + ", ".join(f"{i + 1} {name(x)}"
                                                       for i, x in enumerate(ids)))
            answer = (await self._ask(f"Exercise number{hint}, q to finish:")).lower()
            if answer == "q":
                return None
            if answer == "" and suggestion:
                return suggestion
            if answer.isdigit() and 1 <= int(answer) <= len(ids):
                if ids[int(answer) - 1] == RUN.id:
                    return RUN.id, "both"
                ex = EXERCISES[ids[int(answer) - 1]]
                if ex.sides == ("both",):
                    return ex.id, "both"
                side = (await self._ask("Side, l or r:")).lower()
                if side in ("l", "r", "left", "right"):
                    return ex.id, "left" if side.startswith("l") else "right"
            self.console.print("[red]Please answer with one of the numbers shown.[/red]")

    def prepare(self, title: str, steps: list[str], countdown_s: float) -> None:
        self.console.print(Text(f"{title}: get into position", style="bold"))
        for i, step in enumerate(steps):
            self.console.print(Text(f"  {i + 1}. {step}"))
        if countdown_s > 0:
            self._ensure_reader()
            self._preparing = True
            self.console.print(Text(f"Starting in {countdown_s:.0f} s (Enter: start now).",
                                    style="dim"))

    def calibration_update(self, progress: CalibrationProgress, samples: int) -> None:
        if self._live is not None:
            self._live.update(calibration_text(progress, samples))

    def live_begin(self, title: str, live: LiveSet | None) -> None:
        self._preparing = False
        self._ensure_reader()
        ex = live.ex if live else None
        self._set = (ex, live.side if live else "", title, live) if ex else None
        self._cues = 0
        self._live = Live(Text(f"{title}: recording..."), console=self.console,
                          refresh_per_second=8, transient=False)
        self._live.start()

    def live_update(self, state: LiveState | None, link: dict[str, Any]) -> None:
        if self._live is None:
            return
        if self._set is None:
            return  # the calibration: calibration_update draws it
        ex, side, title, live = self._set
        self._live.update(live_panel(ex, side, title, state, live.threshold_deg, link))
        if self.bell and state is not None and state.cues > self._cues:
            self.console.bell()
        if state is not None:
            self._cues = state.cues

    def live_end(self) -> None:
        if self._live is not None:
            self._live.stop()
        self._live = None

    def cancel(self) -> None:
        self._lines.put_nowait("q")


class ScriptedUI:
    """No prompts (``--unattended``): the plan's sets in order, one line each."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.stop_set = asyncio.Event()

    def say(self, text: str) -> None:
        self.console.print(text)

    async def ready(self, prompt: str) -> bool:
        return True

    async def choose_set(self, suggestion: tuple[str, str] | None) -> tuple[str, str] | None:
        return suggestion

    def live_begin(self, title: str, live: LiveSet | None) -> None:
        pass

    def live_update(self, state: LiveState | None, link: dict[str, Any]) -> None:
        pass

    def live_end(self) -> None:
        pass

    def calibration_update(self, progress: CalibrationProgress, samples: int) -> None:
        pass

    def prepare(self, title: str, steps: list[str], countdown_s: float) -> None:
        pass

    def cancel(self) -> None:
        pass
