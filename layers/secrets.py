"""The platform's secret keys and what is done with them to resident ID numbers.

A resident ID is never stored or logged in clear. Three derived forms are kept instead:

* ``id_hash``: HMAC-SHA256 of the normalised ID under the platform's HMAC key. It is the natural
  key (re-importing the same person matches the same row) and cannot be reversed without the key;
* ``id_masked``: :func:`geo.codes.mask_resident_id`, for display;
* ``id_sealed``: AES-256-GCM encryption of the ID under the platform's seal key, opened only on an
  audited, permitted read.

The keys live in ``$ZONGZHI_HOME/keys.json`` (created with mode 0600 on first use). The variable
``ZONGZHI_SECRET_KEY`` (base64 of at least 32 bytes) overrides the file: both keys are then
derived from it with HKDF-SHA256, so a deployment can keep its key in a secret store.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from layers.settings import Settings

KEY_BYTES = 32
NONCE_BYTES = 12
SECRET_KEY_VARIABLE = "ZONGZHI_SECRET_KEY"
KEYS_FILE_NAME = "keys.json"
_SEAL_VERSION = b"\x01"
_SEAL_CONTEXT = b"zongzhi sealed text v1"


class SecretError(ValueError):
    """A key that cannot be read or used, or a sealed blob that does not open."""


@dataclass(frozen=True, repr=False)
class Keys:
    """The platform's two keys.

    Attributes
    ----------
    hmac_key : bytes
        32 bytes, keys :func:`hash_resident_id`.
    seal_key : bytes
        32 bytes, AES-256-GCM key of :func:`seal` and :func:`unseal`.
    """

    hmac_key: bytes
    seal_key: bytes

    def __post_init__(self) -> None:
        """Check both keys are 32 bytes."""
        for name, key in (("hmac_key", self.hmac_key), ("seal_key", self.seal_key)):
            if len(key) != KEY_BYTES:
                raise SecretError(f"{name} must be {KEY_BYTES} bytes, got {len(key)}")

    def __repr__(self) -> str:
        """Never show key material."""
        return "Keys(hmac_key=<hidden>, seal_key=<hidden>)"


def keys_from_master(master: bytes) -> Keys:
    """Derive both keys from one master secret with HKDF-SHA256.

    Parameters
    ----------
    master : bytes
        At least 32 bytes of secret.

    Returns
    -------
    Keys
        Independent HMAC and seal keys.

    Raises
    ------
    SecretError
        If ``master`` is shorter than 32 bytes.

    Examples
    --------
    >>> k = keys_from_master(bytes(32))
    >>> k.hmac_key != k.seal_key
    True
    """
    if len(master) < KEY_BYTES:
        raise SecretError(f"the master key must be at least {KEY_BYTES} bytes, got {len(master)}")

    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
            master
        )

    return Keys(hmac_key=derive(b"zongzhi hmac v1"), seal_key=derive(b"zongzhi seal v1"))


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretError(f"{what} is not valid base64") from exc


def _read_keys_file(path: Path) -> Keys:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Keys(
            hmac_key=_b64(data["hmac_key"], f"{path}: hmac_key"),
            seal_key=_b64(data["seal_key"], f"{path}: seal_key"),
        )
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise SecretError(f"{path} is not a valid keys file: {exc}") from exc


def _create_keys_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(
        {
            "hmac_key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
            "seal_key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode(),
        }
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        # link() fails if another process created the file first: the first one wins.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def platform_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> Keys:
    """Return the platform's keys, creating ``$ZONGZHI_HOME/keys.json`` on first use.

    Parameters
    ----------
    settings : Settings
        Where the platform home is.
    environ : mapping, optional
        Environment to read ``ZONGZHI_SECRET_KEY`` from (default: ``os.environ``).

    Returns
    -------
    Keys
        From ``ZONGZHI_SECRET_KEY`` (base64 master key, derived with HKDF) if set, else from the
        keys file (created with mode 0600 if absent).

    Raises
    ------
    SecretError
        If the variable or the file holds something unusable.
    """
    env = os.environ if environ is None else environ
    master = env.get(SECRET_KEY_VARIABLE)
    if master:
        return keys_from_master(_b64(master, SECRET_KEY_VARIABLE))
    path = settings.home / KEYS_FILE_NAME
    if not path.exists():
        _create_keys_file(path)
    return _read_keys_file(path)


_GROUPING = re.compile(r"[\s\-]")
"""What groups the digits of a resident ID on forms: spaces and hyphens."""


def normalise_resident_id(number: str) -> str:
    """Return the form of a resident ID that is hashed: 18 ASCII characters, upper-case ``X``.

    Full-width digits (typed with a Chinese input method in full-width mode) are read as ASCII,
    and the spaces and hyphens that group the digits on forms are dropped. A valid ID is
    unchanged by this, so the hashes of stored IDs stay the same.

    Parameters
    ----------
    number : str
        A resident ID as written.

    Returns
    -------
    str
        The canonical form.

    Examples
    --------
    >>> normalise_resident_id(" 11010519491231002x ")
    '11010519491231002X'
    >>> normalise_resident_id("１１０１０５ １９４９１２３１ ００２ｘ")
    '11010519491231002X'
    >>> normalise_resident_id("110105-19491231-002X")
    '11010519491231002X'
    """
    return _GROUPING.sub("", unicodedata.normalize("NFKC", number)).upper()


def hash_resident_id(keys: Keys, number: str) -> bytes:
    """Return the keyed hash (HMAC-SHA256, 32 bytes) of a resident ID, the person's natural key.

    Parameters
    ----------
    keys : Keys
        The platform keys.
    number : str
        The resident ID (normalised first, so ``x`` and ``X`` hash alike).

    Returns
    -------
    bytes
        32-byte digest.

    Examples
    --------
    >>> k = keys_from_master(bytes(32))
    >>> hash_resident_id(k, "11010519491231002x") == hash_resident_id(k, "11010519491231002X")
    True
    >>> len(hash_resident_id(k, "11010519491231002X"))
    32
    """
    mac = hmac.HMAC(keys.hmac_key, hashes.SHA256())
    mac.update(normalise_resident_id(number).encode("utf-8"))
    return mac.finalize()


def seal(keys: Keys, text: str) -> bytes:
    """Encrypt ``text`` with AES-256-GCM under the seal key.

    Parameters
    ----------
    keys : Keys
        The platform keys.
    text : str
        What to protect.

    Returns
    -------
    bytes
        ``version (1 byte) | nonce (12 bytes) | ciphertext+tag``; a fresh random nonce each call.

    Examples
    --------
    >>> k = keys_from_master(bytes(32))
    >>> unseal(k, seal(k, "11010519491231002X"))
    '11010519491231002X'
    """
    nonce = secrets.token_bytes(NONCE_BYTES)
    body = AESGCM(keys.seal_key).encrypt(nonce, text.encode("utf-8"), _SEAL_CONTEXT)
    return _SEAL_VERSION + nonce + body


def unseal(keys: Keys, blob: bytes) -> str:
    """Decrypt a blob made by :func:`seal`.

    Parameters
    ----------
    keys : Keys
        The platform keys (the same seal key that sealed it).
    blob : bytes
        The sealed bytes.

    Returns
    -------
    str
        The original text.

    Raises
    ------
    SecretError
        If the blob is malformed, was altered, or was sealed under another key.
    """
    blob = bytes(blob)
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != _SEAL_VERSION:
        raise SecretError("not a sealed blob (wrong version or too short)")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(keys.seal_key).decrypt(nonce, body, _SEAL_CONTEXT).decode("utf-8")
    except InvalidTag as exc:
        raise SecretError("sealed blob does not open: altered or sealed under another key") from exc
