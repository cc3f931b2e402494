"""Values longer than their database column holds are refused row by row, not by a traceback.

A text column of the platform has a length (a worker's name 50 characters, a phone 30, a
source number 64 …). A value over it would stop ``COPY`` for the whole file with PostgreSQL's
"value too long"; it is refused here instead, with the row, the column and the limit, so the
clerk can shorten it and import again.
"""

from __future__ import annotations

from sqlalchemy import String, Table

from importers.kinds import Part
from importers.rules import RowChecks


def text_limits(table: Table) -> dict[str, int]:
    """Return the length of each text column of ``table`` that has one.

    Parameters
    ----------
    table : sqlalchemy.Table
        The kind's table.

    Returns
    -------
    dict
        Column name → its length in characters.

    Examples
    --------
    >>> from layers.model import Base
    >>> text_limits(Base.metadata.tables["cases"])["reporter_phone"]
    30
    """
    return {
        column.name: int(column.type.length)
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    }


def refuse_too_long(checks: RowChecks, parts: list[Part], table: Table) -> None:
    """Refuse the rows whose value of a file's column is longer than its database column.

    Only fields the file gives are checked (what the import makes itself, codes and keys,
    fits), on rows not already refused (a mistyped code is told once, by its own rule).

    Parameters
    ----------
    checks : RowChecks
        The file's checks (problems are added to it).
    parts : list of Part
        The rows to stage.
    table : sqlalchemy.Table
        The kind's table.
    """
    limits = text_limits(table)
    for part in parts:
        for column in part.records.columns.intersection(list(limits)):
            if column not in checks.columns:
                continue
            values = part.records[column]
            if values.dtype != object:
                continue
            limit = limits[column]
            over = (values.str.len() > limit).reindex(checks.frame.index, fill_value=False)
            checks.fail(column, over & ~checks.bad, f"太长：最多 {limit} 个字")
