"""Read and write session folders (shared/spec/session-format.md, version 1).

Every malformed input raises :class:`~hipsense.errors.SessionFormatError` whose
one-line message names the file and the line or key at fault.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from hipsense.consts import (
    ACC_COLS, ACC_DECIMALS, GYR_COLS, GYR_DECIMALS, REQUIRED_COLS, SESSION_FILE,
    SESSION_FORMAT, SESSION_VERSION, TIME_COL, TIME_DECIMALS,
)
from hipsense.errors import MAX_SHOWN_CHARS, SessionFormatError, clip, one_line
from hipsense.io.safe import MAX_RECORDING_BYTES, MAX_SESSION_JSON_BYTES, load_json, read_capped
from hipsense.io.schema import (
    MAX_ABS_ACC_G, MAX_ABS_GYR_DPS, MAX_ABS_TIME_S, MAX_RATE_HZ, MAX_SPAN_PERIODS,
    MIN_ABS_ACC_G, MIN_RATE_HZ, validate_session_document,
)
from hipsense.io.private import make_private_dir, write_private_text
from hipsense.core import Recording, Session, SetInfo

# --------------------------------------------------------------------------- CSV


def read_recording(path: str | Path) -> Recording:
    """Read one recording CSV (header, then one row per sample).

    Raises SessionFormatError naming the line for a file above
    MAX_RECORDING_BYTES (refused unread), an empty file, a header without the
    required columns, a row with too many or too few fields, a value that is not
    a finite number or beyond any IMU (``MAX_ABS_ACC_G``, ``MAX_ABS_GYR_DPS``),
    a time that does not increase, or a sample rate beyond any IMU. Blank lines
    at the end (editors add them) are ignored.
    """
    path = Path(path)
    data = read_capped(path, MAX_RECORDING_BYTES)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    data = data.rstrip(b" \t\r\n")
    try:
        header_line = data[:data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8")
    except UnicodeDecodeError:
        raise SessionFormatError(path, "not a text file (expected UTF-8 CSV)", line=1) from None
    if not header_line.strip():
        raise SessionFormatError(path, "empty file: expected the header "
                                 f"'{','.join(REQUIRED_COLS)}'", line=1)
    columns = [c.strip() for c in header_line.rstrip("\r").split(",")]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise SessionFormatError(path, f"header repeats column(s) {clip(', '.join(dupes))}",
                                 line=1)
    missing = [c for c in REQUIRED_COLS if c not in columns]
    if missing:
        got = ",".join(columns)
        got = got if len(got) <= MAX_SHOWN_CHARS else got[:MAX_SHOWN_CHARS - 3] + "..."
        raise SessionFormatError(
            path, f"header lacks column(s) {', '.join(missing)} "
                  f"(expected '{','.join(REQUIRED_COLS)}', got '{one_line(got)}')", line=1)
    if b"\n" not in data:
        raise SessionFormatError(path, "no samples after the header", line=2)

    table = _read_well_formed(data, columns)
    if table is None:
        table = _read_carefully(path, data, columns)
    _check_ranges(path, table)
    return Recording(time_s=table[TIME_COL],
                     acc_g=np.column_stack([table[c] for c in ACC_COLS]),
                     gyr_dps=np.column_stack([table[c] for c in GYR_COLS]),
                     extra={c: table[c] for c in columns if c not in REQUIRED_COLS})


def _csv_options(columns: list[str], types: dict[str, pa.DataType], on_invalid=None
                 ) -> dict[str, Any]:
    """pyarrow CSV options: our (stripped) column names, the header line skipped,
    every line a row (a blank line is a row of empty fields)."""
    return {"read_options": pacsv.ReadOptions(use_threads=False, column_names=columns,
                                              skip_rows=1),
            "parse_options": pacsv.ParseOptions(ignore_empty_lines=False,
                                                invalid_row_handler=on_invalid),
            "convert_options": pacsv.ConvertOptions(column_types=types, null_values=[],
                                                    strings_can_be_null=False,
                                                    quoted_strings_can_be_null=False)}


def _columns(table: pa.Table, columns: list[str]) -> dict[str, np.ndarray]:
    return {c: (_float_column(table.column(c)) if c in REQUIRED_COLS else
                table.column(c).to_numpy(zero_copy_only=False).astype(object))
            for c in columns}


def _float_column(column: pa.ChunkedArray) -> np.ndarray:
    """A float64 column without nulls as numpy, read from its buffers (pyarrow's
    ``to_numpy`` imports pandas, a third of ``hipsense analyze``'s start-up)."""
    if column.null_count or column.type != pa.float64():
        return column.to_numpy()
    parts = [np.frombuffer(chunk.buffers()[1], dtype=np.float64, count=len(chunk),
                           offset=chunk.offset * 8) for chunk in column.chunks]
    if len(parts) == 1:
        return parts[0].copy()
    return np.concatenate(parts) if parts else np.zeros(0)


def _read_well_formed(data: bytes, columns: list[str]) -> dict[str, np.ndarray] | None:
    """pyarrow's CSV reader (fast) for a file with nothing wrong with it; None at
    the first doubt, and the careful path finds and names the problem."""
    types = {c: pa.float64() if c in REQUIRED_COLS else pa.string() for c in columns}
    try:
        table = pacsv.read_csv(pa.BufferReader(data), **_csv_options(columns, types))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    out = _columns(table, columns)
    if not all(np.isfinite(out[c]).all() for c in REQUIRED_COLS):
        return None
    return out


#: A number as the recording CSV may write it (inf and infinity are numbers,
#: though not finite ones).
_NUMBER_RE = r"^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[iI][nN][fF]([iI][nN][iI][tT][yY])?)$"


def _read_carefully(path: Path, data: bytes, columns: list[str]) -> dict[str, np.ndarray]:
    """Every field as text, to name the first line with a wrong number of fields,
    a value that is not a number, or one that is not finite."""
    import pyarrow.compute as pc  # only for a file with something wrong with it

    _check_utf8(path, data)
    skipped: list[tuple[int | None, int]] = []

    def on_invalid(row: Any) -> str:
        skipped.append((row.number, row.actual_columns))
        return "skip"

    try:
        table = pacsv.read_csv(pa.BufferReader(data), **_csv_options(
            columns, {c: pa.string() for c in columns}, on_invalid))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        if "utf8" in str(exc).lower():
            raise SessionFormatError(path, "not a text file (expected UTF-8 CSV)") from None
        raise SessionFormatError(path, f"not a CSV file ({clip(str(exc))})") from None
    skipped_lines = sorted(n for n, _ in skipped if n is not None)

    def line_of(row: int) -> int:
        line = row + 2
        for s in skipped_lines:
            line += s <= line
        return line

    problems: list[tuple[int, str]] = [
        (n if n is not None else 0, f"{fields} field{'s' if fields != 1 else ''} where the "
                                     f"header has {len(columns)}") for n, fields in skipped]
    out: dict[str, np.ndarray] = {}
    for col in columns:
        text = pc.utf8_trim_whitespace(table.column(col))
        if col not in REQUIRED_COLS:
            out[col] = text.to_numpy(zero_copy_only=False).astype(object)
            continue
        is_number = pc.match_substring_regex(text, _NUMBER_RE)
        values = pc.cast(pc.if_else(is_number, text, "0"), pa.float64()).to_numpy()
        number = is_number.to_numpy(zero_copy_only=False).astype(bool)
        if not number.all():
            i = int(np.flatnonzero(~number)[0])
            problems.append((line_of(i), f"column {col}: {_show(text[i].as_py())} "
                                         "is not a number"))
        finite = np.isfinite(values) | ~number
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            problems.append((line_of(i), f"column {col}: {_show(text[i].as_py())} "
                                         "is not a finite number"))
        out[col] = values
    if problems:
        line, message = min(problems, key=lambda p: p[0])
        raise SessionFormatError(path, message, line=line or None)
    if len(out[TIME_COL]) == 0:
        raise SessionFormatError(path, "no samples after the header", line=2)
    return out


def _check_utf8(path: Path, data: bytes, chunk_bytes: int = 1 << 20) -> None:
    """Name the line of the first byte that is not UTF-8 (decoded a chunk at a
    time: the text is not kept)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), chunk_bytes):
        try:
            decoder.decode(view[start:start + chunk_bytes], final=start + chunk_bytes >= len(data))
        except UnicodeDecodeError as exc:
            at = start + exc.start - len(decoder.getstate()[0])
            raise SessionFormatError(path, "not a text file (expected UTF-8 CSV)",
                                     line=data.count(b"\n", 0, max(at, 0)) + 1) from None


def _check_ranges(path: Path, table: dict[str, np.ndarray]) -> None:
    """Values beyond any IMU, a clock beyond any clock, a time that does not
    increase, a sample rate beyond any IMU: one line naming the place."""
    time_s = table[TIME_COL]
    limits = [(TIME_COL, MAX_ABS_TIME_S, "s is beyond any sensor clock")]
    limits += [(c, MAX_ABS_ACC_G, "g is beyond any accelerometer") for c in ACC_COLS]
    limits += [(c, MAX_ABS_GYR_DPS, "deg/s is beyond any gyroscope") for c in GYR_COLS]
    for col, limit, what in limits:
        beyond = np.abs(table[col]) > limit
        if beyond.any():
            i = int(np.flatnonzero(beyond)[0])
            raise SessionFormatError(path, f"column {col}: {float(table[col][i]):.6g} {what} "
                                     f"(at most {limit:g})", line=i + 2)
    still = np.max(np.abs(np.column_stack([table[c] for c in ACC_COLS])), axis=1) < MIN_ABS_ACC_G
    if still.any():
        i = int(np.flatnonzero(still)[0])
        raise SessionFormatError(
            path, f"columns {', '.join(ACC_COLS)}: 0 g on all three axes, which no working "
                  "accelerometer reads (switched off, or a lost sample written as zeros?)",
            line=i + 2)
    steps = np.diff(time_s)
    if (steps <= 0).any():
        bad = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise SessionFormatError(
            path, f"time_s {float(time_s[bad])!r} does not increase (previous line has "
                  f"{float(time_s[bad - 1])!r})", line=bad + 2)
    if len(time_s) < 2:
        return
    rate_hz = 1.0 / float(np.median(steps))
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise SessionFormatError(
            path, f"column time_s: a median step of {1.0 / rate_hz:.3g} s is {rate_hz:.3g} "
                  f"samples per second, {'beyond any IMU' if rate_hz > MAX_RATE_HZ else 'too few'}"
                  f" (hipsense reads {MIN_RATE_HZ:g} to {MAX_RATE_HZ:g} Hz): is time_s in "
                  "seconds?")
    periods = float(time_s[-1] - time_s[0]) * rate_hz
    if periods > MAX_SPAN_PERIODS:
        jump = int(np.argmax(steps)) + 1
        raise SessionFormatError(
            path, f"column time_s: the recording spans {periods:.3g} sample periods at its "
                  f"median rate, more than {MAX_SPAN_PERIODS:.3g}: the clock jumps "
                  f"{float(steps[jump - 1]):.6g} s here", line=jump + 2)


def _show(value: Any) -> str:
    return "an empty field" if value == "" else clip(str(value))


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


def _write_atomic(path: Path, text: str) -> None:
    """Write atomically, owner-only (0600; a new folder 0700): see io/private.py."""
    write_private_text(path, text)


# ------------------------------------------------------------------ session.json


def read_session_json(folder: str | Path) -> dict[str, Any]:
    """The one reader of ``session.json`` (check, analyze, report, import and
    export all use it): the whole document, ``sets`` included, once valid.

    Refuses, with the file and the key: a session.json above
    MAX_SESSION_JSON_BYTES or one that is not UTF-8 JSON (a BOM is allowed);
    anything :func:`~hipsense.io.schema.validate_session_document` refuses; and a
    file it names that is missing, not a plain name inside the folder, a folder,
    a link to outside the folder (never read), or named twice.
    """
    folder = Path(folder)
    meta_path = folder / SESSION_FILE
    if not folder.is_dir():
        raise SessionFormatError(folder, "not a folder (expected a session folder "
                                 "with session.json)")
    if not (meta_path.exists() or meta_path.is_symlink()):
        raise SessionFormatError(meta_path, "missing: not a hipsense session folder")
    if not _inside(folder, meta_path):
        raise SessionFormatError(meta_path, "links to a file outside the session folder; "
                                 "hipsense does not read it")
    doc = load_json(read_capped(meta_path, MAX_SESSION_JSON_BYTES), meta_path)
    validate_session_document(doc, meta_path)
    seen: dict[Path, str] = {}
    if doc["calibration"] is not None:
        _check_member(folder, meta_path, "calibration", doc["calibration"], seen)
    for i, entry in enumerate(doc["sets"]):
        _check_member(folder, meta_path, f"sets[{i}].file", entry["file"], seen)
    return doc


def read_session_metadata(folder: str | Path) -> tuple[dict[str, Any], list[SetInfo]]:
    """Read and validate ``session.json``: (metadata without ``sets``, the sets).

    See :func:`read_session_json` for what is checked.
    """
    doc = read_session_json(folder)
    sets = [SetInfo(e["file"], e["exercise"], e["side"],
                    {k: v for k, v in e.items() if k not in ("file", "exercise", "side")})
            for e in doc["sets"]]
    return {k: v for k, v in doc.items() if k != "sets"}, sets


def read_member(folder: str | Path, name: str) -> bytes:
    """The bytes of a file of a session folder (``session.json`` or a
    recording it names), read as every reader of a session does: a plain name
    inside the folder (links followed must stay inside), a regular file, and at
    most MAX_SESSION_JSON_BYTES (session.json) or MAX_RECORDING_BYTES, refused
    before it is read.

    FileNotFoundError when the file (or the folder) is not there;
    SessionFormatError naming the file for anything else.
    """
    folder = Path(folder)
    pure = PurePosixPath(name)
    path = folder / name
    if (not name or pure.is_absolute() or ".." in pure.parts or "\\" in name
            or str(pure) != name or one_line(name) != name):
        raise SessionFormatError(folder, f"{clip(name)} is not a plain file name inside the "
                                 "session folder")
    if not (path.exists() or path.is_symlink()):
        raise FileNotFoundError(2, "not found", str(path))
    if not _inside(folder, path):
        raise SessionFormatError(path, "links to a file outside the session folder; "
                                 "hipsense does not read it")
    limit = MAX_SESSION_JSON_BYTES if name == SESSION_FILE else MAX_RECORDING_BYTES
    return read_capped(path, limit)


def _inside(folder: Path, path: Path) -> bool:
    """Whether ``path``, links followed, is inside ``folder``."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def _check_member(folder: Path, meta_path: Path, key: str, name: str,
                  seen: dict[Path, str]) -> None:
    def fail(message: str) -> SessionFormatError:
        return SessionFormatError(meta_path, message, key=key)

    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise fail(f"{clip(name)} must be a file inside the session folder")
    if str(pure) != name or one_line(name) != name:
        raise fail(f"{clip(name)} is not a plain file name (such as {clip(pure.name)})")
    path = folder / name
    if not (path.exists() or path.is_symlink()):
        raise fail(f"names {clip(name)}, which is not in {folder}")
    if not _inside(folder, path):
        raise fail(f"{clip(name)} links to a file outside the session folder; "
                   "hipsense does not read it")
    if not path.is_file():
        raise fail(f"{clip(name)} is not a file")
    real = path.resolve()
    if real in seen:
        raise fail(f"{clip(name)} is the same file as {seen[real]}")
    seen[real] = key


