"""Files of cases: 12345 work orders, incident exports and mediation ledgers (台账)."""

from __future__ import annotations

import hashlib
import re
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from geo.personal_numbers import (
    NUMERAL_CHARACTERS,
    find_personal_numbers,
    mask_personal_numbers,
)
from importers import vocabulary
from importers.kinds.base import (
    GRID_NAME,
    POINT_FIELDS,
    Context,
    Kind,
    Part,
    area_from,
    grid_from,
    iso_text,
    mapped_rule,
    staged_points,
    staging_rows,
    unsaid_columns,
)
from importers.rules import RowChecks
from importers.values import (
    EXCEL_NUMBER_RULE,
    SHANGHAI,
    excel_mangled_cells,
    invalid_phones,
    parse_times,
    phone_numbers,
)
from importers.vocabulary import CaseStatus
from layers.bulk import LON_COLUMN, Recognition
from layers.case_import import (
    GIVEN_DEADLINE,
    HISTORY_ENDED,
    HISTORY_STATUS,
    LEDGER_PREFIX,
    STATUS_GIVEN,
    SUGGESTED_DEPARTMENT,
    TITLE_PARTS,
    UNTITLED_ADDRESS,
    UNTITLED_DAY,
    UNTITLED_TYPE,
    rekey_edited_rows,
)
from layers.case_repeats import REPEAT_FLAG, REPEAT_OF
from layers.cases import mask_name_in_text, mask_phone
from layers.free_text import personal_work_order_number
from layers.model import (
    Base,
    Category,
    Channel,
    RiskLevel,
)
from layers.model.base import LabelledEnum
from layers.model.cases import SUBTYPES

CASE_TABLES: tuple[type[LabelledEnum], ...] = (Category, *SUBTYPES.values())
"""The code tables a case's type is named in: its category, or a subtype of one."""


