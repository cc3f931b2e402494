"""What explains most of a file's rejected rows, said once in the import's summary.

A 12345 export of 50,000 rows came back with 19,570 rows rejected, for several reasons mixed;
224 of them (or thousands) for one: a 问题分类 the platform does not know, which one line of a
mapping file fixes. The summary gave the total, and the clerk had to open a 20,000-row report
to find it. :func:`leading_reasons` groups the rejected rows by column and rule (rules that
differ only by the value they quote are one: ``如 "城乡建设>市容" = …``) and returns, for the
reasons that reject the most rows, one line each: the column, how many rows (which, when few),
the most frequent values with their counts, and the rule as the most frequent value breaks it,
whose way out (a mapping file's ``[values."事件类型"]`` line) is then written for it. The
console's page shows the same lines (:func:`top_reasons`); a handful of rejected rows is said
too (trial AG: six rows came back, and the command line said only the report's name).

Values are shown only where they are not personal data: never for persons or visits, nor for
the columns the caller says are private (names, IDs, phones, addresses, free text).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from importers.rules import Problem

SHOWN_REASONS = 5
"""At most this many reasons are said, those rejecting the most rows first (trial AG: 7 bad
rows, 3 reasons named and 3 more left to the report)."""
SHOWN_ROWS = 5
"""A reason of the console's lines (:func:`top_reasons`) rejecting at most this many rows names
them (``“姓名” 第 16 行：必填``): a clerk fixes them without the report."""
SHOWN_VALUES = 5
"""At most this many values of a reason are named, the most frequent first."""
VALUE_CHARACTERS = 30
"""A named value longer than this is cut (``…``)."""
_CODE = re.compile(r"\d{9,}")
"""A code in a rule (a division or device code): as :func:`importers.summary.refusal_advice` reads
rules, the same but for it are one reason."""
DIVISION_DIGITS = 12
"""A division code's length: a unit, no personal data (no personal number has 12 digits)."""
GRID_DIGITS = 15
"""A grid code's length, and a first-generation resident ID's."""
_NUMBER = re.compile(r"\d+|(?<![A-Za-z])X(?![A-Za-z])")
"""A number in a rule (a code, or a check digit it computed, which may be ``X``): rules alike but
for their numbers are one reason; a number they all say alike (not a code) is said, others are
``…`` (trial AF: 应为 X beside 应为 4 made two reasons of one)."""
_MARK = "\x1f"
"""Where a rule quoted its value."""
_NUMBER_MARK = "\x1e"
"""Where a rule had a number."""
_EMPTY = "（空）"
_MAPPED_TO = re.compile(rf'(如 "{_MARK}" = )"[^"]*"')
"""The name a rule's mapping line gives the value it quotes (marked)."""


PERSONAL_KINDS = frozenset({"persons", "visits"})
"""Kinds whose values are never named: every column of theirs is about a person."""
PRIVATE_FIELDS = frozenset(
    {"phone", "leader", "leader_phone", "leader_no", "reporter_name", "reporter_phone"}
    | {"resident_id", "title", "description", "address", "stream_url"}
)
"""Fields whose values are personal data or may hold it (a 12345 caller's words, an address, a
camera stream's password): never named, in any kind."""
_PRIVATE_OF_KIND = {
    "workers": frozenset({"external_id", "name", "lon", "lat", "lonlat", "wkt"}),
    "cases": frozenset({"lon", "lat", "lonlat", "wkt"}),
}
"""Further private fields of a kind: a worker's name, number and place; where a case (a
caller's home, often) is."""


def private_fields(kind: str) -> frozenset[str]:
    """Return the fields of ``kind`` whose values :func:`leading_reasons` must not name.

    Parameters
    ----------
    kind : str
        What is imported.

    Returns
    -------
    frozenset of str
        :data:`PRIVATE_FIELDS`, and a worker's name, number and place, a case's place.

    Examples
    --------
    >>> "name" in private_fields("workers"), "name" in private_fields("video")
    (True, False)
    """
    return PRIVATE_FIELDS | _PRIVATE_OF_KIND.get(kind, frozenset())


@dataclass
class _Reason:
    rows: set[int] = field(default_factory=set)
    values: Counter[str] = field(default_factory=Counter)
    rules: dict[str, set[int]] = field(default_factory=dict)
    shapes: set[str] = field(default_factory=set)


