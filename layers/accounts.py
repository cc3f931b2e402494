"""User accounts: creation under a password policy, argon2 hashes, login with lockout.

Who may hold the unmask permission (read a special-population person's clear name and resident
ID, with a reason, audited: :mod:`layers.disclosure`) is one rule, :func:`may_hold_unmask`: the
roles that direct or visit the people of their scope (:data:`UNMASK_ROLES`: 指挥中心值班员,
乡镇调度员 and 网格员, for the scope of their own account), in a scope of a county or below:
the accounts that see the persons layer one by one
(:func:`layers.catalog.sees_persons_individually`, the same rule). A department, an analyst, an
administrator or an auditor, and a province or city account (which reads persons as counts
only), is never given it (:func:`unmask_refusal`, checked by :func:`create_user` and
:func:`set_unmask`, which also takes it back), and a flag such an account carries has no effect
(:func:`unmask_effective`).

The default :class:`PasswordPolicy` follows the MLPS 2.0 (等保 2.0) level-3 profile commonly
applied to identity authentication: at least 8 characters, at least three of the four character
classes (upper case, lower case, digits, symbols), not containing the user name nor a variant
of one of its words (``Analyst@2026`` for ``analyst.530424``), not one of
the most common passwords (:data:`COMMON_PASSWORDS`) nor a variant of one (:data:`COMMON_WORDS`:
``Password2``, ``Admin@2026``), nor mostly the platform's name (:data:`PRODUCT_WORDS`). Logins
lock an account for :attr:`LockoutPolicy.lock_minutes` after :attr:`LockoutPolicy.max_failures`
consecutive failures, except at the address its owner last logged in from (:func:`authenticate`);
a login name no account has is counted and answered alike, in the database as an account is
(``unknown_login_names``), so the answers do not tell which names exist, restart or not. A
client address failing under many names is throttled besides (:class:`LoginThrottle`, applied
by :mod:`api.auth`), except for the accounts that last logged in from it
(:func:`last_login_address`).

A session is one access token: logging out ends it (:func:`end_session`), disabling the account
ends all of its sessions (a trigger sets ``users.sessions_ended_at``), a new password all those
issued before it (``password_changed_at``).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.codes import division_level, scope_range
from layers.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    WeakPassword,
)
from layers.model import Grid, Jurisdiction, Level, Role, User, Worker, WorkerStatus
from layers.model.accounts import EndedSession, UnknownLoginName
from layers.settings import Argon2Cost, env_int

USERNAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,50}$")
"""User names: 2–50 letters, digits, ``_ . -`` or CJK ideographs."""

WRONG_LOGIN = "用户名或密码错误"
"""One message for an unknown user, an inactive account and a wrong password."""

_CLASSES = (
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("符号", re.compile(r"[^A-Za-z0-9]")),
)


COMMON_PASSWORDS: frozenset[str] = frozenset(
    """
    password1 password12 password123 password1! password@1 password@123 passw0rd passw0rd!
    p@ssw0rd p@ssword p@ssword1 p@ssw0rd1 p@55w0rd pa$$w0rd pa$$word1 qwerty123 qwerty1!
    qwer1234 qwe123!@# abc@123 abc@1234 abc@12345 abc@123456 abc123456! abcd@1234 abcd1234!
    aa123456 aa123456! aa@123456 aa112233 admin123 admin@123 admin@1234 admin123! admin@12345
    administrator1 root@123 test@123 test1234! welcome1 welcome@1 welcome123 letmein1 iloveyou1
    1qaz@wsx 1qaz!qaz 1qaz@wsx3edc !qaz2wsx zaq1@wsx qq123456 qq@123456 woaini1314 woaini@1314
    a123456! a1234567! 123qwe!@# 1q2w3e4r! 1q2w3e4r5t huawei@123
    huawei123 sangfor@123 h3c@123 changeme1 changeme! china@123 china123 beijing2008 dragon123
    monkey123 sunshine1 football1
    """.split()
)
"""The most common passwords that the character-class rule alone would let through (as
``Password1``: 9 characters of three classes): words that head the published lists of leaked
passwords, and vendors' default passwords common in China; compared ignoring case. A short list on
purpose: guessing tools try these first; it does not replace the lockout."""

COMMON_WORDS: tuple[str, ...] = tuple(
    """
    password passwd pass qwerty qwer asdf asdfgh zxcv qazwsx abc abcd abcde aa qq admin
    administrator root test guest user login system master super superman welcome letmein
    iloveyou woaini hello huawei sangfor hec changeme china beijing shanghai dragon monkey
    sunshine football baseball zongzhi
    """.split()
)
"""The words under the common passwords: a password that is one of them once its case, leading
and trailing digits and symbols (``2026``, ``@123``, ``!``) and look-alike characters (:data:`LEET`)
are set aside is refused as a variant (``Password2``, ``P@ssw0rd#2026``, ``Admin@2026``)."""

LEET: tuple[dict[str, str], ...] = (
    {"@": "a", "0": "o", "1": "i", "3": "e", "$": "s"},
    {"@": "a", "0": "o", "1": "l", "3": "e", "$": "s"},
)
"""Look-alike characters read as the letters they stand for (``1`` as ``i`` or ``l``)."""

PRODUCT_WORDS: tuple[str, ...] = ("zongzhi", "综治", "admin")
"""The platform's and the sites' own names: the first words a guesser tries here."""

PRODUCT_OTHER_LETTERS = 4
"""A password holding a product word needs at least this many other letters
(``Zz-Account-Admin-2026!`` is accepted, ``MyAdmin#2026`` is not)."""


def _unleet(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(char, char) for char in text)


def _common_variant(lowered: str, words: Iterable[str] = COMMON_WORDS) -> str | None:
    """Return the word of ``words`` (default: :data:`COMMON_WORDS`) ``lowered`` is a variant of.

    None when it is a variant of none.
    """
    letters = [i for i, char in enumerate(lowered) if char.isalpha()]
    if not letters:
        return None
    first, last = letters[0], letters[-1] + 1
    words = set(words)
    # the word may begin or end with a look-alike (``@dmin``, ``hell0``): try each cut of the
    # digits and symbols around the letters
    for start in range(first + 1):
        for end in range(last, len(lowered) + 1):
            for table in LEET:
                core = _unleet(lowered[start:end], table)
                if core in words:
                    return core
    return None


def _product_word(lowered: str) -> str | None:
    """Return the product word ``lowered`` mostly is, or None (see :data:`PRODUCT_WORDS`)."""
    for table in LEET:
        read = _unleet(lowered, table)
        for word in PRODUCT_WORDS:
            at = read.find(word)
            if at < 0:
                continue
            rest = lowered[:at] + lowered[at + len(word) :]
            if sum(1 for char in rest if char.isalpha()) < PRODUCT_OTHER_LETTERS:
                return word
    return None


NAME_PART_LETTERS = 4
"""A login name's alphabetic parts this long or longer are refused as passwords as the common
words are (:func:`_name_parts`)."""


def _name_parts(username: str) -> tuple[str, ...]:
    """Return the parts of ``username`` a password may not be a variant of (lower case).

    The login name split on ``. _ -`` and digits, parts of :data:`NAME_PART_LETTERS` letters
    or more: ``analyst.530424`` gives ``analyst``, ``gridworker.530424101_wang`` gives
    ``gridworker`` and ``wang``.

    Examples
    --------
    >>> _name_parts("gridworker.530424101_wang-li")
    ('gridworker', 'wang')
    """
    parts = re.split(r"[._\-0-9]+", username.lower())
    return tuple(part for part in parts if len(part) >= NAME_PART_LETTERS and part.isalpha())


def _holds_username(lowered: str, username: str) -> bool:
    """Return whether ``lowered`` contains ``username``, look-alikes read alike in both."""
    name = username.lower()
    if name in lowered:
        return True
    return any(_unleet(name, table) in _unleet(lowered, table) for table in LEET)


UNMASK_ROLES: frozenset[str] = frozenset({Role.COMMANDER, Role.DISPATCHER, Role.GRID_WORKER})
"""The roles that may hold the unmask permission: those that direct or visit their scope."""


@dataclass(frozen=True)
class Reader:
    """Who reads personal data: asks to unmask a person, or opens a visit photo.

    Attributes
    ----------
    user_id : int
        Account id.
    username : str
        Login name (written to the audit log).
    role : str
        Role code.
    scope_code : str
        12-digit code of the account's scope.
    can_unmask : bool
        The account's unmask flag (:func:`unmask_effective` says whether it holds).
    worker_id : int or None
        The worker record the account is linked to (a visit photo's own worker reads it).
    """

    user_id: int
    username: str
    role: str
    scope_code: str
    can_unmask: bool
    worker_id: int | None = None


def may_hold_unmask(role: str, scope_code: str) -> bool:
    """Return whether an account of ``role`` at ``scope_code`` may hold the unmask permission.

    Parameters
    ----------
    role : str
        A :class:`layers.model.Role` code.
    scope_code : str
        12-digit code of the account's scope.

    Returns
    -------
    bool
        True for the roles of :data:`UNMASK_ROLES` in a scope where they see the persons one
        by one (:func:`layers.catalog.sees_persons_individually`: a county or below), a grid
        worker's no wider than a township (:data:`GRID_WORKER_WIDEST`: a worker visits the
        persons of a grid, not of a county).

    Examples
    --------
    >>> county, city = "530424000000", "530400000000"
    >>> may_hold_unmask("commander", county), may_hold_unmask("department", county)
    (True, False)
    >>> may_hold_unmask("commander", city)
    False
    >>> may_hold_unmask("grid_worker", county), may_hold_unmask("grid_worker", "530424100000")
    (False, True)
    """
    from layers import catalog  # layers.catalog imports layers.cases, which imports this module

    if role == Role.GRID_WORKER and division_level(scope_code) < GRID_WORKER_WIDEST:
        return False
    return role in UNMASK_ROLES and catalog.sees_persons_individually(role, scope_code)


GRID_WORKER_WIDEST = Level.TOWNSHIP
"""The widest scope a grid worker's account may read clear data in (:func:`may_hold_unmask`)."""


def unmask_effective(role: str, *, can_unmask: bool, scope_code: str) -> bool:
    """Return whether an account may really read clear data: it holds the flag, and may hold it.

    Parameters
    ----------
    role : str
        The account's role code.
    can_unmask : bool
        The account's unmask flag.
    scope_code : str
        12-digit code of the account's scope.

    Returns
    -------
    bool
        False for a flag on an account that may not hold it (:func:`may_hold_unmask`: given
        before the rule).

    Examples
    --------
    >>> unmask_effective("grid_worker", can_unmask=True, scope_code="530424101001")
    True
    >>> unmask_effective("analyst", can_unmask=True, scope_code="530424000000")
    False
    >>> unmask_effective("commander", can_unmask=True, scope_code="530000000000")
    False
    """
    return can_unmask and may_hold_unmask(role, scope_code)


def unmask_refusal(role: str, scope_code: str) -> str | None:
    """Return why an account of ``role`` at ``scope_code`` cannot hold the unmask permission.

    Parameters
    ----------
    role : str
        A :class:`layers.model.Role` code.
    scope_code : str
        12-digit code of the account's scope.

    Returns
    -------
    str or None
        The refusal in Chinese, naming the roles, or the levels, that may; None for an account
        that may.

    Examples
    --------
    >>> unmask_refusal("department", "530424000000")
    '部门处置人员不能查看个人信息明文：此权限只能授予指挥中心值班员、乡镇调度员、网格员'
    >>> print(unmask_refusal("commander", "530400000000"))
    市级账号不能查看个人信息明文：此权限只能授予县、乡镇、村社区级的账号（省、市级账号只能查看特殊人群的汇总数）
    >>> unmask_refusal("dispatcher", "530424100000") is None
    True
    >>> print(unmask_refusal("grid_worker", "530424000000"))
    县级的网格员账号不能查看个人信息明文：网格员账号的辖区为乡镇、村社区时才可授予此权限（请把账号的辖区改为其网格所在的乡镇或村社区）
    """
    if may_hold_unmask(role, scope_code):
        return None
    labels = Role.labels()
    if role not in UNMASK_ROLES:
        may = "、".join(label for code, label in labels.items() if code in UNMASK_ROLES)
        return f"{labels.get(role, role)}不能查看个人信息明文：此权限只能授予{may}"
    from layers.catalog import VISITING_FROM_LEVEL as narrow  # see may_hold_unmask

    level = Level(division_level(scope_code)).label
    if role == Role.GRID_WORKER and narrow <= division_level(scope_code) < GRID_WORKER_WIDEST:
        allowed = "、".join(each.label for each in Level if each >= GRID_WORKER_WIDEST)
        return (
            f"{level}级的网格员账号不能查看个人信息明文：网格员账号的辖区为{allowed}时"
            "才可授予此权限（请把账号的辖区改为其网格所在的乡镇或村社区）"
        )
    allowed = "、".join(level.label for level in Level if level >= narrow)
    wide = "、".join(level.label for level in Level if level < narrow)
    return (
        f"{level}级账号不能查看个人信息明文："
        f"此权限只能授予{allowed}级的账号（{wide}级账号只能查看特殊人群的汇总数）"
    )


IMPORT_KINDS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({"jurisdictions", "grids", "workers", "video", "cases"}),
    Role.COMMANDER: frozenset(
        {"jurisdictions", "grids", "workers", "video", "cases", "persons", "visits"}
    ),
    Role.DISPATCHER: frozenset({"grids", "workers", "video", "cases", "persons", "visits"}),
}
"""What each role may import from the console (``zongzhi import`` kinds); a role not listed
imports nothing. Special populations (``persons``, ``visits``) only where the account sees them
one by one (:func:`may_import`)."""


