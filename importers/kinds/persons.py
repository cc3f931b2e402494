"""Files of special-population records (特殊人群) and of their visits (走访记录)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from geo.codes import mask_resident_id as _mask
from geo.codes import (
    parse_resident_id,
    upgrade_resident_id,
    valid_resident_ids,
)
from geo.personal_numbers import mask_personal_numbers
from importers import vocabulary
from importers.kinds.base import (
    GRID_NAME,
    POINT_FIELDS,
    Context,
    Kind,
    Part,
    area_from,
    grid_from,
    mapped_rule,
    staged_points,
    staging_rows,
    unsaid_columns,
)
from importers.kinds.cases import masked_free_text
from importers.kinds.worker_names import BRACKETED_NOTE, PADDED_NAME, worker_names
from importers.mapping import normalise_header
from importers.rules import RowChecks
from importers.stations import STATION_NAME
from importers.values import (
    EXCEL_NUMBER_RULE,
    SHANGHAI,
    excel_date,
    excel_mangled,
    kept_text,
)
from importers.vocabulary import RegisterStatus
from layers.bulk import Recognition
from layers.china_time import CHINA
from layers.model import (
    Base,
    ManagementLevel,
    PersonCategory,
    VisitOutcome,
)
from layers.person_attributes import (
    AGE_RANGES,
    END_DATES,
    MODELS,
    AttributeRuleError,
    PersonalNumberError,
    age_refusal,
    attribute_error,
    attribute_headers,
    date_fields,
    validate_attributes,
)
from layers.person_lookalikes import PersonNotes
from layers.person_register import ENDED, ENDED_UNDATED, LEVEL_GIVEN, ON, REGISTER
from layers.secrets import Keys, hash_resident_id, normalise_resident_id, seal
from layers.visit_checks import VISITOR
from layers.worker_matches import RESPONSIBLE

FIRST_GENERATION_RULE = (
    "这是 15 位的第一代身份证号，但其中的出生日期不存在，无法换算为 18 位：请核对号码，"
    "或换成本人的 18 位号码"
)
"""Why a 15-digit resident ID is refused: its birth date (digits 7–12) is no day."""
UPGRADED_NOTE = (
    "{n} 个 15 位的第一代身份证号已换算为 18 位后导入（第 6 位后补“19”，末尾加校验码，"
    "GB 11643）：第 {rows} 行"
)
"""Said of the 15-digit IDs a roster gives, stored in their 18-character form."""


def _resident_id_text(value: object) -> str:
    """Return an ID as hashed: without a text mark (``'5304…``), grouping, full-width digits."""
    return normalise_resident_id(kept_text(str(value)))


def _upgraded(number: str) -> str | None:
    """Return the 18-character form of a 15-digit ID, ``None`` if its birth date is no day."""
    full = upgrade_resident_id(number)
    return full if valid_resident_ids(np.array([full]))[0] else None


def _resident_ids(checks: RowChecks) -> pd.Series:
    """Return the rows' resident IDs as stored; refuse the invalid ones.

    A 15-digit first-generation ID is converted to its 18-character form (GB 11643: ``19``
    after the 6th digit, then the check character), and the summary counts them
    (:data:`UPGRADED_NOTE`). A truncated 18-character ID converts to a birth date in month 19
    or later for anyone born after 1912, and is refused as such.
    """
    raw = checks.text("resident_id")
    ids = raw.map(_resident_id_text, na_action="ignore")
    old = ids.str.fullmatch(r"[0-9]{15}", na=False)
    if old.any():
        upgraded = ids[old].map(_upgraded)
        ids = ids.mask(old & upgraded.reindex(ids.index).notna(), upgraded)
        converted = upgraded.dropna().index
        if len(converted):
            rows = "、".join(str(r) for r in converted[:10]) + ("等" if len(converted) > 10 else "")
            checks.notes.append(UPGRADED_NOTE.format(n=len(converted), rows=rows))
    present = ids.notna().to_numpy()
    valid = np.zeros(len(ids), bool)
    if present.any():
        valid[present] = valid_resident_ids(ids[present].to_numpy(dtype=str))

    def rule(value: object) -> str:
        if excel_mangled(str(value)):
            return EXCEL_NUMBER_RULE
        number = _resident_id_text(value)
        if len(number) == 15 and number.isdigit():
            return FIRST_GENERATION_RULE
        try:
            parse_resident_id(number)
        except ValueError as exc:
            return str(getattr(exc, "rule", exc))
        return "身份证号无效"

    checks.fail("resident_id", present & ~valid, rule)
    return ids


def _sealed(ids: pd.Series, keys: Keys) -> tuple[pd.Series, pd.Series, pd.Series]:
    def hexed(data: bytes) -> str:
        return "\\x" + data.hex()

    hashes = ids.map(lambda v: hexed(hash_resident_id(keys, v)), na_action="ignore")
    masked = ids.map(_mask, na_action="ignore")
    sealed = ids.map(lambda v: hexed(seal(keys, v)), na_action="ignore")
    return hashes.astype(object), masked.astype(object), sealed.astype(object)


def _listed_hashes(ids: pd.Series, hashes: pd.Series, keys: Keys) -> pd.Series:
    """Return ``hashes`` and those of the refused rows whose resident ID is valid.

    A row refused for another field still names its person: a complete list strikes off only
    those it does not name (:mod:`layers.person_roster`). Refused rows are never staged.
    """
    unhashed = ids.notna() & hashes.isna()
    if not unhashed.any():
        return hashes
    valid = pd.Series(False, index=ids.index)
    valid[unhashed] = valid_resident_ids(ids[unhashed].to_numpy(dtype=str))
    named = ids[valid].map(lambda v: "\\x" + hash_resident_id(keys, v).hex())
    return hashes.combine_first(named).astype(object)


QUALIFIED_ATTRIBUTES = {
    PersonCategory.CORRECTION.value: ("correction_type", ("管制", "缓刑", "假释", "暂予监外执行")),
}
"""Category → the field its qualifier may give, and the values it may: a roster that writes
``社区矫正人员（缓刑）`` and has no 矫正类别 column (or an empty cell) gives 缓刑."""
_QUALIFIER = BRACKETED_NOTE + r"\s*$"
"""The bracketed qualifier ending a value."""


def _blank(value: Any) -> bool:
    return value is None or bool(pd.isna(value)) or value == ""


def _attribute_label(code: str, field: str) -> str:
    """Return how a category's field is named in files: its first Chinese header (原罪名)."""
    keys = attribute_headers(code)
    return next((k for k, f in keys.items() if f == field and not k.isascii()), field)


def _attribute_columns_note(stored: dict[str, dict[str, str]]) -> str | None:
    """Return the summary's line on the category columns stored: 列对照（人员类别属性）.

    Examples
    --------
    >>> print(_attribute_columns_note({"correction": {"罪名": "original_crime"}}))
    列对照（人员类别属性）：社区矫正人员：罪名 ← 罪名
    """
    labels = PersonCategory.labels()
    shown = [
        labels.get(code, code)
        + "："
        + "；".join(f"{_attribute_label(code, f)} ← {h}" for h, f in columns.items())
        for code, columns in stored.items()
        if columns
    ]
    return f"列对照（人员类别属性）：{'，'.join(shown)}" if shown else None


def _unstored_attributes(checks: RowChecks, stored: dict[str, dict[str, str]]) -> list[str]:
    """Return the file's category columns no row's category stores: not imported.

    A 罪名 in a list of 严重精神障碍患者, say; the summary's 未导入的列 names them.
    """
    used = set(checks.columns.values())
    read = {h for columns in stored.values() for h in columns}
    known = {normalise_header(k) for code in MODELS for k in attribute_headers(code)}
    return [
        str(h)
        for h in checks.frame.columns
        if h not in used and h not in read and normalise_header(str(h)) in known
    ]


def _error_column(
    error: Any, headers: dict[str, str], code: str, fallback: str
) -> tuple[str, bool]:
    """Return the column an attribute error is about, and whether the file has that column.

    The error's field (its key as the file gave it), else the field a rule of the whole record
    names (:class:`layers.person_attributes.AttributeRuleError`), else the first attribute
    column of the row (``fallback`` when it has none).
    """
    where = error["loc"][0] if error["loc"] else None
    header = next((h for h, k in headers.items() if k == where), None)
    broken = (error.get("ctx") or {}).get("error")
    if header is None and isinstance(broken, AttributeRuleError) and broken.field:
        fields = attribute_headers(code)
        header = next((h for h, k in headers.items() if fields[k] == broken.field), None)
    if header is not None:
        return header, True
    return next(iter(headers), fallback), False


def _attributes(checks: RowChecks, category: pd.Series) -> pd.Series:
    """Validate each row's category-specific columns into the JSON of ``persons.attributes``.

    A qualifier of the category (:data:`QUALIFIED_ATTRIBUTES`) fills its field where the
    row's columns do not. An error is reported on the column it is about, with its value. The
    summary lists the columns stored for each category (列对照（人员类别属性）); a category
    column that no row's category has (a 罪名 beside 严重精神障碍患者) is not imported, and is
    named so (:attr:`importers.rules.RowChecks.unstored`).
    """
    used = set(checks.columns.values())
    by_key = {normalise_header(h): h for h in checks.frame.columns if h not in used}
    qualifiers = checks.text("category").astype("string").str.extract(_QUALIFIER)[0]
    result = pd.Series("{}", index=checks.frame.index, dtype=object)
    stored: dict[str, dict[str, str]] = {}
    for code in category.dropna().unique():
        accepted = attribute_headers(str(code))
        headers = {
            by_key[normalise_header(k)]: k for k in accepted if normalise_header(k) in by_key
        }
        stored[str(code)] = {h: accepted[headers[h]] for h in checks.frame.columns if h in headers}
        rows = category[category == code].index
        field, allowed = QUALIFIED_ATTRIBUTES.get(str(code), ("", ()))
        implied = qualifiers[rows][qualifiers[rows].isin(allowed)]
        if not headers and implied.empty:
            continue
        fields, dates = attribute_headers(str(code)), date_fields(str(code))
        in_days = {k for k in headers.values() if fields[k] in dates}  # Excel serial days too
        for row in rows:
            raw: dict[str, object] = {
                key: checks.frame.at[row, header] for header, key in headers.items()
            }
            raw = {k: excel_date(v) if k in in_days else v for k, v in raw.items()}
            if row in implied.index and all(
                _blank(v) for k, v in raw.items() if fields[k] == field
            ):
                raw = {k: v for k, v in raw.items() if fields[k] != field} | {field: implied[row]}
            try:
                result[row] = json.dumps(validate_attributes(str(code), raw), ensure_ascii=False)
            except ValidationError as exc:
                for error in exc.errors():
                    column, own = _error_column(
                        error, headers, str(code), checks.header("category")
                    )
                    value = checks.frame.at[row, column] if own else None
                    if isinstance((error.get("ctx") or {}).get("error"), PersonalNumberError):
                        value = mask_personal_numbers(str(value))  # 139****5678 (trial AW m2)
                    checks.add_row_problem(int(row), column, value, attribute_error(error))
    note = _attribute_columns_note(stored)
    if note is not None:
        checks.notes.append(note)
    checks.unstored += _unstored_attributes(checks, stored)
    return result


AGE_NOTE = (
    "{{n}} 名{label}按公民身份号码的出生日期不在 {low} 至 {high} 周岁（第 {rows} 行），"
    "照常导入，请核实其人员类别"
)
"""Said of the rows whose person is of no age their category has (a 34-year-old 重点青少年)."""


def _note_ages(checks: RowChecks, category: pd.Series, ids: pd.Series) -> None:
    """Note the rows of a category with ages (重点青少年) whose ID gives another age.

    Noted, not refused: the roster is the office's, and the category may be right and the
    ID's birth date the mistake. Only valid IDs are read.
    """
    today = datetime.now(CHINA).date()
    for code, (low, high) in AGE_RANGES.items():
        rows = [
            int(row)
            for row in category[(category == code) & ~checks.bad].index
            if age_refusal(code, _born(str(ids[row])), today) is not None
        ]
        if rows:
            shown = "、".join(map(str, rows[:10])) + ("等" if len(rows) > 10 else "")
            label = PersonCategory.label_of(code)
            checks.note_rows(AGE_NOTE.format(label=label, low=low, high=high, rows=shown), rows)


def _born(resident_id: str) -> date:
    return date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))


