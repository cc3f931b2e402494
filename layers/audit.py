"""The append-only audit log, each row chained to the previous one by a SHA-256 hash.

``hash = sha256(prev_hash || canonical_json(row))`` where the canonical JSON holds every column
but the hashes (keys sorted, compact separators, UTF-8, ``at`` in UTC ISO format). Writers take
a transaction-level advisory lock, so concurrent writers append one after the other and the
chain stays linear. Table triggers refuse UPDATE and DELETE; :func:`verify_chain` finds any row
that was altered, inserted or removed behind the platform's back.

Details must never carry personal data (resident IDs, names of persons): :func:`record` refuses
details with name-like keys or values that look like resident ID numbers.

Reads of a layer about individual people (``layer.read``, :func:`record_layer_read`) are one
entry per request: who, their scope, the box asked for, how many features were returned and
matched, never the features. A stated reason for reading clear personal data must be a real
reason (:func:`check_reason`). The auditor filters entries by object (``object_type``,
``object_id``: "who looked at person 4539") and sees, for an entry about a person, that
person's masked name and category (:func:`person_labels`), never clear data; for an entry
about an account (``user``: a grant of the unmask right, a lock lifted), the account's login
name, post and scope (:func:`account_labels`), looked up when read, so that old entries name
it too; for a case its code and its reporter masked (:func:`case_labels`), for an import its
file (:func:`import_labels`). An export holds every entry of a filter (:func:`entries_to_export`,
at most :data:`EXPORT_LIMIT`) and is itself an entry (:func:`record_export`).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Row, Select, func, select, text
from sqlalchemy.orm import Session

from geo.codes import is_valid_resident_id, mask_resident_id
from geo.personal_numbers import (
    KIND_LABELS,
    digit_count,
    find_personal_numbers,
    numerals_as_digits,
    personal_number_kinds,
    without_numerals,
)
from layers.errors import InvalidInput
from layers.model import AuditEntry, Jurisdiction, PersonCategory, Role, User
from layers.secrets import Keys, hash_resident_id, normalise_resident_id

LOCK_KEY = 0x7A6F6E677A686901
"""Advisory-lock key serialising writers of ``audit_log``."""

OUTCOMES = ("ok", "denied", "failed", "error")
"""Allowed values of the ``outcome`` column."""

LOGIN_BAD_CREDENTIALS = "bad credentials"
"""Reason of a refused login: a wrong password or a name no account has."""
LOGIN_LOCKED = "locked"
"""Reason of a refused login: the account is locked after too many failures."""
LOGIN_THROTTLED = "throttled"
"""Reason of a refused login: its address is held back (``layers.login_throttle``)."""
LOGIN_DISABLED = "account disabled"
"""Reason of a refused login: the account is disabled (answered as bad credentials)."""
LOGIN_REFUSALS = (LOGIN_BAD_CREDENTIALS, LOGIN_LOCKED, LOGIN_THROTTLED, LOGIN_DISABLED)
"""Every reason a refused ``login`` entry is written with (``api.routers.auth.login``)."""

_PERSONAL_KEYS = frozenset(
    {"name", "person_name", "resident_id", "id_number", "id_card", "idcard", "sfzh", "phone"}
)
_RESIDENT_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_DIGEST = re.compile(r"[0-9a-f]{64}")
"""A SHA-256 in hex (an imported file's): its digits may run 18 long, yet it is no ID."""
MIN_REASON_LENGTH = 4
"""A stated reason shorter than this (after trimming) is refused."""
LAYER_READ = "layer.read"
"""Action of an audited read of a layer's features."""
FEATURE_OBJECT_TYPES = {"persons": "person"}
"""Object type of one feature of a collection, as other entries name it (``person.unmask``)."""


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries, newest first.

    Attributes
    ----------
    entries : list of AuditEntry
        The rows.
    matched : int
        How many rows match the filters in total.
    """

    entries: list[AuditEntry]
    matched: int


def canonical_json(row: Mapping[str, Any]) -> bytes:
    """Return the canonical UTF-8 JSON of an audit row (keys sorted, no spaces).

    Parameters
    ----------
    row : mapping
        Column values; datetimes are written in UTC ISO format.

    Returns
    -------
    bytes
        The bytes that are hashed.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": "x y"})
    b'{"a":"x y","b":1}'
    """

    def default(value: object) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        raise TypeError(f"cannot hash {type(value).__name__}")

    return json.dumps(
        row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=default
    ).encode("utf-8")


def chain_hash(prev_hash: bytes | None, row: Mapping[str, Any]) -> bytes:
    """Return ``sha256(prev_hash || canonical_json(row))``.

    Parameters
    ----------
    prev_hash : bytes or None
        Hash of the previous row (``None`` for the first row).
    row : mapping
        The row's column values (see :func:`canonical_json`).

    Returns
    -------
    bytes
        32-byte digest.

    Examples
    --------
    >>> len(chain_hash(None, {"id": 1}))
    32
    """
    return hashlib.sha256((prev_hash or b"") + canonical_json(row)).digest()


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "detail": entry.detail,
    }


def _check_detail(value: object) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if str(key).lower() in _PERSONAL_KEYS:
                raise InvalidInput("个人信息不能写入审计日志，请删去姓名、身份证号等内容")
            _check_detail(inner)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for inner in value:
            _check_detail(inner)
    elif isinstance(value, str) and not _DIGEST.fullmatch(value) and _RESIDENT_ID.search(value):
        raise InvalidInput("内容中有疑似公民身份号码，不能写入审计日志，请删去后重试")


def record(
    session: Session,
    *,
    actor_id: int | None,
    actor_name: str,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    outcome: str = "ok",
    reason: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, chained to the previous entry.

    Takes the audit advisory lock for the rest of the transaction: commit promptly.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (owner or app role; ``audit_log`` has no row-level security).
    actor_id : int or None
        User id (``None`` for an unknown user or the system).
    actor_name : str
        User name as typed or known.
    action : str
        What was done, e.g. ``login``, ``person.unmask``, ``case.dispatch``.
    object_type : str, optional
        Kind of object acted on.
    object_id : str, optional
        Its id or code.
    outcome : str
        One of :data:`OUTCOMES`.
    reason : str, optional
        The reason the user stated (unmasking) or the reason of a refusal.
    detail : mapping, optional
        Extra JSON facts; never personal data.

    Returns
    -------
    layers.model.AuditEntry
        The flushed entry.

    Raises
    ------
    InvalidInput
        Unknown outcome, or personal data in ``detail``.
    """
    if outcome not in OUTCOMES:
        raise InvalidInput(f"审计结果无效，可选：{'、'.join(OUTCOMES)}")
    if detail is not None:
        _check_detail(detail)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    prev_hash = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    new_id, at = session.execute(
        text("SELECT nextval(pg_get_serial_sequence('audit_log', 'id')), clock_timestamp()")
    ).one()
    entry = AuditEntry(
        id=new_id,
        at=at,
        actor_id=actor_id,
        actor_name=actor_name[:50],
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        reason=reason,
        detail=dict(detail) if detail is not None else None,
        prev_hash=prev_hash,
    )
    entry.hash = chain_hash(prev_hash, _hashed_fields(entry))
    session.add(entry)
    session.flush()
    return entry


_INSERT_ROW = (
    "INSERT INTO audit_log (id, at, actor_id, actor_name, action, object_type, object_id,"
    " outcome, reason, detail, prev_hash, hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def record_each(
    conn: psycopg.Connection[Any],
    object_ids: Sequence[str],
    *,
    actor_name: str,
    action: str,
    object_type: str,
    detail: Mapping[str, Any] | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
    outcome: str = "ok",
    reason: str | None = None,
) -> int:
    """Append one entry per object to the audit log through psycopg (an import's connection).

    The entries are those :func:`record` would write (actor unknown to the platform), chained in
    the order given, in the connection's transaction: rolled back with it. Takes the audit
    advisory lock once, for the rest of the transaction, when there is an entry.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the transaction of what is audited.
    object_ids : sequence of str
        The objects acted on, one entry each.
    actor_name : str
        Who acted (an import's user).
    action : str
        What was done, e.g. ``user.disable``.
    object_type : str
        Kind of the objects.
    detail : mapping, optional
        Extra JSON facts shared by the entries; never personal data.
    details : sequence of mapping, optional
        Facts of each object, in the order of ``object_ids``, added to ``detail`` in its entry
        (e.g. a refused row's number); never personal data.
    outcome : str
        One of :data:`OUTCOMES`, of every entry.
    reason : str, optional
        The reason of every entry (a refusal's).

    Returns
    -------
    int
        Entries written.

    Raises
    ------
    InvalidInput
        Unknown outcome, ``details`` not one per object, or personal data in the details.
    """
    if outcome not in OUTCOMES:
        raise InvalidInput(f"审计结果无效，可选：{'、'.join(OUTCOMES)}")
    if details is not None and len(details) != len(object_ids):
        raise InvalidInput("审计明细数与对象数不符")
    if not object_ids:
        return 0
    if details is None:
        each: list[dict[str, Any] | None] = [
            dict(detail) if detail is not None else None for _ in object_ids
        ]
    else:
        each = [{**(detail or {}), **own} for own in details]
    for facts in each:
        if facts is not None:
            _check_detail(facts)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    last = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash: bytes | None = bytes(last[0]) if last is not None else None
    made = conn.execute(
        "SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id, clock_timestamp()"
        " FROM generate_series(1, %s) ORDER BY id",
        (len(object_ids),),
    ).fetchall()
    rows = []
    for object_id, facts, (new_id, at) in zip(object_ids, each, made, strict=True):
        entry = AuditEntry(
            id=new_id,
            at=at,
            actor_id=None,
            actor_name=actor_name[:50],
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            reason=reason,
            detail=facts,
            prev_hash=prev_hash,
        )
        entry.hash = chain_hash(prev_hash, _hashed_fields(entry))
        prev_hash = entry.hash
        given = Jsonb(entry.detail) if entry.detail is not None else None
        rows.append(
            (entry.id, entry.at, entry.actor_id, entry.actor_name, entry.action)
            + (entry.object_type, entry.object_id, entry.outcome, entry.reason, given)
            + (entry.prev_hash, entry.hash)
        )
    with conn.cursor() as cursor:
        cursor.executemany(_INSERT_ROW, rows)
    return len(rows)


def _is_filler(char: str) -> bool:
    """Whether ``char`` says nothing in a Chinese reason: ASCII, a digit, punctuation, a space."""
    return char.isascii() or unicodedata.category(char)[0] in "NPZSC"


PLACEHOLDER_REASONS = frozenset(
    (
        "测试 测试一下 试试 试一下 看看 看一下 查看 查询 随便 随便看看 "
        "无 没有 不知道 没事 其他 其它 事由 查看事由"
    ).split()
)
"""Words typed into a reason box to get past it, not a reason: refused alone or repeated."""
_REPEATED = re.compile(r"(.{1,4}?)\1+")


def _says_nothing(reason: str) -> bool:
    """Whether a reason's words are a placeholder, or one short unit repeated (``测试测试``)."""
    words = "".join(c for c in reason if not _is_filler(c))
    if len(set(words)) <= 1 or words in PLACEHOLDER_REASONS:
        return True
    return _REPEATED.fullmatch(words) is not None


REASON_LOGGED = "事由会记入审计日志"
"""Why a reason may hold no personal data: the auditor, who may not unmask, reads it."""
REASON_DIGITS = 7
"""A reason holding this many digits or more (any numerals, wherever) is refused: it needs none."""
NUMBERS_IN_REASON = "号码或成串的数字"
"""What a refused reason holds, when it is :data:`REASON_DIGITS` digits and no number found."""
_NOT_PLAIN = re.compile(r"[\W_]+")
_CHINESE_NUMBER = re.compile("[0-9两]*[十百千拾佰仟][0-9两十百千拾佰仟]*")
_TENS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_ADDRESS_WINDOW = 6
"""A stretch of an address this long holding a digit (``2组103号``) names the house."""
OWN_VALUE_LABELS = ("姓名", "身份证号", "电话", "住址")
"""The keys of ``own`` (:func:`check_reason`), in the order a message names them."""


def _chinese_number(written: str) -> str:
    """Return a Chinese number with 十, 百 or 千 (拾佰仟) in digits: ``8十2`` (八十二) → ``82``."""
    total = pending = 0
    for char in written:
        if char in _TENS:
            total += (pending or 1) * _TENS[char]
            pending = 0
        else:
            pending = pending * 10 + (2 if char == "两" else int(char))
    return str(total + pending)


def _plain(text_: str) -> str:
    """Return ``text_`` as compared with a person's own values.

    NFKC, numerals as digits (八十二 as 82, :func:`geo.personal_numbers.numerals_as_digits`),
    upper case, and nothing but letters and digits: ``郑/峰/东``, ``郑 峰\u200b东`` and ``郑峰东``
    are one. Traditional characters are not folded to simplified (no such library here).

    Examples
    --------
    >>> _plain("郑/峰 ·东，一组八十二号，zheng_feng")
    '郑峰东1组82号ZHENGFENG'
    """
    read = numerals_as_digits(unicodedata.normalize("NFKC", text_))
    if any(char in read for char in _TENS):
        read = _CHINESE_NUMBER.sub(lambda m: _chinese_number(m.group()), read)
    return _NOT_PLAIN.sub("", read).upper()


def _names_value(plain_text: str, label: str, value: str) -> bool:
    """Whether ``plain_text`` (:func:`_plain`) holds the person's ``value`` of ``label``."""
    plain_value = _plain(value)
    if label == "住址":
        if len(plain_value) >= 4 and plain_value in plain_text:
            return True
        house = next((i for i, c in enumerate(plain_value) if c.isdigit()), len(plain_value))
        if len(plain_value) - house >= 4 and plain_value[house:] in plain_text:
            return True  # 1组82号: the house, from its first number on
        windows = (
            plain_value[i : i + _ADDRESS_WINDOW]
            for i in range(len(plain_value) - _ADDRESS_WINDOW + 1)
        )
        return any(any(c.isdigit() for c in w) and w in plain_text for w in windows)
    if label in ("电话", "身份证号"):
        return len(plain_value) >= 7 and plain_value in plain_text
    return len(plain_value) >= 2 and plain_value in plain_text


def own_values_in(text_: str, own: Mapping[str, str | None]) -> list[str]:
    """Return which of a person's own clear values ``text_`` writes, by label.

    A value is found however it is spaced or split (``李 涛俊``, ``李/涛/俊``), in full-width
    forms and with its numbers in Chinese numerals (``2组一百零三号``); a name counts from 2
    characters, a phone number and a resident ID from 7, an address whole (from 4 characters),
    from its first number on (``2组103号``: the house) or by any 6 characters of it holding a
    digit. Traditional characters and pinyin are not folded: a reason so written passes this
    check (it still may hold no number, :func:`check_reason`).

    Parameters
    ----------
    text_ : str
        Free text (a stated reason).
    own : mapping
        Label (:data:`OWN_VALUE_LABELS`: 姓名, 身份证号, 电话, 住址) → the clear value, or None.

    Returns
    -------
    list of str
        The labels of the values found, in the order of :data:`OWN_VALUE_LABELS`.

    Examples
    --------
    >>> own = {"姓名": "李涛俊", "电话": "13812345678", "住址": "兴宁社区2组103号"}
    >>> own_values_in("核实本人李 涛俊的住址：2组103号", own)
    ['姓名', '住址']
    >>> own_values_in("核实李/涛/俊的住址：二组一百零三号", own)
    ['姓名', '住址']
    >>> own_values_in("核实走访对象身份", own)
    []
    """
    plain_text = _plain(text_)
    return [
        label
        for label in OWN_VALUE_LABELS
        if (value := own.get(label)) and _names_value(plain_text, label, value)
    ]


def check_reason(
    reason: str, *, own: Mapping[str, str | None] | None = None, whose: str = "该人员"
) -> str:
    """Return ``reason`` trimmed, or refuse it when it is no real reason for reading clear data.

    A reason is at least :data:`MIN_REASON_LENGTH` characters, not all the same character,
    with at least one character that is not ASCII, a digit, punctuation or a space (a reason is
    written in Chinese: ``aaaa``, ``1234``, ``....`` are refused), not a placeholder or a short
    unit repeated (``测试测试``, ``看看看看``, ``随便看看``: :data:`PLACEHOLDER_REASONS`), and
    holds no personal data, since the reason is stored in the audit log that the auditor (who
    may not unmask) reads: no resident ID or mobile number, however written
    (:func:`geo.personal_numbers.find_personal_numbers`), no :data:`REASON_DIGITS` digits or
    more in all (a reason needs no number: a number in parts, in Chinese or financial numerals,
    however spaced, is refused so), and, given ``own``, none of the very person's own clear
    values (:func:`own_values_in`). The messages say why and never repeat the reason.

    Parameters
    ----------
    reason : str
        The reason as stated.
    own : mapping, optional
        The clear values of the person whose data is read (姓名, 身份证号, 电话, 住址 → value).
    whose : str
        Who they are, in the message (``该人员``, ``反映人``).

    Returns
    -------
    str
        The reason without surrounding spaces.

    Raises
    ------
    InvalidInput
        The reason is too short, a repeated character, has no Chinese words, holds a resident
        ID or a mobile number, 7 digits or more, or one of the person's own values.

    Examples
    --------
    >>> check_reason("  核实走访情况 ")
    '核实走访情况'
    >>> refused = ("核实", "aaaa", "1234", "....", "啊啊啊啊", "check id", "测试测试", "看看。")
    >>> for bad in refused:
    ...     try:
    ...         check_reason(bad)
    ...     except InvalidInput:
    ...         pass
    ...     else:
    ...         print("accepted", bad)
    >>> check_reason("核实身份 5304 2419 8006 1868 58")
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 查看事由中不要写身份证号：事由会记入审计日志
    >>> check_reason("核实身份，前六位530424，出生1991")
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 查看事由中不要写号码或成串的数字：事由会记入审计日志
    >>> check_reason("核实2026年12月走访情况")
    '核实2026年12月走访情况'
    >>> check_reason("核实李涛俊的情况", own={"姓名": "李涛俊"})
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 查看事由中不要写该人员的姓名：事由会记入审计日志
    """
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(f"请填写不少于 {MIN_REASON_LENGTH} 个字的查看事由")
    if len(set(reason)) == 1 or all(_is_filler(c) for c in reason) or _says_nothing(reason):
        raise InvalidInput("请用中文写明查看事由，例如“核实走访对象身份”")
    kinds = personal_number_kinds(reason)
    if not kinds and _RESIDENT_ID.search(reason):  # 17 digits and a wrong check character
        kinds = [KIND_LABELS["resident_id"]]
    if kinds:
        raise InvalidInput(f"查看事由中不要写{'、'.join(kinds)}：{REASON_LOGGED}")
    if digit_count(reason) >= REASON_DIGITS:
        raise InvalidInput(f"查看事由中不要写{NUMBERS_IN_REASON}：{REASON_LOGGED}")
    named = own_values_in(reason, own) if own else []
    if named:
        raise InvalidInput(f"查看事由中不要写{whose}的{'、'.join(named)}：{REASON_LOGGED}")
    return reason


def loggable_reason(reason: str, own: Mapping[str, str | None] | None = None) -> str | None:
    """Return a refused ``reason`` as the audit log may keep it: without personal data.

    Each resident ID and mobile number, however written, becomes a placeholder, and so does
    each of the person's own values written as stored; what still holds
    :data:`REASON_DIGITS` digits loses every number; a reason that still names one of the
    person's values (written otherwise) is kept as a placeholder only.

    Parameters
    ----------
    reason : str
        The reason as stated (trimmed).
    own : mapping, optional
        The person's clear values, as for :func:`check_reason`.

    Returns
    -------
    str or None
        The reason fit for the audit log; None when empty.

    Examples
    --------
    >>> loggable_reason("核实身份 5304 2419 8006 1868 58，电话13812345678")
    '核实身份 [身份证号已略去]，电话[手机号已略去]'
    >>> loggable_reason("核实李涛俊的情况", {"姓名": "李涛俊"})
    '核实[姓名已略去]的情况'
    >>> loggable_reason("核实李 涛 俊", {"姓名": "李涛俊"})
    '[事由含个人信息，已略去]'
    >>> loggable_reason("核实身份，前六位530424，出生1991")
    '核实身份，前[数字已略去]位[数字已略去]，出生[数字已略去]'
    """
    out: list[str] = []
    at = 0
    for number in find_personal_numbers(reason):
        out += [reason[at : number.start], f"[{KIND_LABELS[number.kind]}已略去]"]
        at = number.end
    kept = without_ids("".join(out) + reason[at:])
    if digit_count(kept) >= REASON_DIGITS:
        kept = without_numerals(kept, "[数字已略去]")
    for label in OWN_VALUE_LABELS:
        value = (own or {}).get(label)
        if value and len(value.strip()) >= 2:
            kept = kept.replace(value.strip(), f"[{label}已略去]")
    if own and own_values_in(kept, own):
        return "[事由含个人信息，已略去]"
    return kept or None


def masked_ids(text_: str) -> str:
    """Return ``text_`` with every resident-ID-like number masked (an imported file's name).

    Parameters
    ----------
    text_ : str
        A name or short text.

    Returns
    -------
    str
        The text, each such number as :func:`geo.codes.mask_resident_id` shows it.

    Examples
    --------
    >>> masked_ids("530424197001012010.csv")
    '530424********2010.csv'
    """
    return _RESIDENT_ID.sub(lambda found: mask_resident_id(found.group()), text_)


def without_ids(text_: str) -> str:
    """Return ``text_`` with every resident-ID-like number replaced by a placeholder.

    Parameters
    ----------
    text_ : str
        Free text (a refused reason).

    Returns
    -------
    str
        The text, fit for the audit log.

    Examples
    --------
    >>> without_ids("核实530424197001012010")
    '核实[身份证号已略去]'
    """
    return _RESIDENT_ID.sub("[身份证号已略去]", text_)


def record_layer_read(
    session: Session,
    *,
    actor_id: int,
    actor_name: str,
    collection_id: str,
    scope_code: str,
    returned: int | None,
    matched: int | None,
    bbox: Sequence[float] | None = None,
    feature_id: str | None = None,
    zoom: int | None = None,
    view: str | None = None,
) -> AuditEntry:
    """Append the entry of one read of a layer's features (``layer.read``), never the features.

    A page of features is entered against the layer (``layer``, the collection id); a single
    feature against its object (``person`` 4539 for the special-population layer, see
    :data:`FEATURE_OBJECT_TYPES`), so that the entries about one person find it. An area of the
    layer's map tiles (:mod:`api.tile_reads`) is entered with its box and zoom, without counts.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The reader's session (committed with the response).
    actor_id : int
        User id.
    actor_name : str
        Login name.
    collection_id : str
        The layer read.
    scope_code : str
        The reader's scope (12-digit code).
    returned, matched : int or None
        Features returned by this request, and matching its filters (None: tiles).
    bbox : sequence of float, optional
        The box asked for (west, south, east, north).
    feature_id : str, optional
        The single feature read.
    zoom : int, optional
        The zoom of the map tiles read.
    view : str, optional
        The page of the console that read the layer's records other than the map (``visits``:
        the 走访 list), so that the auditor tells the reads apart.

    Returns
    -------
    layers.model.AuditEntry
        The flushed entry.
    """
    detail: dict[str, Any] = {"collection": collection_id, "scope_code": scope_code}
    if returned is not None and matched is not None:
        detail |= {"returned": returned, "matched": matched}
    if zoom is not None:
        detail["zoom"] = zoom
    if view is not None:
        detail["view"] = view
    if bbox is not None:
        detail["bbox"] = [round(float(v), 6) for v in bbox]
    if feature_id is None:
        object_type, object_id = "layer", collection_id
    else:
        object_type = FEATURE_OBJECT_TYPES.get(collection_id, collection_id)
        object_id = feature_id
    return record(
        session,
        actor_id=actor_id,
        actor_name=actor_name,
        action=LAYER_READ,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


@dataclass(frozen=True)
class PersonLabel:
    """What the auditor may know of a person an entry is about: masked, never clear.

    Attributes
    ----------
    name_masked : str
        The first character of the name, then ``*``.
    category : str
        Special-population category code.
    category_label : str
        Its Chinese name.
    erased : bool
        The record was erased after the person left the register (:mod:`layers.person_erasure`):
        this is what its trace keeps.
    import_id : int or None
        The import that last wrote the record (its ``import.loaded`` entry says who, when,
        which file); None: registered by hand (its ``person.register`` entry) or erased.
    """

    name_masked: str
    category: str
    category_label: str
    erased: bool = False
    import_id: int | None = None


def person_labels(session: Session, object_ids: Iterable[str | None]) -> dict[str, PersonLabel]:
    """Return the masked name and category of the persons entries name, by object id.

    A record erased since (:mod:`layers.person_erasure`) is labelled from its trace.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The auditor's session (row-level security: persons of the auditor's scope only,
        including those who left the register and those erased).
    object_ids : iterable of str or None
        Object ids of ``person`` entries; ids that are no number are skipped.

    Returns
    -------
    dict of str to PersonLabel
        Labels of the persons found.
    """
    from layers.catalog import MASKED_NAME_SQL  # the catalog imports this module (via cases)

    rows = _rows_of(
        session,
        f"SELECT t.id, t.category, {MASKED_NAME_SQL} AS masked, false AS erased,"
        " t.import_id FROM persons t WHERE t.id = ANY(:ids)"
        " UNION ALL SELECT e.id, e.category, e.name_masked, true, NULL FROM erased_persons e"
        " WHERE e.id = ANY(:ids)",
        object_ids,
    )
    labels = PersonCategory.labels()
    return {
        str(r.id): PersonLabel(
            r.masked, r.category, labels.get(r.category, r.category), r.erased, r.import_id
        )
        for r in rows
    }


ACCOUNT_OBJECT = "user"
"""Object type of the entries about an account (``user.unmask_granted`` …, ``login``)."""


@dataclass(frozen=True)
class AccountLabel:
    """The account an entry is about, as the auditor reads it: login name, shown name, post, scope.

    Attributes
    ----------
    username : str
        The login name.
    display_name : str
        The name the account is shown by (its top bar's: 县人社局, 华宁县研判分析员), any
        resident-ID-like number in it masked (:func:`masked_ids`).
    role : str
        Its role code.
    role_label : str
        The role in Chinese (``研判分析员``).
    scope_code : str
        Its scope (12-digit code).
    scope_name : str or None
        The name of the scope's unit (None: a unit the auditor's session does not see).
    """

    username: str
    display_name: str
    role: str
    role_label: str
    scope_code: str
    scope_name: str | None


def account_labels(session: Session, object_ids: Iterable[str | None]) -> dict[str, AccountLabel]:
    """Return the login name, shown name, post and scope of the accounts entries name, by id.

    The account as it is now (an entry holds only its number): an account renamed or moved
    since is named as it is today.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The auditor's session (every account; the scope's name where the session sees it).
    object_ids : iterable of str or None
        Object ids of ``user`` entries; ids that are no number are skipped.

    Returns
    -------
    dict of str to AccountLabel
        Labels of the accounts found.
    """
    ids = _numbers(object_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            User.id, User.username, User.display_name, User.role, User.scope_code, Jurisdiction.name
        )
        .outerjoin(Jurisdiction, Jurisdiction.code == User.scope_code)
        .where(User.id.in_(ids))
    )
    roles = Role.labels()
    return {
        str(r.id): AccountLabel(
            r.username,
            masked_ids(r.display_name),
            r.role,
            roles.get(r.role, r.role),
            r.scope_code,
            r.name,
        )
        for r in rows
    }


@dataclass(frozen=True)
class CaseLabel:
    """The case an entry is about, as the auditor reads it: its code and whose report it is.

    Attributes
    ----------
    code : str
        The case code (``530424-20261206-00004241``), not the internal id.
    reporter_masked : str or None
        The reporter's name masked (``张**``; None: no reporter named).
    """

    code: str
    reporter_masked: str | None


def case_labels(session: Session, object_ids: Iterable[str | None]) -> dict[str, CaseLabel]:
    """Return the code and the masked reporter of the cases entries name, by object id.

    Trial AO m1: 查看反映人信息 named the case 「编号 4241」, its internal id.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The auditor's session (row-level security: the cases of the auditor's scope).
    object_ids : iterable of str or None
        Object ids of ``case`` entries; ids that are no number are skipped.

    Returns
    -------
    dict of str to CaseLabel
        Labels of the cases found.
    """
    from layers.cases import mask_name  # layers.cases imports this module

    rows = _rows_of(
        session, "SELECT id, code, reporter_name FROM cases WHERE id = ANY(:ids)", object_ids
    )
    labels = {}
    for r in rows:
        given = (r.reporter_name or "").strip()  # a name left blank is no reporter, not *
        labels[str(r.id)] = CaseLabel(r.code, mask_name(given) if given else None)
    return labels


@dataclass(frozen=True)
class ImportLabel:
    """The import an entry is about: its file (resident-ID-like numbers masked), kind and day.

    Attributes
    ----------
    file_name : str
        The imported file's name, any resident-ID-like number masked (:func:`masked_ids`).
    kind : str
        The kind imported (``persons``).
    day : str
        The day it started, Beijing time (``2026-12-05``).
    """

    file_name: str
    kind: str
    day: str


def import_labels(session: Session, object_ids: Iterable[str | None]) -> dict[str, ImportLabel]:
    """Return the file, kind and day of the imports entries name, by object id.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    object_ids : iterable of str or None
        Object ids of ``import`` entries; ids that are no number are skipped.

    Returns
    -------
    dict of str to ImportLabel
        Labels of the imports found.
    """
    rows = _rows_of(
        session,
        "SELECT id, file_name, kind,"
        " to_char(started_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day"
        " FROM import_runs WHERE id = ANY(:ids)",
        object_ids,
    )
    return {str(r.id): ImportLabel(masked_ids(r.file_name), r.kind, r.day) for r in rows}


def _numbers(object_ids: Iterable[str | None]) -> list[int]:
    """Return the object ids that are numbers (a bigint's digits at most), sorted, once each."""
    return sorted({int(i) for i in object_ids if i is not None and i.isdigit() and len(i) < 19})


def _rows_of(session: Session, query: str, object_ids: Iterable[str | None]) -> Sequence[Row[Any]]:
    """Return the rows ``query`` reads for the object ids that are numbers, bound as ``:ids``.

    No statement runs when none is a number.
    """
    ids = _numbers(object_ids)
    return session.execute(text(query), {"ids": ids}).all() if ids else []


def verify_chain(session: Session, *, batch: int = 5000) -> bool | int:
    """Check every link of the audit chain in id order.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    batch : int
        Rows fetched per round trip.

    Returns
    -------
    bool or int
        ``True`` when the chain is intact, else the id of the first row whose ``prev_hash`` or
        ``hash`` does not match.
    """
    prev: bytes | None = None
    rows = session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    )
    for entry in rows.scalars():
        if entry.prev_hash != prev or entry.hash != chain_hash(prev, _hashed_fields(entry)):
            return entry.id
        prev = entry.hash
    return True


