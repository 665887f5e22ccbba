"""Rows of a CSV or .xlsx export: (row number as the user sees it, {header: cell})."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from civicgrid.core.errors import ValidationFailed

ENCODINGS = ("utf-8-sig", "gb18030")  # Excel's "CSV UTF-8", and what Chinese Excel saves by default


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number: the header is row 1, cells)
    total: int | None  # data rows, when known up front


def _is_xlsx(head: bytes, name: str) -> bool:
    return head[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))


def _clean_header(value: Any) -> str:
    return "" if value is None else str(value).strip().replace("\ufeff", "")


def _encoding(raw: bytes) -> str:
    """The first of ``ENCODINGS`` the whole file decodes in (decided before any row is read: a
    wrong guess found halfway would come after chunks were already stored)."""
    for encoding in ENCODINGS:
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ValidationFailed("无法识别文件编码（应为 UTF-8 或 GB18030）。", code="invalid_file")


def _csv(data: IO[bytes]) -> Table:
    raw = data.read()
    encoding = _encoding(raw)
    # decoded as the rows are read (8 KB at a time), not the whole file up front: the import
    # starts storing the first chunk sooner and never holds the file twice
    text = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")
    first = raw.split(b"\n", 1)[0].decode(encoding, "replace")
    dialect: Any = csv.excel_tab if "\t" in first and "," not in first else csv.excel
    reader = csv.reader(text, dialect)
    try:
        headers = [_clean_header(h) for h in next(reader)]
    except StopIteration:
        raise ValidationFailed("文件是空的。", code="empty_file") from None
    except csv.Error as exc:
        raise ValidationFailed(f"CSV 格式错误：{exc}", code="invalid_file") from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a broken quote: report it on the row, keep going
                number = reader.line_num
                yield number, [ValueError(f"CSV 格式错误：{exc}")]
                continue
            number += 1
            if "".join(cells).strip():  # a row of empty or blank cells is skipped
                yield number, cells

    return Table(headers, rows(), None)


def _guarded(rows: Iterator[Any]) -> Iterator[Any]:
    """A sheet whose XML breaks halfway is bad input (400), not a server error."""
    try:
        yield from rows
    except Exception as exc:  # noqa: BLE001
        raise ValidationFailed(f"Excel 工作表内容损坏：{type(exc).__name__}",
                               code="invalid_file") from None


def _xlsx(data: IO[bytes], sheet: str | None) -> Table:
    import openpyxl  # imported here: only .xlsx files need it

    try:
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — any broken workbook (zip, XML, styles) is bad input
        raise ValidationFailed(f"无法读取 Excel 文件：{type(exc).__name__}", code="invalid_file") from None
    if sheet is not None and sheet not in book.sheetnames:
        raise ValidationFailed(f"Excel 文件中没有工作表「{sheet}」。", code="invalid_file")
    ws = book[sheet] if sheet else book.worksheets[0]
    cells = _guarded(ws.iter_rows(values_only=True))
    try:
        headers = [_clean_header(h) for h in next(cells)]
    except StopIteration:
        raise ValidationFailed("文件是空的。", code="empty_file") from None
    total = (ws.max_row - 1) if ws.max_row else None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(cells, start=2):
                if any(c is not None and str(c).strip() for c in row):
                    yield number, list(row)
        finally:
            book.close()

    return Table(headers, rows(), total)


def read_table(data: IO[bytes], *, name: str = "", sheet: str | None = None) -> Table:
    head = data.read(4)
    data.seek(0)
    if _is_xlsx(head, name):
        return _xlsx(data, sheet)
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        raise ValidationFailed("请把文件另存为 UTF-8 的 CSV 或 .xlsx。", code="invalid_file")
    return _csv(data)
