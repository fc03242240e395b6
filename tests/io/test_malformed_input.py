"""Malformed sessions never give a traceback (issue 11, item 1).

Every bad input gives exit status 2 and one line on stderr naming the file and
the line or key, echoing at most a clip of the input, from every command that
reads a session (check, analyze --json, report, import): one reader for
session.json, one schema, capped reads. A fuzz test mutates session.json and
the CSVs of a sample session; a named test covers each case a fault-injection
run found.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hipsense.cli import main
from hipsense.consts import REQUIRED_COLS
from hipsense.errors import MAX_SHOWN_CHARS
from hipsense.io.safe import MAX_RECORDING_BYTES
from hipsense.io.session import read_recording, read_session
from hipsense.core import Session

COMMANDS = ("check", "analyze", "report", "import")
#: What a one-line error may add to the paths it names (the longest fixed text,
#: the expected header, plus one clipped input value).
MESSAGE_ALLOWANCE_CHARS = 320


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``hipsense ARGV`` in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def argv_for(command: str, folder: Path, work: Path) -> list:
    return {"check": ["check", folder],
            "analyze": ["analyze", "--json", folder],
            "report": ["report", folder, "-o", work / "report.html"],
            "import": ["import", "--db", work / "history.sqlite3", folder]}[command]


def strict_json(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity."""
    def refuse(name: str):
        raise ValueError(f"{name} in --json output")
    return json.loads(text, parse_constant=refuse)


def assert_one_line_error(code: int, err: str, folder: Path) -> str:
    assert code == 2, err
    assert err.startswith("hipsense: error: ") and err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert len(err) <= 2 * len(str(folder)) + MESSAGE_ALLOWANCE_CHARS, len(err)
    return err


def all_commands_refuse(folder: Path, work: Path, *parts: str) -> list[str]:
    """Every command exits 2 with one line holding ``parts``; the lines."""
    errors = []
    for command in COMMANDS:
        code, _, err = run_cli(argv_for(command, folder, work))
        assert_one_line_error(code, err, folder)
        for part in parts:
            assert part in err, (command, part, err)
        errors.append(err)
    assert len(set(errors)) == 1, errors  # one reader: the same message everywhere
    return errors


def all_commands_accept(folder: Path, work: Path) -> dict[str, str]:
    outputs = {}
    for command in COMMANDS:
        code, out, err = run_cli(argv_for(command, folder, work))
        assert (code, err) == (0, ""), (command, err)
        outputs[command] = out
    strict_json(outputs["analyze"])
    return outputs


