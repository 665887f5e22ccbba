"""The hot path of POST /api/v1/cases/ (cases/report_json.py) against the serializers it stands
in for: it never accepts what CaseCreateSerializer refuses, it gives the same validated data,
it does take the ordinary reports, and the 201 body is CaseCreatedSerializer's."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.areas.models import Grid
from civicgrid.cases import serializers as s
from civicgrid.cases.duplicates import similar_open_candidates
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.models import Case
from civicgrid.cases.report_json import created_body, fields_of

TEXT = st.one_of(
    st.text(max_size=130), st.just(""), st.just("   "), st.just(" 占道经营 "), st.just("a\x00b"),
    st.just("\ud83d"), st.text(alphabet="路灯不亮 \t\n", min_size=1, max_size=250),
)
VALUE = st.one_of(
    TEXT, st.none(), st.booleans(), st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.just("39.01"), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["hotline", "grid", "portal", "sensor", "HOTLINE", "normal", "urgent", "critical",
                     "wgs84", "gcj02", "WGS84", "true", "1"]),
)
KEYS = ["channel", "title", "description", "category", "urgency", "lat", "lng", "crs", "address", "grid",
        "area", "reporter_name", "reporter_phone", "anonymous", "source_ref", "on_the_spot_result",
        "photos", "extra"]
PLAIN = {"channel": "hotline", "title": "占道经营", "description": "门店外摆摊占用人行道",
         "category": "jiemian-zhandao", "lng": 106.38, "lat": 39.01, "reporter_phone": "13812345678"}


def _serializer(data: Any) -> dict[str, Any] | None:
    form = s.CaseCreateSerializer(data=data)
    return dict(form.validated_data) if form.is_valid() else None


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(
        type(a[k]) is type(b[k]) and (a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k])))
        for k in a)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.dictionaries(st.sampled_from(KEYS), VALUE, max_size=len(KEYS)),
    st.dictionaries(st.sampled_from(KEYS), VALUE, max_size=6).map(lambda extra: {**PLAIN, **extra}),
    st.lists(st.integers(), max_size=2), st.none(), TEXT,
))
def test_never_accepts_what_the_serializer_refuses_and_agrees_on_the_data(data: Any) -> None:
    fast = fields_of(data)
    if fast is None:
        return  # the serializer decides (and explains)
    reference = _serializer(data)
    assert reference is not None, (data, fast)
    assert _same(fast, reference), (data, fast, reference)


@pytest.mark.parametrize("body", [
    PLAIN,
    {"channel": "portal", "title": " 路灯不亮 ", "description": "三天了", "anonymous": True},
    {**PLAIN, "crs": "gcj02", "urgency": "", "address": "", "grid": "640202001001001", "lat": 39, "lng": None},
    {**PLAIN, "channel": "grid", "on_the_spot_result": "已现场劝离", "source_ref": "GD-1", "reporter_name": "张三"},
    {**PLAIN, "on_the_spot_result": None, "urgency": "urgent", "area": "640202001"},
])
def test_ordinary_reports_take_the_fast_path_with_the_serializers_result(body: dict[str, Any]) -> None:
    fast = fields_of(body)
    assert fast is not None
    reference = _serializer(body)
    assert reference is not None and _same(fast, reference)


@pytest.mark.parametrize("body", [
    {**PLAIN, "title": "   "}, {**PLAIN, "title": "长" * 121}, {**PLAIN, "lat": 91}, {**PLAIN, "lat": "39.0"},
    {**PLAIN, "channel": "fax"}, {**PLAIN, "anonymous": "true"}, {**PLAIN, "on_the_spot_result": " "},
    {**PLAIN, "category": None}, {**PLAIN, "photos": []}, {k: v for k, v in PLAIN.items() if k != "description"},
])
def test_anything_unusual_goes_to_the_serializer(body: dict[str, Any]) -> None:
    assert fields_of(body) is None


@pytest.mark.django_db
def test_the_201_body_is_the_serializers(cast) -> None:  # type: ignore[no-untyped-def]
    agent = cast["hotline"]
    first = report_case(actor=agent, report=Report(
        channel="hotline", title="垃圾堆放", description="小区门口", area_code="640202001"))
    grid = Grid.objects.current().filter(code__startswith="640202001").order_by("code").first()
    assert grid is not None
    near = [report_case(actor=agent, report=Report(
        channel="hotline", title=f"垃圾堆放 {i}", description="同一处", category="shirong-laji",
        lng=grid.centroid_lng, lat=grid.centroid_lat)) for i in range(3)]
    for case in (first, *near):
        case = Case.objects.select_related("category", "grid").get(pk=case.pk)
        duplicates = similar_open_candidates(user=cast["center"], case=case, limit=5)
        expected = s.CaseCreatedSerializer(case, context={"duplicates": duplicates}).data
        assert created_body(case, duplicates) == expected
    assert duplicates, "the last report has the two before it nearby"
