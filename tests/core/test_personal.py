"""core.personal: sealed values open again, old Fernet tokens still open, hashes as before."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet
from django.utils.crypto import salted_hmac
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.core.personal import (
    UNREADABLE,
    is_sealed,
    lookup_hash,
    lookup_hashes,
    normalise,
    seal,
    seal_many,
    unseal,
)


@given(st.text(min_size=1).filter(lambda s: s.strip() and "\x00" not in s))
def test_a_sealed_value_opens_to_itself_and_never_shows_in_the_token(value: str) -> None:
    token = seal(value)
    assert unseal(token) == value.strip()
    assert token != seal(value)  # a fresh nonce every time
    if len(value.strip()) >= 4:
        assert value.strip() not in token


def test_empty_stays_empty_and_a_tampered_or_foreign_token_reads_as_unreadable(settings) -> None:  # type: ignore[no-untyped-def]
    assert seal("  ") == "" and unseal("") == ""
    token = seal("13812345678")
    raw = bytearray(base64.b64decode(token[3:]))
    raw[-1] ^= 1
    assert unseal("g1:" + base64.b64encode(bytes(raw)).decode()) == UNREADABLE
    assert unseal("g1:not base64!") == UNREADABLE
    settings.PERSONAL_DATA_KEY = "another deployment's key"
    assert unseal(token) == UNREADABLE


def test_values_sealed_with_the_first_format_fernet_still_open(settings) -> None:  # type: ignore[no-untyped-def]
    secret = settings.PERSONAL_DATA_KEY or settings.SECRET_KEY
    key = hashlib.sha256(f"civicgrid.core.personal:encrypt:{secret}".encode()).digest()
    old = Fernet(base64.urlsafe_b64encode(key)).encrypt(b"620102199001011234").decode()
    assert unseal(old) == "620102199001011234"


@given(st.text())
def test_the_lookup_hash_is_djangos_salted_hmac_of_the_normalised_value(value: str) -> None:
    from django.conf import settings

    expected = "" if not normalise(value) else salted_hmac(
        "civicgrid.core.personal", normalise(value),
        secret=settings.PERSONAL_DATA_KEY or settings.SECRET_KEY, algorithm="sha256").hexdigest()
    assert lookup_hash(value) == expected
    assert lookup_hash(f" {value.lower()} ") == lookup_hash(value.lower())


def test_the_batch_forms_answer_as_the_single_ones() -> None:
    values = ["13812345678", "", " 0951-5012345 ", "ab c", "  "]
    assert lookup_hashes(values) == [lookup_hash(v) for v in values]
    sealed = seal_many(values)
    assert [unseal(t) for t in sealed] == [v.strip() for v in values]
    assert [bool(t) for t in sealed] == [bool(v.strip()) for v in values]
    assert len({t for t in sealed if t}) == 3 and all(is_sealed(t) for t in sealed if t)
