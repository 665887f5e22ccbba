"""Intake: one service for every channel (DESIGN.md §4). The channel is a field.

A report becomes a ``reported`` case owned by the centre of its place, with its grid found
from the point (or chosen), the accept deadline set and a first timeline entry. A grid
member's 即报即办 goes straight on to ``handled`` with the result. An ``Idempotency-Key``
makes retries safe: the same key always answers with the same case.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.scope import can
from civicgrid.areas import locator
from civicgrid.areas.coords import gcj02_to_wgs84
from civicgrid.areas.models import Area, Grid
from civicgrid.cases import photos, routing
from civicgrid.cases.models import (
    Case,
    Category,
    Channel,
    IdempotencyKey,
    PhotoKind,
    State,
    Urgency,
)
from civicgrid.cases.workflow import (
    announce,
    case_event_recorded,
    enter_stage,
    new_event,
    record_event,
    transition,
)
from civicgrid.core import refcache
from civicgrid.core.errors import Conflict, PermissionDenied, ValidationFailed
from civicgrid.core.personal import lookup_hash, seal
from civicgrid.core.rows import insert, insert_family

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone
CODE_LENGTH = 10
CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Report:
    channel: str
    title: str
    description: str
    category: str | None = None
    urgency: str | None = None
    lng: float | None = None
    lat: float | None = None
    crs: str = "wgs84"
    address: str = ""
    grid_code: str | None = None
    area_code: str | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    source_ref: str = ""
    channel_detail: str = ""
    on_the_spot_result: str | None = None  # 即报即办: resolved on the spot, with this result

    def fingerprint(self) -> str:
        payload = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _place(report: Report) -> tuple[Grid | None, str, float | None, float | None]:
    lng, lat = report.lng, report.lat
    if (lng is None) != (lat is None):
        raise ValidationFailed("经纬度须同时提供。", code="invalid_location")
    if lng is not None and lat is not None:
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise ValidationFailed("经纬度超出范围。", code="invalid_location")
        if report.crs == "gcj02":
            lng, lat = gcj02_to_wgs84(lng, lat)
        elif report.crs != "wgs84":
            raise ValidationFailed("坐标系只能是 wgs84 或 gcj02。", code="invalid_crs")
    if report.grid_code:
        grid = Grid.objects.current().filter(code=report.grid_code).first()
        if grid is None:
            raise ValidationFailed(f"网格 {report.grid_code} 不存在。", code="unknown_grid",
                                   fields={"grid": ["不存在"]})
        return grid, grid.code, lng, lat
    if lng is not None and lat is not None:
        grid = locator.locate_grid(lng, lat)
        if grid is not None:
            return grid, grid.code, lng, lat
    if report.area_code:
        area = Area.objects.filter(code=report.area_code).first()
        if area is None:
            raise ValidationFailed(f"区划 {report.area_code} 不存在。", code="unknown_area",
                                   fields={"area": ["不存在"]})
        return None, area.code, lng, lat
    if lng is not None:
        raise ValidationFailed("该位置不在任何网格内，请选择所属网格或区划。", code="location_outside_grids",
                               fields={"location": ["不在网格内"]})
    raise ValidationFailed("请提供位置（经纬度）或选择网格/区划。", code="location_required",
                           fields={"location": ["必填"]})


def _validate(report: Report) -> Category | None:
    if report.channel not in Channel.values:
        raise ValidationFailed("来源渠道无效。", code="invalid_channel", fields={"channel": ["无效"]})
    if not report.title.strip():
        raise ValidationFailed("请填写标题。", code="required", fields={"title": ["必填"]})
    if not report.description.strip():
        raise ValidationFailed("请描述问题。", code="required", fields={"description": ["必填"]})
    if len(report.title) > 120:
        raise ValidationFailed("标题不能超过 120 字。", code="too_long", fields={"title": ["过长"]})
    if report.urgency and report.urgency not in Urgency.values:
        raise ValidationFailed("紧急程度无效。", code="invalid_urgency", fields={"urgency": ["无效"]})
    if not report.category:
        return None
    category = active_categories().get(report.category)
    if category is None:
        raise ValidationFailed(f"事项分类 {report.category} 不存在。", code="unknown_category",
                               fields={"category": ["不存在"]})
    return category


def active_categories() -> dict[str, Category]:
    """Active categories by code, with their parents (cached: ``core.refcache``)."""
    return refcache.get("active_categories", lambda: {
        c.code: c for c in Category.objects.select_related("parent").filter(is_active=True)})


def report_case(*, actor: User | None, report: Report, files: Sequence[UploadedFile] = (),
                idempotency_key: str | None = None) -> Case:
    """Create a case from any channel. ``actor=None``: a system channel (imports, sensors)."""
    return report_case_once(actor=actor, report=report, files=files,
                            idempotency_key=idempotency_key)[0]


def report_case_once(*, actor: User | None, report: Report, files: Sequence[UploadedFile] = (),
                     idempotency_key: str | None = None) -> tuple[Case, bool]:
    """``report_case`` that also says whether this call created the case (False: a replay)."""
    if actor is not None and not can(actor, "cases.report"):
        raise PermissionDenied("您无权上报事件。", code="action_not_permitted")
    if report.on_the_spot_result is not None:
        if actor is None or not can(actor, "cases.resolve_on_spot"):
            raise PermissionDenied("只有网格员可以即报即办。", code="action_not_permitted")
        if not report.on_the_spot_result.strip():
            raise ValidationFailed("请填写现场处置结果。", code="required", fields={"result": ["必填"]})
    key = (idempotency_key or "").strip()
    if len(key) > 128:
        raise ValidationFailed("Idempotency-Key 不能超过 128 个字符。", code="invalid_idempotency_key")
    # the key answers only to its own sender: another user reusing it gets a 409, not the case
    fingerprint = hashlib.sha256(
        f"{actor.pk if actor else '-'}:{report.fingerprint()}".encode()).hexdigest()
    # A first send (the usual case) is told apart from a replay by the key's unique index:
    # inserting the key row fails for a replay, its transaction rolls back, and the stored
    # case answers. Only a report with photos looks first, as the files are written before
    # the key row.
    if key and files:
        existing = _replay(key, fingerprint)
        if existing is not None:
            return existing, False
    try:
        category = _validate(report)
        cleaned = photos.clean_all(files)  # checked before anything is written
        located = photos.first_location(cleaned)
        if report.lng is None and report.lat is None and located is not None:
            # no point given: the photo's EXIF GPS (WGS-84) places the report
            report = dataclasses.replace(report, lng=located[0], lat=located[1], crs="wgs84")
        grid, area_code, lng, lat = _place(report)
    except ValidationFailed:
        # a replay answers with its case even if the report would no longer pass (a category
        # retired since); another report under a used key is a 409, as always
        existing = _replay(key, fingerprint) if key and not files else None
        if existing is not None:
            return existing, False
        raise
    # Without photos or 即报即办 the case, its timeline entry and its key are one INSERT on
    # PostgreSQL (core.rows.insert_family): atomic by itself, so no BEGIN/COMMIT round trips —
    # unless a listener must write in the same transaction, or a caller's transaction is open
    # (a savepoint keeps it usable after a replay's conflict).
    one_statement = (not cleaned and report.on_the_spot_result is None
                     and connection.vendor == "postgresql" and not connection.in_atomic_block
                     and not case_event_recorded.has_listeners(Case))
    for attempt in range(CODE_ATTEMPTS):
        code = new_code()
        try:
            with contextlib.nullcontext() if one_statement else transaction.atomic():
                case = _create(actor, report, category, grid, area_code, lng, lat, cleaned, code,
                               key=IdempotencyKey(key=key, request_hash=fingerprint) if key else None)
                if report.on_the_spot_result is not None:
                    with transition(actor=actor, case_id=case.pk, action="resolve_on_spot",
                                    note=report.on_the_spot_result) as step:
                        step.case.result = report.on_the_spot_result
                        step.case.handled_at = step.now
                        step.case.on_the_spot = True
                    case = step.case
            return case, True
        except IntegrityError:
            if key:  # a concurrent retry with the same key won the race: answer with its case
                existing = _replay(key, fingerprint)
                if existing is not None:
                    return existing, False
            # the random code was taken (31^10 codes: about never): the whole report again,
            # rather than a savepoint around every insert
            if attempt + 1 < CODE_ATTEMPTS and Case.objects.filter(code=code).exists():
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _replay(key: str, fingerprint: str) -> Case | None:
    row = IdempotencyKey.objects.select_related("case").filter(key=key).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise Conflict("该 Idempotency-Key 已用于另一份不同的上报。", code="idempotency_key_reused")
    return row.case


def _create(actor: User | None, report: Report, category: Category | None, grid: Grid | None,
            area_code: str, lng: float | None, lat: float | None,
            cleaned: Sequence[photos.CleanPhoto], code: str, *,
            key: IdempotencyKey | None) -> Case:
    now = timezone.now()
    owner = routing.owner_for(area_code)
    phone = report.reporter_phone.strip()[:32]  # personal data: sealed, found by its hash
    case = Case(
        channel=report.channel, channel_detail=report.channel_detail[:64],
        source_ref=report.source_ref[:64], category=category,
        urgency=report.urgency or (category.urgency if category else Urgency.NORMAL),
        title=report.title.strip(), description=report.description.strip(),
        address=report.address.strip()[:200], lng=lng, lat=lat, grid=grid, area_code=area_code,
        owner=owner, reporter=actor if actor and not report.anonymous else None,
        reporter_name="" if report.anonymous else report.reporter_name.strip()[:64],
        reporter_phone="" if report.anonymous else seal(phone),
        reporter_phone_hash="" if report.anonymous else lookup_hash(phone),
        anonymous=report.anonymous, created_at=now, stage_started_at=now,
    )
    case.owner = owner
    enter_stage(case, State.REPORTED, now)
    case.code = code
    data = {"channel": case.channel, "grid": case.grid.code if case.grid else "", "photos": [],
            "anonymous": case.anonymous}
    if key is not None:
        key.created_at = now
    if cleaned:  # the photos' rows need the case's key, the timeline entry theirs
        insert([case])
        stored = photos.store_cleaned(case=case, cleaned=cleaned, kind=PhotoKind.REPORT, actor=actor)
        data["photos"] = [p.pk for p in stored]
        event = record_event(case=case, actor=actor, action="report", from_state="",
                             to_state=case.state, note=report.description[:200], at=now, data=data)
        if key is not None:
            key.case = case
            insert([key])
    else:  # plain INSERTs (core/rows.py): nothing listens to these models' save signals
        event = new_event(case=case, actor=actor, action="report", from_state="",
                          to_state=case.state, note=report.description[:200], at=now, data=data)
        insert_family(case, [(event, "case"), *([(key, "case")] if key is not None else [])])
    # the event just written, not a query for it: ``case.events.order_by("id").first()`` made
    # PostgreSQL walk the whole timeline table by primary key (≈ 20 ms at 20,000 cases)
    announce(event=event, case=case)
    return case
