"""Relations declared in table profiles (row equations, hierarchy sums) checked on every
established table, with the tolerance the printed precision allows (n addends rounded to 0.01
miss by at most n × 0.005): breaks are errors (AR201, AR202), smaller differences rounding
tails (AR203), one finding per row naming every column that misses."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.checks.constraints import document_constraints
from budgetqa.errors import ProfileFileError
from budgetqa.ingest.pdf_synthetic import sketch_pages
from budgetqa.ingest.pdf_tables import read_pdf_pages
from budgetqa.model import Term
from budgetqa.profiles import load_profiles_text
from budgetqa.profiles.relations import RelationError, parse_equation

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
RELATIONS = ["AR201", "AR202", "AR203"]


def audit_sketch(sketch: str):
    return budgetqa.audit(read_pdf_pages("sketch.pdf", sketch_pages(sketch)), select=RELATIONS)


# --- the expression language ---------------------------------------------------------------


def test_an_equation_is_parsed_into_signed_optional_terms():
    assert parse_equation("total = basic + project - refund + other?") == (
        "total",
        (Term("basic"), Term("project"), Term("refund", -1), Term("other", 1, True)),
    )
    assert parse_equation("balance=-outflow+inflow") == (
        "balance",
        (Term("outflow", -1), Term("inflow")),
    )


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("total = basic +", 15),  # ends with an operator
        ("total = basic project", 15),  # two names without an operator
        ("total basic", 1),  # no =
        ("total = basic * 2", 15),  # not + or -
        ("total? = basic", 1),  # an optional left side
        ("total = basic = project", 15),  # two =
        ("__import__('os') = x", 1),  # not a column key
    ],
)
def test_a_malformed_equation_is_refused_at_its_place(text, column):
    with pytest.raises(RelationError) as raised:
        parse_equation(text)
    assert raised.value.column == column


def test_a_profile_equation_naming_an_unknown_column_is_a_located_error():
    text = """\
version: 1
profile:
  kind: sums
  name: {zh: 表, en: Table}
  description: {zh: 说明。, en: Text.}
  titles: ['合计表']
  hierarchy: flat
  columns:
    - key: total
      headers: ['合计']
  relations:
    - id: columns
      equation: 'total = basic + project'
    - id: broken
      equation: 'total = +'
"""
    with pytest.raises(ProfileFileError) as raised:
        load_profiles_text(text, "p.yaml")
    assert raised.value.problems == [
        "p.yaml:13:17: basic, project is not a column key of this profile (known: total)",
        "p.yaml:15:26: the equation ends with an operator",
    ]


# --- checked on tables ----------------------------------------------------------------------

TABLE = """\
支出总表
单位：万元
| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 |
| | 合计 | {total} | 20.00 | 10.00 |
| 201 | 一般公共服务支出 | 30.00 | 20.00 | 10.00 |
| 20101 | 人大事务 | 30.00 | 20.00 | 10.00 |
| 2010101 | 行政运行 | 20.00 | 20.00 | |
| 2010102 | 一般行政管理事务 | {leaf} | | {leaf} |
"""


def test_a_table_whose_sums_hold_has_no_finding():
    assert audit_sketch(TABLE.format(total="30.00", leaf="10.00")).findings == ()


def test_a_parent_that_misses_its_children_in_two_columns_is_one_finding():
    report = audit_sketch(TABLE.format(total="30.00", leaf="12.00"))
    (finding,) = report.findings
    assert finding.code == "AR202"
    assert finding.location.row == "20101 人大事务"
    assert finding.location.page == 1
    assert finding.location.table == "expenditure_summary"
    # 20.00 + 12.00 = 32.00 in 合计 and 0 + 12.00 in 项目支出, against 30.00 and 10.00
    assert finding.message == (
        "20101 人大事务 (支出总表): does not equal the sum of the rows under it:"
        " 合计: 30.00 printed, 32.00 computed (difference -2.00);"
        " 项目支出: 10.00 printed, 12.00 computed (difference -2.00)"
    )
    assert (finding.expected, finding.actual, finding.difference) == ("32.00", "30.00", "-2.00")


def test_a_row_whose_columns_do_not_add_up_is_an_equation_break():
    report = audit_sketch(TABLE.format(total="31.00", leaf="10.00"))
    codes = sorted((finding.code, finding.location.row) for finding in report.findings)
    # 合计 31.00 ≠ 20.00 + 10.00 on its own row, and ≠ its one child 201 (30.00)
    assert codes == [("AR201", "合计"), ("AR202", "合计")]


def test_a_difference_within_the_rounding_of_the_addends_is_a_tail():
    # three children rounded to the cent may miss their printed parent by up to 0.015
    sketch = """\
