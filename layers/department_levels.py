"""The departments a county's, a city's or a province's forms offer, grouped by level.

A city's 吹哨 and 派往职能部门 lists held its own bureaus (市公安局 …) and the bureaus its
counties had named (县公安局 …) in one row, under a field reading 「如：县公安局」 (a user
trial). :func:`groups` puts the department accounts of the actor's own level first, those of
each level above next, and the other names (the departments its area below dispatched to or
吹哨'd) last, each group under its level's name; the console's list shows them so and the
field's example names the first group's. A county's list is grouped as well (a second trial:
县司法局 beside 市司法局 in one row, one easily picked for the other), its names that are no
account's under 其他部门; a township and a village get no groups.

Examples
--------
>>> rest_label(2), rest_label(1), rest_label(3)
('县级及以下部门', '市级及以下部门', '其他部门')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import division_level, enclosing_code
from layers.model.jurisdictions import Level
from layers.workflow import Actor

#: The deepest level whose lists are grouped: the county (a township's is its county's).
GROUPED_DOWN_TO = Level.COUNTY.value

_ACCOUNTS = text(
    "SELECT DISTINCT display_name, scope_code FROM users"
    " WHERE role = 'department' AND active AND scope_code = ANY(:units)"
)


@dataclass(frozen=True)
class DepartmentGroup:
    """Departments of one level, as the list shows them under its name.

    Attributes
    ----------
    label : str
        The group's name: ``市级部门``, ``省级部门``, or ``县级及以下部门`` for the rest.
    names : list of str
        The departments, in the order of the list they came from.
    """

    label: str
    names: list[str]


def rest_label(level: int) -> str:
    """Return the name of the group of departments below an actor of ``level``.

    A county's other names are of no account: its own bureaus without one, names typed.
    """
    if level >= Level.COUNTY.value:
        return "其他部门"
    return f"{Level(level + 1).label}级及以下部门"


def groups(session: Session, actor: Actor, names: Sequence[str]) -> list[DepartmentGroup]:
    """Return ``names`` grouped by level for a county's, a city's or a province's actor.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    actor : Actor
        Whose list it is.
    names : sequence of str
        The list (``GET /api/departments``): each name lands in one group, in this order.

    Returns
    -------
    list of DepartmentGroup
        The department accounts of the actor's level, then of each level above, then the
        other names (:func:`rest_label`); groups without a name left out. Empty for an actor
        of a township or a village.
    """
    level = actor.level
    if level > GROUPED_DOWN_TO:
        return []
    units = [enclosing_code(actor.scope_code, up) for up in range(1, level + 1)]
    level_of: dict[str, int] = {}
    for name, scope in session.execute(_ACCOUNTS, {"units": units}):
        # a name held at two levels is the lower one's (the actor's own, before the province)
        level_of[str(name)] = max(level_of.get(str(name), 0), division_level(str(scope)))
    found = [
        DepartmentGroup(f"{Level(up).label}级部门", [n for n in names if level_of.get(n) == up])
        for up in range(level, 0, -1)
    ]
    found.append(DepartmentGroup(rest_label(level), [n for n in names if n not in level_of]))
    return [group for group in found if group.names]
