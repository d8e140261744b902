"""Bad input: one clear error naming the file (and line), never a traceback from deep inside."""

from __future__ import annotations

import codecs

import pytest

import budgetqa
from budgetqa.errors import (
    BinaryInputError,
    BudgetQAError,
    EmptyInputError,
    EncodingError,
    NotABudgetTableError,
    TruncatedTableError,
)
from budgetqa.ingest.source import decode_bytes

HEADER = "项目名称（资金使用单位）\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
TABLE = "\n".join(
    [
        "单位：万元",
        HEADER,
        "合计\t10.00\t10.00\t\t\t\t",
        "广州市某区人力资源和社会保障局\t10.00\t10.00\t\t\t\t",
        "某项目经费\t10.00\t10.00\t\t\t保障工作开展。\t1、1-产出指标；11-数量指标；人数；实施周期指标值:5人；年度指标值:5人。",
    ]
)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TABLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TABLE.encode("utf-8"), "utf-8-sig"),
        (TABLE.encode("gb18030"), "gb18030"),
        (TABLE.encode("gbk"), "gb18030"),
        (TABLE.encode("utf-16"), "utf-16"),
    ],
)
def test_encodings_are_detected(tmp_path, data, encoding):
    path = tmp_path / "table.txt"
    path.write_bytes(data)
    document = budgetqa.read(path)
    assert document.encoding == encoding
    assert [row.name for row in document.rows] == [
        "合计",
        "广州市某区人力资源和社会保障局",
        "某项目经费",
    ]


def test_windows_line_endings_give_the_same_rows_and_lines(tmp_path):
    unix, windows = tmp_path / "unix.txt", tmp_path / "windows.txt"
    unix.write_text(TABLE, encoding="utf-8")
    windows.write_bytes(TABLE.replace("\n", "\r\n").encode("utf-8"))
    a, b = budgetqa.read(unix), budgetqa.read(windows)
    assert [(row.name, row.span.line, row.amounts) for row in a.rows] == [
        (row.name, row.span.line, row.amounts) for row in b.rows
    ]
    assert a.stats.lines == b.stats.lines == 5


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(EmptyInputError) as caught:
        budgetqa.read(path)
    assert str(caught.value) == f"{path}: the file is empty"


def test_binary_file_names_the_line(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"line one\nline two\n\x89PNG\x00\x00\x01")
    with pytest.raises(BinaryInputError) as caught:
        budgetqa.read(path)
    assert str(caught.value).startswith(f"{path}:3: binary data")


def test_unknown_encoding_names_the_line(tmp_path):
    path = tmp_path / "latin.txt"
    # Bytes that are valid in neither UTF-8 nor GB18030 (0xFF is never a GB18030 lead byte).
    path.write_bytes("合计\n".encode() + b"\xff\xfe\xff bad\n")
    with pytest.raises(EncodingError) as caught:
        budgetqa.read(path)
    assert str(caught.value).startswith(f"{path}:2: unknown encoding")


def test_not_a_budget_table(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("\nshopping list\neggs\tmilk\tbread\tbutter\n", encoding="utf-8")
    with pytest.raises(NotABudgetTableError) as caught:
        budgetqa.read(path)
    assert str(caught.value).startswith(f"{path}:2: not a budget table")


def test_header_without_rows_is_truncated(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_text("单位：万元\n" + HEADER + "\n\n", encoding="utf-8")
    with pytest.raises(TruncatedTableError) as caught:
        budgetqa.read(path)
    assert str(caught.value).startswith(f"{path}:2: the table has a header but no rows")


def test_layout_text_cut_inside_a_row_is_truncated(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_text(
        "项目名称（资金使用单位） 总计 财政拨款 财政专户拨款 其他资金 绩效目标 绩效指标\n"
        "合计 10.00 10.00\n"
        "某单位管理中心 10.00 10.00\n"
        "    某项目经费 10.00 10.00\n"
        "保障工作开展。\n"
        "    另一个项目的名\n",
        encoding="utf-8",
    )
    with pytest.raises(TruncatedTableError) as caught:
        budgetqa.read(path)
    assert (
        str(caught.value)
        == f"{path}:6: the table ends inside a row: '另一个项目的名' has no amounts"
    )


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(BudgetQAError, match=r"missing\.txt: no such file"):
        budgetqa.read(tmp_path / "missing.txt")
    with pytest.raises(BudgetQAError, match="is a directory"):
        budgetqa.read(tmp_path)


def test_decode_bytes_rejects_control_character_soup():
    data = bytes(range(1, 32)) * 20
    with pytest.raises(BinaryInputError):
        decode_bytes(data, "soup.bin")
