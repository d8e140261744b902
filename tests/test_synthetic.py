"""The synthetic table generator, and detection quality measured with it.

The same generator feeds ``nox -s bench``; here it is held to the aim of the detection figures:
every injected defect found at the right place, no false alarm.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

import budgetqa
from budgetqa.ingest import read_bytes
from budgetqa.synthetic import (
    TEXT_LAYOUTS,
    DefectKind,
    column_sums,
    generate_table,
    inject_defects,
    render,
    score_detection,
)

SUFFIX = {"csv": ".csv"}


def audit_rendered(rendered):
    name = "generated" + SUFFIX.get(rendered.layout, ".txt")
    return budgetqa.audit(read_bytes(rendered.text.encode("utf-8"), name=name))


def test_same_seed_same_table_other_seed_other_table():
    assert (
        render(generate_table(7, projects=40)).text == render(generate_table(7, projects=40)).text
    )
    assert (
        render(generate_table(7, projects=40)).text != render(generate_table(8, projects=40)).text
    )


def test_generated_table_is_consistent_and_has_the_projects_asked_for():
    table = generate_table(3, projects=500, units=9)
    assert table.project_count == 500
    assert len(table.units) == 9
    assert all(unit.projects for unit in table.units)
    assert table.funding == column_sums([unit.funding for unit in table.units])
    for unit in table.units:
        assert unit.total == sum((project.total for project in unit.projects), Decimal(0))
        names = [project.name for project in unit.projects]
        assert len(set(names)) == len(names)
    assert len({unit.name for unit in table.units}) == len(table.units)


def test_unit_names_stay_unique_and_unit_like_in_large_tables():
    table = generate_table(1, projects=4000, units=400)
    names = [unit.name for unit in table.units]
    assert len(set(names)) == len(names)
    assert all(name.endswith(("局", "中心", "院", "馆", "所", "办公室")) for name in names)


@pytest.mark.parametrize("layout", TEXT_LAYOUTS)
def test_spans_point_at_each_rows_lines(layout):
    table = generate_table(2, projects=30)
    rendered = render(table, layout)
    lines = rendered.text.split("\n")
    for row, (first, last) in zip(table.rows(), rendered.spans, strict=True):
        printed = "".join(lines[first - 1 : last]).replace(" ", "")
        assert row.name[:4] in printed


def test_too_many_defects_for_the_table_is_refused():
    table = generate_table(0, projects=10, units=2)
    with pytest.raises(ValueError, match="need as many units"):
        inject_defects(table, 0, row_sums=2, duplicates=1)
    with pytest.raises(ValueError, match="more defects than projects"):
        inject_defects(table, 0, placeholders=11)


def test_each_defect_records_the_rule_and_row_that_must_report_it():
    table = generate_table(4, projects=120, units=6)
    damaged = inject_defects(table, 4, row_sums=1, unit_sums=1, duplicates=1, placeholders=2)
    kinds = sorted(defect.kind.value for defect in damaged.defects)
    assert kinds == ["duplicate", "placeholder", "placeholder", "row_sum", "unit_sum"]
    assert len(damaged.rows) == len(table.rows()) + 1  # the repeat
    for defect in damaged.defects:
        row = damaged.rows[defect.row]
        if defect.kind is DefectKind.DUPLICATE:
            assert damaged.rows[defect.row - 1] == row
        elif defect.kind is DefectKind.PLACEHOLDER:
            assert row.goal == "待单位补充"
        elif defect.kind is DefectKind.UNIT_SUM:
            assert row.level == "unit"
        else:
            assert row.amounts[0] != sum(v for v in row.amounts[1:] if v is not None)


@pytest.mark.integration
@pytest.mark.parametrize("layout", TEXT_LAYOUTS)
@pytest.mark.parametrize("seed", [0, 5, 6])
def test_clean_generated_tables_raise_no_false_alarm(layout, seed):
    table = inject_defects(generate_table(seed, projects=150), seed)
    rendered = render(table, layout)
    detection = score_detection(table, rendered, audit_rendered(rendered).findings)
    assert detection.false_alarms == ()
    assert detection.found == detection.missed == ()


@pytest.mark.integration
@pytest.mark.parametrize("layout", TEXT_LAYOUTS)
@pytest.mark.parametrize("seed", [0, 5, 6, 9, 10])
def test_every_injected_defect_is_found_at_its_row(layout, seed):
    table = inject_defects(
        generate_table(seed, projects=150),
        seed,
        row_sums=2,
        unit_sums=2,
        duplicates=2,
        placeholders=3,
        split_placeholder=layout == "pdf-text",
    )
    rendered = render(table, layout)
    detection = score_detection(table, rendered, audit_rendered(rendered).findings)
    assert detection.missed == ()
    assert detection.false_alarms == ()
    assert detection.by_category() == {
        "arithmetic": (4, 4),
        "duplicate": (2, 2),
        "placeholder": (3, 3),
    }


def test_scoring_counts_a_missing_finding_as_missed_and_a_stray_one_as_false_alarm():
    table = inject_defects(generate_table(1, projects=60, units=3), 1, duplicates=1)
    rendered = render(table, "tsv")
    findings = audit_rendered(rendered).findings
    (repeat,) = [f for f in findings if f.code == "DU101"]
    without = [f for f in findings if f is not repeat]
    assert score_detection(table, rendered, without).missed == table.defects
    moved = attrs.evolve(repeat, location=attrs.evolve(repeat.location, line=1, end_line=1))
    detection = score_detection(table, rendered, [*without, moved])
    assert detection.missed == table.defects
    assert detection.false_alarms == (moved,)
