"""Readers and writers per format; the format is inferred from the path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from procatlas.errors import InputError
from procatlas.io._open import inner_name
from procatlas.model.mapping import Mapping


@dataclass(frozen=True)
class ReadOptions:
    """What the user told us about a file (column roles, time zone, process name)."""

    mapping: Mapping = field(default_factory=Mapping)
    timezone: str = "UTC"
    process: str | None = None
    delimiter: str | None = None
    timestamp_format: str | None = None  # strptime format of text timestamps, when detection cannot tell
    as_: str | None = None  # what the file holds: events | messages | people | posts (detected when None)
    case_patterns: tuple[str, ...] = ()  # extra regexes finding case references in message subjects/text


# format name -> suffixes of the logical (decompressed) file name
FORMATS: dict[str, tuple[str, ...]] = {
    "xes": (".xes",),
    "csv": (".csv", ".tsv", ".txt"),
    "parquet": (".parquet", ".pq"),
    "ocel2-json": (".jsonocel", ".json"),
    "ocel2-xml": (".xmlocel", ".xml"),
    "ocel2-sqlite": (".sqlite", ".sqlite3", ".db"),
}


def detect_format(path: Path) -> str:
    """Name of the format of ``path`` from its (decompressed) suffix; JSON/XML flavours are
    refined by the readers themselves (OCEL 1.0 vs 2.0)."""
    name = inner_name(Path(path)).lower()
    for fmt, suffixes in FORMATS.items():
        if name.endswith(suffixes):
            return fmt
    raise InputError(
        "unknown format; expected .xes, .csv, .tsv, .parquet, .jsonocel/.json, .xmlocel/.xml or .sqlite "
        "(optionally .gz or .zip)", path=path)


def process_name(path: Path) -> str:
    """Default process name of a case-centric file: its stem without compression and format
    suffixes (``bpic2012`` for ``bpic2012.xes.gz``)."""
    name = inner_name(Path(path))
    stem = name
    for suffixes in FORMATS.values():
        for s in suffixes:
            if stem.lower().endswith(s):
                stem = stem[: -len(s)]
                break
    return stem or name