@dataclass(frozen=True)
class EntryFilter:
    """The filters of the auditor's list (all optional; see :func:`entries`).

    Attributes
    ----------
    action, actor_name : str or None
        Only this action; only this actor.
    since, until : datetime or None
        Only entries with ``since <= at < until``.
    object_type, object_id : str or None
        Only entries about this kind of object, and this object.
    """

    action: str | None = None
    actor_name: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    object_type: str | None = None
    object_id: str | None = None


def _filtered(where: EntryFilter) -> Select[Any]:
    query = select(AuditEntry)
    if where.action is not None:
        query = query.where(AuditEntry.action == where.action)
    if where.actor_name is not None:
        query = query.where(AuditEntry.actor_name == where.actor_name)
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    if where.object_type is not None:
        query = query.where(AuditEntry.object_type == where.object_type)
    if where.object_id is not None:
        query = query.where(AuditEntry.object_id == where.object_id)
    return query


def entries(
    session: Session,
    *,
    limit: int = 100,
    offset: int = 0,
    action: str | None = None,
    actor_name: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> AuditPage:
    """Return a page of audit entries, newest first, with optional filters.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    limit : int
        Page size (clamped to 1–1000).
    offset : int
        Rows to skip (negative counts as 0).
    action : str, optional
        Only this action.
    actor_name : str, optional
        Only this actor.
    since, until : datetime, optional
        Only entries with ``since <= at < until``.
    object_type, object_id : str, optional
        Only entries about this kind of object, and this object (e.g. ``person``, ``4539``).

    Returns
    -------
    AuditPage
        The page and the total match count.
    """
    query = _filtered(
        EntryFilter(action, actor_name, since, until, object_type, object_id),
    )
    matched = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000))).offset(max(0, offset))
    ).all()
    return AuditPage(list(page), matched)


