"""Social escalation: a case referenced by a public social-media post (messages of kind social)."""

from __future__ import annotations

SOCIAL_SQL = """
SELECT c.cid, NULL, 'social_escalation', NULL, NULL, NULL,
       printf('referenced by %d public social-media post(s), first %s', count(*), min(m.timestamp)), min(m.id)
FROM message m, unnest(m.case_refs) r(ref)
JOIN {cases} c ON c.case_id = r.ref
WHERE m.kind = 'social'
GROUP BY c.cid
"""
