"""Which centre owns a case, and which departments may take it."""

from __future__ import annotations

from django.db.models import QuerySet

from civicgrid.accounts.models import DepartmentType, OrgKind, OrgUnit
from civicgrid.areas.models import CODE_LENGTH, AreaLevel
from civicgrid.core import refcache
from civicgrid.core.errors import ValidationFailed

_CENTER_LEVELS = (AreaLevel.TOWNSHIP, AreaLevel.COUNTY, AreaLevel.CITY, AreaLevel.PROVINCE)


def active_centers() -> dict[str, OrgUnit]:
    """Active centres by the code of their area (cached across requests: ``core.refcache``)."""
    return refcache.get("active_centers", lambda: {
        c.area.code: c for c in OrgUnit.objects.filter(kind=OrgKind.CENTER, is_active=True)
        .select_related("area").order_by("pk")})


def owner_for(area_code: str) -> OrgUnit:
    """The township centre of the place, else the nearest centre above it."""
    prefixes = [area_code[:CODE_LENGTH[level]] for level in _CENTER_LEVELS
                if len(area_code) >= CODE_LENGTH[level]]
    centers = active_centers()
    for prefix in prefixes:
        if prefix in centers:
            return centers[prefix]
    raise ValidationFailed(f"区划 {area_code} 没有可受理的综治中心。", code="no_center")


def parent_center(center: OrgUnit) -> OrgUnit | None:
    """The centre one level up (township → county → city → province), if there is one."""
    code = center.area.code
    shorter = [code[:n] for n in sorted(set(CODE_LENGTH.values()), reverse=True) if n < len(code)]
    centers = {c.area.code: c for c in OrgUnit.objects.filter(
        kind=OrgKind.CENTER, is_active=True, area__code__in=shorter).select_related("area")}
    for prefix in shorter:
        if prefix in centers:
            return centers[prefix]
    return None


def departments_serving(area_code: str) -> QuerySet[OrgUnit]:
    """Active departments whose area contains the place (a district's 城管局 serves its villages)."""
    prefixes = [area_code[:n] for n in sorted(set(CODE_LENGTH.values())) if n <= len(area_code)]
    return OrgUnit.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True,
                                  area__code__in=prefixes).select_related("area")


def default_department(area_code: str, department_type: str) -> OrgUnit | None:
    if not department_type or department_type not in DepartmentType.values:
        return None
    # the nearest one: a township's own office before the district's bureau
    candidates = sorted(departments_serving(area_code).filter(department_type=department_type),
                        key=lambda d: -len(d.area.code))
    return candidates[0] if candidates else None