EXPORT_LIMIT = 50_000
"""The most entries one export holds: beyond it the auditor narrows the filter (dates)."""
EXPORT_ACTION = "audit.export"
"""Audit action of an export of the audit log (its filter, format and rows; no personal data)."""


def entries_to_export(session: Session, where: EntryFilter) -> list[AuditEntry]:
    """Return every entry the filter shows, newest first, for an export.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The auditor's session.
    where : EntryFilter
        The filters of the list as shown.

    Returns
    -------
    list of AuditEntry
        All of them (the list's every page).

    Raises
    ------
    InvalidInput
        More than :data:`EXPORT_LIMIT` entries match: said in Chinese, with how many.
    """
    query = _filtered(where)
    matched = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if matched > EXPORT_LIMIT:
        raise InvalidInput(
            f"符合条件的记录共 {matched} 条，超过单次导出上限 {EXPORT_LIMIT} 条；"
            "请缩短日期范围或增加筛选条件后分批导出"
        )
    return list(session.scalars(query.order_by(AuditEntry.id.desc())).all())


def record_export(
    session: Session,
    *,
    actor_id: int,
    actor_name: str,
    where: EntryFilter,
    file_format: str,
    rows: int,
) -> AuditEntry:
    """Append the entry of an export of the audit log: its filter, format and rows, no data.

    A value typed into a filter that looks like a resident ID is masked (:func:`masked_ids`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The auditor's session (committed with the response).
    actor_id : int
        The auditor's account.
    actor_name : str
        Its login name.
    where : EntryFilter
        The filters exported.
    file_format : str
        ``xlsx`` or ``csv``.
    rows : int
        Entries written to the file.

    Returns
    -------
    layers.model.AuditEntry
        The flushed entry.
    """
    given = {
        "action": where.action,
        "actor": where.actor_name,
        "since": where.since.astimezone(UTC).isoformat() if where.since else None,
        "until": where.until.astimezone(UTC).isoformat() if where.until else None,
        "object_type": where.object_type,
        "object_id": where.object_id,
    }
    shown = {key: masked_ids(value) for key, value in given.items() if value is not None}
    return record(
        session,
        actor_id=actor_id,
        actor_name=actor_name,
        action=EXPORT_ACTION,
        detail={"filter": shown, "format": file_format, "rows": rows},
    )