def may_import(role: str, scope_code: str, kind: str) -> bool:
    """Return whether an account of ``role`` at ``scope_code`` may import files of ``kind``.

    The one rule of the console's imports (浏览器导入); the import itself is confined to the
    account's scope (``--within``). Personal data (special populations and their visits) is
    imported only by the accounts that read it one by one
    (:func:`layers.catalog.sees_persons_individually`, the rule of :func:`may_hold_unmask`).

    Parameters
    ----------
    role : str
        A :class:`layers.model.Role` code.
    scope_code : str
        12-digit code of the account's scope.
    kind : str
        An import kind: ``jurisdictions``, ``grids``, ``workers``, ``video``, ``cases``,
        ``persons`` or ``visits``.

    Returns
    -------
    bool
        True when :data:`IMPORT_KINDS` gives the role the kind, and, for ``persons`` and
        ``visits``, the account sees persons one by one.

    Examples
    --------
    >>> county, city, town = "530424000000", "530400000000", "530424100000"
    >>> may_import("admin", county, "grids"), may_import("admin", county, "persons")
    (True, False)
    >>> may_import("commander", county, "persons"), may_import("commander", city, "persons")
    (True, False)
    >>> may_import("dispatcher", town, "visits"), may_import("dispatcher", town, "jurisdictions")
    (True, False)
    >>> may_import("analyst", county, "cases"), may_import("grid_worker", town, "cases")
    (False, False)
    >>> may_import("commander", county, "parcels")
    False
    """
    if kind not in IMPORT_KINDS.get(role, frozenset()):
        return False
    if kind in ("persons", "visits"):
        from layers import catalog  # see may_hold_unmask

        return catalog.sees_persons_individually(role, scope_code)
    return True