def edit_json(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "session.json"
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def edit_rows(path: Path, change: Callable[[list[list[str]]], None]) -> None:
    """Change the data rows (fields as text) of a recording CSV."""
    lines = path.read_text().splitlines()
    rows = [line.split(",") for line in lines[1:]]
    change(rows)
    path.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    out = tmp_path / "work"
    out.mkdir()
    return out


# ------------------------------------------------------------- session.json


@pytest.mark.parametrize("key, value, parts", [
    ("exercise", ["single_leg_squat"],
     ["key 'sets[0].exercise'", "['single_leg_squat'] is not a string"]),
    ("sensor", "IMU-9", ["key 'sensor'", "'IMU-9' is not an object or null"]),
    ("athlete", ["Ann", "Bo"], ["key 'athlete'", "['Ann', 'Bo'] is not a string or null"]),
    ("started_at", 1759561920, ["key 'started_at'",
                                "1759561920 is not an ISO 8601 date and time"]),
    ("notes", {"text": 1}, ["key 'notes'", "is not a string or null"]),
    ("version", True, ["key 'version'", "unsupported version True"]),
    ("version", 1.0, ["key 'version'", "unsupported version 1.0"]),
])
def test_a_field_of_the_wrong_json_type_is_refused_naming_the_key(session_dir, work, key,
                                                                 value, parts):
    if key == "exercise":
        edit_json(session_dir, lambda d: d["sets"][0].__setitem__(key, value))
    else:
        edit_json(session_dir, lambda d: d.__setitem__(key, value))
    all_commands_refuse(session_dir, work, "session.json", *parts)


@pytest.mark.parametrize("depth", [40, 200_000])  # within the parser's recursion, and beyond
def test_deep_nesting_is_refused(session_dir, work, depth):
    path = session_dir / "session.json"
    text = path.read_text().rstrip().removesuffix("}")
    path.write_text(text + ', "deep": ' + "[" * depth + "]" * depth + "}")
    all_commands_refuse(session_dir, work, "session.json", "nested more than 32 levels")


@pytest.mark.parametrize("digits", [25, 3000, 5000])
def test_an_integer_of_thousands_of_digits_is_refused(session_dir, work, digits):
    path = session_dir / "session.json"
    path.write_text(path.read_text().replace('"sample_rate_hz": 104.0',
                                             '"sample_rate_hz": ' + "9" * digits))
    all_commands_refuse(session_dir, work, "key 'sample_rate_hz'",
                        f"an integer of {digits} digits is too large")


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_ten_to_the_400_and_non_numbers_are_refused_anywhere(session_dir, work, number):
    path = session_dir / "session.json"
    # an unknown key too: it would be kept, so written back as non-standard JSON
    path.write_text(path.read_text().replace('"seed": 11', f'"seed": {number}'))
    all_commands_refuse(session_dir, work, "key 'simulation.seed'")


def test_ten_to_the_400_as_an_integer_is_refused(session_dir, work):
    edit_json(session_dir, lambda d: d.__setitem__("sample_rate_hz", 10**400))
    all_commands_refuse(session_dir, work, "key 'sample_rate_hz'",
                        "an integer of 401 digits is too large")


def test_a_bom_in_session_json_is_accepted_by_every_command(session_dir, work):
    path = session_dir / "session.json"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    outputs = all_commands_accept(session_dir, work)
    assert "imported" in outputs["import"]
    assert (work / "report.html").exists()
    code, out, _ = run_cli(["history", "--db", work / "history.sqlite3"])
    assert code == 0 and "1 session in the history" in out


def test_session_json_above_the_cap_is_refused_unread(session_dir, work):
    path = session_dir / "session.json"
    text = path.read_text().rstrip().removesuffix("}")
    path.write_text(text + ', "pad": "' + "x" * (2 << 20) + '"}')
    all_commands_refuse(session_dir, work, "session.json", "bytes, more than the")


def test_a_set_listed_again_with_a_slash_is_refused(session_dir, work):
    edit_json(session_dir, lambda d: d["sets"].append(
        {"file": "set01.csv/", "exercise": "single_leg_squat", "side": "left"}))
    all_commands_refuse(session_dir, work, "key 'sets[4].file'",
                        "'set01.csv/' is not a plain file name")


def test_a_folder_named_like_a_set_is_not_a_set(session_dir, work):
    (session_dir / "set05.csv").mkdir()
    edit_json(session_dir, lambda d: d["sets"].append(
        {"file": "set05.csv", "exercise": "clamshell", "side": "left"}))
    all_commands_refuse(session_dir, work, "key 'sets[4].file'", "'set05.csv' is not a file")


def test_the_same_file_twice_through_a_link_is_refused(session_dir, work):
    (session_dir / "set05.csv").symlink_to("set01.csv")
    edit_json(session_dir, lambda d: d["sets"].append(
        {"file": "set05.csv", "exercise": "single_leg_squat", "side": "left"}))
    all_commands_refuse(session_dir, work, "key 'sets[4].file'",
                        "is the same file as sets[0].file")


SECRET = "root:x:0:0:SECRET-FIRST-LINE"


@pytest.mark.parametrize("name", ["set02.csv", "calibration.csv", "session.json"])
def test_a_file_linked_out_of_the_folder_is_refused_never_read_or_echoed(session_dir, work,
                                                                        tmp_path, name):
    outside = tmp_path / "outside" / "private.csv"
    outside.parent.mkdir()
    outside.write_text((session_dir / name).read_text().replace(
        "time_s,", f"{SECRET},", 1) if name != "session.json" else
        (session_dir / name).read_text() + "\n" + SECRET)
    (session_dir / name).unlink()
    (session_dir / name).symlink_to(outside)
    for err in all_commands_refuse(session_dir, work, "links to a file outside the session "
                                                      "folder", "does not read it"):
        assert "SECRET" not in err and "private.csv" not in err


def test_a_link_inside_the_folder_is_followed(session_dir, work):
    (session_dir / "data").mkdir()
    (session_dir / "set02.csv").rename(session_dir / "data" / "set02.csv")
    (session_dir / "set02.csv").symlink_to(Path("data") / "set02.csv")
    all_commands_accept(session_dir, work)


def test_a_named_pipe_as_a_set_is_refused_without_waiting(session_dir, work):
    (session_dir / "set02.csv").unlink()
    os.mkfifo(session_dir / "set02.csv")
    all_commands_refuse(session_dir, work, "key 'sets[1].file'", "'set02.csv' is not a file")


# ------------------------------------------------------------------ the CSVs


def test_a_header_with_a_trailing_space_is_read_as_without(session_dir, work):
    path = session_dir / "set01.csv"
    before = read_recording(path)
    text = path.read_text()
    path.write_text(text.replace("gyr_z_dps\n", "gyr_z_dps \n", 1).replace(
        "time_s,", " time_s ,", 1))
    after = read_recording(path)
    assert (after.time_s == before.time_s).all() and (after.gyr_dps == before.gyr_dps).all()
    all_commands_accept(session_dir, work)


def test_a_boolean_column_is_not_a_number(session_dir, work):
    edit_rows(session_dir / "set01.csv", lambda rows: [r.__setitem__(5, "True") for r in rows])
    all_commands_refuse(session_dir, work, "set01.csv:2:", "column gyr_y_dps",
                        "'True' is not a number")


@pytest.mark.parametrize("column, value, what", [
    (4, "1e308", "column gyr_x_dps: 1e+308 deg/s is beyond any gyroscope (at most 10000)"),
    (6, "-10000.5", "column gyr_z_dps: -10000.5 deg/s is beyond any gyroscope"),
    (2, "64.01", "column acc_y_g: 64.01 g is beyond any accelerometer (at most 64)"),
    (0, "1e11", "column time_s: 1e+11 s is beyond any sensor clock"),
])
def test_impossible_sensor_values_name_the_file_and_line(session_dir, work, column, value,
                                                         what):
    def change(rows):
        rows[48][column] = value
        if column == 0:  # the clock jumps there and stays
            for r in rows[49:]:
                r[0] = repr(float(r[0]) + 1e11)
    edit_rows(session_dir / "set03.csv", change)
    all_commands_refuse(session_dir, work, "set03.csv:50:", what)


@pytest.mark.parametrize("name", ["calibration.csv", "set01.csv"])
def test_an_accelerometer_reading_exactly_nothing_is_refused(session_dir, work, name):
    # a lost sample written as zeros, or an accelerometer switched off: the
    # calibration's axes would be NaN (no SVD), so it is named, not analysed
    edit_rows(session_dir / name,
              lambda rows: rows[98].__setitem__(slice(1, 4), ["0", "-0.0", "1e-300"]))
    all_commands_refuse(session_dir, work, f"{name}:100: columns acc_x_g, acc_y_g, acc_z_g: "
                        "0 g on all three axes")


def test_values_at_the_edge_of_the_widest_imu_are_read(tmp_path):
    path = tmp_path / "edge.csv"
    path.write_text(",".join(REQUIRED_COLS) + "\n"
                    "0.0,64,-64,0,10000,-10000,0\n0.01,1,0,0,0,0,0\n")
    rec = read_recording(path)
    assert rec.acc_g[0, 1] == -64 and rec.gyr_dps[0, 0] == 10000


def test_time_steps_of_1e_11_s_are_refused_not_a_memory_error(session_dir, work):
    edit_rows(session_dir / "calibration.csv",
              lambda rows: [r.__setitem__(0, repr(1000 + i * 1e-11)) for i, r in enumerate(rows)])
    all_commands_refuse(session_dir, work, "calibration.csv: column time_s: a median step of "
                        "1e-11 s is 1e+11 samples per second, beyond any IMU (hipsense reads "
                        "10 to 10000 Hz)")


def test_time_in_microseconds_is_refused_as_too_few_samples_per_second(session_dir, work):
    edit_rows(session_dir / "set01.csv",
              lambda rows: [r.__setitem__(0, repr(float(r[0]) * 1e6)) for r in rows])
    all_commands_refuse(session_dir, work, "set01.csv: column time_s: a median step of",
                        "samples per second, too few (hipsense reads 10 to 10000 Hz)")


def test_a_clock_jump_that_would_span_days_of_samples_names_its_line(session_dir, work):
    def change(rows):
        for r in rows[100:]:  # a jump of a million seconds after line 101
            r[0] = repr(float(r[0]) + 1e6)
    edit_rows(session_dir / "set02.csv", change)
    all_commands_refuse(session_dir, work, "set02.csv:102: column time_s: the recording spans",
                        "sample periods at its median rate, more than 1e+07")


def test_a_2_gb_file_is_refused_before_reading(session_dir, work):
    path = session_dir / "set02.csv"
    with path.open("r+b") as fh:  # sparse: 2 GB that take no disk
        fh.truncate(2 * 1024**3)
    start = time.perf_counter()
    all_commands_refuse(session_dir, work, "set02.csv: 2147483648 bytes, more than the "
                                           f"{MAX_RECORDING_BYTES}")
    assert time.perf_counter() - start < 20.0


def test_a_long_line_is_echoed_clipped(session_dir, work):
    path = session_dir / "set02.csv"
    path.write_text("x" * 5_000_000 + "\n" + path.read_text())  # one 5 MB header line
    err = all_commands_refuse(session_dir, work, "set02.csv:1: header lacks column(s)")[0]
    assert "x" * (MAX_SHOWN_CHARS + 1) not in err
    edit_rows(session_dir / "set03.csv", lambda rows: rows[10].__setitem__(3, "y" * 100_000))
    path.write_text(path.read_text().split("\n", 1)[1])
    err = all_commands_refuse(session_dir, work, "set03.csv:12:", "column acc_z_g")[0]
    assert "y" * (MAX_SHOWN_CHARS + 1) not in err


def test_long_keys_and_values_in_session_json_are_echoed_clipped(session_dir, work):
    deep = json.dumps({"k" * 1000: {"k" * 1000: {"k" * 1000: "NAN_HERE"}}}).replace(
        '"NAN_HERE"', "NaN")
    path = session_dir / "session.json"
    path.write_text(path.read_text().rstrip().removesuffix("}") + f', "x": {deep}}}')
    err = all_commands_refuse(session_dir, work, "NaN is not a number JSON allows")[0]
    assert "k" * (MAX_SHOWN_CHARS + 1) not in err
    edit_json(session_dir, lambda d: (d.pop("x"), d.__setitem__("format", "f" * 10_000)))
    err = all_commands_refuse(session_dir, work, "key 'format': unknown format 'fff")[0]
    assert "f" * (MAX_SHOWN_CHARS + 1) not in err


@pytest.mark.parametrize("ending", ["\n\n", "\n\n\n", "\r\n\r\n", "\n  \n\t\n"])
def test_blank_lines_at_the_end_of_a_csv_are_accepted(session_dir, work, ending):
    for name in ("calibration.csv", "set01.csv"):
        path = session_dir / name
        path.write_bytes(path.read_bytes().rstrip(b"\n") + ending.encode())
    session = read_session(session_dir)
    assert len(session.sets[0][1]) == len((session_dir / "set01.csv").read_text().split()) - 1
    all_commands_accept(session_dir, work)


def test_a_blank_line_inside_a_csv_names_its_line(session_dir, work):
    path = session_dir / "set01.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:20], "", *lines[20:]]) + "\n")
    all_commands_refuse(session_dir, work, "set01.csv:21:", "an empty field is not a number")


def test_the_first_problem_is_named_when_rows_have_the_wrong_field_count(session_dir, work):
    def change(rows):
        rows[30].append("9")  # line 32: too many fields
        rows[10][2] = "abc"   # line 12: not a number, earlier
    edit_rows(session_dir / "set01.csv", change)
    all_commands_refuse(session_dir, work, "set01.csv:12:", "'abc' is not a number")


def test_json_output_never_holds_nan(session_dir, monkeypatch):
    import hipsense

    real = hipsense.analyze_session

    class WithNaN:
        def __init__(self, result):
            self.result = result

        def to_json(self):
            doc = self.result.to_json()
            doc["sets"][0]["medians"]["pelvic_drop_deg"] = float("nan")
            doc["sets"][0]["quality"]["rate_hz"] = float("inf")
            return doc

    monkeypatch.setattr(hipsense, "analyze_session", lambda folder: WithNaN(real(folder)))
    code, out, err = run_cli(["analyze", "--json", session_dir])
    assert (code, err) == (0, "")
    doc = strict_json(out)
    assert doc["sets"][0]["medians"]["pelvic_drop_deg"] is None
    assert doc["sets"][0]["quality"]["rate_hz"] is None


def test_error_messages_stay_on_one_line_whatever_the_input(session_dir, work):
    edit_json(session_dir, lambda d: d["sets"][0].__setitem__("side", "left\nright\x1b[2J"))
    err = all_commands_refuse(session_dir, work, "key 'sets[0].side'")[0]
    assert "\\n" in err and "\x1b" not in err


@pytest.mark.parametrize("module", ["hipsense.errors", "hipsense.io.safe", "hipsense.io.schema"])
def test_the_examples_in_the_docstrings_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


# --------------------------------------------------------------- fuzz tests


@pytest.fixture(scope="module")
def fuzz_base(small_sim, tmp_path_factory) -> Path:
    """A sample session with the calibration and two sets (fast to analyse and report)."""
    from hipsense.io import write_session

    s = small_sim.session
    folder = tmp_path_factory.mktemp("fuzz") / "session"
    sets = [(replace(info, file=f"set0{i + 1}.csv"), rec)
            for i, (info, rec) in enumerate([s.sets[0], s.sets[3]])]
    write_session(Session(dict(s.metadata), s.calibration, sets), folder)
    return folder


def run_every_command(folder: Path, work: Path) -> None:
    """The property: exit 0 or 2; on 2 one line and no traceback; strict JSON on 0;
    and every command agrees with ``check`` about whether the folder is valid."""
    codes = {}
    for command in COMMANDS:
        try:
            code, out, err = run_cli(argv_for(command, folder, work))
        except BaseException as exc:  # name the command in the failure
            raise AssertionError(f"{command}: {type(exc).__name__}: {exc}"[:500]) from exc
        assert code in (0, 2), (command, code, err)
        if code == 2:
            assert_one_line_error(code, err, folder)
        else:
            assert err == "", (command, err)
            if command == "analyze":
                strict_json(out)
        codes[command] = code
    assert len(set(codes.values())) == 1, codes


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12)
    | st.sampled_from([10**400, 10**25, 1e308, -0.0, "", "[/x]", "set01.csv/", "../x.csv",
                       "/etc/passwd", "calibration.csv", "set01.csv", "set02.csv", "clamshell",
                       "single_leg_squat", "left", "both", "2026-10-04", "\ufeff", "a\x00b"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8)

#: One change to session.json: a value set, a key removed or added (at a place
#: chosen by index among all places), then optionally its bytes damaged.
JSON_OPS = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 10**6), JSON_VALUES),
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
    st.tuples(st.just("add"), st.integers(0, 10**6),
              st.sampled_from(["athlete", "notes", "sensor", "extra", "rpe"]), JSON_VALUES))
