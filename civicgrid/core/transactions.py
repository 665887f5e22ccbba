"""One write transaction that never surfaces SQLite's "database is locked" as a 500.

Every workflow (cases, disputes, …) opens its state-changing transaction here: a lost write
lock is a ``Conflict`` (409, code ``busy``) the client may retry.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction

from civicgrid.core.errors import Conflict


def is_lock_error(exc: OperationalError) -> bool:
    return connection.vendor == "sqlite" and ("locked" in str(exc) or "busy" in str(exc))


def _begin() -> transaction.Atomic:
    """Enter ``atomic()``, waiting for SQLite's write lock rather than failing at once.

    ``BEGIN IMMEDIATE`` takes the write lock up front. A file database waits for it
    (busy_timeout), but a shared-cache database (the in-memory test database) answers
    "database table is locked" at once: retry until the configured timeout, then answer
    with a 409 instead of a server error.
    """
    wait = float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5))
    deadline = time.monotonic() + wait
    delay = 0.002
    while True:
        atomic = transaction.atomic()
        try:
            atomic.__enter__()  # a failed BEGIN leaves the connection as it was
            return atomic
        except OperationalError as exc:
            if not is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise Conflict("系统繁忙，请稍后重试。", code="busy") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


@contextmanager
def write_transaction() -> Iterator[None]:
    """One write transaction; a lost lock on SQLite is a ``Conflict`` (409), never a 500."""
    atomic = _begin()
    try:
        yield
    except OperationalError as exc:
        if not is_lock_error(exc):
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        busy = Conflict("系统繁忙，请稍后重试。", code="busy")
        atomic.__exit__(type(busy), busy, None)
        raise busy from exc
    except BaseException as exc:
        atomic.__exit__(type(exc), exc, exc.__traceback__)
        raise
    else:
        atomic.__exit__(None, None, None)
