r"""Errors that carry a one-line message naming the file, line or key at fault,
and the helpers that show user input safely: clipped and on one line in
messages, markup escaped on the terminal.

Examples
--------
>>> clip("x" * 200)[-4:]
'x...'
>>> print(one_line("a\nb"))
a\nb
>>> print(shown("[bold]runner[/bold]"))
\[bold]runner\[/bold]
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: At most this many characters of any input value are shown in a message.
MAX_SHOWN_CHARS = 80

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with every control character (newline, escape, ...) written as
    its Python escape, so a message stays one line and cannot drive the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def clip(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr`` of an input value for a message: one line, at most ``limit``
    characters (then ``...``), whatever the value (a 2 GB line, a huge integer)."""
    if isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        text = f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    else:
        try:
            text = repr(value)
        except ValueError:  # an integer too long to print, deep inside
            text = f"a {type(value).__name__} too large to show"
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: What rich reads as a tag (rich.markup's own pattern), with the backslashes before it.
_RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def plural(n: int, word: str, words: str | None = None) -> str:
    """A count and its noun: "1 set", "2 sets" (``words`` for an irregular plural)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def shown(text: Any) -> str:
    """A user-supplied string (a path, an athlete's name, a file name) as rich
    markup that prints it literally: ``[bold]`` stays ``[bold]``, on one line.

    As ``rich.markup.escape``, but a trailing backslash stays one backslash
    (so do not put a markup tag right after the result)."""
    return _RICH_TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", one_line(str(text)))


class HipsenseError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits 2."""


class SessionFormatError(HipsenseError):
    """A session folder or recording that does not follow session-format.md.

    The message starts with the file, then the line (``file:12:``) or the key
    (``file: key 'sets[1].side':``) at fault.
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None,
                 key: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.key = key
        where = self.path
        if line is not None:
            where += f":{line}"
        if key is not None:
            where += f": key '{key}'"
        super().__init__(f"{where}: {message}")


class SensorError(HipsenseError):
    """A sensor refused a command, did not answer, or could not be reached."""


class SensorDataError(HipsenseError, ValueError):
    """Bytes from a sensor that do not decode (a damaged, cut-short or unknown
    frame or response). Each decoder raises its own subclass and nothing else,
    whatever the bytes; stream decoders count such notifications and go on."""
