"""Reference data kept in memory across requests, kept honest by one stored token.

Grants (per user), API tokens' users, categories, deadline policies, the active centres and
their operators, and the webhook subscribers change rarely but are read by every case report. Each process keeps them in one dict (a
*generation*) tagged with the token stored in ``core.CacheVersion``:

* any save or delete of a watched model (through services, admin or the shell) stores a new
  random token in the same transaction and empties this process's generation at once and
  again after commit;
* every process compares its token with the stored one at most every ``RECHECK_SECONDS``
  and starts a new generation when it moved — the same pattern as the point → grid index
  (``areas.locator``);
* values loaded inside a transaction that has just bumped the token are not kept (the
  transaction may still roll back).

Bulk writes that send no signals (``QuerySet.update``, ``bulk_create``) must call ``bump()``
themselves; the demo builder runs before any server starts.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection, transaction

NAME = "reference"
RECHECK_SECONDS = 5.0

# model label → the fields whose change matters for a User (None: every save)
WATCHED: dict[str, frozenset[str] | None] = {
    "accounts.RoleGrant": None,
    "accounts.Role": None,
    "accounts.RolePermission": None,
    "accounts.OrgUnit": None,
    "accounts.User": frozenset({"is_active", "org_unit", "org_unit_id"}),
    "authtoken.Token": None,  # API token → user (accounts.tokens)
    "areas.Area": None,
    "cases.Category": None,
    "cases.DeadlinePolicy": None,
    "webhooks.Subscriber": frozenset({"active", "events", "area", "area_id"}),
}

T = TypeVar("T")

_lock = threading.Lock()
_data: dict[Any, Any] | None = None
_token: str | None = None
_checked_at = 0.0
_local = threading.local()  # .bumped: this thread wrote a token in a transaction not yet over


def _stored_token() -> str:
    from civicgrid.core.models import CacheVersion

    token = CacheVersion.objects.filter(name=NAME).values_list("token", flat=True).first()
    return token or ""


def _generation() -> dict[Any, Any]:
    global _data, _token, _checked_at
    data = _data
    if data is not None and time.monotonic() - _checked_at < RECHECK_SECONDS:
        return data
    token = _stored_token()  # read before any value is loaded: a later bump always shows
    with _lock:
        if _data is None or token != _token:
            _data, _token = {}, token
        _checked_at = time.monotonic()
        return _data


def _keep() -> bool:
    if getattr(_local, "bumped", False):
        if connection.in_atomic_block:
            return False  # our own uncommitted change: it may still roll back
        _local.bumped = False
    return True


def get(key: Any, loader: Callable[[], T]) -> T:
    """The cached value for ``key`` in this generation, loaded with ``loader`` if missing."""
    data = _generation()
    try:
        return data[key]  # type: ignore[no-any-return]
    except KeyError:
        pass
    value = loader()
    if _keep():
        data[key] = value
    return value


def forget(key: Any) -> None:
    """Drop one value of this generation (e.g. a miss that must not be kept)."""
    data = _data
    if data is not None:
        data.pop(key, None)


def clear() -> None:
    """Forget everything in this process (the next read checks the stored token)."""
    global _data, _checked_at
    with _lock:
        _data = None
        _checked_at = 0.0
    _local.bumped = False


def _after_commit() -> None:
    clear()


def bump() -> None:
    """Store a new token (every process reloads) and forget this process's values."""
    from civicgrid.core.models import CacheVersion

    token = uuid.uuid4().hex
    if not CacheVersion.objects.filter(name=NAME).update(token=token):
        CacheVersion.objects.update_or_create(name=NAME, defaults={"token": token})
    clear()
    if connection.in_atomic_block:
        _local.bumped = True
    transaction.on_commit(_after_commit)


def _saved(sender: Any, instance: Any = None, update_fields: Any = None, raw: bool = False,
           **kwargs: Any) -> None:
    if raw:
        return
    fields = WATCHED.get(sender._meta.label)
    if fields is not None and update_fields is not None and not fields & set(update_fields):
        return  # e.g. a user's last_login
    bump()


def _deleted(sender: Any, **kwargs: Any) -> None:
    bump()


def connect() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(_saved, sender=model, dispatch_uid=f"refcache.save.{label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"refcache.delete.{label}")
