"""PostgreSQL: chunks of an import stored by two connections side by side, committed in order.

One backend uses one CPU, and storing a case (COPY, indexes, WAL) costs PostgreSQL more CPU than
Python spends preparing it; so an import hands its chunks to ``Pipeline``: each chunk goes to a free writer connection (its own transaction, COPY in
a helper thread while Python prepares the next chunk), and the chunks are committed strictly in
the order they were handed over. So the database holds, at any time, the whole of the first k
chunks and nothing of the others, as a one-connection import would: a chunk that fails is rolled
back together with every later chunk still uncommitted, and the error is raised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from civicgrid.cases.imports.loader import Background

WRITERS = 2


class _Job:
    """One chunk's transaction on a writer: ``BEGIN`` and ``work`` in a helper thread; the commit
    or the rollback is the pipeline's (the caller's thread)."""

    def __init__(self, raw: Any, work: Callable[[Any], None], on_commit: Callable[[], None]) -> None:
        self.raw, self.on_commit = raw, on_commit

        def run(cursor: Any) -> None:
            cursor.execute("BEGIN")
            work(cursor)

        self.background = Background(run, raw)


class Pipeline:
    """``submit`` chunks, ``settle`` at the end; ``close`` always (rolls back what is left)."""

    def __init__(self, writers: int = WRITERS) -> None:
        self._wrappers = []
        self._free: list[Any] = []
        self._inflight: deque[_Job] = deque()
        try:
            for _ in range(writers):
                wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
                self._wrappers.append(wrapper)
                wrapper.ensure_connection()  # autocommit, UTC, as Django sets its connections up
                self._free.append(wrapper.connection)
        except BaseException:
            self.close()
            raise

    def submit(self, work: Callable[[Any], None], on_commit: Callable[[], None]) -> None:
        """Run ``work(cursor)`` in a new transaction on a free writer (waiting for the oldest
        chunk to be committed when none is free); ``on_commit`` once it is committed."""
        if not self._free:
            self._commit_oldest()
        self._inflight.append(_Job(self._free.pop(), work, on_commit))

    def settle(self) -> None:
        """Commit every chunk handed over, in order (the first failure rolls back the rest)."""
        while self._inflight:
            self._commit_oldest()

    def _commit_oldest(self) -> None:
        job = self._inflight.popleft()
        try:
            with self._wrappers[0].wrap_database_errors:  # psycopg's errors as Django's
                job.background.join()
                job.raw.execute("COMMIT")
        except BaseException:
            self._rollback(job)
            self.abort()
            raise
        self._free.append(job.raw)
        job.on_commit()

    def abort(self) -> None:
        """Roll back every chunk not yet committed."""
        while self._inflight:
            job = self._inflight.popleft()
            with suppress(BaseException):  # its error, if any: rolled back below either way
                job.background.join()
            self._rollback(job)

    def _rollback(self, job: _Job) -> None:
        try:
            job.raw.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 — a broken connection has nothing left to roll back
            job.raw.close()
            return
        self._free.append(job.raw)

    def close(self) -> None:
        self.abort()
        for wrapper in self._wrappers:
            wrapper.close()
