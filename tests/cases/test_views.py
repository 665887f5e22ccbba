"""Case pages through Django's test client: scope (404 like missing), allowed actions only,
refusals as Chinese messages with their HTTP status, the report form, lookups, queues."""

from __future__ import annotations

import pytest

from civicgrid.accounts.models import OrgUnit, RoleGrant
from civicgrid.areas.models import Area, AreaLevel
from civicgrid.cases import services
from civicgrid.cases.intake import Report, report_case
from civicgrid.cases.models import Case, State
from civicgrid.core.personal import lookup_hash
from tests.accounts.conftest import login_client

pytestmark = pytest.mark.django_db

DEMO_TOWNSHIP = "640202001"


def grid_code(user) -> str:  # type: ignore[no-untyped-def]
    return RoleGrant.objects.get(user=user, role__code="grid_member").grid_code


def new_case(cast, *, title: str = "垃圾堆放", category: str | None = "shirong-laji",
             area: str | None = None, phone: str = "") -> Case:  # type: ignore[no-untyped-def]
    return report_case(actor=cast["hotline"], report=Report(
        channel="hotline", title=title, description="小区门口垃圾三天没人清运", category=category,
        grid_code=None if area else grid_code(cast["grid"]), area_code=area,
        reporter_name="王女士", reporter_phone=phone))


def sibling_township() -> str:
    return (Area.objects.filter(level=AreaLevel.TOWNSHIP, code__startswith="640202")
            .exclude(code=DEMO_TOWNSHIP).order_by("code").first().code)


def actions_on_page(body: str) -> set[str]:
    import re

    return set(re.findall(r'data-testid="do-([a-z_]+)"', body))


def test_street_sees_own_township_and_404_for_sibling(cast) -> None:  # type: ignore[no-untyped-def]
    own = new_case(cast)
    other = new_case(cast, area=sibling_township())
    street = login_client(cast["street"])
    assert street.get(f"/cases/{own.pk}/").status_code == 200
    response = street.get(f"/cases/{other.pk}/")
    assert response.status_code == 404
    assert "事件不存在" in response.content.decode()
    assert street.get("/cases/99999999/").status_code == 404  # missing answers the same
    assert street.get(f"/cases/{other.pk}/sheet.pdf").status_code == 404
    assert street.post(f"/cases/{other.pk}/act/register/", {"category": "shirong-laji"}).status_code == 404
    other.refresh_from_db()
    assert other.state == State.REPORTED
    # the district centre sees both
    assert login_client(cast["center"]).get(f"/cases/{other.pk}/").status_code == 200


def test_department_sees_only_cases_dispatched_to_it(cast) -> None:  # type: ignore[no-untyped-def]
    case = new_case(cast)
    dept = login_client(cast["dept"])
    assert dept.get(f"/cases/{case.pk}/").status_code == 404
    services.register(actor=cast["street"], case_id=case.pk)
    assert dept.get(f"/cases/{case.pk}/").status_code == 404
    services.dispatch(actor=cast["street"], case_id=case.pk)  # default lead: 城管局
    response = dept.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    assert actions_on_page(response.content.decode()) == {"sign", "return", "request_extension"}
    queue = dept.get("/cases/department/").content.decode()
    assert case.code in queue


def test_only_allowed_actions_are_rendered(cast) -> None:  # type: ignore[no-untyped-def]
    case = new_case(cast)
    body = login_client(cast["street"]).get(f"/cases/{case.pk}/").content.decode()
    assert actions_on_page(body) == {"register", "reject", "merge", "escalate", "supervise"}
    for who in ("grid", "dept", "hotline", "resident"):
        response = login_client(cast[who]).get(f"/cases/{case.pk}/")
        if response.status_code == 200:
            assert actions_on_page(response.content.decode()) == set(), who
    leader = login_client(cast["leader"]).get(f"/cases/{case.pk}/").content.decode()
    assert actions_on_page(leader) == {"supervise"}
    services.register(actor=cast["street"], case_id=case.pk)
    body = login_client(cast["street"]).get(f"/cases/{case.pk}/").content.decode()
    assert actions_on_page(body) == {"merge", "dispatch", "escalate", "supervise"}
    assert "selected>大武口区城市管理局" in body  # the category's default lead department is offered