JSON_RAW = st.one_of(
    st.tuples(st.sampled_from(["none", "bom"])),
    st.tuples(st.just("byte"), st.floats(0, 1),
              st.sampled_from(["", "{", "]", '"', ",", "\x00", "é"])),
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("nest"), st.sampled_from([33, 3000, 100_000])),
    st.tuples(st.just("digits"), st.sampled_from([20, 400, 5000])))


def _places(doc) -> list[tuple[object, object]]:
    """Every (container, key or index) in a JSON document, in a fixed order."""
    out, stack = [], [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            out.append((node, k))
            if isinstance(v, (dict, list)):
                stack.append(v)
    return out


def mutate_json(text: str, ops: list[tuple], raw: tuple, indent: int | None) -> bytes:
    doc = json.loads(text)
    for op in ops:
        places = _places(doc)
        if not places:
            break
        node, key = places[op[1] % len(places)]
        if op[0] == "set":
            node[key] = op[2]
        elif op[0] == "delete":
            del node[key]
        elif isinstance(node[key], dict):
            node[key][op[2]] = op[3]
        elif isinstance(node[key], list):
            node[key].append(op[3])
        else:
            node[key] = {op[2]: op[3]}
    text = json.dumps(doc, indent=indent)
    kind = raw[0]
    if kind == "bom":
        text = "\ufeff" + text
    elif kind == "byte":
        at = int(raw[1] * (len(text) - 1))
        text = text[:at] + raw[2] + text[at + 1:]
    elif kind == "cut":
        text = text[:int(raw[1] * len(text))]
    elif kind == "nest":
        text = text.replace("{", '{"n": ' + "[" * raw[1] + "]" * raw[1] + ", ", 1)
    elif kind == "digits":
        text = text.replace("104.0", "7" * raw[1], 1)
    return text.encode("utf-8", "surrogatepass")


FUZZ = settings(max_examples=30, deadline=None,
                # the fixtures are module-scoped; each example works in its own folder
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(ops=st.lists(JSON_OPS, min_size=1, max_size=3), raw=JSON_RAW,
       indent=st.sampled_from([None, 2]))
def test_fuzzed_session_json_exits_0_or_2_in_one_line(fuzz_base, ops, raw, indent):
    with tempfile.TemporaryDirectory() as tmp:
        folder, work = Path(tmp) / "session", Path(tmp)
        shutil.copytree(fuzz_base, folder)
        path = folder / "session.json"
        path.write_bytes(mutate_json(path.read_text(), ops, raw, indent))
        run_every_command(folder, work)


CELLS = st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e400", "True",
                         "abc", "0x10", " 1 ", "1,2", "1_0", "65", "-10001", "9999",
                         "\ufeff1"]) | st.floats().map(repr) | st.text(max_size=8)
