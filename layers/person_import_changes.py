"""What an import changed of each person already on record, in the person's audit trail.

Trial AW M1: a roster that ended a 社区矫正 (解除矫正) or raised a 危险性评估 from 3 to 4 left one
``import.loaded`` entry for the whole file; the auditor's filter by the person
(``object_type=person&object_id=…``) showed nothing of it. Now the persons import writes one
entry per person it changed (:data:`ACTION`), naming the fields changed (in Chinese, no value)
and the import run, and for a person it ended the reason and the day, as a 注销 in the console
does (:mod:`layers.person_closing`). No name, ID, address or phone goes into an entry: the
fields are named, never their values.

The persons the file meets are copied aside before the upsert (:func:`snapshot`, one
``CREATE TEMP TABLE … AS SELECT`` joined on the staging table) and compared after it
(:func:`audit_changes`, one ``SELECT``): what the upsert merged, kept or changed is read as it
is, not foretold. New persons (no record before) and persons the file leaves as they were get
no entry. The entries are chained in the audit log like every other
(:func:`layers.audit.record_each`, one batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from geo.personal_numbers import mask_personal_numbers
from layers import audit
from layers.person_attributes import form_fields

ACTION = "person.import_change"
"""The audit action of a person an import changed."""
FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "management_level": "管控级别",
    "address": "居住地址",
    "area": "所在辖区或网格",
    "residence": "居住位置",
    "ended": "在册状态（注销）",
    "returned": "在册状态（恢复在册）",
    "ended_on": "注销日期",
    "ended_reason": "注销原因",
}
"""The Chinese name of each column compared (a category field is named by its label)."""

_COLUMNS = (
    "id, category, name, management_level, address, area_code, grid_code, residence,"
    " attributes, ended_on, ended_reason"
)
_CHANGED = """
SELECT p.id, p.category, p.ended_on, p.ended_reason,
       array_remove(ARRAY[
         CASE WHEN b.name IS DISTINCT FROM p.name THEN 'name' END,
         CASE WHEN b.management_level IS DISTINCT FROM p.management_level
              THEN 'management_level' END,
         CASE WHEN b.address IS DISTINCT FROM p.address THEN 'address' END,
         CASE WHEN b.area_code IS DISTINCT FROM p.area_code
                OR b.grid_code IS DISTINCT FROM p.grid_code THEN 'area' END,
         CASE WHEN NOT coalesce(ST_Equals(b.residence, p.residence),
                                b.residence IS NULL AND p.residence IS NULL)
              THEN 'residence' END,
         CASE WHEN b.ended_on IS NULL AND p.ended_on IS NOT NULL THEN 'ended' END,
         CASE WHEN b.ended_on IS NOT NULL AND p.ended_on IS NULL THEN 'returned' END,
         CASE WHEN b.ended_on IS NOT NULL AND p.ended_on IS NOT NULL
               AND b.ended_on <> p.ended_on THEN 'ended_on' END,
         CASE WHEN b.ended_on IS NOT NULL AND p.ended_on IS NOT NULL
               AND b.ended_reason IS DISTINCT FROM p.ended_reason THEN 'ended_reason' END
       ], NULL) AS fields,
       ARRAY(SELECT k.key FROM (SELECT jsonb_object_keys(b.attributes) AS key
                                UNION SELECT jsonb_object_keys(p.attributes)) AS k
              WHERE b.attributes -> k.key IS DISTINCT FROM p.attributes -> k.key
              ORDER BY k.key) AS attributes
  FROM {before} AS b JOIN persons AS p ON p.id = b.id
 ORDER BY p.id
"""


def snapshot(conn: psycopg.Connection[Any], staging: str) -> str:
    """Copy aside the persons on record the staged rows meet (category and ID hash).

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the import's transaction (run before the upsert).
    staging : str
        The staging table of persons (``category``, ``id_hash``).

    Returns
    -------
    str
        The temporary table holding them (dropped at commit, or by :func:`audit_changes`).
    """
    before = f"{staging}_before"[:63]
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE {before} ON COMMIT DROP AS SELECT {columns} FROM persons AS p"
            " WHERE EXISTS (SELECT 1 FROM {staged} AS s"
            "  WHERE s.category = p.category AND s.id_hash = p.id_hash)"
        ).format(
            before=sql.Identifier(before),
            columns=sql.SQL(", ".join(f"p.{c.strip()}" for c in _COLUMNS.split(","))),
            staged=sql.Identifier(staging),
        )
    )
    return before


def _labels(named: dict[str, str], fields: Sequence[str], attributes: Sequence[str]) -> list[str]:
    return [FIELD_LABELS.get(f, f) for f in fields] + [named.get(a, a) for a in attributes]


def audit_changes(
    conn: psycopg.Connection[Any], before: str, *, import_id: int | None, user: str
) -> int:
    """Write one audit entry per person the upsert changed; drop the snapshot.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the import's transaction (run after the upsert).
    before : str
        The table :func:`snapshot` made.
    import_id : int or None
        The import run (``import_runs.id``), named in each entry.
    user : str
        Who imports (the entries' actor).

    Returns
    -------
    int
        Entries written.
    """
    rows = conn.execute(sql.SQL(_CHANGED).format(before=sql.Identifier(before))).fetchall()
    ids: list[str] = []
    details: list[dict[str, Any]] = []
    labels: dict[str, dict[str, str]] = {}  # a category's fields by name, read once
    for person_id, category, ended_on, ended_reason, fields, attributes in rows:
        if not fields and not attributes:
            continue
        if category not in labels:
            labels[category] = {f.name: f.label for f in form_fields(str(category))}
        detail: dict[str, Any] = {
            "category": category,
            "fields": _labels(labels[category], fields, attributes),
        }
        if ended_on is not None and ("ended" in fields or "ended_reason" in fields):
            # the reason as the roster wrote it (解除矫正, 迁出（迁往…）): a number in it masked
            detail["reason"] = mask_personal_numbers(str(ended_reason or ""))[:50] or None
            detail["ended_on"] = ended_on.isoformat()
        ids.append(str(person_id))
        details.append(detail)
    conn.execute(sql.SQL("DROP TABLE {before}").format(before=sql.Identifier(before)))
    return audit.record_each(
        conn,
        ids,
        actor_name=user,
        action=ACTION,
        object_type="person",
        detail={"import_id": import_id},
        details=details,
    )