def test_action_post_and_stale_version_is_409_with_chinese_message(cast) -> None:  # type: ignore[no-untyped-def]
    case = new_case(cast)
    street = login_client(cast["street"])
    response = street.post(f"/cases/{case.pk}/act/register/",
                           {"category": "shirong-laji", "urgency": "normal", "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.REGISTERED
    # a second form opened before the register: someone else already acted
    response = street.post(f"/cases/{case.pk}/act/reject/", {"reason": "重复反映", "version": 0})
    assert response.status_code == 409
    body = response.content.decode()
    assert "该事件已被他人处理" in body and "重复反映" in body  # the typed reason is kept
    case.refresh_from_db()
    assert case.state == State.REGISTERED


def test_permission_denied_is_403(cast) -> None:  # type: ignore[no-untyped-def]
    case = new_case(cast)
    response = login_client(cast["grid"]).post(f"/cases/{case.pk}/act/register/",
                                             {"category": "shirong-laji"})
    assert response.status_code == 403
    assert "无权" in response.content.decode()


def test_report_form_plain_post_and_json_with_idempotency_key(cast) -> None:  # type: ignore[no-untyped-def]
    grid = login_client(cast["grid"])
    assert 'capture="environment"' in grid.get("/cases/report/").content.decode()
    data = {"title": "路灯不亮", "description": "三号楼前路灯坏了", "category": "sheshi-ludeng",
            "grid": grid_code(cast["grid"]), "idempotency_key": "form-key-1"}
    first = grid.post("/cases/report/", data)
    assert first.status_code == 302
    again = grid.post("/cases/report/", data)
    assert again["Location"] == first["Location"]
    assert Case.objects.filter(title="路灯不亮").count() == 1
    response = grid.post("/cases/report/", {**data, "title": "井盖缺失", "idempotency_key": ""},
                         HTTP_ACCEPT="application/json", HTTP_IDEMPOTENCY_KEY="offline-key-1")
    assert response.status_code == 201
    body = response.json()
    assert Case.objects.get(pk=body["id"]).code == body["code"]
    repeat = grid.post("/cases/report/", {**data, "title": "井盖缺失", "idempotency_key": ""},
                       HTTP_ACCEPT="application/json", HTTP_IDEMPOTENCY_KEY="offline-key-1")
    assert repeat.json()["id"] == body["id"]
    bad = grid.post("/cases/report/", {"title": "", "description": ""}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "required"


def test_on_the_spot_report_goes_to_handled(cast) -> None:  # type: ignore[no-untyped-def]
    grid = login_client(cast["grid"])
    response = grid.post("/cases/report/", {
        "title": "小广告", "description": "电线杆小广告", "grid": grid_code(cast["grid"]),
        "on_the_spot": "1", "on_the_spot_result": "已现场清除"})
    assert response.status_code == 302
    case = Case.objects.get(title="小广告")
    assert case.state == State.HANDLED and case.on_the_spot and case.result == "已现场清除"
    # the head cannot resolve on the spot: the field is not even offered
    assert 'name="on_the_spot"' not in login_client(cast["head"]).get("/cases/report/").content.decode()


def test_refused_report_keeps_what_was_typed(cast) -> None:  # type: ignore[no-untyped-def]
    response = login_client(cast["resident"]).post("/cases/report/", {
        "title": "噪声扰民", "description": "夜里施工"})  # no place at all
    assert response.status_code == 400
    body = response.content.decode()
    assert "请提供位置" in body and "夜里施工" in body


def test_resident_follows_own_cases_and_code_lookup_is_scoped(cast) -> None:  # type: ignore[no-untyped-def]
    resident = login_client(cast["resident"])
    resident.post("/cases/report/", {"title": "健身器材坏了", "description": "单杠松动",
                                     "grid": grid_code(cast["grid"])})
    mine = Case.objects.get(title="健身器材坏了")
    assert mine.channel == "portal" and mine.reporter == cast["resident"]
    page = resident.get("/cases/follow/").content.decode()
    assert mine.code in page
    assert resident.get(f"/cases/follow/?code={mine.code}")["Location"] == f"/cases/{mine.pk}/"
    other = new_case(cast)
    assert resident.get(f"/cases/follow/?code={other.code}").status_code == 404
    assert resident.get(f"/cases/{other.pk}/").status_code == 404


def test_resident_rates_closed_case(cast) -> None:  # type: ignore[no-untyped-def]
    case = report_case(actor=cast["resident"], report=Report(
        channel="portal", title="路面坑洼", description="坑很深", category="shirong-laji",
        grid_code=grid_code(cast["grid"])))
    services.register(actor=cast["street"], case_id=case.pk)
    services.dispatch(actor=cast["street"], case_id=case.pk)
    services.sign(actor=cast["dept"], case_id=case.pk)
    services.handle(actor=cast["dept"], case_id=case.pk, result="已修补")
    services.verify(actor=cast["grid"], case_id=case.pk, passed=True)
    resident = login_client(cast["resident"])
    assert actions_on_page(resident.get(f"/cases/{case.pk}/").content.decode()) == {"callback"}
    assert case.code in resident.get("/cases/mine/?tab=to_rate").content.decode()
    response = resident.post(f"/cases/{case.pk}/act/callback/", {"satisfaction": "5", "comment": "很快"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.satisfaction == 5 and case.state == State.CLOSED


def test_hotline_lookup_by_phone_is_masked_and_scoped(cast) -> None:  # type: ignore[no-untyped-def]
    case = new_case(cast, phone="13812345678")
    hotline = login_client(cast["hotline"])
    body = hotline.post("/cases/lookup/", {"phone": "13812345678"}).content.decode()
    assert case.code in body and "138****5678" in body and "13812345678" not in body
    assert hotline.get(f"/cases/lookup/?code={case.code.lower()}")["Location"] == f"/cases/{case.pk}/"
    dept = login_client(cast["dept"])
    assert case.code not in dept.post("/cases/lookup/", {"phone": "13812345678"}).content.decode()
    detail = hotline.get(f"/cases/{case.pk}/").content.decode()
    assert "138****5678" in detail and "13812345678" not in detail


def test_hotline_records_a_call(cast) -> None:  # type: ignore[no-untyped-def]
    hotline = login_client(cast["hotline"])
    assert hotline.get("/cases/hotline/").status_code == 200
    response = hotline.post("/cases/hotline/", {
        "reporter_name": "李先生", "reporter_phone": "13900001111", "title": "噪声扰民",
        "description": "夜间施工", "category": "shengtai-zaosheng", "area": DEMO_TOWNSHIP})
    assert response.status_code == 302
    case = Case.objects.get(reporter_phone_hash=lookup_hash("13900001111"))
    assert case.channel == "hotline" and case.area_code == DEMO_TOWNSHIP
    assert case.owner == OrgUnit.objects.get(code=f"center-{DEMO_TOWNSHIP}")


def test_queues_show_counts_and_deadline_colours(cast) -> None:  # type: ignore[no-untyped-def]
    case = new_case(cast)
    Case.objects.filter(pk=case.pk).update(due_at=case.created_at.replace(year=2020),
                                           stage_started_at=case.created_at.replace(year=2019))
    street = login_client(cast["street"])
    body = street.get("/cases/?tab=overdue").content.decode()
    assert case.code in body and "t-overdue" in body and "已超期" in body
    body = street.get("/cases/").content.decode()
    assert 'data-testid="count-reported"' in body
    leader = login_client(cast["leader"]).get("/cases/supervision/").content.decode()
    assert case.code in leader
    assert login_client(cast["dept"]).get("/cases/supervision/").status_code == 403


def test_verify_queue_lists_handled_cases_in_my_grid(cast) -> None:  # type: ignore[no-untyped-def]
    case = report_case(actor=cast["grid"], report=Report(
        channel="grid", title="乱贴广告", description="楼道小广告", grid_code=grid_code(cast["grid"]),
        on_the_spot_result="已清理"))
    grid = login_client(cast["grid"])
    assert case.code in grid.get("/cases/verify/").content.decode()
    assert actions_on_page(grid.get(f"/cases/{case.pk}/").content.decode()) == {"verify"}
    assert grid.post(f"/cases/{case.pk}/act/verify/", {"passed": "1"}).status_code == 302
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_home_panels_list_real_cases(cast) -> None:  # type: ignore[no-untyped-def]
    case = new_case(cast)
    body = login_client(cast["street"]).get("/").content.decode()
    assert case.code in body or case.title in body
    assert f"/cases/{case.pk}/" in body


@pytest.mark.parametrize("who", ["grid", "head", "resident", "street", "center", "hotline", "dept",
                                 "leader"])
def test_navigation_and_pages_render(cast, who: str) -> None:  # type: ignore[no-untyped-def]
    client = login_client(cast[who])
    home = client.get("/").content.decode()
    assert 'href="/cases/' in home
