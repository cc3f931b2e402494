"""Resident IDs and mobile numbers written into free text, however they are spaced.

A reason for an unmasked read, a case's description or a visit's note is free text, and an
operator may write a resident ID or a phone number into it: ``身份证530424198006186858``, or
``5304 2419 8006 1868 58`` to get past a check that looks for 18 digits in a row. These
functions find such numbers, whether run together or split by spaces, hyphens or dots, in ASCII
or full-width digits, so that a caller can refuse the text or mask them before storing it.

A run of 18 characters is an ID when it is written together (any 17 digits and a check
character: a number that long in a reason or a note is no case code) or, split, when its check
digit is right (a split number that long is otherwise likely a code or a date). A mobile number
is 11 digits beginning 13–19, not part of a longer run of digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from geo.codes import mask_resident_id, resident_id_check_digit

NumberKind = Literal["resident_id", "mobile"]

_DIGIT = "[0-9０-９]"
_SEPARATOR = "[ \u3000\\-－.·]?"
_ID = re.compile(
    rf"(?<![0-9０-９XxＸｘ])(?:{_DIGIT}{_SEPARATOR}){{17}}[0-9０-９XxＸｘ](?![0-9０-９XxＸｘ])"
)
_MOBILE = re.compile(rf"(?<![0-9０-９])[1１][3-9３-９](?:{_SEPARATOR}{_DIGIT}){{9}}(?![0-9０-９])")
_WIDE = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")

KIND_LABELS: dict[NumberKind, str] = {"resident_id": "身份证号", "mobile": "手机号"}
"""How a message names each kind of number."""


@dataclass(frozen=True)
class PersonalNumber:
    """A personal number found in a text.

    Attributes
    ----------
    kind : {'resident_id', 'mobile'}
        What it is.
    start, end : int
        Where it is written in the text (``text[start:end]``, separators included).
    digits : str
        The number itself, without separators, in ASCII digits (an ID's ``x`` as ``X``).
    """

    kind: NumberKind
    start: int
    end: int
    digits: str


def _digits(written: str) -> str:
    return "".join(c for c in written.translate(_WIDE) if c.isdigit() or c == "X")


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
    >>> find_personal_numbers("案件 530424-20261202-00000123 已办结")
    []
    """
    found: list[PersonalNumber] = []
    for match in _ID.finditer(text):
        digits = _digits(match.group())
        together = len(match.group()) == 18
        if together or resident_id_check_digit(digits[:17]) == digits[17]:
            found.append(PersonalNumber("resident_id", match.start(), match.end(), digits))
    taken = [(n.start, n.end) for n in found]
    for match in _MOBILE.finditer(text):
        if not any(start < match.end() and match.start() < end for start, end in taken):
            digits = _digits(match.group())
            found.append(PersonalNumber("mobile", match.start(), match.end(), digits))
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


def mask_personal_numbers(text: str) -> str:
    """Return ``text`` with each resident ID and mobile number masked.

    An ID as :func:`geo.codes.mask_resident_id` shows it, a mobile number as ``139****5678``.

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
    """
    out: list[str] = []
    at = 0
    for number in find_personal_numbers(text):
        out.append(text[at : number.start])
        if number.kind == "resident_id":
            out.append(mask_resident_id(number.digits))
        else:
            out.append(number.digits[:3] + "****" + number.digits[-4:])
        at = number.end
    out.append(text[at:])
    return "".join(out)
