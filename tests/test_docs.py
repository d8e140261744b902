"""The docs describe the output that the code actually produces."""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetqa.report.documents import CSV_COLUMNS

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def parse_doc() -> str:
    return (DOCS / "parse.md").read_text(encoding="utf-8")


def test_every_json_key_is_documented(examples, parse_doc):
    document = examples["zengcheng"].to_dict()
    row = next(row for row in document["rows"] if row["indicators"])
    keys = set(document) | set(document["stats"]) | set(row) | set(row["indicators"][0])
    keys |= set(
        next(row for row in document["rows"] if row["column_inference"])["column_inference"]
    )
    keys |= set(examples["yuexiu"].to_dict()["fragments"][0])
    missing = sorted(key for key in keys if f"`{key}`" not in parse_doc)
    assert missing == []


def test_every_csv_column_is_documented(parse_doc):
    assert [column for column in CSV_COLUMNS if f"`{column}`" not in parse_doc] == []


def test_model_page_lists_every_row_and_document_attribute(examples):
    model_doc = (DOCS / "model.md").read_text(encoding="utf-8")
    from budgetqa.model import Document, Indicator, Row

    fields = [*Row.__attrs_attrs__, *Document.__attrs_attrs__, *Indicator.__attrs_attrs__]
    missing = sorted({field.name for field in fields if f"`{field.name}`" not in model_doc})
    assert missing == []


def test_tutorial_examples_run():
    import doctest

    result = doctest.testfile(
        str(DOCS / "tutorial.md"),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 10
    assert result.failed == 0


def test_every_docs_page_is_linked_from_the_index():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    pages = sorted(path.name for path in DOCS.glob("*.md") if path.name != "index.md")
    assert [page for page in pages if f"]({page})" not in index] == []


def test_benchmark_page_is_the_scripts_output_with_its_machine():
    page = (DOCS / "benchmark.md").read_text(encoding="utf-8")
    assert page.startswith("# Benchmark\n")
    assert "written by the script" in page
    measured = next(line for line in page.splitlines() if line.startswith("Measured "))
    assert "cores" in measured
    for section in ("## Read and audit throughput", "## Start-up", "## Engines", "## Detection"):
        assert section in page
    import regex

    assert regex.search(r"^\| 1,0\d\d,\d{3} \|", page, regex.MULTILINE), "the million-row run"
