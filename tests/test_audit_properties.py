"""Property tests for the audit: clean tables stay clean; one injected defect is found in place."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import budgetqa
from budgetqa.ingest import read_bytes
from tests.strategies import TableSpec, render_layout_text, render_tsv, tables

pytestmark = pytest.mark.slow
SUMS_AND_REPEATS = ["arithmetic", "duplicate"]
# render_tsv puts three title lines and the header above the rows: row k is on line k + 5.
FIRST_ROW_LINE = 5


def audit_text(text: str, **options):
    return budgetqa.audit(read_bytes(text.encode("utf-8"), name="generated.txt"), **options)


def project_positions(table: TableSpec) -> list[tuple[int, int, int]]:
    """(unit position, project position, row index in the table) of every project."""
    positions = []
    row = 1
    for u, unit in enumerate(table.units):
        row += 1
        for p, _ in enumerate(unit.projects):
            positions.append((u, p, row))
            row += 1
    return positions


def replace_project(table: TableSpec, u: int, p: int, **changes) -> TableSpec:
    unit = table.units[u]
    projects = list(unit.projects)
    projects[p] = attrs.evolve(projects[p], **changes)
    units = list(table.units)
    units[u] = attrs.evolve(unit, projects=tuple(projects))
    return attrs.evolve(table, units=tuple(units))


@given(tables())
def test_consistent_table_has_no_sum_or_duplicate_findings(table):
    for text in (render_tsv(table), render_layout_text(table, 12, 4)):
        assert list(audit_text(text, select=SUMS_AND_REPEATS)) == []


@given(
    tables(), st.data(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
)
def test_altered_amount_is_found_on_its_row_and_its_unit(table, data, delta):
    u, p, row = data.draw(st.sampled_from(project_positions(table)))
    # A change no larger than the rounding of the printed figures allows (0.005 per addend:
    # three funding columns on the row, the unit's projects under it) is a rounding tail
    # (AR105), tested below; beyond it, an error.
    assume(delta > Decimal("0.005") * max(3, len(table.units[u].projects)))
    text = render_tsv(table).split("\n")
    cells = text[FIRST_ROW_LINE - 1 + row].split("\t")
    fiscal = Decimal(cells[2].replace(",", "")) if cells[2] else Decimal(0)
    cells[2] = f"{fiscal + delta:.2f}"  # 财政拨款 changed, 总计 left as it was
    text[FIRST_ROW_LINE - 1 + row] = "\t".join(cells)
    report = audit_text("\n".join(text), select=["arithmetic"])
    line = FIRST_ROW_LINE + row
    (row_finding,) = report.by_code("AR101")
    assert row_finding.location.line == line
    assert row_finding.difference == f"{delta:.2f}"
    unit_line = line - p - 1
    # one finding for the unit, and 财政拨款 the one column that misses
    (unit_finding,) = report.by_code("AR102")
    assert (unit_finding.location.line, unit_finding.difference) == (unit_line, f"{delta:.2f}")
    assert unit_finding.message.count("added up") == 1
    assert f"财政拨款 {Decimal(unit_finding.actual):.2f} added up" in unit_finding.message


@given(tables(), st.data())
def test_repeated_row_is_found_and_explains_its_unit(table, data):
    u, p, row = data.draw(st.sampled_from(project_positions(table)))
    # the repeat breaks its unit's sum beyond rounding (one project more: 0.005 each)
    assume(table.units[u].projects[p].total > Decimal("0.005") * (len(table.units[u].projects) + 1))
    lines = render_tsv(table).split("\n")
    index = FIRST_ROW_LINE - 1 + row
    lines.insert(index + 1, lines[index])
    report = audit_text("\n".join(lines), select=SUMS_AND_REPEATS)
    (repeat,) = report.by_code("DU101")
    assert repeat.location.line == FIRST_ROW_LINE + row + 1
    (unit_total,) = report.by_code("AR102")  # 总计 first among the columns it lists
    assert unit_total.location.line == FIRST_ROW_LINE + row - p - 1
    assert unit_total.message.split(": ")[-1].startswith("总计")
    assert unit_total.related == (repeat.id,)
    assert Decimal(unit_total.difference) == table.units[u].projects[p].total


def test_a_cent_changed_is_a_rounding_tail_not_an_error():
    # 甲项目 prints 总计 20.00 over 财政拨款 12.01 + 财政专户拨款 8.00 = 20.01: one cent over two
    # figures rounded to 0.01 (at most 0.01); its unit prints 财政拨款 20.00 over 12.01 + 8.00
    # = 20.01 from two projects, and 合计 over all projects the same (over its one unit it
    # holds exactly). Rounding tails (AR105) on lines 4, 3 and 2, no error.
    text = "\n".join(
        [
            "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
            "合计\t30.00\t20.00\t10.00\t\t\t",
            "广州市某中心\t30.00\t20.00\t10.00\t\t\t",
            "甲项目经费\t20.00\t12.01\t8.00\t\t保障。\t1、1-产出指标；11-数量指标；人数；"
            "实施周期指标值:5人；年度指标值:5人。",
            "乙项目经费\t10.00\t8.00\t2.00\t\t保障。\t1、1-产出指标；11-数量指标；次数；"
            "实施周期指标值:2次；年度指标值:2次。",
        ]
    )
    report = audit_text(text, select=["arithmetic"])
    assert not report.filter(severity="error")
    tails = [(f.location.line, f.severity.value) for f in report.by_code("AR105")]
    assert sorted(tails) == [(2, "info"), (3, "info"), (4, "info")]


@given(tables(), st.data(), st.integers(min_value=6, max_value=20))
def test_placeholder_is_found_whole_even_when_split_across_lines(table, data, width):
    u, p, _ = data.draw(st.sampled_from(project_positions(table)))
    goal = table.units[u].projects[p].goal
    at = data.draw(st.integers(min_value=0, max_value=len(goal) - 1))
    changed = replace_project(table, u, p, goal=goal[:at] + "待单位补充" + goal[at:])
    text = render_layout_text(changed, width, 0)
    lines = text.split("\n")
    first = next(n for n, line in enumerate(lines, start=1) if "待" in line)
    last = next(n for n, line in enumerate(lines, start=1) if "充" in line)
    assume(first <= last)
    (finding,) = audit_text(text, select=["PH101"])
    assert (finding.location.line, finding.location.end_line) == (first, last)
    assert finding.actual == "待单位补充"
    assert finding.location.row == changed.units[u].projects[p].name
