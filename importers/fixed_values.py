"""Values given once for a whole file (``--set 人员类别=刑满释放人员``) for a column it lacks.

A roster of one category (``刑满释放人员名单.xlsx``) has no 人员类别 column, a 12345 export no
来源渠道: every row would be refused for a value the whole file shares. Instead of adding a
column in Excel, the clerk gives the value once. It becomes a column of the file under the
field's usual header, so it is checked like any cell (a value the code table does not know
rejects the rows, with its rule), and the rows a report copies carry it: the corrected report
imports without ``--set``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from importers.kinds import Kind
from importers.mapping import MappingError, resolve_columns


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
        field = next(iter(resolve_columns([name.strip()], kind.fields)), None)
        if not equals or not value.strip():
            raise MappingError(f"--set {item!r} 应写成“字段=值”，如 --set 人员类别=刑满释放人员")
        if field is None:
            known = "、".join(f"{kind.header(f)}（{f}）" for f in kind.fields)
            raise MappingError(f"--set 的字段 {name.strip()!r} 不是此类导入的字段；可用：{known}")
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
        ``(frame, columns)``: a new frame with a column under each field's usual header, and
        the mapping extended with them (``frame`` itself is not changed).

    Raises
    ------
    MappingError
        If the file has a column for a fixed field already.

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
        header = kind.header(field)
        if field in columns:
            raise MappingError(
                f"文件已有{header}列“{columns[field]}”：--set 只用于文件没有的列，"
                "请去掉 --set，或在文件中改这一列"
            )
        while header in frame.columns:  # a column of that name that feeds another field
            header += "（--set）"
        frame[header] = value
        extended[field] = header
    return frame, extended
