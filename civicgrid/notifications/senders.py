"""Where outbound messages go: one sender class per channel, chosen in settings.

``CIVICGRID_SMS_BACKEND`` / ``CIVICGRID_WECOM_BACKEND`` name a class by dotted path; ``-``
switches the channel off (nothing is queued for it). A sender's ``send`` returns normally
when the gateway accepted the message and raises anything on failure; the outbox records
the error and retries later. The default ``LoggingSender`` writes to the log only.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("civicgrid.notifications")


class Sender(Protocol):
    def send(self, *, recipient: str, body: str) -> None: ...


class LoggingSender:
    """Writes the message to the log (development, and sites without a gateway)."""

    channel = ""

    def send(self, *, recipient: str, body: str) -> None:
        logger.info("outbound message to %s: %s", recipient, body)


_SETTING = {"sms": "NOTIFY_SMS_BACKEND", "wecom": "NOTIFY_WECOM_BACKEND"}


def backend_path(channel: str) -> str:
    return str(getattr(settings, _SETTING[channel], "") or "")


def enabled(channel: str) -> bool:
    return bool(backend_path(channel))


def sender_for(channel: str) -> Sender | None:
    path = backend_path(channel)
    if not path:
        return None
    return import_string(path)()
