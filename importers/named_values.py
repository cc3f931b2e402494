"""A value the whole file shares, read from the name of its worksheet or of the file itself.

A township keeps its special populations in one workbook, a sheet per category (刑满释放人员,
社区矫正对象, 吸毒人员 …), none with a 人员类别 column; a hotline export is saved as
``12345工单2025年3月.xlsx`` with no 来源渠道 column. When a kind's field that such a name can
give (:attr:`importers.kinds.Kind.named_by_file`) has no column and no ``--set``, the worksheet's
name, else the file's, is searched for the names of that code table's values (codes, labels and
the aliases of :mod:`importers.vocabulary`). If exactly one value is named, every row takes it,
and the summary says where it came from; otherwise nothing is guessed.

A ledger kept a month a file (``盘溪镇矛盾纠纷排查化解台账（2026年10月）.xlsx``) writes its
dates without their year (``10月3日``): the year the worksheet's or the file's name states
(:func:`year_named`) completes them (:func:`importers.values.with_year`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from importers import vocabulary
from layers.model.base import LabelledEnum


def value_named_in(name: str, table: type[LabelledEnum]) -> str | None:
    """Return the code of the one value of ``table`` that ``name`` names, if exactly one.

    A name of digits (``12345``, ``110``) counts only between non-digits, so that a date
    (``20250110``) names no channel.

    Parameters
    ----------
    name : str
        A worksheet's or a file's name.
    table : type of LabelledEnum
        The code table.

    Returns
    -------
    str or None
        The code, or ``None`` when the name names none or several.

    Examples
    --------
    >>> from layers.model.cases import Channel
    >>> from layers.model.persons import PersonCategory
    >>> value_named_in("宁州街道刑满释放人员台账", PersonCategory)
    'released'
    >>> value_named_in("12345工单2025年3月", Channel), value_named_in("20250110报表", Channel)
    ('hotline_12345', None)
    >>> value_named_in("刑满释放和社区矫正人员", PersonCategory) is None  # two categories
    True
    """
    key = vocabulary.value_key(name)
    codes = {
        code
        for written, code in vocabulary.lookup(table).items()
        if not written.isascii() or written.isdigit()
        if _names(key, written)
    }
    return codes.pop() if len(codes) == 1 else None


def values_named(
    names: list[str], wanted: Mapping[str, type[LabelledEnum]], header: Callable[[str], str]
) -> tuple[dict[str, str], list[str]]:
    """Return the value the first name naming one gives each wanted field, and notes.

    Parameters
    ----------
    names : list of str
        The worksheet's name, then the file's (without its extension).
    wanted : mapping
        Field → its code table, for the fields the file lacks.
    header : callable
        Field → its header (for the notes).

    Returns
    -------
    tuple
        ``(values, notes)``: field → the value's label (as a file would write it), and one
        note per value saying where it came from.

    Examples
    --------
    >>> from layers.model.persons import PersonCategory
    >>> values_named(["Sheet1", "社区矫正对象名单"], {"category": PersonCategory},
    ...              {"category": "人员类别"}.get)
    ({'category': '社区矫正人员'}, ['人员类别取自名称“社区矫正对象名单”：社区矫正人员'])
    """
    values: dict[str, str] = {}
    notes: list[str] = []
    for field, table in wanted.items():
        for name in names:
            code = value_named_in(name, table)
            if code is not None:
                label = values[field] = table.labels()[code]
                notes.append(f"{header(field)}取自名称“{name}”：{label}")
                break
    return values, notes


def _names(key: str, written: str) -> bool:
    if not written.isdigit():
        return written in key
    return re.search(rf"(?<!\d){written}(?!\d)", key) is not None


_YEAR_MONTH = (
    re.compile(r"(?<![0-9])(?P<year>[0-9]{4})\s*年(?:\s*(?P<month>[0-9]{1,2})\s*月)?"),
    re.compile(r"(?<![0-9])(?P<year>[0-9]{4})[.\-_/](?P<month>[0-9]{1,2})(?![0-9])"),
    re.compile(r"(?<![0-9])(?P<year>[0-9]{4})(?P<month>[0-9]{2})(?:[0-9]{2})?(?![0-9])"),
)
"""How names state a year: ``2026年10月``, ``2026年``, ``2026.10``, ``2026-10``, ``202610``,
``20261031``."""


@dataclass(frozen=True)
class NamedYear:
    """The year (and month) a worksheet's or a file's name states.

    Attributes
    ----------
    year : int
        The year.
    month : int or None
        The month, when the name states one: a later month of a date is the year before's.
    name : str
        The name stating it.
    sheet : bool
        Whether it is the worksheet's name (else the file's).
    """

    year: int
    month: int | None
    name: str
    sheet: bool = False

    def note(self, earlier: bool = False) -> str:
        """Return the summary's note: where the year of dates written without one came from.

        Parameters
        ----------
        earlier : bool
            Whether some dates were after the name's month, so of the year before.

        Examples
        --------
        >>> NamedYear(2027, 1, "台账2027年1月").note(earlier=True)
        '日期未写年份的按文件名中的 2027 年读取（2—12 月的按 2026 年）'
        """
        where = "工作表名" if self.sheet else "文件名"
        note = f"日期未写年份的按{where}中的 {self.year} 年读取"
        if earlier and self.month is not None:
            note += f"（{self.month + 1}—12 月的按 {self.year - 1} 年）"
        return note


def year_named(names: Sequence[str | None]) -> NamedYear | None:
    """Return the year the first of ``names`` stating one states, if any does.

    Parameters
    ----------
    names : sequence of str or None
        The worksheet's name, then the file's (without its extension).

    Returns
    -------
    NamedYear or None
        The year (1990—2100) and month, ``None`` when no name states a year.

    Examples
    --------
    >>> year_named(["10月", "盘溪镇矛盾纠纷排查化解台账（2026年10月）"])
    NamedYear(year=2026, month=10, name='盘溪镇矛盾纠纷排查化解台账（2026年10月）', sheet=False)
    >>> [(y.year, y.month) for n in ("2026年台账", "网格事件导出_202611", "台账2026.1")
    ...  if (y := year_named([None, n])) is not None]
    [(2026, None), (2026, 11), (2026, 1)]
    >>> year_named(["Sheet1", "玉溪市12345工单导出"]) is None
    True
    """
    for at, name in enumerate(names):
        if not name:
            continue
        for pattern in _YEAR_MONTH:
            for match in pattern.finditer(name):
                year, month = int(match["year"]), match["month"]
                if 1990 <= year <= 2100 and (month is None or 1 <= int(month) <= 12):
                    given = int(month) if month is not None else None
                    return NamedYear(year, given, name, sheet=at == 0)
    return None
