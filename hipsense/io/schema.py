"""The schema of session.json (session-format.md, version 1) and the ranges of
a recording's values: the one place that says what a valid session holds.

:func:`validate_session_document` checks a parsed session.json against
:data:`SESSION_SCHEMA` (JSON Schema 2020-12: types, ranges, known exercises and
sides) and then what a schema cannot say (the side an exercise takes, a file
listed twice). Keys the schema does not name are allowed and kept.

The schemas are published as files for other tools, shipped with the package
(:func:`published_schema`): ``hipsense/schemas/session.schema.json`` is
:data:`SESSION_SCHEMA` as JSON (:func:`session_schema_text`; a test keeps the
two equal), ``hipsense/schemas/analysis.schema.json`` the output of
``hipsense analyze --json`` (measurements.md, and the running check's ``run``
object of running.md).

Examples
--------
>>> doc = {"format": "hipsense-session", "version": 1, "calibration": None,
...        "sets": [{"file": "set01.csv", "exercise": "clamshell", "side": "left"}]}
>>> validate_session_document(doc, Path("s.json"))
>>> doc["sets"][0]["exercise"] = ["clamshell"]
>>> validate_session_document(doc, Path("s.json"))
Traceback (most recent call last):
...
hipsense.errors.SessionFormatError: s.json: key 'sets[0].exercise': ['clamshell'] is not a string
"""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import extend

from hipsense.consts import SESSION_FORMAT, SESSION_VERSION
from hipsense.errors import SessionFormatError, clip
from hipsense.exercises import SET_KINDS, SIDES, set_sides
from hipsense.io.safe import key_path

#: Beyond any IMU hipsense reads (the widest ranges on the market are +-64 g
#: and +-4000 dps; streams over BLE run at a few hundred Hz).
MAX_ABS_ACC_G = 64.0
#: Below this on all three axes (g) an accelerometer reads nothing at all: no
#: working one does, even falling (its noise is larger).
MIN_ABS_ACC_G = 1e-6
MAX_ABS_GYR_DPS = 10_000.0
MAX_RATE_HZ = 10_000.0
#: A recording's median sample rate must be at least this (Hz) to be analysed.
MIN_RATE_HZ = 10.0
#: A recording may span at most this many sample periods at its median rate
#: (over 26 hours at 104 Hz; the analysis resamples onto an even grid).
MAX_SPAN_PERIODS = 10_000_000
#: A sensor clock reading beyond this (s; over 300 years) is not a clock.
MAX_ABS_TIME_S = 1e10
#: Sets in one session (a session of a whole programme has about 20).
MAX_SETS = 500

_FILE_NAME = {"type": "string", "minLength": 1, "maxLength": 255,
              "x-message": "expected a file name, got {value}"}

#: session.json as JSON Schema; ``x-message`` is the message for any error of
#: that key ({value} is the offending value, clipped).
SESSION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "hipsense session.json (session-format.md, version 1)",
    "type": "object",
    "required": ["format", "version", "calibration", "sets"],
    "properties": {
        "format": {"const": SESSION_FORMAT,
                   "x-message": f"unknown format {{value}} (expected {SESSION_FORMAT!r})"},
        "version": {"type": "integer", "const": SESSION_VERSION,
                    "x-message": "unsupported version {value} "
                                 f"(this hipsense reads version {SESSION_VERSION})"},
        "started_at": {"type": ["string", "null"], "maxLength": 64,
                       "format": "iso8601-date-time",
                       "x-message": "{value} is not an ISO 8601 date and time"},
        "sample_rate_hz": {"type": ["number", "null"], "exclusiveMinimum": 0,
                           "maximum": MAX_RATE_HZ,
                           "x-message": "{value} is not a positive number of Hz (at most "
                                        f"{MAX_RATE_HZ:.0f})"},
        "calibration": {**_FILE_NAME, "type": ["string", "null"]},
        "athlete": {"type": ["string", "null"], "maxLength": 200},
        "notes": {"type": ["string", "null"], "maxLength": 100_000},
        "sensor": {"type": ["object", "null"],
                   "properties": {"model": {"type": ["string", "null"], "maxLength": 200},
                                  "gyroscope": {"type": "boolean"}}},
        "sets": {"type": "array", "maxItems": MAX_SETS, "items": {
            "type": "object",
            "required": ["file", "exercise", "side"],
            "properties": {
                "file": _FILE_NAME,
                "exercise": {"type": "string", "enum": list(SET_KINDS)},
                "side": {"type": "string", "enum": list(SIDES)},
            },
        }},
    },
}

