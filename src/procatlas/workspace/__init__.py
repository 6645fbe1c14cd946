"""The workspace: one DuckDB file holding events, objects, links, people, messages and rejects."""

from procatlas.workspace.core import Workspace, resolve_path

__all__ = ["Workspace", "resolve_path"]
