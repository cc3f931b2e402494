"""A special-population file's reject report: identifying values masked, only its owner reads it.

A report of ``persons`` or ``visits`` rows names each rejected row by its number, as every report
does, but never copies what identifies the person: resident IDs are masked where the rules
report them (:data:`importers.rules.SENSITIVE_FIELDS`), and here the name, the address, the
visit's note and the free-text attributes (罪名, 诊断, 监护人 …, :func:`free_text_headers`) keep
only their first character (``欧******``). Dates, levels, categories and codes stay as written:
they say what to correct and identify no one. The file is created readable and writable by its
owner only (mode 0600), wherever ``--report`` puts it.

Every reject report is its owner's only (0600), whatever its kind: a roster's rejected rows
carry a worker's phone, which its import reads and the clerk needs to correct and import them
again (trial AV M5). In the rows to correct (:data:`importers.report.ROWS_SHEET`), a column
the import does not read (a roster's 身份证号, 性别 …:
:attr:`importers.pipeline.ImportOutcome.unused`) has each resident ID and mobile number masked
(:func:`geo.personal_numbers.mask_personal_numbers`), its header's comment says so, and so
does the summary (:func:`masked_unread_note`): the rows import as they are, without copying a
number nobody asked for.

A 12345 export's rows to correct keep the caller's name and number as the file has them (the
clerk's fix may need them): the report's first line and the summary say so, and to delete the
report once its rows are imported again (:func:`caller_note`, trial AX m2).

The lists the summary cuts short (the cameras a list leaves out …) are written whole beside the
report, owner only (:func:`write_full_lists`).

The persons a ``--complete`` list struck off (名单未列) are no rows of the file: they are listed,
masked as above (name's first character, category, village; no row number, no ID), in a CSV of
their own beside the report (:func:`struck_off_path`, also 0600), which the summary names, in a
dry run too (:func:`write_struck_off`). The reject report stays what its readers expect: the
file's rows, written only when some are rejected or to check.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

import pandas as pd
from annotated_types import MaxLen
from pydantic import AliasChoices

from geo.personal_numbers import find_personal_numbers, mask_personal_numbers
from importers.kinds import KINDS
from importers.report import MASKED_UNREAD, csv_safe, write_report
from importers.rules import Problem
from importers.terminal import for_import_page
from layers.cases import mask_name
from layers.console_wording import for_console
from layers.person_attributes import MODELS
from layers.person_roster import StruckOffNote

PERSONAL_KINDS = frozenset({"persons", "visits"})
"""Kinds whose rows are about special-population persons."""

IDENTIFYING_FIELDS = ("name", "address", "note")
"""Fields of those kinds whose values identify a person (the resident ID is masked already)."""


@cache
def free_text_headers() -> frozenset[str]:
    """Return the headers of the category attributes that are free text (罪名, 诊断, 监护人 …).

    Returns
    -------
    frozenset of str
        Every Chinese header a text attribute of any category is read from.

    Examples
    --------
    >>> {"罪名", "诊断", "监护人"} <= free_text_headers(), "矫正起止日期" in free_text_headers()
    (True, False)
    """
    headers: set[str] = set()
    for model in MODELS.values():
        for info in model.model_fields.values():
            alias = info.validation_alias
            if isinstance(alias, AliasChoices) and any(
                isinstance(m, MaxLen) for m in info.metadata
            ):
                headers.update(str(choice) for choice in alias.choices)
    return frozenset(headers)


def identifying_headers(kind: str, columns: Mapping[str, str]) -> frozenset[str]:
    """Return the columns of a file of ``kind`` whose values a report masks.

    Parameters
    ----------
    kind : str
        The import's kind.
    columns : mapping of str to str
        Field → the file's header for it (:attr:`importers.pipeline.ImportOutcome.columns`);
        a field the file did not name is taken by the kind's usual header.

    Returns
    -------
    frozenset of str
        Empty for a kind not about persons.
    """
    if kind not in PERSONAL_KINDS:
        return frozenset()
    fields = [f for f in IDENTIFYING_FIELDS if f in KINDS[kind].fields]
    named = {columns.get(f, KINDS[kind].header(f)) for f in fields}
    return frozenset(named) | free_text_headers()


CALLER_FIELDS = {"cases": ("reporter_name", "reporter_phone")}
"""Fields of a kind whose values the rows to correct copy in clear: a case's caller, whom the
clerk's fix may need (trial AX m2)."""
CALLER_NOTE = (
    "本报告“退回的行”照原文件保留了{columns}等个人信息（未遮盖，仅本账户可读）："
    "改正并重新导入后，请删除本报告"
)
"""What the report's first line and the summary say of them."""


