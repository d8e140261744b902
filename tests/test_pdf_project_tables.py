"""Project tables as published (项目支出及其他支出预算表): tall rows whose goal text fills half a
page stay rows of their grid, the goal column at the right edge is text (not a second half of
the table), and a wrapped project name keeps the indentation of its first line. The values
were read off the pages by eye; each test names its page."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import budgetqa

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def projects():
    document = budgetqa.read(FIXTURES / "guangzhou-petitions.pdf")
    (table,) = [table for table in document.tables if table.pages == (19, 20)]
    return table


def test_every_project_row_of_pages_19_and_20_is_read(projects):
    # 表12 部门预算项目支出及其他支出预算表: 合计, the bureau, nine projects; the 社工服务外包项目
    # row on page 19 is about 200 points tall (its goal runs to eleven lines)
    assert projects.kind == "project_expenditure"
    assert projects.established
    assert projects.rows_per_level() == {0: 1, 1: 1, 2: 9}
    assert [(row.level, row.name, row.amounts[0], row.page) for row in projects.rows] == [
        (0, "合计", Decimal("739.30"), 19),
        (1, "广州市信访局", Decimal("739.30"), 19),
        (2, "物业管理费", Decimal("99.00"), 19),
        (2, "市人民来访接待厅专项经费", Decimal("145.00"), 19),
        (2, "机构运行辅助经费", Decimal("28.00"), 19),
        (2, "社工服务外包项目", Decimal("45.00"), 19),
        (2, "云客服服务外包项目", Decimal("252.28"), 19),
        (2, "信访工作专项经费", Decimal("100.00"), 20),
        (2, "广州市信访局2025-2026年信息化运维项目", Decimal("40.41"), 20),
        (2, "信访宣传经费", Decimal("5.00"), 20),
        (2, "广州市信访局2026-2027年信息化运维项目", Decimal("24.61"), 20),
    ]
    # the projects add up to the bureau's 739.30 as printed
    assert sum(row.amounts[0] for row in projects.rows if row.level == 2) == Decimal("739.30")


def test_the_goal_column_is_text_of_each_project(projects):
    assert [column.key for column in projects.columns] == [
        "name",
        "total",
        "fiscal_appropriation",
        "general_budget",
        "government_fund",
        "state_capital",
        "special_account",
        "other_funds",
        "goal",
    ]
    assert all(column.side is None for column in projects.columns)
    goals = {row.name: row.texts[0] for row in projects.rows}
    assert goals["机构运行辅助经费"] == "根据相关文件，用于解决我局后勤服务人员不足问题。"
    assert goals["信访宣传经费"].startswith("1.建设践行习近平总书记关于加强和改进人民信访工作")
    assert goals["合计"] == ""


def test_figures_outside_every_grid_are_reported_not_dropped():
    from budgetqa.ingest.pdf_synthetic import sketch_pages
    from budgetqa.ingest.pdf_tables import read_pdf_pages
    from budgetqa.model import StructureProblem

    sketch = """\
