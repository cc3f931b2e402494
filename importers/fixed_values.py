"""Values given once for a whole file (``--set 人员类别=刑满释放人员``).

A roster of one category (``刑满释放人员名单.xlsx``) has no 人员类别 column, a 12345 export no
来源渠道: every row would be refused for a value the whole file shares. Instead of adding a
column in Excel, the clerk gives the value once. It becomes a column of the file under the
field's usual header, so it is checked like any cell (a value the code table does not know
rejects the rows, with its rule), and the rows a report copies carry it: the corrected report
imports without ``--set``.

A file may also have a column for the field that says something else: a 12345 export's
受理渠道 tells how the citizen reached the hotline (电话, 微信, 网站), while for the centre every
row came in by 12345. ``--set`` then gives every cell of that column its value
(:func:`replaced_note` says so in the summary).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from importers.kinds import Kind
from importers.mapping import MappingError


def parse_fixed(items: Sequence[str], kind: Kind) -> dict[str, str]:
    """Return ``--set`` items as target field → value.

    Parameters
    ----------
    items : sequence of str
        ``FIELD=VALUE`` each; FIELD is a field's name or a header the importer knows for it.
    kind : Kind
        What is imported: its fields, and their headers.

    Returns
    -------
    dict
        Target field → value (stripped).

    Raises
    ------
    MappingError
        If an item has no ``=`` or no value, names no field of the kind, or repeats a field.

    Examples
    --------
    >>> from importers.kinds import KINDS
    >>> parse_fixed(["人员类别=刑满释放人员", "management_level = 2"], KINDS["persons"])
    {'category': '刑满释放人员', 'management_level': '2'}
    """
    fixed: dict[str, str] = {}
    for item in items:
        name, equals, value = item.partition("=")
        field = kind.field_named(name)
        if not equals or not value.strip():
            raise MappingError(f"--set {item!r} 应写成“字段=值”，如 --set 人员类别=刑满释放人员")
        if field is None:
            raise MappingError(
                f"--set 的字段 {name.strip()!r} 不是此类导入的字段；可用：{kind.known_fields()}"
            )
        if field in fixed:
            raise MappingError(f"--set 给了 {kind.header(field)} 两次")
        fixed[field] = value.strip()
    return fixed


def add_fixed_columns(
    frame: pd.DataFrame, columns: Mapping[str, str], fixed: Mapping[str, str], kind: Kind
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Return the file's rows with a column per fixed value, and the mapping that reads them.

    Parameters
    ----------
    frame : pandas.DataFrame
        The file's rows (cells as text).
    columns : mapping
        Target field → source header, as resolved from the file's headers.
    fixed : mapping
        Target field → the value every row takes (:func:`parse_fixed`).
    kind : Kind
        What is imported: the new columns take its headers.

    Returns
    -------
    tuple
        ``(frame, columns)``: a new frame with a column under each field's usual header (or,
        for a field the file has a column for, that column's cells all set to the value), and
        the mapping extended with them (``frame`` itself is not changed).

    Examples
    --------
    >>> from importers.kinds import KINDS
    >>> rows = pd.DataFrame({"姓名": ["张三", "李四"]})
    >>> fixed = {"category": "刑满释放人员"}
    >>> rows, columns = add_fixed_columns(rows, {"name": "姓名"}, fixed, KINDS["persons"])
    >>> columns, list(rows["人员类别"])
    ({'name': '姓名', 'category': '人员类别'}, ['刑满释放人员', '刑满释放人员'])
    """
    if not fixed:
        return frame, dict(columns)
    frame = frame.copy()
    extended = dict(columns)
    for field, value in fixed.items():
        if field in columns:
            frame[columns[field]] = value
            continue
        header = kind.header(field)
        while header in frame.columns:  # a column of that name that feeds another field
            header += "（--set）"
        frame[header] = value
        extended[field] = header
    return frame, extended


def replaced_note(columns: Mapping[str, str], fixed: Mapping[str, str], kind: Kind) -> str | None:
    """Return the summary's note on the file's columns whose cells ``--set`` replaced.

    Parameters
    ----------
    columns : mapping
        Target field → source header, as resolved from the file's headers.
    fixed : mapping
        Target field → the value given with ``--set``.
    kind : Kind
        What is imported.

    Returns
    -------
    str or None
        The note (Chinese), ``None`` when ``--set`` only gave columns the file lacks.

    Examples
    --------
    >>> from importers.kinds import KINDS
    >>> replaced_note({"channel": "受理渠道"}, {"channel": "12345"}, KINDS["cases"])
    '文件的“受理渠道”列不作来源渠道：每行的来源渠道取 --set 的值 12345'
    """
    replaced = [
        f"文件的“{columns[f]}”列不作{kind.header(f)}：每行的{kind.header(f)}取 --set 的值 {v}"
        for f, v in fixed.items()
        if f in columns
    ]
    return "；".join(replaced) or None