def caller_note(kind: str, columns: Mapping[str, str], rows: pd.DataFrame | None) -> str | None:
    """Return the line saying the rows to correct hold a caller's name or number in clear.

    A 12345 export's rejected rows are copied as the file has them, 来电人 and 来电号码 too
    (the clerk corrects them there and imports them back): the report is a new file holding
    personal data, to be deleted once its rows are fixed (trial AX m2).

    Parameters
    ----------
    kind : str
        The import's kind (:data:`CALLER_FIELDS`).
    columns : mapping of str to str
        Field → the file's header for it.
    rows : pandas.DataFrame or None
        The rejected rows the report copies (``None``: it copies none).

    Returns
    -------
    str or None
        :data:`CALLER_NOTE` naming the columns that hold a value; ``None`` when none does.

    Examples
    --------
    >>> rows = pd.DataFrame({"来电人": ["杨国平"], "来电号码": [None], "诉求": ["欠薪"]})
    >>> caller_note("cases", {"reporter_name": "来电人", "reporter_phone": "来电号码"}, rows)
    '本报告“退回的行”照原文件保留了来电人等个人信息（未遮盖，仅本账户可读）：改正并重新导入后，请删除本报告'
    >>> caller_note("cases", {}, rows.drop(columns=["来电人"])) is None
    True
    """
    if rows is None or not len(rows) or kind not in CALLER_FIELDS:
        return None
    headers = [columns.get(f, KINDS[kind].header(f)) for f in CALLER_FIELDS[kind]]
    held = [h for h in headers if h in rows.columns and rows[h].notna().any()]
    return CALLER_NOTE.format(columns="、".join(held)) if held else None