def _prepare_persons(checks: RowChecks, context: Context) -> list[Part]:
    if context.keys is None:
        raise ValueError("persons need the platform keys")
    category = checks.choice("category", PersonCategory)
    ids = _resident_ids(checks)
    level = checks.choice(
        "management_level", ManagementLevel, default=ManagementLevel.ROUTINE.value
    )
    grid, grid_names = grid_from(checks, "grid_code")
    area, places = area_from(checks, grid.str[:12])
    attributes = _attributes(checks, category)
    point = staged_points(checks, context)
    stations = {STATION_NAME: checks.text("police_station")} if checks.has("police_station") else {}
    checks.duplicates("resident_id", [category, ids])
    _note_ages(checks, category, ids)
    usable = ids.where(~checks.bad)
    hashes, masked, sealed = _sealed(usable, context.keys)
    hashes = _listed_hashes(ids, hashes, context.keys)  # a refused row still lists its person
    records = staging_rows(
        checks,
        {
            "category": category,
            "name": checks.text("name"),
            "id_hash": hashes,
            "id_masked": masked,
            "id_sealed": sealed,
            "management_level": level,
            "attributes": attributes,
            **point,
            "address": checks.text("address").str.slice(0, 200),
            "grid_code": grid,
            GRID_NAME: grid_names,
            "area_code": area,
            **places,
            **stations,
            **_responsibles(checks),
            **_register(checks, category, attributes),
            # whether the level is the row's: else a person on record keeps theirs, unless
            # their 危险性评估 requires more (layers.person_register.settle_register)
            LEVEL_GIVEN: "yes" if checks.has("management_level") else None,
        },
    )
    # A roster is the record of its people: the next month's corrects and updates them. The
    # sealed ID is sealed anew at each import (a fresh nonce), and a field the roster does not
    # give keeps what the person has.
    # A point says which grid (:func:`layers.import_checks.fill_grid_codes_from_points`), and
    # so may the address or 所属社区 of a person without one (importers.names, trial AV M1).
    # The 管控级别 is always written: settle_register stages a person's own where the file
    # gives none, raised to what their 危险性评估 requires (trial AW S1).
    absent = unsaid_columns(
        checks,
        ("address", "grid_code"),
        {"grid_code": ("grid_code", *POINT_FIELDS, "address", "area_code", "township")},
    )
    # A new person of a name on record whose ID is nearly theirs (a mistyped ID), and an ID on
    # record in another category under another name, noted; of the persons inside the file's
    # --within only, which the load gives (importers.loading, trial AJ S2).
    lookalikes = Recognition(PersonNotes(context.keys))
    return [Part(records, ("category", "id_hash"), True, ("id_sealed", *absent), lookalikes)]


