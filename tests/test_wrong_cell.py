"""Which printed figure is wrong (AR301): the shapes of slips, the cells named, the links.

Expected values are reasoned in the comments: the relation each figure breaks, the value that
makes it hold. The generated budgets come from ``tests/department_budgets.py``.
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.checks.constraints import document_constraints
from budgetqa.checks.wrong_cell import document_suspects, slip_shape
from tests.department_budgets import SLIPS, budget, slip

D = Decimal
EXAMPLES = Path(budgetqa.__file__).parent / "data" / "examples"


@pytest.mark.parametrize(
    ("printed", "fitting", "shape"),
    [
        (D("1243.00"), D("1234.00"), "swapped_digits"),  # 3 and 4 trade places
        (D("4231.00"), D("1234.00"), "swapped_digits"),  # not only neighbours
        (D("1284.00"), D("1234.00"), "one_digit"),  # 3 read as 8
        (D("123.00"), D("1234.00"), "dropped_digit"),  # the 4 left out
        (D("12344.00"), D("1234.00"), "extra_digit"),  # the 4 typed twice
        (D("123.40"), D("1234.00"), "decimal_point"),  # one place to the left
        (D("12340000.00"), D("1234.00"), "scale_10000"),  # 元 where 万元 is due
        (D("12345678.00"), D("1234.57"), "scale_10000"),  # the 万元 figure rounded: within 50
        (D("0.12"), D("1234.00"), "scale_10000"),  # 万元 where 元 is due: 0.1234 rounded
        (D("-1234.00"), D("1234.00"), "sign"),
        (D("2468.00"), D("1234.00"), "counted_twice"),
        (None, D("5.00"), "left_blank"),
        (None, D("0.00"), None),  # a blank where nothing is due is no slip
        (D("1234.00"), D("1234.00"), None),
        (D("9999.00"), D("1234.00"), None),  # four digits differ: no recognised shape
        (D("1234.00"), D("-1243.00"), None),  # sign and digits: not one slip
    ],
)
def test_the_shape_of_a_slip(printed: Decimal | None, fitting: Decimal, shape: str | None):
    assert slip_shape(printed, fitting) == shape


def test_a_generated_budget_reconciles_exactly():
    for seed in range(50):
        document = budget(random.Random(seed))
        broken = [c for c in document_constraints(document) if c.broken]
        assert broken == []
        assert document_suspects(document) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.sampled_from(SLIPS))
def test_a_slip_is_never_blamed_on_another_cell(rng: random.Random, kind: str):
    # Whatever figure is changed, and however, AR301 either names that cell with the value it
    # had, or names nothing (several cells would fit equally well): never a wrong cell.
    document = budget(rng)
    assert [c for c in document_constraints(document) if c.broken] == []
    changed = slip(rng, document, kind)
    if changed is None:
        return
    slipped, what = changed
    assert any(c.broken for c in document_constraints(slipped))  # a slip of ≥ 1.00 is seen
    for suspect in document_suspects(slipped):
        (fix,) = suspect.fixes
        assert fix.cell == what.cell
        assert fix.fitting == what.original
        assert fix.printed == what.printed


def test_the_changed_cell_is_named_in_at_least_95_percent_of_slips():
    # 500 budgets, 100 of each kind of slip (digits swapped, ×10 000, one digit, sign, any
    # change of 1.00 or more). A slip cannot be pinned where several cells would fit alike: a
    # 项 of the one-column 项目支出表 (经济分类) beside siblings that are in no other relation,
    # or a "三公" figure beside another in the same single equation.
    rng = random.Random(20261207)
    named: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    for n in range(500):
        kind = SLIPS[n % len(SLIPS)]
        changed = slip(rng, budget(rng), kind)
        if changed is None:
            continue
        slipped, what = changed
        tried[kind] += 1
        if any(
            suspect.fixes[0].cell == what.cell and suspect.fixes[0].fitting == what.original
            for suspect in document_suspects(slipped)
        ):
            named[kind] += 1
    assert sum(tried.values()) >= 450
    assert sum(named.values()) >= 0.95 * sum(tried.values()), (named, tried)
    for kind in SLIPS:  # and no kind of slip is left behind
        assert named[kind] >= 0.9 * tried[kind], (kind, named[kind], tried[kind])


def test_a_slip_and_the_sums_it_breaks_are_linked_in_the_report():
    rng = random.Random(5)
    document = budget(rng)
    general = next(
        n for n, t in enumerate(document.tables) if t.kind == "general_budget_expenditure"
    )
    table = document.tables[general]
    # the first 项 row (level 3) with a 基本支出; swap that figure's first two unequal digits
    row = next(r for r in table.rows if r.level == 3 and r.amounts[1] is not None)
    original = row.amounts[1]
    assert original is not None
    digits = format(original, ".2f")
    i = next(i for i in range(1, len(digits) - 3) if digits[i] != digits[0])
    swapped = D(digits[i] + digits[1:i] + digits[0] + digits[i + 1 :])
    amounts = (row.amounts[0], swapped, *row.amounts[2:])
    rows = tuple(attrs.evolve(r, amounts=amounts) if r is row else r for r in table.rows)
    tables = tuple(
        attrs.evolve(t, rows=rows) if n == general else t for n, t in enumerate(document.tables)
    )
    report = budgetqa.audit(attrs.evolve(document, tables=tables))
    # the swapped 基本支出 breaks its row twice (合计 = 基本支出 + 项目支出, 基本支出 = 人员经费 +
    # 公用经费) and the 款's sum in 基本支出: AR201 on the row, AR202 on the 款
    (suspect,) = [f for f in report.findings if f.code == "AR301"]
    assert suspect.expected == budgetqa.model.format_amount(original)
    assert suspect.actual == budgetqa.model.format_amount(swapped)
    assert "two digits swapped" in suspect.message
    broken = {f.id: f for f in report.findings if f.code in ("AR201", "AR202")}
    assert broken
    assert set(suspect.related) == set(broken)
    for finding in broken.values():
        assert suspect.id in finding.related
        assert finding.explanation is not None
        assert "Likeliest wrong figure" in finding.explanation


def test_a_row_typed_wrong_in_two_columns_is_one_cause(tmp_path: Path):
    # The project holds 20.00 in 总计 and 财政拨款; the unit and 合计 say 30.00. No single
    # figure fits: the project's 总计 alone would break its own row (30 ≠ 20), the unit's
    # alone would break 合计's sum. Both of the project's figures at 30.00 make every sum hold.
    path = tmp_path / "pair.txt"
    path.write_text(
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标\n"
        "合计\t30.00\t30.00\t\t\t\t\n"
        "某区就业服务中心\t30.00\t30.00\t\t\t\t\n"
        "甲项目经费\t20.00\t20.00\t\t\t保障工作。\t"
        "1、1-产出指标；11-数量指标；人数；实施周期指标值:5人；年度指标值:5人。\n",
        encoding="utf-8",
    )
    report = budgetqa.audit(path, select=["AR102", "AR104", "AR301"])
    (suspect,) = [f for f in report.findings if f.code == "AR301"]
    assert suspect.location.line == 4
    assert "总计: printed 20.00, most likely 30.00" in suspect.message
    assert "财政拨款 (line 4): printed 20.00, 30.00 fits" in suspect.message
    assert {f.code for f in report.findings if f.id in suspect.related} == {"AR102", "AR104"}


def test_the_blank_funding_cell_of_the_yuexiu_example_is_named():
    # 000: 特殊退休人员安置费2025 (line 38) prints 总计 216.99 and no funding. Of its three blank
    # funding cells only 其他资金 also fits the unit's sum in 其他资金 (4,272.69 printed, its
    # projects 4,055.70): 216.99 there makes both hold.
    report = budgetqa.audit(EXAMPLES / "000_bee62be176230dd4.txt", select=["AR1", "AR301"])
    (suspect,) = [f for f in report.findings if f.code == "AR301"]
    assert suspect.location.line == 38
    assert suspect.expected == "216.99"
    assert "其他资金: printed blank, most likely 216.99 (left blank)" in suspect.message
    assert {f.code for f in report.findings if f.id in suspect.related} == {
        "AR101",
        "AR102",
        "AR104",
    }


def test_repeated_rows_are_left_to_the_duplicate_findings():
    # 004 (从化): the unit sums miss by exactly the repeated projects; no one or two figures fit.
    report = budgetqa.audit(EXAMPLES / "004_56ad5f486115b5e1.txt", select=["AR1", "AR301"])
    assert [f for f in report.findings if f.code == "AR301"] == []


def test_where_several_cells_fit_alike_none_is_named():
    rng = random.Random(3)
    document = budget(rng)
    number = next(
        (n for n, t in enumerate(document.tables) if t.kind == "three_public_expenditure")
    )
    table = document.tables[number]
    # "三公": 合计 = 出国 + 接待 + 公务用车 and 公务用车 = 购置 + 运行. Raise 接待 by 1,234.56
    # (no shape): 合计, 出国 and 接待 are each in that one equation only, and each alone would
    # make it hold; with no slip shape to tell them apart, nothing is named
    row = table.rows[0]
    amounts = list(row.amounts)
    amounts[2] = (amounts[2] or D("0.00")) + D("1234.56")
    changed = attrs.evolve(table, rows=(attrs.evolve(row, amounts=tuple(amounts)),))
    tables = tuple(changed if n == number else t for n, t in enumerate(document.tables))
    slipped = attrs.evolve(document, tables=tables)
    assert any(c.broken for c in document_constraints(slipped))
    assert document_suspects(slipped) == []


def test_a_slip_in_a_paired_summary_table_is_named():
    # 收支总表: 100.00 + 20.00 = 本年收入合计 120.00, printed 2.00 for 20.00. Only 2.00 → 20.00
    # has a slip's shape (the decimal point); changing 本年收入合计 would break 收入总计 =
    # 本年收入合计 + 上年结转 (120 + 5 = 125), which holds.
    from budgetqa.ingest.pdf_synthetic import sketch_pages
    from budgetqa.ingest.pdf_tables import read_pdf_pages

    sketch = """\
收支总表
单位：万元
| 收入项目 | 预算数 | 支出项目 | 预算数 |
| 一、一般公共预算拨款收入 | 100.00 | 一、一般公共服务支出 | 90.00 |
| 二、事业收入 | 2.00 | 二、教育支出 | 30.00 |
| 本年收入合计 | 120.00 | 本年支出合计 | 120.00 |
| 上年结转结余 | 5.00 | 结转下年 | 5.00 |
| 收入总计 | 125.00 | 支出总计 | 125.00 |
"""
    document = read_pdf_pages("s.pdf", sketch_pages(sketch))
    report = budgetqa.audit(document, select=["AR2", "AR301"])
    assert [(f.code, f.location.row, f.expected, f.actual) for f in report.findings] == [
        ("AR202", "本年收入合计", "102.00", "120.00"),
        ("AR301", "二、事业收入", "20.00", "2.00"),
    ]
