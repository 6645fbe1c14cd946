"""Linking social posts (messages of kind 'social') to the objects they are about, by rules."""

from __future__ import annotations

import re

import pyarrow as pa

from procatlas.errors import InputError
from procatlas.model.triggers import LinkRule, PostLinks
from procatlas.workspace.core import Workspace

POSTS_SQL = """
CREATE TEMP TABLE {p}_posts AS
SELECT mid, id AS post_id, timestamp AS ts, sender, coalesce(text, '') AS text,
       coalesce(json_extract_string(attributes, '$.conversation_id'), venue, id) AS thread,
       json_extract_string(attributes, '$.in_reply_to_user_id') IS NOT NULL
         OR json_extract_string(attributes, '$.in_reply_to_id') IS NOT NULL
         OR coalesce(json_extract_string(attributes, '$.conversation_id'), id) <> id AS is_reply
FROM message WHERE kind = 'social'
"""

# accounts that answer others: mostly replies, to several different authors
OWN_SQL = """
SELECT p.sender FROM {p}_posts p
GROUP BY p.sender
HAVING count(*) >= 5 AND avg(CASE WHEN p.is_reply THEN 1.0 ELSE 0.0 END) >= 0.8
   AND (SELECT count(DISTINCT q.sender) FROM {p}_posts q WHERE q.thread IN
        (SELECT thread FROM {p}_posts r WHERE r.sender = p.sender) AND q.sender <> p.sender) >= 3
ORDER BY p.sender
"""

STARTS_SQL = """
CREATE TEMP TABLE {p}_starts AS
SELECT o.oid, o.id, o.type, min(e.timestamp) AS start_ts
FROM object o JOIN event_object eo ON eo.oid = o.oid JOIN event e ON e.eid = eo.eid
GROUP BY o.oid, o.id, o.type
"""

REL_SQL = """
CREATE TEMP TABLE {p}_rel AS
SELECT DISTINCT a, b FROM (
    SELECT source_oid AS a, target_oid AS b FROM object_object
    UNION ALL SELECT target_oid, source_oid FROM object_object
    UNION ALL SELECT x.oid, y.oid FROM event_object x JOIN event_object y ON y.eid = x.eid AND y.oid <> x.oid)
"""

# candidate objects per post: {found} yields (mid, oid) of the object the rule points at
CAND_SQL = """
INSERT INTO {p}_cand
WITH found AS ({found}),
target AS (
    SELECT f.mid, {target_oid} AS oid FROM found f {target_join})
SELECT t.mid, t.oid, ? AS rank, ? AS rule,
       abs(date_diff('second', p.ts, s.start_ts)) AS dist
FROM target t JOIN {p}_posts p ON p.mid = t.mid JOIN {p}_starts s ON s.oid = t.oid
WHERE abs(date_diff('second', p.ts, s.start_ts)) <= ?
  AND t.mid NOT IN (SELECT mid FROM {p}_cand)
"""

ID_FOUND = """
SELECT p.mid, o.oid FROM {p}_posts p, unnest(regexp_extract_all(p.text, ?)) x(ref)
JOIN object o ON o.id = x.ref AND o.type = ? WHERE NOT p.is_reply
"""

AUTHOR_FOUND = """
SELECT p.mid, o.oid FROM {p}_posts p JOIN object o
  ON o.type = ? AND json_extract_string(o.attributes, ?) = p.sender WHERE NOT p.is_reply
"""

TIME_SQL = """
INSERT INTO {p}_cand
SELECT mid, oid, ?, ?, dist FROM (
    SELECT p.mid, s.oid, abs(date_diff('second', p.ts, s.start_ts)) AS dist
    FROM {p}_posts p JOIN {p}_starts s ON s.type = ?
      AND s.start_ts BETWEEN p.ts - to_microseconds(CAST(? * 1e6 AS BIGINT))
                         AND p.ts + to_microseconds(CAST(? * 1e6 AS BIGINT))
    WHERE NOT p.is_reply AND p.mid NOT IN (SELECT mid FROM {p}_cand)
      AND s.oid NOT IN (SELECT oid FROM {p}_cand)
    QUALIFY row_number() OVER (PARTITION BY s.oid ORDER BY dist, p.mid) = 1)
QUALIFY row_number() OVER (PARTITION BY mid ORDER BY dist, oid) = 1
"""

RESULT_SQL = """
WITH best AS (
    SELECT mid, arg_min(oid, rank * 1e12 + dist) AS oid, arg_min(rule, rank * 1e12 + dist) AS rule
    FROM {p}_cand GROUP BY mid),
resp AS (
    SELECT b.mid, min(r.ts) AS reply_ts
    FROM best b JOIN {p}_posts p ON p.mid = b.mid
    JOIN {p}_posts r ON r.thread = p.thread AND r.ts > p.ts AND list_contains(?, r.sender)
    GROUP BY b.mid)
SELECT p.post_id, p.mid, o.id AS object_id, o.type AS object_type, b.rule,
       date_diff('microsecond', p.ts, resp.reply_ts) / 1e6 AS response_s
FROM best b JOIN {p}_posts p ON p.mid = b.mid JOIN object o ON o.oid = b.oid
LEFT JOIN resp ON resp.mid = b.mid
ORDER BY p.ts, p.mid
"""

_ID_SHAPE = re.compile(r"^([A-Za-z]{1,12}[-_:#])(\d{2,})$")


