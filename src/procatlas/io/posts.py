"""Social-media posts as messages: Twitter/X API v2 tweet objects (JSON lines) or a documented CSV.

Each post becomes a message of kind ``social`` sent by its author (an external person,
role ``external author``), venue ``social:<conversation_id>`` (the thread), recipients the
user it replies to; ``in_reply_to_user_id``, ``referenced_tweets``, ``conversation_id``,
``lang`` and other fields stay in the attributes.  JSON lines may hold single tweets or
API response pages (``{"data": [...], "includes": {"users": [...]}}``, authors' usernames
become people's names).  CSV columns: ``id, created_at, author_id, text, conversation_id,
in_reply_to_user_id, referenced_tweets`` (JSON list) or ``referenced_tweet_id,
referenced_tweet_type``, optional ``author_username``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from procatlas.io import ReadOptions
from procatlas.io._stage import Stager
from procatlas.io.comms import MessageBatch, csv_rows, each_json_line, reject_line, timestamp_value

USED = {"id", "created_at", "author_id", "text", "conversation_id", "in_reply_to_user_id"}


class _Authors:
    def __init__(self) -> None:
        self.first: dict[str, int] = {}
        self.names: dict[str, str] = {}

    def stage(self, stager: Stager) -> None:
        if not self.first:
            return
        ids = list(self.first)
        stager.append("person", {"person_id": ids, "name": [self.names.get(i) for i in ids],
                                 "grp": [None] * len(ids), "role": ["external author"] * len(ids),
                                 "attributes": ['{"external": true}'] * len(ids),
                                 "location": [self.first[i] for i in ids]})


def _post(batch: MessageBatch, authors: _Authors, n: int, rec: dict[str, Any], raw: str) -> None:
    author = rec.get("author_id")
    if author in (None, ""):
        reject_line(batch.stager, n, "post without author_id", raw)
        return
    author = str(author)
    authors.first.setdefault(author, n)
    if rec.get("author_username"):
        authors.names.setdefault(author, str(rec["author_username"]))
    try:
        ts, ts_text = timestamp_value(rec.get("created_at"))
    except ValueError as exc:
        reject_line(batch.stager, n, str(exc), raw)
        return
    conv = rec.get("conversation_id") or rec.get("id")
    reply_to = rec.get("in_reply_to_user_id")
    attrs = {k: v for k, v in rec.items() if k not in USED and v not in (None, "")}
    if conv:
        attrs["conversation_id"] = str(conv)
    if reply_to:
        attrs["in_reply_to_user_id"] = str(reply_to)
    batch.add(msg_id=None if rec.get("id") in (None, "") else str(rec["id"]), ts=ts, ts_text=ts_text,
              sender=author, recipients=[str(reply_to)] if reply_to else [],
              venue=f"social:{conv}" if conv else None, kind="social", case_refs=[],
              text=None if rec.get("text") in (None, "") else str(rec["text"]),
              attributes=json.dumps(attrs, ensure_ascii=False, default=str) if attrs else None, location=n)


def read_posts_jsonl(path: Path, stager: Stager, options: ReadOptions) -> None:
    batch, authors = MessageBatch(stager), _Authors()

    def handle(n: int, rec: dict, raw: str) -> None:
        if isinstance(rec.get("data"), list):  # an API response page
            for user in (rec.get("includes") or {}).get("users") or []:
                if isinstance(user, dict) and user.get("id") and user.get("username"):
                    authors.names.setdefault(str(user["id"]), str(user["username"]))
            for tweet in rec["data"]:
                if isinstance(tweet, dict):
                    _post(batch, authors, n, tweet, raw)
                else:
                    reject_line(stager, n, "a page entry that is not an object", raw)
            return
        _post(batch, authors, n, rec, raw)

    each_json_line(path, stager, handle)
    batch.flush()
    authors.stage(stager)
    stager.detected["as"] = "posts"


def read_posts_csv(path: Path, stager: Stager, options: ReadOptions) -> None:
    batch, authors = MessageBatch(stager), _Authors()
    for n, row in csv_rows(path, stager, options.delimiter):
        if "__error__" in row:
            reject_line(stager, n, row["__error__"], row["__raw__"])
            continue
        rec: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
        ref_id, ref_type = rec.pop("referenced_tweet_id", None), rec.pop("referenced_tweet_type", None)
        if ref_id:
            rec["referenced_tweets"] = [{"type": ref_type or "replied_to", "id": ref_id}]
        elif isinstance(rec.get("referenced_tweets"), str):
            try:
                rec["referenced_tweets"] = json.loads(rec["referenced_tweets"])
            except json.JSONDecodeError:
                reject_line(stager, n, "referenced_tweets is not JSON", ",".join(row.values()))
                continue
        _post(batch, authors, n, rec, ",".join(row.values()))
    batch.flush()
    authors.stage(stager)
    stager.detected["as"] = "posts"
