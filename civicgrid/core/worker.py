"""The loop behind ``--every N`` workers (``civicgrid tick``, ``civicgrid deliver-webhooks``).

Once without ``every`` (cron; an error propagates); otherwise every ``every`` seconds until
SIGTERM/SIGINT, logging an error and going on, dropping stale database connections before
each pass. A pass that returns True has more work waiting and is followed at once.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any, TextIO

from django.db import close_old_connections


def run(job: Callable[[], bool], *, every: float, stderr: TextIO | Any, label: str) -> None:
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    if every:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    while True:
        if every:  # a long-lived worker: drop connections that went stale while asleep
            close_old_connections()
        started = time.monotonic()
        more = False
        try:
            more = job()
        except Exception as exc:  # a worker keeps going; a one-off run reports the error
            if not every:
                raise
            stderr.write(f"{label}失败：{exc!r}")
        if not every or stopping:
            return
        if more:
            continue
        while not stopping and time.monotonic() - started < every:
            time.sleep(min(0.2, every))
        if stopping:
            return
