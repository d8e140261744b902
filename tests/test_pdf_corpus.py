"""Real published budget PDFs (tests/fixtures/pdf/README.md): the table inventory of each, and
for one table of each kind, rows per level and rows with their amounts as printed (the page is
named in each test; the values were read off the page by eye)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import budgetqa
from budgetqa.model import PageUse

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"

pytestmark = pytest.mark.integration


def read(name: str):
    return budgetqa.read(FIXTURES / name)


def inventory(document):
    return [(table.kind, table.pages) for table in document.tables]


def test_guangzhou_inventory():
    document = read("guangzhou-petitions.pdf")
    assert document.department == "广州市信访局"
    # 表1 starts on page 5 and continues on page 6; 表3 is page 8; 表6/表7 pages 16/17.
    kinds = inventory(document)
    assert kinds[:5] == [
        ("income_expenditure_summary", (5, 6)),
        ("income_summary", (7, 7)),
        ("expenditure_summary", (8, 8)),
        ("fiscal_summary", (9, 10)),
        ("general_budget_expenditure", (11, 11)),
    ]
    assert ("government_fund_expenditure", (16, 16)) in kinds
    assert ("state_capital_expenditure", (17, 17)) in kinds
    narrative = [role.page for role in document.pages if role.use is PageUse.NARRATIVE]
    assert narrative[:4] == [1, 2, 3, 4]  # cover, contents, 部门概况


def test_guangzhou_expenditure_table_page_8():
    table = read("guangzhou-petitions.pdf").tables[2]
    # 1 合计, 4 类 (201 208 210 221), 4 款, 9 项
    assert table.rows_per_level() == {0: 1, 1: 4, 2: 4, 3: 9}
    assert [column.header for column in table.money_columns][:3] == ["合计", "基本支出", "项目支出"]
    by_code = {row.code: row for row in table.rows}
    assert table.rows[0].amounts[:3] == (Decimal("3944.08"), Decimal("3204.78"), Decimal("739.30"))
    assert by_code["201"].amounts[0] == Decimal("2570.71")
    # a name wrapped over two lines inside its cell is one name
    assert by_code["2080505"].name == "机关事业单位基本养老保险缴费支出"
    assert by_code["2080505"].amounts[0] == Decimal("199.06")
    assert table.rows[table.rows.index(by_code["2080505"])].parent == table.rows.index(
        by_code["20805"]
    )


def test_guangzhou_empty_fund_table_keeps_its_note_page_16():
    (table,) = [t for t in read("guangzhou-petitions.pdf").tables if t.pages == (16, 16)]
    assert table.kind == "government_fund_expenditure"
    assert table.note == "注：本表本年无发生额。"
    assert table.established


def test_shenzhen_project_table_page_26():
    document = read("shenzhen-audit.pdf")
    (table,) = [t for t in document.tables if t.title == "项目支出总表"]
    assert table.pages == (26, 26)
    assert [(row.level, row.name, row.amounts[0]) for row in table.rows] == [
        (1, "深圳市审计局", Decimal("1531.45")),
        (2, "规划类经费", Decimal("6.50")),
        (2, "审计管理业务", Decimal("506.95")),
        (2, "信息化（财政审核）", Decimal("80.00")),
        (2, "预算准备金", Decimal("20.00")),
        (2, "综合管理", Decimal("918.01")),
    ]


def test_shenzhen_tables_repeat_their_title_on_continuation_pages():
    kinds = inventory(read("shenzhen-audit.pdf"))
    # 收支总表 on pages 17–18 and 财政拨款收支总表 on 27–28 are one table each
    assert ("income_expenditure_summary", (17, 18)) in kinds
    assert ("fiscal_summary", (27, 28)) in kinds


def test_beijing_narrative_has_no_table_and_says_so():
    document = read("beijing-audit.pdf")
    assert document.tables == ()
    report = budgetqa.audit(FIXTURES / "beijing-audit.pdf")
    assert [finding.code for finding in report.findings] == ["ST114"]


def test_wuxi_inventory():
    kinds = [kind for kind, _ in inventory(read("wuxi-emergency-enforcement-unit.pdf"))]
    assert kinds[:9] == [
        "income_expenditure_summary",  # 公开01表 收支总表, page 6
        "income_summary",  # 公开02表 收入总表, page 7 (its title ruled inside the frame)
        "expenditure_summary",
        "fiscal_summary",
        "fiscal_expenditure_by_function",
        "fiscal_basic_expenditure",  # 财政拨款基本支出表（经济科目）, page 12
        "general_budget_expenditure",
        "general_budget_basic_expenditure",
        "three_public_expenditure",
    ]
