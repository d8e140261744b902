"""Property tests: a generated consistent table, printed in any layout, reads back the same."""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.errors import BudgetQAError
from budgetqa.ingest import read_bytes
from budgetqa.model import Document, LineRole
from tests.strategies import (
    TableSpec,
    indicator_text,
    render_csv,
    render_layout_text,
    render_tsv,
    render_tsv_ocr,
    tables,
    to_frame,
    write_xlsx,
)

pytestmark = pytest.mark.slow
tmp_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_text(text: str, name: str = "generated.txt") -> Document:
    return read_bytes(text.encode("utf-8"), name=name)


def assert_reads_or_fails_cleanly(data: bytes, name: str) -> None:
    """Either a document whose lines all add up, or budgetqa's own error naming the input."""
    failure: BudgetQAError | None = None
    document: Document | None = None
    try:
        document = read_bytes(data, name=name)
    except BudgetQAError as error:
        failure = error
    if failure is not None:
        assert str(failure).startswith(name)
    else:
        assert document is not None
        assert document.stats.accounted == document.stats.lines


def assert_same_rows(document: Document, table: TableSpec) -> None:
    got = [(row.level.value, row.name, row.amounts) for row in document.rows]
    expected = table.expected_rows()
    ambiguous_root = any(
        row.column_inference is not None and row.column_inference.ambiguous
        for row in document.rows
        if row.level.value == "total"
    )
    if not ambiguous_root and not any(
        row.column_inference is not None and row.column_inference.ambiguous for row in document.rows
    ):
        assert got == expected
    else:
        # Blank cells vanished and the sums cannot tell the columns apart: the reader says so
        # (ambiguous), and still has every figure, in order, on the right row.
        assert [
            (level, name, [v for v in amounts if v is not None]) for level, name, amounts in got
        ] == [
            (level, name, [v for v in amounts if v is not None])
            for level, name, amounts in expected
        ]
    projects = [row for row in document.rows if row.level.value == "project"]
    specs = [project for unit in table.units for project in unit.projects]
    assert [row.goal for row in projects] == [spec.goal for spec in specs]
    assert [row.indicator_text for row in projects] == [
        indicator_text(spec.indicators) for spec in specs
    ]
    assert [len(row.indicators) for row in projects] == [len(spec.indicators) for spec in specs]
    assert [[i.name for i in row.indicators] for row in projects] == [
        [i.name for i in spec.indicators] for spec in specs
    ]
    assert document.stats.accounted == document.stats.lines
    assert not document.fragments


@given(tables())
def test_tab_separated_reads_back(table):
    document = read_text(render_tsv(table))
    assert document.layout == "tsv"
    assert document.department == table.department
    assert_same_rows(document, table)


@given(tables(), st.lists(st.booleans(), min_size=1, max_size=5))
def test_ocr_tab_separated_reads_back(table, drops):
    document = read_text(render_tsv_ocr(table, drops))
    assert document.unit_of_money == "万元"
    assert_same_rows(document, table)


@given(tables(), st.integers(min_value=6, max_value=30), st.integers(min_value=0, max_value=7))
def test_layout_text_reads_back(table, width, page_every):
    text = render_layout_text(table, width, page_every)
    document = read_text(text)
    assert document.layout == "pdf-text"
    assert_same_rows(document, table)
    roles = document.line_roles
    assert all(
        role is LineRole.ROW
        for role, line in zip(roles, text.split("\n"), strict=False)
        if line.startswith("    ")
    )


@given(tables())
def test_csv_reads_back(table):
    document = read_bytes(render_csv(table).encode("gb18030"), name="t.csv")
    assert_same_rows(document, table)


@tmp_settings
@given(table=tables())
def test_xlsx_reads_back_exact_cents(tmp_path_factory, table):
    path = tmp_path_factory.mktemp("xlsx") / "table.xlsx"
    write_xlsx(table, path)
    document = budgetqa.read(path)
    assert document.layout == "xlsx"
    assert_same_rows(document, table)


@given(tables())
def test_dataframe_reads_back(table):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        frame = to_frame(table)
    document = budgetqa.read(frame, name="frame")
    assert document.layout == "dataframe"
    assert_same_rows(document, table)


@given(tables())
def test_to_frame_keeps_decimals(table):
    document = read_text(render_tsv(table))
    frame = document.to_frame()
    assert list(frame["name"]) == [name for _, name, _ in table.expected_rows()]
    assert all(isinstance(value, Decimal) for value in frame["total"])


# Arbitrary text and bytes: tests/test_fuzz.py (test_random_text, test_random_bytes).


@given(tables(), st.data())
def test_mangled_layout_text_reads_or_raises_budgetqa_error(table, data):
    lines = render_layout_text(table, 12, 3).split("\n")
    cut = data.draw(st.integers(min_value=0, max_value=len(lines)))
    shuffled = data.draw(st.permutations(lines[cut:]))
    text = "\n".join(lines[:cut] + list(shuffled))
    assert_reads_or_fails_cleanly(text.encode("utf-8"), "generated.txt")
