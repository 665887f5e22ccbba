"""Read a CSV of administrative division codes (统计用区划代码) into ``AreaRecord`` rows.

The format is detected from the header:

* ``hierarchy`` — ``province_code,province_name,city_code,city_name,county_code,county_name,
  township_code,township_name`` (optionally ``village_code,village_name``): one row per
  leaf carrying its whole chain; every level becomes a record.
* ``modood`` — the modood/Administrative-divisions-of-China files: ``code,name`` plus the
  ancestor columns ``provinceCode`` / ``cityCode`` / ``areaCode`` / ``streetCode``. The
  nearest given ancestor is the parent; every given ancestor must be a prefix of ``code``.
* ``plain`` — ``code,name`` (e.g. ``modood_provinces.csv``, or a village list): the parent is
  the code prefix of the next shorter level.

Row numbers in messages are file line numbers (the header is line 1).
This module never touches the database; ``services.import_areas`` checks parents against
the database and writes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from civicgrid.areas.models import CODE_LENGTH
from civicgrid.core.errors import ValidationFailed

VALID_LENGTHS = sorted(CODE_LENGTH.values())  # 2, 4, 6, 9, 12
MAX_LISTED_ERRORS = 50

HIERARCHY_LEVELS = ("province", "city", "county", "township", "village")
# modood ancestor columns, nearest first, with the code length of rows that carry them
MODOOD_PARENT_COLUMNS = (
    ("streetCode", 12),
    ("areaCode", 9),
    ("cityCode", 6),
    ("provinceCode", 4),
)


@dataclass(frozen=True)
class AreaRecord:
    code: str
    name: str
    parent_code: str | None
    row: int


@dataclass(frozen=True)
class ParsedAreas:
    format: str
    records: list[AreaRecord]
    rows: int
    errors: list[tuple[int, str]]  # (line, message) of every bad row; the records skip them


def raise_errors(errors: list[str], *, title: str, code: str) -> None:
    """Raise one ValidationFailed listing every error (the message shows the first 50)."""
    if not errors:
        return
    shown = errors[:MAX_LISTED_ERRORS]
    more = f"\n……另有 {len(errors) - len(shown)} 处错误" if len(errors) > len(shown) else ""
    raise ValidationFailed(
        f"{title}：共 {len(errors)} 处错误，未导入任何数据。\n" + "\n".join(shown) + more,
        code=code, fields={"errors": errors},
    )


def default_parent_code(code: str) -> str | None:
    """The code prefix of the next shorter level (None for a province)."""
    shorter = [n for n in VALID_LENGTHS if n < len(code)]
    return code[: shorter[-1]] if shorter else None


def code_problem(code: str, *, expected: int | None = None) -> str | None:
    if not code:
        return "区划代码为空"
    if not code.isdigit() or not code.isascii():
        return f"区划代码 {code} 含有非数字字符"
    if expected is not None and len(code) != expected:
        return f"区划代码 {code} 位数不对（应为 {expected} 位）"
    if len(code) not in VALID_LENGTHS:
        return f"区划代码 {code} 位数不对（应为 2/4/6/9/12 位）"
    return None


def _err(errors: list[tuple[int, str]], line: int, message: str) -> None:
    errors.append((line, f"第 {line} 行：{message}"))


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("文件编码无法识别（应为 UTF-8 或 GB18030）。", code="bad_encoding")


def _detect(header: list[str]) -> str:
    cols = set(header)
    if {"province_code", "province_name", "city_code", "city_name"} <= cols:
        return "hierarchy"
    if {"code", "name"} <= cols:
        if any(col in cols for col, _ in MODOOD_PARENT_COLUMNS):
            return "modood"
        return "plain"
    raise ValidationFailed(
        "无法识别的表头：" + ",".join(header)
        + "（支持 code,name[,provinceCode,cityCode,areaCode,streetCode] 或 province_code,… 层级格式）",
        code="unknown_format",
    )


def _hierarchy_rows(
    line: int, row: dict[str, str], header: set[str], errors: list[tuple[int, str]]
) -> Iterator[AreaRecord]:
    parent: str | None = None
    for level in HIERARCHY_LEVELS:
        code_col, name_col = f"{level}_code", f"{level}_name"
        if code_col not in header:
            break
        code = (row.get(code_col) or "").strip()
        name = (row.get(name_col) or "").strip()
        if not code and not name:
            break  # a shorter chain (e.g. a county-level row without townships)
        problem = code_problem(code, expected=CODE_LENGTH[level])  # type: ignore[index]
        if problem:
            _err(errors, line, problem)
            return
        if not name:
            _err(errors, line, f"区划 {code} 的名称为空")
            return
        if parent is not None and not code.startswith(parent):
            _err(errors, line, f"区划代码 {code} 不在上级 {parent} 之下")
            return
        yield AreaRecord(code=code, name=name, parent_code=parent, row=line)
        parent = code


def _flat_row(
    line: int, row: dict[str, str], header: set[str], fmt: str, errors: list[tuple[int, str]]
) -> AreaRecord | None:
    code = (row.get("code") or "").strip()
    name = (row.get("name") or "").strip()
    given = [
        (col, length, (row.get(col) or "").strip())
        for col, length in MODOOD_PARENT_COLUMNS if col in header
    ]
    expected = given[0][1] if fmt == "modood" and given else None
    problem = code_problem(code, expected=expected)
    if problem:
        _err(errors, line, problem)
        return None
    if not name:
        _err(errors, line, f"区划 {code} 的名称为空")
        return None
    parent: str | None = default_parent_code(code)
    if fmt == "modood":
        parent = None
        for col, _length, value in given:
            if not value:
                _err(errors, line, f"{col} 为空")
                return None
            if code_problem(value) or len(value) >= len(code) or not code.startswith(value):
                _err(errors, line, f"区划代码 {code} 不在上级 {value}（{col}）之下")
                return None
            parent = parent or value  # the nearest given ancestor
    return AreaRecord(code=code, name=name, parent_code=parent, row=line)


def parse_areas_text(text: str) -> ParsedAreas:
    """Parse and check every row; bad rows are listed in ``errors`` (nothing is raised)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise ValidationFailed("文件为空。", code="empty_file")
    reader.fieldnames = header
    fmt = _detect(header)
    cols = set(header)
    errors: list[tuple[int, str]] = []
    records: list[AreaRecord] = []
    seen: dict[str, AreaRecord] = {}
    rows = 0
    for row in reader:
        rows += 1
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        if fmt == "hierarchy":
            found = list(_hierarchy_rows(line, row, cols, errors))
        else:
            one = _flat_row(line, row, cols, fmt, errors)
            found = [one] if one else []
        for rec in found:
            before = seen.get(rec.code)
            if before is None:
                seen[rec.code] = rec
                records.append(rec)
            elif before.name != rec.name:
                _err(
                    errors, line, f"区划代码 {rec.code} 重复，名称“{rec.name}”与第 {before.row} 行"
                    f"“{before.name}”不同"
                )
            elif before.parent_code != rec.parent_code:
                _err(
                    errors, line, f"区划代码 {rec.code} 重复，上级 {rec.parent_code} 与第 "
                    f"{before.row} 行的 {before.parent_code} 不同"
                )
    return ParsedAreas(format=fmt, records=records, rows=rows, errors=errors)


def read_areas_csv(path: str | Path) -> ParsedAreas:
    file = Path(path)
    if not file.is_file():
        raise ValidationFailed(f"文件不存在：{file}", code="file_not_found")
    return parse_areas_text(_decode(file.read_bytes()))
