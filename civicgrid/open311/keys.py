"""API keys for Open311 clients: issued, revoked, checked, rate-limited.

Every write takes an explicit actor (``None`` = the system: the demo, a management command
run by the operator) and is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import can
from civicgrid.areas.models import Area
from civicgrid.core import audit
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationFailed
from civicgrid.open311.models import Open311Client

MANAGE_PERMISSIONS = ("integrations.manage", "orgs.manage")
_HMAC_SALT = "civicgrid.open311.api_key"


def hash_key(key: str) -> str:
    """Keyed hash (HMAC-SHA256 with the site secret): a stolen table yields no usable key."""
    return salted_hmac(_HMAC_SALT, key, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    client: Open311Client
    key: str  # shown once; only its hash is stored


def _check_actor(actor: User | None) -> None:
    if actor is not None and not any(can(actor, p) for p in MANAGE_PERMISSIONS):
        raise PermissionDenied(_("您无权管理外部系统接入。"), code="action_not_permitted")


def issue_key(*, actor: User | None, name: str, jurisdiction_code: str,
              rate_limit_per_minute: int = 60, key: str | None = None) -> IssuedKey:
    """A new client with a new key. ``key`` fixes the key (the demo's published one)."""
    _check_actor(actor)
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed(_("请填写接入系统名称（不超过 64 字）。"), code="invalid_name",
                               fields={"name": [_("无效")]})
    if rate_limit_per_minute < 1:
        raise ValidationFailed(_("每分钟请求上限至少为 1。"), code="invalid_rate_limit",
                               fields={"rate_limit_per_minute": [_("无效")]})
    area = Area.objects.filter(code=jurisdiction_code.strip()).first()
    if area is None:
        raise ValidationFailed(_("辖区 %(code)s 不存在。") % {"code": jurisdiction_code},
                               code="unknown_area", fields={"jurisdiction": [_("不存在")]})
    key = key if key is not None else secrets.token_urlsafe(24)
    if len(key) < 12:
        raise ValidationFailed(_("密钥至少 12 个字符。"), code="weak_key")
    with transaction.atomic():
        if Open311Client.objects.filter(name=name).exists():
            raise Conflict(_("已有同名的接入系统。"), code="duplicate_name")
        if Open311Client.objects.filter(key_hash=hash_key(key)).exists():
            raise Conflict(_("该密钥已被使用。"), code="duplicate_key")
        client = Open311Client.objects.create(
            name=name, key_hash=hash_key(key), key_prefix=key[:6], jurisdiction=area,
            rate_limit_per_minute=rate_limit_per_minute, created_at=timezone.now(),
            created_by=actor)
        audit.record(actor=actor, action="open311.key_issued", target=f"open311client:{client.pk}",
                     data={"name": name, "jurisdiction": area.code, "prefix": client.key_prefix,
                           "rate_limit_per_minute": rate_limit_per_minute})
    return IssuedKey(client, key)


def ensure_client(*, name: str, jurisdiction_code: str, key: str) -> Open311Client:
    """The client with this key, issued by the system if missing (the demo; idempotent)."""
    existing = Open311Client.objects.filter(key_hash=hash_key(key)).first()
    if existing is not None:
        return existing
    return issue_key(actor=None, name=name, jurisdiction_code=jurisdiction_code, key=key).client


def revoke_key(*, actor: User | None, client: Open311Client) -> Open311Client:
    _check_actor(actor)
    with transaction.atomic():
        client = Open311Client.objects.select_for_update().get(pk=client.pk)
        if client.revoked_at is not None:
            return client
        client.is_active = False
        client.revoked_at = timezone.now()
        client.save(update_fields=["is_active", "revoked_at"])
        audit.record(actor=actor, action="open311.key_revoked", target=f"open311client:{client.pk}",
                     data={"name": client.name, "prefix": client.key_prefix})
    return client


def client_for_key(key: str) -> Open311Client | None:
    """The usable client holding this key, else None (missing, wrong, revoked, disabled)."""
    if not key or len(key) > 200:
        return None
    client = (Open311Client.objects.select_related("jurisdiction")
              .filter(key_hash=hash_key(key)).first())
    if client is None or not client.usable:
        return None
    return client


def take_rate_slot(client: Open311Client) -> bool:
    """Count one call in the client's current minute; False when the limit is reached."""
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    rows = Open311Client.objects.filter(pk=client.pk)
    for _attempt in range(2):
        if rows.filter(window_started_at=minute,
                       window_count__lt=F("rate_limit_per_minute")).update(
                window_count=F("window_count") + 1, last_used_at=now):
            return True
        # a new minute: the first caller to move the window counts itself
        if rows.filter(window_started_at__lt=minute).update(
                window_started_at=minute, window_count=1, last_used_at=now) or \
                rows.filter(window_started_at__isnull=True).update(
                window_started_at=minute, window_count=1, last_used_at=now):
            return True
        if rows.filter(window_started_at=minute,
                       window_count__gte=F("rate_limit_per_minute")).exists():
            return False
    return False


def seconds_to_next_window() -> int:
    now = timezone.now()
    nxt = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return max(1, int((nxt - now).total_seconds()) + 1)
