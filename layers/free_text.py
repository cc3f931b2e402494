"""Free text typed into the console: no resident ID or mobile number in it.

A case's title and description, the note of a case action (派单说明, 退回原因, 办结说明 …), an
alert's closing note and a visit's 走访情况 are read in clear by every account that reads the
record: province, city and department accounts with no unmask right, and without an audit entry.
A resident ID or a phone number written there undoes the masking of the fields made for them
(the reporter's 联系电话, a person's sealed ID). Text typed by hand is refused, the message naming
what was found and where it belongs (:func:`refuse_personal_numbers`); text an import brings
(a 12345 export's descriptions often hold the caller's number) is stored masked instead
(:func:`geo.personal_numbers.mask_personal_numbers`, in the kind's ``prepare``).

The same holds for the other text a case carries (trial AJ M2): its 地址 (:data:`CASE_ADDRESS`),
the channel's work-order number (:func:`refuse_personal_work_order_number`: a resident ID or a
mobile number is no work-order number) and the departments a 吹哨 or a dispatch names
(:func:`refuse_personal_numbers_in_names`, :data:`DEPARTMENT_NAMES`). Numbers are found however
written: spaced, slashed, in Chinese or financial numerals, with ``+86``
(:func:`geo.personal_numbers.find_personal_numbers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from geo.codes import is_valid_resident_id
from geo.personal_numbers import KIND_LABELS, NumberKind, find_personal_numbers
from layers.errors import InvalidInput

CASE_TEXT: Mapping[NumberKind, str] = {
    "mobile": "反映人的电话请填在“联系电话”中（脱敏保存）",
    "resident_id": "案件不登记身份证号（案件内容各级都能看到）",
}
"""Where a case's title or description should put a number it holds (at registration)."""
CASE_NOTE: Mapping[NumberKind, str] = {
    "mobile": "反映人的电话已在案件的“联系电话”中脱敏保存，需要时点“查看完整信息”（留痕）",
    "resident_id": "案件不登记身份证号（办理记录各级都能看到）",
}
"""Where the note of a case action should put a number it holds."""
ALERT_NOTE: Mapping[NumberKind, str] = {
    "resident_id": "身份证号不要写入预警（处置情况各级都能看到）",
    "mobile": "当事人的电话请登记在案件的“联系电话”中（脱敏保存）",
}
"""Where an alert's 处置情况 or reason to reopen should put a number it holds."""
VISIT_NOTE: Mapping[NumberKind, str] = {
    "resident_id": "该人员的身份证号已在其记录中加密保存，不必写入",
    "mobile": "电话不要写入走访情况（走访情况随记录供他人查看）",
}
"""Where a visit's 走访情况 should put a number it holds."""
CASE_ADDRESS: Mapping[NumberKind, str] = {
    "mobile": "反映人的电话请填在“联系电话”中（脱敏保存）",
    "resident_id": "案件不登记身份证号（地址各级都能看到）",
}
"""Where a case's 地址 should put a number it holds."""
DEPARTMENT_NAMES: Mapping[NumberKind, str] = {
    "resident_id": "只写部门名称，案件不登记身份证号（办理记录各级都能看到）",
    "mobile": "只写部门名称，联系人的电话不要写入（办理记录各级都能看到）",
}
"""Where the departments of a 吹哨 or a dispatch should put a number they hold."""
WORK_ORDER_NUMBER = "{field}不能是身份证号或手机号：请填写来源渠道的工单编号（编号各级都能看到）"
"""The refusal of a work-order number that is a resident ID or a mobile number."""


