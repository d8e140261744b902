"""Indicator text (绩效指标) parsed into numbered items."""

from __future__ import annotations

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
