"""A value the whole file shares, read from the name of its worksheet or of the file itself.

A township keeps its special populations in one workbook, a sheet per category (刑满释放人员,
社区矫正对象, 吸毒人员 …), none with a 人员类别 column; a hotline export is saved as
``12345工单2025年3月.xlsx`` with no 来源渠道 column. When a kind's field that such a name can
give (:attr:`importers.kinds.Kind.named_by_file`) has no column and no ``--set``, the worksheet's
name, else the file's, is searched for the names of that code table's values (codes, labels and
the aliases of :mod:`importers.vocabulary`). If exactly one value is named, every row takes it,
and the summary says where it came from; otherwise nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

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
