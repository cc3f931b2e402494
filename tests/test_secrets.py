"""Key handling and resident-ID protection (layers/secrets.py)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from layers.secrets import (
    Keys,
    SecretError,
    hash_resident_id,
    platform_keys,
    seal,
    unseal,
)
from layers.settings import Settings

RESIDENT_ID = "11010519491231002X"


def _settings(home: Path) -> Settings:
    return Settings.from_env({"ZONGZHI_HOME": str(home)})


def test_keys_file_is_created_private_and_reused(tmp_path: Path) -> None:
    first = platform_keys(_settings(tmp_path), environ={})
    path = tmp_path / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = platform_keys(_settings(tmp_path), environ={})
    assert first == second
    assert hash_resident_id(first, RESIDENT_ID) == hash_resident_id(second, RESIDENT_ID)


def test_two_homes_have_different_keys(tmp_path: Path) -> None:
    a = platform_keys(_settings(tmp_path / "a"), environ={})
    b = platform_keys(_settings(tmp_path / "b"), environ={})
    assert hash_resident_id(a, RESIDENT_ID) != hash_resident_id(b, RESIDENT_ID)


def test_environment_key_overrides_file(tmp_path: Path) -> None:
    master = base64.b64encode(b"k" * 32).decode()
    keys = platform_keys(_settings(tmp_path), environ={"ZONGZHI_SECRET_KEY": master})
    assert not (tmp_path / "keys.json").exists()
    again = platform_keys(_settings(tmp_path / "x"), environ={"ZONGZHI_SECRET_KEY": master})
    assert keys == again


def test_bad_environment_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="base64"):
        platform_keys(_settings(tmp_path), environ={"ZONGZHI_SECRET_KEY": "not base64!"})
    short = base64.b64encode(b"short").decode()
    with pytest.raises(SecretError, match="at least 32"):
        platform_keys(_settings(tmp_path), environ={"ZONGZHI_SECRET_KEY": short})


def test_seal_round_trip_and_no_clear_text(tmp_path: Path) -> None:
    keys = platform_keys(_settings(tmp_path), environ={})
    blob = seal(keys, RESIDENT_ID)
    assert RESIDENT_ID.encode() not in blob
    assert seal(keys, RESIDENT_ID) != blob  # fresh nonce
    assert unseal(keys, blob) == RESIDENT_ID


def test_unseal_rejects_tampering_and_other_keys(tmp_path: Path) -> None:
    keys = platform_keys(_settings(tmp_path), environ={})
    other = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    blob = bytearray(seal(keys, RESIDENT_ID))
    with pytest.raises(SecretError, match="another key"):
        unseal(other, bytes(blob))
    blob[-1] ^= 1
    with pytest.raises(SecretError, match="altered"):
        unseal(keys, bytes(blob))
    with pytest.raises(SecretError, match="not a sealed blob"):
        unseal(keys, b"\x01abc")


def test_hash_is_keyed_and_case_insensitive_on_x() -> None:
    keys = Keys(hmac_key=b"\x01" * 32, seal_key=b"\x02" * 32)
    assert hash_resident_id(keys, RESIDENT_ID) == hash_resident_id(keys, RESIDENT_ID.lower())
    assert RESIDENT_ID.encode() not in hash_resident_id(keys, RESIDENT_ID)
    assert "hidden" in repr(keys)
