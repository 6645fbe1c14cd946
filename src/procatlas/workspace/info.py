"""What a workspace holds: volumes, time span, processes, sources and rejects."""

from __future__ import annotations

import json

from procatlas.model.results import ProcessInfo, WorkspaceInfo
from procatlas.workspace.core import Workspace

PROCESS_SQL = """
    SELECT o.type AS process,
           count(DISTINCT o.oid) AS cases,
           count(DISTINCT eo.eid) AS events,
           count(DISTINCT e.activity) AS activities
    FROM object o
    JOIN event_object eo ON eo.oid = o.oid
    JOIN event e ON e.eid = eo.eid
    GROUP BY o.type
    ORDER BY o.type
"""


def workspace_info(ws: Workspace) -> WorkspaceInfo:
    events, activities, first, last = ws.rows(
        "SELECT count(*), count(DISTINCT activity), min(timestamp), max(timestamp) FROM event")[0]
    objects = ws.scalar("SELECT count(*) FROM object")
    rejected = ws.scalar("SELECT count(*) FROM reject")
    processes = tuple(ProcessInfo(*row) for row in ws.rows(PROCESS_SQL))
    sources = tuple(
        {"source": sid, "path": path, "format": fmt, "sha256": sha, "process": process,
         "events": ev, "objects": ob, "rejected": rj, "imported_at": at.isoformat(),
         "notes": json.loads(notes) if notes else []}
        for sid, path, fmt, sha, process, ev, ob, rj, at, notes in ws.rows(
            "SELECT source_id, path, format, sha256, process, events, objects, rejected, imported_at, notes "
            "FROM source ORDER BY source_id"))
    return WorkspaceInfo(str(ws.path), events, objects, activities, rejected, first, last, processes, sources)


def rejects(ws: Workspace, *, source: int | None = None, limit: int = 100) -> list[dict]:
    """Rejected rows with their file, line/row and reason (newest source first)."""
    where = "WHERE r.source_id = ?" if source is not None else ""
    params = [source] if source is not None else []
    rows = ws.rows(f"""
        SELECT s.path, r.location, r.reason, r.raw FROM reject r JOIN source s USING (source_id)
        {where} ORDER BY r.source_id DESC, r.location NULLS LAST LIMIT {int(limit)}""", params)
    return [{"path": p, "location": loc, "reason": reason, "raw": raw} for p, loc, reason, raw in rows]