支出总表
单位：万元
| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 |
| 208 | 社会保障和就业支出 | 419.35 | 419.35 | 0.00 |
| 20805 | 行政事业单位养老支出 | 419.35 | 419.35 | 0.00 |
| 2080501 | 行政单位离退休 | 123.54 | 123.54 | 0.00 |
| 2080505 | 机关事业单位基本养老保险缴费支出 | 199.06 | 199.06 | 0.00 |
| 2080506 | 机关事业单位职业年金缴费支出 | 96.76 | 96.76 | 0.00 |
"""
    (finding,) = audit_sketch(sketch).findings
    assert (finding.code, finding.location.row, finding.severity.value) == (
        "AR203",
        "20805 行政事业单位养老支出",
        "info",
    )


def test_the_published_expenditure_table_of_page_8():
    # 广州市信访局 表3 (page 8), recomputed from the printed figures: 合计 3,944.08 = 2,570.71 +
    # 419.35 + 3.97 + 950.05; 20140 2,570.71 = 1,859.41 + 397.28 + 314.02; every row's 合计 =
    # 基本支出 + 项目支出; only 20805 misses: 123.54 + 199.06 + 96.76 = 419.36 against 419.35
    # printed, in 合计 and 基本支出, within the 0.015 three rounded figures allow.
    report = budgetqa.audit(FIXTURES / "guangzhou-petitions.pdf", select=RELATIONS)
    on_page_8 = [finding for finding in report.findings if finding.location.page == 8]
    assert [(f.code, f.location.row) for f in on_page_8] == [
        ("AR203", "20805 行政事业单位养老支出")
    ]
    assert "合计: 419.35 printed, 419.36 computed" in on_page_8[0].message
    assert "基本支出: 419.35 printed, 419.36 computed" in on_page_8[0].message


cents = st.integers(min_value=0, max_value=10**8).map(lambda n: Decimal(n).scaleb(-2))


@settings(max_examples=40, deadline=None)
@given(
    leaves=st.lists(st.tuples(cents, cents), min_size=1, max_size=5),
    change=st.integers(min_value=3, max_value=10**6).map(lambda n: Decimal(n).scaleb(-2)),
    data=st.data(),
)
def test_consistent_tables_are_clean_and_one_changed_cell_breaks_its_parent(leaves, change, data):
    def table(rows):
        basic = sum((b for b, _ in rows), Decimal(0))
        project = sum((p for _, p in rows), Decimal(0))
        lines = [
            "支出总表",
            "单位：万元",
            "| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 |",
            f"| 201 | 一般公共服务支出 | {basic + project} | {basic} | {project} |",
            f"| 20101 | 人大事务 | {basic + project} | {basic} | {project} |",
        ]
        for number, (b, p) in enumerate(rows, start=1):
            lines.append(f"| 20101{number:02d} | 项目{number} | {b + p} | {b} | {p} |")
        return "\n".join(lines) + "\n"

    assert audit_sketch(table(leaves)).findings == ()
    position = data.draw(st.integers(0, len(leaves) - 1))
    changed = [list(row) for row in leaves]
    changed[position][0] += change  # one 基本支出 cell off by 0.03 or more (5 leaves allow 0.025)
    lines = table([tuple(row) for row in leaves]).splitlines()
    row = lines[5 + position].split("|")
    row[4] = f" {changed[position][0]} "  # ... printed as such, its row's 合计 left alone
    lines[5 + position] = "|".join(row)
    codes = sorted({finding.code for finding in audit_sketch("\n".join(lines) + "\n").findings})
    # the leaf's own row equation breaks, and so does 20101's sum of 基本支出
    assert codes == ["AR201", "AR202"]


def test_an_identity_across_tables_names_tables_and_columns_that_exist(tmp_path):
    from budgetqa.profiles import builtin_profiles, resolve_profiles

    assert builtin_profiles().relation_problems() == []
    assert parse_equation("total = general_budget_expenditure.basic") == (
        "total",
        (Term("basic", 1, False, "general_budget_expenditure"),),
    )
    path = tmp_path / "p.yaml"
    path.write_text(
        """\
