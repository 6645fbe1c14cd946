"""Ingestion: one file, one transaction; staged rows are validated, rejected or stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from procatlas.errors import InputError
from procatlas.io import ReadOptions, detect_format, process_name
from procatlas.io._stage import STAGE_COLUMNS, Stager, stage_table
from procatlas.io.readers import CASE_CENTRIC, MESSAGE_FORMATS, PEOPLE_FORMATS, reader_for
from procatlas.model.results import IngestReport, SourceReport
from procatlas.workspace.core import Workspace
from procatlas.workspace.timeparse import check_timezone, utc_from_text

Progress = Callable[[str, int, int], None]  # (path, consumed bytes, total bytes)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ingest(ws: Workspace, paths: list[Path], options: ReadOptions, *,
           progress: Progress | None = None) -> IngestReport:
    """Ingest each file in its own transaction; stop at the first unusable file."""
    check_timezone(options.timezone)
    if options.process is not None and not options.process.strip():
        raise InputError("--process must not be empty")
    from procatlas.io.comms import check_as
    check_as(options.as_)
    reports = []
    for path in paths:
        reports.append(ingest_file(ws, Path(path), options, progress=progress))
    return IngestReport(tuple(reports))


def ingest_file(ws: Workspace, path: Path, options: ReadOptions, *,
                progress: Progress | None = None) -> SourceReport:
    check_timezone(options.timezone)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path=path)
    from procatlas.io.comms import communication_format
    fmt = communication_format(path, options.as_) or detect_format(path)
    sha = file_sha256(path)
    done = ws.rows("SELECT source_id, process, events, objects, rejected, imported_at FROM source WHERE sha256 = ?",
                   [sha])
    if done:
        sid, process, events, objects, rejected, when = done[0]
        return SourceReport(str(path), sha, process, fmt, events, objects, rejected, skipped=True,
                            notes=(f"already ingested as source {sid} on {when:%Y-%m-%d %H:%M} UTC; nothing changed",))
    case_centric = fmt in CASE_CENTRIC
    process = (options.process or process_name(path)) if case_centric else None
    total = path.stat().st_size

    def advance(consumed: int) -> None:
        if progress is not None:
            progress(str(path), consumed, total)

    reader = reader_for(fmt)
    with ws.transaction():
        stager = Stager(ws.execute, progress=advance)
        reader(path, stager, options)
        source_id = int(ws.scalar("SELECT coalesce(max(source_id), 0) + 1 FROM source"))
        ws.execute(f"SET TimeZone = '{options.timezone}'")
        try:
            if fmt in MESSAGE_FORMATS or fmt in PEOPLE_FORMATS:
                events, objects, notes = _finalize_communication(ws, source_id, options, stager.detected)
            elif case_centric:
                events, objects, notes = _finalize_case_centric(ws, source_id, process)
            else:
                events, objects, notes = _finalize_object_centric(ws, source_id)
        finally:
            ws.execute("SET TimeZone = 'UTC'")
        rejected = _store_rejects(ws, source_id)
        fmt = str(stager.detected.pop("format", fmt))  # e.g. ocel1-json, refined from the content
        ws.execute(
            "INSERT INTO attribute_type SELECT DISTINCT ?, scope, name, type FROM stage_attribute", [source_id])
        notes = stager.notes + notes
        if not case_centric and options.process:
            notes.append("--process ignored: an object-centric file's object types are its processes")
        if rejected:
            notes.append(f"{rejected} rows rejected; see `procatlas rejects` or the reject table")
        ws.execute(
            "INSERT INTO source VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source_id, str(path.resolve()), fmt, sha, total, process,
             json.dumps({k: v for k, v in options.mapping.as_dict().items() if v} | stager.detected),
             options.timezone, events, objects, rejected, json.dumps(notes),
             datetime.now(timezone.utc).replace(tzinfo=None)])
        for kind in STAGE_COLUMNS:
            ws.execute(f"DROP TABLE IF EXISTS {stage_table(kind)}")
        _drop_temp(ws)
    advance(total)
    return SourceReport(str(path), sha, process, fmt, events, objects, rejected, notes=tuple(notes))


_TEMP = ("fin_event", "fin_object", "fin_case", "fin_dup")


def _drop_temp(ws: Workspace) -> None:
    for name in _TEMP:
        ws.execute(f"DROP TABLE IF EXISTS {name}")


def _reject_reason_sql() -> str:
    """CASE expression naming why a staged event cannot be stored (NULL when it can)."""
    return """
        CASE
          WHEN activity IS NULL OR trim(activity) = '' THEN 'empty activity'
          WHEN t IS NULL AND (ts_text IS NULL OR trim(ts_text) = '') THEN 'missing timestamp'
          WHEN t IS NULL THEN 'unparseable timestamp ''' || ts_text || ''''
        END"""


def _finalize_case_centric(ws: Workspace, source_id: int, process: str) -> tuple[int, int, list[str]]:
    tz = ws.scalar("SELECT current_setting('TimeZone')")
    notes: list[str] = []
    _check_positions(ws, "stage_case_event")
    _duplicate_ids(ws, "stage_case_event")
    # Parse timestamp text once (readers like XES hand over text); the view below then only
    # retries the rows that did not parse, to name them in the reject table.
    ws.execute(f"""UPDATE stage_case_event SET ts = {utc_from_text('ts_text', tz)}
                   WHERE ts IS NULL AND ts_text IS NOT NULL""")
    ws.execute(f"""UPDATE stage_case_event SET start_ts = {utc_from_text("nullif(trim(start_ts_text), '')", tz)}
                   WHERE start_ts IS NULL AND nullif(trim(start_ts_text), '') IS NOT NULL""")
    # A view, not a copy: at 10 million events materialising the checked rows costs more than
    # scanning the staged rows a few times (the checks are row-wise and cheap).
    ws.execute(f"""
        CREATE OR REPLACE TEMP VIEW fin_event AS
        WITH parsed AS (
            SELECT s.*,
                   coalesce(s.ts, {utc_from_text('s.ts_text', tz)}) AS t,
                   coalesce(s.start_ts, {utc_from_text("nullif(trim(s.start_ts_text), '')", tz)}) AS st,
                   d.position IS NOT NULL AS dup
            FROM stage_case_event s LEFT JOIN fin_dup d ON d.position = s.position
        )
        SELECT *,
               CASE
                 WHEN case_id IS NULL OR trim(case_id) = '' THEN 'missing case id'
                 ELSE coalesce({_reject_reason_sql()},
                   CASE WHEN nullif(trim(start_ts_text), '') IS NOT NULL AND st IS NULL
                        THEN 'unparseable start timestamp ''' || start_ts_text || '''' END,
                   CASE WHEN dup THEN 'duplicate event id ''' || event_id || '''' END)
               END AS reason
        FROM parsed""")
    ws.execute("""
        INSERT INTO stage_reject
        SELECT location, reason,
               to_json(struct_pack(case_id, activity, ts_text, start_ts_text, lifecycle, resource, grp,
                                   event_id, attributes))::VARCHAR
        FROM fin_event WHERE reason IS NOT NULL""")
    # Cases: every case with an accepted event, plus traces that had attributes but no events.
    ws.execute("""
        CREATE TEMP TABLE fin_case AS
        WITH ids AS (
            SELECT DISTINCT case_id FROM fin_event WHERE reason IS NULL
            UNION SELECT DISTINCT case_id FROM stage_case WHERE case_id IS NOT NULL AND trim(case_id) <> ''
        ), attrs AS (SELECT case_id, any_value(attributes) AS attributes FROM stage_case GROUP BY case_id)
        SELECT ids.case_id, attrs.attributes, o.oid AS existing_oid
        FROM ids LEFT JOIN attrs USING (case_id)
        LEFT JOIN object o ON o.type = ? AND o.id = ids.case_id""", [process])
    merged = ws.scalar("SELECT count(*) FROM fin_case WHERE existing_oid IS NOT NULL")
    if merged:
        notes.append(f"{merged} case ids already existed in process '{process}'; their events were added to them")
    base_oid = ws.scalar("SELECT coalesce(max(oid), -1) + 1 FROM object")
    ws.execute("""
        CREATE TEMP TABLE fin_object AS
        SELECT case_id, coalesce(existing_oid, ? + row_number() OVER (ORDER BY case_id) - 1) AS oid,
               existing_oid IS NULL AS is_new, attributes
        FROM fin_case""", [base_oid])
    ws.execute("INSERT INTO object SELECT oid, case_id, ?, ?, attributes FROM fin_object WHERE is_new",
               [process, source_id])
    base_eid = ws.scalar("SELECT coalesce(max(eid), -1) + 1 FROM event")
    ws.execute("""
        INSERT INTO event
        SELECT ? + position, event_id, ?, position, activity, t, lifecycle, resource, grp, st, attributes
        FROM fin_event WHERE reason IS NULL""", [base_eid, source_id])
    events = ws.scalar("SELECT count(*) FROM event WHERE eid >= ?", [base_eid])
    ws.execute("""
        INSERT INTO event_object
        SELECT ? + f.position, o.oid, NULL FROM fin_event f JOIN fin_object o USING (case_id)
        WHERE f.reason IS NULL""", [base_eid])
    objects = ws.scalar("SELECT count(*) FROM fin_object WHERE is_new")
    ws.execute("DROP VIEW fin_event")
    return events, objects, notes


def _duplicate_ids(ws: Workspace, table: str) -> None:
    """fin_dup: positions of events whose id already appeared earlier in the same file."""
    ws.execute("CREATE OR REPLACE TEMP TABLE fin_dup (position BIGINT)")
    if not ws.scalar(f"SELECT count(event_id) FROM {table}"):
        return
    ws.execute(f"""
        INSERT INTO fin_dup
        SELECT position FROM (
            SELECT position, row_number() OVER (PARTITION BY event_id ORDER BY position) AS rank
            FROM {table}
            WHERE event_id IN (SELECT event_id FROM {table} WHERE event_id IS NOT NULL
                               GROUP BY event_id HAVING count(*) > 1))
        WHERE rank > 1""")


def _check_positions(ws: Workspace, table: str) -> None:
    """Readers number events 0..n-1 and eids derive from that; a cheap guard against reader bugs
    (count, bounds and sum; an exact distinct count costs seconds on 10 million rows)."""
    n, lo, hi, total = ws.rows(
        f"SELECT count(*), min(position), max(position), sum(position)::HUGEINT FROM {table}")[0]
    if n and (lo != 0 or hi != n - 1 or total != n * (n - 1) // 2):
        # a bug in a reader, not a user mistake
        raise RuntimeError(f"reader numbered {n} events with gaps or duplicates (positions {lo}..{hi})")


def _finalize_object_centric(ws: Workspace, source_id: int) -> tuple[int, int, list[str]]:
    tz = ws.scalar("SELECT current_setting('TimeZone')")
    notes: list[str] = []
    ws.execute(f"""
        CREATE TEMP TABLE fin_event AS
        WITH parsed AS (SELECT *, coalesce(ts, {utc_from_text('ts_text', tz)}) AS t FROM stage_event),
        flagged AS (
            SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY position) AS id_rank FROM parsed
        )
        SELECT * EXCLUDE (id_rank),
               CASE WHEN event_id IS NULL OR trim(event_id) = '' THEN 'missing event id'
                    ELSE coalesce({_reject_reason_sql()},
                                  CASE WHEN id_rank > 1 THEN 'duplicate event id ''' || event_id || '''' END)
               END AS reason
        FROM flagged""")
    _check_positions(ws, "fin_event")
    ws.execute("""
        INSERT INTO stage_reject
        SELECT location, reason,
               to_json(struct_pack(event_id, activity, ts_text, lifecycle, resource, attributes))::VARCHAR
        FROM fin_event WHERE reason IS NOT NULL""")
    base_eid = ws.scalar("SELECT coalesce(max(eid), -1) + 1 FROM event")
    ws.execute("""
        INSERT INTO event
        SELECT ? + position, event_id, ?, position, activity, t, lifecycle, resource, NULL, NULL, attributes
        FROM fin_event WHERE reason IS NULL""", [base_eid, source_id])
    events = ws.scalar("SELECT count(*) FROM fin_event WHERE reason IS NULL")

    # Objects: duplicates within the file are rejected; an object already in the workspace
    # (same type and id, e.g. from an earlier extract) is reused, not duplicated.
    ws.execute("""
        CREATE TEMP TABLE fin_case AS
        SELECT *, row_number() OVER (PARTITION BY object_id ORDER BY rowid) AS id_rank
        FROM (SELECT rowid, * FROM stage_object)""")
    ws.execute("""
        INSERT INTO stage_reject
        SELECT NULL,
               CASE WHEN object_id IS NULL OR trim(object_id) = '' THEN 'missing object id'
                    WHEN type IS NULL OR trim(type) = '' THEN 'object ''' || object_id || ''' has no type'
                    ELSE 'duplicate object id ''' || object_id || '''' END,
               to_json(struct_pack(object_id, type, attributes))::VARCHAR
        FROM fin_case
        WHERE object_id IS NULL OR trim(object_id) = '' OR type IS NULL OR trim(type) = '' OR id_rank > 1""")
    base_oid = ws.scalar("SELECT coalesce(max(oid), -1) + 1 FROM object")
    ws.execute("""
        CREATE TEMP TABLE fin_object AS
        WITH ok AS (
            SELECT object_id, type, attributes FROM fin_case
            WHERE id_rank = 1 AND object_id IS NOT NULL AND trim(object_id) <> ''
              AND type IS NOT NULL AND trim(type) <> ''
        )
        SELECT ok.object_id, ok.type, ok.attributes, o.oid AS existing_oid,
               coalesce(o.oid, ? + row_number() OVER (ORDER BY o.oid IS NOT NULL, ok.object_id) - 1) AS oid
        FROM ok LEFT JOIN object o ON o.type = ok.type AND o.id = ok.object_id""", [base_oid])
    ws.execute("""INSERT INTO object SELECT oid, object_id, type, ?, attributes
                  FROM fin_object WHERE existing_oid IS NULL""", [source_id])
    objects = ws.scalar("SELECT count(*) FROM fin_object WHERE existing_oid IS NULL")
    reused = ws.scalar("SELECT count(*) FROM fin_object WHERE existing_oid IS NOT NULL")
    if reused:
        notes.append(f"{reused} objects already existed in the workspace and were linked, not duplicated")

    # Objects referenced but defined elsewhere: an earlier source's object with the same id.
    ws.execute("""
        CREATE OR REPLACE TEMP TABLE fin_object_ref AS
        SELECT object_id, oid FROM fin_object
        UNION ALL
        SELECT o.id, min(o.oid) FROM object o
        WHERE o.source_id <> ? AND o.id NOT IN (SELECT object_id FROM fin_object)
        GROUP BY o.id""", [source_id])
    ws.execute("""
        CREATE OR REPLACE TEMP TABLE fin_event_ref AS
        SELECT event_id, ? + position AS eid FROM fin_event WHERE reason IS NULL""", [base_eid])
    ws.execute("""
        INSERT INTO stage_reject
        SELECT NULL,
               CASE WHEN e.eid IS NULL THEN 'link refers to event ''' || coalesce(l.event_id, '') || ''' that does not exist or was rejected'
                    ELSE 'event ''' || l.event_id || ''' refers to object ''' || coalesce(l.object_id, '') || ''' that does not exist' END,
               to_json(struct_pack(l.event_id, l.object_id, l.qualifier))::VARCHAR
        FROM stage_event_object l
        LEFT JOIN fin_event_ref e USING (event_id) LEFT JOIN fin_object_ref o USING (object_id)
        WHERE e.eid IS NULL OR o.oid IS NULL""")
    ws.execute("""
        INSERT INTO event_object
        SELECT e.eid, o.oid, l.qualifier FROM stage_event_object l
        JOIN fin_event_ref e USING (event_id) JOIN fin_object_ref o USING (object_id)""")
    ws.execute("""
        INSERT INTO stage_reject
        SELECT NULL, 'object relation refers to object ''' ||
                     CASE WHEN s.oid IS NULL THEN coalesce(l.source_id, '') ELSE coalesce(l.target_id, '') END ||
                     ''' that does not exist',
               to_json(struct_pack(l.source_id, l.target_id, l.qualifier))::VARCHAR
        FROM stage_object_object l
        LEFT JOIN fin_object_ref s ON s.object_id = l.source_id
        LEFT JOIN fin_object_ref t ON t.object_id = l.target_id
        WHERE s.oid IS NULL OR t.oid IS NULL""")
    ws.execute("""
        INSERT INTO object_object
        SELECT s.oid, t.oid, l.qualifier, ? FROM stage_object_object l
        JOIN fin_object_ref s ON s.object_id = l.source_id
        JOIN fin_object_ref t ON t.object_id = l.target_id""", [source_id])
    ws.execute(f"""
        CREATE OR REPLACE TEMP VIEW fin_change AS
        SELECT c.*, o.oid, coalesce(c.ts, {utc_from_text('c.ts_text', tz)}) AS t
        FROM stage_object_change c LEFT JOIN fin_object_ref o USING (object_id)""")
    ws.execute("""
        INSERT INTO stage_reject
        SELECT NULL,
               CASE WHEN oid IS NULL THEN 'attribute change of object ''' || coalesce(object_id, '') || ''' that does not exist'
                    ELSE 'unparseable timestamp ''' || coalesce(ts_text, '') || ''' in attribute change' END,
               to_json(struct_pack(object_id, name, value, ts_text))::VARCHAR
        FROM fin_change WHERE oid IS NULL OR (t IS NULL AND ts_text IS NOT NULL)""")
    ws.execute("""
        INSERT INTO object_change SELECT oid, name, value, t, ? FROM fin_change
        WHERE oid IS NOT NULL AND NOT (t IS NULL AND ts_text IS NOT NULL)""", [source_id])
    ws.execute("DROP VIEW IF EXISTS fin_change")
    for table in ("fin_event_ref", "fin_object_ref"):
        ws.execute(f"DROP TABLE IF EXISTS {table}")
    return events, objects, notes


def _store_rejects(ws: Workspace, source_id: int) -> int:
    ws.execute("INSERT INTO reject SELECT ?, location, reason, raw FROM stage_reject", [source_id])
    return int(ws.scalar("SELECT count(*) FROM stage_reject"))


# -- communication records (messages, people, posts) -------------------------------------------

def _case_ref_sql(patterns: tuple[str, ...]) -> str:
    """SQL list of the case references the patterns find in subject and text."""
    import re

    parts = []
    for p in patterns:
        try:
            group = 1 if re.compile(p).groups else 0
        except re.error as exc:
            raise InputError(f"case reference pattern {p!r} is not a regular expression ({exc})") from None
        lit = "'" + p.replace("'", "''") + "'"
        parts.append(f"regexp_extract_all(concat_ws(' ', subject, text), {lit}, {group})")
    return "list_concat(" + ", ".join(["coalesce(case_refs, [])"] + parts) + ")"


_MESSAGE_REASON = """CASE
    WHEN sender IS NULL AND len(coalesce(recipients, [])) = 0 THEN 'no sender and no recipients'
    WHEN t IS NULL AND nullif(trim(ts_text), '') IS NOT NULL THEN 'unparseable timestamp ''' || ts_text || ''''
    WHEN t IS NULL AND kind <> 'edge' THEN 'missing timestamp'
    WHEN kind NOT IN ({kinds}) THEN 'unknown kind ''' || kind || '''; expected email, chat, meeting or social'
    WHEN id_rank > 1 THEN 'duplicate message id ''' || msg_id || ''''
END"""

_PERSON_REASON = """CASE
    WHEN person_id IS NULL OR trim(person_id) = '' THEN 'missing person id'
    WHEN row_number() OVER (PARTITION BY person_id, coalesce(grp, '') ORDER BY location) > 1
         THEN 'duplicate person ''' || person_id || '''' || coalesce(' in group ''' || grp || '''', '')
END"""


def _finalize_communication(ws: Workspace, source_id: int, options: ReadOptions,
                            detected: dict) -> tuple[int, int, list[str]]:
    """Messages go to ``message``, people to ``person``; bad rows to the reject table."""
    from procatlas.io.comms import DEFAULT_CASE_PATTERNS, KINDS

    tz = ws.scalar("SELECT current_setting('TimeZone')")
    notes: list[str] = []
    reason = _MESSAGE_REASON.format(kinds=", ".join(f"'{k}'" for k in KINDS))
    refs = _case_ref_sql(DEFAULT_CASE_PATTERNS + tuple(options.case_patterns))
    ws.execute(f"""
        CREATE OR REPLACE TEMP TABLE fin_message AS
        WITH p AS (
            SELECT s.*, coalesce(s.ts, {utc_from_text('s.ts_text', tz)}) AS t,
                   CASE WHEN msg_id IS NULL THEN 1
                        ELSE row_number() OVER (PARTITION BY msg_id ORDER BY location) END AS id_rank
            FROM stage_message s
        )
        SELECT *, {reason} AS reason FROM p""")
    ws.execute("""
        INSERT INTO stage_reject
        SELECT location, reason,
               to_json(struct_pack(msg_id, ts_text, sender, recipients, venue, kind, subject))::VARCHAR
        FROM fin_message WHERE reason IS NOT NULL""")
    base = ws.scalar("SELECT coalesce(max(mid), -1) + 1 FROM message")
    ws.execute(f"""
        INSERT INTO message
        SELECT ? + row_number() OVER (ORDER BY location) - 1, msg_id, ?, t, sender,
               coalesce(recipients, []), venue, kind,
               list_filter(list_distinct({refs}), lambda x: x IS NOT NULL AND x <> ''), subject, text, attributes
        FROM fin_message WHERE reason IS NULL""", [base, source_id])
    messages = ws.scalar("SELECT count(*) FROM fin_message WHERE reason IS NULL")
    ws.execute(f"CREATE OR REPLACE TEMP TABLE fin_person AS SELECT *, {_PERSON_REASON} AS reason FROM stage_person")
    external = detected.get("as") == "posts"
    if not external:  # a post's author appears once per post file; only people files reject repeats
        ws.execute("""
            INSERT INTO stage_reject
            SELECT location, reason, to_json(struct_pack(person_id, name, grp, role))::VARCHAR
            FROM fin_person WHERE reason IS NOT NULL""")
    ws.execute("""
        INSERT INTO person
        SELECT f.person_id, f.name, f.grp, f.role, f.attributes, ? FROM fin_person f
        WHERE f.reason IS NULL AND NOT EXISTS (
            SELECT 1 FROM person p WHERE p.id = f.person_id AND coalesce(p."group", '') = coalesce(f.grp, ''))
        ORDER BY f.location""", [source_id])
    people = ws.scalar("SELECT count(*) FROM person WHERE source_id = ?", [source_id])
    known = ws.scalar("SELECT count(*) FROM fin_person WHERE reason IS NULL") - people
    if messages:
        notes.append(f"{messages:,} messages stored")
    if people:
        notes.append(f"{people:,} people stored" + (" (post authors, external)" if external else ""))
    if known and not external:
        notes.append(f"{known:,} people were already in the workspace with the same group; kept once")
    detected["messages"], detected["people"] = int(messages), int(people)
    for table in ("fin_message", "fin_person"):
        ws.execute(f"DROP TABLE IF EXISTS {table}")
    return 0, 0, notes
