"""The simulator's planted watering holes and broker are found (two seeds)."""

from __future__ import annotations

import json

import pytest

from procatlas import api
from procatlas.simulate import simulate

FILES = ("people.csv", "procure_to_pay.csv", "order_to_cash.csv", "complaint_handling.csv",
         "product_return.csv", "messages.jsonl", "posts.jsonl")


@pytest.fixture(scope="module", params=[7, 8])
def company(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"seed{request.param}")
    simulate(root / "data", seed=request.param, cases=1500, formats=("csv",))
    ws = api.open_workspace(root / "atlas.duckdb")
    api.ingest([root / "data" / f for f in FILES], workspace=ws)
    truth = json.loads((root / "data" / "ground_truth.json").read_text())
    result = ws.watering_holes(top=5)
    yield truth, result, ws
    ws.close()


def test_every_planted_hole_in_top5_and_precision(company):
    truth, result, _ws = company
    top = [h.venue for h in result.holes]
    planted = {h["venue"] for h in truth["watering_holes"]}
    assert planted <= set(top), (top, [h.explanation for h in result.near_misses])
    precision = len(planted & set(top)) / len(top)
    assert precision >= 0.8


def test_found_holes_name_groups_and_people(company):
    truth, result, _ws = company
    by_venue = {h.venue: h for h in result.holes}
    for planted in truth["watering_holes"]:
        found = by_venue[planted["venue"]]
        assert set(found.groups) == set(planted["groups"])
        assert set(planted["people"]) <= set(found.people)
        assert found.informal_share >= 0.5 and found.weeks_active >= 4
        assert found.score > 0 and found.explanation
    d = result.to_dict()["watering_holes"][0]
    assert {"venue", "kind", "groups", "people", "messages", "weeks_active", "diversity", "informal_share",
            "cases", "score", "explanation"} <= set(d)


def test_planted_broker_in_top3(company):
    truth, result, _ws = company
    (broker,) = truth["brokers"]
    assert broker["person"] in [b.person for b in result.brokers[:3]]


def test_team_channels_are_near_misses_not_holes(company):
    _truth, result, _ws = company
    assert all(not h.venue.endswith(("-weekly",)) for h in result.holes)
    assert all("one group dominates" in h.explanation or "formal" in h.explanation or "weeks" in h.explanation
               or "bursty" in h.explanation for h in result.near_misses)
