"""Messages as JSON lines or CSV (e-mail, chat, meetings, posts) and meeting calendars as CSV.

A message: ``id, timestamp, sender, recipients, venue, kind, subject, text, case_refs``.
Recipients and case references are a JSON list, or text separated by ``;`` in CSV.  Other
keys/columns are kept as JSON attributes.  Timestamps are ISO 8601 text (offset honoured,
naive text in ``--timezone``) or Unix epoch seconds/milliseconds.  See docs/people.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from procatlas.io import ReadOptions
from procatlas.io._stage import Stager
from procatlas.io.comms import (MessageBatch, attributes_json, csv_rows, each_json_line, listify, norm,
                                normal_kind, pick, reject_line, timestamp_value)

ID = ("id", "messageid", "msgid", "mid")
TIME = ("timestamp", "time", "date", "datetime", "sentat", "sent", "ts", "createdat", "start", "starttime")
SENDER = ("sender", "from", "author", "organizer", "organiser")
TO = ("recipients", "to", "receivers", "attendees", "participants")
CC = ("cc", "bcc")
VENUE = ("venue", "channel", "thread", "meeting", "room", "location")
KIND = ("kind", "type", "channelkind", "medium")
SUBJECT = ("subject", "title", "summary")
TEXT = ("text", "body", "content", "message")
REFS = ("caserefs", "cases", "casereferences", "caseref", "refs")


def _message(batch: MessageBatch, n: int, rec: dict[str, Any], raw: str, *, meeting: bool = False) -> None:
    keys = {norm(k): k for k in rec}
    k_id, k_ts, k_snd, k_to = pick(keys, *ID), pick(keys, *TIME), pick(keys, *SENDER), pick(keys, *TO)
    k_venue, k_kind, k_subj, k_text, k_refs = (pick(keys, *VENUE), pick(keys, *KIND), pick(keys, *SUBJECT),
                                               pick(keys, *TEXT), pick(keys, *REFS))
    k_cc = [keys[c] for c in CC if c in keys]
    try:
        ts, ts_text = timestamp_value(rec.get(k_ts) if k_ts else None)
        recipients = listify(rec.get(k_to) if k_to else None)
        for c in k_cc:
            recipients += listify(rec.get(c))
        refs = listify(rec.get(k_refs) if k_refs else None)
    except ValueError as exc:
        reject_line(batch.stager, n, str(exc), raw)
        return
    sender = rec.get(k_snd) if k_snd else None
    sender = str(sender).strip() if sender not in (None, "") else None
    venue = rec.get(k_venue) if k_venue else None
    venue = str(venue) if venue not in (None, "") else None
    subject = rec.get(k_subj) if k_subj else None
    if meeting:
        if sender is None and recipients:
            sender = recipients[0]
        recipients = [r for r in recipients if r != sender]
        venue = venue if venue and venue.startswith("meeting:") else f"meeting:{venue or subject or 'meeting'}"
    kind = "meeting" if meeting else normal_kind(rec.get(k_kind) if k_kind else None, venue)
    used = {k for k in (k_id, k_ts, k_snd, k_to, k_venue, k_kind, k_subj, k_text, k_refs) if k} | set(k_cc)
    mid = rec.get(k_id) if k_id else None
    batch.add(msg_id=None if mid in (None, "") else str(mid), ts=ts, ts_text=ts_text, sender=sender,
              recipients=list(dict.fromkeys(recipients)), venue=venue, kind=kind, case_refs=refs,
              subject=None if subject in (None, "") else str(subject),
              text=None if not k_text or rec.get(k_text) in (None, "") else str(rec.get(k_text)),
              attributes=attributes_json(rec, used), location=n)


def read_messages_jsonl(path: Path, stager: Stager, options: ReadOptions) -> None:
    """One JSON object per line (``messages.jsonl``)."""
    batch = MessageBatch(stager)
    each_json_line(path, stager, lambda n, rec, raw: _message(batch, n, rec, raw))
    batch.flush()
    stager.detected["as"] = "messages"


def _csv(path: Path, stager: Stager, options: ReadOptions, meeting: bool) -> None:
    batch = MessageBatch(stager)
    for n, row in csv_rows(path, stager, options.delimiter):
        if "__error__" in row:
            reject_line(stager, n, row["__error__"], row["__raw__"])
            continue
        _message(batch, n, row, ",".join(row.values()), meeting=meeting)
    batch.flush()
    stager.detected["as"] = "messages"


def read_messages_csv(path: Path, stager: Stager, options: ReadOptions) -> None:
    """CSV with columns id, timestamp, sender, recipients (';'-separated or JSON list), venue, kind, ..."""
    _csv(path, stager, options, meeting=False)


def read_calendar_csv(path: Path, stager: Stager, options: ReadOptions) -> None:
    """Meeting calendar: subject/title, start (time), attendees, optional organizer and series/room.

    Each row becomes a message of kind ``meeting`` from the organizer (else the first
    attendee) to the other attendees, venue ``meeting:<series or room or subject>``.
    """
    _csv(path, stager, options, meeting=True)