def read_session(folder: str | Path) -> Session:
    """Read a whole session folder: metadata, calibration (or None) and every set."""
    folder = Path(folder)
    metadata, infos = read_session_metadata(folder)
    cal_name = metadata["calibration"]
    calibration = read_recording(folder / cal_name) if cal_name is not None else None
    sets = [(info, read_recording(folder / info.file)) for info in infos]
    return Session(metadata=metadata, calibration=calibration, sets=sets, folder=folder)


def new_session_metadata(started_at: str | None, sample_rate_hz: float | None,
                         calibration: str | None, extra: Mapping[str, Any] = {}
                         ) -> dict[str, Any]:
    """The metadata of a new session.json (all but ``sets``), the one place it is
    made: ``format`` and ``version``, the start (ISO 8601), the nominal rate,
    the calibration's file name (None: none recorded), then the ``extra`` keys
    in order (a key named above keeps its place and takes the extra value)."""
    return {"format": SESSION_FORMAT, "version": SESSION_VERSION, "started_at": started_at,
            "sample_rate_hz": sample_rate_hz, "calibration": calibration, **extra}


def session_document(session: Session) -> dict[str, Any]:
    """The session.json document of a session: the metadata keys in order
    (``format``, ``version`` and ``calibration`` added when missing), then ``sets``."""
    doc = {k: v for k, v in session.metadata.items() if k != "sets"}
    doc.setdefault("format", SESSION_FORMAT)
    doc.setdefault("version", SESSION_VERSION)
    doc.setdefault("calibration", None)
    doc["sets"] = [info.to_json() for info, _ in session.sets]
    return doc


def session_json(session: Session) -> str:
    """session.json text: :func:`session_document`, indented."""
    return json.dumps(session_document(session), indent=2, ensure_ascii=False) + "\n"


def write_session(session: Session, folder: str | Path) -> Path:
    """Write a session folder: every recording, then session.json (last, so a
    folder with a session.json is complete). Returns the folder."""
    folder = Path(folder)
    make_private_dir(folder)
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
