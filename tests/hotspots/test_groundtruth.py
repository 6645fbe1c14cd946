"""Detectors and hot spots against the demo company's ground truth, two seeds and two sizes."""

from __future__ import annotations

import pytest

from tests.hotspots.groundtruth import build, score

# care_delay ("stuck ticket") draws a 6x longer lognormal (sigma 0.9) working time, and the
# coffee meeting cuts 70 % of them short: the events cannot tell most of them from normal
# tickets, so no wait threshold reaches F1 0.9 (measured 0.39-0.52); see docs/exceptions.md.
NOT_IDENTIFIABLE = {"complaint:care_delay"}


@pytest.fixture(scope="module", params=[(7, 2000), (11, 6000)], ids=["seed7-2000", "seed11-6000"])
def scored(request, tmp_path_factory):
    seed, cases = request.param
    ws, truth = build(tmp_path_factory.mktemp("gt"), seed, cases)
    return score(ws, truth)


def test_f1_per_planted_exception(scored):
    f1, _ = scored
    low = {k: v for k, v in f1.items() if v["f1"] < 0.9 and k not in NOT_IDENTIFIABLE}
    assert not low, low


def test_supplier_hot_spot_ranks_first(scored):
    _, ranks = scored
    assert ranks["supplier-nordlicht"]["rank"] == 1