@dataclass(frozen=True)
class PasswordPolicy:
    """Rules a new password must meet.

    Attributes
    ----------
    min_length : int
        Minimum number of characters.
    max_length : int
        Maximum number of characters (bounds the hashing work).
    min_classes : int
        How many of the four classes (upper, lower, digit, symbol) must appear.
    forbid_username : bool
        Refuse passwords that contain the user name (case-insensitive).
    max_age_days : int
        After this many days a password must be changed before anything else (0: never).
    history : int
        An owner's new password may not be any of their last so many, the current one
        included (0 or 1: only not the current one).
    """

    min_length: int = 8
    max_length: int = 128
    min_classes: int = 3
    forbid_username: bool = True
    max_age_days: int = 0
    history: int = 5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PasswordPolicy:
        """Read the deployment's rules from ``ZONGZHI_PASSWORD_MIN_LENGTH``, ``…_MIN_CLASSES``.

        And ``ZONGZHI_PASSWORD_MAX_DAYS`` (0, the default: a password never expires), and
        ``ZONGZHI_PASSWORD_HISTORY`` (5, the default: how many passwords are remembered). The API
        and the ``zongzhi user`` commands read the same ones, so an administrator's password
        meets the rules its owner's would.

        Parameters
        ----------
        environ : mapping, optional
            The environment (default: ``os.environ``); a variable unset or empty keeps the
            default.

        Returns
        -------
        PasswordPolicy
            The rules.

        Raises
        ------
        ValueError
            A variable that is not a whole number.

        Examples
        --------
        >>> PasswordPolicy.from_env({"ZONGZHI_PASSWORD_MIN_LENGTH": "12"}).min_length
        12
        >>> PasswordPolicy.from_env({}).min_classes
        3
        """
        env = os.environ if environ is None else environ
        return cls(
            min_length=env_int(env, "ZONGZHI_PASSWORD_MIN_LENGTH", cls.min_length),
            min_classes=env_int(env, "ZONGZHI_PASSWORD_MIN_CLASSES", cls.min_classes),
            max_age_days=env_int(env, "ZONGZHI_PASSWORD_MAX_DAYS", cls.max_age_days),
            history=env_int(env, "ZONGZHI_PASSWORD_HISTORY", cls.history),
        )

    def problems(self, password: str, username: str = "") -> list[str]:
        """Return every rule ``password`` breaks (empty when it is acceptable).

        Parameters
        ----------
        password : str
            Candidate password.
        username : str
            The account's user name.

        Returns
        -------
        list of str
            One sentence (Chinese) per broken rule.

        Examples
        --------
        >>> PasswordPolicy().problems("Zz-20261123")
        []
        >>> PasswordPolicy().problems("tkw")
        ['少于 8 个字符', '只用了 1 类字符，至少需要 3 类（大写字母、小写字母、数字、符号）']
        >>> PasswordPolicy().problems("Wang.Wei-2026", "wang.wei")
        ['包含用户名']
        >>> PasswordPolicy().problems("Analyst@2026", "analyst.530424")
        ['与登录名 analyst 仅差大小写、数字或符号，请换一个']
        >>> PasswordPolicy().problems("Password1")
        ['是最常见的密码之一，容易被猜中']
        >>> PasswordPolicy().problems("P@ssw0rd#2026")
        ['过于常见（与常见密码 password 仅差大小写、数字或符号），请换一个']
        >>> PasswordPolicy().problems("Zongzhi#2026")
        ['过于常见（与常见密码 zongzhi 仅差大小写、数字或符号），请换一个']
        >>> PasswordPolicy().problems("MyAdmin#2026")
        ['以系统名称 admin 为主，容易被猜中，请换一个']
        """
        found: list[str] = []
        if len(password) < self.min_length:
            found.append(f"少于 {self.min_length} 个字符")
        if len(password) > self.max_length:
            found.append(f"多于 {self.max_length} 个字符")
        classes = sum(1 for _, pattern in _CLASSES if pattern.search(password))
        if classes < self.min_classes:
            kinds = "、".join(name for name, _ in _CLASSES)
            found.append(f"只用了 {classes} 类字符，至少需要 {self.min_classes} 类（{kinds}）")
        lowered = password.lower()
        if self.forbid_username and username and _holds_username(lowered, username):
            found.append("包含用户名")
        elif (
            self.forbid_username
            and username
            and (part := _common_variant(lowered, _name_parts(username))) is not None
        ):
            found.append(f"与登录名 {part} 仅差大小写、数字或符号，请换一个")
        if lowered in COMMON_PASSWORDS:
            found.append("是最常见的密码之一，容易被猜中")
        elif (word := _common_variant(lowered)) is not None:
            found.append(f"过于常见（与常见密码 {word} 仅差大小写、数字或符号），请换一个")
        elif (word := _product_word(lowered)) is not None:
            found.append(f"以系统名称 {word} 为主，容易被猜中，请换一个")
        return found

    def describe(self) -> str:
        """Say the rules, for the form where a new password is typed.

        Returns
        -------
        str
            One sentence (Chinese).

        Examples
        --------
        >>> PasswordPolicy().describe()
        '8–128 个字符，含大写字母、小写字母、数字、符号中的至少 3 类，不含用户名'
        >>> PasswordPolicy(min_length=12, min_classes=4, forbid_username=False).describe()
        '12–128 个字符，含大写字母、小写字母、数字、符号中的至少 4 类'
        """
        kinds = "、".join(name for name, _ in _CLASSES)
        said = (
            f"{self.min_length}–{self.max_length} 个字符，含{kinds}中的至少 {self.min_classes} 类"
        )
        return said + ("，不含用户名" if self.forbid_username else "")

    def check(self, password: str, username: str = "") -> None:
        """Raise if ``password`` breaks a rule.

        Parameters
        ----------
        password : str
            Candidate password.
        username : str
            The account's user name.

        Raises
        ------
        WeakPassword
            Listing every broken rule.
        """
        found = self.problems(password, username)
        if found:
            raise WeakPassword("密码不符合要求：" + "；".join(found), problems=found)