version: 1
profile:
  kind: carried
  name: {zh: 结转表, en: Carried over}
  description: {zh: 说明。, en: Text.}
  titles: ['结转结余表']
  hierarchy: flat
  columns:
    - key: total
      headers: ['合计']
  relations:
    - id: across
      equation: 'total = no_such_table.total + expenditure_summary.nothing'
""",
        encoding="utf-8",
    )
    with pytest.raises(ProfileFileError) as raised:
        resolve_profiles([path])
    assert raised.value.problems == [
        f"{path}:3:3: relation across reads no_such_table.total, but there is no such kind of"
        " table",
        f"{path}:3:3: relation across reads expenditure_summary.nothing, but there is no such"
        " column",
    ]


def test_the_published_totals_agree_across_the_tables_of_shenzhen():
    # 深圳市审计局: 表7 (page 29) and 表8 (page 31) both total 10,737.69 = 9,206.23 + 1,531.45;
    # 项目支出总表 (page 26) totals 1,531.45, the 项目支出 of 支出总表 (page 21)
    report = budgetqa.audit(FIXTURES / "shenzhen-audit.pdf", select=["AR204"])
    assert report.findings == ()
    document = budgetqa.read(FIXTURES / "shenzhen-audit.pdf")
    totals = {
        table.kind: table.rows[0].amounts[0]
        for table in document.tables
        if table.rows and table.rows[0].level == 0
    }
    assert totals["general_budget_expenditure"] == Decimal("10737.69")
    assert totals["general_budget_economic_expenditure"] == Decimal("10737.69")
    # the same document with 表8's total printed otherwise breaks the identity, on page 31
    (economic,) = [t for t in document.tables if t.kind == "general_budget_economic_expenditure"]
    changed_row = attrs.evolve(
        economic.rows[0], amounts=(Decimal("10737.70"), *economic.rows[0].amounts[1:])
    )
    changed_table = attrs.evolve(economic, rows=(changed_row, *economic.rows[1:]))
    tables = tuple(changed_table if t is economic else t for t in document.tables)
    report = budgetqa.audit(attrs.evolve(document, tables=tables), select=["AR204"])
    assert [(f.code, f.location.page, f.difference) for f in report.findings] == [
        ("AR204", 31, "0.01")
    ]


def test_tables_in_yuan_and_wanyuan_are_compared_after_conversion():
    # 深圳市审计局: 表8 (page 31) totals 10,737.69 万元 = 表7's (page 29). The whole of 表8
    # printed in 元 (every figure × 10 000, 合计 107,376,900.00) is the same money: no break.
    # Only its 合计 in 元 in a 万元 table is a slip: AR204 breaks on page 31 and AR301 names
    # that cell, ×10 000.
    document = budgetqa.read(FIXTURES / "shenzhen-audit.pdf")
    (economic,) = [t for t in document.tables if t.kind == "general_budget_economic_expenditure"]

    def replaced(table):
        return attrs.evolve(
            document, tables=tuple(table if t is economic else t for t in document.tables)
        )

    in_yuan = attrs.evolve(
        economic,
        unit_of_money="元",
        rows=tuple(
            attrs.evolve(
                row,
                amounts=tuple(None if a is None else a * 10000 for a in row.amounts),
            )
            for row in economic.rows
        ),
    )
    report = budgetqa.audit(replaced(in_yuan), select=["AR204"])
    assert report.findings == ()
    total = economic.rows[0]
    slipped = attrs.evolve(
        economic,
        rows=(
            attrs.evolve(total, amounts=(Decimal("107376900.00"), *total.amounts[1:])),
            *economic.rows[1:],
        ),
    )
    report = budgetqa.audit(replaced(slipped), select=["AR204", "AR301"])
    assert [f.location.page for f in report.findings if f.code == "AR204"] == [31]
    (cell,) = [f for f in report.findings if f.code == "AR301"]
    assert (cell.location.page, cell.actual, cell.expected) == (31, "107376900.00", "10737.69")
    assert "×10 000" in cell.message


# --- paired tables: totals below their rows, the balance of the halves ----------------------

SUMMARY = """\
收支总表
单位：万元
| 收入项目 | 预算数 | 支出项目 | 预算数 |
| 一、一般公共预算拨款收入 | {grant} | 一、一般公共服务支出 | 90.00 |
| 二、事业收入 | 20.00 | 二、教育支出 | 30.00 |
| 本年收入合计 | 120.00 | 本年支出合计 | 120.00 |
| 上年结转结余 | 5.00 | 结转下年 | {carried} |
| 收入总计 | 125.00 | 支出总计 | {closing} |
"""
PAIRED = ["AR201", "AR202", "AR203", "AR205"]


def audit_summary(grant="100.00", carried="5.00", closing="125.00"):
    sketch = SUMMARY.format(grant=grant, carried=carried, closing=closing)
    return budgetqa.audit(read_pdf_pages("s.pdf", sketch_pages(sketch)), select=PAIRED)


def test_a_summary_table_whose_halves_add_up_and_balance_has_no_finding():
    # 100 + 20 = 120; 120 + 5 = 125 on both sides; 收入总计 125 = 支出总计 125
    assert audit_summary().findings == ()


def test_a_row_after_a_total_of_a_paired_table_is_not_under_it():
    document = read_pdf_pages(
        "s.pdf", sketch_pages(SUMMARY.format(grant="100.00", carried="5.00", closing="125.00"))
    )
    (table,) = document.tables
    carried = next(row for row in table.rows if row.name == "上年结转结余")
    assert (carried.level, carried.parent) == (1, None)


def test_halves_that_each_add_up_but_differ_are_one_balance_break():
    # 120 + 6 = 126 on the expenditure side holds; 收入总计 125 against 支出总计 126 does not
    report = audit_summary(carried="6.00", closing="126.00")
    assert [(f.code, f.location.page, f.expected, f.actual) for f in report.findings] == [
        ("AR205", 1, "126.00", "125.00")
    ]
    assert "收入总计 = 支出总计" in report.findings[0].message
    details = report.findings[0].details
    assert (details.relation, details.table, details.row) == (
        "balance",
        "income_expenditure_summary",
        "收入总计",
    )
    assert [(c.printed, c.computed, c.difference) for c in details.columns] == [
        ("125.00", "126.00", "-1.00")
    ]
    assert [(c.row, c.value, c.coefficient, c.page) for c in details.cells] == [
        ("收入总计", "125.00", "1", 1),
        ("支出总计", "126.00", "-1", 1),
    ]


def test_an_item_that_misses_its_total_printed_below_is_a_sum_break():
    # 110 + 20 = 130, but 本年收入合计 says 120: the total below the income items breaks
    report = audit_summary(grant="110.00")
    assert [(f.code, f.expected, f.actual) for f in report.findings] == [
        ("AR202", "130.00", "120.00")
    ]
    assert "rows above it" in report.findings[0].message


def test_a_closing_total_within_the_rounding_of_its_rows_is_a_tail():
    # 支出总计 125.01 against 120 + 5 and 收入总计 125.00: 0.01 is within the rounding of the
    # four items behind it (4 × 0.005) and of the two totals compared (2 × 0.005)
    report = audit_summary(closing="125.01")
    assert sorted(f.code for f in report.findings) == ["AR203", "AR203"]


def test_the_published_summary_tables_of_shenzhen_balance():
    # 深圳市审计局 表1 (pages 17–18) and 表4 (pages 27–28): 一般公共服务 6,960.90 + 教育 46.05 +
    # 社会保障和就业 1,743.43 + 卫生健康 203.66 + 住房保障 1,783.65 = 10,737.69 = 本年支出合计 =
    # 本年收入合计 (财政拨款 10,737.69) = 收入总计 = 支出总计
    document = budgetqa.read(FIXTURES / "shenzhen-audit.pdf")
    checked = {
        (document.tables[c.table].kind, c.relation.id)
        for c in document_constraints(document)
        if document.tables[c.table].kind in ("income_expenditure_summary", "fiscal_summary")
    }
    assert {
        ("income_expenditure_summary", "balance"),
        ("income_expenditure_summary", "subtotals"),
        ("fiscal_summary", "balance"),
        ("fiscal_summary", "subtotals"),
    } <= checked
    report = budgetqa.audit(document, select=["AR201", "AR202", "AR204", "AR205"])
    assert report.findings == ()
    (summary,) = [t for t in document.tables if t.kind == "income_expenditure_summary"]
    closing = [row for row in summary.rows if row.level == 0]
    assert [(row.name, row.amounts[0]) for row in closing] == [
        ("本年收入合计", Decimal("10737.69")),
        ("本年支出合计", Decimal("10737.69")),
        ("收入总计", Decimal("10737.69")),
        ("支出总计", Decimal("10737.69")),
    ]


def test_a_balance_relation_is_declared_between_columns_of_the_table_itself():
    text = """\
