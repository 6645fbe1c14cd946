"""SQL that turns timestamp text into UTC, honouring offsets and a zone for naive values."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from procatlas.errors import InputError

# Formats DuckDB's cast does not take; tried in order after the ISO 8601 cast.
FALLBACK_FORMATS = (
    "%Y/%m/%d %H:%M:%S.%g", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y%m%d%H%M%S", "%Y%m%d",
)


def check_timezone(tz: str) -> str:
    """Validate an IANA zone name (``Europe/Amsterdam``, ``UTC``) or raise InputError."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone '{tz}'; use an IANA name such as UTC or Europe/Amsterdam") from None
    return tz


def utc_from_text(expr: str, tz: str) -> str:
    """SQL expression: ``expr`` (VARCHAR) as a UTC TIMESTAMP, NULL when it does not parse.

    The session time zone must be ``tz`` while this runs (the ISO cast reads naive text in
    the session zone); text with an offset keeps its own offset.
    """
    tz = check_timezone(tz).replace("'", "")
    fmts = ", ".join(f"'{f}'" for f in FALLBACK_FORMATS)
    return (
        f"timezone('UTC', COALESCE(TRY_CAST(trim({expr}) AS TIMESTAMPTZ), "
        f"timezone('{tz}', try_strptime(trim({expr}), [{fmts}]))))"
    )
