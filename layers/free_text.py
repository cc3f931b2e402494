"""Free text typed into the console: no resident ID or mobile number in it.

A case's title and description, the note of a case action (派单说明, 退回原因, 办结说明 …), an
alert's closing note and a visit's 走访情况 are read in clear by every account that reads the
record: province, city and department accounts with no unmask right, and without an audit entry.
A resident ID or a phone number written there undoes the masking of the fields made for them
(the reporter's 联系电话, a person's sealed ID). Text typed by hand is refused, the message naming
what was found and where it belongs (:func:`refuse_personal_numbers`); text an import brings
(a 12345 export's descriptions often hold the caller's number) is stored masked instead
(:func:`geo.personal_numbers.mask_personal_numbers`, in the kind's ``prepare``).
"""

from __future__ import annotations

from collections.abc import Mapping

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
