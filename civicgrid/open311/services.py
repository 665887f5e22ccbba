"""POST a service request: a GeoReport v2 form becomes a case through the one intake service.

The client is known from its api_key (``keys.client_for_key``); the point must lie in the
client's jurisdiction. The case is filed with ``channel="open311"`` and the client's name as
``channel_detail``; a token is recorded so that ``tokens/{token}`` resolves it.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas import locator
from civicgrid.areas.models import Area
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.models import Case, Channel, Urgency
from civicgrid.core.errors import NotFound, PermissionDenied, ValidationFailed
from civicgrid.core.personal import seal
from civicgrid.open311 import selectors
from civicgrid.open311.models import Open311Client, Open311Submission

MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class Filed:
    case: Case
    submission: Open311Submission


def _float(fields: Mapping[str, str], name: str) -> float | None:
    raw = (fields.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed(_("%(name)s 不是数字。") % {"name": name}, code="invalid_location") from None
    if not math.isfinite(value):
        raise ValidationFailed(_("%(name)s 不是数字。") % {"name": name}, code="invalid_location")
    return value


def _attributes(fields: Mapping[str, str]) -> dict[str, str]:
    """``attribute[code]=value`` (and ``attribute[code][]``) → {code: value}."""
    result: dict[str, str] = {}
    for key, value in fields.items():
        if key.startswith("attribute[") and "]" in key:
            result[key[len("attribute["):key.index("]")]] = value.strip()
    return result


def _area(client: Open311Client, jurisdiction_id: str) -> Area:
    if not jurisdiction_id:
        return client.jurisdiction
    area = Area.objects.filter(code=jurisdiction_id).first()
    if area is None:
        raise NotFound(_("jurisdiction_id %(id)s 不存在。") % {"id": jurisdiction_id},
                       code="unknown_jurisdiction")
    if not area.code.startswith(client.jurisdiction.code):
        raise PermissionDenied(_("该 api_key 无权向辖区 %(id)s 提交。") % {"id": jurisdiction_id},
                               code="jurisdiction_not_permitted")
    return area


def submit_request(*, client: Open311Client, fields: Mapping[str, str]) -> Filed:
    """File one GeoReport v2 POST (already authenticated and rate-limited) as a case."""
    code = (fields.get("service_code") or "").strip()
    if not code:
        raise ValidationFailed(_("缺少 service_code。"), code="service_code_required")
    category = selectors.public_service(code)
    if category is None:
        raise ValidationFailed(_("service_code %(code)s 不存在。") % {"code": code},
                               code="unknown_service_code")
    area = _area(client, (fields.get("jurisdiction_id") or "").strip())
    lat, lng = _float(fields, "lat"), _float(fields, "long")
    address = (fields.get("address_string") or fields.get("address_id") or "").strip()
    if (lat is None) != (lng is None):
        raise ValidationFailed(_("lat 与 long 须同时提供。"), code="invalid_location")
    if lat is None and not address:
        raise ValidationFailed(_("请提供位置：lat/long、address_string 或 address_id。"),
                               code="location_required")
    if lat is not None and lng is not None:
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValidationFailed(_("lat/long 超出范围。"), code="invalid_location")
        grid_code = locator.locate(lng, lat)
        if grid_code is None or not grid_code.startswith(area.code):
            raise ValidationFailed(
                _("位置 (%(lat)s, %(lng)s) 不在辖区 %(area)s 的网格内。")
                % {"lat": lat, "lng": lng, "area": area.name}, code="location_outside_jurisdiction")
    attributes = _attributes(fields)
    urgency = attributes.get("urgency", "")
    if urgency and urgency not in Urgency.values:
        raise ValidationFailed(_("attribute[urgency] 只能是 %(values)s。")
                               % {"values": "、".join(Urgency.values)}, code="invalid_attribute")
    description = (fields.get("description") or "").strip() or category.name
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(_("description 不能超过 %(n)s 字。") % {"n": MAX_DESCRIPTION},
                               code="too_long")
    name = " ".join(p for p in ((fields.get("last_name") or "").strip(),
                                (fields.get("first_name") or "").strip()) if p)
    title = description.splitlines()[0][:30] or category.name
    report = Report(
        channel=Channel.OPEN311, channel_detail=client.name, title=title, description=description,
        category=category.code, urgency=urgency or None, lng=lng, lat=lat, crs="wgs84",
        address=address[:200], area_code=area.code, reporter_name=name[:64],
        reporter_phone=(fields.get("phone") or "").strip()[:32],
    )
    with transaction.atomic():
        case = report_case(actor=None, report=report)
        submission = Open311Submission.objects.create(
            client=client, case=case, token=secrets.token_hex(8),
            account_id=(fields.get("account_id") or "").strip()[:64],
            device_id=(fields.get("device_id") or "").strip()[:64],
            email=seal((fields.get("email") or "").strip()[:128]),
            media_url=(fields.get("media_url") or "").strip()[:500],
            created_at=timezone.now())
    return Filed(case, submission)


def submission_for_token(token: str) -> Open311Submission | None:
    if not token or len(token) > 32:
        return None
    return (Open311Submission.objects.select_related("case")
            .filter(token=token, case__category__is_public=True).first())