@dataclass(frozen=True)
class LockoutPolicy:
    """When repeated login failures lock an account.

    Attributes
    ----------
    max_failures : int
        Consecutive failures that lock the account.
    lock_minutes : int
        How long the lock lasts.
    """

    max_failures: int = 5
    lock_minutes: int = 30


@dataclass(frozen=True)
class LoginThrottle:
    """When failed logins from one client address make its next attempts wait.

    Failures under one login name are that name's lock's to count (:class:`LockoutPolicy`):
    a colleague who forgot a password, or a script guessing one account, does not stop the
    others behind the same address (a centre's NAT, a carrier's). What the throttle holds back
    is one address failing under many names: spraying one password over the accounts, or
    locking them one after another.

    Attributes
    ----------
    max_names : int
        How many different login names (accounts or not) may have failed from one address
        within ``window_minutes``: when that many have, the address is refused (429) until the
        earliest of their latest failures is ``window_minutes`` old, except under a name whose
        account last logged in successfully from that address (``users.login_address``), which
        is checked as usual. Successful logins are never counted.
    window_minutes : int
        The window.
    trust_proxy : bool
        Read the client's address from the last entry of ``X-Forwarded-For`` (set by the one
        proxy in front); else, the default, from the connection (a client could write any
        ``X-Forwarded-For`` it likes).
    """

    max_names: int = 10
    window_minutes: int = 15
    trust_proxy: bool = False


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHash:
    """Return the platform's password hasher (argon2id, at the cost of ``$ZONGZHI_ARGON2``).

    Unset, the cost is pwdlib's recommended one (:class:`layers.settings.Argon2Cost`); the
    variable is read once per process. A login whose hash has another cost is rehashed at this
    one (:func:`authenticate`).

    Returns
    -------
    pwdlib.PasswordHash
        The hasher.
    """
    return argon2_hasher(Argon2Cost.from_env())


def argon2_hasher(cost: Argon2Cost) -> PasswordHash:
    """Return the argon2id hasher of ``cost`` (verification reads the cost from the hash).

    Parameters
    ----------
    cost : layers.settings.Argon2Cost
        Memory, passes and lanes.

    Returns
    -------
    pwdlib.PasswordHash
        The hasher.
    """
    hasher = Argon2Hasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
    )
    return PasswordHash((hasher,))


def handover_hasher() -> PasswordHash:
    """Return the hasher of generated passwords opened in a batch (argon2id, OWASP's minimum).

    A generated password (:func:`generate_password`) holds about 71 bits of chance: no guessing
    reaches it, and the slower profile of :func:`password_hasher` is there for the passwords
    people choose. Hashing a township's few hundred at 20 ms each instead of 130 ms keeps the
    batch (:mod:`layers.worker_accounts`) within a request; the owner replaces the password at
    first login, hashed with :func:`password_hasher`. Verification reads the profile from the
    hash itself.

    Returns
    -------
    pwdlib.PasswordHash
        The hasher (memory 19 MiB, 2 passes, 1 lane).
    """
    return PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))


UNKNOWN_NAMES_KEPT_DAYS = 90
"""A name no account has whose last failure is older than this and that is not locked is
forgotten (its count starts again): the table of such names stays bounded."""
_PROCESS_NAMES_KEY = secrets.token_bytes(32)


def unknown_name_digest(username: str, key: bytes | None = None) -> bytes:
    """Return the keyed hash under which failures of a name no account has are counted.

    Parameters
    ----------
    username : str
        The name typed.
    key : bytes, optional
        The deployment's key (:meth:`api.settings.ApiSettings.login_names_key`), kept across
        restarts; one random per process when omitted (a restart then forgets the counts).

    Returns
    -------
    bytes
        16 bytes (BLAKE2b): the name as typed is never kept.
    """
    data = username.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, key=(key or _PROCESS_NAMES_KEY)[:64], digest_size=16).digest()


