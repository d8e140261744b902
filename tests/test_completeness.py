"""A budget's set of standard tables is whole (ST116), and a note saying a table is empty
agrees with its figures (ST117)."""

from __future__ import annotations

from pathlib import Path

import pytest

import budgetqa
from budgetqa.ingest.pdf_synthetic import sketch_pages
from budgetqa.ingest.pdf_tables import read_pdf_pages

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"

FUNCTION = """\
{title}
单位：万元
| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 |
| | 合计 | 30.00 | 20.00 | 10.00 |
| 201 | 一般公共服务支出 | 30.00 | 20.00 | 10.00 |
"""
EMPTY = "{title}\n单位：万元\n本部门无{what}，本表为空表。\n"
SUMMARY = """\
{title}
单位：万元
| 收入项目 | 预算数 | 支出项目 | 预算数 |
| 一、一般公共预算拨款收入 | 30.00 | 一、一般公共服务支出 | 30.00 |
| 收入总计 | 30.00 | 支出总计 | 30.00 |
"""
# The nine standard tables, the funds and the "三公" table printed empty with their notes.
NINE = {
    "T1": SUMMARY.format(title="收支总表"),
    "T2": "收入总表\n单位：万元\n| 科目编码 | 科目名称 | 合计 | 一般公共预算 |\n"
    "| | 合计 | 30.00 | 30.00 |\n| 201 | 一般公共服务支出 | 30.00 | 30.00 |\n",
    "T3": FUNCTION.format(title="支出总表"),
    "T4": SUMMARY.format(title="财政拨款收支总表"),
    "T5": FUNCTION.format(title="一般公共预算支出表"),
    "T6": EMPTY.format(title="政府性基金预算支出表", what="政府性基金预算"),
    "T7": EMPTY.format(title="国有资本经营预算支出表", what="国有资本经营预算"),
    "T8": "一般公共预算基本支出表\n单位：万元\n| 科目编码 | 科目名称 | 合计 | 人员经费 | 公用经费 |\n"
    "| | 合计 | 20.00 | 15.00 | 5.00 |\n| 301 | 工资福利支出 | 15.00 | 15.00 | |\n"
    "| 302 | 商品和服务支出 | 5.00 | | 5.00 |\n",
    "T9": EMPTY.format(title='"三公"经费支出表', what='"三公"经费预算'),
}


def audit(tables: dict[str, str], select=("ST116", "ST117")):
    sketch = "=== page\n".join(tables.values())
    document = read_pdf_pages("budget.pdf", sketch_pages(sketch))
    return document, budgetqa.audit(document, select=list(select))


def test_the_nine_tables_are_read_as_the_nine_standards():
    document, report = audit(NINE)
    assert [table.standard for table in document.tables] == list(NINE)
    assert all(table.established for table in document.tables)
    assert report.findings == ()


@pytest.mark.parametrize("left_out", ["T1", "T6", "T7", "T9"])
def test_a_standard_table_left_out_is_one_warning_naming_it(left_out):
    _, report = audit({code: text for code, text in NINE.items() if code != left_out})
    assert [(f.code, f.severity.value, f.actual) for f in report.findings] == [
        ("ST116", "warning", left_out)
    ]
    assert "holds 8 of the standard tables" in report.findings[0].message


def test_two_tables_alone_are_not_a_budget_set():
    _, report = audit({code: NINE[code] for code in ("T3", "T5")})
    assert report.findings == ()
    _, report = audit({code: NINE[code] for code in ("T3", "T5", "T8")})
    assert sorted(f.actual for f in report.findings) == ["T1", "T2", "T4", "T6", "T7", "T9"]


def test_a_note_saying_empty_above_figures_contradicts_them():
    with_figures = FUNCTION.format(title="政府性基金预算支出表") + "注：本部门无政府性基金预算。\n"
    _, report = audit({**NINE, "T6": with_figures})
    assert [(f.code, f.location.page, f.location.row) for f in report.findings] == [
        ("ST117", 6, "合计")
    ]
    assert "2 row(s)" in report.findings[0].message
    zeros = "政府性基金预算支出表\n单位：万元\n| 科目编码 | 科目名称 | 合计 |\n| | 合计 | 0.00 |\n"
    _, report = audit({**NINE, "T6": zeros + "注：本部门无政府性基金预算。\n"})
    assert report.findings == ()


def test_published_budgets():
    # 重庆市委宣传部 prints 表一 … 表九 without a 国有资本经营预算支出表 (pages 8–24); 广州市信访局
    # prints all, the fund tables empty with notes (pages 16–17).
    report = budgetqa.audit(FIXTURES / "chongqing-publicity.pdf", select=["ST116", "ST117"])
    assert [(f.code, f.actual) for f in report.findings] == [("ST116", "T7")]
    report = budgetqa.audit(FIXTURES / "guangzhou-petitions.pdf", select=["ST116", "ST117"])
    assert report.findings == ()
