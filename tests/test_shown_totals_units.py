"""Which totals a table of grids may give: each unit's chain is found once (trial BC m1)."""

from __future__ import annotations

from typing import Any

import pytest

import layers.trend_tables as trend_tables
from layers.trend_tables import shown_totals

COUNTY = "530424000000"
TOWN_A, TOWN_B = "530424100000", "530424101000"
VILLAGES = ["530424100201", "530424100202", "530424101203"]


def test_a_units_chain_is_found_once_whatever_its_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Grids of three villages, four rows each: three chains, the same totals given.

    导出离线地图 and the 研判报告 decide the 走访逾期 totals of a county's 3,400 grids, which lie
    in 385 villages; each row's chain from the county down was worked out anew.
    """
    units = [v for v in VILLAGES for _ in range(4)]
    values = [6, 1, 1, 0, 4, 2, 0, 0, 9, 5, 1, 1]
    listed = [v >= 5 for v in values]
    asked: list[str] = []
    chain = trend_tables._chain

    def counted(unit: str, root: str) -> Any:
        asked.append(unit)
        return chain(unit, root)

    monkeypatch.setattr(trend_tables, "_chain", counted)
    shown = shown_totals(values, listed, units, COUNTY, 3, cap=2)
    assert sorted(asked) == VILLAGES
    assert shown == {
        COUNTY: True,
        TOWN_A: False,
        TOWN_B: False,
        VILLAGES[0]: False,
        VILLAGES[1]: True,
        VILLAGES[2]: False,
    }