HEADERS = {"space after": lambda h: h + " ", "space before": lambda h: " " + h,
           "renamed": lambda h: h.replace("gyr_z_dps", "gyr_z"),
           "repeated": lambda h: h + ",gyr_x_dps", "extra": lambda h: h + ",flag",
           "upper": str.upper, "empty": lambda h: "", "semicolons": lambda h: h.replace(",", ";")}

#: One change to a recording CSV (lines and cells chosen by index, modulo).
CSV_OPS = st.one_of(
    st.tuples(st.just("cell"), st.integers(0, 10**6), st.integers(0, 20), CELLS),
    st.tuples(st.just("header"), st.sampled_from(sorted(HEADERS))),
    st.tuples(st.just("blank"), st.integers(0, 10**6), st.sampled_from(["", " ", "\r"])),
    st.tuples(st.just("drop"), st.integers(0, 10**6)),
    st.tuples(st.just("repeat"), st.integers(0, 10**6)),
    st.tuples(st.just("cut"), st.floats(0, 1)),
    st.tuples(st.just("byte"), st.floats(0, 1),
              st.sampled_from(["", ",", "\n", "\x00", "-", "e", "\udcff"])),
    st.tuples(st.just("scale"), st.sampled_from([1e-11, 1e-6, 1e6, -1.0, 1e300])),
    st.tuples(st.just("column"), st.sampled_from(["seq", "flag"]),
              st.sampled_from(["1", "true", "", "x"])),
    st.tuples(st.just("zeros"), st.integers(0, 10**6), st.sampled_from([1, 4])))