def _unknown_name(session: Session, digest: bytes, now: datetime) -> UnknownLoginName:
    """Return the row counting ``digest`` (made if missing), locked for this transaction."""
    session.execute(
        insert(UnknownLoginName)
        .values(digest=digest, failures=0, last_failed_at=now)
        .on_conflict_do_nothing(index_elements=[UnknownLoginName.digest])
    )
    row = session.scalar(
        select(UnknownLoginName)
        .where(UnknownLoginName.digest == digest)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None  # made above, and never deleted but by a purge of old rows
    return row


def _purge_unknown_names(session: Session, now: datetime) -> None:
    """Forget names whose lock ended, or unlocked and last failed long ago."""
    session.execute(
        delete(UnknownLoginName).where(
            (UnknownLoginName.locked_until <= now)
            | (
                UnknownLoginName.locked_until.is_(None)
                & (UnknownLoginName.last_failed_at < now - timedelta(days=UNKNOWN_NAMES_KEPT_DAYS))
            )
        )
    )


def login_name_for_audit(session: Session, typed: str) -> str:
    """Return how the audit log names a login attempt: the login name, masked if no one has it.

    A name no account has may be a password typed in the wrong box (trial AI, N4): only its
    first two characters are kept.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (the ``users`` table has no row-level security).
    typed : str
        The name typed at login.

    Returns
    -------
    str
        ``typed`` when it is an account's login name, else e.g. ``gh***``.
    """
    if "\x00" not in typed and session.scalar(select(User.id).where(User.username == typed)):
        return typed
    return mask_login_name(typed)


def mask_login_name(typed: str) -> str:
    """Mask a login name no account has: its first two characters, then ``***``.

    Parameters
    ----------
    typed : str
        The name typed.

    Returns
    -------
    str
        The masked name (only ``***`` for a name of two characters or fewer).

    Examples
    --------
    >>> mask_login_name("ghost.user"), mask_login_name("Zz#Secret-2026"), mask_login_name("ab")
    ('gh***', 'Zz***', '***')
    """
    kept = typed.replace("\x00", "")
    return (kept[:2] if len(kept) > 2 else "") + "***"


def end_session(
    session: Session, *, user_id: int, token_id: str, expires_at: datetime, now: datetime
) -> None:
    """End one session (logout): its token is refused from now on.

    Rows of tokens already expired are deleted on the way (they are refused anyway), so the
    table holds at most the logouts of one token lifetime.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (``ended_sessions`` has no row-level security).
    user_id : int
        The token's account.
    token_id : str
        The token's id (``jti``).
    expires_at : datetime
        When the token expires anyway.
    now : datetime
        Current time (timezone-aware).
    """
    session.execute(delete(EndedSession).where(EndedSession.expires_at < now))
    session.execute(
        insert(EndedSession)
        .values(token_id=token_id, user_id=user_id, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=[EndedSession.token_id])
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the user does not exist, so both paths cost one argon2 verification.
    return password_hasher().hash("zongzhi-no-such-user")


_HANDED_OVER = (
    "ABCDEFGHJKLMNPQRSTUVWXYZ",  # no I or O: read aloud or copied by hand
    "abcdefghijkmnpqrstuvwxyz",  # no l or o
    "23456789",  # no 0 or 1
    "#%+=@",
)


def generate_password(policy: PasswordPolicy | None = None, length: int = 12) -> str:
    """Return a random password an administrator hands over, which meets ``policy``.

    Every character class is present; letters and digits that read alike (``I l 1 O o 0``) are
    left out, as the password is read aloud or copied by hand. Its owner changes it at first
    login (``must_change_password``).

    Parameters
    ----------
    policy : PasswordPolicy, optional
        Password rules; the default profile when omitted.
    length : int
        Characters, raised to the policy's minimum if below it.

    Returns
    -------
    str
        The password.

    Examples
    --------
    >>> made = generate_password()
    >>> len(made), PasswordPolicy().problems(made)
    (12, [])
    >>> len(generate_password(PasswordPolicy(min_length=16)))
    16
    """
    rules = policy or PasswordPolicy()
    size = max(length, rules.min_length, len(_HANDED_OVER))
    everything = "".join(_HANDED_OVER)
    made = ""
    for _ in range(100):  # drawn again in the rare case it reads as a common word (Qq#2345+89=2)
        chosen = [secrets.choice(kind) for kind in _HANDED_OVER]
        chosen += [secrets.choice(everything) for _ in range(size - len(chosen))]
        secrets.SystemRandom().shuffle(chosen)
        made = "".join(chosen)
        if not rules.problems(made):
            break
    return made


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``.

    Parameters
    ----------
    password : str
        Clear password.

    Returns
    -------
    str
        PHC-format hash string.
    """
    return password_hasher().hash(password)


def retired_unit_refusal(session: Session, code: str) -> str | None:
    """Return why the retired unit ``code`` cannot be chosen, or None when it is not retired.

    A unit a re-division abolished stays on record (``retired_on``) but is no scope, no
    dispatch target and no analysis area any more; the message names its live successor,
    following a successor that was itself retired.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (row-level security applies: a successor it cannot see is not named).
    code : str
        12-digit jurisdiction code.

    Returns
    -------
    str or None
        E.g. ``南河村（530424102201）已于2026-03-10撤销，请用继承单位 南河社区（530424102003）``;
        None for a live or unknown unit.
    """
    unit = session.get(Jurisdiction, code)
    if unit is None or unit.retired_on is None:
        return None
    said = f"{unit.name}（{unit.code}）已于{unit.retired_on.isoformat()}撤销"
    heir_code, seen = unit.successor_code, {unit.code}
    while heir_code is not None and heir_code not in seen:
        heir = session.get(Jurisdiction, heir_code)
        if heir is None:  # out of the reader's scope: not named (row-level security hides it)
            return f"{said}（已撤并，继承单位不在您的辖区内），请选用现有辖区"
        if heir.retired_on is None:
            return f"{said}，请用继承单位 {heir.name}（{heir.code}）"
        seen.add(heir_code)
        heir_code = heir.successor_code
    return f"{said}，没有继承单位，请选用现有辖区"


def refuse_retired_unit(session: Session, code: str) -> None:
    """Refuse a retired unit as input, naming its live successor (:func:`retired_unit_refusal`).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (row-level security applies).
    code : str
        12-digit jurisdiction code.

    Raises
    ------
    InvalidInput
        The unit is retired.
    """
    retired = retired_unit_refusal(session, code)
    if retired is not None:
        raise InvalidInput(retired)


def check_role(role: str) -> None:
    """Refuse a role code that is not one of :class:`layers.model.Role`.

    Parameters
    ----------
    role : str
        The code to check.

    Raises
    ------
    InvalidInput
        Naming every role with its label.

    Examples
    --------
    >>> check_role("dispatcher")
    >>> check_role("boss")
    Traceback (most recent call last):
    ...
    layers.errors.InvalidInput: 角色无效，可选：admin（系统管理员）、...、analyst（研判分析员）
    """
    if role not in Role.labels():
        codes = "、".join(f"{code}（{label}）" for code, label in Role.labels().items())
        raise InvalidInput(f"角色无效，可选：{codes}")


def check_display_name(display_name: str) -> None:
    """Refuse a shown name that is blank or longer than 50 characters.

    Parameters
    ----------
    display_name : str
        The name to check.

    Raises
    ------
    InvalidInput
        The name is blank or too long.
    """
    if not display_name.strip() or len(display_name) > 50:
        raise InvalidInput("显示名称应为 1–50 个字")


def check_scope(session: Session, scope_code: str) -> None:
    """Refuse a scope that is not an existing, live jurisdiction.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that may see the jurisdiction.
    scope_code : str
        12-digit jurisdiction code.

    Raises
    ------
    NotFound
        No such jurisdiction.
    InvalidInput
        A unit a re-division retired (:func:`retired_unit_refusal`, naming its successor).
    """
    if session.get(Jurisdiction, scope_code) is None:
        raise NotFound(f"辖区 {scope_code} 不存在")
    refuse_retired_unit(session, scope_code)


def unit_said(session: Session, code: str) -> str:
    """Return a unit as a refusal names it: ``新复社区（530424102001）`` (unknown: the code).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    code : str
        12-digit jurisdiction code.

    Returns
    -------
    str
        Its name and code.
    """
    unit = session.get(Jurisdiction, code)
    return f"{unit.name}（{code}）" if unit is not None else code


def worker_village(session: Session, worker: Worker) -> str | None:
    """Return the village (村/社区) a worker works in: their home grid's, else their record's.

    A roster may file a worker under their township (a 派出所's 社区民警, a township's pool)
    while their home grid lies in one village: the grid says where they work.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that may see the grid.
    worker : layers.model.Worker
        The worker record.

    Returns
    -------
    str or None
        The village's 12-digit code; None for a record with no grid above a village.
    """
    if worker.home_grid is not None:
        grid = session.get(Grid, worker.home_grid)
        return grid.area_code if grid is not None else worker.home_grid[:12]
    return worker.area_code if division_level(worker.area_code) == 5 else None


def check_worker(session: Session, worker_id: int, *, role: str, scope_code: str) -> str | None:
    """Refuse a worker record an account may not stand for; say where the record must move.

    A grid worker's account stands for one worker on record (their cases, their position):
    one on the roster (not one who left), with a grid or a village (a county's record without
    one would make a grid worker of the whole county), whose village lies in the account's
    scope. An account narrowed to the village of the worker's home grid, inside the unit
    their record is filed under (the township), is one: the record then moves to that village
    (:func:`hold_worker`), else the account could not read its own worker record (row-level
    security) and could not go on duty (trial AT, M1).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that may see the worker.
    worker_id : int
        The worker record's id.
    role : str
        The account's role (after the change, for a change of post).
    scope_code : str
        The account's scope (likewise).

    Returns
    -------
    str or None
        The village the worker record must be filed under to lie in the scope; None when it
        already does.

    Raises
    ------
    InvalidInput
        The account is not a grid worker's, the worker left, has no grid above a village, or
        works outside the scope (naming the units by name and code, and what to do).
    NotFound
        No such worker.
    """
    if role != Role.GRID_WORKER:
        raise InvalidInput(f"只有网格员账号可以对应网格员记录，该账号为{Role.labels()[role]}")
    worker = session.get(Worker, worker_id)
    if worker is None:
        raise NotFound(f"网格员记录 {worker_id} 不存在")
    who = f"网格员 {worker.name}（编号 {worker.id}）"
    if worker.status == WorkerStatus.LEFT:
        raise InvalidInput(f"网格员 {worker.name} 已离职，不能为其开通或关联账号")
    village = worker_village(session, worker)
    if village is None and division_level(worker.area_code) <= 3:
        raise InvalidInput(
            f"{who}的名册记录只到 {unit_said(session, worker.area_code)}，"
            "没有所属网格或村（社区），不能开通网格员账号（否则其可见范围是整个县）：请先在网格员花名册中填写其所属网格，"
            "或另选网格员记录"
        )
    lo, hi = scope_range(scope_code)
    if lo <= worker.area_code < hi:
        return None
    filed_lo, filed_hi = scope_range(worker.area_code)
    if village is not None and lo <= village < hi:
        if filed_lo <= scope_code < filed_hi:
            return village  # narrowed to the village of their grid, inside the unit filed under
        raise InvalidInput(
            f"{who}的名册记录属于 {unit_said(session, worker.area_code)}，其网格却在 "
            f"{unit_said(session, village)}：请先在网格员花名册中更正其所属辖区或网格，"
            "或另选网格员记录"
        )
    where = (
        f"的网格在 {unit_said(session, village)}"
        if village is not None
        else f"的名册记录属于 {unit_said(session, worker.area_code)}"
    )
    fits = village if village is not None else worker.area_code
    raise InvalidInput(
        f"{who}{where}，不在账号的管辖范围 {unit_said(session, scope_code)} 内："
        f"请把管辖范围设为 {unit_said(session, fits)}（或包含它的上级辖区），或另选网格员记录"
    )


def hold_worker(
    session: Session, worker_id: int, *, role: str, scope_code: str
) -> tuple[str, str] | None:
    """Check that an account may stand for a worker record, and file it under the scope's village.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that may see and change the worker.
    worker_id : int
        The worker record's id.
    role : str
        The account's role (after the change).
    scope_code : str
        The account's scope (after the change).

    Returns
    -------
    tuple of str or None
        The record's unit before and after, when it moved to the village of its home grid
        (:func:`check_worker`); None when it stayed.

    Raises
    ------
    InvalidInput
        As :func:`check_worker`.
    NotFound
        No such worker.
    """
    village = check_worker(session, worker_id, role=role, scope_code=scope_code)
    if village is None:
        return None
    worker = session.get(Worker, worker_id)
    assert worker is not None  # checked above
    before, worker.area_code = worker.area_code, village
    session.flush()
    return before, village


def check_new_account(
    session: Session,
    *,
    username: str,
    role: str,
    scope_code: str,
    display_name: str,
    can_unmask: bool = False,
    worker_id: int | None = None,
) -> None:
    """Refuse a new account for all :func:`create_user` checks but its password's; write nothing.

    ``zongzhi user add`` says these before it asks the password (not once it was typed twice).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session that may see the scope's jurisdiction (read-only will do).
    username, role, scope_code, display_name, can_unmask, worker_id
        As :func:`create_user`'s.

    Raises
    ------
    InvalidInput, NotFound, Conflict
        As :func:`create_user`, but for the password.
    """
    if not USERNAME.match(username):
        raise InvalidInput("用户名应为 2–50 个字符：汉字、字母、数字、下划线、点或连字符")
    check_role(role)
    check_display_name(display_name)
    check_scope(session, scope_code)
    refused_unmask = unmask_refusal(role, scope_code) if can_unmask else None
    if refused_unmask is not None:
        raise InvalidInput(refused_unmask)
    if worker_id is not None:
        check_worker(session, worker_id, role=role, scope_code=scope_code)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已被占用，请换一个")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    scope_code: str,
    display_name: str,
    can_unmask: bool = False,
    worker_id: int | None = None,
    policy: PasswordPolicy | None = None,
    must_change_password: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create an account after checking its name, role, scope and password.

    The session must be allowed to see the scope's jurisdiction (owner session or a scope that
    contains it). The new row is flushed, not committed.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    username : str
        Login name (see :data:`USERNAME`).
    password : str
        Clear password, checked against ``policy``.
    role : str
        A :class:`layers.model.Role` code.
    scope_code : str
        12-digit code of an existing, live jurisdiction (not one a re-division retired):
        where the user sees and acts.
    display_name : str
        Name shown in the console and in logs.
    can_unmask : bool
        Whether the user may read sealed personal data (with a reason, audited); only for
        the accounts :func:`may_hold_unmask` allows (roles of :data:`UNMASK_ROLES`, a scope of
        a county or below).
    worker_id : int, optional
        The worker record of a grid-worker account (:func:`check_worker`); a record filed
        under the township of the scope's village, where its home grid lies, moves to the
        village (:func:`hold_worker`).
    policy : PasswordPolicy, optional
        Password rules; the default profile when omitted.
    must_change_password : bool
        The password was chosen by someone else (an administrator): until its owner changes
        it, the account may only read who it is, change its password and log out.
    password_hash : str, optional
        The password's hash, already made (:mod:`layers.worker_accounts` hashes a batch two at
        a time); default: hashed here.

    Returns
    -------
    layers.model.User
        The new account.

    Raises
    ------
    InvalidInput
        Bad user name, role or display name, a retired scope (:func:`retired_unit_refusal`),
        or the unmask permission for an account that may not hold it (its role or its scope
        level, :func:`unmask_refusal`).
    WeakPassword
        The password breaks the policy.
    NotFound
        No such jurisdiction or worker.
    Conflict
        The user name is taken.
    """
    check_new_account(
        session,
        username=username,
        role=role,
        scope_code=scope_code,
        display_name=display_name,
        can_unmask=can_unmask,
        worker_id=worker_id,
    )
    (policy or PasswordPolicy()).check(password, username)
    if worker_id is not None:  # checked above; moves only a record narrowed to its village
        hold_worker(session, worker_id, role=role, scope_code=scope_code)
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=password_hash or hash_password(password),
        role=role,
        scope_code=scope_code,
        can_unmask=can_unmask,
        worker_id=worker_id,
        must_change_password=must_change_password,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"用户名 {username} 已被占用，请换一个") from exc
    return user


def set_unmask(session: Session, user: User, *, allowed: bool) -> bool:
    """Give ``user`` the unmask permission, or take it back; return whether the flag changed.

    Taking it back always works (also a flag its role makes void); giving it follows
    :func:`unmask_refusal`. Open sessions of the account follow at their next
    request (each request reads the account again).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session the user belongs to.
    user : layers.model.User
        The account.
    allowed : bool
        Give (True) or take back (False).

    Returns
    -------
    bool
        False when the account already was as asked.

    Raises
    ------
    InvalidInput
        Giving it to an account that may not hold it (its role or its scope level).
    """
    refused = unmask_refusal(user.role, user.scope_code) if allowed else None
    if refused is not None:
        raise InvalidInput(refused)
    if user.can_unmask == allowed:
        return False
    user.can_unmask = allowed
    session.flush()
    return True


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    now: datetime,
    policy: PasswordPolicy | None = None,
    by_owner: bool = True,
) -> None:
    """Replace a user's password (checked against the policy) and clear any lock.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session the user belongs to.
    user : layers.model.User
        The account.
    password : str
        New clear password.
    now : datetime
        Current time (recorded as the change time).
    policy : PasswordPolicy, optional
        Password rules; the default profile when omitted.
    by_owner : bool
        The account's owner chose it. False for an administrator's reset: the owner must
        change it before using the platform (``must_change_password``).

    Raises
    ------
    WeakPassword
        The password breaks the policy, or its owner used it lately (one of the last
        ``policy.history`` passwords, the current one included).
    """
    rules = policy or PasswordPolicy()
    rules.check(password, user.username)
    remembered = [user.password_hash, *user.previous_password_hashes][: max(rules.history, 1)]
    if by_owner and any(password_hasher().verify(password, used) for used in remembered):
        raise WeakPassword(
            f"新密码不能与最近 {rules.history} 次用过的密码相同"
            if rules.history > 1
            else "新密码不能与当前密码相同"
        )
    user.previous_password_hashes = remembered[: max(rules.history - 1, 0)]
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.must_change_password = not by_owner
    user.failed_logins = 0
    user.locked_until = None
    user.failed_at_login_address = False
    session.flush()


