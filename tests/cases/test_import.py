"""Bulk import: a 12345 export twice gives the same cases; bad rows are reported, good ones kept."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient
from shapely.geometry import shape

from civicgrid.areas.models import Grid
from civicgrid.cases.imports import Mapping, import_cases
from civicgrid.cases.imports import mapping as mappings
from civicgrid.cases.models import Case, CaseEvent, State
from civicgrid.core.errors import PermissionDenied, ValidationFailed
from civicgrid.core.personal import lookup_hash

pytestmark = pytest.mark.django_db

HEADERS = ["工单编号", "来电时间", "标题", "诉求内容", "问题分类", "被反映区/街道", "地址",
           "联系电话", "来电人", "经纬度"]
REPO = Path(__file__).resolve().parents[2]
FUJIAN3 = REPO.parent / "shared/data/tipdm2020_c/fujian3_messages_with_votes.xlsx"


def _point() -> str:
    grid = Grid.objects.current().filter(code__startswith="640202001").order_by("code").first()
    assert grid is not None
    p = shape(grid.geometry).representative_point()
    return f"{p.x:.6f},{p.y:.6f}"


def _rows() -> list[list[str]]:
    return [
        ["GD001", "2020/1/6 12:09:38", "路灯不亮", "西环社区门口路灯坏了三天", "公共设施->路灯不亮",
         "长胜街道", "西环社区3号楼", "+86 138 1234 5678", "张先生", _point()],
        ["GD002", "2020-01-07", "", "垃圾没人清运", "市容环境->垃圾堆放与清运不及时", "朝阳街道",
         "", "0952-2012345转12", "", ""],
        ["GD003", "2020年1月8日", "噪音", "夜间施工噪音", "不认识的分类", "", "", "", "", ""],
        ["", "2020-01-09", "无编号", "这一行没有工单编号", "", "", "", "", "", ""],           # row 5
        ["GD005", "昨天下午", "坏日期", "日期写错了", "", "", "", "", "", ""],                  # row 6
        ["GD006", "2020-01-10", "坏电话", "电话写错了", "", "", "", "12345", "", ""],          # row 7
        ["GD007", "2020-01-10", "外区", "不在本区", "", "火星街道", "", "", "", ""],            # row 8
        ["GD001", "2020-01-11", "重复", "重复的编号", "", "", "", "", "", ""],                  # row 9
        ["GD009", "2020-01-12", "坏坐标", "坐标写错了", "", "", "", "", "", "999,999"],        # row 10
        ["GD010", "43836.5", "序号日期", "Excel 序号日期", "", "", "", "", "", ""],
    ]


def _csv(rows: list[list[str]]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8-sig"))


def _state() -> list[tuple[object, ...]]:
    return list(Case.objects.filter(channel_detail="12345").order_by("source_ref").values_list(
        "source_ref", "code", "title", "description", "reporter_phone", "area_code", "grid_id",
        "owner_id", "category__code", "state", "due_at", "version", "created_at"))


def test_a_12345_export_with_bad_rows_imports_the_good_ones_and_reports_each_bad_row(cast) -> None:
    before_events = CaseEvent.objects.count()
    result = import_cases(actor=cast["center"], file=_csv(_rows()), name="gd.csv", mapping=Mapping())
    assert (result.rows, result.created, result.updated, result.unchanged) == (10, 4, 0, 0)
    assert [(r.number, r.code) for r in result.rejected] == [
        (5, "required"), (6, "invalid_datetime"), (7, "invalid_phone"), (8, "unknown_area"),
        (9, "duplicate_ref"), (10, "coordinate_out_of_range")]
    assert all(r.reason for r in result.rejected)
    assert result.rejected[4].reason.startswith("工单编号 GD001 与第 2 行重复")
    cases = {c.source_ref: c for c in Case.objects.filter(channel_detail="12345")
             .select_related("category", "grid", "owner__area")}
    assert set(cases) == {"GD001", "GD002", "GD003", "GD010"}
    one = cases["GD001"]
    assert one.reporter_phone_plain == "13812345678" and one.reporter_name == "张先生"
    assert one.reporter_phone != "13812345678" and one.reporter_phone_hash == lookup_hash("13812345678")
    assert one.category.code == "sheshi-ludeng"
    assert one.grid is not None and one.area_code == one.grid.code
    assert one.owner.area.code == "640202001"  # the street's centre
    assert one.state == State.REPORTED and one.due_at is not None and one.channel == "hotline"
    assert one.created_at == dt.datetime(2020, 1, 6, 4, 9, 38, tzinfo=dt.UTC)
    two = cases["GD002"]
    assert two.reporter_phone_plain == "0952-2012345-12" and two.area_code == "640202002"
    assert two.title == "垃圾没人清运" and two.category.code == "shirong-laji"
    three = cases["GD003"]
    assert three.category is None and three.area_code == "640202" and three.owner.area.code == "640202"
    assert cases["GD010"].created_at == dt.datetime(2020, 1, 6, 4, 0, tzinfo=dt.UTC)
    events = CaseEvent.objects.filter(case__channel_detail="12345")
    assert CaseEvent.objects.count() - before_events == 4
    assert set(events.values_list("action", "to_state", "actor_id")) == {
        ("import", "reported", cast["center"].pk)}
    # where the case came from; the reported time is the case's created_at
    assert events.get(case=one).data == {"channel": "hotline", "source": "12345", "source_ref": "GD001",
                                         "row": 2, "grid": one.grid.code}
    assert events.get(case=three).data["grid"] == ""


def test_importing_the_same_file_twice_gives_the_same_cases(cast) -> None:
    import_cases(actor=cast["center"], file=_csv(_rows()), name="gd.csv", mapping=Mapping())
    first, events = _state(), CaseEvent.objects.count()
    again = import_cases(actor=cast["center"], file=_csv(_rows()), name="gd.csv", mapping=Mapping())
    assert (again.created, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 4, 6)
    assert _state() == first and CaseEvent.objects.count() == events
    # the source system corrected one work order: only that case changes, with a timeline entry
    rows = _rows()
    rows[1][3] = "垃圾没人清运，已经一周了"
    changed = import_cases(actor=cast["center"], file=_csv(rows), name="gd.csv", mapping=Mapping())
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 3)
    case = Case.objects.get(channel_detail="12345", source_ref="GD002")
    assert case.description == "垃圾没人清运，已经一周了" and case.version == 1
    update = case.events.get(action="import_update")
    assert update.data["fields"] == ["title", "description"]  # no 标题: the title follows it
    # another source with the same numbers is another set of cases
    other = import_cases(actor=cast["center"], file=_csv(_rows()), name="gd.csv",
                         mapping=Mapping(source="other-hotline"))
    assert other.created == 4


def test_xlsx_with_datetime_cells_numbers_and_a_mapping_file(cast, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["单号", "时间", "内容", "类别", "状态"])
    ws.append([20240001, dt.datetime(2024, 3, 1, 9, 30), "井盖丢了", "井盖", "已办结"])
    ws.append([20240002, 45352.25, "邻居吵架", "邻里", "处理中"])
    ws.append([20240003, "2024/3/3 10:00:00", "", "", ""])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    mapping = mappings.from_dict({
        "source": "xlsx-hotline", "replace_columns": True, "closed_values": ["已办结"],
        "columns": {"source_ref": "单号", "reported_at": "时间", "description": "内容",
                    "category": "类别", "status": "状态"},
        "categories": {"井盖": "sheshi-jinggai", "邻里": "jiufen-linli"},
    })
    with path.open("rb") as fh:
        result = import_cases(actor=None, file=fh, name=path.name, mapping=mapping)
    assert (result.created, [r.number for r in result.rejected]) == (2, [4])
    closed = Case.objects.get(channel_detail="xlsx-hotline", source_ref="20240001")
    assert closed.state == State.CLOSED and closed.closed_at == closed.created_at
    assert closed.due_at is None and closed.category.code == "sheshi-jinggai"
    assert closed.events.get().to_state == State.CLOSED
    open_one = Case.objects.get(channel_detail="xlsx-hotline", source_ref="20240002")
    assert open_one.created_at == dt.datetime(2024, 2, 29, 22, 0, tzinfo=dt.UTC)  # 3月1日 06:00
    assert open_one.urgency == "normal" and open_one.category.code == "jiufen-linli"


def test_mapping_files_are_checked_before_any_row() -> None:
    with pytest.raises(ValidationFailed):
        mappings.loads('{"colums": {}}')
    with pytest.raises(ValidationFailed):
        mappings.loads('{"channel": "fax"}')
    with pytest.raises(ValidationFailed):
        mappings.loads("not json")
    for name in ("import-mapping-12345.json", "import-mapping-messages.json"):
        assert mappings.load(REPO / "docs" / name).source


def test_only_importers_import_and_only_inside_their_area(cast) -> None:
    with pytest.raises(PermissionDenied):
        import_cases(actor=cast["resident"], file=_csv(_rows()), name="x.csv", mapping=Mapping())
    with pytest.raises(PermissionDenied):  # the street centre may not import for the district
        import_cases(actor=cast["street"], file=_csv(_rows()), name="x.csv",
                     mapping=Mapping(root_area="640202"))
    assert not Case.objects.filter(channel_detail="12345").exists()


def test_the_command_prints_a_summary_and_writes_the_rejects(tmp_path: Path) -> None:
    source = tmp_path / "gd.csv"
    source.write_bytes(_csv(_rows()).getvalue())
    rejects, out = tmp_path / "rejects.csv", io.StringIO()
    call_command("import_cases", str(source), "--no-progress", "--rejects", str(rejects),
                 stdout=out)
    assert "新建 4" in out.getvalue() and "拒绝 6" in out.getvalue()
    with rejects.open(encoding="utf-8-sig") as fh:
        listed = list(csv.reader(fh))
    assert listed[0] == ["行号", "工单编号", "错误代码", "原因"]
    assert [row[0] for row in listed[1:]] == ["5", "6", "7", "8", "9", "10"]


def test_the_api_imports_for_a_nightly_sync(cast) -> None:
    client = APIClient()
    url = "/api/v1/imports/cases/"
    assert client.post(url, {"file": _csv(_rows())}, format="multipart").status_code == 401
    client.force_authenticate(cast["resident"])
    denied = client.post(url, {"file": _csv(_rows())}, format="multipart")
    assert denied.status_code == 403 and denied.json()["code"] == "action_not_permitted"
    client.force_authenticate(cast["hotline"])
    upload = _csv(_rows())
    upload.name = "gd.csv"
    response = client.post(url, {"file": upload, "mapping": json.dumps({"source": "nightly"})},
                           format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["rejected"]) == (4, 6)
    assert body["rejected_rows"][0] == {"row": 5, "source_ref": "", "code": "required",
                                        "message": "缺少工单编号。"}
    bad = client.post(url, {"file": _csv(_rows()), "mapping": "{"}, format="multipart")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_mapping"
    missing = client.post(url, {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["fields"] == {"file": ["必填"]}


@pytest.mark.skipif(not FUJIAN3.exists(), reason="../shared/data/tipdm2020_c is not on this machine")
def test_the_real_message_export_imports_and_reimports_unchanged(cast) -> None:
    mapping = mappings.load(REPO / "docs/import-mapping-messages.json")
    with FUJIAN3.open("rb") as fh:
        first = import_cases(actor=cast["center"], file=fh, name=FUJIAN3.name, mapping=mapping)
    assert (first.rows, first.created, len(first.rejected)) == (4326, 4326, 0)
    cases = Case.objects.filter(channel_detail=mapping.source)
    assert cases.count() == 4326 and CaseEvent.objects.filter(case__in=cases).count() == 4326
    assert not cases.filter(created_at__year__lt=2017).exists()
    with FUJIAN3.open("rb") as fh:
        again = import_cases(actor=cast["center"], file=fh, name=FUJIAN3.name, mapping=mapping)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4326)
    assert cases.count() == 4326


def test_broken_files_are_bad_input_not_server_errors(cast) -> None:
    client = APIClient()
    client.force_authenticate(cast["center"])
    for name, data in (("x.xlsx", b"PK\x03\x04 not really a zip"), ("x.csv", b"\xff\xfe\x00a"),
                       ("x.csv", b""), ("x.csv", "标题\n路灯".encode())):
        upload = io.BytesIO(data)
        upload.name = name
        response = client.post("/api/v1/imports/cases/", {"file": upload}, format="multipart")
        assert response.status_code == 400, (name, response.content)
        assert response.json()["code"] in {"invalid_file", "empty_file", "missing_column"}


def test_progress_is_reported_in_steps_that_add_up_to_the_rows_read(cast) -> None:
    rows = [[f"P{i:05}", "2026/3/1 08:00:00", "", f"路灯不亮 {i}", "", "", "", "", "", ""]
            for i in range(2500)]
    rows[7][0] = ""  # a rejected row is read too
    steps: list[int] = []
    result = import_cases(actor=cast["center"], file=_csv(rows), name="p.csv", mapping=Mapping(),
                          progress=steps.append)
    assert (result.rows, result.created, len(result.rejected)) == (2500, 2499, 1)
    assert steps == [1000, 1000, 500]
