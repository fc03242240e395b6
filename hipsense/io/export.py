"""Exports for analysts: every set of a session in long form (one row per sample)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hipsense.consts import ACC_COLS, GYR_COLS, TIME_COL
from hipsense.io.private import open_private
from hipsense.core import Session


def session_table(session: Session, session_name: str) -> pa.Table:
    """One row per sample of every set, with the set's number (1-based), file,
    exercise and side; extra CSV columns are kept (null where a set lacks them)."""
    tables = []
    for number, (info, rec) in enumerate(session.sets, start=1):
        n = len(rec)
        columns = {
            "session": pa.array([session_name] * n, pa.string()).dictionary_encode(),
            "set": pa.array(np.full(n, number, dtype=np.int16)),
            "file": pa.array([info.file] * n, pa.string()).dictionary_encode(),
            "exercise": pa.array([info.exercise] * n, pa.string()).dictionary_encode(),
            "side": pa.array([info.side] * n, pa.string()).dictionary_encode(),
            TIME_COL: pa.array(rec.time_s),
        }
        for i, name in enumerate(ACC_COLS):
            columns[name] = pa.array(rec.acc_g[:, i])
        for i, name in enumerate(GYR_COLS):
            columns[name] = pa.array(rec.gyr_dps[:, i])
        for name, values in rec.extra.items():
            columns[name] = pa.array(values)
        tables.append(pa.table(columns))
    if not tables:
        raise ValueError("the session has no sets to export")
    table = pa.concat_tables(tables, promote_options="permissive")
    meta = {b"hipsense.started_at": str(session.metadata.get("started_at", "")).encode()}
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})


def write_parquet(session: Session, session_name: str, path: str | Path) -> int:
    """Write :func:`session_table` to a Parquet file; returns the number of rows."""
    table = session_table(session, session_name)
    with open_private(path, "wb") as fh:  # owner-only (0600)
        pq.write_table(table, fh, compression="zstd")
    return table.num_rows
