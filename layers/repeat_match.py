"""Whether two reports near each other are the same matter (重复反映) or only look alike (疑似重复).

The repeat rule linked every open report of the same type within 200 m and 30 days
(:data:`layers.cases.DEDUPE_RADIUS_M`): in a town, that is the neighbour's different complaint
(trial BA S4: 9 of 12 imported links were other orders, at other house numbers, by other
callers), and the link raised the original's risk and pulled its deadlines forward. A link
made without review now needs, besides the type and the place, the same address
(:func:`address_key`: written the same once spacing, punctuation and the province, city and
county before it are left out) or the same caller number (:func:`phone_key`). Two reports
without an address compare equal by address, as before (a grid worker's point). A report
that meets the type and the place only is a 疑似重复 (:data:`SUSPECTED`): it links nothing and
raises nothing, and is listed on the case until an operator merges it
(:func:`layers.case_repeats.confirm_repeat`).
"""

from __future__ import annotations

import re
import unicodedata

SUSPECTED = "repeat_suspected"
"""The event on a new case that looks like a repeat of an original it is not linked to."""
SUSPECTED_LABEL = "疑似重复"
"""What the timeline calls it."""
SUSPECTED_NOTE = (
    "疑似重复：与案件 {code} 同类、相距约 {metres} 米、{days} 天内，"
    "但地址不同、来电号码不同或未留，未关联、未提升风险；如核实为同一事项，可“合并为重复反映”"
)
"""The timeline's note of a suspected repeat."""
DISMISSED = "dismissed"
"""The key of a :data:`SUSPECTED` event's payload naming the original an operator found another
matter (不是同一事项): the case is no longer listed as its suspected repeat, and no import makes
it so again (:func:`layers.case_repeats.dismiss_suspected`)."""
DISMISS_LABEL = "不是同一事项"
"""What the console calls dismissing a suspected original."""
DISMISSED_NOTE = "疑似重复已排除：与案件 {code} 不是同一事项，不再列为疑似重复，以后导入也不再提示"
"""The timeline's note of a dismissal."""
_PROVINCE = re.compile(r"[^省市县]{2,3}省")
_CITY = re.compile(r"[^省市县]{2,4}市")
_COUNTY = re.compile(r"[^省市县]{2,4}县")
"""The province, city and county an address may begin with (云南省玉溪市华宁县)."""
_NOISE = re.compile(r"[\s\W_]+")
"""Spacing and punctuation."""


def address_key(address: object) -> str:
    """Return an address as the repeat rule compares it ('' for none).

    Examples
    --------
    >>> address_key("云南省玉溪市华宁县 宁州街道 建设路8号") == address_key("宁州街道建设路８号")
    True
    >>> address_key("宁州街道建设路8号") == address_key("宁州街道建设路18号")
    False
    >>> address_key(None), address_key(float("nan")), address_key("  ")
    ('', '', '')
    """
    if not isinstance(address, str):
        return ""
    text = unicodedata.normalize("NFKC", address).lower()
    text = _NOISE.sub("", text)
    return _without_divisions(text) or text


def _without_divisions(text: str) -> str:
    """Return ``text`` without the province, city and county it begins with.

    A city only after a province or before a county (农贸市场 names no city).

    Examples
    --------
    >>> _without_divisions("云南省玉溪市华宁县宁州街道"), _without_divisions("玉溪市华宁县宁州街道")
    ('宁州街道', '宁州街道')
    >>> _without_divisions("农贸市场东门"), _without_divisions("民文社区菜市场")
    ('农贸市场东门', '民文社区菜市场')
    """
    province = _PROVINCE.match(text)
    if province:
        text = text[province.end() :]
    city = _CITY.match(text)
    if city and (province or _COUNTY.match(text, city.end())):
        text = text[city.end() :]
    county = _COUNTY.match(text)
    return text[county.end() :] if county else text


def phone_key(phone: object) -> str:
    """Return a caller's number as the repeat rule compares it ('' for none or too short).

    Examples
    --------
    >>> phone_key("+86 139-8765-4321"), phone_key("13987654321"), phone_key("12"), phone_key(None)
    ('13987654321', '13987654321', '', '')
    """
    if not isinstance(phone, str):
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if len(digits) >= 7 else ""


def same_matter(
    address: object, other_address: object, phone: object = None, other_phone: object = None
) -> bool:
    """Return whether two reports of one type near each other may be linked without review.

    The same address (:func:`address_key`; both without one is the same), or the same caller
    number when both have one.

    Examples
    --------
    >>> same_matter("宁州街道建设路8号", "华宁县宁州街道建设路8号")
    True
    >>> same_matter("河岭村南门街86号", "河岭村建设路92号")
    False
    >>> same_matter("河岭村南门街86号", "河岭村建设路92号", "13900001111", "139 0000 1111")
    True
    >>> same_matter(None, None)
    True
    """
    if address_key(address) == address_key(other_address):
        return True
    mine = phone_key(phone)
    return bool(mine) and mine == phone_key(other_phone)