def reason_key(problem: Problem) -> tuple[str, str]:
    """Return what tells one reason from another: the column, and the rule without its value.

    The value is taken out as written and as a rule quotes it (TOML's and JSON's escapes), a
    value of one character only where quoted; then every number.

    Parameters
    ----------
    problem : Problem
        A rejected row's problem.

    Returns
    -------
    tuple of str
        The column, and the rule with the value it quotes and its numbers marked.

    Examples
    --------
    >>> a = Problem(2, "问题分类", "教育>入学", '未知分类，如 "教育>入学" = "…"')
    >>> b = Problem(3, "问题分类", "城建>市容", '未知分类，如 "城建>市容" = "…"')
    >>> c = Problem(4, "身份证号", None, "校验码不符（按前 17 位算应为 3，实为 0）")
    >>> reason_key(a) == reason_key(b), reason_key(c)[1].count(_NUMBER_MARK)
    (True, 3)
    """
    return problem.column, _NUMBER.sub(_NUMBER_MARK, _unquoted(problem))


def _unquoted(problem: Problem) -> str:
    """Return the problem's rule with its value marked (:func:`reason_key`).

    So is the name a mapping line gives the value (``如 "交通运输-道路交通" = "道路交通隐患"``,
    another value's ``= "…"``: :func:`importers.kinds.base.mapped_rule`): the rules are one.
    """
    rule = problem.rule
    if problem.value:
        quoted = json.dumps(problem.value, ensure_ascii=False)
        rule = rule.replace(quoted, f'"{_MARK}"')
        if len(problem.value) > 1:
            rule = rule.replace(problem.value, _MARK)
        rule = _MAPPED_TO.sub(rf'\1"{_MARK}"', rule)
    return rule


def leading_reasons(
    problems: Iterable[Problem],
    *,
    total_rows: int,
    private_columns: Collection[str] = (),
    values_shown: bool = True,
    refused: bool = False,
    shown: int = SHOWN_REASONS,
    fids: Mapping[int, int] | None = None,
) -> list[str]:
    """Return the summary's lines of the reasons rows were rejected for, the most rows first.

    The lines of :func:`top_reasons`, which the console's page shows, but for what the summary
    says otherwise: a rule rejecting every row, and the one reason of a refusal.

    Parameters
    ----------
    problems : iterable of Problem
        The import's problems (only the rejected ones count).
    total_rows : int
        The file's data rows: a rule that rejects every row is said by
        :func:`importers.summary.whole_file_problems`, not here.
    private_columns : collection of str
        Columns whose values are personal data: their values are never named.
    values_shown : bool
        Whether values may be named at all (not for persons or visits).
    refused : bool
        The import was refused: when one reason, its codes aside, rejects every rejected row,
        the refusal's advice says it (:func:`importers.summary.refusal_advice`) and nothing is
        returned.
    shown : int
        At most this many reasons are said; a last line counts the rows of the others.
    fids : mapping of int to int, optional
        A Shapefile's or GeoPackage's row number → FID: its rows are named as features
        (:func:`rows_said`).

    Returns
    -------
    list of str
        One line per reason: the column, the rows (named when at most :data:`SHOWN_ROWS`),
        the most frequent values (where they may be named) and the rule, as written for the
        first value when it quotes it (a mapping file's line), otherwise with ``…`` for its
        value and codes.

    Examples
    --------
    >>> rule = '须为已知分类；如 "{}" = "其他"'
    >>> found = [Problem(r, "问题分类", v, rule.format(v))
    ...          for r, v in enumerate(["城建>市容"] * 15 + ["教育>入学"] * 6, start=2)]
    >>> found += [Problem(30, "受理时间", "昨天", "必须是日期时间")]
    >>> for line in leading_reasons(found, total_rows=100):
    ...     print(line)
    “问题分类” 21 行（“城建>市容” 15 行、“教育>入学” 6 行）：须为已知分类；如 "城建>市容" = "其他"
    “受理时间” 第 30 行（“昨天”）：必须是日期时间
    >>> print(leading_reasons(found, total_rows=100, values_shown=False)[0])
    “问题分类” 21 行：须为已知分类；如 "…" = "…"
    """
    rejected = [p for p in problems if p.severity == "rejected"]
    if refused and len({(p.column, _CODE.sub(_MARK, p.rule)) for p in rejected}) == 1:
        return []
    partial = [
        (key, reason)
        for key, reason in _grouped(rejected)
        if all(len(rows) < total_rows for rows in reason.rules.values())
    ]
    return _said(partial, private_columns, values_shown, shown, fids)