def default_rules(ws: Workspace, *, target_type: str | None = None, window_s: float = 120.0) -> list[LinkRule]:
    """Rules that need no configuration: ids of every object type whose ids share one shape
    (``SO-000123`` -> ``\\bSO-\\d{6}\\b``), then time proximity to a ``target_type`` start."""
    rules = []
    for otype, sample, n, shaped in ws.rows(
            "SELECT type, min(id), count(*), count(*) FILTER (WHERE regexp_matches(id, ?)) FROM object "
            "GROUP BY type ORDER BY type", [_ID_SHAPE.pattern]):
        m = _ID_SHAPE.match(sample or "")
        if not m or shaped < 0.95 * n:
            continue
        prefix = m.group(1)
        same = ws.rows("SELECT count(*) FROM object WHERE type = ? AND starts_with(id, ?)", [otype, prefix])[0][0]
        if same < 0.95 * n:
            continue
        rules.append(LinkRule("id_in_text", object_type=otype, pattern=rf"\b{re.escape(prefix)}\d+\b",
                              target_type=target_type if target_type != otype else None, window_s=14 * 86400.0))
    if target_type:
        rules.append(LinkRule("time", target_type=target_type, window_s=window_s))
    return rules


def link_posts(ws: Workspace, *, rules: list[LinkRule] | None = None, target_type: str | None = None,
               own_accounts: tuple[str, ...] | None = None, write: bool = False) -> PostLinks:
    """Link every social post to one object by the first rule that finds one.

    ``rules`` default to :func:`default_rules`.  Replies are not linked (they answer a post);
    ``own_accounts`` (the care team's accounts, detected as senders of mostly replies to several
    authors when not given) are used for the first-response time: from a linked post to the
    first later post of an own account in the same conversation.  With ``write``, each linked
    post's object id is added to its message's ``case_refs`` (so triggers see it).
    """
    if rules is None:
        rules = default_rules(ws, target_type=target_type)
    p = "pa_lnk"
    tables = [f"{p}_{s}" for s in ("posts", "starts", "rel", "cand")]
    try:
        for t in tables:
            ws.execute(f"DROP TABLE IF EXISTS {t}")
        ws.execute(POSTS_SQL.format(p=p))
        ws.execute(STARTS_SQL.format(p=p))
        ws.execute(REL_SQL.format(p=p))
        ws.execute(f"CREATE TEMP TABLE {p}_cand (mid BIGINT, oid BIGINT, rank INTEGER, rule VARCHAR, dist BIGINT)")
        own = tuple(own_accounts) if own_accounts is not None else tuple(r[0] for r in ws.rows(OWN_SQL.format(p=p)))
        for rank, rule in enumerate(rules):
            _apply(ws, p, rank, rule)
        links = ws.arrow(RESULT_SQL.format(p=p), [list(own)]).to_pylist()
        posts = ws.rows(f"SELECT count(*) FROM {p}_posts WHERE NOT list_contains(?, sender)", [list(own)])[0][0]
    finally:
        for t in reversed(tables):
            ws.execute(f"DROP TABLE IF EXISTS {t}")
    if write and links:
        refs = pa.table({"mid": pa.array([x["mid"] for x in links], pa.int64()),
                         "ref": pa.array([x["object_id"] for x in links], pa.string())})
        with ws.transaction():
            ws.execute("UPDATE message SET case_refs = list_distinct(list_concat(coalesce(message.case_refs, []), [l.ref])) "
                       "FROM pa_links l WHERE message.mid = l.mid", register={"pa_links": refs})
    counts: dict[str, int] = {}
    for x in links:
        counts[x["rule"]] = counts.get(x["rule"], 0) + 1
    responses = sorted(x["response_s"] for x in links if x["response_s"] is not None)
    from procatlas.triggers._base import quantiles
    _, med, p90 = quantiles(responses)
    return PostLinks(int(posts), len(links), tuple(sorted(counts.items())), tuple(links), own, len(responses),
                     med, p90)


def _apply(ws: Workspace, p: str, rank: int, rule: LinkRule) -> None:
    if rule.kind == "time":
        if not rule.target_type:
            raise InputError("a time rule needs a target type (the cases posts start)")
        ws.execute(TIME_SQL.format(p=p), [rank, rule.name, rule.target_type, rule.window_s, rule.window_s])
        return
    if rule.kind == "id_in_text":
        if not (rule.object_type and rule.pattern):
            raise InputError("an id_in_text rule needs an object type and a pattern")
        try:
            re.compile(rule.pattern)
        except re.error as exc:
            raise InputError(f"link rule pattern {rule.pattern!r} is not a regular expression: {exc}") from None
        found, fparams = ID_FOUND.format(p=p), [rule.pattern, rule.object_type]
    elif rule.kind == "author":
        if not (rule.object_type and rule.attribute):
            raise InputError("an author rule needs an object type and the attribute holding the handle")
        found, fparams = AUTHOR_FOUND.format(p=p), [rule.object_type, '$."' + rule.attribute + '"']
    else:
        raise InputError(f"link rule kind must be id_in_text, author or time, not {rule.kind!r}")
    if rule.target_type:
        target_oid, join = "r.b", (f"JOIN {p}_rel r ON r.a = f.oid JOIN object ot ON ot.oid = r.b "
                                   f"AND ot.type = '{_sql_str(rule.target_type)}'")
    else:
        target_oid, join = "f.oid", ""
    sql = CAND_SQL.format(p=p, found=found, target_oid=target_oid, target_join=join)
    window = rule.window_s if rule.target_type else 1e12
    ws.execute(sql, [*fparams, rank, rule.name, window])


def _sql_str(s: str) -> str:
    return s.replace("'", "''")
