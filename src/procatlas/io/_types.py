"""XES type names of JSON values, shared by the readers and writers."""

from __future__ import annotations

from typing import Any


def xes_type_of(value: Any) -> str:
    """XES type name of a Python value read from JSON."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "container"
    return "string"