def write_private_report(
    path: Path,
    kind: str,
    columns: Mapping[str, str],
    problems: Sequence[Problem],
    rows: pd.DataFrame | None = None,
    *,
    unread: Iterable[str] = (),
) -> Path:
    """Write the reject report (:func:`importers.report.write_report`) as this module says.

    For the console's 数据导入 page (:func:`importers.terminal.for_import_page`), each rule's
    command-line advice is in the page's words (:func:`layers.console_wording.for_console`).
    The file is created owner only (0600) for every kind; the personal numbers of the ``unread``
    columns of ``rows`` are masked (:func:`masked_unread`).

    Parameters
    ----------
    path : pathlib.Path
        Where to write.
    kind : str
        The import's kind: only ``persons`` and ``visits`` reports are masked and private.
    columns : mapping of str to str
        Field → the file's header for it.
    problems : sequence of Problem
        From the checks.
    rows : pandas.DataFrame, optional
        The rejected rows (never given for a file with resident IDs).
    unread : iterable of str, optional
        The file's columns the import does not read
        (:attr:`importers.pipeline.ImportOutcome.unused`).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if for_import_page():  # downloaded from the 数据导入 page: its words, not the options
        problems = [replace(p, rule=for_console(p.rule)) for p in problems]
    _owner_only(path)  # a roster's phones too (trial AV M5)
    hidden: list[str] = []
    if rows is not None:
        rows, hidden = masked_unread(rows, unread)
    masked = identifying_headers(kind, columns)
    warning = caller_note(kind, columns, rows)  # to delete once fixed (trial AX m2)
    if not masked:
        return write_report(path, problems, rows, masked=hidden, warning=warning)
    shown = [replace(p, value=mask_name(p.value)) if p.column in masked else p for p in problems]
    return write_report(path, shown, rows, masked=hidden, warning=warning)


def masked_unread(rows: pd.DataFrame, unread: Iterable[str]) -> tuple[pd.DataFrame, list[str]]:
    """Return ``rows`` with each personal number of an ``unread`` column masked, and those columns.

    Parameters
    ----------
    rows : pandas.DataFrame
        The rejected rows as the file has them.
    unread : iterable of str
        The file's columns the import does not read.

    Returns
    -------
    tuple of (pandas.DataFrame, list of str)
        A copy of the rows (the rows themselves when nothing is masked), and the columns in
        which a resident ID or a mobile number was masked, in the file's order.

    Examples
    --------
    >>> rows = pd.DataFrame({"姓名": ["马小军"], "身份证号": ["620702200109181950"],
    ...                      "手机号": ["17773716786"], "备注": ["电话 139 1234 5678"]})
    >>> shown, hidden = masked_unread(rows, ["身份证号", "备注", "性别"])
    >>> hidden, shown.iloc[0].tolist()
    (['身份证号', '备注'], ['马小军', '620702********1950', '17773716786', '电话 139****5678'])
    """
    wanted = set(unread)
    hidden: list[str] = []
    out = rows
    for column in rows.columns:
        if column not in wanted:
            continue
        values = rows[column]
        holds = values.map(lambda v: isinstance(v, str) and bool(find_personal_numbers(v)))
        if not holds.any():
            continue
        if out is rows:
            out = rows.copy()
        out[column] = values.map(lambda v: mask_personal_numbers(v) if isinstance(v, str) else v)
        hidden.append(str(column))
    return out, hidden


def masked_unread_note(rows: pd.DataFrame | None, unread: Iterable[str]) -> str | None:
    """Return the summary's line on the unread columns masked in the rows to correct.

    Parameters
    ----------
    rows : pandas.DataFrame or None
        The rejected rows the report copies (``None``: it copies none).
    unread : iterable of str
        The file's columns the import does not read.

    Returns
    -------
    str or None
        ``退回报告：身份证号未导入，其中的身份证号、手机号…已遮盖…``; ``None`` when none was.

    Examples
    --------
    >>> rows = pd.DataFrame({"身份证号": ["620702200109181950"], "性别": ["男"]})
    >>> masked_unread_note(rows, ["身份证号", "性别"])
    '退回报告：身份证号未导入，其中的身份证号、手机号在退回的行中已遮盖（原文件中不变）'
    >>> masked_unread_note(rows, ["性别"]) is None, masked_unread_note(None, ["身份证号"]) is None
    (True, True)
    """
    if rows is None:
        return None
    _, hidden = masked_unread(rows, unread)
    if not hidden:
        return None
    return "退回报告：" + MASKED_UNREAD.format(columns="、".join(hidden))


def _owner_only(path: Path) -> None:
    """Create ``path`` (and its folder) readable and writable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)  # an earlier file may have been written with the usual mode


FULL_LISTS_SUFFIX = ".完整列表.csv"
"""How the list of the summary's long notes, whole, ends (:func:`write_full_lists`)."""
FULL_LISTS_HEADERS = ("说明", "项目")


def full_lists_path(report: Path, *, dry_run: bool = False) -> Path:
    """Return where the summary's long notes are listed whole: beside the report.

    A dry run's list has a name of its own: it never overwrites what an import did.

    Parameters
    ----------
    report : pathlib.Path
        The import's report (the default ``FILE.rejects.xlsx``, or ``--report``).
    dry_run : bool
        The list of a dry run (``FILE.完整列表.试运行.csv``).

    Returns
    -------
    pathlib.Path
        ``FILE.完整列表.csv`` in the report's folder.

    Examples
    --------
    >>> full_lists_path(Path("/d/点位.csv.rejects.xlsx")).name
    '点位.csv.完整列表.csv'
    >>> full_lists_path(Path("/d/点位.csv.rejects.xlsx"), dry_run=True).name
    '点位.csv.完整列表.试运行.csv'
    """
    return _beside(report, FULL_LISTS_SUFFIX, dry_run=dry_run)