def _import_origins(session: Session, ids: list[str]) -> dict[str, str]:
    """Return, by person id, the import that last wrote each record (those an import wrote)."""
    rows = session.execute(
        text(
            "SELECT p.id, r.id AS run, r.file_name, r.username,"
            " (r.started_at AT TIME ZONE 'Asia/Shanghai')::date AS day"
            " FROM persons AS p JOIN import_runs AS r ON r.id = p.import_id"
            " WHERE p.id = ANY(CAST(:ids AS bigint[]))"
        ),
        {"ids": [int(i) for i in ids if i.isdigit()]},
    ).all()
    return {
        str(r.id): f"导入编号 {r.run}（{r.file_name}，{r.username}，{r.day:%Y-%m-%d}）"
        for r in rows
    }


LOOKUP_ACTION = "audit.person_lookup"
"""Audit action of an auditor's search for the persons of a resident ID (never the ID itself)."""


@dataclass(frozen=True)
class FoundPerson:
    """A person record a resident ID names, as the auditor may know it (masked).

    Attributes
    ----------
    id : str
        The person's id: the ``object_id`` of the entries about them.
    label : PersonLabel
        Masked name and category.
    origin : str or None
        The import that last wrote the record (``导入编号 12（台账.csv，clerk，2026-12-05）``):
        a roster's person has no audit entry of their own, only their import's. ``None`` for a
        record registered by hand (its ``person.register`` entry says who) or erased.
    """

    id: str
    label: PersonLabel
    origin: str | None = None