def _case_category(checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    """Category and subcategory: the type column holds a category or one of its subtypes.

    A classification of several levels is read as its most specific level that names either
    (``城乡建设>物业管理>消防安全`` is a fire hazard, ``矛盾纠纷/劳资欠薪`` a dispute over wages);
    a subtype gives the case its category (:data:`layers.model.cases.SUBTYPES`). A subcategory
    column is read in the subtypes of the row's category; a value that is none of them stays
    as written.
    """
    raw = checks.text("category")
    category, subtype = _category_and_subtype(checks.recoded("category"))
    subcategory = _subtype_of(checks.recoded("subcategory"), category)
    subcategory = subcategory.where(subcategory.notna(), subtype)
    wrong = raw.notna() & category.isna()
    renamed = checks.values.get("category", {})
    rules = {  # one rule per distinct value: a million rows share a handful
        str(value): category_rule(str(value), renamed.get(vocabulary.value_key(str(value))))
        for value in raw[wrong].unique()
    }
    checks.fail("category", wrong, lambda value: rules[str(value)])
    readings = classification_note(raw, category, subtype)
    if readings is not None:
        checks.notes.append(readings)
    return category.astype(object), subcategory.astype(object)


def _category_and_subtype(written: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return the category and the subtype (NaN where none) each type as written names.

    Examples
    --------
    >>> category, subtype = _category_and_subtype(
    ...     pd.Series(["应急管理>消防安全>消防通道堵塞", "邻里纠纷", "社情民意", "教育"]))
    >>> category.tolist(), subtype.tolist()
    (['safety_hazard', 'dispute', 'public_opinion', nan], ['fire', 'neighbours', nan, nan])
    """
    category, *found = vocabulary.codes_in(written, CASE_TABLES)
    subtype = pd.Series(np.nan, index=written.index, dtype=object)
    for owner, codes in zip(SUBTYPES, found, strict=True):
        category = category.where(category.notna() | codes.isna(), owner.value)
        subtype = subtype.where(codes.isna(), codes)
    return category, subtype


def _subtype_of(written: pd.Series, category: pd.Series) -> pd.Series:
    """Return the codes of a subcategory column, each read in its row's category's subtypes.

    A value none of them names (a dispute's 消防安全隐患, a platform's own free text) stays as
    written.

    Examples
    --------
    >>> _subtype_of(pd.Series(["燃气安全隐患", "邻里纠纷", "燃气安全隐患", None]),
    ...             pd.Series(["safety_hazard", "dispute", "dispute", "dispute"])).tolist()
    ['gas', 'neighbours', '燃气安全隐患', nan]
    """
    codes = pd.Series(None, index=written.index, dtype=object)
    for owner, found in zip(
        SUBTYPES, vocabulary.codes_in(written, list(SUBTYPES.values())), strict=True
    ):
        codes = codes.where(codes.notna() | (category != owner.value) | found.isna(), found)
    return codes.where(codes.notna(), written)


class Readings(str):
    """The summary's 分类对照 lines, which can be counted again without the rejected rows.

    The row checks write it before every row is checked (the database's checks reject more):
    :meth:`without` counts the rows written only (trial AL N4: a refused row was counted).
    """

    read: pd.DataFrame
    """Each row read (indexed by its number): its value as written and what it became."""

    def without(self, rejected: set[int]) -> str | None:
        """Return the lines counted over the rows not ``rejected`` (``None``: none left).

        Examples
        --------
        >>> rows = [2, 3, 4]
        >>> raw = pd.Series(["社会治安>噪音扰民"] * 2 + ["应急管理>消防安全"], index=rows)
        >>> category = pd.Series(["dispute", "dispute", "safety_hazard"], index=rows)
        >>> subtype = pd.Series(["environment", "environment", "fire"], index=rows)
        >>> note = classification_note(raw, category, subtype)
        >>> print(note.without({3, 4}))
        分类对照（本文件的分类按以下读取，行数多的在前；不计退回的 2 行）：
          社会治安>噪音扰民 → 矛盾纠纷/环境污染（1 行）
        """
        left_out = self.read.index.isin(sorted(rejected))
        return _readings_text(self.read[~left_out], int(left_out.sum()))


def classification_note(raw: pd.Series, category: pd.Series, subtype: pd.Series) -> Readings | None:
    """Return the summary's lines on how each of a file's own classifications was read.

    A 12345 classification of several levels is read by its most specific level known
    (``社会治安>邻里纠纷>噪音扰民`` is a dispute over 环境污染, by 噪音扰民): the clerk sees each
    distinct value the file writes and what it became, most rows first, and may classify one
    otherwise in the mapping file. Values written as a type's own name (``矛盾纠纷``,
    ``邻里纠纷``) say nothing surprising and are left out. Every value is listed: the summary
    shows the first ten, a CSV beside the report all (:func:`importers.summary.shown_note`).
    The rows are counted again once every row is checked, the rejected ones left out
    (:meth:`Readings.without`).

    Parameters
    ----------
    raw : pandas.Series
        The classifications as written (``None`` where empty), indexed by row number.
    category : pandas.Series
        Their category codes (NaN where refused).
    subtype : pandas.Series
        The subtype of its category each was read as, if any.

    Returns
    -------
    Readings or None
        ``分类对照…：`` then one line per value; ``None`` when no value needs it.

    Examples
    --------
    >>> raw = pd.Series(["社会治安>邻里纠纷>噪音扰民"] * 2 + ["邻里纠纷", "应急管理>消防安全"])
    >>> category = pd.Series(["dispute", "dispute", "dispute", "safety_hazard"])
    >>> subtype = pd.Series(["environment", "environment", "neighbours", "fire"])
    >>> print(classification_note(raw, category, subtype))
    分类对照（本文件的分类按以下读取，行数多的在前）：
      社会治安>邻里纠纷>噪音扰民 → 矛盾纠纷/环境污染（2 行）
      应急管理>消防安全 → 安全隐患/消防安全隐患（1 行）
    """
    categories = Category.labels()
    subtypes = {
        code: label for table in SUBTYPES.values() for code, label in table.labels().items()
    }
    read = pd.DataFrame({"raw": raw, "category": category, "subtype": subtype}).dropna(
        subset=["raw", "category"]
    )
    if read.empty:
        return None
    read["as"] = read["category"].map(categories) + read["subtype"].map(
        lambda code: f"/{subtypes[code]}", na_action="ignore"
    ).astype(object).fillna("")
    plain = {vocabulary.value_key(label) for label in [*categories.values(), *subtypes.values()]}
    read = read[[vocabulary.value_key(str(value)) not in plain for value in read["raw"]]]
    said = _readings_text(read, 0)
    if said is None:
        return None
    note = Readings(said)
    note.read = read[["raw", "as"]]
    return note


def _readings_text(read: pd.DataFrame, left_out: int) -> str | None:
    """Return the 分类对照 lines of the rows ``read``; ``left_out`` rejected rows not counted."""
    if read.empty:
        return None
    counted = read.groupby(["raw", "as"]).size().sort_values(ascending=False, kind="stable")
    lines = [
        f"  {value} → {reading}（{n} 行）"
        for (value, reading), n in zip(counted.index.tolist(), counted.tolist(), strict=True)
    ]
    rejected = f"；不计退回的 {left_out:,} 行" if left_out else ""
    return "\n".join([f"分类对照（本文件的分类按以下读取，行数多的在前{rejected}）：", *lines])


CASE_TYPES = "、".join(m.label for table in CASE_TABLES for m in table)
"""The names a case's type may be given (its category, or one of the category's subtypes)."""
_EXAMPLE_TYPE = "教育>义务教育>入学政策"
"""A 12345 classification no type of the platform names, for the rule's example."""
_TYPES_SECTION = '[values."事件类型"]'
"""The mapping file's section that classifies a file's own types, as a clerk names it."""


def category_rule(value: str, renamed: str | None = None) -> str:
    """Return why a case's type is refused, and how a file's own classification gets its type.

    Parameters
    ----------
    value : str
        The type as written in the file.
    renamed : str, optional
        What the mapping file's ``[values."事件类型"]`` says it is, if it names it.

    Returns
    -------
    str
        The rule (Chinese): the allowed names, and the line of the mapping file that classifies
        the value (the value itself, quoted as TOML quotes it, unless it is too long to be a
        classification).

    Examples
    --------
    >>> allowed, way = category_rule("城市管理>占道经营").split("；")
    >>> allowed  # doctest: +ELLIPSIS
    '必须是以下之一：矛盾纠纷、安全隐患、社情民意、婚姻家庭、...、其他纠纷、消防安全隐患、...、政策咨询'
    >>> way.split("，")
    ['本文件自有的分类', '可在映射文件（--mapping）的 [values."事件类型"] 中写明它归入上列哪一类',
     '如 "城市管理>占道经营" = "…"']
    >>> category_rule("交通运输-道路交通").split("，")[-1]  # the type it most likely means
    '如 "交通运输-道路交通" = "道路交通隐患"'
    >>> category_rule("教育", "教育类")  # doctest: +ELLIPSIS
    '映射文件（--mapping）的 [values."事件类型"] 把它归入“教育类”：必须是以下之一：矛盾纠纷、...'
    """
    return mapped_rule(
        value,
        renamed,
        allowed=f"必须是以下之一：{CASE_TYPES}",
        section=_TYPES_SECTION,
        way="本文件自有的分类，可在映射文件（--mapping）的 {section} 中写明它归入上列哪一类",
        example=_EXAMPLE_TYPE,
        nearest=nearest_type,
    )


def nearest_type(value: str) -> str | None:
    """Return the type a case's unknown type most likely means (its category when several).

    Examples
    --------
    >>> nearest_type("交通运输-道路交通"), nearest_type("土地山林权属纠纷"), nearest_type("教育")
    ('道路交通隐患', '土地山林', None)
    """
    groups = {table: category for category, table in SUBTYPES.items()}
    return vocabulary.nearest_name(value, CASE_TABLES, groups)


_STATUS_SECTION = '[values."办理状态"]'
"""The mapping file's section that names a file's own statuses, as a clerk names it."""
VOID_RULE = (
    "作废或不予受理的工单不是案件（既非待办，也非已办结），不导入：加 --partial 导入其余行；"
    f"如本中心另有处理，可在映射文件（--mapping）的 {_STATUS_SECTION} 中写明它算作哪种状态"
)
"""Why a voided or refused work order (:data:`importers.vocabulary.VOID_STATUSES`) is refused."""


def status_rule(value: str, renamed: str | None = None) -> str:
    """Return why a case's status is refused, and the mapping file's line that names it.

    Parameters
    ----------
    value : str
        The status as written in the file.
    renamed : str, optional
        What the mapping file's ``[values."办理状态"]`` says it is, if it names it.

    Returns
    -------
    str
        The rule (Chinese).

    Examples
    --------
    >>> status_rule("待研判").split("；")[1]  # doctest: +ELLIPSIS
    '本文件自有的状态，可在映射文件（--mapping）的 [values."办理状态"] 中写明..."待研判" = "…"'
    >>> status_rule("处理完成").split("，")[-1]
    '如 "处理完成" = "已办结"'
    """
    labels = "、".join(CaseStatus.labels().values())
    return mapped_rule(
        value,
        renamed,
        allowed=f"必须是以下代码或名称之一：{labels}（或待处理、办理中等常用写法）",
        section=_STATUS_SECTION,
        way="本文件自有的状态，可在映射文件（--mapping）的 {section} 中写明它算哪一种"
        "（仍在办的写“未办结”）",
        example="待研判",
        nearest=lambda written: vocabulary.nearest_name(written, [CaseStatus]),
    )


ENDED_UNSETTLED = frozenset(
    vocabulary.value_key(word)
    for word in (
        "调解不成功 调解未成功 调解失败 化解不成功 化解未成功 化解失败 不成功 未达成协议 "
        "终止调解 调解终止 引导诉讼 已引导诉讼 进入诉讼程序 转诉讼 已起诉 法治化途径 "
        "申请仲裁 转仲裁 已转仲裁"
    ).split()
)
"""Statuses that say a mediation ended without settling the dispute, which a ledger or a
12345 export keeps on its open side (the parties are referred to court or arbitration). With
``--history`` such a row is concluded history (:data:`layers.case_import.HISTORY_ENDED`), with
the closing time its source gives; without it, an open case, as the vocabulary reads it."""
REFERRED = re.compile(r"^已?移交")
"""A status that says the matter was referred on (已移交, 已移交司法所, 移交法院 …): ended here."""


def _ended_unsettled(written: pd.Series) -> pd.Series:
    """Return which statuses say the mediation ended unsettled (:data:`ENDED_UNSETTLED`).

    Read as a whole or by the leading clause (``调解不成功，引导当事人诉讼``).
    """

    def says_ended(value: object) -> bool:
        text = str(value)
        leading = vocabulary.STATUS_CLAUSE.split(text, maxsplit=1)[0]
        keys = {vocabulary.value_key(text), vocabulary.value_key(leading)}
        return bool(keys & ENDED_UNSETTLED) or any(REFERRED.match(k) for k in keys)

    said = {value: says_ended(value) for value in written.dropna().unique()}  # a handful
    if not any(said.values()):
        return pd.Series(False, index=written.index)
    return written.map(said).eq(True)


def _case_status(checks: RowChecks) -> tuple[pd.Series, pd.Series]:
    """Return the codes of the rows' statuses; refuse the unknown and the voided ones.

    A status of several clauses is read by its leading word when the whole is not known
    (``调解成功，已签订调解协议书`` is 调解成功). A status that says the mediation ended
    unsettled or was referred on (:data:`ENDED_UNSETTLED`, ``已移交法院``) is open here, and
    returned as such (the second series).
    """
    raw = checks.text("status")
    written = checks.recoded("status")
    codes = vocabulary.codes_of(written, CaseStatus)
    leading = written.str.split(vocabulary.STATUS_CLAUSE, n=1, regex=True).str[0]
    codes = codes.where(codes.notna(), vocabulary.codes_of(leading, CaseStatus))
    ended = _ended_unsettled(written) & (codes.isna() | (codes == CaseStatus.OPEN.value))
    codes = codes.where(~ended, CaseStatus.OPEN.value)
    keys = written.map(vocabulary.value_key, na_action="ignore")
    void = raw.notna() & codes.isna() & keys.isin(vocabulary.VOID_STATUSES)
    checks.fail("status", void, VOID_RULE)
    wrong = raw.notna() & codes.isna() & ~void
    renamed = checks.values.get("status", {})
    rules = {
        str(value): status_rule(str(value), renamed.get(vocabulary.value_key(str(value))))
        for value in raw[wrong].unique()
    }
    checks.fail("status", wrong, lambda value: rules[str(value)])
    return codes.astype(object).where(codes.notna(), None), ended


OPEN_CLOSED_RULE = "状态为未办结的案件不应有办结时间"
"""Why a row whose status says open is refused when it gives a closing time."""
ENDED_CLOSED_RULE = (
    "调解不成功、已移交等（调解已结束、纠纷未化解）：按未办结案件导入，进入待分流，"
    "化解日期不作为办结时间；如为已结束的历史记录，请加 --history 导入"
    "（按历史记录归档，保留原状态和办结时间）"
)
"""Said of a row whose status says the mediation ended unsettled and that gives a closing time,
outside a history import: the row loads, as an open case (the case is still the centre's
work: the parties go to court or arbitration), without the closing time."""


def _case_state(
    checks: RowChecks, reported: pd.Series, *, history: bool = False
) -> dict[str, pd.Series]:
    """State and closing time: a case settled in its source system is imported settled.

    A row with a closing time and no status was settled; a status that says the case is
    still open contradicts a closing time (unless it says the mediation ended unsettled: with
    ``history`` the time it ended, else left out, the row loading as an open case with
    :data:`ENDED_CLOSED_RULE`), and a case cannot close before it was reported.
    When some row gives either, :data:`layers.case_import.STATUS_GIVEN` says which rows do.
    With ``history``, the rows still open at the source are concluded history: state
    ``archived``, and :data:`layers.case_import.HISTORY_ENDED` keeps what the source says of
    them. :data:`layers.case_import.HISTORY_STATUS` keeps the status as written of the rows
    stored as history: those settled at the source (stored concluded,
    :func:`layers.case_import.stored_state`) and those concluded so.
    """
    closed = checks.timestamps("closed_at", past=True)
    status, ended = _case_status(checks)
    written = status.notna()
    status = status.where(written | closed.isna(), CaseStatus.RESOLVED.value)
    state = status.where(status.notna(), CaseStatus.OPEN.value)
    still_open = written & (status == CaseStatus.OPEN.value) & closed.notna()
    checks.fail("closed_at", still_open & ~ended, OPEN_CLOSED_RULE)
    if not history:
        checks.fail("closed_at", still_open & ended, ENDED_CLOSED_RULE, severity="repaired")
    checks.fail("closed_at", closed < reported, "办结时间早于登记时间")
    concluded = state == CaseStatus.OPEN.value if history else pd.Series(False, index=state.index)
    said = written | closed.notna() | concluded
    given = {STATUS_GIVEN: said} if said.any() else {}
    closed = closed.where((state != CaseStatus.OPEN.value) | concluded)
    state = state.where(~concluded, CaseStatus.ARCHIVED.value)
    untimed = int(
        ((state != CaseStatus.OPEN.value) & ~concluded & closed.isna() & ~checks.bad).sum()
    )
    if untimed:
        checks.notes.append(UNTIMED_NOTE.format(n=untimed))
    kept = _history_columns(checks, state != CaseStatus.OPEN.value, concluded, ended, history)
    return {"state": state.astype(object), "closed_at": iso_text(closed), **given, **kept}


def _history_columns(
    checks: RowChecks, stored: pd.Series, concluded: pd.Series, ended: pd.Series, history: bool
) -> dict[str, pd.Series]:
    """Return what the source says of the rows stored as history.

    Those it settled (``stored`` and not ``concluded``), and with ``history`` those it still
    calls open, concluded: their status as written (:data:`layers.case_import.HISTORY_STATUS`,
    kept in the case's first event) and, with ``history``, whether the mediation ended
    unsettled (:data:`layers.case_import.HISTORY_ENDED`).
    """
    written = checks.text("status").map(lambda v: str(v).strip() or None, na_action="ignore")
    kept = {HISTORY_STATUS: written.where(stored, None).astype(object)}
    if history:
        kept[HISTORY_ENDED] = ended.where(concluded, None).astype(object)
    return kept


UNTIMED_NOTE = "{n} 件已办结但没有办结时间，办结用时的统计不计入这些案件"
"""Said of settled rows without a closing time (a grid app's or a 110 list's, say)."""


LEDGER_FIELDS = (
    "area_code",
    "township",
    "grid_code",
    "address",
    "category",
    "subcategory",
    "reporter_name",
    "title",
    "description",
)
"""What tells one case of a ledger from another, besides its day (:func:`ledger_numbers`)."""
LEDGER_NOTE = (
    "文件没有工单编号列：按登记日期、所在地、类型、当事人和内容为每行生成来源编号（TZ 开头），"
    "再次导入同一台账不会重复；改过内容的行按登记日期、所在地、类型和当事人（或内容）找到库中的同一件"
)
"""The summary's note on a ledger imported without numbers."""
EDITED_NOTE = (
    "{n} 行台账与库中同一天、同一地点、同一类型且当事人或内容相同的案件是同一件，"
    "内容有改动，已更新该案件（第 {rows} 行）"
)
"""Said of a ledger's rows whose text was corrected since (:func:`_edited_ledger_rows`)."""


def ledger_numbers(checks: RowChecks, reported: pd.Series) -> pd.Series:
    """Return source numbers for a ledger's rows, from what they say (its day, place, type …).

    A township's 矛盾纠纷排查化解台账 numbers its rows 1, 2, 3 … afresh each month, if at all;
    the same case comes back next month with its 化解结果 brought up to date. So its number is
    made from what does not change: the day it was registered and the texts of
    :data:`LEDGER_FIELDS` as written (full-width forms and spaces do not count), not its status
    or its result. Identical rows get the same number (the file's duplicate check tells them).

    Parameters
    ----------
    checks : RowChecks
        The file's checks.
    reported : pandas.Series
        The rows' registration times (NaT where missing or refused: no number).

    Returns
    -------
    pandas.Series
        ``TZ`` + the day (``YYYYMMDD``) + ``-`` + 12 hex digits of SHA-256 of the texts;
        ``None`` where the time is missing.

    Examples
    --------
    >>> frame = pd.DataFrame({"类型": ["邻里纠纷", "邻里纠纷 "], "村": ["华福社区", "华福社区"]})
    >>> checks = RowChecks(frame, {"category": "类型", "area_code": "村"})
    >>> days = pd.Series(pd.to_datetime(["2025-03-02 09:00", "2025-03-02 17:00"]))
    >>> numbers = ledger_numbers(checks, days)
    >>> numbers[0] == numbers[1], numbers[0][:11]
    (True, 'TZ20250302-')
    """
    joined = pd.Series("", index=checks.frame.index, dtype=object)
    for name in LEDGER_FIELDS:
        text = checks.text(name).map(_ledger_text, na_action="ignore").astype(object)
        joined = joined + "\x1f" + text.fillna("")
    digests = joined.map(lambda t: hashlib.sha256(t.encode()).hexdigest()[:12])
    numbers: pd.Series = LEDGER_PREFIX + reported.dt.strftime("%Y%m%d") + "-" + digests
    return numbers.astype(object).where(reported.notna(), None)


def _ledger_text(value: object) -> str:
    return vocabulary.value_key(str(value))


MASKED_CASE_TEXT_NOTE = (
    "{n} 行的标题或描述中写有身份证号、手机号，已脱敏保存（如 139****5678）；"
    "反映人的电话请放在“联系电话”列"
)
"""Said of the rows whose title or description had personal numbers masked (trial AI S6)."""
MASKED_ADDRESS_NOTE = "{n} 行的地址中写有身份证号、手机号，已脱敏保存（如 139****5678）"
"""Said of the rows whose 地址 had personal numbers masked (trial AJ M2)."""
CALLER_NAME_NOTE = "{n} 行的标题或描述中写有来电人姓名，已脱敏保存（如 马**）"
"""Said of the rows whose title or description named their caller (trial BA S3)."""
PERSONAL_WORK_ORDER_RULE = "工单编号不能是身份证号或手机号：请填写来源渠道的工单编号"
"""Why a row whose work-order number is a resident ID or a mobile number is refused."""


UNLOCATED_NOTE = (
    "{n} 件案件没有经纬度，只按所属辖区或地址定位：不上地图、不参与热点分析，"
    "派单时也不能按距离推荐网格员"
)
"""Said of the cases a file gives no point (a 12345 export of addresses only)."""


def masked_free_text(checks: RowChecks, text: pd.Series) -> tuple[pd.Series, list[int]]:
    """Return ``text`` with its resident IDs and mobile numbers masked, and the rows masked.

    An import does not refuse a row for what its free text says (a 12345 export's descriptions
    often hold the caller's number, and the centre keeps the work order): the text is stored
    masked (:func:`geo.personal_numbers.mask_personal_numbers`: however written, ``139/1234/
    5678``, ``8613912345678``, in Chinese numerals, an ID in parts among words), and the
    summary says of how many rows (:meth:`importers.rules.RowChecks.note_rows`, with the
    caller's template).

    Parameters
    ----------
    checks : RowChecks
        The file's checks (rows refused already are not counted).
    text : pandas.Series
        The column's text (NaN where empty).

    Returns
    -------
    tuple of (pandas.Series, list of int)
        The text as stored, and the rows whose text was masked.

    Examples
    --------
    >>> frame = pd.DataFrame({"描述": ["电话 139 1234 5678 漏水", "编号 20261202", None]})
    >>> checks = RowChecks(frame, {"description": "描述"})
    >>> masked, rows = masked_free_text(checks, checks.text("description"))
    >>> masked.tolist(), rows
    (['电话 139****5678 漏水', '编号 20261202', None], [0])
    """
    stored = text.astype(object).where(text.notna(), None)
    given = text[text.notna()].astype(str)
    if given.empty:
        return stored, []
    # each distinct text once (a ledger repeats its titles: 邻里纠纷), one pass of compiled
    # patterns for most of them
    masked = given.map({value: mask_personal_numbers(value) for value in given.unique()})
    changed = masked[masked != given]
    stored.loc[changed.index] = changed
    return stored, [int(row) for row in changed.index if not checks.bad[row]]


def caller_names_masked(
    checks: RowChecks, text: pd.Series, names: pd.Series
) -> tuple[pd.Series, list[int]]:
    """Return ``text`` with each row's caller (来电人) masked in it, and the rows masked.

    A caller who says their name in the call finds it in the description the platform
    writes (``我叫马丽萍，…``), read in clear by every level and in brief.xlsx, though the
    reporter field shows ``马**`` (trial BA S3): the same row's name is masked wherever its
    text holds it (:func:`layers.cases.mask_name_in_text`, keeping the surname).

    Parameters
    ----------
    checks : RowChecks
        The file's checks (rows refused already are not counted).
    text : pandas.Series
        The column's text (None or NaN where empty).
    names : pandas.Series
        The rows' callers (NaN where none).

    Returns
    -------
    tuple of (pandas.Series, list of int)
        The text, and the rows whose text named their caller.

    Examples
    --------
    >>> frame = pd.DataFrame({"来电人": ["马丽萍", "王先生", None]})
    >>> checks = RowChecks(frame, {"reporter_name": "来电人"})
    >>> said = pd.Series(["我叫马丽萍，押金不退", "王先生反映噪音", "路灯不亮"])
    >>> masked, rows = caller_names_masked(checks, said, checks.text("reporter_name"))
    >>> masked.tolist(), rows
    (['我叫马**，押金不退', '王先生反映噪音', '路灯不亮'], [0])
    """
    both = text.notna() & names.notna()
    if not both.any():
        return text, []
    stored = text.astype(object).copy()
    rows: list[int] = []
    for row in text.index[both]:
        given = str(text.at[row])
        masked = mask_name_in_text(given, str(names.at[row]))
        if masked != given:
            stored.at[row] = masked
            if not checks.bad[row]:
                rows.append(int(row))
    return stored, rows


TITLE_CHARS = 60
"""How much of a description a case's title derived from it keeps."""
_NUMBER_LABEL = re.compile(
    r"(?:联系)?(?:电话|手机号?|手机号码|身份证号?码?|号码)\s*[:：]?\s*(?=$|[，,。；;、\s)）])"
)
"""A label whose number was left out of a title (``电话：``), left out with it."""
_LEFT_SEPARATORS = re.compile(r"([，,；;、])\s*[，,；;、]+|\(\s*\)|（\s*）")
_EDGES = " ，,；;、：:"


def title_from_text(text: str) -> str:
    """Return a case's title taken from its description: its personal numbers left out.

    The description is stored masked (:func:`masked_free_text`); a title is what a list shows
    of a case, and 「张先生138****1234反映…」 says nothing a title needs (trial AL N6). The
    resident IDs and mobile numbers are dropped with the label before them (``电话：``), not
    masked (:func:`numbers_left_out`); then the first :data:`TITLE_CHARS` characters are kept.

    Examples
    --------
    >>> title_from_text("张先生13812341234反映小区夜间施工噪音扰民")
    '张先生反映小区夜间施工噪音扰民'
    >>> title_from_text("来电人王女士，电话：139 1234 5678，反映楼下餐馆油烟")
    '来电人王女士，反映楼下餐馆油烟'
    >>> title_from_text("13912345678")
    ''
    """
    return numbers_left_out(text)[:TITLE_CHARS]


def numbers_left_out(text: str) -> str:
    """Return ``text`` without its resident IDs and mobile numbers and the labels before them.

    Examples
    --------
    >>> numbers_left_out("龙泉路12号（房东电话13912345678）")
    '龙泉路12号（房东）'
    """
    out: list[str] = []
    at = 0
    for number in find_personal_numbers(text):
        for start, end in number.pieces or ((number.start, number.end),):
            out.append(text[at:start])
            at = end
    out.append(text[at:])
    if len(out) == 1:
        return text
    kept = _NUMBER_LABEL.sub("", "".join(out))
    kept = _LEFT_SEPARATORS.sub(lambda found: found.group(1) or "", kept)
    return kept.strip(_EDGES)


def titles_from(descriptions: pd.Series) -> pd.Series:
    """Return :func:`title_from_text` of each description, each text once.

    NaN where there is none, or nothing is left of it once its numbers are left out.
    """
    given = descriptions[descriptions.notna()].astype(str)
    titles = given.map({value: title_from_text(value) or None for value in given.unique()})
    return titles.astype(object).reindex(descriptions.index)


ADDRESS_CHARS = 24
"""How much of an address a title made of a case's type, place and day keeps (its end)."""


def case_titles(
    checks: RowChecks,
    given: pd.Series,
    kind: tuple[pd.Series, pd.Series],
    reported: pd.Series,
    *,
    description: pd.Series | None = None,
) -> tuple[pd.Series, dict[str, pd.Series]]:
    """Return the cases' titles, and the staging columns of those to title by place and day.

    A row's title is its own (its 标题 column), else one taken from its description
    (:func:`titles_from`: its numbers left out, trial AL N6). A row with neither, or whose
    title only names its type (``邻里纠纷``, or the file's classification as written), was
    titled with its category: a list of them read 矛盾纠纷, 矛盾纠纷 … (trial AN N5). Such a row
    is titled by its type (the subcategory's label, else the category's, or the title naming
    it), place and day: ``邻里纠纷·龙泉社区·12月5日`` (the year too when not this year). The
    place is the village it is placed in, else its address, else its unit, which the database
    tells once the row is placed (:func:`layers.case_import.place_titles`); until then the
    title leaves it out. No personal number is put in a title.

    Parameters
    ----------
    checks : RowChecks
        The file's checks.
    given : pandas.Series
        The titles the file gives (masked), NaN where none.
    kind : tuple of pandas.Series
        The rows' category and subcategory codes (a subcategory as written where no code).
    reported : pandas.Series
        The rows' registration times (NaT where refused).
    description : pandas.Series, optional
        The descriptions a title is taken from (the callers' names masked); default the
        file's column.

    Returns
    -------
    tuple of (pandas.Series, dict)
        The titles, and :data:`~layers.case_import.UNTITLED_TYPE`,
        :data:`~layers.case_import.UNTITLED_DAY` and :data:`~layers.case_import.UNTITLED_ADDRESS`
        (NULL on the rows with a title of their own).
    """
    category, subcategory = kind
    typed = type_words(category, subcategory)
    types = TYPE_KEYS | {  # and the types as the file writes them
        vocabulary.value_key(str(v))
        for c in ("category", "subcategory")
        for v in checks.text(c).dropna().unique()
    }
    naming = given.isin(
        [v for v in given.dropna().unique() if vocabulary.value_key(str(v)) in types]
    )
    own = given.where(~naming)
    described = checks.text("description") if description is None else description
    title = own.where(own.notna(), titles_from(described))
    untitled = title.isna()
    named = {value: _last_level(str(value)) for value in given[naming].unique()}
    kinds = given.where(naming).map(named, na_action="ignore")
    kinds = kinds.where(kinds.notna(), typed).astype(object)
    days = day_words(reported)
    made = kinds + TITLE_PARTS + days
    title = title.where(~untitled, made).astype(object).str.slice(0, 200)
    addresses = checks.text("address")
    said = {value: address_words(str(value)) for value in addresses.dropna().unique()}
    address = addresses.map(said, na_action="ignore")
    none = pd.Series(None, index=given.index, dtype=object)
    return title, {
        UNTITLED_TYPE: kinds.where(untitled, none).astype(object),
        UNTITLED_DAY: days.where(untitled, none).astype(object),
        UNTITLED_ADDRESS: address.where(untitled, none).astype(object),
    }


_LEVELS = re.compile(r"\s*[>＞/／|｜\\]+\s*")
"""Between the levels of a classification as a title may repeat it (``社会治安>噪音扰民``)."""


def _last_level(title: str) -> str | None:
    """Return the type a title names, its most specific level (``None``: 其他 says nothing).

    Examples
    --------
    >>> _last_level(" 邻里纠纷 "), _last_level("社会治安>邻里纠纷>噪音扰民")
    ('邻里纠纷', '噪音扰民')
    >>> _last_level("纠纷/其他") is None
    True
    """
    levels = [level for level in _LEVELS.split(title.strip()) if level]
    last = levels[-1] if levels else None
    return None if last is None or last in {"其他", "其它", "其他类", "综合"} else last


TYPE_KEYS = frozenset(
    vocabulary.value_key(label) for table in CASE_TABLES for label in table.labels().values()
)
"""The labels of the case types and subtypes as compared (a title that only names a type)."""


def type_words(category: pd.Series, subcategory: pd.Series) -> pd.Series:
    """Return each row's type as a title names it: its subcategory's label, else its category's.

    Examples
    --------
    >>> type_words(pd.Series(["dispute", "dispute", "safety_hazard"]),
    ...            pd.Series(["neighbours", "燃气", None])).tolist()
    ['邻里纠纷', '矛盾纠纷', '安全隐患']
    """
    labels = {
        f"{owner.value}/{code}": label
        for owner, table in SUBTYPES.items()
        for code, label in table.labels().items()
    }
    sub = (category.astype(str) + "/" + subcategory.astype(str)).map(labels)
    main = category.map(Category.labels(), na_action="ignore")
    return sub.where(sub.notna(), main).astype(object)


def day_words(reported: pd.Series) -> pd.Series:
    """Return each day as a title says it, Beijing time: ``12月5日``, ``2025年3月1日``.

    The year is said when it is not this year's.
    """
    if not reported.notna().any():
        return pd.Series(None, index=reported.index, dtype=object)
    days: pd.Series = reported.dt.tz_convert(SHANGHAI).dt.strftime("%Y-%m-%d")
    this_year = pd.Timestamp.now(tz=SHANGHAI).year
    words = {day: _day_word(str(day), this_year) for day in days.dropna().unique()}
    return days.map(words, na_action="ignore").astype(object)


def _day_word(day: str, this_year: int) -> str:
    """``2026-12-05`` as a title says it in 2026 (``12月5日``), else with its year.

    Examples
    --------
    >>> _day_word("2026-12-05", 2026), _day_word("2025-03-01", 2026)
    ('12月5日', '2025年3月1日')
    """
    year, month, date = (int(part) for part in day.split("-"))
    said = f"{month}月{date}日"
    return said if year == this_year else f"{year}年{said}"


def address_words(address: str) -> str | None:
    """Return an address as a title says it: no personal number, its last characters.

    Examples
    --------
    >>> address_words("宁州街道龙泉路12号")
    '宁州街道龙泉路12号'
    >>> address_words("云南省玉溪市华宁县宁州街道龙泉社区幸福路菜市场东门旁12号（电话13912345678）")
    '…华宁县宁州街道龙泉社区幸福路菜市场东门旁12号'
    >>> address_words("13912345678") is None
    True
    """
    kept = numbers_left_out(str(address)).strip(_EDGES)
    if not kept:
        return None
    return kept if len(kept) <= ADDRESS_CHARS else "…" + kept[1 - ADDRESS_CHARS :]


_NUMERAL = f"[{NUMERAL_CHARACTERS}]"


def _personal_numbers(external: pd.Series) -> pd.Series:
    """Return which work-order numbers are or hold a mobile number or a resident ID.

    Only a number of 11 numerals or more may (a mobile number's least): the others, most of a
    file, are not read further (:func:`layers.free_text.personal_work_order_number`).

    Examples
    --------
    >>> _personal_numbers(pd.Series(["GD00000001", "13912345678", None, "一三九一二三四五六七八"]))
    0    False
    1     True
    2    False
    3     True
    dtype: bool
    """
    possible = external.astype(object).str.count(_NUMERAL).fillna(0).to_numpy() >= 11
    found = np.zeros(len(external), dtype=np.bool_)
    found[possible] = [personal_work_order_number(str(v)) is not None for v in external[possible]]
    return pd.Series(found, index=external.index)


def _prepare_cases(checks: RowChecks, context: Context) -> list[Part]:
    channel = checks.choice("channel", Channel)
    category, subcategory = _case_category(checks)
    reported = checks.timestamps("reported_at", past=True)
    risk = checks.choice("risk_level", RiskLevel, default=RiskLevel.BLUE.value)
    state = _case_state(checks, reported, history=context.history)
    grid, grid_names = grid_from(checks, "grid_code")
    area, places = area_from(checks, grid.str[:12])
    numbered = checks.has("external_no")
    external = checks.text("external_no") if numbered else ledger_numbers(checks, reported)
    # A number Excel kept as 2.02611E+12 names no work order (or several at once).
    checks.fail("external_no", excel_mangled_cells(external), EXCEL_NUMBER_RULE)
    # a resident ID or a mobile number is no work-order number: every level reads it (trial AJ)
    personal = _personal_numbers(external)
    shown = external[personal].map(lambda v: mask_personal_numbers(str(v)))
    checks.fail("external_no", personal, PERSONAL_WORK_ORDER_RULE, values=shown)
    description, masked = masked_free_text(checks, checks.text("description"))
    title, masked_titles = masked_free_text(checks, checks.text("title"))
    checks.note_rows(MASKED_CASE_TEXT_NOTE, sorted({*masked, *masked_titles}))
    # the caller's name said in the call, masked where the row's text holds it (trial BA S3)
    callers = checks.text("reporter_name")
    description, named = caller_names_masked(checks, description, callers)
    title, named_titles = caller_names_masked(checks, title, callers)
    described, _ = caller_names_masked(checks, checks.text("description"), callers)
    checks.note_rows(CALLER_NAME_NOTE, sorted({*named, *named_titles}))
    address, masked_addresses = masked_free_text(checks, checks.text("address"))
    checks.note_rows(MASKED_ADDRESS_NOTE, masked_addresses)
    title, untitled = case_titles(
        checks, title, (category, subcategory), reported, description=described
    )
    told_on = "external_no" if numbered else "description" if checks.has("description") else "title"
    # a ledger's number leaves the channel out: the same row under two 排查方式 is one case
    checks.duplicates(told_on, [channel, external] if numbered else [external])
    points = staged_points(checks, context)
    # placed by unit or address only: no map, no hot spot, no worker by distance (trial AL M1)
    unlocated = [int(r) for r in points[LON_COLUMN].index[points[LON_COLUMN].isna()]]
    checks.note_rows(UNLOCATED_NOTE, unlocated)
    records = staging_rows(
        checks,
        {
            "external_no": external,
            "channel": channel,
            "category": category,
            "subcategory": subcategory,
            "title": title,
            "description": description,
            "risk_level": risk,
            **points,
            "address": address.str.slice(0, 200),
            "area_code": area,
            **places,
            "grid_code": grid,
            GRID_NAME: grid_names,
            **state,
            "reported_at": iso_text(reported),
            "reporter_name": checks.text("reporter_name"),
            "reporter_phone": _reporter_phones(checks),
            SUGGESTED_DEPARTMENT: _departments(checks),
            GIVEN_DEADLINE: iso_text(_time_limits(checks, reported)),
            **untitled,
            **_source_repeats(checks),
        },
    )
    # What the file has no column for says nothing of a case on record (a later export of
    # other columns corrects what it gives and erases nothing): see refresh_untouched.
    unsaid = unsaid_columns(
        checks,
        _CASE_DETAILS,
        {
            "title": ("title", "description"),
            "point": POINT_FIELDS,
            "grid_code": ("grid_code", *POINT_FIELDS),
        },
    )
    alike = tuple(c for c in ("reporter_name", "title", "description") if checks.has(c))
    edited = None if numbered else Recognition(partial(_edited_ledger_rows, alike=alike))
    return [Part(records, ("channel", "external_no"), True, unsaid, recognition=edited)]


PHONE_WARNING = "{header} {number} 不是有效的手机或固话号码，回访可能无法联系"
"""Said of a caller's number that can be neither a mobile nor a landline: kept (trial AX M3)."""
PHONE_WARNINGS_NOTE = (
    "{n} 行的来电号码不是有效的手机或固话号码，已照常导入，回访可能无法联系（见退回报告的逐格说明）"
)
"""The summary's line for them."""


def _reporter_phones(checks: RowChecks) -> pd.Series:
    """Return the callers' numbers in one form, each one that cannot be dialled warned of.

    A number that is neither a mobile (11 digits, 1[3-9]…) nor a landline (a 0-prefixed area
    code and 7 or 8 digits, or those alone) is kept, and said of per row, masked as the report
    masks personal numbers: 回访 may not reach the caller (trial AX M3).
    """
    phones = phone_numbers(checks.text("reporter_phone"))
    wrong = invalid_phones(phones)
    if wrong.any():
        masked = phones.map(lambda v: mask_phone(str(v)), na_action="ignore")
        header = checks.header("reporter_phone")
        warnings = masked.map(lambda v: PHONE_WARNING.format(header=header, number=v))
        checks.fail("reporter_phone", wrong, warnings, severity="warned", values=masked)
        checks.note_rows(PHONE_WARNINGS_NOTE, [int(r) for r in wrong.index[wrong]])
    return phones


DEPARTMENT_NOTE = (
    "{n} 件带有承办单位，已作为建议承办部门保留，派单时列出（是本平台职能部门账号的预先选中）"
)
"""The summary's line of the rows whose 承办单位 is kept (trial AX S4)."""


def _departments(checks: RowChecks) -> pd.Series:
    """Return the department each row's 承办单位 names, kept as written (``None``: none).

    A 12345 platform names the department it sent the order to (县人社局 …): the case keeps it
    as the suggested department (:data:`layers.case_import.SUGGESTED_DEPARTMENT`), offered
    where the operator dispatches; a name the platform has no account for is kept as text.
    """
    written = checks.text("department").map(
        lambda v: " ".join(str(v).split())[:100] or None, na_action="ignore"
    )
    checks.note_rows(DEPARTMENT_NOTE, [int(r) for r in written.index[written.notna()]])
    return written.astype(object)


_SPAN = re.compile(r"(\d+)\s*个?\s*(工作日|自然日|天|日|小时)(?:内)?")
"""A limit written as a span from the call: 5个工作日, 3天, 15日内, 24小时."""
TIME_LIMIT_RULE = (
    "办理时限应为日期时间（如 2026-11-23 18:00）或时长（如“5个工作日”“3天”“24小时”），"
    "未能识别：已按本平台的时限计算"
)
"""Why a 办理时限 is left out (the row loads with the platform's own limit)."""
EARLY_LIMIT_RULE = "办理时限早于来电时间：已按本平台的时限计算"
"""Why a 办理时限 before the call is left out."""
TIME_LIMIT_NOTE = (
    "{n} 件按文件的办理时限定办结时限（“N个工作日”从来电时间起按周一至周五计，不计法定节假日），"
    "未用本平台的时限"
)
"""The summary's line of the rows whose limit is the file's (trial AX S4)."""


def _time_limits(checks: RowChecks, reported: pd.Series) -> pd.Series:
    """Return the deadline each row's 办理时限 gives (NaT: none, the platform's limit applies).

    A date-time is the deadline; a date alone its end of day; a span (``5个工作日``, ``3天``,
    ``24小时``) counts from the call (来电时间): working days are Monday to Friday (public
    holidays are not known), the deadline the same time of day on the last of them.

    Examples
    --------
    >>> import pandas as pd
    >>> from importers.rules import RowChecks
    >>> frame = pd.DataFrame({"办理时限": ["5个工作日", "3天", "2026-11-23", "2026-11-20 18:00",
    ...                                     "尽快"]}, index=range(2, 7))
    >>> checks = RowChecks(frame, {"time_limit": "办理时限"})
    >>> called = pd.Series(pd.Timestamp("2026-11-20 09:00", tz="Asia/Shanghai"), index=frame.index)
    >>> [str(t) for t in _time_limits(checks, called)]  # doctest: +NORMALIZE_WHITESPACE
    ['2026-11-27 09:00:00+08:00', '2026-11-23 09:00:00+08:00', '2026-11-23 23:59:59+08:00',
     '2026-11-20 18:00:00+08:00', 'NaT']
    """
    written = checks.text("time_limit").map(lambda v: str(v).strip() or None, na_action="ignore")
    limit = pd.Series(pd.NaT, index=written.index, dtype="datetime64[ns, Asia/Shanghai]")
    if written.isna().all():
        return limit
    local = reported.dt.tz_convert(SHANGHAI)
    spans = written.str.fullmatch(_SPAN.pattern).fillna(False).astype(bool) & local.notna()
    for row in written.index[spans]:
        count, unit = _SPAN.fullmatch(str(written.at[row])).groups()  # type: ignore[union-attr]
        called = local.at[row]
        if unit == "工作日":
            day = np.busday_offset(called.date(), int(count), roll="forward")
            limit.at[row] = called + pd.Timedelta(
                days=int((day - np.datetime64(called.date())) / np.timedelta64(1, "D"))
            )
        elif unit == "小时":
            limit.at[row] = called + pd.Timedelta(hours=int(count))
        else:
            limit.at[row] = called + pd.Timedelta(days=int(count))
    dated = written.notna() & ~written.str.fullmatch(_SPAN.pattern).fillna(False).astype(bool)
    if dated.any():
        parsed, _ = parse_times(written.where(dated))
        day_only = ~written.str.contains(r"[:：时点]", regex=True).fillna(False).astype(bool)
        parsed = parsed.where(
            ~(day_only & parsed.notna()), parsed + pd.Timedelta(days=1, seconds=-1)
        )
        limit = limit.where(~dated, parsed.dt.tz_convert(SHANGHAI))
        checks.fail("time_limit", dated & parsed.isna(), TIME_LIMIT_RULE, severity="repaired")
    early = limit.notna() & local.notna() & (limit < local)
    checks.fail("time_limit", early, EARLY_LIMIT_RULE, severity="repaired")
    limit = limit.where(~early)
    checks.note_rows(TIME_LIMIT_NOTE, [int(r) for r in limit.index[limit.notna()]])
    return limit


REPEAT_WORDS = {
    True: "是 y yes true 1 重复 重复件 是重复件 重复工单 重复来电 √ ✓ ✔",
    False: "否 n no false 0 不重复 非重复 非重复件 不是 不是重复件 × ✗ ✘",
}
"""How an export writes its 是否重复件: yes or no."""
REPEAT_FLAG_RULE = "应填“是”或“否”（是否为重复件）"
"""Why a 是否重复件 that says neither is refused."""


def _source_repeats(checks: RowChecks) -> dict[str, pd.Series]:
    """Read an export's own repeat flags (是否重复件, 关联工单编号), when it has them.

    The source system knows which calls repeat an earlier work order: its word is taken
    before the 200 m / 30 days rule (:func:`layers.case_repeats.link_staged_repeats`). A file
    without either column stages neither, and keeps the rule alone.
    """
    if not (checks.has("repeat_flag") or checks.has("repeat_of")):
        return {}
    words = {vocabulary.value_key(w): said for said, ws in REPEAT_WORDS.items() for w in ws.split()}
    written = checks.text("repeat_flag")
    flag = written.map(lambda v: words.get(vocabulary.value_key(str(v))), na_action="ignore")
    checks.fail("repeat_flag", written.notna() & flag.isna(), REPEAT_FLAG_RULE)
    original = checks.text("repeat_of").map(lambda v: str(v).strip() or None, na_action="ignore")
    checks.fail("repeat_of", excel_mangled_cells(original), EXCEL_NUMBER_RULE)
    return {REPEAT_FLAG: flag.astype(object), REPEAT_OF: original.astype(object)}


def _edited_ledger_rows(conn: Any, staging: str, alike: tuple[str, ...]) -> list[str]:
    """Give the ledger's edited rows the cases they edit; say which (:data:`EDITED_NOTE`)."""
    rows = rekey_edited_rows(conn, staging, LEDGER_PREFIX, alike)
    if not rows:
        return []
    listed = "、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else "")
    return [EDITED_NOTE.format(n=len(rows), rows=listed)]


_CASE_DETAILS = (
    "title",
    "description",
    "risk_level",
    "address",
    "grid_code",
    "point",
    "reporter_name",
    "reporter_phone",
)
"""A case's columns a file may leave out."""
CASES = Kind(
    "cases",
    Base.metadata.tables["cases"],
    (
        "external_no",
        "channel",
        "category",
        "subcategory",
        "title",
        "description",
        "risk_level",
        "lon",
        "lat",
        "lonlat",
        "wkt",
        "address",
        "grid_code",
        "area_code",
        "township",
        "reported_at",
        "status",
        "closed_at",
        "reporter_name",
        "reporter_phone",
        "repeat_flag",
        "repeat_of",
        "department",
        "time_limit",
    ),
    _prepare_cases,
    update=False,
    geometry="point",
    label="案件",
    required=("external_no", "channel", "category", "reported_at"),
    headers={
        "external_no": "工单编号",
        "status": "办理状态",
        "department": "承办单位",
        "time_limit": "办理时限",
    },
    named_by_file={"channel": Channel},
    helpers={
        STATUS_GIVEN: "boolean",
        HISTORY_STATUS: "text",
        HISTORY_ENDED: "boolean",
        REPEAT_FLAG: "boolean",
        REPEAT_OF: "text",
        UNTITLED_TYPE: "text",
        UNTITLED_DAY: "text",
        UNTITLED_ADDRESS: "text",
        SUGGESTED_DEPARTMENT: "text",
        GIVEN_DEADLINE: "timestamptz",
    },
    numbered_by_content=True,
)
"""What a file of cases becomes."""
