"""Indicator text (绩效指标) parsed into numbered items."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from budgetqa.ingest.indicators import parse_indicators
from budgetqa.model import TextPiece


def parse(*pieces: tuple[int, str]):
    return parse_indicators([TextPiece(line, text) for line, text in pieces], "t.txt")


def test_coded_categories_name_and_both_values():
    (item,) = parse(
        (5, "1、1-产出指标；11-数量指标；培训人数；实施周期指标值:≥500人；年度指标值:≥500人。")
    )
    assert item.number == 1
    assert (item.category_code, item.category) == ("1", "产出指标")
    assert (item.subcategory_code, item.subcategory) == ("11", "数量指标")
    assert item.name == "培训人数"
    assert (item.period_value, item.annual_value) == ("≥500人", "≥500人")
    assert (item.span.line, item.span.end_line) == (5, 5)


def test_item_wrapped_over_lines_keeps_its_lines():
    items = parse(
        (29, "1、1-产出指标；11-数量指标；维修工程计划完成率；实施周期指标值:维"),
        (31, "修工程计划完成；年度指标值:维修工程计划完成100%。2、1-产出指标；"),
        (33, "12-质量指标；预算资金完成率；实施周期指标值:不低于95%；年度指标"),
        (35, "值:不低于95%。"),
    )
    assert [item.number for item in items] == [1, 2]
    assert items[0].period_value == "维修工程计划完成"
    assert (items[0].span.line, items[0].span.end_line) == (29, 31)
    assert items[1].annual_value == "不低于95%"
    assert (items[1].span.line, items[1].span.end_line) == (31, 35)


def test_item_number_wrapped_away_from_its_mark():
    items = parse(
        (86, "诉案件结案率96%。4"),
        (88, "、1-产出指标；11-数量指标；检查企业数量；实施周期指标值:5000家；年度指标值:5000家。"),
    )
    assert [item.number for item in items] == [4]
    assert items[0].name == "检查企业数量"


def test_uncoded_style_with_full_width_colons_and_commas():
    items = parse(
        (
            12,
            "1、产出指标：企业薪酬调查户数，年度指标值：255。2、满意度指标：服务群体满意率，年度指标值：≥90%",
        )
    )
    assert [(i.number, i.category, i.name, i.annual_value) for i in items] == [
        (1, "产出指标", "企业薪酬调查户数", "255"),
        (2, "满意度指标", "服务群体满意率", "≥90%"),
    ]
    assert items[0].period_value is None


def test_ocr_text_before_first_item_makes_no_item():
    items = parse(
        (
            26,
            "标值: ≥350。5、1-产出指标; 11-数量指标; 生活费补贴人次; 实施周期指标值:≥50人次; 年度指标值: ≥50人次。",
        )
    )
    assert [item.number for item in items] == [5]
    assert items[0].annual_value == "≥50人次"


def test_placeholder_ellipsis_is_kept():
    (item,) = parse(
        (
            1,
            "1、1-产出指标；11-数量指标；待单位补充...；实施周期指标值:待单位补充...；年度指标值:待单位补充...。",
        )
    )
    assert item.name == "待单位补充..."
    assert item.annual_value == "待单位补充..."


def test_goal_enumerations_are_not_indicators():
    assert parse((1, "依据1、关于做好工作的通知，完成2、3项任务。")) == ()


def test_item_right_after_a_full_stop_but_not_after_a_decimal():
    items = parse(
        (
            1,
            "工作人员统一着装.1、1-产出指标；11-数量指标；制服数量；实施周期指标值:2套；年度指标值:2套。",
        )
    )
    assert [item.number for item in items] == [1]
    assert parse((1, "完成率1.1、产出指标")) == ()


# --- the one-pass parse of standard items agrees with the general parse -------------------------

_PIECES = [
    "1", "12", "3", "-", "；", ";", ":", "：", " ", "\u3000", "，", "指标", "值", "指标值",
    "实施周期指标值", "年度指标值", "产出", "数量", "。", ".", "...", "≥95%", "人次", "达标",
]  # fmt: skip
fragments = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


_CLEAN = ["产出", "数量", "质量", "指标", "值", "人次", "达标", "≥95%", "1", "12"]
clean = st.lists(st.sampled_from(_CLEAN), min_size=1, max_size=4).map("".join)


@st.composite
def item_bodies(draw):
    """Bodies near the standard shape: each field plain text, or holding the tricky pieces."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))

    def field(plain):
        return draw(st.one_of(*[plain] * 6, fragments))

    code = field(st.sampled_from(["1", "2", "3"]))
    subcode = field(st.sampled_from(["11", "12", "21", "31"]))
    category, subcategory, name, period, annual = (field(clean) for _ in range(5))
    return (
        f"{code}-{category}指标；{subcode}-{subcategory}；{name}；"
        f"实施周期指标值:{period}；年度指标值:{annual}{draw(st.sampled_from(['。', '', '.']))}"
    )


@given(item_bodies())
def test_standard_items_parse_the_same_in_one_pass(body):
    from budgetqa.ingest.indicators import _parse_item, parse_item_general
    from budgetqa.model import SourceSpan

    span = SourceSpan("t.txt", 1, 1)
    assert _parse_item(1, body, body, span) == parse_item_general(1, body, body, span)


def test_standard_items_of_the_examples_parse_the_same_in_one_pass(examples):
    from budgetqa.ingest.indicators import (
        _STANDARD_ITEM,
        INDICATOR_START,
        _parse_item,
        parse_item_general,
    )
    from budgetqa.model import SourceSpan

    span = SourceSpan("t.txt", 1, 1)
    standard = 0
    for document in examples.values():
        for row in document.rows:
            text = row.indicator_text
            starts = list(INDICATOR_START.finditer(text))
            for position, match in enumerate(starts):
                end = starts[position + 1].start() if position + 1 < len(starts) else len(text)
                body = text[match.end() : end]
                standard += _STANDARD_ITEM.fullmatch(body) is not None
                assert _parse_item(1, body, "", span) == parse_item_general(1, body, "", span)
    assert standard > 400  # most published items take the one-pass route