#: The published schemas (files in the package's ``schemas`` folder).
SCHEMA_FILES = {"session": "session.schema.json", "analysis": "analysis.schema.json"}


def session_schema_text() -> str:
    """:data:`SESSION_SCHEMA` as the text of ``schemas/session.schema.json``."""
    return json.dumps(SESSION_SCHEMA, indent=2, ensure_ascii=False) + "\n"


def published_schema(name: str) -> dict[str, Any]:
    """The published JSON Schema ``name`` ("session" or "analysis"), parsed."""
    return json.loads(files("hipsense").joinpath("schemas", SCHEMA_FILES[name])
                      .read_text(encoding="utf-8"))


_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("iso8601-date-time", raises=ValueError)
def _iso_date_time(value: object) -> bool:
    if isinstance(value, str):
        dt.datetime.fromisoformat(value)
    return True


# an integer is an int, not 1.0 and not true
_Validator = extend(Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER
                    .redefine("integer", lambda _, x: type(x) is int))
_VALIDATOR = _Validator(SESSION_SCHEMA, format_checker=_FORMATS)

_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number",
               "object": "an object", "array": "a list", "boolean": "true or false",
               "null": "null"}


def _message(error: ValidationError) -> tuple[str, str]:
    """(key, message) for one schema error, echoing at most a clip of the value."""
    parts = list(error.absolute_path)
    value = error.instance
    kind = error.validator
    if kind == "required":
        missing = next(k for k in error.validator_value if k not in value)
        return key_path([*parts, missing]), "required key is missing"
    template = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if template:
        return key_path(parts), template.format(value=clip(value))
    leaf = str(parts[-1]) if parts and isinstance(parts[-1], str) else "value"
    if kind == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted)
        return key_path(parts), f"{clip(value)} is not {words}"
    if kind == "enum":
        return key_path(parts), (f"unknown {leaf} {clip(value)} (expected one of "
                                 f"{', '.join(map(str, error.validator_value))})")
    if kind in ("maxLength", "maxItems"):
        unit = "characters" if kind == "maxLength" else "entries"
        return key_path(parts), (f"{len(value)} {unit}, more than the "
                                 f"{error.validator_value} allowed")
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return key_path(parts), f"{clip(value)} is out of range"
    return key_path(parts), f"{clip(value)} is not valid here ({kind})"


def validate_session_document(doc: Any, path: Path) -> None:
    """Raise SessionFormatError naming ``path`` and the key for the first thing
    in a parsed session.json that the format does not allow (files on disk are
    checked by the reader)."""
    if not isinstance(doc, dict):
        raise SessionFormatError(path, "expected a JSON object at the top level")
    error = best_match(_VALIDATOR.iter_errors(doc))
    if error is not None:
        key, message = _message(error)
        raise SessionFormatError(path, message, key=key or None)
    calibration = doc["calibration"]
    seen: dict[str, int] = {}
    for i, entry in enumerate(doc["sets"]):
        exercise, side, name = entry["exercise"], entry["side"], entry["file"]
        allowed = set_sides(exercise)
        if side not in allowed:
            raise SessionFormatError(path, f"{exercise} takes side {' or '.join(allowed)}, "
                                     f"not {side!r}", key=f"sets[{i}].side")
        if name in seen:
            raise SessionFormatError(path, f"{clip(name)} is listed twice (also "
                                     f"sets[{seen[name]}])", key=f"sets[{i}].file")
        if name == calibration:
            raise SessionFormatError(path, f"{clip(name)} is also the calibration",
                                     key=f"sets[{i}].file")
        seen[name] = i
