"""The catalog on the simulated company: every process, watering holes, social posts."""

from __future__ import annotations

import statistics

import pytest

from procatlas import api
from procatlas.workspace import Workspace


def test_every_process_has_its_kpis_and_social_ones(company):
    m = api.metrics(workspace=company)
    processes = {k.process for k in m.kpis}
    assert {"purchase_order", "sales_order", "complaint", "social"} <= processes
    for p in processes - {"social"}:
        assert m.get("cycle_time_median", p) is not None and m.get("first_time_right_rate", p) is not None
    shares = [k for k in m.kpis if k.kpi == "watering_hole_share"]
    assert shares and all(0 <= k.value <= 1 for k in shares) and any(k.value > 0 for k in shares)
    assert m.get("cross_group_handovers_per_case", "purchase_order").value > 0


def test_social_first_response_equals_python(company):
    m = api.metrics(workspace=company)
    with Workspace(company, read_only=True) as ws:
        rows = ws.rows("""SELECT coalesce(json_extract_string(attributes, '$.conversation_id'), venue, id),
                                 timestamp, sender FROM message WHERE kind = 'social' AND timestamp IS NOT NULL""")
    threads: dict[str, list] = {}
    for thread, ts, sender in rows:
        threads.setdefault(thread, []).append((ts, sender))
    waits, within = [], []
    for posts in threads.values():
        posts.sort(key=lambda x: x[0])
        root_ts, author = posts[0]
        replies = [ts for ts, s in posts if s != author and ts >= root_ts]
        w = (min(replies) - root_ts).total_seconds() / 3600 if replies else None
        if w is not None:
            waits.append(w)
        within.append(w is not None and w <= 24)
    assert m.get("social_first_response_time", "social").value == pytest.approx(statistics.median(waits))
    assert m.get("social_answered_within_target", "social").value == pytest.approx(sum(within) / len(within))