支出总表
单位：万元
| 科目编码 | 科目名称 | 合计 | 基本支出 |
| 201 | 一般公共服务支出 | 30.00 | 20.00 |
2010101     行政运行     20.00     20.00
"""
    (table,) = read_pdf_pages("sketch.pdf", sketch_pages(sketch)).tables
    assert table.department is None  # 单位：万元 names the unit of money, not a department
    assert not table.established
    assert table.problems == (
        (
            StructureProblem.UNREAD_LINES,
            "page 1: 1 line(s) with figures outside the grid, the first: '2010101 行政运行 20.00 20.00'",
        ),
    )


PROJECTS = """\
部门预算项目支出及其他支出预算表
单位名称：某局 单位：万元
| 支出项目类别（资金使用单位） | 总计 | 财政拨款 | 财政专户拨款 | 其他资金 | 绩效目标 |
| 合计 | 30.00 | 30.00 | 0.00 | 0.00 | |
| 某局 | 30.00 | 30.00 | 0.00 | 0.00 | |
|   项目甲经费 | 10.00 | 10.00 | 0.00 | 0.00 | 做好甲项工作。 |
|   项目乙经费 | 25.00 | 25.00 | 0.00 | 0.00 | 待单位补充 |
"""


def test_a_pdf_project_table_is_checked_by_the_project_rules():
    from budgetqa.ingest.pdf_synthetic import sketch_pages
    from budgetqa.ingest.pdf_tables import read_pdf_pages
    from budgetqa.model import Level

    document = read_pdf_pages("sketch.pdf", sketch_pages(PROJECTS))
    assert document.rows_table == 0
    assert document.row_texts == ("goal",)  # no indicators column: none can be missing
    assert [(row.level, row.name, row.total, row.span.page) for row in document.rows] == [
        (Level.TOTAL, "合计", Decimal("30.00"), 1),
        (Level.UNIT, "某局", Decimal("30.00"), 1),
        (Level.PROJECT, "项目甲经费", Decimal("10.00"), 1),
        (Level.PROJECT, "项目乙经费", Decimal("25.00"), 1),
    ]
    report = budgetqa.audit(document)
    found = {(f.code, f.location.row, f.location.page, f.location.table) for f in report.findings}
    # 10.00 + 25.00 = 35.00 under a unit that says 30.00; 待单位补充 left in a goal
    assert ("AR102", "某局", 1, "project_expenditure") in found
    assert ("PH101", "项目乙经费", 1, "project_expenditure") in found
    assert all(f.location.line is None for f in report.findings)
    assert not any(f.code == "ST105" for f in report.findings)


def test_a_project_table_that_splits_its_funds_otherwise_is_not_summed_as_three():
    # 深圳's 项目支出总表 prints 一般公共预算/政府性基金/… and 单位资金 columns, no 财政拨款 total:
    # total = 财政拨款 + 财政专户拨款 + 其他资金 does not apply, so its rows are not project rows
    document = budgetqa.read(FIXTURES / "shenzhen-audit.pdf")
    assert document.rows_table is None
    assert document.rows == ()


def test_a_group_column_left_of_the_names_heads_its_rows_page_29():
    # 深圳 表7 一般公共预算支出表（按功能分类）, page 29: 预算单位 | 科目编码 | 科目名称 | amounts; the
    # unit's own row (深圳市审计局, 10,737.69) names the group the coded rows belong to
    document = budgetqa.read(FIXTURES / "shenzhen-audit.pdf")
    (table,) = [table for table in document.tables if table.pages == (29, 30)]
    assert table.established
    assert [column.role.value for column in table.columns][:3] == ["text", "code", "name"]
    assert all(column.side is None for column in table.columns)
    top = [(row.level, row.code, row.name, row.parent, row.amounts) for row in table.rows[:3]]
    assert top == [
        (
            0,
            None,
            "深圳市审计局",
            None,
            (Decimal("10737.69"), Decimal("9206.23"), Decimal("1531.45")),
        ),
        (
            1,
            "201",
            "一般公共服务支出",
            0,
            (Decimal("6960.90"), Decimal("5466.52"), Decimal("1494.38")),
        ),
        (2, "20108", "审计事务", 1, (Decimal("6960.90"), Decimal("5466.52"), Decimal("1494.38"))),
    ]


def test_a_title_ruled_inside_the_tables_frame_starts_a_new_table_page_34():
    # 深圳 表9 财政拨款“三公”经费支出表 on page 34 has its title and 部门名称 line inside the frame
    document = budgetqa.read(FIXTURES / "shenzhen-audit.pdf")
    (table,) = [table for table in document.tables if table.pages == (34, 34)]
    assert (table.kind, table.title, table.unit_of_money) == (
        "three_public_expenditure",
        "财政拨款“三公”经费支出表",
        "万元",
    )
    assert table.established
    # 2025年 40.31 and 2026年 35.10 in 总计/一般公共预算; no row is a header cell
    totals = [row.amounts[0] for row in table.rows]
    assert totals[:2] == [Decimal("40.31"), Decimal("35.10")]
    (before,) = [table for table in document.tables if table.pages[1] == 33]
    assert before.established  # its header is no longer read as rows of the table before


def test_a_blank_money_column_whose_header_says_unit_is_money():
    from budgetqa.ingest.pdf_synthetic import sketch_pages
    from budgetqa.ingest.pdf_tables import read_pdf_pages

    sketch = """\
