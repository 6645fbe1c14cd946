"""CSV/TSV reader (plain, .gz, or a .zip holding one file): DuckDB parses, we detect and stage."""

from __future__ import annotations

import codecs
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io._detect import ColumnProfile, detect_mapping, quote_ident, quote_literal, validate_timezone
from procatlas.io._open import open_binary, zip_member
from procatlas.io._stage import Stager
from procatlas.io._tabular import stage_table

SAMPLE_ROWS = 20_000
_RAW = "__procatlas_csv_raw"
_REJ = "__procatlas_csv_rejects"
_REJ_SCAN = "__procatlas_csv_reject_scans"
_LOC = "__procatlas_csv_lines"

_REASONS = {
    "MISSING COLUMNS": "too few fields",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "malformed quoting",
    "INVALID ENCODING": "not valid UTF-8 text",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID STATE": "malformed line",
}


def read_csv(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Stage a delimited text file: one event per row, roles detected or taken from ``options``.

    Rows DuckDB cannot split into the header's columns go to ``stage_reject`` with their
    line and text; a file that is not a delimited text file at all raises :class:`InputError`.
    """
    path = Path(path)
    tz = validate_timezone(options.timezone, path)
    with _plain_file(path) as local:
        head = _check_text(path, local)
        dialect = _sniff(path, local, stager, head, options.delimiter)
        _load(path, local, stager, dialect)
        try:
            _stage(path, local, stager, options, dialect, tz)
        finally:
            for t in (_RAW, _REJ, _REJ_SCAN, _LOC):
                stager.sql(f"DROP TABLE IF EXISTS {t}")
        stager.advance(path.stat().st_size)


# ---------------------------------------------------------------------------------------------


@contextmanager
def _plain_file(path: Path) -> Iterator[Path]:
    """A path DuckDB can read: the file itself (plain or .gz), or a zip member extracted."""
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path=path)
    if not path.name.lower().endswith(".zip"):
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="procatlas-csv-"))
    try:
        try:
            with zipfile.ZipFile(path) as zf:
                member = zip_member(path, zf, (".csv", ".tsv", ".txt"))
                target = tmp / "member.csv"
                with zf.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise InputError(f"corrupt or truncated zip archive ({exc})", path=path) from None
        yield target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _check_text(path: Path, local: Path) -> bytes:
    """The first 64 KiB, after checking the file is non-empty UTF-8 text (not binary)."""
    with open_binary(local) as (stream, _):
        try:
            head = stream.read(1 << 16)
        except InputError:
            raise InputError("corrupt or truncated gzip data", path=path) from None
        except (EOFError, OSError) as exc:
            raise InputError(f"corrupt or truncated archive ({exc})", path=path) from None
    if not head.strip():
        raise InputError("file is empty; expected a header line naming the columns", path=path, location=1)
    nul = head.find(b"\x00")
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise InputError("binary data (NUL byte), not a CSV text file", path=path, location=line)
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        dec.decode(head, final=False)
    except UnicodeDecodeError as exc:
        line = head.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not UTF-8 text (byte 0x{head[exc.start]:02x}); save the file as UTF-8",
                         path=path, location=line) from None
    return head


def _duck_error(path: Path, exc: Exception) -> InputError:
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else type(exc).__name__
    first = first.split(": ", 1)[-1] if first.startswith(("IO Error", "Invalid Input Error")) else first
    first = first.replace(str(path), "").rstrip(": ").strip() or "cannot be parsed"
    if "GZIP" in first.upper() or "gzip" in first:
        first = f"corrupt or truncated gzip data ({first})"
    return InputError(first, path=path)


class _Dialect(dict):
    pass


def _sniff(path: Path, local: Path, stager: Stager, head: bytes, delimiter: str | None) -> _Dialect:
    args = "sample_size=20480"
    if delimiter:
        args += f", delim={quote_literal(delimiter)}"
    con_sql = f"SELECT Delimiter, Quote, Escape, HasHeader, Columns, SkipRows FROM sniff_csv({quote_literal(str(local))}, {args})"
    try:
        d, q, e, has_header, columns, skip = stager.sql(con_sql).fetchall()[0]
    except duckdb.Error as exc:
        raise _duck_error(path, exc) from None
    first_line = head.split(b"\n", 1)[0].decode("utf-8-sig", "replace").rstrip("\r")
    names = [c["name"] for c in columns]
    # the sniffer votes over sample rows, so a few ragged rows in a small file can fool it;
    # the header line itself is the better witness of the delimiter and the column count
    own = delimiter or _header_delimiter(first_line)
    if own and (own != d or len(names) != len(_split_header(first_line, own))):
        d, names, has_header = own, _split_header(first_line, own), True
        skip = 0
    if not has_header:
        raise InputError(f"no header line: the first line {first_line[:80]!r} looks like data; "
                         "add a header naming the columns", path=path, location=1)
    if len(names) < 2:
        raise InputError(f"found only one column (header {first_line[:80]!r}); is the delimiter "
                         "one of , ; tab | ? pass --delimiter", path=path, location=1)
    quote = q if q and q != "(empty)" else '"'
    escape = e if e and e != "(empty)" else quote
    return _Dialect(delim=d, quote=quote, escape=escape, names=names, skip=int(skip or 0))


def _header_delimiter(line: str) -> str | None:
    counts = {c: _split_header(line, c) for c in (",", ";", "\t", "|")}
    best = max(counts, key=lambda c: len(counts[c]))
    return best if len(counts[best]) > 1 else None


def _split_header(line: str, delim: str) -> list[str]:
    import csv as _csv

    fields = next(_csv.reader([line], delimiter=delim), [])
    out: list[str] = []
    for i, f in enumerate(fields):
        name = f.strip() or f"column{i}"
        base, k = name, 1
        while name in out:
            name, k = f"{base}_{k}", k + 1
        out.append(name)
    return out


def _load(path: Path, local: Path, stager: Stager, dialect: _Dialect) -> None:
    cols = "{" + ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in dialect["names"]) + "}"
    src = (f"read_csv({quote_literal(str(local))}, auto_detect=false, header=true, "
           f"delim={quote_literal(dialect['delim'])}, quote={quote_literal(dialect['quote'])}, "
           f"escape={quote_literal(dialect['escape'])}, skip={dialect['skip']}, columns={cols}, "
           f"store_rejects=true, rejects_table='{_REJ}', rejects_scan='{_REJ_SCAN}', "
           "encoding='utf-8', max_line_size=10000000)")
    try:
        stager.sql(f"CREATE OR REPLACE TEMP TABLE {_RAW} AS SELECT * FROM {src}")
    except duckdb.Error as exc:
        raise _duck_error(path, exc) from None


def _profiles(stager: Stager, names: list[str]) -> list[ColumnProfile]:
    sel = ", ".join(quote_ident(n) for n in names)
    rows = stager.sql(f"SELECT {sel} FROM {_RAW} ORDER BY rowid LIMIT {SAMPLE_ROWS}").fetchall()
    out = []
    for i, n in enumerate(names):
        vals = [r[i] for r in rows if r[i] is not None and r[i].strip() != ""]
        out.append(ColumnProfile(n, "VARCHAR", vals, len(set(vals))))
    return out


def _stage(path: Path, local: Path, stager: Stager, options: ReadOptions, dialect: _Dialect, tz: str) -> None:
    names = dialect["names"]
    rows = stager.sql(f"SELECT count(*) FROM {_RAW}").fetchall()[0][0]
    rejects = _rejects(path, local, stager)
    if rows == 0 and not rejects:
        stager.note(f"{path.name}: header only, no data rows")
    profiles = _profiles(stager, names)
    detected = detect_mapping(profiles, options.mapping, path=path, rows=rows,
                              ts_format=options.timestamp_format)
    stager.detected.update(mapping=detected.mapping.as_dict(), delimiter=dialect["delim"],
                           timestamp_formats={r: f.label for r, f in detected.ts_formats.items()})
    for n in detected.notes:
        stager.note(f"{path.name}: {n}")

    first_record = dialect["skip"] + 2  # records are 1-based and the header is one
    has_nl = rows > 0 and stager.sql(
        "SELECT " + " OR ".join(f"coalesce(bool_or(contains({quote_ident(n)}, chr(10))), false)" for n in names)
        + f" FROM {_RAW}").fetchall()[0][0]
    # Inside a transaction DuckDB numbers the rows of a new table from a large offset, not 0.
    base = stager.sql(f"SELECT coalesce(min(rowid), 0) FROM {_RAW}").fetchall()[0][0]
    if not rejects and not has_nl:
        location, joins = f"s.rowid - {base} + {first_record}", ""
    else:
        _line_table(stager, names, rejects, first_record - base, has_nl)
        location, joins = "l.line", f"JOIN {_LOC} l ON l.rid = s.rowid"
    stage_table(stager, source=_RAW, cols=profiles, detected=detected, tz=tz, order=f"rowid - {base}",
                location=location, decimal_comma=dialect["delim"] != ",", joins=joins)


def _rejects(path: Path, local: Path, stager: Stager) -> list[tuple[int, int]]:
    """Move DuckDB's rejected lines into stage_reject; returns (record number, physical line)."""
    rej = stager.sql(
        f"SELECT line, arg_min(line_byte_position, column_idx), arg_min(error_type::VARCHAR, column_idx), "
        f"arg_min(error_message, column_idx), arg_min(csv_line, column_idx) FROM {_REJ} "
        "GROUP BY line ORDER BY line").fetchall()
    if not rej:
        return []
    lines = _physical_lines(local, [(r[1], r[4]) for r in rej])
    out, locs, reasons, raws = [], [], [], []
    for (rec, _, etype, msg, raw), phys in zip(rej, lines):
        line = phys if phys is not None else rec
        out.append((rec, line))
        locs.append(line)
        why = _REASONS.get(etype, "unreadable line")
        reasons.append(f"{why} ({msg.rstrip('.')})" if msg else why)
        raws.append(raw.rstrip("\r\n") if raw else raw)
    stager.append("reject", {"location": locs, "reason": reasons, "raw": raws})
    return out


def _physical_lines(local: Path, spots: list[tuple[int | None, str | None]]) -> list[int | None]:
    """1-based line of each reject from its byte offset (DuckDB counts records, not lines)."""
    offsets = [(s[0] - 1 if s[0] else None) for s in spots]
    wanted = sorted({o for o in offsets if o is not None and o >= 0})
    found: dict[int, tuple[int, bytes]] = {}
    if wanted:
        pos, newlines, i = 0, 0, 0
        with open_binary(local) as (stream, _):
            while i < len(wanted):
                chunk = stream.read(1 << 22)
                if not chunk:
                    break
                end = pos + len(chunk)
                while i < len(wanted) and wanted[i] < end:
                    o = wanted[i]
                    found[o] = (newlines + chunk.count(b"\n", 0, o - pos) + 1, chunk[o - pos:o - pos + 16])
                    i += 1
                newlines += chunk.count(b"\n")
                pos = end
    out: list[int | None] = []
    for o, (_, raw) in zip(offsets, spots):
        hit = found.get(o) if o is not None else None
        # trust the offset only if the text there is the rejected line
        if hit and raw is not None and raw.encode("utf-8", "replace")[:8].startswith(hit[1][:min(8, len(raw))]):
            out.append(hit[0])
        else:
            out.append(None)
    return out


def _line_table(stager: Stager, names: list[str], rejects: list[tuple[int, int]], first_record: int,
                has_nl: bool) -> None:
    """rowid -> 1-based line, accounting for rejected records before a row and line breaks
    inside quoted values (rare; only then is this table built)."""
    stager.sql(f"CREATE OR REPLACE TEMP TABLE {_LOC}_rej (base BIGINT, shift BIGINT, extra BIGINT)")
    if rejects:
        # a row whose record number without rejects would be b is preceded by every reject j
        # (sorted) with record_j - (j - 1) <= b
        bases = [rec - j for j, (rec, _) in enumerate(rejects)]
        extras, acc = [], 0
        for rec, line in rejects:
            acc = max(acc, line - rec)  # physical line breaks inside rejected text
            extras.append(acc)
        stager.sql(f"INSERT INTO {_LOC}_rej SELECT * FROM (SELECT unnest($1) AS base, "
                   "unnest($2) AS shift, unnest($3) AS extra)",
                   [bases, list(range(1, len(rejects) + 1)), extras])
    nl = ("coalesce(sum(" + " + ".join(
        f"coalesce(len({quote_ident(n)}) - len(replace({quote_ident(n)}, chr(10), '')), 0)" for n in names)
        + ") OVER (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)") if has_nl else "0"
    stager.sql(
        f"CREATE OR REPLACE TEMP TABLE {_LOC} AS "
        f"SELECT b.rid, b.rec + coalesce(r.shift, 0) + greatest(b.nl, coalesce(r.extra, 0)) AS line FROM "
        f"(SELECT rowid AS rid, rowid + {first_record} AS rec, {nl} AS nl FROM {_RAW}) b "
        f"ASOF LEFT JOIN {_LOC}_rej r ON b.rec >= r.base")
    stager.sql(f"DROP TABLE IF EXISTS {_LOC}_rej")