def top_reasons(
    problems: Iterable[Problem],
    *,
    private_columns: Collection[str] = (),
    values_shown: bool = True,
    shown: int = SHOWN_REASONS,
    fids: Mapping[int, int] | None = None,
) -> list[str]:
    """Return the lines of the reasons that reject the most rows, however few they reject.

    What a console job gives its page (:func:`layers.import_jobs.reasons_of`): a clerk whose
    6 rows came back reads why there, not only in the report. A reason rejecting at most
    :data:`SHOWN_ROWS` rows names them (trial AD: ``“姓名” 1 行``, but which?).

    Parameters
    ----------
    problems : iterable of Problem
        The import's problems (only the rejected ones count).
    private_columns : collection of str
        Columns whose values are personal data: their values are never named.
    values_shown : bool
        Whether values may be named at all (not for persons or visits).
    shown : int
        At most this many lines.
    fids : mapping of int to int, optional
        A Shapefile's or GeoPackage's row number → FID (:func:`rows_said`).

    Returns
    -------
    list of str
        One line per reason, the most rows first.

    Examples
    --------
    >>> found = [Problem(r, "国标编码", "123", "须为 20 位数字") for r in (2, 3)]
    >>> top_reasons([*found, Problem(4, "经度", "abc", "必须是数字")])
    ['“国标编码” 第 2、3 行（“123”）：须为 20 位数字', '“经度” 第 4 行（“abc”）：必须是数字']
    >>> more = [Problem(5 + n, f"列{n}", "", f"规则{n}") for n in range(5)]
    >>> top_reasons([*found, *more], values_shown=False)[-1]
    '另有 1 行因其他 1 种原因退回，见退回报告'
    """
    rejected = [p for p in problems if p.severity == "rejected"]
    return _said(_grouped(rejected), private_columns, values_shown, shown, fids)


def _said(
    grouped: list[tuple[tuple[str, str], _Reason]],
    private_columns: Collection[str],
    values_shown: bool,
    shown: int,
    fids: Mapping[int, int] | None = None,
) -> list[str]:
    """Say the first ``shown`` reasons, rows named, and count the rows of the others."""
    lines = [
        _line(key, reason, values_shown and key[0] not in private_columns, True, fids)
        for key, reason in grouped[:shown]
    ]
    if len(grouped) > shown:  # trial AB: 退回 5 over three lines, the rest unsaid
        told = set().union(*(reason.rows for _, reason in grouped[:shown]))
        rest = set().union(*(reason.rows for _, reason in grouped[shown:])) - told
        others = len(grouped) - shown
        lines.append(
            f"另有 {len(rest)} 行因其他 {others} 种原因退回，见退回报告"
            if rest
            else f"以上各行另有其他 {others} 种问题，见退回报告"
        )
    return lines


def _grouped(rejected: list[Problem]) -> list[tuple[tuple[str, str], _Reason]]:
    """Group rejected rows' problems by reason (:func:`reason_key`), the most rows first."""
    reasons: dict[tuple[str, str], _Reason] = {}
    for problem in rejected:
        reason = reasons.setdefault(reason_key(problem), _Reason())
        if problem.row not in reason.rows:
            reason.rows.add(problem.row)
            reason.values[problem.value or _EMPTY] += 1
        reason.rules.setdefault(problem.rule, set()).add(problem.row)
        reason.shapes.add(_unquoted(problem))
    return sorted(reasons.items(), key=lambda item: (-len(item[1].rows), item[0]))