SET_BY_ADMINISTRATOR = "管理员设置或重设的密码须由本人修改后才能使用平台"
"""Why an account whose password an administrator set must change it first."""


def password_change_due(
    *, must_change: bool, changed_at: datetime, policy: PasswordPolicy, now: datetime
) -> str | None:
    """Return why an account must change its password before anything else, or None.

    Parameters
    ----------
    must_change : bool
        The account's ``must_change_password`` (an administrator set the password).
    changed_at : datetime
        When the password was last set.
    policy : PasswordPolicy
        The deployment's rules (``max_age_days``).
    now : datetime
        Current time (timezone-aware).

    Returns
    -------
    str or None
        The reason (Chinese), or None when the password may be used.

    Examples
    --------
    >>> from datetime import UTC
    >>> now, set_at = datetime(2026, 12, 4, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)
    >>> password_change_due(must_change=False, changed_at=set_at, policy=PasswordPolicy(), now=now)
    >>> quarterly = PasswordPolicy(max_age_days=90)
    >>> password_change_due(must_change=False, changed_at=set_at, policy=quarterly, now=now)
    '密码已使用超过 90 天，须定期更换'
    """
    if must_change:
        return SET_BY_ADMINISTRATOR
    if policy.max_age_days and changed_at < now - timedelta(days=policy.max_age_days):
        return f"密码已使用超过 {policy.max_age_days} 天，须定期更换"
    return None


