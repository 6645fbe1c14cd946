"""Named exceptions: reversal, cancellation, change, block, rejection, escalation, found by
multilingual name patterns, with the attribute values the matched event changed."""

from __future__ import annotations

from procatlas.hotspots.settings import ExceptionSettings

# the event's attributes whose value differs from the previous event of the case
_CHANGED = """array_to_string(list_transform(
    list_filter(json_keys(ea.attributes), lambda k: pa.attributes IS NULL
                OR json_extract(ea.attributes, '$."' || k || '"') IS DISTINCT FROM json_extract(pa.attributes, '$."' || k || '"')),
    lambda k: k || '=' || coalesce(json_extract_string(ea.attributes, '$."' || k || '"'), 'null')), ', ')"""


def pattern_sql(family: str, s: ExceptionSettings) -> tuple[str, list]:
    exclude = s.pattern_exclusions.get(family)
    # the patterns run on the few distinct activity names, not on every event
    cond = ("st.code IN (SELECT code FROM {acts} WHERE regexp_matches(activity, ?, 'i')"
            + (" AND NOT regexp_matches(activity, ?, 'i')" if exclude else "") + ")")
    params = [s.patterns[family]] + ([exclude] if exclude else [])
    sql = f"""
SELECT st.cid, st.eid, '{family}', x.activity, NULL, NULL,
       printf('%s (%s)', x.activity, '{family}') ||
       CASE WHEN nullif({_CHANGED}, '') IS NOT NULL THEN ': ' || {_CHANGED} ELSE '' END,
       nullif({_CHANGED}, '')
FROM {{steps}} st
JOIN {{acts}} x ON x.code = st.code
JOIN event ea ON ea.eid = st.eid
LEFT JOIN {{steps}} prev ON prev.cid = st.cid AND prev.pos = st.pos - 1
LEFT JOIN event pa ON pa.eid = prev.eid
WHERE {cond}
"""
    return sql, params