def write_full_lists(path: Path, notes: Sequence[str]) -> Path | None:
    """Write the summary's long notes whole (:func:`importers.summary.long_notes`), as CSV.

    The summary shows the first ten items of a long list (the cameras a list leaves out or
    retires, how each 12345 classification was read) and names this file for the rest: one
    line per item, under its note's head line. For the 数据导入 page, a head's command-line
    advice is in the page's words (:func:`layers.console_wording.for_console`). The file is its
    owner's only, as the summary it completes.

    Parameters
    ----------
    path : pathlib.Path
        Where to write (:func:`full_lists_path`).
    notes : sequence of str
        The long notes.

    Returns
    -------
    pathlib.Path or None
        The file written; ``None`` when there is no long note (nothing is written).
    """
    if not notes:
        return None
    _owner_only(path)  # what a summary of the file says, for its clerk: as private as it
    page = for_import_page()
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FULL_LISTS_HEADERS)
        for note in notes:
            head, *items = note.split("\n")
            head = for_console(head) if page else head
            for item in items:
                writer.writerow([csv_safe(head), csv_safe(item.strip())])
    return path


def _beside(report: Path, suffix: str, *, dry_run: bool) -> Path:
    """Return a file beside the report, named after it, ``suffix`` added (a dry run's marked)."""
    name = report.name
    for ending in (".rejects.xlsx", ".xlsx", ".csv"):
        if name.lower().endswith(ending):
            name = name[: -len(ending)]
            break
    if dry_run:
        suffix = suffix.replace(".csv", ".试运行.csv")
    return report.with_name(name + suffix)


STRUCK_OFF_SUFFIX = ".名单未列注销.csv"
"""How the private list of the persons a complete list struck off ends."""
STRUCK_OFF_HEADERS = ("姓名（已遮盖）", "人员类别", "所在村（社区）", "处理")
STRUCK_OFF = "注销（名单未列）"
"""The outcome of each person struck off (a dry run's: :data:`WOULD_STRIKE_OFF`)."""
WOULD_STRIKE_OFF = "试运行：将注销（名单未列）"


def struck_off_path(report: Path, *, dry_run: bool = False) -> Path:
    """Return where the persons struck off are listed: beside the report, named after it.

    A dry run's list has a name of its own: it never overwrites what an import struck off.

    Parameters
    ----------
    report : pathlib.Path
        The import's report (the default ``FILE.rejects.xlsx``, or ``--report``).
    dry_run : bool
        The list of a dry run (``FILE.名单未列注销.试运行.csv``).

    Returns
    -------
    pathlib.Path
        ``FILE.名单未列注销.csv`` in the report's folder.

    Examples
    --------
    >>> struck_off_path(Path("/d/名单.xlsx.rejects.xlsx")).name
    '名单.xlsx.名单未列注销.csv'
    >>> struck_off_path(Path("/d/退回_精神.csv")).name
    '退回_精神.名单未列注销.csv'
    >>> struck_off_path(Path("/d/名单.xlsx.rejects.xlsx"), dry_run=True).name
    '名单.xlsx.名单未列注销.试运行.csv'
    """
    return _beside(report, STRUCK_OFF_SUFFIX, dry_run=dry_run)


def write_struck_off(report: Path, notes: Sequence[str], *, dry_run: bool) -> Path | None:
    """Write the persons a ``--complete`` list struck off, masked, to an owner-only CSV.

    Parameters
    ----------
    report : pathlib.Path
        The import's report: the list goes beside it (:func:`struck_off_path`).
    notes : sequence of str
        The import's notes: a :class:`layers.person_roster.StruckOffNote` carries the persons.
    dry_run : bool
        The import was tried: each line says the person would be struck off.

    Returns
    -------
    pathlib.Path or None
        The file written; ``None`` when the import struck off nobody (no file is written).
    """
    persons = [p for note in notes if isinstance(note, StruckOffNote) for p in note.persons]
    if not persons:
        return None
    path = struck_off_path(report, dry_run=dry_run)
    _owner_only(path)
    outcome = WOULD_STRIKE_OFF if dry_run else STRUCK_OFF
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(STRUCK_OFF_HEADERS)
        for person in persons:
            place = csv_safe(person.place)
            writer.writerow([csv_safe(person.name_masked), person.category_label, place, outcome])
    return path