_REGISTER_SECTION = '[values."在册状态"]'
"""The mapping file's section that names a roster's own words for the register."""
REGISTER_WORDS = (
    "在册（或在矫、在管、正常、外出、失联等），或注销的原因：解除矫正、解矫、矫正期满、"
    "终止矫正、收监执行、解除帮教、死亡、迁出、撤销、注销等"
)
"""The words a roster's 在册状态 may be written in, as a refusal names them
(:data:`importers.vocabulary.ALIASES` has them all)."""


def register_rule(value: str, renamed: str | None = None) -> str:
    """Return why a roster's 在册状态 is refused, and the mapping file's line that names it.

    Parameters
    ----------
    value : str
        The status as written in the file.
    renamed : str, optional
        What the mapping file's ``[values."在册状态"]`` says it is, if it names it.

    Returns
    -------
    str
        The rule (Chinese).

    Examples
    --------
    >>> allowed, way = register_rule("外地服刑").split("；")
    >>> allowed  # doctest: +ELLIPSIS
    '必须是在册（或在矫、在管、正常、外出、失联等），或注销的原因：解除矫正、解矫、...、注销等'
    >>> way.split("，")[-1]
    '如 "外地服刑" = "…"'
    >>> register_rule("矫正解除").split("，")[-1]
    '如 "矫正解除" = "注销"'
    """
    return mapped_rule(
        value,
        renamed,
        allowed=f"必须是{REGISTER_WORDS}",
        section=_REGISTER_SECTION,
        way=(
            "本文件自有的写法，可在映射文件（--mapping）的 {section} 中写明它算在册（仍须跟进）"
            "还是注销（已离册，不再显示）"
        ),
        example="外地服刑",
        nearest=lambda written: vocabulary.nearest_name(written, [RegisterStatus]),
    )


