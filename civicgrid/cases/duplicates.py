"""Suspected duplicates (疑似重复): open cases of the same category reported nearby, lately.

A case's duplicates are open cases (not itself, not merged) of the same 小类, within the
category's ``duplicate_radius_m`` (default 250 m), reported in the last
``CASE_DUPLICATE_DAYS`` days, and visible to the asking user — the candidates come from
``cases_visible_to`` so nothing outside the user's scope leaks. A bounding box on lat/lng
narrows the rows in SQL; the exact great-circle distance is computed here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.cases.models import OPEN_STATES, Case
from civicgrid.cases.selectors import visible_sql
from civicgrid.core.bound import bound_cursor

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
DEFAULT_RADIUS_M = 250
FIELDS = ("id", "code", "title", "state", "lng", "lat", "created_at")  # what callers show
_LOADED = [f.attname for f in Case._meta.concrete_fields if f.attname in FIELDS]  # model order
_ORDER = [FIELDS.index(name) for name in _LOADED]


@dataclass(frozen=True)
class Candidate:
    case: Case
    distance_m: float


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lng: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lng, max_lng, min_lat, max_lat) enclosing the circle, with a small margin."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.01
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat)) * 1.01
    return lng - dlng, lng + dlng, lat - dlat, lat + dlat


def similar_open_candidates(*, user: User | None, case: Case, limit: int = 10,
                            now: dt.datetime | None = None) -> list[Candidate]:
    """The suspected duplicates of ``case`` with their distances, nearest first."""
    if case.category_id is None or case.lng is None or case.lat is None or limit <= 0:
        return []
    radius = (case.category.duplicate_radius_m if case.category else 0) or DEFAULT_RADIUS_M
    since = (now or timezone.now()) - dt.timedelta(days=settings.CASE_DUPLICATE_DAYS)
    # twice the limit of the nearest in SQL; the great-circle distance decides. Where reports
    # cluster, dozens of candidates share the box.
    k_lat = math.radians(EARTH_RADIUS_M)
    k_lng = k_lat * math.cos(math.radians(case.lat))
    rows = _nearest_rows(user, case, since, k_lng, k_lat, bounding_box(case.lng, case.lat, radius),
                         2 * limit)
    found = []
    for row in rows:
        distance = haversine_m(case.lng, case.lat, row[4], row[5])
        if distance <= radius:
            found.append((distance, -row[6].timestamp(), row[0], row))
    found.sort()
    # loaded as the ORM loads a row with the other fields deferred (read on access)
    return [Candidate(Case.from_db(DEFAULT_DB_ALIAS, _LOADED, [row[i] for i in _ORDER]), distance)
            for distance, _newer, _pk, row in found[:limit]]


_OPEN = tuple(sorted(state.value for state in OPEN_STATES))
_NEAREST = (
    "SELECT id, code, title, state, lng, lat, created_at FROM cases_case"
    " WHERE {visible} AND id <> %s AND category_id = %s AND state IN ({states})"
    " AND merged_into_id IS NULL AND created_at >= %s"
    " AND lng >= %s AND lng <= %s AND lat >= %s AND lat <= %s"
    " ORDER BY ((lng - %s) * %s) * ((lng - %s) * %s) + ((lat - %s) * %s) * ((lat - %s) * %s),"
    " created_at DESC, id DESC LIMIT %s")


def _nearest_rows(user: User | None, case: Case, since: dt.datetime, k_lng: float, k_lat: float,
                  box: tuple[float, float, float, float], limit: int) -> list[tuple[Any, ...]]:
    """The candidates in the box, the nearest first by the local flat-earth distance (metres²,
    exact enough to rank candidates 250 m apart), as plain rows. Hand-written SQL: the search
    runs on every report, and building it with the ORM cost a third of the request's Python.
    The scope condition is the selectors' own (``visible_sql``), compiled once per scope."""
    visible, visible_params = visible_sql(user, DEFAULT_DB_ALIAS)
    sql = _NEAREST.format(visible=visible, states=", ".join(["%s"] * len(_OPEN)))
    params = (*visible_params, case.pk, case.category_id, *_OPEN,
              connection.ops.adapt_datetimefield_value(since), *box,
              case.lng, k_lng, case.lng, k_lng, case.lat, k_lat, case.lat, k_lat, limit)
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":  # raw SQLite rows: timestamps as naive UTC datetimes
        created = Case._meta.get_field("created_at")
        convert = connection.ops.convert_datetimefield_value
        rows = [(*row[:6], convert(row[6], created, connection)) for row in rows]
    return rows


def similar_open_cases(*, user: User | None, case: Case, limit: int = 10) -> list[Case]:
    """Open cases of the same category within the category's radius, reported lately."""
    return [c.case for c in similar_open_candidates(user=user, case=case, limit=limit)]
