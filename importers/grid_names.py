"""A grids file's names checked against the grids on record: no two grids in use of one name.

Within the file, two rows may not name grids of one village alike (:data:`SAME_GRID_NAME`,
:func:`importers.kinds.units._prepare_grids`). Nor may a row give its grid the name another grid in
use of its village keeps on record: a rename onto a name in use (or a new grid so named)
leaves two grids of one name, and every roster or ledger row that names it is ambiguous from
then on (:class:`geo.places.GridDirectory`). The row is refused, naming the other grid,
unless the file renames that grid too (names swapped within one file), or retires it (its row
says 撤销, a row in use names it in its 原网格编码, or ``--complete`` leaves it out). Retired
grids never count. Names compare as a roster finds grids by them (:func:`grid_key`: 第一网格 is
第1网格).

A row refused may free nothing it meant to: its grid keeps its old name, and a row that takes
that name is refused in turn (:func:`names_in_use` repeats until no row is added).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg

from geo.places import grid_key
from importers.kinds.units import SAME_GRID_NAME
from importers.rules import Problem, RowChecks
from layers import grid_changes


def names_in_use(
    conn: psycopg.Connection[Any],
    staging: str,
    codes: pd.Series,
    checks: RowChecks,
    complete: tuple[str, str] | None,
) -> list[Problem]:
    """Return the problems of the staged rows naming their grid as another grid in use is named.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection in the import's transaction, before the upsert.
    staging : str
        Staging table of the grids file's rows.
    codes : pandas.Series
        The grid code of each of the file's rows (by row number), refused rows too: a grid
        whose row is refused keeps its name.
    checks : RowChecks
        The file's checks, with every problem found so far.
    complete : (str, str) or None
        ``--complete``'s code range, when given: the grids there that the file leaves out are
        retired, if no row is refused.

    Returns
    -------
    list of Problem
        On the name column, not yet recorded (:meth:`RowChecks.add`).
    """
    refused = set(checks.bad[checks.bad].index)
    former = checks.header("former")
    found: dict[int, str] = {}
    while True:
        stopped = refused | found.keys()
        retiring = complete if not stopped else None  # a refused row: --complete retires none
        clashes = grid_changes.names_in_use(
            conn, staging, refused=sorted(stopped), retiring=retiring
        )
        added = {
            clash.row: _rule(clash, _row_of(codes, stopped, clash.other_code), former)
            for clash in clashes
            if clash.row not in found and grid_key(clash.name) == grid_key(clash.other_name)
        }
        if not added:
            return checks.problems_at("name", sorted(found.items()))
        found |= added


def _row_of(codes: pd.Series, refused: set[int], code: str) -> int | None:
    """Return the refused row of the file that lists grid ``code``, if one does."""
    rows = codes.index[(codes == code) & codes.index.isin(list(refused))]
    return int(rows[0]) if len(rows) else None


def _rule(clash: grid_changes.NameInUse, refused_row: int | None, former: str) -> str:
    """Return why a row's name is refused, and what the file may say instead (Chinese).

    ``refused_row`` is the file's refused row that lists the other grid, if one does;
    ``former`` the file's header of 原网格编码.

    Examples
    --------
    >>> clash = grid_changes.NameInUse(3, "华福第二网格", "530424101001002", "华福第2网格")
    >>> _rule(clash, 5, "原网格编码").split("：")[1]
    '网格 530424101001002 仍名为“华福第2网格”（本文件第 5 行列有它，但该行被退回）'
    >>> _rule(clash, None, "原网格编码").split("：")[1].split("，")[:2]
    ['库中在用的网格 530424101001002 仍名为“华福第2网格”', '本文件没有列出它']
    """
    other = f"网格 {clash.other_code} 仍名为“{clash.other_name}”"
    if refused_row is not None:
        return f"{SAME_GRID_NAME}{other}（本文件第 {refused_row} 行列有它，但该行被退回）"
    return (
        f"{SAME_GRID_NAME}库中在用的{other}，本文件没有列出它：它也改名的，请把它连同新名称"
        f"列入本文件；它已撤并或改了编码的，请在本行的{former}列写 {clash.other_code}，"
        "或列入它并在状态列写撤销"
    )