ENDED_BY_ROW_NOTE = "{n} 人已注销但没有注销日期，注销日期按本行的{field}记（第 {rows} 行）"
"""Said of the rows struck off without a 注销日期 whose category field gives the day."""


def _row_end_days(category: pd.Series, attributes: pd.Series) -> pd.Series:
    """Return the day each row's category fields say its follow-up ended (``None``: none).

    A 社区矫正 row's 矫正结束日期 (:data:`layers.person_attributes.END_DATES`); a day after
    today is no end yet.
    """
    today = pd.Timestamp.now(tz=SHANGHAI).date().isoformat()
    days = pd.Series(None, index=category.index, dtype=object)
    for code, name in END_DATES.items():
        rows = category.index[category == code]
        for row in rows:
            day = json.loads(str(attributes.at[row])).get(name)
            if day is not None and str(day) <= today:
                days.at[row] = str(day)
    return days


def _register(
    checks: RowChecks, category: pd.Series, attributes: pd.Series
) -> dict[str, pd.Series]:
    """Return what each row says of the person's place on the register, to stage.

    ``ended_on`` (the row's end date; else the day its category's fields say the follow-up
    ended, a 社区矫正's 矫正结束日期, and the summary says so; else the import day),
    ``ended_reason`` (the status as written) and :data:`layers.person_register.REGISTER`;
    nothing when the roster has neither column: it says nothing of the register
    (:func:`layers.person_register.settle_register` keeps, likewise, what an empty cell does
    not say). An unknown status is refused, and so is an end date without a status.
    """
    if not (checks.has("register") or checks.has("ended_on")):
        return {}
    raw = checks.text("register")
    written = checks.recoded("register")
    status = vocabulary.codes_of(written, RegisterStatus)
    leading = written.str.split(vocabulary.STATUS_CLAUSE, n=1, regex=True).str[0]
    status = status.where(status.notna(), vocabulary.codes_of(leading, RegisterStatus))
    wrong = raw.notna() & status.isna()
    renamed = checks.values.get("register", {})
    rules = {
        str(value): register_rule(str(value), renamed.get(vocabulary.value_key(str(value))))
        for value in raw[wrong].unique()
    }
    checks.fail("register", wrong, lambda value: rules[str(value)])
    when = checks.timestamps("ended_on", past=True)
    checks.fail(
        "ended_on",
        when.notna() & raw.isna(),
        f"填了{checks.header('ended_on')}，但{checks.header('register')}为空：请写明在册，"
        "或注销的原因（如解除矫正、死亡、迁出）；整个文件都已注销的，可用 --set "
        f"{checks.header('register')}=解除矫正 之类给出",
    )
    ended = status == RegisterStatus.ENDED.value
    dated = ended & when.notna()
    today = pd.Timestamp.now(tz=SHANGHAI).date().isoformat()
    ended_on = pd.Series(None, index=checks.frame.index, dtype=object).mask(ended, today)
    if dated.any():  # the day as the roster's office wrote it, not in UTC
        ended_on = ended_on.mask(dated, when.dt.tz_convert(SHANGHAI).dt.strftime("%Y-%m-%d"))
    by_row = _row_end_days(category, attributes).where(ended & ~dated & ~checks.bad)
    if by_row.notna().any():  # 解除矫正 without a 注销日期: the day its supervision ended
        ended_on = ended_on.mask(by_row.notna(), by_row)
        dated |= by_row.notna()
        rows = by_row.dropna().index
        labels = {
            _attribute_label(c, f) for c, f in END_DATES.items() if (category[rows] == c).any()
        }
        checks.notes.append(
            ENDED_BY_ROW_NOTE.format(
                n=len(rows),
                field="、".join(sorted(labels)),
                rows="、".join(str(r) for r in rows[:10]) + ("等" if len(rows) > 10 else ""),
            )
        )
    register = pd.Series(None, index=checks.frame.index, dtype=object).mask(ended, ENDED_UNDATED)
    register = register.mask(dated, ENDED).mask(status == RegisterStatus.ON.value, ON)
    reason = raw.str.replace(r"\s+", "", regex=True).str.slice(0, 50)  # as written
    return {
        "ended_on": ended_on,
        "ended_reason": reason.where(ended, None).astype(object),
        REGISTER: register.astype(object),
    }


