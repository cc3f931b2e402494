"""What explains most of a file's rejected rows, said once in the import's summary.

A 12345 export of 50,000 rows came back with 19,570 rows rejected, for several reasons mixed;
224 of them (or thousands) for one: a 问题分类 the platform does not know, which one line of a
mapping file fixes. The summary gave the total, and the clerk had to open a 20,000-row report
to find it. :func:`leading_reasons` groups the rejected rows by column and rule (rules that
differ only by the value they quote are one: ``如 "城乡建设>市容" = …``) and returns, for the
few reasons that reject many rows (:data:`MANY_ROWS`), one line each: the column, how many
rows, the most frequent values with their counts, and the rule as the most frequent value
breaks it, whose way out (a mapping file's ``[values."事件类型"]`` line) is then written for it.

Values are shown only where they are not personal data: never for persons or visits, nor for
the columns the caller says are private (names, IDs, phones, addresses, free text).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from importers.rules import Problem

MANY_ROWS = 20
"""A reason said on its own line rejects at least this many rows."""
SHOWN_REASONS = 3
"""At most this many reasons are said, those rejecting the most rows first."""
SHOWN_VALUES = 5
"""At most this many values of a reason are named, the most frequent first."""
_CODE = re.compile(r"\d{9,}")
"""A code in a rule (a division or device code): rules alike but for it are one reason."""
_MARK = "\x1f"


PERSONAL_KINDS = frozenset({"persons", "visits"})
"""Kinds whose values are never named: every column of theirs is about a person."""
PRIVATE_FIELDS = frozenset(
    {"phone", "leader", "leader_phone", "reporter_name", "reporter_phone", "resident_id"}
    | {"title", "description", "address", "stream_url"}
)
"""Fields whose values are personal data or may hold it (a 12345 caller's words, an address, a
camera stream's password): never named."""


def private_fields(kind: str) -> frozenset[str]:
    """Return the fields of ``kind`` whose values :func:`leading_reasons` must not name.

    Parameters
    ----------
    kind : str
        What is imported.

    Returns
    -------
    frozenset of str
        :data:`PRIVATE_FIELDS`, and a worker's name.

    Examples
    --------
    >>> "name" in private_fields("workers"), "name" in private_fields("video")
    (True, False)
    """
    return PRIVATE_FIELDS | ({"name"} if kind == "workers" else set())


@dataclass
class _Reason:
    rows: set[int] = field(default_factory=set)
    values: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)


def reason_key(problem: Problem) -> tuple[str, str]:
    """Return what tells one reason from another: the column, and the rule without its value.

    Parameters
    ----------
    problem : Problem
        A rejected row's problem.

    Returns
    -------
    tuple of str
        The column, and the rule with the value it quotes and its codes marked.

    Examples
    --------
    >>> a = Problem(2, "问题分类", "教育>入学", '未知分类，如 "教育>入学" = "…"')
    >>> b = Problem(3, "问题分类", "城建>市容", '未知分类，如 "城建>市容" = "…"')
    >>> reason_key(a) == reason_key(b)
    True
    """
    rule = problem.rule
    if problem.value:
        rule = rule.replace(problem.value, _MARK)
    return problem.column, _CODE.sub(_MARK, rule)


def leading_reasons(
    problems: Iterable[Problem],
    *,
    total_rows: int,
    private_columns: Collection[str] = (),
    values_shown: bool = True,
    refused: bool = False,
) -> list[str]:
    """Return the summary's lines of the reasons that reject many rows, the most first.

    Parameters
    ----------
    problems : iterable of Problem
        The import's problems (only the rejected ones count).
    total_rows : int
        The file's data rows: a reason that rejects every row is said by
        :func:`importers.cli.whole_file_problems`, not here.
    private_columns : collection of str
        Columns whose values are personal data: their values are never named.
    values_shown : bool
        Whether values may be named at all (not for persons or visits).
    refused : bool
        The import was refused: when one reason, its codes aside, rejects every rejected row,
        the refusal's advice says it (:func:`importers.cli.refusal_advice`) and nothing is
        returned.

    Returns
    -------
    list of str
        One line per reason rejecting :data:`MANY_ROWS` rows or more, at most
        :data:`SHOWN_REASONS`.

    Examples
    --------
    >>> rule = '须为已知分类；如 "{}" = "其他"'
    >>> found = [Problem(r, "问题分类", v, rule.format(v))
    ...          for r, v in enumerate(["城建>市容"] * 15 + ["教育>入学"] * 6, start=2)]
    >>> found += [Problem(30, "受理时间", "昨天", "必须是日期时间")]
    >>> print(leading_reasons(found, total_rows=100)[0])
    “问题分类” 21 行（“城建>市容” 15 行、“教育>入学” 6 行）：须为已知分类；如 "城建>市容" = "其他"
    >>> leading_reasons(found, total_rows=100, values_shown=False)[0][:18]
    '“问题分类” 21 行：须为已知分类'
    """
    rejected = [p for p in problems if p.severity == "rejected"]
    if refused and len({(p.column, _CODE.sub(_MARK, p.rule)) for p in rejected}) == 1:
        return []
    reasons: dict[tuple[str, str], _Reason] = {}
    for problem in rejected:
        reason = reasons.setdefault(reason_key(problem), _Reason())
        if problem.row not in reason.rows:
            reason.rows.add(problem.row)
            reason.values[problem.value or "（空）"] += 1
        reason.rules[problem.rule] += 1
    large = [
        (key, reason)
        for key, reason in reasons.items()
        if len(reason.rows) >= MANY_ROWS and len(reason.rows) < total_rows
    ]
    large.sort(key=lambda item: (-len(item[1].rows), item[0]))
    return [
        _line(column, reason, values_shown and column not in private_columns)
        for (column, _), reason in large[:SHOWN_REASONS]
    ]


def _line(column: str, reason: _Reason, named: bool) -> str:
    """Say one reason: its column, rows, most frequent values and the rule of the first."""
    rule = reason.rules.most_common(1)[0][0]
    said = f"“{column}” {len(reason.rows):,} 行"
    distinct = len(reason.values)
    if named and not (distinct == 1 and "（空）" in reason.values):
        top = reason.values.most_common(SHOWN_VALUES)
        listed = "、".join(f"“{value}” {n:,} 行" for value, n in top)
        more = f" 等 {distinct:,} 种" if distinct > SHOWN_VALUES else ""
        said += f"（{listed}{more}）"
        rule = _rule_of(reason, top[0][0]) or rule
    return f"{said}：{rule}"


def _rule_of(reason: _Reason, value: str) -> str | None:
    """Return the rule as written for ``value`` (its way out names that value), if any."""
    return next((rule for rule in reason.rules if f'"{value}"' in rule), None)
