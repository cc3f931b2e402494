"""Resident IDs and mobile numbers written into free text, however they are written.

A reason for an unmasked read, a case's description or a visit's note is free text, and an
operator may write a resident ID or a phone number into it: ``身份证530424198006186858``, or
``5304 2419 8006 1868 58``, ``139/1234/5678``, ``一三九一二三四五六七八`` to get past a check
that looks for 18 digits in a row. These functions find such numbers so that a caller can
refuse the text or mask them before storing it.

The text is first read with every numeral as a digit (:func:`numerals_as_digits`): ASCII and
full-width digits, Chinese numerals (〇零一二…九, 幺 as 1, 两 as 2 beside another digit) and
financial numerals (壹贰叁肆伍陆柒捌玖); zero-width characters count for nothing. Digits joined
by up to 2 characters that are neither letters nor digits (spaces, ``/ _ - . · ，`` …) are one
run of digit groups (``139/1234/5678``: groups 139, 1234, 5678). Within a run, a number starts
and ends at a group's edges:

* a resident ID is 18 characters (17 digits and a check character): any such group written
  together (a number that long in a reason or a note is no case code), or several groups that
  make a valid ID: a known province, a real birth date, the right check digit (a split number
  that long is otherwise likely a code or dates and times one after another);
* a mobile number is 11 digits beginning 13–19, optionally after ``86``/``+86``/``0086``;
* an ID written in 2 to 5 parts between words (``前六位530424，出生19800618，末四位6858``) is one
  when the parts, each of 3 digits or more and at most 10 characters apart, make a valid ID
  (known province, real birth date, right check digit).

So a case code ``530424-20261202-00000123``, a 20-digit camera ID, a long work-order number or
a date and time (``2026-12-05 10:30``) is no personal number. Positions always refer to the
text as written: the reading maps one character to one character.

The ID checks of :mod:`geo.codes` are imported when an 18-digit candidate is met: that module
loads numpy (for its vectorised validator), which the command line, whose access log masks
numbers with :func:`mask_personal_numbers`, should not wait for (``tests/test_cli_start_lazy.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

NumberKind = Literal["resident_id", "mobile"]

KIND_LABELS: dict[NumberKind, str] = {"resident_id": "身份证号", "mobile": "手机号"}
"""How a message names each kind of number."""

_NUMERALS = {
    "0": "0０〇零○",
    "1": "1１一壹幺",
    "2": "2２二贰貳",
    "3": "3３三叁參叄",
    "4": "4４四肆",
    "5": "5５五伍",
    "6": "6６六陆陸",
    "7": "7７七柒",
    "8": "8８八捌",
    "9": "9９九玖",
    "X": "XxＸｘ",
}
_TABLE = str.maketrans({c: d for d, cs in _NUMERALS.items() for c in cs if c != d})
NUMERAL_CHARACTERS = "".join(cs for d, cs in _NUMERALS.items() if d != "X") + "两兩"
"""Every character read as a digit (两 only beside another digit)."""
_N = f"[{NUMERAL_CHARACTERS}]"
_CHECK = "[XxＸｘ]"
_ZW_CHARS = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
_ZW = f"[{_ZW_CHARS}]"
_SEP = rf"(?:[^\w{_ZW_CHARS}]|_)"
"""A separator: neither a letter (of any script) nor a digit, nor a zero-width character."""
_GAP = rf"{_ZW}*(?:{_SEP}{_ZW}*){{0,2}}"
_END = rf"(?:{_GAP}{_CHECK}(?![A-Za-z0-9]))?"
_RUN = re.compile(rf"{_N}(?:{_GAP}{_N}){{2,}}{_END}")
"""A run of 3 numerals or more, joined by separators (an ID's check character at its end)."""
_LONG_RUN = re.compile(rf"{_N}(?:{_GAP}{_N}){{10,}}{_END}")
"""A run of 11 numerals or more: the least a mobile number needs."""
_ANY_RUN = re.compile(rf"{_N}(?:{_GAP}{_N})*{_END}")
_SPREAD = re.compile(rf"(?:{_N}[^{NUMERAL_CHARACTERS}]{{0,12}}+){{18}}")
"""18 numerals, none more than 12 characters from the next: the least an ID in parts needs."""
_ANY_ZW = re.compile(_ZW)
_GROUP = re.compile(rf"[0-9X](?:{_ZW}*[0-9X])*")
_DIGIT = re.compile("[0-9X]")
_TWO = re.compile("(?<=[0-9])[两兩]|[两兩](?=[0-9])")
_MOBILE = re.compile("(?:0086|86)?1[3-9][0-9]{9}")
_TIME = re.compile("(?<![0-9])(?:[01]?[0-9]|2[0-3])[:：][0-5][0-9](?![0-9])")
"""A time of day (``13:05``): digits so joined are no mobile number."""
_WORD_GAP = 10
"""At most this many characters between the parts of an ID written among words."""
_WORD_PARTS = 5
"""At most this many parts of an ID written among words."""


@dataclass(frozen=True)
class PersonalNumber:
    """A personal number found in a text.

    Attributes
    ----------
    kind : {'resident_id', 'mobile'}
        What it is.
    start, end : int
        Where it is written in the text (``text[start:end]``, separators included; a mobile
        number's ``86`` prefix is left out).
    digits : str
        The number itself, without separators, in ASCII digits (an ID's ``x`` as ``X``).
    pieces : tuple of (int, int)
        Where its parts are written when words stand between them (an ID written as
        ``前六位530424，出生19800618，末四位6858``); empty when it is written in one stretch.
    """

    kind: NumberKind
    start: int
    end: int
    digits: str
    pieces: tuple[tuple[int, int], ...] = ()


def numerals_as_digits(text: str) -> str:
    """Return ``text`` with every numeral written as an ASCII digit, one character for one.

    Full-width digits, Chinese numerals (〇零一…九, 幺), financial numerals (壹贰叁…玖, also
    貳參陸), and 两 beside another digit; an ID's ``ｘ``/``x`` becomes ``X``. Other characters,
    zero-width ones too, stay where they are, so a position in the result is one in ``text``.

    Parameters
    ----------
    text : str
        Free text.

    Returns
    -------
    str
        The text, as long as ``text``.

    Examples
    --------
    >>> numerals_as_digits("电话一三八幺二三四五六七八，壹贰叁，１２")
    '电话13812345678，123，12'
    >>> numerals_as_digits("两人，一三两")
    '两人，132'
    """
    read = text.translate(_TABLE)
    return _TWO.sub("2", read) if "两" in read or "兩" in read else read


def digit_count(text: str) -> int:
    """Return how many numerals ``text`` holds, read as :func:`numerals_as_digits` reads them.

    Parameters
    ----------
    text : str
        Free text.

    Returns
    -------
    int
        The number of digits (an ``X`` is no digit).

    Examples
    --------
    >>> digit_count("核实一三九1234，第3次")
    8
    """
    read = numerals_as_digits(text)
    return sum(read.count(d) for d in "0123456789")


def without_numerals(text: str, placeholder: str) -> str:
    """Return ``text`` with each run of numerals (however joined) replaced by ``placeholder``.

    Parameters
    ----------
    text : str
        Free text (a refused reason).
    placeholder : str
        What stands for each run.

    Returns
    -------
    str
        The text without a digit or a numeral.

    Examples
    --------
    >>> without_numerals("核实530424/1991，出生一九九一", "#")
    '核实#，出生#'
    """
    return _ANY_RUN.sub(placeholder, text)


@dataclass(frozen=True)
class _Group:
    """Digits written together (zero-width characters aside): ``text[start:end]``."""

    start: int
    end: int
    digits: str


def _groups(read: str, offset: int) -> list[_Group]:
    """Return the digit groups of a run read as digits, at ``offset`` in the text."""
    return [
        _Group(offset + g.start(), offset + g.end(), _ANY_ZW.sub("", g.group()))
        for g in _GROUP.finditer(read)
    ]


def _digit_at(read: str, offset: int, group: _Group, n: int) -> int:
    """Return where the ``n``-th digit of ``group`` is written (zero-width characters skipped)."""
    if group.end - group.start == len(group.digits):
        return group.start + n
    return offset + [m.start() for m in _DIGIT.finditer(read, group.start - offset)][n]


def _valid_id(digits: str) -> bool:
    """Return whether 18 digits are a valid resident ID (:func:`geo.codes.is_valid_resident_id`)."""
    from geo.codes import is_valid_resident_id

    return is_valid_resident_id(digits)


def _in_run(read: str, offset: int, groups: list[_Group]) -> list[PersonalNumber]:
    """Return the IDs and mobile numbers that begin and end at the edges of ``groups``."""
    found: list[PersonalNumber] = []
    i = 0
    while i < len(groups):
        digits = ""
        mobile: tuple[int, str] | None = None
        resident: int | None = None
        for j in range(i, len(groups)):
            digits += groups[j].digits
            if "X" in digits[:-1] or len(digits) > 18:
                break
            if len(digits) == 18 and digits[:17].isdigit():
                if i == j or _valid_id(digits):  # split: a real region, date, check
                    resident = j
                break
            if mobile is None and "X" not in digits and _MOBILE.fullmatch(digits):
                # 13:05 2026/1/15 holds 11 digits: a time then a date, no phone
                stretch = read[groups[i].start - offset : groups[j].end - offset]
                if i == j or not _TIME.search(stretch):
                    mobile = (j, digits)
        if resident is not None:
            end = groups[resident].end
            found.append(PersonalNumber("resident_id", groups[i].start, end, digits))
            i = resident + 1
        elif mobile is not None:
            last, number = mobile
            first, skip = i, len(number) - 11  # the 86 prefix is left as written
            while skip >= len(groups[first].digits):
                skip -= len(groups[first].digits)
                first += 1
            start = _digit_at(read, offset, groups[first], skip)
            found.append(PersonalNumber("mobile", start, groups[last].end, number[-11:]))
            i = last + 1
        else:
            i += 1
    return found


def _among_words(parts: list[_Group]) -> list[PersonalNumber]:
    """Return the IDs written in parts between words: ``parts`` are the runs holding no number."""
    found: list[PersonalNumber] = []
    i = 0
    while i < len(parts):
        digits = parts[i].digits
        hit = None
        for j in range(i + 1, min(i + _WORD_PARTS, len(parts))):
            if parts[j].start - parts[j - 1].end > _WORD_GAP or len(digits) >= 18:
                break
            digits += parts[j].digits
            if len(digits) == 18 and _valid_id(digits):
                hit = j
                break
        if hit is None:
            i += 1
            continue
        pieces = tuple((p.start, p.end) for p in parts[i : hit + 1])
        found.append(PersonalNumber("resident_id", pieces[0][0], pieces[-1][1], digits, pieces))
        i = hit + 1
    return found


def find_personal_numbers(text: str) -> list[PersonalNumber]:
    """Return the resident IDs and mobile numbers written in ``text``, in order.

    Parameters
    ----------
    text : str
        Free text.

    Returns
    -------
    list of PersonalNumber
        Each ID and mobile number found.

    Examples
    --------
    >>> [n.digits for n in find_personal_numbers("核实身份 5304 2419 8006 1868 58")]
    ['530424198006186858']
    >>> [(n.kind, n.digits) for n in find_personal_numbers("电话138-1234-5678，编号20261202")]
    [('mobile', '13812345678')]
    >>> [n.digits for n in find_personal_numbers("电话+86 一三八/一二三四/五六七八")]
    ['13812345678']
    >>> find_personal_numbers("案件 530424-20261202-00000123 已办结，2026-12-05 10:30")
    []
    """
    # Most texts hold no run of 11 numerals, and no 18 numerals close together: the one pass
    # of _LONG_RUN over them is all (an import reads a million descriptions).
    among_words = _SPREAD.search(text) is not None or _ANY_ZW.search(text) is not None
    found: list[PersonalNumber] = []
    spare: list[_Group] = []
    for run in (_RUN if among_words else _LONG_RUN).finditer(text):
        read = numerals_as_digits(run.group())
        groups = _groups(read, run.start())
        digits = "".join(g.digits for g in groups)
        numbers = _in_run(read, run.start(), groups) if len(digits) >= 11 else []
        found += numbers
        if among_words and not numbers and len(digits) >= 3:
            spare.append(_Group(run.start(), run.end(), digits))
    if len(spare) > 1:
        found += _among_words(spare)
    return sorted(found, key=lambda n: n.start)


def personal_number_kinds(text: str) -> list[str]:
    """Return the names of the kinds of personal numbers ``text`` holds, for a message.

    Parameters
    ----------
    text : str
        Free text.

    Returns
    -------
    list of str
        ``身份证号`` and/or ``手机号``, in that order; empty when none is written.

    Examples
    --------
    >>> personal_number_kinds("身份证530424198006186858，电话13912345678")
    ['身份证号', '手机号']
    """
    kinds = {n.kind for n in find_personal_numbers(text)}
    return [label for kind, label in KIND_LABELS.items() if kind in kinds]


def masked_number(number: PersonalNumber) -> str:
    """Return how ``number`` is shown masked: an ID as :func:`geo.codes.mask_resident_id`.

    Parameters
    ----------
    number : PersonalNumber
        A number found.

    Returns
    -------
    str
        ``530424********6858`` or ``139****5678``.

    Examples
    --------
    >>> masked_number(PersonalNumber("mobile", 0, 11, "13912345678"))
    '139****5678'
    """
    if number.kind == "resident_id":
        from geo.codes import mask_resident_id

        return mask_resident_id(number.digits)
    return number.digits[:3] + "****" + number.digits[-4:]


def mask_personal_numbers(text: str) -> str:
    """Return ``text`` with each resident ID and mobile number masked.

    An ID as :func:`geo.codes.mask_resident_id` shows it, a mobile number as ``139****5678``;
    the number's separators go with it. An ID written in parts between words keeps the words,
    each part masked in its place.

    Parameters
    ----------
    text : str
        Free text.

    Returns
    -------
    str
        The text, its other characters as written.

    Examples
    --------
    >>> mask_personal_numbers("反映人身份证530424198006186858，电话 139 1234 5678。")
    '反映人身份证530424********6858，电话 139****5678。'
    >>> mask_personal_numbers("电话一三九一二三四五六七八")
    '电话139****5678'
    >>> mask_personal_numbers("前六位530424，出生19800618，末四位6858")
    '前六位530424，出生********，末四位6858'
    """
    out: list[str] = []
    at = 0
    for number in find_personal_numbers(text):
        shown = masked_number(number)
        for start, end in number.pieces or ((number.start, number.end),):
            if number.pieces:
                width = len(_DIGIT.findall(numerals_as_digits(text[start:end])))
                part, shown = shown[:width], shown[width:]
            else:
                part = shown
            out += [text[at:start], part]
            at = end
    out.append(text[at:])
    return "".join(out)
