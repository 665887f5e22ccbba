"""CSV exports are decoded as they are read: the encoding is decided on the whole file first
(UTF-8 with or without BOM, else GB18030), line ends of every kind, quoted cells over lines."""

from __future__ import annotations

import io

import pytest

from civicgrid.cases.imports.reader import read_table
from civicgrid.core.errors import ValidationFailed

ROWS = "工单编号,诉求内容\nA1,\"路灯\n不亮\"\r\nA2,垃圾\rA3,\"他说\"\"好\"\"\"\n\n,\nA4,完\n"
EXPECTED = [(2, ["A1", "路灯\n不亮"]), (3, ["A2", "垃圾"]), (4, ["A3", '他说"好"']), (7, ["A4", "完"])]


@pytest.mark.parametrize("encoded", [ROWS.encode("utf-8"), ROWS.encode("utf-8-sig"),
                                     ROWS.encode("gb18030")])
def test_csv_rows_whatever_the_encoding_and_line_ends(encoded: bytes) -> None:
    table = read_table(io.BytesIO(encoded), name="export.csv")
    assert table.headers == ["工单编号", "诉求内容"]
    assert list(table.rows) == EXPECTED


def test_a_file_neither_utf8_nor_gb18030_is_refused_before_any_row() -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_table(io.BytesIO("工单编号\nA1\n".encode("gb18030") + b"\x80\xff\n"), name="x.csv")
    assert refused.value.code == "invalid_file"


def test_tab_separated_exports_are_read_as_such() -> None:
    table = read_table(io.BytesIO("工单编号\t诉求内容\nA1\t路灯, 不亮\n".encode()), name="x.csv")
    assert list(table.rows) == [(2, ["A1", "路灯, 不亮"])]
