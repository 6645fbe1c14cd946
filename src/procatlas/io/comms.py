"""What a communication file holds (messages, people, posts), told with ``--as`` or sniffed.

Event files are left to :func:`procatlas.io.detect_format`; this module only answers for
files of messages, people and social posts, and asks the user (one-line error) when a file
could be either.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from procatlas.errors import InputError
from procatlas.io._open import inner_name, open_binary
from procatlas.io._stage import Stager

AS_VALUES = ("events", "messages", "people", "posts")
KINDS = ("email", "chat", "meeting", "social", "edge")
KIND_ALIASES = {"e-mail": "email", "mail": "email", "im": "chat", "message": "chat", "calendar": "meeting",
                "call": "meeting", "post": "social", "tweet": "social", "social post": "social",
                "social_post": "social"}
# Default case-reference patterns: prefixed ids (SO-000123, INV-2024-17) and "order 12345" / "ticket #991".
DEFAULT_CASE_PATTERNS = (r"\b[A-Z]{2,5}-\d{3,}(?:-\d+)?\b",
                         r"(?i)\b(?:order|invoice|ticket|case|po)\s*(?:no\.?|number|nr\.?)?\s*#?\s*(\d{4,})\b")
BATCH = 50_000


def check_as(value: str | None) -> str | None:
    if value is not None and value not in AS_VALUES:
        raise InputError(f"--as must be one of {', '.join(AS_VALUES)}, not {value!r}")
    return value


def norm(name: str) -> str:
    """Column/key name for matching: lower case, separators removed (``Case Refs`` -> ``caserefs``)."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def pick(keys: dict[str, str], *aliases: str) -> str | None:
    """The original key whose normalised form is the first of ``aliases`` present."""
    for a in aliases:
        if a in keys:
            return keys[a]
    return None


def _head_lines(path: Path, n: int = 5) -> list[str]:
    lines: list[str] = []
    with open_binary(path) as (stream, _):
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        for line in text:
            if line.strip() and not line.lstrip().startswith(("#", "%")):
                lines.append(line.rstrip("\r\n"))
            if len(lines) >= n:
                break
    return lines


def _delimiter(header: str) -> str:
    return max((",", ";", "\t", "|"), key=header.count)


POSTS_KEYS = {"authorid", "conversationid"}
MESSAGE_SENDER = ("sender", "from", "author", "organizer", "organiser")
MESSAGE_TO = ("recipients", "to", "receivers", "attendees", "participants")
PEOPLE_ID = ("person", "personid", "id", "employee", "employeeid", "user", "userid", "resource", "orgresource",
             "node", "email")
PEOPLE_GROUP = ("group", "department", "dept", "team", "unit", "orggroup", "division")
EVENT_HINTS = ("activity", "conceptname", "timetimestamp", "caseconceptname", "caseid", "case")


def communication_format(path: Path, as_: str | None) -> str | None:
    """Reader format for a messages/people/posts file; None when it is an event file."""
    check_as(as_)
    if as_ == "events":
        return None
    name = inner_name(Path(path)).lower()
    if name.endswith((".jsonl", ".ndjson")) or (as_ and name.endswith(".json")):
        if as_ == "people":
            raise InputError("people are read from CSV (person,name,group,role), not JSON", path=path)
        first = _head_lines(path, 1)
        try:
            rec = json.loads(first[0]) if first else {}
        except json.JSONDecodeError:
            rec = {}
        if isinstance(rec, dict) and "data" in rec and isinstance(rec["data"], list):
            rec = rec["data"][0] if rec["data"] and isinstance(rec["data"][0], dict) else {}
        keys = {norm(k) for k in rec} if isinstance(rec, dict) else set()
        if as_ == "posts" or keys & POSTS_KEYS:
            return "posts-jsonl"
        if as_ == "messages" or (keys & set(MESSAGE_SENDER) and keys & set(MESSAGE_TO)):
            return "messages-jsonl"
        raise InputError("cannot tell what this JSON lines file holds (no sender/recipients, no author_id); "
                         "use --as messages or --as posts", path=path)
    if name.endswith((".csv", ".tsv")):
        head = _head_lines(path, 1)
        if not head:
            return None if as_ is None else {"messages": "messages-csv", "people": "people-csv",
                                             "posts": "posts-csv"}[as_]
        cols = {norm(c) for c in next(csv.reader([head[0]], delimiter=_delimiter(head[0])))}
        looks_event = bool(cols & set(EVENT_HINTS)) and ("activity" in cols or "conceptname" in cols)
        if as_ == "posts" or (as_ is None and cols >= {"authorid", "text"}):
            return "posts-csv"
        calendar = "attendees" in cols and bool(cols & {"start", "time", "starttime", "timestamp", "date"})
        if as_ == "messages" or (as_ is None and not looks_event and cols & set(MESSAGE_SENDER)
                                 and cols & set(MESSAGE_TO)):
            return "calendar-csv" if calendar and not cols & {"sender", "from"} else "messages-csv"
        if as_ is None and calendar and not looks_event:
            return "calendar-csv"
        if as_ == "people" or (as_ is None and not looks_event and cols & set(PEOPLE_ID) and cols & set(PEOPLE_GROUP)
                               and not cols & {"timestamp", "time", "date"}):
            return "people-csv"
        return None
    if name.endswith(".txt"):
        if "simplices" in name:
            return "enron-simplices"
        if re.search(r"-(nverts|times|node-labels)\.txt$", name):
            raise InputError("part of a simplicial e-mail dataset; ingest the *-simplices.txt file "
                             "(its -nverts and -times files are read beside it)", path=path)
        head = _head_lines(path, 10)
        numeric = [line for line in head if re.fullmatch(r"\s*-?\d+(\s+-?\d+)*\s*", line)]
        widths = {len(line.split()) for line in numeric}
        # integer lines from the first one on (a bad line later goes to the reject table)
        ints = bool(head) and bool(numeric) and numeric[0] == head[0] and len(numeric) * 2 >= len(head)
        if not ints:
            if as_ in ("messages", "people", "posts"):
                raise InputError(f"--as {as_}: expected whitespace-separated integers ('src dst [unix_ts]' "
                                 "or 'node group')", path=path)
            return None
        if as_ == "people":
            return "snap-labels"
        if as_ == "messages" or widths == {3} or widths == {2, 3}:
            return "snap-edges"
        if widths == {2}:
            if re.search(r"label|department|dept|group|team", name):
                return "snap-labels"
            if re.search(r"email|mail|edge|msg|message|graph|net|link|contact|call", name):
                return "snap-edges"
            raise InputError("two integer columns: an edge list 'src dst' (--as messages) or labels "
                             "'node group' (--as people)?", path=path)
        raise InputError("integer columns that are neither 'src dst [unix_ts]' nor 'node group'; "
                         "use --as messages or --as people", path=path)
    if as_ in ("messages", "people", "posts"):
        raise InputError(f"--as {as_}: expected .jsonl, .csv or .txt", path=path)
    return None


