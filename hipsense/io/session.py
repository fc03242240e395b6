"""Read and write session folders (shared/spec/session-format.md, version 1).

Every malformed input raises :class:`~hipsense.errors.SessionFormatError` whose
one-line message names the file and the line or key at fault.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from hipsense.consts import (
    ACC_COLS, ACC_DECIMALS, GYR_COLS, GYR_DECIMALS, REQUIRED_COLS, SESSION_FILE,
    SESSION_FORMAT, SESSION_VERSION, TIME_COL, TIME_DECIMALS,
)
from hipsense.errors import SessionFormatError
from hipsense.exercises import EXERCISES, SIDES
from hipsense.recording import Recording, Session, SetInfo

# --------------------------------------------------------------------------- CSV


def read_recording(path: str | Path) -> Recording:
    """Read one recording CSV (header, then one row per sample).

    Raises SessionFormatError naming the line for an empty file, a header
    without the required columns, a row with too many or too few fields, a
    value that is not a finite number, or a time that does not increase.
    """
    path = Path(path)
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            header_line = fh.readline()
    except FileNotFoundError:
        raise SessionFormatError(path, "file not found") from None
    except UnicodeDecodeError:
        raise SessionFormatError(path, "not a text file (expected UTF-8 CSV)", line=1) from None
    except OSError as exc:
        raise SessionFormatError(path, exc.strerror or str(exc)) from None
    if not header_line.strip():
        raise SessionFormatError(path, "empty file: expected the header "
                                 f"'{','.join(REQUIRED_COLS)}'", line=1)
    columns = [c.strip() for c in header_line.rstrip("\r\n").split(",")]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise SessionFormatError(path, f"header repeats column(s) {', '.join(dupes)}", line=1)
    missing = [c for c in REQUIRED_COLS if c not in columns]
    if missing:
        raise SessionFormatError(
            path, f"header lacks column(s) {', '.join(missing)} "
                  f"(expected '{','.join(REQUIRED_COLS)}', got '{','.join(columns)}')", line=1)

    fast = _read_well_formed(path, columns)
    if fast is not None:
        return fast
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", engine="c", keep_default_na=False,
                         na_values=[], skip_blank_lines=False, skipinitialspace=True,
                         dtype={c: str for c in columns if c not in REQUIRED_COLS})
    except pd.errors.ParserError as exc:
        raise SessionFormatError(path, _parser_message(exc), line=_parser_line(exc)) from None
    except UnicodeDecodeError:
        raise SessionFormatError(path, "not a text file (expected UTF-8 CSV)") from None
    if len(df) == 0:
        raise SessionFormatError(path, "no samples after the header", line=2)

    data = {}
    for col in REQUIRED_COLS:
        values = df[col]
        if values.dtype.kind not in "iuf":
            numeric = pd.to_numeric(values, errors="coerce")
            bad = int(np.flatnonzero(numeric.isna().to_numpy())[0])
            raise SessionFormatError(
                path, f"column {col}: {_show(values.iloc[bad])} is not a number", line=bad + 2)
        arr = values.to_numpy(dtype=float)
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int(np.flatnonzero(~finite)[0])
            raise SessionFormatError(path, f"column {col}: {arr[bad]} is not a finite number",
                                     line=bad + 2)
        data[col] = arr

    time_s = data[TIME_COL]
    steps = np.diff(time_s)
    if (steps <= 0).any():
        bad = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise SessionFormatError(
            path, f"time_s {float(time_s[bad])!r} does not increase (previous line has "
                  f"{float(time_s[bad - 1])!r})", line=bad + 2)
    extra = {c: df[c].to_numpy() for c in columns if c not in REQUIRED_COLS}
    return Recording(time_s=time_s,
                     acc_g=np.column_stack([data[c] for c in ACC_COLS]),
                     gyr_dps=np.column_stack([data[c] for c in GYR_COLS]),
                     extra=extra)


def _read_well_formed(path: Path, columns: list[str]) -> Recording | None:
    """pyarrow's CSV reader (faster) for a file with nothing wrong with it; None
    at the first doubt, and the careful pandas path finds and names the problem."""
    types = {c: pa.float64() if c in REQUIRED_COLS else pa.string() for c in columns}
    try:
        table = pacsv.read_csv(
            path, read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[],
                                                 strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    if table.column_names != columns or table.num_rows == 0:
        return None
    data = {c: table.column(c).to_numpy() for c in REQUIRED_COLS}
    if not all(np.isfinite(v).all() for v in data.values()):
        return None
    if (np.diff(data[TIME_COL]) <= 0).any():
        return None
    extra = {c: table.column(c).to_numpy(zero_copy_only=False).astype(object)
             for c in columns if c not in REQUIRED_COLS}
    return Recording(time_s=data[TIME_COL],
                     acc_g=np.column_stack([data[c] for c in ACC_COLS]),
                     gyr_dps=np.column_stack([data[c] for c in GYR_COLS]), extra=extra)


def _show(value: Any) -> str:
    return "an empty field" if value == "" else repr(str(value))


def _parser_line(exc: Exception) -> int | None:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None


def _parser_message(exc: Exception) -> str:
    match = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", str(exc))
    if match:
        return f"{match.group(2)} fields where the header has {match.group(1)}"
    return str(exc).strip().splitlines()[-1]


def format_recording_csv(rec: Recording) -> str:
    """The CSV text of a recording: required columns with fixed decimals
    (time 1 us, acc 10 ug, gyro 1 mdps), then extra columns as given."""
    cols = [np.char.mod(f"%.{TIME_DECIMALS}f", rec.time_s)]
    cols += [np.char.mod(f"%.{ACC_DECIMALS}f", rec.acc_g[:, i]) for i in range(3)]
    cols += [np.char.mod(f"%.{GYR_DECIMALS}f", rec.gyr_dps[:, i]) for i in range(3)]
    cols += [np.asarray(v).astype(str) for v in rec.extra.values()]
    header = ",".join([*REQUIRED_COLS, *rec.extra])
    if len(rec) == 0:
        return header + "\n"
    body = cols[0]
    for c in cols[1:]:
        body = np.char.add(np.char.add(body, ","), c)
    return header + "\n" + "\n".join(body.tolist()) + "\n"


def write_recording(rec: Recording, path: str | Path) -> None:
    """Write a recording CSV atomically (a crash leaves the old file or none)."""
    _write_atomic(Path(path), format_recording_csv(rec))


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ session.json


def read_session_metadata(folder: str | Path) -> tuple[dict[str, Any], list[SetInfo]]:
    """Read and validate ``session.json``: (metadata without ``sets``, the sets).

    Checks format, version, required keys and their types, known exercises and
    sides, and that every file it names exists in the folder.
    """
    folder = Path(folder)
    meta_path = folder / SESSION_FILE
    if not folder.is_dir():
        raise SessionFormatError(folder, "not a folder (expected a session folder "
                                 "with session.json)")
    if not meta_path.is_file():
        raise SessionFormatError(meta_path, "missing: not a hipsense session folder")
    try:
        doc = json.loads(meta_path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise SessionFormatError(meta_path, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except UnicodeDecodeError:
        raise SessionFormatError(meta_path, "not a UTF-8 text file") from None
    if not isinstance(doc, dict):
        raise SessionFormatError(meta_path, "expected a JSON object at the top level")

    def fail(key: str, message: str) -> SessionFormatError:
        return SessionFormatError(meta_path, message, key=key)

    for key in ("format", "version", "calibration", "sets"):
        if key not in doc:
            raise fail(key, "required key is missing")
    if doc["format"] != SESSION_FORMAT:
        raise fail("format", f"unknown format {doc['format']!r} (expected {SESSION_FORMAT!r})")
    if type(doc["version"]) is not int or doc["version"] != SESSION_VERSION:
        raise fail("version", f"unsupported version {doc['version']!r} "
                              f"(this hipsense reads version {SESSION_VERSION})")
    rate = doc.get("sample_rate_hz")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float))
                             or not math.isfinite(rate) or rate <= 0):
        raise fail("sample_rate_hz", f"{rate!r} is not a positive number")
    started = doc.get("started_at")
    if started is not None:
        try:
            dt.datetime.fromisoformat(str(started))
        except ValueError:
            raise fail("started_at", f"{started!r} is not an ISO 8601 date and time") from None
    calibration = doc["calibration"]
    if calibration is not None:
        _check_member(folder, meta_path, "calibration", calibration)

    if not isinstance(doc["sets"], list):
        raise fail("sets", "expected a list of sets")
    sets: list[SetInfo] = []
    seen: set[str] = set()
    for i, entry in enumerate(doc["sets"]):
        where = f"sets[{i}]"
        if not isinstance(entry, dict):
            raise fail(where, "expected an object with file, exercise and side")
        for key in ("file", "exercise", "side"):
            if key not in entry:
                raise fail(f"{where}.{key}", "required key is missing")
        exercise, side = entry["exercise"], entry["side"]
        if exercise not in EXERCISES:
            raise fail(f"{where}.exercise", f"unknown exercise {exercise!r} "
                                            f"(expected one of {', '.join(EXERCISES)})")
        if side not in SIDES:
            raise fail(f"{where}.side", f"unknown side {side!r} (expected left, right or both)")
        allowed = EXERCISES[exercise].sides
        if side not in allowed:
            raise fail(f"{where}.side", f"{exercise} takes side {' or '.join(allowed)}, "
                                        f"not {side!r}")
        _check_member(folder, meta_path, f"{where}.file", entry["file"])
        if entry["file"] in seen:
            raise fail(f"{where}.file", f"{entry['file']!r} is listed twice")
        if entry["file"] == calibration:
            raise fail(f"{where}.file", f"{entry['file']!r} is also the calibration")
        seen.add(entry["file"])
        extra = {k: v for k, v in entry.items() if k not in ("file", "exercise", "side")}
        sets.append(SetInfo(entry["file"], exercise, side, extra))
    metadata = {k: v for k, v in doc.items() if k != "sets"}
    return metadata, sets


def _check_member(folder: Path, meta_path: Path, key: str, name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise SessionFormatError(meta_path, f"expected a file name, got {name!r}", key=key)
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise SessionFormatError(meta_path, f"{name!r} must be a file inside the session "
                                 "folder", key=key)
    if not (folder / name).is_file():
        raise SessionFormatError(meta_path, f"names {name!r}, which is not in {folder}", key=key)


def read_session(folder: str | Path) -> Session:
    """Read a whole session folder: metadata, calibration (or None) and every set."""
    folder = Path(folder)
    metadata, infos = read_session_metadata(folder)
    cal_name = metadata["calibration"]
    calibration = read_recording(folder / cal_name) if cal_name is not None else None
    sets = [(info, read_recording(folder / info.file)) for info in infos]
    return Session(metadata=metadata, calibration=calibration, sets=sets)


def session_json(session: Session) -> str:
    """session.json text: the metadata keys in order, then ``sets``."""
    doc = {k: v for k, v in session.metadata.items() if k != "sets"}
    doc.setdefault("format", SESSION_FORMAT)
    doc.setdefault("version", SESSION_VERSION)
    doc.setdefault("calibration", None)
    doc["sets"] = [info.to_json() for info, _ in session.sets]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_session(session: Session, folder: str | Path) -> Path:
    """Write a session folder: every recording, then session.json (last, so a
    folder with a session.json is complete). Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cal_name = session.metadata.get("calibration")
    if (cal_name is None) != (session.calibration is None):
        raise ValueError("metadata 'calibration' and the calibration recording disagree")
    if session.calibration is not None:
        write_recording(session.calibration, folder / cal_name)
    for info, rec in session.sets:
        write_recording(rec, folder / info.file)
    write_session_json(session, folder)
    return folder


def write_session_json(session: Session, folder: str | Path) -> None:
    """Write only session.json (the recordings it names are already there)."""
    _write_atomic(Path(folder) / SESSION_FILE, session_json(session))


def write_text(text: str, path: str | Path) -> None:
    """Write a text file atomically (reports)."""
    _write_atomic(Path(path), text)


def write_json(obj: Any, path: str | Path) -> None:
    """Write a JSON document atomically (indented, UTF-8, trailing newline)."""
    _write_atomic(Path(path), json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
