"""The web app's read-only connection (re-used briefly, re-opened when the file changed) and result cache.

Trade-off (docs/atlas.md, "Latency"): opening a workspace costs about 0.1 s and DuckDB refuses a
writer while any reader holds the file, so the connection is kept only while requests keep coming:
it closes ``idle`` seconds (default 2) after the last request ends.  An ingest in another process
started within that window fails to open the file (it says so; run it again).  Results are cached
in a small LRU keyed by the workspace file's signature (mtime and size of the file and its WAL,
taken while our read-only connection holds the file, so no writer can change it under us): a
finished ingest changes the signature and every cached result of the old contents is dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from procatlas.errors import WorkspaceError


class Locked(Exception):
    """The workspace is held by a writer (another process is ingesting)."""


class LRU:
    """A small thread-safe least-recently-used cache of computed values."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def signature(path: Path) -> tuple:
    """(mtime_ns, size) of the workspace file and of its write-ahead log (absent: None)."""
    out = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


class Handle:
    """One read-only connection shared by requests (one at a time), closed when idle."""

    def __init__(self, path: Path, *, idle: float = 2.0) -> None:
        self.path = path
        self.idle = idle
        self._ws = None
        self._sig: tuple | None = None
        self._lock = threading.RLock()  # one request at a time on the connection
        self._timer: threading.Timer | None = None

    @contextmanager
    def opened(self) -> Iterator[tuple[Any, tuple]]:
        """The open workspace and its signature, for the duration of one request."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._ws is not None and signature(self.path) != self._sig:
                self._close()
            if self._ws is None:
                self._open()
            try:
                yield self._ws, self._sig
            finally:
                if self.idle <= 0:
                    self._close()
                else:
                    self._timer = threading.Timer(self.idle, self._close_if_idle)
                    self._timer.daemon = True
                    self._timer.start()

    @property
    def is_open(self) -> bool:
        """Whether the connection is open (it holds the file's lock until the idle timer closes it)."""
        return self._ws is not None

    def _open(self) -> None:
        from procatlas.workspace import Workspace
        try:
            self._ws = Workspace(self.path, read_only=True)
        except WorkspaceError as exc:
            if "lock" in str(exc).lower() or "conflicting" in str(exc).lower():
                raise Locked(str(exc)) from None
            raise
        self._sig = signature(self.path)

    def _close_if_idle(self) -> None:
        if self._lock.acquire(blocking=False):
            try:
                self._close()
            finally:
                self._lock.release()

    def _close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            finally:
                self._ws = None

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._close()


class Cubes:
    """The process cubes (:mod:`procatlas.engine.cube`) of the current workspace state, built once each.

    A cube is keyed by the workspace signature and the process; a request that needs one being
    built (by another request or by :meth:`warm`) waits for it instead of building it twice, and
    cubes of an older signature are dropped when a newer one is asked for.
    """

    def __init__(self) -> None:
        self._items: dict[tuple, dict] = {}
        self._lock = threading.Lock()

    def get(self, ws: Any, sig: tuple, process: str):
        from procatlas.engine.cube import Cube
        key = (sig, process)
        with self._lock:
            for old in [k for k in self._items if k[0] != sig]:
                del self._items[old]
            entry = self._items.get(key)
            owner = entry is None
            if owner:
                entry = self._items[key] = {"done": threading.Event()}
        if owner:
            try:
                entry["cube"] = Cube(ws, process)
            except BaseException as exc:
                entry["error"] = exc
                with self._lock:
                    self._items.pop(key, None)
                raise
            finally:
                entry["done"].set()
        entry["done"].wait()
        if "error" in entry:
            raise entry["error"]
        return entry["cube"]

    def warm(self, path: Path, then: Callable[[Any, tuple, str], Any] | None = None) -> threading.Thread:
        """Build every process's cube in a background thread on its own read-only connection
        (and run ``then(workspace, signature, process)`` after each)."""
        def run() -> None:
            from procatlas.engine import DuckDBEngine
            from procatlas.workspace import Workspace
            try:
                ws = Workspace(path, read_only=True)
            except Exception:  # noqa: BLE001 - locked or absent: requests build (or report) it later
                return
            try:
                sig = signature(path)
                for process in DuckDBEngine(ws).processes():
                    self.get(ws, sig, process)
                    if then is not None:
                        then(ws, sig, process)
            except Exception:  # noqa: BLE001 - a request asking for it sees the error
                pass
            finally:
                ws.close()
        thread = threading.Thread(target=run, name="procatlas-cubes", daemon=True)
        thread.start()
        return thread
