"""Object-centric event logs (OCEL 2.0 and 1.0) in JSON, XML and SQLite: the reader entry points."""

from __future__ import annotations

from procatlas.io.ocel_json import read_ocel_json
from procatlas.io.ocel_sqlite import read_ocel_sqlite
from procatlas.io.ocel_xml import read_ocel_xml

__all__ = ["read_ocel_json", "read_ocel_xml", "read_ocel_sqlite"]
