"""What Open311 shows: public services and the public view of cases filed under them.

GET is open to anyone on the intranet (docs/adr/0006-open311.md), so only cases whose
category is public appear, and the reporter's personal data is never read into a row:
``request_rows`` builds plain dicts from chosen columns, with phone and ID-card numbers
masked inside free text as well.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    Case,
    CaseEvent,
    Category,
    State,
    Urgency,
)

MAX_RESULTS = 1000  # GeoReport v2: at most 1000 requests per answer
DEFAULT_WINDOW_DAYS = 90  # … and the most recent 90 days when no dates are given

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?\d{4}(\d{3,4})(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9Xx])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9Xx])")


def mask_personal(text: str) -> str:
    """Mask mobile, landline and ID-card numbers a reporter typed into free text."""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}**********{m.group(2)}", text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)}", text)


def public_services() -> QuerySet[Category]:
    """Leaf categories residents may choose (小类 under an active 大类)."""
    return (Category.objects.filter(is_public=True, is_active=True, parent__isnull=False,
                                    parent__is_active=True)
            .select_related("parent").order_by("parent__sort", "parent__code", "sort", "code"))


def public_service(code: str) -> Category | None:
    return public_services().filter(code=code).first()


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    order: int
    description: str
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()
    variable: bool = True


def service_attributes(category: Category) -> list[Attribute]:
    """The attributes of every service: urgency as a single-value list."""
    return [Attribute(
        code="urgency", datatype="singlevaluelist", required=False, order=1,
        description=_("紧急程度（默认：%(default)s）") % {
            "default": Urgency(category.urgency).label},
        values=tuple((u.value, str(u.label)) for u in Urgency),
    )]


def service_keywords(category: Category) -> str:
    return ",".join(dict.fromkeys(k for k in (category.parent.name if category.parent else "",
                                              category.name) if k))


def public_cases() -> QuerySet[Case]:
    """Cases under public categories: the only ones Open311 GET shows."""
    return Case.objects.filter(category__is_public=True)


def requests_by_codes(codes: Sequence[str]) -> QuerySet[Case]:
    return public_cases().filter(code__in=[c.strip().upper() for c in codes if c.strip()])


def requests_matching(*, start: datetime, end: datetime, service_codes: Sequence[str] = (),
                      statuses: Sequence[str] = (), area_prefix: str = "") -> QuerySet[Case]:
    qs = public_cases().filter(created_at__gte=start, created_at__lte=end)
    if service_codes:
        qs = qs.filter(category__code__in=list(service_codes))
    states: set[str] = set()
    if "open" in statuses:
        states |= set(OPEN_STATES)
    if "closed" in statuses:
        states |= set(CLOSED_STATES)
    if statuses:
        qs = qs.filter(state__in=sorted(states))
    if area_prefix:
        qs = qs.filter(area_code__startswith=area_prefix)
    return qs


_COLUMNS = ("id", "code", "state", "category__code", "category__name", "description",
            "address", "lat", "lng", "created_at", "updated_at", "handle_due_at", "due_at",
            "result", "owner__name", "merged_into__code")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset (GeoReport v2), in the site's time zone."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _status_notes(row: dict[str, Any], reject_notes: dict[int, str]) -> str:
    state = row["state"]
    label = str(State(state).label)
    if state == State.CLOSED and row["result"]:
        return f"{label}：{row['result']}"
    if state == State.REJECTED and reject_notes.get(row["id"]):
        return f"{label}：{reject_notes[row['id']]}"
    if state == State.MERGED and row["merged_into__code"]:
        return _("%(label)s：与事件 %(code)s 合并办理") % {"label": label,
                                                  "code": row["merged_into__code"]}
    if state == State.HANDLED and row["result"]:
        return f"{label}：{row['result']}"
    return label


def request_rows(cases: QuerySet[Case]) -> list[dict[str, Any]]:
    """The public fields of up to MAX_RESULTS cases, newest first, in spec order."""
    rows = list(cases.order_by("-created_at", "-id").values(*_COLUMNS)[:MAX_RESULTS])
    ids = [r["id"] for r in rows]
    leads: dict[int, str] = {}
    for a in (Assignment.objects.filter(case_id__in=ids, role=AssignmentRole.LEAD)
              .order_by("case_id", "dispatched_at", "id").values("case_id", "department__name")):
        leads[a["case_id"]] = a["department__name"]  # the latest lead wins
    rejected = [r["id"] for r in rows if r["state"] == State.REJECTED]
    reject_notes = {e["case_id"]: e["note"] for e in CaseEvent.objects.filter(
        case_id__in=rejected, action="reject").order_by("at", "id").values("case_id", "note")}
    return [_row(r, leads, reject_notes) for r in rows]


def _row(r: dict[str, Any], leads: dict[int, str], reject_notes: dict[int, str]) -> dict[str, Any]:
    is_open = r["state"] in OPEN_STATES
    expected = (r["handle_due_at"] or r["due_at"]) if is_open else None
    return {
        "service_request_id": r["code"],
        "status": "open" if is_open else "closed",
        "status_notes": mask_personal(_status_notes(r, reject_notes)),
        "service_name": r["category__name"],
        "service_code": r["category__code"],
        "description": mask_personal(r["description"]),
        "agency_responsible": leads.get(r["id"]) or r["owner__name"],
        "service_notice": "",
        "requested_datetime": iso(r["created_at"]),
        "updated_datetime": iso(r["updated_at"]),
        "expected_datetime": iso(expected),
        "address": mask_personal(r["address"]),
        "address_id": "",
        "zipcode": "",
        "lat": r["lat"],
        "long": r["lng"],
        "media_url": "",  # photos are never public: they stay behind the scoped case pages
    }


