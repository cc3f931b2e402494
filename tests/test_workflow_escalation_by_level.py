# ruff: noqa: F811 - the world fixture imported from tests.test_workflow_registrar_level
"""Trial AH S3: the 上报次数 KPI charges the level that made the 上报, recorded as ``by_level``.

The county's 上报 of a case lying at the township's level counted for the township, which never
acted; an event written before ``by_level`` counts by its ``from_level``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import cases, command
from layers.model import CaseEvent
from tests.test_workflow_registrar_level import (  # noqa: F401 - the world fixture
    COUNTY_DESK,
    TOWN,
    TOWN_DESK,
    _register,
    world,
)
from tests.workflow_data import COUNTY, NOW


def test_the_escalation_count_charges_the_level_that_escalated(world: Session) -> None:
    # the county escalates a case lying at the township's level: the county's 上报 (trial AH S3)
    by_county = _register(world, TOWN_DESK, "劳资纠纷")
    cases.act(world, by_county.id, "escalate", actor=COUNTY_DESK, now=NOW, note="县级协调")
    assert by_county.handling_level == 3
    # an escalation written before by_level counts by its from_level (the township's)
    old = _register(world, TOWN_DESK, "邻里纠纷", offset=0.004)
    old_payload = {"from_level": 4, "to_level": 3}
    cases.append_event(
        world, old, TOWN_DESK, "escalate", "registered", "escalated", payload=old_payload, at=NOW
    )
    world.flush()
    event = world.scalars(
        select(CaseEvent).where(CaseEvent.case_id == by_county.id, CaseEvent.action == "escalate")
    ).one()
    assert event.payload == {"from_level": 4, "to_level": 3, "by_level": 3}
    town = command.feed(world, TOWN, actor=TOWN_DESK, now=NOW + timedelta(hours=1))
    assert town["unit"]["kpis"]["escalations"] == 1  # its own (old) one, not the county's
    county = command.feed(world, COUNTY, actor=COUNTY_DESK, now=NOW + timedelta(hours=1))
    assert county["unit"]["kpis"]["escalations"] == 2
    by_township = {c["code"]: c["kpis"]["escalations"] for c in county["children"]}
    assert by_township[TOWN] == 1
