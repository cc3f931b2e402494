"""Rows of a clerk's sheet that are not records: totals, and the signatures and notes below.

A roster or a ledger kept in Excel ends with ``合计 | 25人`` and ``审核人：… | 填表人：…`` and
often has ``小计`` rows between the groups of a township. Read as records they would be rejected
(no name, no ID) and refuse the whole file. :func:`footer_rows` finds them by their first
non-empty cell:

* a total: the cell is ``合计``, ``总计``, ``小计`` or ``共计``, alone (``合 计：`` too) or with
  its count (``小计：150起``, ``共计215条``), anywhere in the sheet;
* a signature or a note: the cell starts with ``审核人：``, ``填表人：``, ``制表：``, ``负责人：``,
  ``备注：``, ``注：``, ``说明：`` …, only below the last record (a record's text that happens
  to start so is kept).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pandas as pd

_TOTAL = re.compile(r"(合计|总计|小计|共计)[:：]?(共?[0-9]+[起条件人个处户宗次名例项]?)?")
_SHOWN = 10
"""How many of the rows left out the note lists."""
_FIRST_CHARACTERS = frozenset("合总小共审复填制统经联单主分领签盖备注说")
"""The characters a total, a signature or a note begins with."""
_SIGNED = re.compile(
    r"(审核人?|审批人?|复核人?|填表人?|填报人?|制表人?|统计人?|经办人|联系人|联系电话|"
    r"(单位|主要|分管)?负责人|分管领导|领导签字|签字|盖章|备注|注|说明|填表说明)"
    r"([:：].*)?"
)


def footer_rows(frame: pd.DataFrame) -> list[int]:
    """Return the rows (index labels) of ``frame`` that are totals, signatures or notes.

    Parameters
    ----------
    frame : pandas.DataFrame
        A sheet's rows as text (``None`` for an empty cell), blank rows already left out.

    Returns
    -------
    list of int
        Their row labels, in order.

    Examples
    --------
    >>> rows = pd.DataFrame(
    ...     [["1", "王芳"], ["小计", "1人"], ["2", "李强"], ["合 计", "2人"],
    ...      [None, "审核人：张三"], ["注：本表每月更新", None]],
    ...     index=range(4, 10))
    >>> footer_rows(rows)
    [5, 7, 8, 9]
    >>> footer_rows(pd.DataFrame([["1", "王芳"], ["小计：150起", None], ["共计 215 条", None]]))
    [1, 2]
    >>> footer_rows(pd.DataFrame([["备注：见附件", "王芳"], ["2", "李强"]]))
    []
    """
    if frame.empty:
        return []
    firsts = _first_cells(frame)
    found: list[int] = firsts.index[firsts.map(_is_total).to_numpy(dtype=bool)].tolist()
    cells = firsts.reindex(frame.index).tolist()
    for label, cell in zip(frame.index.tolist()[::-1], cells[::-1], strict=True):
        if isinstance(cell, str) and _is_total(cell):
            continue
        if not (isinstance(cell, str) and _is_signed(cell)):  # below the last record only
            break
        found.append(label)
    return sorted(found)


def footer_note(rows: Sequence[int]) -> str:
    """Return the note telling which rows were read as totals, signatures or notes.

    Examples
    --------
    >>> footer_note([7, 8])
    '第 7、8 行是合计、签名或备注，不是数据，未导入'
    >>> footer_note(range(10, 30))
    '第 10、11、12、13、14、15、16、17、18、19 等 20 行是合计、签名或备注，不是数据，未导入'
    """
    shown = "、".join(str(r) for r in list(rows)[:_SHOWN])
    more = f"等 {len(rows)} 行" if len(rows) > _SHOWN else "行"
    return f"第 {shown} {more}是合计、签名或备注，不是数据，未导入"


def _first_cells(frame: pd.DataFrame) -> pd.Series:
    """Return the first non-empty cell of the rows that may be footers, as compared.

    Only rows whose first non-empty cell begins with a footer's first character are kept (a
    million records are looked at column by column, not row by row).
    """
    first = frame.iloc[:, 0].astype(object)
    for column in frame.columns[1:]:
        empty = first.isna()
        if not empty.any():
            break
        first = first.where(~empty, frame[column])
    text = first.dropna().astype(str)
    text = text[text.str.lstrip().str[:1].isin(_FIRST_CHARACTERS)]
    return text.map(lambda cell: re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell)))


def _is_total(cell: str) -> bool:
    return _TOTAL.fullmatch(cell) is not None


def _is_signed(cell: str) -> bool:
    return _SIGNED.fullmatch(cell) is not None