def _responsibles(checks: RowChecks) -> dict[str, pd.Series]:
    """Return the helper column of the workers responsible for each person, if the file has one."""
    if not checks.has("responsible"):
        return {}
    return {RESPONSIBLE: worker_names(checks.text("responsible"))}


def _visitors(checks: RowChecks) -> pd.Series:
    r"""Return each row's visitors: the 工号 or names of its cell, each once, joined by U+001F.

    A joint visit (``孙华海、韩刚志``, ``孙华海 韩刚志``) is one visit per visitor: the staged
    row is split once its person is found (:func:`layers.visit_checks.split_joint_visits`).
    A name padded to align a column (``王　芳``) is one name.
    """
    written = checks.text("visitor").str.replace(PADDED_NAME, r"\1\2", regex=True)
    names = worker_names(written)
    joint = names.str.contains("\x1f", regex=False, na=False)
    once = names[joint].map(lambda cell: "\x1f".join(dict.fromkeys(cell.split("\x1f"))))
    return names.mask(joint, once).astype(object)


# ------------------------------------------------------------------------------------------ visits


MASKED_VISIT_NOTE = "{n} 行的走访情况中写有身份证号、手机号，已脱敏保存（如 139****5678）"
"""Said of the rows whose 走访情况 had personal numbers masked (trial AI S6)."""


