"""Column-role and timestamp-format detection for tabular logs (CSV, Parquet), as SQL-ready facts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procatlas.errors import InputError, MappingError
from procatlas.model.mapping import ROLES, Mapping

# The command-line flag that sets each role (what error messages tell the user to pass).
FLAGS = {
    "case": "--case", "activity": "--activity", "timestamp": "--timestamp",
    "start_timestamp": "--start-timestamp", "resource": "--resource", "group": "--group",
    "lifecycle": "--lifecycle",
}
REQUIRED = ("case", "activity", "timestamp")
CASE_PREFIX = "case:"


def normalise_name(name: str) -> str:
    """Lower-case, accents folded, separators dropped: 'Case ID' and 'case_id' -> 'caseid'."""
    folded = unicodedata.normalize("NFKD", name.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-zßøæ]+", "", folded)


def _names(*names: str) -> frozenset[str]:
    return frozenset(normalise_name(n) for n in names)


# role -> tiers of known names; a lower tier wins only when no higher tier matches
ROLE_NAMES: dict[str, tuple[frozenset[str], ...]] = {
    "case": (
        _names("case:concept:name"),
        _names("case id", "caseid", "case", "case_id", "case number", "case no", "case nr", "trace",
               "trace id", "process instance", "instance id", "fall", "fallnummer", "fall id", "vorgang",
               "vorgangsnummer", "zaak", "zaak id", "zaaknummer", "casus", "dossier", "dossiernummer",
               "identifiant du cas", "id cas", "numéro de dossier", "caso", "id caso", "número de caso",
               "expediente"),
        _names("id"),
    ),
    "activity": (
        _names("concept:name"),
        _names("activity", "activity name", "activity_name", "event", "event name", "task", "task name",
               "action", "step", "title", "aktivität", "aktivitaet", "tätigkeit", "taetigkeit",
               "ereignis", "aufgabe", "activiteit", "taak", "gebeurtenis", "stap", "activité", "tâche",
               "événement", "étape", "actividad", "tarea", "evento", "acción", "paso"),
        _names("activity id", "activityid", "activity code", "event type"),
    ),
    "timestamp": (
        _names("time:timestamp"),
        _names("timestamp", "complete timestamp", "completetimestamp", "end timestamp", "end",
               "end time", "complete time", "completion time", "event time", "datetime", "date",
               "time", "zeitstempel", "zeitpunkt", "datum", "endzeit", "ende", "tijdstip",
               "eindtijd", "einde", "tijd", "horodatage", "date de fin", "fin", "heure",
               "marca de tiempo", "fecha", "fecha fin", "fecha y hora"),
    ),
    "start_timestamp": (
        _names("start_timestamp"),
        _names("start timestamp", "start", "start time", "start date", "begin", "begin time",
               "startzeit", "beginn", "starttijd", "begintijd", "début", "date de début",
               "inicio", "fecha inicio", "hora inicio"),
    ),
    "resource": (
        _names("org:resource"),
        _names("resource", "user", "user name", "username", "performer", "agent", "employee",
               "actor", "executor", "originator", "ressource", "benutzer", "bearbeiter",
               "mitarbeiter", "medewerker", "gebruiker", "uitvoerder", "utilisateur", "employé",
               "recurso", "usuario", "empleado"),
    ),
    "group": (
        _names("org:group"),
        _names("group", "org:role", "role", "department", "team", "unit", "org unit",
               "organisational unit", "organizational unit", "gruppe", "rolle", "abteilung",
               "groep", "rol", "afdeling", "groupe", "rôle", "département", "service", "grupo",
               "departamento", "equipo"),
    ),
    "lifecycle": (
        _names("lifecycle:transition"),
        _names("lifecycle", "transition", "life cycle", "lebenszyklus", "levenscyclus",
               "cycle de vie", "ciclo de vida"),
    ),
}


def validate_timezone(tz: str, path: Path | str | None = None) -> str:
    """Return ``tz`` if it is a known IANA zone name, else raise :class:`InputError`."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(f"unknown time zone {tz!r}; pass an IANA name such as 'Europe/Amsterdam' "
                         "with --timezone", path=path) from None
    return tz


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# timestamp formats

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?")
_DOT = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_YSLASH = re.compile(r"\d{4}/\d{1,2}/\d{1,2}(?: \d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DMY = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2(\d{4})(?: \d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_EPOCH_S = re.compile(r"\d{9,10}(?:\.\d+)?")
_EPOCH_MS = re.compile(r"\d{12,13}")
_SAP_DATE = re.compile(r"(19|20|21)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")
_SAP_DATETIME = re.compile(r"(19|20|21)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])([01]\d|2[0-3])[0-5]\d[0-5]\d")

_TIME_PARTS = (" %H:%M:%S.%f", " %H:%M:%S", " %H:%M", "")


@dataclass(frozen=True)
class TsFormat:
    """How the text of one timestamp column is parsed.

    ``kind`` is 'iso' (DuckDB cast; ``offsets`` says whether values carry a UTC offset:
    'all', 'none' or 'mixed'), 'strptime' (``formats``), 'epoch_s' or 'epoch_ms'.
    """

    kind: str
    formats: tuple[str, ...] = ()
    offsets: str = "none"
    label: str = ""


class AmbiguousDayMonth(Exception):
    """Values like 03/04/2020 where every day and month are <= 12."""


def detect_ts_format(values: list[str], *, allow_numeric: bool = True, min_rate: float = 0.95) -> TsFormat | None:
    """The timestamp format most of ``values`` (non-empty strings) follow, or ``None``.

    Raises :class:`AmbiguousDayMonth` when dd/mm vs mm/dd cannot be told apart.
    Numeric formats (epoch, SAP YYYYMMDD) are only considered when ``allow_numeric``
    (i.e. the column is named like a timestamp), since integer ids would match them.
    """
    vals = [v.strip() for v in values if v is not None and v.strip()]
    if not vals:
        return None
    need = max(1, int(len(vals) * min_rate + 0.999999))

    def count(rx: re.Pattern) -> list[re.Match]:
        return [m for m in (rx.fullmatch(v) for v in vals) if m]

    iso = count(_ISO)
    if len(iso) >= need:
        with_off = sum(1 for m in iso if m.group(1))
        offsets = "all" if with_off == len(iso) else "none" if with_off == 0 else "mixed"
        return TsFormat("iso", offsets=offsets, label="ISO 8601")
    dot = count(_DOT)
    if len(dot) >= need:
        return TsFormat("strptime", tuple("%d.%m.%Y" + t for t in _TIME_PARTS), label="dd.mm.yyyy")
    ys = count(_YSLASH)
    if len(ys) >= need:
        return TsFormat("strptime", tuple("%Y/%m/%d" + t for t in _TIME_PARTS), label="yyyy/mm/dd")
    dmy = count(_DMY)
    if len(dmy) >= need:
        sep = dmy[0].group(2)
        first_big = any(int(m.group(1)) > 12 for m in dmy)
        second_big = any(int(m.group(3)) > 12 for m in dmy)
        if first_big == second_big:
            raise AmbiguousDayMonth(f"dd{sep}mm{sep}yyyy or mm{sep}dd{sep}yyyy")
        date = f"%d{sep}%m{sep}%Y" if first_big else f"%m{sep}%d{sep}%Y"
        label = f"dd{sep}mm{sep}yyyy" if first_big else f"mm{sep}dd{sep}yyyy"
        return TsFormat("strptime", tuple(date + t for t in _TIME_PARTS), label=label)
    if allow_numeric:
        if len(count(_SAP_DATETIME)) >= need:
            return TsFormat("strptime", ("%Y%m%d%H%M%S",), label="YYYYMMDDHHMMSS")
        if len(count(_SAP_DATE)) >= need:
            return TsFormat("strptime", ("%Y%m%d",), label="YYYYMMDD")
        if len(count(_EPOCH_MS)) >= need:
            return TsFormat("epoch_ms", label="epoch milliseconds")
        if len(count(_EPOCH_S)) >= need:
            return TsFormat("epoch_s", label="epoch seconds")
    return None


def user_ts_format(fmt: str) -> TsFormat:
    """A format given by the user (strptime pattern, or 'iso', 'epoch_s', 'epoch_ms')."""
    low = fmt.lower()
    if low in ("iso", "iso8601"):
        return TsFormat("iso", offsets="mixed", label="ISO 8601")
    if low in ("epoch", "epoch_s", "unix"):
        return TsFormat("epoch_s", label="epoch seconds")
    if low in ("epoch_ms", "unix_ms"):
        return TsFormat("epoch_ms", label="epoch milliseconds")
    return TsFormat("strptime", (fmt,), offsets="all" if "%z" in fmt else "none", label=fmt)


def _local_to_utc(expr: str, tz: str) -> str:
    if tz == "UTC":
        return expr
    return f"timezone('UTC', timezone({quote_literal(tz)}, {expr}))"


_OFFSET_RX = r"(Z|[+-]\d\d(:?\d\d)?)$"


def ts_sql(expr: str, fmt: TsFormat, tz: str) -> str:
    """SQL turning VARCHAR ``expr`` into a naive UTC TIMESTAMP (NULL when it does not parse)."""
    if fmt.kind == "iso":
        aware = f"timezone('UTC', TRY_CAST({expr} AS TIMESTAMPTZ))"
        naive = _local_to_utc(f"TRY_CAST({expr} AS TIMESTAMP)", tz)
        if fmt.offsets == "all":
            return aware
        if fmt.offsets == "none":
            return naive
        return f"(CASE WHEN regexp_matches(trim({expr}), '{_OFFSET_RX}') THEN {aware} ELSE {naive} END)"
    if fmt.kind == "strptime":
        fmts = "[" + ", ".join(quote_literal(f) for f in fmt.formats) + "]"
        parsed = f"try_strptime(trim({expr}), {fmts})"
        if fmt.offsets == "all":
            return f"timezone('UTC', {parsed})"
        return _local_to_utc(parsed, tz)
    if fmt.kind == "epoch_s":
        return f"TRY_CAST(make_timestamp(CAST(TRY_CAST({expr} AS DOUBLE) * 1000000 AS BIGINT)) AS TIMESTAMP)"
    if fmt.kind == "epoch_ms":
        return f"TRY_CAST(make_timestamp(TRY_CAST({expr} AS BIGINT) * 1000) AS TIMESTAMP)"
    raise ValueError(fmt.kind)


# ---------------------------------------------------------------------------------------------
# column roles


@dataclass
class ColumnProfile:
    """What a sample says about one column: its name, native type and some text values."""

    name: str
    sql_type: str = "VARCHAR"
    sample: list[str] = field(default_factory=list)  # non-null values as text, in file order
    distinct: int = 0

    @property
    def is_text(self) -> bool:
        return self.sql_type == "VARCHAR"

    @property
    def is_temporal(self) -> bool:
        return self.sql_type.startswith(("TIMESTAMP", "DATE"))

    @property
    def is_integer(self) -> bool:
        if self.sql_type in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER",
                             "USMALLINT", "UTINYINT", "HUGEINT"):
            return True
        return bool(self.sample) and all(re.fullmatch(r"-?\d+", v.strip()) for v in self.sample)