def change_password(
    session: Session,
    username: str,
    current: str,
    new: str,
    *,
    now: datetime,
    lockout: LockoutPolicy | None = None,
    policy: PasswordPolicy | None = None,
) -> User:
    """Change a user's own password after checking the current one.

    A wrong current password counts as a failed login (:func:`authenticate`): a stolen
    session cannot try passwords faster than the login page. As there, the caller must
    **commit the session even when this raises**. Every token issued before the change is
    refused from then on (``password_changed_at``), so the user's other sessions end.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    username : str
        The user's login name.
    current : str
        The password in use.
    new : str
        The new password, checked against ``policy`` and different from ``current``.
    now : datetime
        Current time (timezone-aware).
    lockout : LockoutPolicy, optional
        Lockout rules; 5 failures lock for 30 minutes when omitted.
    policy : PasswordPolicy, optional
        Password rules; the default profile when omitted.

    Returns
    -------
    layers.model.User
        The account, with its new password.

    Raises
    ------
    InvalidInput
        The current password is wrong, or the new one is the same.
    AccountLocked
        The account is locked, or this failure locked it.
    AuthenticationFailed
        The account was disabled meanwhile.
    WeakPassword
        The new password breaks the policy.
    """
    try:
        user = authenticate(session, username, current, now=now, lockout=lockout)
    except AccountLocked:
        raise
    except AuthenticationFailed as exc:
        if session.scalar(select(User.active).where(User.username == username)):
            raise InvalidInput("当前密码不正确") from exc
        raise
    if new == current:
        raise InvalidInput("新密码不能与当前密码相同")
    set_password(session, user, new, now=now, policy=policy)
    return user


