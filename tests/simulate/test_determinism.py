"""Same seed, same bytes; another seed, other data; size grows linearly with --cases."""

from __future__ import annotations

import hashlib
from pathlib import Path

from procatlas.simulate import simulate


def _hashes(out: str) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(out).iterdir())}


def test_same_seed_same_bytes(small, tmp_path):
    again = simulate(tmp_path / "again", seed=7, cases=300, formats=("ocel-json", "csv"))
    a, b = _hashes(small.out), _hashes(again.out)
    assert set(a) == {"procure_to_pay.csv", "order_to_cash.csv", "complaint_handling.csv", "product_return.csv",
                      "company.jsonocel", "messages.jsonl", "posts.jsonl", "people.csv", "ground_truth.json"}
    assert a == b


def test_parquet_is_deterministic(tmp_path):
    a = simulate(tmp_path / "a", cases=120, formats=("parquet",))
    b = simulate(tmp_path / "b", cases=120, formats=("parquet",))
    assert _hashes(a.out) == _hashes(b.out)


def test_other_seed_other_output(small, tmp_path):
    other = simulate(tmp_path / "other", seed=8, cases=300, formats=("ocel-json", "csv"))
    a, b = _hashes(small.out), _hashes(other.out)
    differing = [k for k in a if a[k] != b[k]]
    assert {"procure_to_pay.csv", "company.jsonocel", "ground_truth.json", "messages.jsonl"} <= set(differing)


def test_events_grow_linearly_with_cases(tmp_path):
    n = [simulate(tmp_path / str(c), cases=c, formats=("csv",)).events for c in (500, 1000, 2000)]
    assert 1.8 < n[1] / n[0] < 2.2
    assert 1.8 < n[2] / n[1] < 2.2