@dataclass
class Detected:
    """The mapping of a file plus how each timestamp column is parsed."""

    mapping: Mapping
    ts_formats: dict[str, TsFormat]  # role -> format of text timestamp columns
    notes: list[str] = field(default_factory=list)


def _tier(role: str, name: str) -> int | None:
    key = normalise_name(name)
    for i, names in enumerate(ROLE_NAMES[role]):
        if key in names:
            return i
    return None


def _cols(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:12])
    return shown + (", ..." if len(names) > 12 else "")


def detect_mapping(profiles: list[ColumnProfile], override: Mapping, *, path: Path | str,
                   rows: int, ts_format: str | None = None) -> Detected:
    """Decide which column plays which role, from names first and contents second.

    Roles set in ``override`` win.  A role with two equally plausible columns, or a
    required role with none, raises :class:`MappingError` naming the flag to pass.
    """
    by_name = {p.name: p for p in profiles}
    all_names = [p.name for p in profiles]
    chosen: dict[str, str | None] = {}
    for role, col in override.as_dict().items():
        if col:
            if col not in by_name:
                raise MappingError(f"column {col!r} given for {FLAGS[role]} is not in the file "
                                   f"(columns: {_cols(all_names)})", path=path)
            chosen[role] = col
    used = {c for c in chosen.values() if c}
    notes: list[str] = []
    ts_formats: dict[str, TsFormat] = {}

    def ts_format_of(role: str, p: ColumnProfile, *, named: bool) -> TsFormat | None:
        if not p.is_text:
            return TsFormat("native") if p.is_temporal else (
                TsFormat("epoch_s") if named and p.is_integer and p.sample and ts_format is None
                and detect_ts_format(p.sample, allow_numeric=True) is not None else None)
        if ts_format:
            return user_ts_format(ts_format)
        try:
            # a column named like a timestamp keeps its role when most values parse; the
            # others reach the workspace as raw text and are rejected there with their line
            return detect_ts_format(p.sample, allow_numeric=named, min_rate=0.5 if named else 0.95)
        except AmbiguousDayMonth as exc:
            raise MappingError(
                f"cannot tell the date format of column {p.name!r}: {exc} (no day or month above 12 "
                f"in the values); pass --timestamp-format '%d/%m/%Y %H:%M:%S' or '%m/%d/%Y %H:%M:%S'",
                path=path) from None

    for role in ROLES:
        if role in chosen:
            continue
        cands: list[tuple[int, ColumnProfile]] = []
        for p in profiles:
            if p.name in used:
                continue
            if role != "case" and p.name.lower().startswith(CASE_PREFIX):
                continue
            t = _tier(role, p.name)
            if t is not None:
                cands.append((t, p))
        # content checks: a named candidate that cannot play the role is dropped
        ok: list[tuple[int, ColumnProfile]] = []
        for t, p in cands:
            if role in ("timestamp", "start_timestamp"):
                if not p.sample and role == "start_timestamp":
                    ok.append((t, p))  # an empty start column (BPIC15) is harmless
                    continue
                if ts_format_of(role, p, named=True) is None:
                    notes.append(f"column {p.name!r} is named like a {role.replace('_', ' ')} but "
                                 "its values are not timestamps")
                    continue
            elif role == "activity" and p.is_integer:
                if len(cands) == 1:
                    raise MappingError(
                        f"cannot tell the activity column: {p.name!r} holds only integer codes; "
                        f"pass --activity {p.name} to use them", path=path)
                continue
            elif role == "case" and len(cands) > 1 and p.distinct == len(p.sample) and len(p.sample) > 50:
                notes.append(f"column {p.name!r} never repeats in the sample, so it is not a case id")
                continue
            ok.append((t, p))
        if role == "timestamp" and not ok and not cands:
            # content fallback: the one text column whose values parse as timestamps
            ts_like = [p for p in profiles if p.name not in used and p.sample
                       and not p.name.lower().startswith(CASE_PREFIX)
                       and _safe_fmt(p) is not None]
            if len(ts_like) == 1:
                ok = [(9, ts_like[0])]
                notes.append(f"took {ts_like[0].name!r} as the timestamp column from its values")
            elif len(ts_like) > 1 and "start_timestamp" not in chosen:
                raise MappingError(
                    f"cannot tell the timestamp column: {_cols([p.name for p in ts_like])}; "
                    f"pass --timestamp COLUMN", path=path)
        if not ok:
            if role in REQUIRED:
                raise MappingError(f"cannot find the {role} column among {_cols(all_names)}; "
                                   f"pass {FLAGS[role]} COLUMN", path=path)
            continue
        best = min(t for t, _ in ok)
        top = [p for t, p in ok if t == best]
        if len(top) > 1 or (len(ok) > 1 and role in _CONFLICT_ROLES):
            # two plausible columns (e.g. 'concept:name' and 'Activity' in pm4py's
            # running-example.csv): guessing would be silent, so ask
            names = [p.name for _, p in ok]
            raise MappingError(
                f"cannot tell the {role.replace('_', ' ')} column: "
                f"{' or '.join(repr(n) for n in names)}; pass {FLAGS[role]} COLUMN", path=path)
        pick = top[0]
        chosen[role] = pick.name
        used.add(pick.name)

    for role in ("timestamp", "start_timestamp"):
        col = chosen.get(role)
        if col:
            p = by_name[col]
            if not p.sample:
                continue
            fmt = ts_format_of(role, p, named=True)
            if fmt is None:
                if role == "timestamp":
                    shown = ", ".join(repr(v) for v in p.sample[:3])
                    raise MappingError(f"column {col!r} does not hold timestamps in a known format "
                                       f"(e.g. {shown}); pass --timestamp-format or another --timestamp",
                                       path=path)
                chosen[role] = None
                continue
            ts_formats[role] = fmt
    mapping = Mapping(**{r: chosen.get(r) for r in ROLES})
    return Detected(mapping, ts_formats, notes)


# roles where two named candidates mean the file carries two versions of the role
_CONFLICT_ROLES = ("case", "activity", "resource")


def _safe_fmt(p: ColumnProfile) -> TsFormat | None:
    if p.is_temporal:
        return TsFormat("native")
    if not p.is_text:
        return None
    try:
        return detect_ts_format(p.sample, allow_numeric=False)
    except AmbiguousDayMonth:
        return None
