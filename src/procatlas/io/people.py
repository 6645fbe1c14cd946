"""People: ``people.csv`` (person, name, group, role; one row per membership) and SNAP labels.

A person in two groups has two rows; the first row names the primary group.  SNAP
department labels (``email-Eu-core-department-labels.txt``: ``node dept``) become people
whose group is the department number.
"""

from __future__ import annotations

import json
from pathlib import Path

from procatlas.io import ReadOptions
from procatlas.io._stage import Stager
from procatlas.io.comms import BATCH, csv_rows, norm, pick, reject_line, text_lines

ID = ("person", "personid", "id", "employee", "employeeid", "user", "userid", "resource", "orgresource", "node",
      "email")
NAME = ("name", "fullname", "displayname", "username")
GROUP = ("group", "department", "dept", "team", "unit", "orggroup", "division")
ROLE = ("role", "title", "jobtitle", "orgrole", "position")


class _People:
    def __init__(self, stager: Stager):
        self.stager = stager
        self.rows: dict[str, list] = {c: [] for c in ("person_id", "name", "grp", "role", "attributes", "location")}

    def add(self, **row) -> None:
        for c in self.rows:
            self.rows[c].append(row.get(c))
        if len(self.rows["location"]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows["location"]:
            self.stager.append("person", self.rows)
            self.rows = {c: [] for c in self.rows}


def read_people_csv(path: Path, stager: Stager, options: ReadOptions) -> None:
    out = _People(stager)
    keys: dict[str, str] | None = None
    for n, row in csv_rows(path, stager, options.delimiter):
        if "__error__" in row:
            reject_line(stager, n, row["__error__"], row["__raw__"])
            continue
        if keys is None:
            keys = {norm(k): k for k in row}
            if pick(keys, *ID) is None:
                from procatlas.errors import InputError
                raise InputError("no person column (expected one of person, id, employee, user, resource)",
                                 path=path)
        k_id, k_name, k_grp, k_role = pick(keys, *ID), pick(keys, *NAME), pick(keys, *GROUP), pick(keys, *ROLE)
        if k_name == k_id:
            k_name = None
        used = {k_id, k_name, k_grp, k_role}
        rest = {k: v for k, v in row.items() if k not in used and v != ""}
        val = lambda k: (row.get(k) or "").strip() or None if k else None  # noqa: E731
        out.add(person_id=val(k_id), name=val(k_name), grp=val(k_grp), role=val(k_role),
                attributes=json.dumps(rest, ensure_ascii=False) if rest else None, location=n)
    out.flush()
    stager.detected["as"] = "people"


def read_snap_labels(path: Path, stager: Stager, options: ReadOptions) -> None:
    """``node group`` per line (SNAP department labels)."""
    out = _People(stager)
    for n, line in text_lines(path, stager):
        s = line.strip()
        if not s or s.startswith(("#", "%")):
            continue
        parts = s.split()
        if len(parts) != 2:
            reject_line(stager, n, f"expected 'node group', found {len(parts)} fields", s)
            continue
        out.add(person_id=parts[0], grp=parts[1], location=n)
    out.flush()
    stager.detected["as"] = "people"
