"""Social escalation: a case referenced by a public social-media post (messages of kind social)."""

from __future__ import annotations

SOCIAL_SQL = """
SELECT c.cid, NULL, 'social_escalation', NULL, NULL, NULL,
       printf('referenced by %d public social-media post(s), first %s', count(*), min(m.timestamp)), min(m.id)
FROM (SELECT id, timestamp, unnest(case_refs) AS ref FROM message WHERE kind = 'social') m
JOIN {cases} c ON c.case_id = m.ref
GROUP BY c.cid
"""
