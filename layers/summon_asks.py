"""What a 吹哨 asks of each department it names (trial AZ m7).

One 吹哨 to three departments carried one note for all (「请公安维护现场秩序，住建核查…，人社依法
督促…」), and each desk showed the whole text with no ask of its own. A 吹哨 may now give each
department its own line beside the shared note (``asks`` in the action's params, kept in the
event's payload); a department's desk shows its own under the note.

Examples
--------
>>> asks_of({"县公安局": " 维护现场秩序 ", "县住建局": ""}, ["县公安局", "县住建局"])
{'县公安局': '维护现场秩序'}
>>> ask_for({"asks": {"县公安局": "维护现场秩序"}}, "县住建局") is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from layers.errors import InvalidInput
from layers.free_text import CASE_NOTE, refuse_personal_numbers

ASK_MAX = 500
"""Most characters of one department's ask."""
NOT_BY_DEPARTMENT = "各部门的吹哨事项须按部门逐一填写"
NOT_SUMMONED = "“{name}”不在本次吹哨的部门中：请只为所选的部门填写事项"
TOO_LONG = f"每个部门的吹哨事项最多 {ASK_MAX} 字"


def asks_of(given: object, departments: Sequence[str]) -> dict[str, str]:
    """Return each summoned department's own ask, as typed, the empty ones left out.

    Parameters
    ----------
    given : object
        The ``asks`` of the 吹哨's params: department name to text, or None.
    departments : sequence of str
        The departments the 吹哨 names.

    Returns
    -------
    dict of str to str
        By department, in the order named; empty when none was given.

    Raises
    ------
    InvalidInput
        Not a mapping of names to text, a name the 吹哨 does not name, a text over
        :data:`ASK_MAX`, or one holding a resident ID or a mobile number.
    """
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise InvalidInput(NOT_BY_DEPARTMENT)
    named = list(departments)
    for name, text in given.items():
        if not isinstance(name, str) or not isinstance(text, str | None):
            raise InvalidInput(NOT_BY_DEPARTMENT)
        if name not in named:
            raise InvalidInput(NOT_SUMMONED.format(name=name))
    asks: dict[str, str] = {}
    for name in named:
        text = (given.get(name) or "").strip()
        if not text:
            continue
        if len(text) > ASK_MAX:
            raise InvalidInput(TOO_LONG)
        refuse_personal_numbers(text, field=f"对{name}的吹哨事项", advice=CASE_NOTE)
        asks[name] = text
    return asks


def ask_for(payload: Mapping[str, Any] | None, department: str) -> str | None:
    """Return what a 吹哨 (its event's payload) asks of ``department``, if anything of its own.

    Parameters
    ----------
    payload : mapping or None
        The 吹哨 event's payload.
    department : str
        The department reading it.

    Returns
    -------
    str or None
        Its own ask, else None (the shared note alone).
    """
    asks = (payload or {}).get("asks") or {}
    ask = asks.get(department) if isinstance(asks, Mapping) else None
    return str(ask) if ask else None