version: 1
profile:
  kind: paired
  name: {zh: 表, en: Table}
  description: {zh: 说明。, en: Text.}
  titles: ['收支表']
  hierarchy: indentation
  columns:
    - key: income
      side: income
      headers: ['收入']
    - key: spent
      side: expenditure
      headers: ['支出']
  relations:
    - id: balance
      balance: 'income = other_table.total'
    - id: subtotals
      totals: above
"""
    with pytest.raises(ProfileFileError) as raised:
        load_profiles_text(text, "p.yaml")
    assert raised.value.problems == [
        "p.yaml:17:16: a balance compares columns of this table's halves, not another table's",
        "p.yaml:19:15: 'totals' is 'below'",
    ]


def test_the_rule_docs_list_every_relation_of_every_profile():
    # each relation of each built-in profile is listed on the page of the rule that checks it
    # (AR201 equations, AR202 sums of rows, AR204 identities across tables, AR205 balances),
    # and every one of them on the rounding-tail page (AR203)
    from budgetqa.checks.table_relation import relation_group
    from budgetqa.profiles.loader import builtin_profiles
    from budgetqa.rules.docs import render_rule_docs

    pages = render_rule_docs()
    page_of = {"equation": "AR201", "children": "AR202", "across": "AR204", "balance": "AR205"}
    listed = 0
    for profile in builtin_profiles().profiles:
        for relation in profile.relations:
            line = f"(`{profile.kind}`) | `{relation.id}` |"
            assert line in pages[page_of[relation_group(relation)] + ".md"], line
            assert line in pages["AR203.md"], line
            listed += 1
    assert listed >= 40
