"""The hot path of ``POST /api/v1/cases/``: a plain JSON report in, the 201 body out.

Hotline systems, sensor gateways and phones send thousands of reports an hour, and DRF's field
machinery cost about as much CPU as the report itself (≈ 4,000 Python calls of 15,000 per
request; docs/benchmarks.md, "Case intake"). Two plain functions do the same work for the
common case:

* ``fields_of(data)`` checks a JSON body (a dict) with exactly ``CaseCreateSerializer``'s
  rules and returns what its ``validated_data`` would be — or ``None`` whenever the body is
  anything but plainly right (a wrong type, a blank required field, a value out of range, a
  string a number must be parsed from, photos …). ``None`` sends the request through the
  serializer, which stays the declared schema and gives every error message; so nothing is
  accepted here that it would refuse, and nothing is refused here at all.
* ``created_body(case, duplicates)`` renders ``CaseCreatedSerializer``'s fields.

tests/cases/test_report_json.py holds both to the serializers (Hypothesis over arbitrary bodies).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rest_framework import serializers

from civicgrid.cases.duplicates import Candidate
from civicgrid.cases.models import Case, Channel, Urgency

CRS = ("wgs84", "gcj02")
# name → max length (None: no limit), allow blank; DRF CharFields trim whitespace
REQUIRED_TEXT = {"title": 120, "description": None}
OPTIONAL_TEXT = {"category": None, "address": 200, "grid": None, "area": None, "reporter_name": 64,
                 "reporter_phone": 32, "source_ref": 64}
COORDINATES = {"lat": 90.0, "lng": 180.0}
_DATETIME = serializers.DateTimeField()  # only its rendering: timezone and format as the API's


def _plain(value: Any) -> bool:
    """A string DRF's CharField takes as it is: no NUL, no lone surrogate."""
    return type(value) is str and "\x00" not in value and not any(
        "\ud800" <= ch <= "\udfff" for ch in value if ch >= "\ud800")


def _text(value: Any, limit: int | None) -> str | None:
    if not _plain(value):
        return None
    value = value.strip()
    return value if limit is None or len(value) <= limit else None


def fields_of(data: Any) -> dict[str, Any] | None:
    """``CaseCreateSerializer(data=data).validated_data`` for a plainly right JSON body, else None."""
    if type(data) is not dict or "photos" in data:
        return None
    out: dict[str, Any] = {}
    channel = data.get("channel")
    if type(channel) is not str or channel not in Channel.values:
        return None
    out["channel"] = channel
    for name, limit in REQUIRED_TEXT.items():
        value = _text(data.get(name), limit)
        if not value:
            return None
        out[name] = value
    for name, limit in OPTIONAL_TEXT.items():
        if name in data:
            value = _text(data[name], limit)
            if value is None:
                return None
            out[name] = value
    if "urgency" in data:
        urgency = data["urgency"]
        if type(urgency) is not str or (urgency and urgency not in Urgency.values):
            return None
        out["urgency"] = urgency
    for name, bound in COORDINATES.items():
        if name in data:
            number = data[name]
            if number is not None:
                if type(number) not in (int, float) or not -bound <= number <= bound:
                    return None
                number = float(number)
                if not math.isfinite(number):
                    return None
            out[name] = number
    crs = data.get("crs", "wgs84")
    if type(crs) is not str or crs not in CRS:
        return None
    out["crs"] = crs
    anonymous = data.get("anonymous", False)
    if type(anonymous) is not bool:
        return None
    out["anonymous"] = anonymous
    if "on_the_spot_result" in data:
        result = data["on_the_spot_result"]
        if result is not None:
            result = _text(result, None)
            if not result:
                return None
        out["on_the_spot_result"] = result
    return out


def created_body(case: Case, duplicates: Sequence[Candidate]) -> dict[str, Any]:
    """``CaseCreatedSerializer(case, context={"duplicates": duplicates}).data``."""
    return {
        "id": case.pk,
        "code": case.code,
        "channel": case.channel,
        "category": case.category.code if case.category is not None else None,
        "urgency": case.urgency,
        "state": case.state,
        "area_code": case.area_code,
        "grid": case.grid.code if case.grid is not None else None,
        "owner": case.owner_id,
        "on_the_spot": case.on_the_spot,
        "created_at": _DATETIME.to_representation(case.created_at),
        "due_at": _DATETIME.to_representation(case.due_at) if case.due_at is not None else None,
        "version": case.version,
        "suspected_duplicates": [
            {"id": c.case.pk, "code": c.case.code, "title": c.case.title, "state": c.case.state,
             "distance_m": float(c.distance_m)} for c in duplicates],
    }
