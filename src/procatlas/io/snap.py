"""SNAP-style communication edge lists and simplicial e-mail datasets.

- ``src dst`` (email-Eu-core.txt: static, no time) and ``src dst unix_ts`` (CollegeMsg.txt):
  one message of kind ``edge`` per line from ``src`` to ``dst``; static edges have no timestamp.
- Benson et al.'s simplicial datasets (``email-Enron-simplices.txt`` with ``-nverts.txt`` and
  ``-times.txt`` beside it): one e-mail per simplex, its participants as recipients.  These
  files do not distinguish the sender from the recipients, so ``sender`` is NULL and
  ``attributes.sender_known`` is false; analyses treat every participant alike.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from procatlas.errors import InputError
from procatlas.io import ReadOptions
from procatlas.io._stage import Stager
from procatlas.io.comms import MessageBatch, reject_line, text_lines


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def read_snap_edges(path: Path, stager: Stager, options: ReadOptions) -> None:
    batch = MessageBatch(stager)
    static = 0
    for n, line in text_lines(path, stager):
        s = line.strip()
        if not s or s.startswith(("#", "%")):
            continue
        parts = s.split()
        if len(parts) not in (2, 3) or not all(p.lstrip("-").isdigit() for p in parts):
            reject_line(stager, n, "expected 'src dst [unix_ts]' as integers", s)
            continue
        ts = _utc(int(parts[2])) if len(parts) == 3 else None
        static += ts is None
        batch.add(sender=parts[0], recipients=[parts[1]], kind="edge", ts=ts, location=n)
    batch.flush()
    stager.detected["as"] = "messages"
    if static:
        stager.note(f"{static} edges without a timestamp (a static network): time-based measures skip them")


def _ints(path: Path) -> list[int]:
    if not path.exists():
        raise InputError(f"needs {path.name} beside it", path=path.parent)
    try:
        return [int(x) for x in path.read_text().split()]
    except ValueError:
        raise InputError("expected one integer per line", path=path) from None


def read_enron_simplices(path: Path, stager: Stager, options: ReadOptions) -> None:
    stem = path.name[: path.name.lower().index("-simplices")]
    nverts = _ints(path.with_name(f"{stem}-nverts.txt"))
    times = _ints(path.with_name(f"{stem}-times.txt"))
    verts = _ints(path)
    if len(times) != len(nverts):
        raise InputError(f"{len(nverts)} simplices in -nverts.txt but {len(times)} times in -times.txt", path=path)
    if sum(nverts) != len(verts):
        raise InputError(f"-nverts.txt sums to {sum(nverts)} vertices but the file has {len(verts)}", path=path)
    batch = MessageBatch(stager)
    attrs = json.dumps({"sender_known": False})
    i = 0
    for k, (n, t) in enumerate(zip(nverts, times), 1):
        people = [str(v) for v in dict.fromkeys(verts[i:i + n])]
        i += n
        batch.add(msg_id=str(k), ts=_utc(t / 1000.0 if t > 1e11 else t), recipients=people, kind="email",
                  attributes=attrs, location=k)
    batch.flush()
    stager.detected["as"] = "messages"
    stager.note("simplicial e-mail data: the sender is not distinguished from the recipients (sender is NULL)")