支出总表
单位：万元
| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 | 事业单位经营支出 | 对附属单位补助支出 |
| 201 | 一般公共服务支出 | 30.00 | 20.00 | 10.00 | | |
| 20101 | 人大事务 | 30.00 | 20.00 | 10.00 | | |
"""
    (table,) = read_pdf_pages("sketch.pdf", sketch_pages(sketch)).tables
    assert table.established
    assert [column.key for column in table.money_columns] == [
        "total",
        "basic",
        "project",
        "operating",
        "subsidiary",
    ]


def test_an_untitled_grid_of_other_columns_on_the_next_page_is_another_table():
    from budgetqa.ingest.pdf_synthetic import sketch_pages
    from budgetqa.ingest.pdf_tables import read_pdf_pages

    sketch = """\
机关运行经费支出预算表
单位：万元
| 科目编码 | 科目名称 | 机关运行经费支出 |
| 302 | 商品和服务支出 | 10.00 |
| 30201 | 办公费 | 10.00 |
=== page
| 采购品目大类 | 采购品目名称 | 采购组织形式 | 一般公共预算资金 | 总计 |
| 货物 | 办公设备 | 集中采购 | 1.50 | 1.50 |
=== page
| 采购品目大类 | 采购品目名称 | 采购组织形式 | 一般公共预算资金 | 总计 |
| 服务 | 物业管理服务 | 集中采购 | 16.34 | 16.34 |
"""
    first, second = read_pdf_pages("sketch.pdf", sketch_pages(sketch)).tables
    assert (first.kind, first.pages, len(first.rows)) == ("operating_expenses", (1, 1), 2)
    # pages 2–3: one untitled table (its header repeated), not rows of the table before
    assert (second.kind, second.pages, [row.name for row in second.rows]) == (
        "unknown",
        (2, 3),
        ["货物", "服务"],
    )


def test_a_header_repeated_with_other_line_breaks_is_skipped_on_the_next_page():
    from budgetqa.ingest.pdf_synthetic import sketch_pages
    from budgetqa.ingest.pdf_tables import read_pdf_pages

    sketch = """\
项目支出表
单位：万元
| 项目名称 | 总计 | 其他资金 |
| 甲项目 | 1.00 | 1.00 |
=== page
| 项目名称 | 总计 | 其他资 |
| | | 金 |
| 乙项目 | 2.00 | 2.00 |
"""
    (table,) = read_pdf_pages("sketch.pdf", sketch_pages(sketch)).tables
    assert table.established
    assert [(row.name, row.page) for row in table.rows] == [("甲项目", 1), ("乙项目", 2)]


def test_a_figure_wrapped_in_its_narrow_cell_is_one_figure_page_24():
    # 深圳 表5 项目支出总表, page 24: the bureau's 总计 is printed 1,264,602 / .38 over two lines and
    # its 一般公共预算拨款 1,263,231.7 / 8; with 上年结余、结转 1,370.60 they add up
    document = budgetqa.read(FIXTURES / "shenzhen-development-reform.pdf")
    (table,) = [table for table in document.tables if table.kind == "project_expenditure"]
    assert table.established
    first = table.rows[0]
    assert (first.name, first.amounts[0], first.amounts[1], first.amounts[-1]) == (
        "深圳市发展和改革委员会（本级）",
        Decimal("1264602.38"),
        Decimal("1263231.78"),
        Decimal("1370.60"),
    )
    assert table.rows[1].name == "创新能力建设和高新技术发展业务"
    assert table.rows_per_level() == {1: 1, 2: 19}
