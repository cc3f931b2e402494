"""Which rows of a sheet are its header: below a title, over one or two rows.

Office spreadsheets carry a title and lines such as ``填报单位：…`` above the header, and often
a second header row (a group label over its columns). Given a test of known headers
(:func:`importers.mapping.header_test`), :func:`find_header` picks the header row and
:func:`header_block` the rows it spans and the columns' names; :func:`distinct_names` tells
apart columns a sheet names alike. Rows are lists of cell texts (``None`` for an empty cell), so
CSV and spreadsheet readers share them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

HeaderTest = Callable[[str], bool]
"""Whether a cell's text is a header some field can come from (see :func:`find_header`)."""

HEADER_SEARCH_ROWS = 20
"""How many non-empty rows at the top of a sheet may hold the header."""


def find_header(
    rows: Iterable[Sequence[str | None]], is_header: HeaderTest | None = None
) -> int | None:
    """Return the position of the header row among ``rows`` (read lazily, as far as needed).

    The header is the row, among the first :data:`HEADER_SEARCH_ROWS` non-empty rows, with the
    most cells that ``is_header`` accepts (at least two; the first such row on a tie), so that a
    line such as ``单位：,宁州街道,联系电话：,…`` above the header does not win. Without such a
    row it is the first of the rows with the most different texts, so that a title (one text,
    even merged over every column) over headers none of which is known (``原区划代码``,
    ``新名称`` …) is not taken for the header; without ``is_header``, the first non-empty row.

    Parameters
    ----------
    rows : iterable of sequences of str or None
        The cells of each row, top down.
    is_header : callable, optional
        Tells whether a (stripped, non-empty) cell is a known header.

    Returns
    -------
    int or None
        Position of the header row in ``rows``; ``None`` if every row is empty.

    Examples
    --------
    >>> rows = [["华宁县网格员花名册", None], [], ["姓名", "经度"], ["张三", "102.9"]]
    >>> find_header(rows, lambda cell: cell in {"姓名", "经度"}), find_header(rows)
    (2, 0)
    >>> find_header([[None, " "], ["标题"]], lambda cell: False)
    1
    >>> title = ["区划调整对照表"] * 3
    >>> find_header([title, ["原区划代码", "新区划代码", "变更类型"], ["1", "2"]], lambda c: False)
    1
    """
    filled: dict[int, int] = {}  # position → how many different texts the row holds
    best, best_known = None, 1
    for position, row in enumerate(rows):
        cells = [text for text in (c.strip() for c in row if c) if text]
        if not cells:
            continue
        filled[position] = len(set(cells))
        if is_header is None:
            break
        known = sum(1 for cell in cells if is_header(cell))
        if known > best_known:
            best, best_known = position, known
        if len(filled) == HEADER_SEARCH_ROWS:
            break
    if best is not None or not filled:
        return best
    fullest = max(filled.values())
    return next(position for position, count in filled.items() if count == fullest)


_OWNED = frozenset({"姓名", "名字", "联系电话", "电话", "手机", "手机号", "联系方式", "工号"})
"""Lower cells that say only what of someone the group over them names (网格长 over 姓名)."""


