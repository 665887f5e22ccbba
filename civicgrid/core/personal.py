"""Personal data at rest (DESIGN.md §5): encrypted, and searchable by exact value.

``seal`` encrypts a value with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
``PERSONAL_DATA_KEY`` (settings; falls back to ``SECRET_KEY``); ``unseal`` reverses it.
``lookup_hash`` is a keyed hash (HMAC-SHA256) of the normalised value, stored beside the
ciphertext so that "all records with this ID number / phone" is an indexed equality query
without decrypting anything. Screens show values masked; unmasking is the caller's audited act.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "civicgrid.core.personal"


def _secret() -> str:
    return getattr(settings, "PERSONAL_DATA_KEY", "") or settings.SECRET_KEY


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = hashlib.sha256(f"{_SALT}:encrypt:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str) -> str:
    value = (value or "").strip()
    return _fernet(_secret()).encrypt(value.encode()).decode() if value else ""


def unseal(token: str) -> str:
    """The plain value; ``""`` for an empty field. A token this key cannot open (a changed
    key, a tampered row) reads as ``"（无法解密）"`` rather than failing the page."""
    if not token:
        return ""
    try:
        return _fernet(_secret()).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return "（无法解密）"


def normalise(value: str) -> str:
    return "".join((value or "").split()).upper()


def lookup_hash(value: str) -> str:
    value = normalise(value)
    if not value:
        return ""
    return salted_hmac(_SALT, value, secret=_secret(), algorithm="sha256").hexdigest()