def _prepare_visits(checks: RowChecks, context: Context) -> list[Part]:
    if context.keys is None:
        raise ValueError("visits need the platform keys")
    ids = _resident_ids(checks)
    category = checks.choice("category", PersonCategory)
    visited = checks.timestamps("visited_on", past=True)
    day = visited.dt.tz_convert("Asia/Shanghai").dt.date
    usable = ids.where(~checks.bad)
    keys = context.keys

    def hashed(number: object) -> str:
        return "\\x" + hash_resident_id(keys, str(number)).hex()

    hashes = usable.map(hashed, na_action="ignore")
    visitor = _visitors(checks)
    # A visit is a person's, on a day, by a visitor: two visitors of one day (a 网格员's and a
    # 民警's, in two rows or in one cell) are two visits, one visitor twice in a day is one (a
    # visit keeps its day, not its hour). No unique index says so: the same visit twice is
    # refused here, and again once names are workers (visit_checks.repeated_visits).
    same = [category.fillna(""), ids, day.astype(str), visitor.fillna("")]
    checks.duplicates("visited_on", same)
    note, masked = masked_free_text(checks, checks.text("note"))  # stored masked, not refused
    checks.note_rows(MASKED_VISIT_NOTE, masked)
    # 走访结果: only a visit that reached the person restarts its interval (trial AW S2)
    outcome = checks.choice("outcome", VisitOutcome, default=VisitOutcome.MET.value)
    records = staging_rows(
        checks,
        {
            "person_id": None,
            "area_code": None,
            "visited_on": day.map(lambda d: None if pd.isna(d) else d.isoformat()).astype(object),
            "visitor_id": None,
            **staged_points(checks, context),
            "note": note,
            "outcome": outcome,
            "_id_hash": hashes.astype(object),
            "_category": category,
            VISITOR: visitor,
        },
    )
    # a corrected file without 走访结果 keeps the outcome each visit on record has
    unsaid = unsaid_columns(checks, ("outcome",))
    return [Part(records, visit_key(checks.has("visitor")), False, insert_only=unsaid)]