# -- shared reader helpers ------------------------------------------------------------------

def text_lines(path: Path, stager: Stager) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) of a text file, decompressing, reporting progress."""
    with open_binary(path) as (stream, counter):
        decoder = codecs.getreader("utf-8")(stream, errors="replace")
        for n, line in enumerate(decoder, 1):
            if n % 20000 == 0:
                stager.advance(counter.consumed)
            yield n, line


def csv_rows(path: Path, stager: Stager, delimiter: str | None) -> Iterator[tuple[int, dict[str, str]]]:
    """(1-based data row, {column: value}) of a CSV file; row numbers count after the header."""
    with open_binary(path) as (stream, counter):
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        first = text.readline()
        if not first.strip():
            return
        delim = delimiter or _delimiter(first)
        header = next(csv.reader([first], delimiter=delim))
        reader = csv.reader(text, delimiter=delim)
        for n, row in enumerate(reader, 1):
            if n % 20000 == 0:
                stager.advance(counter.consumed)
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                yield n, {"__error__": f"{len(row)} fields where the header has {len(header)}",
                          "__raw__": delim.join(row)}
                continue
            yield n, dict(zip(header, row))


def listify(value: Any) -> list[str]:
    """Recipients / case refs: a JSON list, a list, or text separated by ';' (or a JSON list as text)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"not a JSON list: {text[:60]!r}") from None
        if not isinstance(parsed, list):
            raise ValueError(f"not a JSON list: {text[:60]!r}")
        return listify(parsed)
    return [p.strip() for p in text.split(";") if p.strip()]


def timestamp_value(value: Any) -> tuple[datetime | None, str | None]:
    """(UTC timestamp, None) for epoch numbers; (None, text) for text the workspace parses."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d{9,13}(\.\d+)?", value.strip())):
        x = float(value)
        if x > 1e11:  # milliseconds
            x /= 1000.0
        return datetime.fromtimestamp(x, timezone.utc).replace(tzinfo=None), None
    return None, str(value)


def normal_kind(value: Any, venue: str | None) -> str:
    if value is None or str(value).strip() == "":
        v = (venue or "").lower()
        for k in ("chat", "meeting", "social", "email"):
            if v.startswith(k):
                return k
        return "email"
    k = str(value).strip().lower()
    return KIND_ALIASES.get(k, k)


class MessageBatch:
    """Collects staged message rows and flushes them to the stager in Arrow batches."""

    COLS = ("msg_id", "ts", "ts_text", "sender", "recipients", "venue", "kind", "case_refs", "subject", "text",
            "attributes", "location")

    def __init__(self, stager: Stager, kind: str = "message"):
        self.stager = stager
        self.kind = kind
        self.rows: dict[str, list] = {c: [] for c in self.COLS} if kind == "message" else {}
        self.n = 0

    def add(self, **row: Any) -> None:
        for c in self.rows:
            self.rows[c].append(row.get(c))
        self.n += 1
        if len(self.rows["location"]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows and self.rows["location"]:
            self.stager.append(self.kind, self.rows)
            self.rows = {c: [] for c in self.rows}


def attributes_json(rec: dict, used: set[str]) -> str | None:
    rest = {k: v for k, v in rec.items() if k not in used and v not in (None, "")}
    return json.dumps(rest, default=str, ensure_ascii=False) if rest else None


def reject_line(stager: Stager, line: int, reason: str, raw: str) -> None:
    stager.reject(line, reason, raw[:2000])


def each_json_line(path: Path, stager: Stager, handle: Callable[[int, dict, str], None]) -> None:
    """Call ``handle(line, record, raw)`` per JSON object line; bad lines go to the reject table."""
    for n, line in text_lines(path, stager):
        raw = line.strip()
        if not raw:
            continue
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError as exc:
            reject_line(stager, n, f"not valid JSON ({exc.msg} at column {exc.colno})", raw)
            continue
        if not isinstance(rec, dict):
            reject_line(stager, n, f"a JSON {type(rec).__name__}, not an object", raw)
            continue
        handle(n, rec, raw)
