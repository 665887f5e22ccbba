"""``civicgrid import-areas``: real files, idempotence, updates, atomic rejection of bad rows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from civicgrid.areas import services
from civicgrid.areas.importers.areas_csv import parse_areas_text
from civicgrid.areas.models import Area, AreaLevel
from civicgrid.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _slice(src: Path, dest: Path, rows: int) -> Path:
    lines = src.read_text(encoding="utf-8").splitlines()
    dest.write_text("\n".join(lines[: rows + 1]) + "\n", encoding="utf-8")
    return dest


def _import(path: Path) -> services.AreaImportResult:
    return services.import_areas_file(actor=None, path=path)


def test_modood_chain_imports_with_parents_and_levels(shared_divisions: Path, tmp_path: Path) -> None:
    _import(shared_divisions / "modood_provinces.csv")
    _import(shared_divisions / "modood_cities.csv")
    _import(_slice(shared_divisions / "modood_areas.csv", tmp_path / "areas.csv", 300))
    streets = _slice(shared_divisions / "modood_streets.csv", tmp_path / "streets.csv", 2000)
    result = _import(streets)
    assert result.total == 2000
    street = Area.objects.select_related("parent__parent__parent").get(code="110101001")
    assert street.name == "东华门街道"
    assert street.level == AreaLevel.TOWNSHIP
    assert [street.parent.code, street.parent.parent.code, street.parent.parent.parent.code] == [
        "110101", "1101", "11"]
    assert Area.objects.get(code="11").level == AreaLevel.PROVINCE


def test_full_streets_file_imports_fast_and_reruns_unchanged(shared_divisions: Path) -> None:
    for name in ("modood_provinces", "modood_cities", "modood_areas"):
        _import(shared_divisions / f"{name}.csv")
    started = time.monotonic()
    first = _import(shared_divisions / "modood_streets.csv")
    elapsed = time.monotonic() - started
    assert first.total == 41352
    assert elapsed < 30, f"41,352 rows took {elapsed:.1f} s"
    count = Area.objects.count()
    audits = AuditEntry.objects.count()
    again = _import(shared_divisions / "modood_streets.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 41352)
    assert Area.objects.count() == count
    assert AuditEntry.objects.count() == audits  # nothing changed, nothing to audit


def test_hierarchy_file_and_dawukou_fixture(shared_divisions: Path) -> None:
    services.ensure_dawukou_areas()
    again = services.ensure_dawukou_areas()
    assert again.created == again.updated == 0
    assert again.unchanged == 14  # 64, 6402, 640202 and 11 townships
    townships = Area.objects.filter(parent__code="640202", level=AreaLevel.TOWNSHIP)
    assert townships.count() == 11
    assert Area.objects.get(code="640202100").name == "星海镇"
    result = _import(shared_divisions / "target_prefectures_hierarchy.csv")
    assert result.created > 0
    assert Area.objects.get(code="621202001").parent.code == "621202"


def test_changed_name_updates_and_is_audited(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("code,name\n640202100901,甲村\n", encoding="utf-8")
    assert _import(path).created == 1
    path.write_text("code,name\n640202100901,乙村\n", encoding="utf-8")
    result = _import(path)
    assert (result.created, result.updated) == (0, 1)
    village = Area.objects.get(code="640202100901")
    assert village.name == "乙村"
    assert village.level == AreaLevel.VILLAGE
    assert village.parent.code == "640202100"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "areas.import"
    assert entry.actor_name == "system"
    assert entry.data["updated"] == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("code,name\n640202100901,甲村\n64020,坏\n", "第 3 行：区划代码 64020 位数不对"),
        ("code,name\n640202100901,甲村\n6402021009X1,坏\n", "第 3 行：区划代码 6402021009X1 含有非数字字符"),
        ("code,name\n640202100901,\n", "第 2 行：区划 640202100901 的名称为空"),
        ("code,name\n640202100901,甲村\n640202100901,乙村\n", "第 3 行：区划代码 640202100901 重复"),
        ("code,name\n640202100901,甲村\n999999001001,孤村\n", "第 3 行：上级区划 999999001 既不在数据库中"),
        ("code,name,areaCode,provinceCode,cityCode\n640202001,x,640201,64,6402\n",
         "第 2 行：区划代码 640202001 不在上级 640201（areaCode）之下"),
        ("code,name,areaCode,provinceCode,cityCode\n64020200,x,640202,64,6402\n",
         "第 2 行：区划代码 64020200 位数不对（应为 9 位）"),
    ],
)
def test_bad_row_names_row_and_imports_nothing(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    before = Area.objects.count()
    with pytest.raises(CommandError) as info:
        call_command("import_areas", str(path), "--no-progress")
    assert expected in str(info.value)
    assert "未导入任何数据" in str(info.value)
    assert Area.objects.count() == before
    assert not Area.objects.filter(code="640202100901").exists()


def test_every_bad_row_is_listed() -> None:
    parsed = parse_areas_text("code,name\n1,a\n22,\n333,c\n44,d\n")
    assert [line for line, _msg in parsed.errors] == [2, 3, 4]
    assert [r.code for r in parsed.records] == ["44"]


def test_command_reports_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "v.csv"
    path.write_text("\ufeffcode,name\n640202100901,甲村\n640202100902,乙村\n", encoding="utf-8")
    call_command("import_areas", str(path), "--no-progress")
    assert "新增 2" in capsys.readouterr().out


def test_gb18030_file_and_unknown_header(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("code,name\n640202100901,甲村\n".encode("gb18030"))
    assert _import(path).created == 1
    assert Area.objects.get(code="640202100901").name == "甲村"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="无法识别的表头"):
        call_command("import_areas", str(path), "--no-progress")