def rows_said(rows: Iterable[int], fids: Mapping[int, int] | None = None) -> str:
    """Name rows: ``第 3、7 行``, or a GIS file's features by their FID too.

    A Shapefile's or GeoPackage's rows are its features, which a GIS user finds by the FID
    its attribute table shows (trial AR m5: 第 4 行 was FID 3).

    Parameters
    ----------
    rows : iterable of int
        Row numbers (a GIS file's features counted from 1).
    fids : mapping of int to int, optional
        Row number → FID, of a Shapefile or a GeoPackage.

    Returns
    -------
    str
        The words.

    Examples
    --------
    >>> rows_said([7, 3])
    '第 3、7 行'
    >>> rows_said([4, 5], {4: 3, 5: 4})
    '第 4、5 条（FID 3、4）'
    """
    numbers = sorted(rows)
    listed = "、".join(map(str, numbers))
    if not fids or any(n not in fids for n in numbers):
        return f"第 {listed} 行"
    return f"第 {listed} 条（FID {'、'.join(str(fids[n]) for n in numbers)}）"


def _line(
    key: tuple[str, str],
    reason: _Reason,
    named: bool,
    rows_named: bool = False,
    fids: Mapping[int, int] | None = None,
) -> str:
    """Say one reason: its column, rows, most frequent values and the rule of the first.

    With ``rows_named``, the rows of a reason rejecting at most :data:`SHOWN_ROWS` are named
    instead of counted; where its values may be named and its rules differ (a unit named like
    its parent, each row's parent another), each row's rule is said as written.

    Examples
    --------
    >>> reason = _Reason({3, 7}, Counter({"宁州街道": 1, "华溪镇": 1}), {
    ...     "与上级辖区“宁州街道”同名": {3}, "与上级辖区“华溪镇”同名": {7}})
    >>> _line(("名称", ""), reason, True, rows_named=True)
    '“名称” 第 3 行：与上级辖区“宁州街道”同名；第 7 行：与上级辖区“华溪镇”同名'
    """
    column, marked = key
    few = rows_named and len(reason.rows) <= SHOWN_ROWS
    if few and named and len(reason.rules) > 1:  # each row's own rule, not 上级辖区“…” (AG)
        by_row = sorted(reason.rules.items(), key=lambda item: min(item[1]))
        return f"“{column}” " + "；".join(
            f"{rows_said(rows, fids)}：{rule}" for rule, rows in by_row
        )
    if few:
        said = f"“{column}” {rows_said(reason.rows, fids)}"
    else:
        said = f"“{column}” {len(reason.rows):,} {'条' if fids else '行'}"
    rule = _general(marked, reason.shapes, units_shown=named)
    if named and set(reason.values) != {_EMPTY}:
        top = reason.values.most_common(SHOWN_VALUES)
        listed = "、".join(f"“{_cut(value)}”" + ("" if few else f" {n:,} 行") for value, n in top)
        distinct = len(reason.values)
        more = f" 等 {distinct:,} 种" if distinct > SHOWN_VALUES else ""
        said += f"（{listed}{more}）"
        rule = _quoting(reason, top[0][0]) or rule
    return f"{said}：{rule}"


def _general(marked: str, shapes: Iterable[str], *, units_shown: bool = False) -> str:
    """Return a reason's rule: ``…`` for its value and for a number its rules say unalike.

    A code its rules say alike is ``…`` too (it may be a resident ID), but for a division code
    (12 digits: trial AD's ``辖区 … 不在数据库中`` hid the very code to import), and a grid code
    (15 digits, as long as a first-generation resident ID) with ``units_shown`` (values that
    may be named).
    """
    numbers = zip(*(_NUMBER.findall(shape) for shape in shapes), strict=True)
    for alike in numbers:
        code = _CODE.fullmatch(alike[0]) is not None
        shown = not code or len(alike[0]) == DIVISION_DIGITS
        shown = shown or (units_shown and len(alike[0]) == GRID_DIGITS)
        same = len(set(alike)) == 1 and shown
        marked = marked.replace(_NUMBER_MARK, alike[0] if same else "…", 1)
    return marked.replace(_MARK, "…")


def _cut(value: str) -> str:
    """Return ``value`` cut to :data:`VALUE_CHARACTERS` characters."""
    return value if len(value) <= VALUE_CHARACTERS else value[:VALUE_CHARACTERS] + "…"


def _quoting(reason: _Reason, value: str) -> str | None:
    """Return the rule as written for ``value``, if it quotes it (its way out names it)."""
    quoted = json.dumps(value, ensure_ascii=False)
    return next((rule for rule in reason.rules if quoted in rule), None)
