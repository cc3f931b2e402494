"""The category-specific fields of a special-population record (``persons.attributes`` JSONB).

One pydantic model per category (GB/T 31000-2015): English field names, with the Chinese headers
of import files as aliases. :func:`validate_attributes` turns raw text (from a form or an import
row) into the JSON stored in the database, or raises :class:`pydantic.ValidationError` naming
the field and the rule; :func:`attribute_error` words each of its errors in Simplified Chinese for
the clerk who reads the import's reject report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from geo.personal_numbers import KIND_LABELS, NumberKind, find_personal_numbers
from layers.model import ManagementLevel, PersonCategory

_TRUE = frozenset({"是", "有", "true", "yes", "y", "1", "t"})
_FALSE = frozenset({"否", "无", "false", "no", "n", "0", "f"})


class AttributeRuleError(ValueError):
    """A broken attribute rule, worded for the clerk (Simplified Chinese).

    Parameters
    ----------
    message : str
        The rule.
    field : str, optional
        The field the rule is about, for a rule of the whole record (an end before a start):
        the import reports it on that field's column, with its value.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _yes_no(value: object) -> object:
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    return value


def _chinese_date(value: object) -> object:
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()  # full-width digits too
        text = re.sub(r"[年月/.]", "-", text).replace("日", "")
        text = re.sub(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", text)  # 20240101
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                raise AttributeRuleError(
                    f"日期 {value.strip()} 不存在（日历上没有这一天）"
                ) from None
        return text
    return value


_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def _chinese_count(text: str) -> str:
    """Return a count under 100 written in Chinese numerals (``十八``) in digits."""
    if "十" not in text:
        return "".join(str(_CHINESE_DIGITS[c]) for c in text)
    tens, _, units = text.partition("十")
    return str(
        (_CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10
        + (_CHINESE_DIGITS.get(units, 0) if units else 0)
    )


_TERM = re.compile(r"(?:(\d+)年)?(?:(\d+)个?月)?")
"""A term of years and months (``1年6个月``, ``4年``, ``18个月``)."""


def _months(value: object) -> object:
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
        text = re.sub(r"[零一二两三四五六七八九十]+", lambda m: _chinese_count(m[0]), text)
        text = text.removeprefix("有期徒刑").removeprefix("拘役")
        if not text:
            return None
        if text.isdigit():
            return int(text)
        term = _TERM.fullmatch(text)
        if term is None or not (term[1] or term[2]):
            raise AttributeRuleError("原判刑期应写成月数或“X年Y个月”，例如 18 或 1年6个月")
        return int(term[1] or 0) * 12 + int(term[2] or 0)
    return value


def _grade(value: object) -> object:
    if isinstance(value, str):
        return value.strip().removesuffix("级").strip()
    return value


YesNo = Annotated[bool, BeforeValidator(_yes_no)]
"""Boolean accepting 是/否, 有/无, true/false, 1/0."""

ChineseDate = Annotated[date, BeforeValidator(_chinese_date)]
"""Date accepting ``2024-01-02``, ``2024/1/2``, ``2024年1月2日``."""


def _aliases(name: str, *chinese: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name, *chinese))


def _text(name: str, *chinese: str, usual: tuple[str, ...] = ()) -> Any:
    """Return a free-text field; ``usual``: the values a form offers to pick (any is kept)."""
    return Field(
        default=None,
        max_length=100,
        validation_alias=AliasChoices(name, *chinese),
        examples=list(usual) or None,
    )


PERSONAL_NUMBER_ADVICE: dict[NumberKind, str] = {
    "resident_id": "该人员的身份证号已在其记录中加密保存，不必写入",
    "mobile": "电话不要写入人员信息（人员信息随记录供他人查看）",
}
"""Where a free-text field of a category (帮教情况, 监护人 …) should put a number it holds: the
advice :data:`layers.free_text.VISIT_NOTE` gives a visit's 走访情况 (trial AW m2)."""


class PersonalNumberError(AttributeRuleError):
    """A resident ID or a mobile number written in a free-text field of a category.

    Parameters
    ----------
    kinds : list of str
        The kinds found (``resident_id``, ``mobile``), in that order.
    """

    def __init__(self, kinds: list[NumberKind]) -> None:
        self.kinds = kinds
        named = "、".join(KIND_LABELS[kind] for kind in kinds)
        super().__init__(
            f"不要写{named}：{'；'.join(PERSONAL_NUMBER_ADVICE[kind] for kind in kinds)}"
        )

    def said_of(self, label: str) -> str:
        """Return the refusal naming the field, as :func:`layers.free_text.refuse_personal_numbers`.

        Examples
        --------
        >>> PersonalNumberError(["mobile"]).said_of("帮教情况")
        '帮教情况中不要写手机号：电话不要写入人员信息（人员信息随记录供他人查看）'
        """
        return f"{label}中{self}"


def _no_personal_numbers(value: object) -> object:
    """Refuse a text holding a resident ID or a mobile number, however written."""
    if isinstance(value, str):
        kinds = {n.kind for n in find_personal_numbers(value)}
        if kinds:
            order: tuple[NumberKind, ...] = ("resident_id", "mobile")
            raise PersonalNumberError([kind for kind in order if kind in kinds])
    return value


class CategoryAttributes(BaseModel):
    """Base of the per-category models: unknown keys refused, every field optional.

    A text field holding a resident ID or a mobile number is refused
    (:class:`PersonalNumberError`): the category's fields are read in clear by whoever reads
    the record, as a visit's 走访情况 is (trial AW m2).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _free_text(cls, value: object) -> object:
        return _no_personal_numbers(value)


_DATE_TEXT = r"\d{4}\s*[年./-]\s*\d{1,2}\s*[月./-]\s*\d{1,2}\s*日?|\d{8}"
"""A date as a 矫正起止日期 writes it: ``2024.05.06``, ``2024年5月6日``, ``20240506`` …"""
_PERIOD = re.compile(rf"({_DATE_TEXT})\s*(?:至|到|~|—+|–|-+)\s*({_DATE_TEXT})")
"""Two dates and what stands between them, a hyphen too (``2024.05.06-2026.05.05``)."""
_PERIOD_WORDS = re.compile(r"\s*(?:至|到|~|—|--)\s*")
"""Between the two parts of a period whose parts are not plain dates."""
PERIOD_RULE = "矫正起止日期应写成“开始日期至结束日期”，例如 2024-01-01至2025-01-01"
"""Why a 矫正起止日期 that is not two dates is refused."""


def _period(value: object) -> object:
    """Return a 矫正起止日期 as its two dates (start, end); refuse what is not two dates.

    Examples
    --------
    >>> [d.isoformat() for d in _period("2024.05.06-2026.05.05")]
    ['2024-05-06', '2026-05-05']
    >>> [d.isoformat() for d in _period("2024年1月1日 至 ２０２５０６３０")]
    ['2024-01-01', '2025-06-30']
    """
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    match = _PERIOD.fullmatch(text)
    parts = [match[1], match[2]] if match else _PERIOD_WORDS.split(text)
    if len(parts) != 2:
        raise AttributeRuleError(PERIOD_RULE)
    start, end = (_chinese_date(p) for p in parts)
    if not isinstance(start, date) or not isinstance(end, date):
        raise AttributeRuleError("矫正起止日期的开始和结束都必须是日期")
    if end < start:
        raise AttributeRuleError(f"矫正结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
    return start, end


class CorrectionAttributes(CategoryAttributes):
    """社区矫正人员.

    ``period`` (矫正起止日期, ``2024.05.06-2026.05.05``, ``2024/5/6至2025/11/5``) is read into
    ``start_date`` and ``end_date``; an error of it is the 矫正起止日期's. ``original_crime``
    (罪名) is the crime of the sentence under supervision, as a 刑满释放 record's.
    """

    correction_type: Literal["管制", "缓刑", "假释", "暂予监外执行"] | None = _aliases(
        "correction_type", "矫正类别", "矫正类型"
    )
    start_date: ChineseDate | None = _aliases(
        "start_date", "矫正开始日期", "矫正起始日期", "起始日期"
    )
    end_date: ChineseDate | None = _aliases("end_date", "矫正结束日期", "矫正终止日期", "终止日期")
    period: Annotated[tuple[date, date], BeforeValidator(_period)] | None = _aliases(
        "period", "矫正起止日期", "矫正期限"
    )
    original_crime: str | None = _text("original_crime", "罪名", "原罪名", "具体罪名")
    absconded: YesNo | None = _aliases("absconded", "是否脱管", "脱管")
    missed: YesNo | None = _aliases("missed", "是否漏管", "漏管")
    electronic_monitoring: YesNo | None = _aliases(
        "electronic_monitoring", "电子定位", "电子监管", "是否电子定位"
    )

    @model_validator(mode="after")
    def _split_period(self) -> CorrectionAttributes:
        if self.period is not None:
            (self.start_date, self.end_date), self.period = self.period, None
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise AttributeRuleError(
                f"矫正结束日期 {self.end_date.isoformat()} 早于开始日期 "
                f"{self.start_date.isoformat()}",
                field="end_date",
            )
        return self


class ReleasedAttributes(CategoryAttributes):
    """刑满释放人员."""

    release_date: ChineseDate | None = _aliases("release_date", "释放日期", "刑满释放日期")
    original_crime: str | None = _text("original_crime", "原罪名", "罪名")
    sentence_months: Annotated[int, BeforeValidator(_months)] | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices(
            "sentence_months", "原判刑期（月）", "原判刑期(月)", "原判刑期", "刑期"
        ),
    )
    recidivist: YesNo | None = _aliases("recidivist", "是否累犯", "累犯")
    prison: str | None = _text("prison", "服刑场所", "服刑单位", "原服刑场所", "服刑监狱")
    resettlement: str | None = _text("resettlement", "安置情况", "安置帮教情况")
    assistance: str | None = _text("assistance", "帮教情况", "帮教落实情况")


class MentalAttributes(CategoryAttributes):
    """严重精神障碍患者."""

    risk_assessment: Annotated[int, BeforeValidator(_grade)] | None = Field(
        default=None,
        ge=0,
        le=5,
        validation_alias=AliasChoices(
            "risk_assessment", "危险性评估", "危险性评估等级", "危险等级"
        ),
    )
    diagnosis: str | None = _text("diagnosis", "诊断", "诊断情况", "疾病诊断")
    medication: str | None = _text("medication", "服药情况")
    guardian: str | None = _text("guardian", "监护人", "监护人落实情况")
    guardian_reward: YesNo | None = _aliases("guardian_reward", "以奖代补", "是否以奖代补")


CONTROL_STATUSES = (
    "社区戒毒",
    "社区康复",
    "强制隔离戒毒",
    "自愿戒毒",
    "戒毒药物维持治疗",
    "戒断三年未复吸",
    "失控",
)
"""The 管控状态 a 吸毒人员's form offers (the 禁毒 registers' usual words; rosters' others kept)."""
URINE_RESULTS = ("阴性", "阳性")
"""The 尿检结果 a form offers."""


class DrugAttributes(CategoryAttributes):
    """吸毒人员."""

    drug_type: str | None = _aliases("drug_type", "吸食毒品种类", "毒品种类", "滥用毒品种类")
    control_status: str | None = _text(
        "control_status", "管控状态", "管控现状", "管控情况", usual=CONTROL_STATUSES
    )
    last_urine_test: ChineseDate | None = _aliases("last_urine_test", "最近尿检日期", "尿检日期")
    urine_test_result: str | None = _text("urine_test_result", "尿检结果", usual=URINE_RESULTS)


class AidsRiskAttributes(CategoryAttributes):
    """艾滋病危险人员."""

    risk_type: str | None = _aliases("risk_type", "危险类型", "感染途径", "类别")
    follow_up_status: str | None = _text("follow_up_status", "随访状态", "随访情况")
    antiviral_treatment: YesNo | None = _aliases(
        "antiviral_treatment", "抗病毒治疗", "是否抗病毒治疗"
    )


class YouthAttributes(CategoryAttributes):
    """重点青少年."""

    youth_type: str | None = _aliases("youth_type", "青少年类型", "人员类型")
    guardianship: str | None = _text("guardianship", "监护情况")
    schooling: str | None = _text("schooling", "在学情况", "就学情况")
    assistance_measures: str | None = _text("assistance_measures", "帮扶措施")


MODELS: dict[str, type[CategoryAttributes]] = {
    "released": ReleasedAttributes,
    "correction": CorrectionAttributes,
    "mental": MentalAttributes,
    "drug": DrugAttributes,
    "aids_risk": AidsRiskAttributes,
    "youth": YouthAttributes,
}
"""The model of each person category code (see :class:`layers.model.PersonCategory`)."""

RISK_LEVELS: dict[int, int] = {5: 1, 4: 1, 3: 1, 2: 2, 1: 2}
"""危险性评估 grade → the least strict 管控级别 it allows (1 重点管控, 2 关注), after
《严重精神障碍管理治疗工作规范》: grades 3–5 (病情不稳定) are 重点管控, 1–2 (基本稳定) at
least 关注; grade 0 (稳定) allows any level (trial AW S1). A 严重精神障碍患者's only; the
visit interval, keyed on the level, follows."""
RISK_FIELD = ("mental", "risk_assessment")
"""The category and field :data:`RISK_LEVELS` reads."""


def required_level(category: str, attributes: Mapping[str, Any]) -> int | None:
    """Return the least strict 管控级别 a person's fields allow (None: any).

    Parameters
    ----------
    category : str
        Person category code.
    attributes : Mapping
        The category's fields as stored (English names).

    Returns
    -------
    int or None
        1 重点管控 or 2 关注; None when the fields require none.

    Examples
    --------
    >>> required_level("mental", {"risk_assessment": 4})
    1
    >>> required_level("mental", {"risk_assessment": 2}), required_level("mental", {})
    (2, None)
    >>> required_level("released", {"risk_assessment": 5}) is None
    True
    """
    if category != RISK_FIELD[0]:
        return None
    grade = attributes.get(RISK_FIELD[1])
    return RISK_LEVELS.get(grade) if isinstance(grade, int) else None


def raised_level(
    category: str, attributes: Mapping[str, Any], level: int
) -> tuple[int, str | None]:
    """Return the 管控级别 a person is managed at, and why it was raised (None: as given).

    Parameters
    ----------
    category : str
        Person category code.
    attributes : Mapping
        The category's fields as stored.
    level : int
        The level given (1 重点管控, 2 关注, 3 一般).

    Returns
    -------
    tuple of (int, str or None)
        The level, no less strict than :func:`required_level`, and the notice when raised.

    Examples
    --------
    >>> raised_level("mental", {"risk_assessment": 4}, 3)
    (1, '危险性评估 4 级：管控级别按规定提为重点管控')
    >>> raised_level("mental", {"risk_assessment": 1}, 1)
    (1, None)
    """
    required = required_level(category, attributes)
    if required is None or level <= required:
        return level, None
    grade = attributes[RISK_FIELD[1]]
    label = ManagementLevel.label_of(str(required))
    return required, f"危险性评估 {grade} 级：管控级别按规定提为{label}"


def required_level_sql(category: str, attributes: str) -> str:
    """Return SQL of :func:`required_level` over a category and a JSONB expression (NULL: any).

    Examples
    --------
    >>> print(required_level_sql("p.category", "p.attributes"))  # doctest: +ELLIPSIS
    CASE WHEN p.category = 'mental' THEN CASE p.attributes->>'risk_assessment' WHEN '5' THEN 1 ...
    """
    grades = " ".join(f"WHEN '{g}' THEN {level}" for g, level in RISK_LEVELS.items())
    code, name = RISK_FIELD
    return f"CASE WHEN {category} = '{code}' THEN CASE {attributes}->>'{name}' {grades} END END"


ENTRY_REQUIRED: dict[str, tuple[str, ...]] = {
    "correction": ("end_date",),
    "released": ("release_date",),
}
"""Category → the fields a registration by hand must give: the 司法所's reminders run on the
矫正结束日期 and the 释放日期 (trial AW m3). An import takes rows without them (old rosters) and
counts them (:func:`missing_required`)."""


def missing_required(category: str, stored: Mapping[str, Any]) -> list[str]:
    """Return the labels of the fields :data:`ENTRY_REQUIRED` asks that ``stored`` lacks.

    Examples
    --------
    >>> missing_required("correction", {"correction_type": "缓刑"})
    ['矫正结束日期']
    >>> missing_required("correction", {"end_date": "2027-01-01"}), missing_required("drug", {})
    ([], [])
    """
    fields = MODELS[category].model_fields if category in MODELS else {}
    return [
        _label(name, fields[name])
        for name in ENTRY_REQUIRED.get(category, ())
        if stored.get(name) in (None, "")
    ]


END_DATES: dict[str, str] = {"correction": "end_date"}
"""Category → its field of the day its follow-up ends by itself (矫正结束日期): a roster that
strikes a person off (解除矫正) without a 注销日期 gives that day (:mod:`importers.kinds`)."""


def attribute_headers(category: str) -> dict[str, str]:
    """Return every accepted key (English name or Chinese alias) of a category's fields.

    Parameters
    ----------
    category : str
        Person category code, e.g. ``"correction"``.

    Returns
    -------
    dict
        Accepted key → field name.

    Raises
    ------
    KeyError
        For an unknown category.

    Examples
    --------
    >>> attribute_headers("mental")["危险性评估"]
    'risk_assessment'
    """
    keys: dict[str, str] = {}
    for name, info in MODELS[category].model_fields.items():
        keys[name] = name
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            for choice in alias.choices:
                if isinstance(choice, str):
                    keys[choice] = name
    return keys


def attribute_details(category: str, stored: dict[str, Any]) -> list[tuple[str, str]]:
    """Return a record's category fields as its readers name them: (Chinese label, value).

    The label is the field's first Chinese header; a yes/no is 是 or 否; fields not given are
    left out, in the model's order.

    Parameters
    ----------
    category : str
        Person category code.
    stored : dict
        ``persons.attributes`` as stored.

    Returns
    -------
    list of (str, str)
        The fields given.

    Examples
    --------
    >>> attribute_details("correction", {"correction_type": "缓刑", "absconded": False})
    [('矫正类别', '缓刑'), ('是否脱管', '否')]
    >>> attribute_details("released", {"unknown": 1})
    []
    """
    model = MODELS.get(category)
    if model is None:
        return []
    details = []
    for name, info in model.model_fields.items():
        value = stored.get(name)
        if value is None or value == "":
            continue
        text = ("是" if value else "否") if isinstance(value, bool) else str(value)
        details.append((_label(name, info), text))
    return details


def _label(name: str, info: FieldInfo) -> str:
    """Return a field's label: its first Chinese header (its name where it has none)."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        for choice in alias.choices:
            if isinstance(choice, str) and choice != name:
                return choice
    return name


@dataclass(frozen=True)
class FormField:
    """One category field as a registration form asks for it.

    Attributes
    ----------
    name : str
        The field's English name (the key the form sends).
    label : str
        Its Chinese label (the first Chinese header of import files).
    kind : str
        ``text``, ``date``, ``number`` (a whole number), ``yes_no`` or ``choice``.
    choices : tuple of str
        The values a ``choice`` allows (empty otherwise).
    suggestions : tuple of str
        The usual values a ``text`` offers to pick; any other is kept too.
    maximum : int or None
        The largest value a ``number`` allows.
    max_length : int or None
        The most characters a ``text`` allows.
    required : bool
        A registration by hand must give it (:data:`ENTRY_REQUIRED`).
    sets_level : tuple of (int, int)
        Value → the least strict 管控级别 it allows (:data:`RISK_LEVELS`): the form preselects it.
    """

    name: str
    label: str
    kind: str
    choices: tuple[str, ...] = ()
    maximum: int | None = None
    max_length: int | None = None
    suggestions: tuple[str, ...] = ()
    required: bool = False
    sets_level: tuple[tuple[int, int], ...] = ()


_FORM_KINDS: dict[Any, str] = {date: "date", bool: "yes_no", int: "number"}
"""How a form asks for a field of each value type (``text`` for any other)."""


def form_fields(category: str) -> list[FormField]:
    """Return the fields a form asks of a category, in the model's order.

    A field only an import writes (``period``, the 矫正起止日期 of one cell that is read into
    the start and end dates) is left out.

    Parameters
    ----------
    category : str
        Person category code.

    Returns
    -------
    list of FormField
        The fields.

    Raises
    ------
    KeyError
        For an unknown category.

    Examples
    --------
    >>> [(f.label, f.kind) for f in form_fields("released")][:3]
    [('释放日期', 'date'), ('原罪名', 'text'), ('原判刑期（月）', 'number')]
    >>> form_fields("correction")[0].choices
    ('管制', '缓刑', '假释', '暂予监外执行')
    >>> form_fields("drug")[-1].suggestions
    ('阴性', '阳性')
    """
    fields = []
    for name, info in MODELS[category].model_fields.items():
        value_type = next(t for t in get_args(info.annotation) if t is not type(None))  # X | None
        if get_origin(value_type) is Annotated:
            value_type = get_args(value_type)[0]
        if get_origin(value_type) is tuple:  # a 矫正起止日期 of one cell: start and end here
            continue
        choices = get_args(value_type) if get_origin(value_type) is Literal else ()
        kind = "choice" if choices else _FORM_KINDS.get(value_type, "text")
        limits = {
            k: getattr(m, k) for m in info.metadata for k in ("le", "max_length") if hasattr(m, k)
        }
        label = _label(name, info)
        usual = tuple(info.examples or ())
        required = name in ENTRY_REQUIRED.get(category, ())
        levels = tuple(RISK_LEVELS.items()) if (category, name) == RISK_FIELD else ()
        fields.append(
            FormField(
                name,
                label,
                kind,
                choices,
                limits.get("le"),
                limits.get("max_length"),
                usual,
                required,
                levels,
            )
        )
    return fields


AGE_RANGES: dict[str, tuple[int, int]] = {"youth": (6, 25)}
"""Category → the ages (in whole years, both included) a person of it is: 重点青少年 are 6 to
25 (the 预防青少年违法犯罪 working groups' definition of 重点青少年群体)."""


def age_refusal(category: str, born: date, on_day: date) -> str | None:
    """Return why a person born on ``born`` is not of ``category`` on ``on_day`` (None: they are).

    Parameters
    ----------
    category : str
        Person category code.
    born : datetime.date
        Date of birth (from the resident ID).
    on_day : datetime.date
        The day put on record.

    Returns
    -------
    str or None
        The rule, in Chinese, with the person's age.

    Examples
    --------
    >>> age_refusal("youth", date(1992, 3, 1), date(2026, 12, 5))
    '重点青少年应为 6 至 25 周岁，该人员列管时 34 周岁（按公民身份号码中的出生日期）'
    >>> age_refusal("youth", date(2008, 3, 1), date(2026, 12, 5)) is None
    True
    >>> age_refusal("released", date(1992, 3, 1), date(2026, 12, 5)) is None
    True
    """
    ages = AGE_RANGES.get(category)
    if ages is None:
        return None
    age = on_day.year - born.year - ((on_day.month, on_day.day) < (born.month, born.day))
    low, high = ages
    if low <= age <= high:
        return None
    label = PersonCategory.label_of(category)
    return (
        f"{label}应为 {low} 至 {high} 周岁，该人员列管时 {age} 周岁（按公民身份号码中的出生日期）"
    )


def date_fields(category: str) -> frozenset[str]:
    """Return the names of a category's date fields.

    Parameters
    ----------
    category : str
        Person category code.

    Returns
    -------
    frozenset of str
        Field names.

    Examples
    --------
    >>> sorted(date_fields("correction"))
    ['end_date', 'start_date']
    """
    fields = MODELS[category].model_fields.items()
    return frozenset(name for name, info in fields if ChineseDate in get_args(info.annotation))


def validate_attributes(category: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a category's attributes and return the JSON to store.

    Parameters
    ----------
    category : str
        Person category code.
    raw : dict
        Keys as in :func:`attribute_headers`; ``None`` values are dropped.

    Returns
    -------
    dict
        JSON-ready attributes under their English names (unset fields omitted).

    Raises
    ------
    pydantic.ValidationError
        On a value that breaks a field's rule.
    KeyError
        For an unknown category.

    Examples
    --------
    >>> raw = {"矫正类别": "缓刑", "矫正起止日期": "2024-01-01至2025-06-30"}
    >>> validate_attributes("correction", raw)
    {'correction_type': '缓刑', 'start_date': '2024-01-01', 'end_date': '2025-06-30'}
    >>> validate_attributes("correction", {"矫正起止日期": "2024年1月1日至２０２５０６３０"})
    {'start_date': '2024-01-01', 'end_date': '2025-06-30'}
    >>> validate_attributes("mental", {"危险性评估": "3级"})
    {'risk_assessment': 3}
    >>> validate_attributes("released", {"原罪名": "盗窃罪", "原判刑期": "1年6个月"})
    {'original_crime': '盗窃罪', 'sentence_months': 18}
    """
    model = MODELS[category]
    present = {k: v for k, v in raw.items() if v is not None}
    return model.model_validate(present).model_dump(mode="json", exclude_none=True)


_DATE_RULE = "必须是日期，例如 2024-01-02 或 2024年1月2日"
_ERROR_TEMPLATES: dict[str, str] = {
    "missing": "必填，不能为空",
    "less_than_equal": "不能超过 {le}",
    "less_than": "必须小于 {lt}",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "int_type": "必须是整数",
    "float_parsing": "必须是数字",
    "float_type": "必须是数字",
    "bool_parsing": "必须是“是”或“否”（也可写有/无、true/false、1/0）",
    "bool_type": "必须是“是”或“否”（也可写有/无、true/false、1/0）",
    "date_parsing": _DATE_RULE,
    "date_from_datetime_parsing": _DATE_RULE,
    "date_from_datetime_inexact": _DATE_RULE,
    "date_type": _DATE_RULE,
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_too_short": "至少要 {min_length} 个字符",
    "string_type": "必须是文本",
    "extra_forbidden": "不是该人员类别的属性",
}
"""Chinese wording of pydantic's error types, formatted with the error's context (its limits)."""


def attribute_error(error: ErrorDetails) -> str:
    """Word one error of :func:`validate_attributes` in Simplified Chinese, with its limits.

    Parameters
    ----------
    error : pydantic_core.ErrorDetails
        One item of :meth:`pydantic.ValidationError.errors`.

    Returns
    -------
    str
        The rule the value breaks, e.g. ``不能超过 5``; pydantic's English message in brackets
        for an error type without a Chinese wording.

    Examples
    --------
    >>> from pydantic import ValidationError
    >>> try:
    ...     validate_attributes("mental", {"危险性评估": "7"})
    ... except ValidationError as exc:
    ...     print(attribute_error(exc.errors()[0]))
    不能超过 5
    >>> try:
    ...     validate_attributes("correction", {"矫正类别": "判刑"})
    ... except ValidationError as exc:
    ...     print(attribute_error(exc.errors()[0]))
    必须是以下之一：管制、缓刑、假释、暂予监外执行
    """
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "value_error" and isinstance(context.get("error"), AttributeRuleError):
        return str(context["error"])
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        if expected:
            return "必须是以下之一：" + "、".join(expected)
    template = _ERROR_TEMPLATES.get(kind)
    if template is not None:
        try:
            return template.format(**context)
        except (KeyError, IndexError):
            pass
    return f"值不符合要求（{error['msg']}）"