def persons_of_resident_id(
    session: Session, keys: Keys, resident_id: str, *, actor_id: int, actor_name: str
) -> list[FoundPerson]:
    """Return the person records of a resident ID, to ask who read them; the search audited.

    A citizen asks who looked at their record: the auditor knows the ID, not the record's id.
    A record erased since is found by its trace (:class:`layers.model.ErasedPerson`).
    The ID is hashed with the platform key (the persons' natural key) and never stored, logged
    or answered; the search is an entry of its own (:data:`LOOKUP_ACTION`, how many found).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The auditor's session (row-level security: the persons of the auditor's scope,
        including those who left the register); the entry commits with it.
    keys : Keys
        The platform keys.
    resident_id : str
        The ID as typed (full-width digits, spaces and hyphens read as :mod:`layers.secrets` does).
    actor_id : int
        The auditor's account.
    actor_name : str
        Its name.

    Returns
    -------
    list of FoundPerson
        One per record (a person in two categories has two), by id.

    Raises
    ------
    InvalidInput
        Not a valid resident ID (its check digit, date or length).
    """
    number = normalise_resident_id(resident_id)
    if not is_valid_resident_id(number):
        raise InvalidInput("身份证号无效：请核对 18 位号码（含校验位）")
    ids = session.execute(
        text(
            "SELECT id FROM persons WHERE id_hash = :h"
            " UNION ALL SELECT id FROM erased_persons WHERE id_hash = :h"
        ),
        {"h": hash_resident_id(keys, number)},
    ).scalars()
    labels = person_labels(session, (str(i) for i in ids))
    origins = _import_origins(session, list(labels))
    found = [
        FoundPerson(key, label, origins.get(key))
        for key, label in sorted(labels.items(), key=_by_id)
    ]
    record(
        session,
        actor_id=actor_id,
        actor_name=actor_name,
        action=LOOKUP_ACTION,
        object_type="person" if len(found) == 1 else None,
        object_id=found[0].id if len(found) == 1 else None,
        detail={"found": len(found), "person_ids": [p.id for p in found]},
    )
    return found


def _by_id(item: tuple[str, PersonLabel]) -> int:
    return int(item[0])
