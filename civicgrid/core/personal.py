"""Personal data at rest (DESIGN.md §5): encrypted, and searchable by exact value.

``seal`` encrypts a value with AES-128-GCM (authenticated; a random 96-bit nonce per value)
under a key derived from ``PERSONAL_DATA_KEY`` (settings; falls back to ``SECRET_KEY``) and
stores ``g1:`` + base64(nonce + ciphertext + tag); ``unseal`` reverses it. Values sealed
before with Fernet (AES-128-CBC + HMAC-SHA256, the first format) still open. GCM costs ≈ 2 µs
a value against Fernet's ≈ 15 µs, which matters where every imported case carries a phone.

``lookup_hash`` is a keyed hash (HMAC-SHA256) of the normalised value, stored beside the
ciphertext so that "all records with this ID number / phone" is an indexed equality query
without decrypting anything; it equals Django's ``salted_hmac`` of the same value (the hashes
already stored stay valid), with its key derived once instead of on every call. Screens show
values masked; unmasking is the caller's audited act.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_SALT = "civicgrid.core.personal"
_GCM = "g1:"
_NONCE = 12
UNREADABLE = "（无法解密）"
SEALED_PREFIXES = (_GCM, "gAAAA")  # AES-GCM tokens; Fernet tokens (version byte 0x80)


def _secret() -> str:
    return getattr(settings, "PERSONAL_DATA_KEY", "") or settings.SECRET_KEY


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[AESGCM, Fernet, hmac.HMAC]:
    key = hashlib.sha256(f"{_SALT}:encrypt:{secret}".encode()).digest()
    mac = hmac.new(_mac_key(secret), digestmod=hashlib.sha256)
    return AESGCM(key[:16]), Fernet(base64.urlsafe_b64encode(key)), mac


@lru_cache(maxsize=4)
def _mac_key(secret: str) -> bytes:
    # salted_hmac(_SALT, value, secret=secret, algorithm="sha256"): key = sha256(salt + secret)
    return hashlib.sha256((_SALT + secret).encode()).digest()


def seal(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    nonce = os.urandom(_NONCE)
    sealed = _keys(_secret())[0].encrypt(nonce, value.encode(), None)
    return _GCM + base64.b64encode(nonce + sealed).decode("ascii")


def seal_many(values: list[str]) -> list[str]:
    """``seal`` of each value, with the nonces drawn in one call (the bulk import's rows)."""
    gcm = _keys(_secret())[0]
    nonces = os.urandom(_NONCE * len(values))
    encrypt, encode = gcm.encrypt, base64.b64encode
    sealed = []
    for start, value in zip(range(0, len(nonces), _NONCE), values, strict=True):
        value = (value or "").strip()
        nonce = nonces[start:start + _NONCE]
        sealed.append(_GCM + encode(nonce + encrypt(nonce, value.encode(), None)).decode("ascii")
                      if value else "")
    return sealed


def unseal(token: str) -> str:
    """The plain value; ``""`` for an empty field. A token this key cannot open (a changed
    key, a tampered row) reads as ``"（无法解密）"`` rather than failing the page."""
    if not token:
        return ""
    gcm, fernet, _mac = _keys(_secret())
    try:
        if token.startswith(_GCM):
            raw = base64.b64decode(token[len(_GCM):], validate=True)
            return gcm.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
        return fernet.decrypt(token.encode()).decode()
    except (InvalidTag, InvalidToken, ValueError, binascii.Error):
        return UNREADABLE


def is_sealed(token: str) -> bool:
    """Whether a stored value is a token of ``seal`` (either format), not plain text."""
    return token.startswith(SEALED_PREFIXES)


def normalise(value: str) -> str:
    return "".join((value or "").split()).upper()


def lookup_hash(value: str) -> str:
    value = normalise(value)
    if not value:
        return ""
    mac = _keys(_secret())[2].copy()
    mac.update(value.encode())
    return mac.hexdigest()


@lru_cache(maxsize=4)
def _hmac_pads(secret: str) -> tuple[Any, Any]:
    """HMAC-SHA256 under the lookup key as its two prepared hashes (RFC 2104: the key padded to
    the block, XOR ipad / opad): copying these per value costs half of copying an OpenSSL HMAC."""
    key = _mac_key(secret).ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def lookup_hashes(values: list[str]) -> list[str]:
    """``lookup_hash`` of each value (the bulk import's rows)."""
    inner, outer = _hmac_pads(_secret())
    hashes = []
    for value in values:
        value = normalise(value)
        if not value:
            hashes.append("")
            continue
        first = inner.copy()
        first.update(value.encode())
        second = outer.copy()
        second.update(first.digest())
        hashes.append(second.hexdigest())
    return hashes
