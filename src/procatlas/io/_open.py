"""Opening input files: plain, gzip or a zip holding one member, with clear errors."""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from procatlas.errors import InputError


class CountingReader(io.RawIOBase):
    """Wraps a binary stream and counts the compressed bytes read from the file."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self._raw.readinto(b)
        self.consumed += n or 0
        return n or 0


def zip_member(path: Path, zf: zipfile.ZipFile, suffixes: tuple[str, ...] = ()) -> zipfile.ZipInfo:
    """The single data member of a zip, ignoring macOS resource forks and folders."""
    members = [m for m in zf.infolist()
               if not m.is_dir() and not m.filename.startswith("__MACOSX/")
               and not Path(m.filename).name.startswith("._")]
    if suffixes:
        preferred = [m for m in members if m.filename.lower().endswith(suffixes)]
        members = preferred or members
    if not members:
        raise InputError("zip archive holds no data file", path=path)
    if len(members) > 1:
        names = ", ".join(m.filename for m in members[:5])
        raise InputError(f"zip archive holds {len(members)} files ({names}); unpack it and ingest one", path=path)
    return members[0]


def inner_name(path: Path) -> str:
    """The logical file name after stripping .gz, or the zip member's name."""
    name = path.name
    low = name.lower()
    if low.endswith(".gz"):
        return name[:-3]
    if low.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as zf:
                return Path(zip_member(path, zf).filename).name
        except zipfile.BadZipFile as exc:
            raise InputError(f"corrupt zip archive ({exc})", path=path) from None
    return name


@contextmanager
def open_binary(path: Path) -> Iterator[tuple[BinaryIO, CountingReader]]:
    """Open ``path`` for reading as bytes, transparently decompressing .gz and .zip.

    Yields the decompressed stream and a counter of bytes consumed from disk (for progress).
    Truncated or corrupt archives raise :class:`InputError` naming the file.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a directory, not a file", path=path)
    low = path.name.lower()
    raw = open(path, "rb")
    counter = CountingReader(raw)
    try:
        if low.endswith(".gz"):
            stream: BinaryIO = gzip.GzipFile(fileobj=io.BufferedReader(counter, 1 << 20))  # type: ignore[arg-type]
        elif low.endswith(".zip"):
            try:
                zf = zipfile.ZipFile(raw)
                member = zip_member(path, zf)
                stream = zf.open(member)
            except zipfile.BadZipFile as exc:
                raise InputError(f"corrupt or truncated zip archive ({exc})", path=path) from None
            counter = _ZipProgress(stream, member.compress_size)  # type: ignore[assignment]
        else:
            stream = io.BufferedReader(counter, 1 << 20)  # type: ignore[arg-type]
        try:
            yield stream, counter
        except (EOFError, gzip.BadGzipFile, zlib.error, zipfile.BadZipFile) as exc:
            raise InputError(f"corrupt or truncated archive ({exc or type(exc).__name__})", path=path) from None
    finally:
        raw.close()


class _ZipProgress:
    """Approximates consumed compressed bytes of a zip member from its read position."""

    def __init__(self, stream, compress_size: int):
        self._stream = stream
        self._size = compress_size

    @property
    def consumed(self) -> int:
        try:
            return min(self._size, self._stream._fileobj.tell())  # noqa: SLF001 - best effort
        except Exception:  # noqa: BLE001 - progress only
            return 0
