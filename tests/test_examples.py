"""Integration: the five real tables read with every row, amount and line where it belongs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import budgetqa
from budgetqa.model import Document, Level, LineRole, Row

pytestmark = pytest.mark.integration


def find(document: Document, name: str, *, occurrence: int = 0) -> Row:
    matches = [row for row in document.rows if row.name == name]
    assert len(matches) > occurrence, f"{name!r} not found {occurrence + 1} time(s)"
    return matches[occurrence]


def money(row: Row) -> tuple[str | None, ...]:
    return tuple(None if value is None else f"{value:.2f}" for value in row.amounts)


def test_five_examples_are_bundled_with_the_package():
    names = [path.name for path in budgetqa.example_paths()]
    assert names == [
        "000_bee62be176230dd4.txt",
        "001_52ca15851f4e1457.txt",
        "002_3729fac599dfabba.txt",
        "003_7a0666c38ebbf3d9.txt",
        "004_56ad5f486115b5e1.txt",
    ]


def test_a_whole_budget_is_bundled_as_published():
    """The bundled PDF is the pinned corpus file whose tables tests/test_pdf_corpus.py checks
    page by page."""
    (path,) = budgetqa.example_budget_paths()
    pinned = Path(__file__).parent / "fixtures" / "pdf" / "guangzhou-petitions.pdf"
    assert path.name == "guangzhou-petitions-2026.pdf"
    assert path.read_bytes() == pinned.read_bytes()
    document = budgetqa.read(path)
    assert len(document.pages) == 25
    assert len(document.tables) == 13
    assert all(table.established for table in document.tables)


@pytest.mark.parametrize(
    ("district", "layout", "total", "units", "projects"),
    [
        ("yuexiu", "tsv-ocr", 1, 7, 28),
        ("huadu", "tsv", 1, 1, 43),
        ("zengcheng", "pdf-text", 1, 4, 53),
        ("panyu", "tsv", 1, 1, 23),
        ("conghua", "pdf-text", 1, 6, 51),
    ],
)
def test_rows_per_level(examples, district, layout, total, units, projects):
    document = examples[district]
    assert document.layout == layout
    assert len(document.rows_at(Level.TOTAL)) == total
    assert len(document.rows_at(Level.UNIT)) == units
    assert len(document.rows_at(Level.PROJECT)) == projects


@pytest.mark.parametrize(
    ("district", "lines", "row", "title", "header", "page_header", "blank", "fragment"),
    [
        ("yuexiu", 44, 36, 1, 1, 0, 5, 1),
        ("huadu", 64, 45, 3, 1, 0, 15, 0),
        ("zengcheng", 1238, 653, 2, 4, 36, 543, 0),
        ("panyu", 40, 25, 3, 1, 0, 11, 0),
        ("conghua", 1008, 775, 2, 1, 0, 230, 0),
    ],
)
def test_every_line_is_accounted_for(
    examples, district, lines, row, title, header, page_header, blank, fragment
):
    stats = examples[district].stats
    assert (stats.lines, stats.row_lines, stats.title_lines, stats.header_lines) == (
        lines,
        row,
        title,
        header,
    )
    assert (stats.page_header_lines, stats.blank_lines, stats.fragment_lines) == (
        page_header,
        blank,
        fragment,
    )
    assert stats.accounted == stats.lines


@pytest.mark.parametrize("district", ["yuexiu", "huadu", "zengcheng", "panyu", "conghua"])
def test_line_count_matches_the_file(examples, district):
    document = examples[district]
    text = Path(document.path).read_text(encoding="utf-8")
    expected = text.count("\n") + (0 if text.endswith("\n") else 1)
    assert len(document.line_roles) == expected


@pytest.mark.parametrize("district", ["yuexiu", "huadu", "zengcheng", "panyu", "conghua"])
def test_rows_point_at_their_own_lines(examples, district):
    document = examples[district]
    lines = Path(document.path).read_text(encoding="utf-8").split("\n")
    for row in document.rows:
        assert document.line_roles[row.span.line - 1] is LineRole.ROW
        first_piece = row.name_pieces[0]
        assert first_piece.line == row.span.line
        assert first_piece.text.strip() in lines[row.span.line - 1]


def test_department_and_money_unit(examples):
    assert examples["huadu"].department == "广州市花都区人力资源和社会保障局（本级）"
    assert examples["zengcheng"].department == "广州市增城区人力资源和社会保障局"
    assert examples["conghua"].department == "广州市从化区人力资源和社会保障局"
    # OCR: 厂 for 广 stays as printed (a check reports it); 力元 is read as 万元, raw text kept.
    assert examples["yuexiu"].department == "厂州市越秀区人力资源和社会保障局"
    assert examples["yuexiu"].unit_of_money == "万元"
    assert examples["yuexiu"].raw_unit_of_money == "力元"
    assert all(document.unit_of_money == "万元" for document in examples.values())


# --- 越秀: OCR tab-separated -------------------------------------------------------------------


def test_yuexiu_total_with_ocr_spaces_in_numbers(examples):
    total = examples["yuexiu"].rows[0]
    assert total.level is Level.TOTAL
    assert money(total) == ("55873.15", "43558.37", None, "12314.78")
    assert total.raw_amounts == ("55, 873. 15", "43, 558. 37", None, "12, 314. 78")
    assert total.span.line == 3


def test_yuexiu_names_drop_ocr_spaces_but_keep_raw(examples):
    unit = examples["yuexiu"].rows[1]
    assert unit.name == "广州市越秀区人力资源和社会保障局"
    assert unit.raw_name == "广州市越秀区人力资源和社会保 障局"
    assert money(unit) == ("643.99", "601.90", None, "42.09")


def test_yuexiu_short_row_figure_placed_in_other_funds_by_the_sums(examples):
    # Line 14 lost a cell: "26. 79 | | 26. 79" could be 财政专户拨款 or 其他资金;
    # the unit's 其他资金 (42.09 = 15.30 + 26.79) says 其他资金.
    row = find(
        examples["yuexiu"], '2024年中央就业示范项目子项目5-"乐业羊城"行动-就业领跑实训计划(越秀区)'
    )
    assert row.span.line == 14
    assert money(row) == ("26.79", None, None, "26.79")
    assert row.missing_cells == 1
    assert row.column_inference is not None
    assert row.column_inference.method == "sums"
    assert not row.column_inference.ambiguous


def test_yuexiu_units_placed_by_the_total_row(examples):
    # 合计 leaves 财政专户拨款 blank, so 8,000.00 and 4,272.69 belong to 其他资金.
    medical = find(examples["yuexiu"], "广州市越秀区公费医疗预防实施管理委员会办公室")
    retired = find(examples["yuexiu"], "广州市越秀区退休职工管理委员会办公室")
    assert money(medical) == ("33000.00", "25000.00", None, "8000.00")
    assert money(retired) == ("5246.42", "973.73", None, "4272.69")
    assert (medical.span.line, retired.span.line) == (29, 34)


def test_yuexiu_row_with_blank_funding_columns(examples):
    row = find(examples["yuexiu"], "特殊退休人员安置费2025")
    assert money(row) == ("216.99", None, None, None)
    assert row.span.line == 38


def test_yuexiu_indicator_only_line_is_a_fragment(examples):
    (fragment,) = examples["yuexiu"].fragments
    assert (fragment.span.line, fragment.span.end_line) == (24, 24)
    assert fragment.text.startswith("1、1-产出指标: 11-数量指标: 享受一次性创业资助人数")
    assert "no name" in fragment.reason


def test_yuexiu_units_and_parents(examples):
    document = examples["yuexiu"]
    units = [row.name for row in document.rows_at("unit")]
    assert units == [
        "广州市越秀区人力资源和社会保障局",
        "广州市越秀区社会保险基金管理中心",
        "广州市越秀区劳动就业服务管理中心",
        "广州市越秀区公费医疗预防实施管理委员会办公室",
        "广州市越秀区人才服务管理办公室",
        "广州市越秀区退休职工管理委员会办公室",
        "广州市越秀区人力资源和社会保障局综合保障中心",
    ]
    pension = find(document, "企业移交退休退管服务经费2025")
    assert pension.parent == "广州市越秀区退休职工管理委员会办公室"
    assert money(pension) == ("3400.00", None, None, "3400.00")
    assert all(row.parent == "合计" for row in document.rows_at("unit"))


# --- 花都 and 番禺: clean tab-separated -----------------------------------------------------------


def test_huadu_explicit_zero_cells_are_zero_not_blank(examples):
    row = find(examples["huadu"], "机关事业单位医疗保障基金专项")
    assert money(row) == ("15500.00", "15500.00", "0.00", "0.00")
    assert row.span == budgetqa.SourceSpan(examples["huadu"].path, 27, 27)
    assert row.column_inference is None


def test_huadu_indicators_without_category_codes(examples):
    row = find(examples["huadu"], "花都区公共服务和薪酬调查业务财政补助")
    first = row.indicators[0]
    assert (first.number, first.category, first.name, first.annual_value) == (
        1,
        "产出指标",
        "企业薪酬调查户数",
        "255",
    )
    assert first.category_code is None
    assert first.period_value is None
    assert [indicator.number for indicator in row.indicators] == [1, 2, 3, 4, 5, 6]


def test_panyu_title_and_html_left_in_text(examples):
    document = examples["panyu"]
    assert (
        document.title
        == "广州市番禺区人力资源和社会保障局（本级）2025年项目支出绩效目标表（含转移支付项目）"
    )
    row = find(document, "劳动关系工作经费")
    assert row.goal.startswith("<p>围绕区委、区政府中心工作")
    assert row.indicator_text.startswith("<p>1、1-产出指标；11-数量指标；集体合同和")
    assert row.indicators[0].category == "产出指标"
    assert money(row) == ("3.00", "3.00", None, None)


def test_panyu_units_sum_row_structure(examples):
    document = examples["panyu"]
    unit = document.rows_at("unit")[0]
    children = document.children(unit)
    assert len(children) == 23
    assert sum((child.total or Decimal(0)) for child in children) == Decimal("3105.64")


# --- 增城 and 从化: PDF layout text ---------------------------------------------------------


def test_zengcheng_unit_name_joined_across_wrap(examples):
    unit = find(examples["zengcheng"], "广州市增城区人力资源和社会保障局")
    assert unit.level is Level.UNIT
    assert (unit.span.line, unit.span.end_line) == (14, 17)
    assert money(unit) == ("1366.63", "1366.63", None, None)
    assert [piece.line for piece in unit.name_pieces] == [14, 16]


def test_zengcheng_project_with_goal_and_indicators(examples):
    row = find(examples["zengcheng"], "区人社办公楼维护维修经费")
    assert row.level is Level.PROJECT
    assert (row.span.line, row.span.end_line) == (19, 40)
    assert money(row) == ("10.00", "10.00", None, None)
    assert row.goal == "通过该项目的开展，保障区人社局办公楼的出现的房屋补漏等问题得到有效解决。"
    assert [indicator.number for indicator in row.indicators] == [1, 2, 3, 4]
    first = row.indicators[0]
    assert (first.category, first.subcategory) == ("产出指标", "数量指标")
    assert first.name == "维修工程计划完成率"
    assert first.period_value == "维修工程计划完成"
    assert first.annual_value == "维修工程计划完成100%"
    assert (first.span.line, first.span.end_line) == (29, 31)


def test_zengcheng_goal_on_the_amount_line(examples):
    row = find(examples["zengcheng"], "流动人员人事档案基本公共服务经费")
    assert row.goal == "提高人力资源公共服务水平。"
    assert row.goal_pieces[0].line == 247


def test_zengcheng_page_headers_do_not_break_rows(examples):
    document = examples["zengcheng"]
    page_header_lines = [
        i + 1 for i, role in enumerate(document.line_roles) if role is LineRole.PAGE_HEADER
    ]
    assert page_header_lines[:5] == [111, 112, 113, 115, 238]
    row = find(document, "执法装备购置经费")
    assert row.span.line == 117


def test_zengcheng_placeholder_text_is_kept_across_wraps(examples):
    row = find(
        examples["zengcheng"], "广州市增城区人力资源和社会保障局2025年局单位桌面及办公设备运维项目"
    )
    assert "待单位补充" in row.indicator_text
    assert row.indicators[0].annual_value == "待单位补充..."


def test_zengcheng_total_column_choice_is_flagged_ambiguous(examples):
    total = examples["zengcheng"].rows[0]
    assert money(total) == ("24955.91", "24955.91", None, None)
    assert total.column_inference is not None
    assert total.column_inference.ambiguous
    assert total.column_inference.method == "header_order"


def test_conghua_split_funding_placed_consistently(examples):
    document = examples["conghua"]
    total = document.rows[0]
    assert money(total) == ("18276.74", "18212.89", "63.85", None)
    retired = find(document, "广州市从化区退休职工管理委员会办公室")
    assert money(retired) == ("449.55", "385.70", "63.85", None)
    transfer = find(document, "退休人员移交退管活动资金")
    assert money(transfer) == ("63.85", None, "63.85", None)
    assert transfer.parent == retired.name


def test_conghua_repeated_entries_are_all_kept(examples):
    document = examples["conghua"]
    repeated = [row for row in document.rows if row.name == "企业职教幼教退休教师生活补贴费"]
    assert [(row.span.line, money(row)[0]) for row in repeated] == [
        (450, "148.80"),
        (471, "148.80"),
    ]
    marked = find(document, "企业职教幼教退休教师生活补贴费’")
    assert money(marked)[0] == "37.20"
    twice = [
        row.span.line for row in document.rows if row.name == "编外人员经费(1)-临时聘用人员经费"
    ]
    assert twice == [396, 958, 973]


def test_conghua_name_wrapped_over_five_lines(examples):
    row = find(
        document := examples["conghua"],
        "2022年高校毕业生“三支一扶”计划补助资金（2022年中央补助）（粤财社（2023）19号）（穗财社（2023）9号）",
    )
    assert (row.span.line, [piece.line for piece in row.name_pieces]) == (
        123,
        [123, 124, 126, 127, 129],
    )
    assert money(row) == ("7.00", "7.00", None, None)
    assert row.parent == "广州市从化区人力资源和社会保障局"
    assert document.rows_at("unit")[0].name == "广州市从化区人力资源和社会保障局"


def test_zengcheng_goal_ending_in_a_full_stop_keeps_indicator_one(examples):
    row = find(examples["zengcheng"], "执法装备购置经费")
    assert row.goal == "按照上级文件要求，劳动保障监察队伍工作人员统一着装."
    assert [indicator.number for indicator in row.indicators] == [1, 2, 3, 4]
    assert row.indicators[0].name == "定制制服数量"


def test_each_example_is_one_performance_target_table_of_the_same_rows(examples):
    """A text table is one kind among others: its rows are also the document's one table."""
    for document in examples.values():
        (table,) = document.tables
        assert table.kind == "project_performance_targets"
        assert document.rows_table == 0
        assert table.lines == (document.rows[0].span.line, document.rows[-1].span.end_line)
        assert [column.key for column in table.money_columns] == [
            "total",
            "fiscal_appropriation",
            "special_account",
            "other_funds",
        ]
        assert [
            (row.level, row.name, row.parent, row.amounts, row.line, row.texts)
            for row in table.rows
        ] == [
            (
                {"total": 0, "unit": 1, "project": 2}[row.level.value],
                row.name,
                row.parent_index,
                row.amounts,
                row.span.line,
                (row.goal, row.indicator_text),
            )
            for row in document.rows
        ]