class DisabledAccountLogin(AuthenticationFailed):
    """A login to a disabled (停用) account.

    Answered as a wrong login (:data:`WRONG_LOGIN`: the caller is not told the account
    exists), and audited apart (``layers.audit.LOGIN_DISABLED``) so that the auditor sees it.
    """


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime,
    lockout: LockoutPolicy | None = None,
    address: str | None = None,
    names_key: bytes | None = None,
) -> User:
    """Check a login and keep the failure counter and lock up to date.

    ``max_failures`` failures in a row lock the account for ``lock_minutes``. The lock does not
    hold at the address of the account's last successful login (``users.login_address``) unless
    one of the failures since that login (or since the last lock ended) came from there too
    (``users.failed_at_login_address``): someone elsewhere typing wrong passwords under a
    colleague's name locks it for everyone but its owner at their usual desk. There the password
    is checked as usual: right, the owner logs in (the lock stays for the others); wrong, the
    lock holds there as well. Guessing under many names from one address is held back by that
    address's throttle (:mod:`api.auth`), which the console applies before this.

    A name no account has is counted and locked alike (``unknown_login_names``, under a keyed
    hash: :func:`unknown_name_digest`), without an account being made: the answers do not tell
    whether a name exists. Such a name has no address it is spared at.

    The row counted is locked (``FOR UPDATE``) so concurrent attempts count exactly. Changes to
    the counter are flushed before an error is raised: the caller must **commit the session even
    when this raises**, or failures are never counted.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (the ``users`` table has no row-level security).
    username : str
        Login name.
    password : str
        Clear password.
    now : datetime
        Current time (timezone-aware).
    lockout : LockoutPolicy, optional
        Lockout rules; 5 failures lock for 30 minutes when omitted.
    address : str, optional
        The client's address; None (unknown, or not a login: a password change) is never
        spared by a lock and never becomes the account's login address.
    names_key : bytes, optional
        Key of the unknown names' hashes (see :func:`unknown_name_digest`).

    Returns
    -------
    layers.model.User
        The authenticated, active user.

    Raises
    ------
    AccountLocked
        The account (or the unknown name) is locked and not spared here (the password is not
        even checked), or this failure locked it or made its lock hold here.
    DisabledAccountLogin
        A disabled account (whatever the password), with the message of a wrong password.
    AuthenticationFailed
        Unknown user or wrong password (one message for these and a disabled account).
    """
    rules = lockout or LockoutPolicy()
    hasher = password_hasher()
    # A NUL byte cannot be stored in PostgreSQL text, so no account can have it in its name.
    user = (
        None
        if "\x00" in username
        else session.scalar(select(User).where(User.username == username).with_for_update())
    )
    if user is None:  # answered as an account would be, with no account made
        raise _unknown_name_failed(session, username, password, now, rules, names_key)
    home = address is not None and address == user.login_address
    held: datetime | None = None
    if user.locked_until is not None:
        if user.locked_until > now and not (home and not user.failed_at_login_address):
            raise _still_locked(user.locked_until, now)
        if user.locked_until > now:  # spared: the owner's address, no failure from it
            held = user.locked_until
        else:
            user.locked_until = None
            user.failed_logins = 0
            user.failed_at_login_address = False
    valid, new_hash = hasher.verify_and_update(password, user.password_hash)
    if not valid or not user.active:
        if home:
            user.failed_at_login_address = True
        if held is not None:  # a wrong password where the lock spared: it holds here too now
            session.flush()
            raise _still_locked(held, now)
        user.failed_logins += 1
        if user.failed_logins >= rules.max_failures:
            user.locked_until = now + timedelta(minutes=rules.lock_minutes)
            user.failed_logins = 0
            session.flush()
            raise _locked_now(rules, user.locked_until)
        session.flush()
        if not user.active:  # answered alike; the audit entry says 账号已停用 (trial AT, m4)
            raise DisabledAccountLogin(WRONG_LOGIN)
        raise AuthenticationFailed(WRONG_LOGIN)
    user.failed_logins = 0
    user.failed_at_login_address = False
    if address is not None:
        user.login_address = address[:64]
    if new_hash is not None:
        user.password_hash = new_hash
    session.flush()
    return user


def last_login_address(session: Session, username: str) -> str | None:
    """Return the address the account named ``username`` last logged in from successfully.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (the ``users`` table has no row-level security).
    username : str
        Login name, as typed.

    Returns
    -------
    str or None
        ``users.login_address``; None when no account has the name or it never logged in
        from a known address.
    """
    if "\x00" in username:  # no account can have it (see authenticate)
        return None
    return session.scalar(select(User.login_address).where(User.username == username))


def _unknown_name_failed(
    session: Session,
    username: str,
    password: str,
    now: datetime,
    rules: LockoutPolicy,
    names_key: bytes | None,
) -> AuthenticationFailed:
    """Count a login under a name no account has, as :func:`authenticate` counts an account's.

    Returns the error to raise (flushed first).
    """
    row = _unknown_name(session, unknown_name_digest(username, names_key), now)
    if row.locked_until is not None:
        if row.locked_until > now:
            return _still_locked(row.locked_until, now)
        row.locked_until = None
        row.failures = 0
    password_hasher().verify(password, _dummy_hash())  # costs what an account's check costs
    row.failures += 1
    row.last_failed_at = now
    error: AuthenticationFailed = AuthenticationFailed(WRONG_LOGIN)
    if row.failures >= rules.max_failures:
        row.locked_until = now + timedelta(minutes=rules.lock_minutes)
        row.failures = 0
        error = _locked_now(rules, row.locked_until)
    session.flush()
    _purge_unknown_names(session, now)
    return error


LOCK_REASON = "连续登录失败"
"""Why an account is locked, as 账号管理 says it: the only thing that locks one
(:func:`authenticate`; an administrator lifts it early, :func:`layers.account_admin.unlock`)."""


def _still_locked(until: datetime, now: datetime) -> AccountLocked:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return AccountLocked(f"账户已锁定，请 {minutes} 分钟后再试或联系管理员", until=until)


def _locked_now(rules: LockoutPolicy, until: datetime) -> AccountLocked:
    return AccountLocked(
        f"连续 {rules.max_failures} 次登录失败，账户已锁定 {rules.lock_minutes} 分钟，"
        "请稍后再试或联系管理员",
        until=until,
    )


def get_active_user(session: Session, user_id: int) -> User:
    """Return the active user ``user_id`` (for a token's subject).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    user_id : int
        Account id.

    Returns
    -------
    layers.model.User
        The account.

    Raises
    ------
    AuthenticationFailed
        No such user, or the account is inactive.
    """
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("账户不存在或已停用，请联系管理员")
    return user