def _scale_time(line: str, factor: float) -> str:
    cells = line.split(",")
    try:
        cells[0] = repr(float(cells[0]) * factor)
    except ValueError:  # an earlier change made it text
        pass
    return ",".join(cells)


def mutate_csv(text: str, ops: list[tuple]) -> bytes:
    """The CSV after ``ops``; "\\udcff" stands for the byte 0xff (not UTF-8)."""
    for op in ops:
        lines = text.split("\n")
        row = 1 + op[1] % max(1, len(lines) - 1) if isinstance(op[1], int) else 0
        row = min(row, len(lines) - 1)
        if op[0] == "cell":
            cells = lines[row].split(",")
            cells[op[2] % len(cells)] = op[3]
            lines[row] = ",".join(cells)
        elif op[0] == "header":
            lines[0] = HEADERS[op[1]](lines[0])
        elif op[0] == "blank":
            lines.insert(row, op[2])
        elif op[0] == "drop":
            del lines[row]
        elif op[0] == "repeat":
            lines.insert(row, lines[row])
        elif op[0] == "cut":
            lines = text[:int(op[1] * len(text))].split("\n")
        elif op[0] == "byte":
            at = int(op[1] * (len(text) - 1))
            lines = (text[:at] + op[2] + text[at + 1:]).split("\n")
        elif op[0] == "scale":
            lines = [lines[0]] + [_scale_time(line, op[1]) for line in lines[1:]]
        elif op[0] == "zeros":  # a row's accelerometer or gyroscope all zero
            cells = lines[row].split(",")
            cells[op[2]:op[2] + 3] = ["0", "0", "0"]
            lines[row] = ",".join(cells)
        elif op[0] == "column":
            lines = [lines[0] + f",{op[1]}"] + [line + f",{op[2]}" if line else line
                                                 for line in lines[1:]]
        text = "\n".join(lines)
    return text.encode("utf-8", "surrogateescape")


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(["calibration.csv", "set01.csv", "set02.csv"]),
                               st.lists(CSV_OPS, min_size=1, max_size=2), min_size=1,
                               max_size=2))
def test_fuzzed_csvs_exit_0_or_2_in_one_line(fuzz_base, changes):
    with tempfile.TemporaryDirectory() as tmp:
        folder, work = Path(tmp) / "session", Path(tmp)
        shutil.copytree(fuzz_base, folder)
        for name, ops in changes.items():
            path = folder / name
            path.write_bytes(mutate_csv(path.read_text(), ops))
        run_every_command(folder, work)