def visit_key(has_visitor: bool) -> tuple[str, ...]:
    """Return the columns a staged visit is matched on with the visits on record.

    Parameters
    ----------
    has_visitor : bool
        The file has a 走访人 column. A file without it says nothing of visitors: it corrects
        the visit of the day (refused when the day has several, see
        :func:`layers.visit_checks.visits_matched_twice`).

    Returns
    -------
    tuple of str
        Person and day, and the visitor when the file names them.
    """
    key = ("person_id", "visited_on", "visitor_id")
    return key if has_visitor else key[:2]


PERSONS = Kind(
    "persons",
    Base.metadata.tables["persons"],
    (
        "category",
        "name",
        "resident_id",
        "management_level",
        "lon",
        "lat",
        "lonlat",
        "wkt",
        "address",
        "grid_code",
        "area_code",
        "township",
        "police_station",
        "responsible",
        "register",
        "ended_on",
    ),
    _prepare_persons,
    update=True,
    geometry="residence",
    keep=("residence", "address", "grid_code"),
    merge=("attributes",),
    label="特殊人群",
    required=("category", "name", "resident_id"),
    headers={
        "category": "人员类别",
        "name": "姓名",
        "responsible": "帮扶责任人",
        "register": "在册状态",
        "ended_on": "注销日期",
        "police_station": "所属派出所",
    },
    named_by_file={"category": PersonCategory},
    helpers={RESPONSIBLE: "text", REGISTER: "text", LEVEL_GIVEN: "text"},
)
"""What a file of persons becomes."""


VISITS = Kind(
    "visits",
    Base.metadata.tables["person_visits"],
    (
        "resident_id",
        "category",
        "visited_on",
        "visitor",
        "lon",
        "lat",
        "lonlat",
        "wkt",
        "note",
        "outcome",
    ),
    _prepare_visits,
    update=True,  # a corrected file corrects them, and who made them (layers.visit_import)
    geometry="point",
    keep=("point", "note", "visitor_id"),
    helpers={"_id_hash": "bytea", "_category": "text", VISITOR: "text"},
    label="走访记录",
    required=("resident_id", "visited_on"),
    headers={
        "category": "人员类别",
        "visitor": "走访人",
        "note": "走访情况",
        "outcome": "走访结果",
    },
    named_by_file={"category": PersonCategory},
)
"""What a file of visits becomes."""