def header_block(
    rows: Sequence[Sequence[str | None]], at: int, is_header: HeaderTest | None = None
) -> tuple[int, list[str | None]]:
    """Return the last row of a header that starts at row ``at``, and its column names.

    Office forms often have two header rows: a label over a group of columns (``位置`` over
    ``经度`` and ``纬度``), the other headers (``姓名``) merged down over both rows. The row
    :func:`find_header` picks is then either one. The row below belongs to the header when it
    has a known header the picked row lacks; the row above, when it is not blank, fills the
    picked row's empty cells. Each column is named by its lower cell, else its upper one; a
    lower cell that names an earlier column too (``姓名`` under ``基本信息`` and under ``监护人``)
    is named with its group (``监护人姓名``), and the first keeps the plain name. A lower cell
    of :data:`_OWNED` that, with its group, makes a known header is named so wherever it
    stands: ``姓名`` and
    ``联系电话`` under ``网格长`` are ``网格长姓名`` and ``网格长联系电话`` (the leader's, not the
    grid's name), even beside a group of its own (``专职网格员`` over ``姓名``).

    Parameters
    ----------
    rows : sequence of sequences of str or None
        The rows of the sheet (at least up to ``at + 1`` when there is one).
    at : int
        The row :func:`find_header` picked.
    is_header : callable, optional
        Tells known headers apart; without it the row below never joins.

    Returns
    -------
    tuple
        Position of the header's last row (data starts after it) and the column names
        (``None`` for a column without one).

    Examples
    --------
    >>> is_header = lambda cell: cell in {"姓名", "身份证号", "经度", "纬度"}
    >>> rows = [["序号", "姓名", "身份证号", "位置", None], [None, None, None, "经度", "纬度"]]
    >>> header_block(rows, 0, is_header)
    (1, ['序号', '姓名', '身份证号', '经度', '纬度'])
    >>> header_block(rows, 1, is_header)
    (1, ['序号', '姓名', '身份证号', '经度', '纬度'])
    >>> header_block([["标题"], ["姓名", "经度"], ["张三", "102.9"]], 1, is_header)
    (1, ['姓名', '经度'])
    >>> rows = [["基本信息", "基本信息", "监护人", "监护人"], ["姓名", "身份证号", "姓名", "电话"]]
    >>> header_block(rows, 1, is_header)
    (1, ['姓名', '身份证号', '监护人姓名', '电话'])
    >>> header_block([["工单编号", "经度"], ["ZY1", "纬度"]], 0, is_header)  # a record below
    (0, ['工单编号', '经度'])
    >>> known = {"网格名称", "姓名", "联系电话", "网格长姓名", "网格长联系电话"}.__contains__
    >>> rows = [["网格名称", "专职网格员", None, "网格长", None],
    ...         [None, "姓名", "联系电话", "姓名", "联系电话"]]
    >>> header_block(rows, 0, known)
    (1, ['网格名称', '姓名', '联系电话', '网格长姓名', '网格长联系电话'])
    """

    def cells(row: Sequence[str | None]) -> list[str | None]:
        return [(c or "").strip() or None for c in row]

    lower = cells(rows[at])
    last, upper = at, None
    below = cells(rows[at + 1]) if at + 1 < len(rows) else []
    if (
        is_header is not None
        and any(c and is_header(c) and c not in lower for c in below)
        and _under_a_header(lower, below)
    ):
        last, upper, lower = at + 1, lower, below
    elif at > 0 and any(cells(rows[at - 1])):
        upper = cells(rows[at - 1])
    if upper is None:
        return last, lower
    width = max(len(upper), len(lower))
    upper += [None] * (width - len(upper))
    lower += [None] * (width - len(lower))
    names: list[str | None] = []
    group: str | None = None  # the label over this column (a cell left empty after it spans)
    known = is_header or (lambda _: False)
    for high, low in zip(upper, lower, strict=True):
        group = high if high and low and high != low else (group if not high and low else None)
        grouped = f"{group}{low}" if group else None
        # 姓名 under 网格长: the 网格长's name (a known header), not anybody's
        if grouped and low in _OWNED and known(grouped) and grouped not in names:
            names.append(grouped)
            continue
        name = low or high
        if name in names:  # a group label over several columns, or a header under two groups
            name = f"{high}{low}" if high and low and high != low else low
        names.append(name)
    return last, names


def _under_a_header(upper: list[str | None], lower: list[str | None]) -> bool:
    """Tell whether ``lower`` can be the second row of a header whose first row is ``upper``.

    Under a header of one row (``工单编号``, merged down or not) the second row is empty or
    repeats it; only under a group label (``位置`` over ``经度`` and ``纬度``: spread over several
    columns, or followed by empty cells) does it name columns of its own. A first record whose
    受理渠道 is ``电话`` (a known header) is not a second header row: its 工单编号 and 受理时间
    cells are data.
    """
    for column, (high, low) in enumerate(zip(upper, lower, strict=False)):
        if high is None or low is None or low == high:
            continue
        spread = any(
            0 <= n < len(upper) and (upper[n] == high or (n > column and upper[n] is None))
            for n in (column - 1, column + 1)
        )
        if not spread:
            return False
    return True


def distinct_names(names: Sequence[str]) -> list[str]:
    """Return column names with repeats told apart: the second ``备注`` is ``备注_2``.

    A sheet may name two columns alike (two ``备注``, or a header :func:`header_block` could not
    tell apart by its group). The first keeps its name, so that it is the one a field is read
    from; each later one takes the first free ``_2``, ``_3`` … suffix.

    Parameters
    ----------
    names : sequence of str
        Column names in sheet order.

    Returns
    -------
    list of str
        The same names, each distinct.

    Examples
    --------
    >>> distinct_names(["备注", "姓名", "备注", "备注_2", "备注"])
    ['备注', '姓名', '备注_3', '备注_2', '备注_4']
    """
    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name in seen:
            number = 2
            while f"{name}_{number}" in taken:
                number += 1
            name = f"{name}_{number}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out