def refuse_personal_numbers(
    text: str | None, *, field: str, advice: Mapping[NumberKind, str]
) -> None:
    """Refuse ``text`` if it holds a resident ID or a mobile number, however spaced.

    Parameters
    ----------
    text : str or None
        The text as typed (None: nothing to check).
    field : str
        What the text is called in the console (``情况描述``, ``退回原因``).
    advice : mapping
        Per kind of number, where it belongs instead (:data:`CASE_TEXT` …).

    Raises
    ------
    InvalidInput
        The text holds one: the message names the field, the kinds found and where they
        belong, never the number.

    Examples
    --------
    >>> refuse_personal_numbers("邻里漏水纠纷", field="情况描述", advice=CASE_TEXT)
    >>> refuse_personal_numbers("电话 139 1234 5678", field="情况描述", advice=CASE_TEXT)
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 情况描述中不要写手机号：反映人的电话请填在“联系电话”中（脱敏保存）
    """
    if not text:
        return
    kinds = {n.kind for n in find_personal_numbers(text)}
    if not kinds:
        return
    order: tuple[NumberKind, ...] = ("resident_id", "mobile")
    found = [kind for kind in order if kind in kinds]
    named = "、".join(KIND_LABELS[kind] for kind in found)
    raise InvalidInput(f"{field}中不要写{named}：{'；'.join(advice[kind] for kind in found)}")


def refuse_personal_numbers_in_names(
    names: Iterable[str] | None, *, field: str, advice: Mapping[NumberKind, str]
) -> None:
    """Refuse a list of names (吹哨部门) if they hold a resident ID or a mobile number.

    The names are checked as one text, joined by ``、``: a number the console split into
    several names at its spaces (``139 1234 5678`` → ``139``, ``1234``, ``5678``) is found too.

    Parameters
    ----------
    names : iterable of str or None
        The names as given (None: nothing to check).
    field : str
        What the list is called in the console (``吹哨部门``).
    advice : mapping
        Per kind of number, where it belongs instead (:data:`DEPARTMENT_NAMES`).

    Raises
    ------
    InvalidInput
        As :func:`refuse_personal_numbers`.

    Examples
    --------
    >>> refuse_personal_numbers_in_names(["县公安局", "12345热线"], field="吹哨部门",
    ...     advice=DEPARTMENT_NAMES)
    >>> refuse_personal_numbers_in_names(["县公安局", "王小明139", "1234", "5678"],
    ...     field="吹哨部门", advice=DEPARTMENT_NAMES)
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 吹哨部门中不要写手机号：只写部门名称，联系人的电话不要写入...
    """
    if names is not None:
        refuse_personal_numbers("、".join(str(n) for n in names), field=field, advice=advice)


def personal_work_order_number(value: str | None) -> NumberKind | None:
    """Return which personal number a channel's work-order number is or holds, if any.

    A mobile number however written (``+86 139 1234 5678``), or a valid resident ID (known
    region, real birth date, right check digit: an 18-digit work-order number of the 12345
    system is no ID). ``YX20261206000123`` and ``12345-530424-900777`` are none.

    Parameters
    ----------
    value : str or None
        The number as given (``external_no``).

    Returns
    -------
    {'resident_id', 'mobile'} or None
        What it holds; None for a real work-order number, or none.

    Examples
    --------
    >>> [personal_work_order_number(v) for v in ("YX20261206000123", "12345-530424-900777")]
    [None, None]
    >>> personal_work_order_number("530424198006186858"), personal_work_order_number("13912345678")
    ('resident_id', 'mobile')
    >>> personal_work_order_number("202612061234567890")
    """
    if not value:
        return None
    for number in find_personal_numbers(value):
        if number.kind == "mobile" or is_valid_resident_id(number.digits):
            return number.kind
    return None


def refuse_personal_work_order_number(value: str | None, *, field: str = "工单编号") -> None:
    """Refuse a channel's work-order number that is a resident ID or a mobile number.

    Parameters
    ----------
    value : str or None
        The number as given (None: nothing to check).
    field : str
        What it is called in the console (``工单编号``, ``12345编号``).

    Raises
    ------
    InvalidInput
        It is or holds one (:func:`personal_work_order_number`): the message never repeats it.

    Examples
    --------
    >>> refuse_personal_work_order_number("YX20261206000123")
    >>> refuse_personal_work_order_number("530424198006186858")
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 工单编号不能是身份证号或手机号：请填写来源渠道的工单编号...
    """
    if personal_work_order_number(value) is not None:
        raise InvalidInput(WORK_ORDER_NUMBER.format(field=field))
