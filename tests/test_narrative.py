"""The figures the explanations state: a change recomputed (AR401), a total against the
收支总表 (AR402)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.ingest.pdf_synthetic import sketch_pages
from budgetqa.ingest.pdf_tables import read_pdf_pages

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
RULES = ["AR401", "AR402"]


def audit(*lines: str, tables: str = ""):
    sketch = (tables + "=== page\n" if tables else "") + "部门预算情况说明\n" + "\n".join(lines)
    return budgetqa.audit(read_pdf_pages("b.pdf", sketch_pages(sketch)), select=RULES)


@pytest.mark.parametrize(
    "statement",
    [
        # 286.07 / (3,944.08 - 286.07 = 3,658.01) = 7.82%
        "2026年本部门收入预算3,944.08万元，比上年增加286.07万元，增长7.8%。",
        # 13.45 / (203.73 + 13.45 = 217.18) = 6.19%
        "“三公”经费预算203.73万元，比2025年财政拨款“三公”经费年初预算减少13.45万元，下降6.19%。",
        # 32,852.05 - 30,385.62 = 2,466.43; 2,466.43 / 30,385.62 = 8.12%
        "2026年度收入预算32852.05万元，比2025年年初预算数30385.62万元增加2466.43万元，增长8.12%。",
        "因公出国（境）费83.4万元，比上年增加0万元，增长0%。",
        "公务用车购置费40万元，比上年增加0万元；",
    ],
)
def test_a_statement_that_adds_up_is_clean(statement):
    assert audit(statement).findings == ()


@pytest.mark.parametrize(
    ("statement", "expected", "actual"),
    [
        # 7.82% computed, 8.8% printed
        ("收入预算3,944.08万元，比上年增加286.07万元，增长8.8%。", "7.82", "8.8"),
        # 29,956.27 - 28,479.84 = 1,476.43, stated 1,476.73 (北京市司法局, page 7)
        (
            "支出预算29956.27万元，比2025年年初预算数28479.84万元增加1476.73万元，增长5.18%。",
            "1476.43",
            "1476.73",
        ),
        # a decrease stated as a growth
        ("支出预算100.00万元，比上年减少10.00万元，增长9.1%。", None, None),
    ],
)
def test_a_statement_that_does_not_add_up_is_one_warning(statement, expected, actual):
    (finding,) = audit(statement).findings
    assert (finding.code, finding.severity.value, finding.location.page) == ("AR401", "warning", 1)
    assert (finding.expected, finding.actual) == (expected, actual)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=1, max_value=10**7, places=2),
    st.decimals(min_value=1, max_value=10**7, places=2),
    st.sampled_from([0, 1, 2]),
    st.booleans(),
)
def test_generated_statements_rounded_as_printed_are_clean(now, before, places, printed):
    # this year's and last year's figures, the change and the percentage rounded as a
    # publisher prints them: never a finding
    change = abs(now - before)
    rising = now >= before
    percent = (change / before * 100).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    last = f"{before}万元" if printed else ""
    statement = (
        f"2026年本部门收入预算{now}万元，比上年{last}{'增加' if rising else '减少'}{change}万元，"
        f"{'增长' if rising else '下降'}{percent}%。"
    )
    assert audit(statement).findings == ()
    # the change mistyped by a cent or more, with last year's figure printed: found
    if printed:
        wrong = statement.replace(f"{change}万元，", f"{change + Decimal('0.02')}万元，", 1)
        assert [f.code for f in audit(wrong).findings] == ["AR401"]


SUMMARY = """\
收支总表
单位：{unit}
| 收入项目 | 预算数 | 支出项目 | 预算数 |
| 一、一般公共预算拨款收入 | {amount} | 一、一般公共服务支出 | {amount} |
| 收入总计 | {amount} | 支出总计 | {amount} |
"""


def test_stated_totals_are_those_of_the_summary_table_in_either_unit():
    in_wan = SUMMARY.format(unit="万元", amount="3,944.08")
    in_yuan = SUMMARY.format(unit="元", amount="39,440,800.00")
    statement = "2026年本部门收入预算3,944.08万元，支出预算3,944.08万元。"
    assert audit(statement, tables=in_wan).findings == ()
    assert audit(statement, tables=in_yuan).findings == ()
    (finding,) = audit(
        "2026年本部门收入预算3,944.08万元，支出预算3,944.80万元。", tables=in_wan
    ).findings
    assert (finding.code, finding.location.page, finding.expected, finding.actual) == (
        "AR402",
        2,
        "3944.08",
        "3944.80",
    )
    # a qualified 支出预算 (机关运行经费, 项目) is no total
    assert audit("机关运行经费支出预算12.00万元。", tables=in_wan).findings == ()


def test_published_budgets():
    # 北京市司法局: page 6 states the income 29,956.27 万元 = 28,479.84 + 1,476.43; page 7 the
    # expenditure, the same figures but 增加 1,476.73
    report = budgetqa.audit(FIXTURES / "beijing-justice.pdf", select=RULES)
    assert [(f.code, f.location.page, f.expected, f.actual) for f in report.findings] == [
        ("AR401", 7, "1476.43", "1476.73")
    ]
    # 广州市信访局, page 21: 收入预算 and 支出预算 3,944.08 万元 (= 收支总表, page 5), each
    # 增加 286.07, 增长 7.8%; the "三公" lines add up too
    document = budgetqa.read(FIXTURES / "guangzhou-petitions.pdf")
    assert any("3,944.08万元" in page.text.replace(" ", "") for page in document.narrative)
    assert budgetqa.audit(document, select=RULES).findings == ()
