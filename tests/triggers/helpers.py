"""Test helpers: the simulator's posts as rows of the message table (until posts ingest is used)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa


def insert_posts(ws, posts_jsonl: Path, *, source_id: int = 999) -> int:
    """Insert Twitter/X API v2 tweets as messages of kind 'social' (sender = author_id)."""
    rows = [json.loads(line) for line in Path(posts_jsonl).read_text(encoding="utf-8").splitlines() if line.strip()]
    start = int(ws.rows("SELECT coalesce(max(mid), 0) FROM message")[0][0]) + 1
    attrs = [json.dumps({k: t[k] for k in ("conversation_id", "in_reply_to_user_id", "referenced_tweets", "lang")
                         if k in t}) for t in rows]
    table = pa.table({
        "mid": pa.array(range(start, start + len(rows)), pa.int64()),
        "id": [t["id"] for t in rows],
        "ts": [t["created_at"].replace("Z", "") for t in rows],
        "sender": [t["author_id"] for t in rows],
        "text": [t["text"] for t in rows],
        "attributes": attrs,
    })
    ws.execute("INSERT INTO message (mid, id, source_id, timestamp, sender, recipients, venue, kind, case_refs, "
               "subject, text, attributes) SELECT mid, id, ?, CAST(ts AS TIMESTAMP), sender, [], 'social', 'social', "
               "[], NULL, text, CAST(attributes AS JSON) FROM pa_posts", [source_id], register={"pa_posts": table})
    return len(rows)
