"""Parquet reader: DuckDB scans the file, roles are detected as for CSV, native types kept."""

from __future__ import annotations

from pathlib import Path

import duckdb

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io._detect import ColumnProfile, detect_mapping, quote_ident, quote_literal, validate_timezone
from procatlas.io._stage import Stager
from procatlas.io._tabular import stage_table

SAMPLE_ROWS = 20_000
_ORDER = "__procatlas_row"


def read_parquet(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stage a Parquet file: one event per row; tz-aware timestamps are converted to UTC,
    naive ones are read in ``options.timezone``, text timestamps are parsed as in CSV."""
    path = Path(path)
    tz = validate_timezone(options.timezone, path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path=path)
    scan = f"read_parquet({quote_literal(str(path))}, file_row_number=true)"
    try:
        described = stager.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()
        rows = stager.sql(f"SELECT count(*) FROM {scan}").fetchall()[0][0]
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"not a readable Parquet file ({first.replace(str(path), '').strip()})",
                         path=path) from None
    types = {name: typ for name, typ, *_ in described if name != "file_row_number"}
    source = (f"(SELECT * EXCLUDE (file_row_number), file_row_number AS {_ORDER} FROM {scan})")
    profiles = _profiles(stager, source, types)
    detected = detect_mapping(profiles, options.mapping, path=path, rows=rows,
                              ts_format=options.timestamp_format)
    stager.detected.update(mapping=detected.mapping.as_dict(),
                           timestamp_formats={r: f.label or f.kind for r, f in detected.ts_formats.items()})
    for n in detected.notes:
        stager.note(f"{path.name}: {n}")
    stage_table(stager, source=source, cols=profiles, detected=detected, tz=tz, order=_ORDER,
                location=f"s.{_ORDER} + 1")
    stager.advance(path.stat().st_size)


def _profiles(stager: Stager, source: str, types: dict[str, str]) -> list[ColumnProfile]:
    names = list(types)
    sel = ", ".join(f"CAST({quote_ident(n)} AS VARCHAR)" for n in names)
    sample = stager.sql(f"SELECT {sel} FROM {source} ORDER BY {_ORDER} LIMIT {SAMPLE_ROWS}").fetchall()
    out = []
    for i, n in enumerate(names):
        vals = [r[i] for r in sample if r[i] is not None and r[i].strip() != ""]
        out.append(ColumnProfile(n, types[n], vals, len(set(vals))))
    return out
