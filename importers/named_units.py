"""Rows a list places by a unit above the village (所属乡镇) and by a point: in the village.

A township's camera list, a 12345 export naming its 街道 and a roster naming its 乡镇 place each
row in a township; a row with a point belongs to the village whose boundary holds it, as one
listed without the column does (trial AD: a township's cameras all stayed at the township, and
so did a 12345 export's orders). The unit named is a check
(:func:`layers.named_unit_places.place_in_named_units`): a row whose point lies in another unit
keeps the unit named, and one note lists such rows with where their point is, not a rejection
(the point or the name may be the wrong one). A person is named by row only.
"""

from __future__ import annotations

from typing import Any

import psycopg

from importers.rules import RowChecks
from layers import import_checks
from layers.named_unit_places import place_in_named_units

KINDS_PLACED = ("video", "cases", "persons")
"""The kinds whose located rows naming a township are placed in its villages."""
_WHOSE = {"video": "个点位", "cases": "件案件", "persons": "人"}
"""How a note counts the rows of each kind (``3 个点位``, ``3 件案件``, ``3 人``)."""
_WHAT = {"video": "个点位", "cases": "件案件的点位", "persons": "人的住址点位"}
"""How a note counts the rows of each kind whose point lies elsewhere."""
_LABELS = {"video": ("device_id", "name"), "cases": ("external_no",)}
"""What names a row in the note (a camera's 国标编码 and name, a case's number); a person: none."""
PLACED_IN_VILLAGES_NOTE = "{n} {whose}的所属乡镇已按点位细化到其中点位所在的村（社区）"
"""Said of the rows a list names by township only, placed in their villages."""
NAMED_ELSEWHERE_NOTE = (
    "{count} {what}不在所填的{header}内，按所填的{header}导入，未归入任何村（社区）"
    "（点位或{header}可能有误，请核对）："
)
"""The head of the note naming the rows whose point lies outside the unit their file names."""


def place_in_villages(
    conn: psycopg.Connection[Any], kind: str, staging: str, geometry: str, checks: RowChecks
) -> None:
    """Place in their villages the located rows a list names by township only; check the rest.

    Run once the staged rows' names are resolved and the rows without an area placed by their
    points.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction.
    kind : str
        One of :data:`KINDS_PLACED`.
    staging : str
        The part's staging table (``area_code``; a camera's ``device_id`` and ``name``, a
        case's ``external_no``).
    geometry : str
        Its point column.
    checks : RowChecks
        The file's checks: the notes go there.
    """
    found = place_in_named_units(conn, staging, geometry, _LABELS.get(kind, ()))
    checks.note_rows(PLACED_IN_VILLAGES_NOTE.replace("{whose}", _WHOSE[kind]), found.placed)
    if not found.elsewhere:
        return
    header = checks.header("township") if checks.has("township") else checks.header("area_code")
    head = NAMED_ELSEWHERE_NOTE.format(count=len(found.elsewhere), what=_WHAT[kind], header=header)
    if kind == "persons":  # where a person lives is not said: the rows only
        rows = "、".join(str(row) for row in sorted(found.elsewhere))
        checks.notes.append(f"{head}第 {rows} 行")
        return
    codes = {code for named, around, _ in found.elsewhere.values() for code in (named, around)}
    names = import_checks.unit_names(conn, [*codes, *(c[:9] + "000" for c in codes)])
    lines = [
        f"  第 {row} 行 {said}（{header} {_label(named, names)}，点位在{_label(around, names)}）"
        for row, (named, around, said) in sorted(found.elsewhere.items())
    ]
    checks.notes.append(head + "\n" + "\n".join(lines))


def _label(code: str, names: dict[str, str]) -> str:
    """Return a unit's name after its township's (``青龙镇西南社区``), else its code."""
    own = names.get(code, code)
    township = code[:9] + "000"
    if township == code or township not in names:
        return own
    return names[township] + own
