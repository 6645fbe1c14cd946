"""The planted broker in ground_truth.json is a real person of people.csv in both groups."""

from __future__ import annotations

import csv
import json
from pathlib import Path


def test_planted_broker_is_in_two_groups(small):
    truth = json.loads((Path(small.out) / "ground_truth.json").read_text())
    (broker,) = truth["brokers"]
    assert broker["groups"] == ["Sales", "Warehouse"]
    with open(Path(small.out) / "people.csv", newline="") as fh:
        groups = [r["group"] for r in csv.DictReader(fh) if r["person"] == broker["person"]]
    assert groups == ["Sales", "Warehouse"]
