"""A cursor for the hot paths' hand-written statements: server-side binding on PostgreSQL.

Django's PostgreSQL backend binds parameters on the client by default (``server_side_binding``
off): psycopg splits the SQL text and quotes every value into it on each call, and PostgreSQL
parses and plans the resulting text afresh. A report's one statement has ≈ 60 values, so that
was a tenth of the request's Python. With server-side binding psycopg caches the split of a
constant SQL text, sends the values apart, and prepares the statement on the connection once it
has run once (psycopg keeps the last ``prepared_max`` statements per connection), so
PostgreSQL stops parsing and planning it. The ORM's own
queries keep Django's client-side binding.

The cursor is Django's wrapper around it (``connection.execute_wrapper`` hooks, query logging
and error translation work as for ``connection.cursor()``). Other databases: Django's cursor.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

ONLY_WHEN_ASKED = 2**31 - 1


@functools.cache
def _preparing_cursor() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
        """Server-side binding; every statement prepared on the connection (by its text)."""

        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                    binary: bool | None = None) -> Any:
            return super().execute(query, params, prepare=prepare is not False, binary=binary)

    return PreparingCursor


@contextmanager
def bound_cursor() -> Iterator[Any]:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:
        # Django's default: psycopg then refuses to prepare anything, even when asked; a
        # threshold never reached prepares only what asks (client-side cursors never do)
        connection.connection.prepare_threshold = ONLY_WHEN_ASKED
    raw = _preparing_cursor()(connection.connection)
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        yield cursor
