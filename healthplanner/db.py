"""Database helpers for every app (the lowest layer: this module imports no app).

``copy_rows`` loads rows into a PostgreSQL table with ``COPY … FROM STDIN``: as CSV for
rows of Python values (NULLs and JSON included), or in the binary format for columns of
fixed-width numbers packed by numpy in one go (the importers' millions of values).
"""
from __future__ import annotations

import csv
import io
import json
import struct
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = ["BINARY_TYPES", "copy_rows"]

# The PostgreSQL types the binary format carries here, as big-endian numpy types.
BINARY_TYPES = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8", "real": ">f4", "double precision": ">f8"}
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_BINARY_TRAILER = struct.pack(">h", -1)


def copy_rows(target, table: str, columns: Sequence[str], rows, *, format: str = "csv",
              types: Mapping[str, str] | None = None) -> None:
    """``COPY table (columns) FROM STDIN`` with ``rows``; PostgreSQL (psycopg2) only.

    ``target``: a cursor (Django's or psycopg2's), or a connection, for which a cursor is
    opened for the COPY and closed after it. ``table`` and ``columns`` go into the SQL as
    they are: pass trusted names only.

    ``format="csv"``: ``rows`` is an iterable of sequences in the order of ``columns``;
    None becomes NULL (so does an empty string), a dict becomes compact JSON, anything
    else is written as ``str()`` by :mod:`csv`.

    ``format="binary"``: ``rows`` is a DataFrame or a mapping of each column to an array
    (all of one length); ``types`` gives each column's PostgreSQL type, one of
    :data:`BINARY_TYPES`. Every row has the same width, so there is no NULL: send absent
    values as a sentinel (NaN, -1) and turn them into NULL in SQL afterwards. Values are
    cast to the column's type the way numpy assigns them.
    """
    if format == "csv":
        payload = _csv_payload(rows)
        options = "FORMAT csv, NULL ''"
    elif format == "binary":
        if types is None:
            raise ValueError("copy_rows(format='binary') needs the columns' types")
        payload = io.BytesIO(_binary_payload(columns, types, rows))
        options = "FORMAT binary"
    else:
        raise ValueError(f"copy_rows: unknown format {format!r} (csv or binary)")
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH ({options})"
    if hasattr(target, "copy_expert"):
        target.copy_expert(sql, payload)
    else:
        with target.cursor() as cursor:
            cursor.copy_expert(sql, payload)


def _csv_payload(rows: Iterable[Sequence]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else (json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else v)
                         for v in row])
    buffer.seek(0)
    return buffer


def _binary_payload(columns: Sequence[str], types: Mapping[str, str], data) -> bytes:
    """Header, one fixed-width record per row (field count, then each field's byte
    length and value), trailer."""
    dtypes = [np.dtype(BINARY_TYPES[types[c]]) for c in columns]
    layout = [("n", ">i2")]
    for i, dtype in enumerate(dtypes):
        layout += [(f"l{i}", ">i4"), (f"v{i}", dtype)]
    arrays = [np.asarray(data[c]) for c in columns]
    records = np.empty(len(arrays[0]) if arrays else 0, dtype=np.dtype(layout))
    records["n"] = len(columns)
    for i, (dtype, array) in enumerate(zip(dtypes, arrays, strict=True)):
        records[f"l{i}"] = dtype.itemsize
        records[f"v{i}"] = array
    return _BINARY_HEADER + records.tobytes() + _BINARY_TRAILER
