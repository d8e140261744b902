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
    _, p, row = data.draw(st.sampled_from(project_positions(table)))
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
    unit_findings = [
        f for f in report.by_code("AR102") if f.message.split(" in ")[1].startswith("财政拨款")
    ]
    assert [(f.location.line, f.difference) for f in unit_findings] == [(unit_line, f"{delta:.2f}")]


@given(tables(), st.data())
def test_repeated_row_is_found_and_explains_its_unit(table, data):
    u, p, row = data.draw(st.sampled_from(project_positions(table)))
    lines = render_tsv(table).split("\n")
    index = FIRST_ROW_LINE - 1 + row
    lines.insert(index + 1, lines[index])
    report = audit_text("\n".join(lines), select=SUMS_AND_REPEATS)
    (repeat,) = report.by_code("DU101")
    assert repeat.location.line == FIRST_ROW_LINE + row + 1
    unit_total = next(f for f in report.by_code("AR102") if " in 总计" in f.message)
    assert unit_total.location.line == FIRST_ROW_LINE + row - p - 1
    assert unit_total.related == (repeat.id,)
    assert Decimal(unit_total.difference) == table.units[u].projects[p].total


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
