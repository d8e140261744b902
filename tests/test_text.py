"""Normalisation helpers: amounts with OCR noise, line splitting, wrapped text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgetqa.text import (
    JoinedText,
    is_amount_text,
    join_wrapped,
    parse_amount,
    split_lines,
    squeeze_name,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("55, 873. 15", Decimal("55873.15")),
        ("8,000.00", Decimal("8000.00")),
        ("22. 00", Decimal("22.00")),
        ("1.50", Decimal("1.50")),
        ("１２３.４５", Decimal("123.45")),  # full-width digits
        ("0.00", Decimal("0.00")),
        ("-12.50", Decimal("-12.50")),
        ("  ", None),
        ("", None),
    ],
)
def test_parse_amount_accepts_published_forms(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["待补充", "12.5万元", "1、1-产出指标", "abc", "1..2"])
def test_parse_amount_rejects_text(text):
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)
    assert not is_amount_text(text)


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_parse_amount_reads_back_grouped_and_ocr_spaced_forms(value):
    grouped = f"{value:,.2f}"
    assert parse_amount(grouped) == value
    ocr = grouped.replace(",", ", ").replace(".", ". ")
    assert parse_amount(ocr) == value


def test_split_lines_counts_like_an_editor():
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert split_lines("a\n") == ["a"]
    assert split_lines("a\n\n") == ["a", ""]
    assert split_lines("a\x0cb") == ["a\x0cb"]  # a form feed is not a line break
    assert split_lines("") == []


def test_squeeze_name_removes_spaces_next_to_han_only():
    assert squeeze_name("广州市越秀区人力资源和社会保 障局") == "广州市越秀区人力资源和社会保障局"
    assert squeeze_name("  Project  X  经费 ") == "Project X经费"


def test_join_wrapped_joins_chinese_directly_and_keeps_numbers_whole():
    assert join_wrapped(["通过该项目的开展，保障区人社局办公", "楼的出现的房屋补漏"]) == (
        "通过该项目的开展，保障区人社局办公楼的出现的房屋补漏"
    )
    assert join_wrapped(["大于20", "00次"]) == "大于2000次"
    assert join_wrapped(["Project", "Phase"]) == "Project Phase"


def test_joined_text_maps_offsets_back_to_lines():
    joined = JoinedText.build([(10, "待单位"), (12, "补充...")])
    assert joined.text == "待单位补充..."
    start = joined.text.index("待单位补充")
    assert joined.lines_of(start, start + len("待单位补充")) == (10, 12)
    assert joined.line_at(0) == 10
