"""XLSX workbooks as they arrive: stale used ranges, damaged parts, two-level merged headers,
formulas saved without values. Every row in the file is read or the file is refused with the
sheet and row named; one bad workbook never stops a run."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import budgetqa
from budgetqa.ingest import read_bytes
from budgetqa.ingest.formula import FormulaError, FormulaEvaluator
from budgetqa.model import LineRole, NoteKind

SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["项目名称", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标", "绩效指标"]
IND = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。"
TITLE = "某区项目支出绩效目标表"


def write_workbook(path: Path, rows: list[list[object]], *, merged: tuple[str, ...] = ()) -> Path:
    """A one-sheet workbook named 'S', written by openpyxl (formulas saved without values)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "S"
    for row in rows:
        sheet.append(row)
    for cells in merged:
        sheet.merge_cells(cells)
    workbook.save(path)
    return path


def clean_table(path: Path) -> Path:
    """Title in row 1, header in row 2, then 合计, a unit and a project (rows 3-5)."""
    return write_workbook(
        path,
        [
            [TITLE],
            HEADER,
            ["合计", 3, 3, None, None, None, None],
            ["某区人力资源和社会保障局", 3, 3, None, None, None, None],
            ["就业服务工作经费", 3, 3, None, None, "开展就业服务工作。", IND],
        ],
    )


def rewrite(path: Path, part: str, change: Callable[[bytes], bytes | None]) -> Path:
    """Rewrite one part of the zip in place (``None`` removes the part)."""
    with zipfile.ZipFile(path) as original:
        parts = [(info, original.read(info.filename)) for info in original.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as rewritten:
        for info, data in parts:
            if info.filename == part:
                changed = change(data)
                if changed is None:
                    continue
                data = changed
            rewritten.writestr(info, data)
    return path


def replace(old: str, new: str) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        assert old.encode() in data, f"{old!r} is not in the part"
        return data.replace(old.encode(), new.encode(), 1)

    return change


# --- 3. two-level headers ----------------------------------------------------------------------

TWO_LEVEL = [
    ["项目名称", "总计", "资金来源", None, None, "绩效目标", "绩效指标"],
    [None, None, "财政拨款", "财政专户拨款", "其他资金", None, None],
    ["合计", 6, 3, 2, 1, None, None],
    ["某区人力资源和社会保障局", 6, 3, 2, 1, None, None],
    ["就业服务工作经费", 6, 3, 2, 1, "开展就业服务工作。", IND],
]
MERGED = ("A1:A2", "B1:B2", "C1:E1", "F1:F2", "G1:G2")


def test_a_two_level_merged_xlsx_header_reads_every_funding_column(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", TWO_LEVEL, merged=MERGED)
    document = budgetqa.read(path)
    assert document.line_roles[:2] == (LineRole.HEADER, LineRole.HEADER)
    assert [row.amounts for row in document.rows] == [
        (Decimal(6), Decimal(3), Decimal(2), Decimal(1))
    ] * 3
    # Before, row 1 alone was the header: every funding cell read as blank and reported.
    assert budgetqa.audit(path).findings == ()


@pytest.mark.parametrize("separator", ["\t", ","])
def test_a_two_level_header_in_text_and_csv(separator):
    def line(cells: list[object]) -> str:
        return separator.join("" if cell is None else str(cell) for cell in cells)

    text = "\n".join(line(cells) for cells in TWO_LEVEL) + "\n"
    document = read_bytes(text.encode(), name="t.csv" if separator == "," else "t.txt")
    assert document.line_roles[:2] == (LineRole.HEADER, LineRole.HEADER)
    assert document.rows[2].amounts == (Decimal(6), Decimal(3), Decimal(2), Decimal(1))
    assert budgetqa.audit(document).findings == ()


def test_a_header_whose_first_row_alone_is_no_header():
    # Row 1 names no 总计 (it stands under the group label in row 2): only the pair is a header.
    text = (
        "项目名称\t资金\t\t\t\t绩效目标\t绩效指标\n"
        "\t总计\t财政拨款\t财政专户拨款\t其他资金\t\t\n"
        "合计\t6\t3\t2\t1\t\t\n"
        f"就业服务工作经费\t6\t3\t2\t1\t开展就业服务工作。\t{IND}\n"
    )
    document = read_bytes(text.encode(), name="t.txt")
    assert document.line_roles[:2] == (LineRole.HEADER, LineRole.HEADER)
    assert document.rows[1].amounts == (Decimal(6), Decimal(3), Decimal(2), Decimal(1))


def test_a_repeated_two_level_header_is_a_page_header(tmp_path):
    rows = [*TWO_LEVEL, *TWO_LEVEL[:2], ["培训经费", 6, 3, 2, 1, "开展培训。", IND]]
    rows[2] = ["合计", 12, 6, 4, 2, None, None]
    rows[3] = ["某区人力资源和社会保障局", 12, 6, 4, 2, None, None]
    document = budgetqa.read(write_workbook(tmp_path / "t.xlsx", rows))
    assert document.line_roles[5:7] == (LineRole.PAGE_HEADER, LineRole.PAGE_HEADER)
    assert [row.name for row in document.rows][-1] == "培训经费"
    assert budgetqa.audit(document).findings == ()


def test_a_label_row_under_a_complete_header_is_not_merged_into_it():
    # A repeated header adds no column: it stays a page header, as before.
    header = "\t".join(HEADER)
    text = f"{header}\n{header}\n合计\t3\t3\t\t\t\t\n就业服务工作经费\t3\t3\t\t\t目标。\t{IND}\n"
    document = read_bytes(text.encode(), name="t.txt")
    assert document.line_roles[:2] == (LineRole.HEADER, LineRole.PAGE_HEADER)


# --- 4. formulas in money cells -----------------------------------------------------------------


def test_a_csv_export_that_kept_its_formulas():
    text = (
        ",".join(HEADER) + "\n"
        "合计,=SUM(B3:B4),=SUM(C3:C4),,,,\n"
        f"甲项目经费,3.00,3.00,,,目标。,{IND}\n"
        f"乙项目经费,2.00,2.00,,,目标。,{IND}\n"
    )
    document = read_bytes(text.encode(), name="t.csv")
    assert document.rows[0].amounts[:2] == (Decimal(5), Decimal(5))
    assert [note.kind for note in document.notes] == [NoteKind.FORMULA_COMPUTED] * 2


def test_formula_ranges_read_only_the_cells_that_exist():
    # A range to the last row of a worksheet costs the rows of the grid, not a million.
    rows = [("=SUM(A2:A1048576)",), ("1",), ("2",)]
    reads: list[int] = []

    def row_cells(number: int) -> tuple[str, ...]:
        reads.append(number)
        return rows[number - 1]

    evaluator = FormulaEvaluator(row_cells, len(rows))
    assert evaluator.value(1, 0) == Decimal(3)
    assert len(reads) <= 2 * len(rows)


def test_formula_work_is_bounded_over_the_whole_grid():
    rows = [("=SUM(A1001:A2000)",)] * 1000 + [("1",)] * 1000
    evaluator = FormulaEvaluator(lambda number: rows[number - 1], len(rows), budget=50_000)
    outcomes = []
    for number in range(1, 1001):
        try:
            outcomes.append(evaluator.value(number, 0))
        except FormulaError as error:
            outcomes.append(error.reason)
    # Each formula alone reads 1,000 cells; the budget shared by the grid stops the run: the
    # first fifty are computed, the rest say why they were not.
    computed = [outcome for outcome in outcomes if isinstance(outcome, Decimal)]
    assert 0 < len(computed) < 100
    assert "cells in all" in str(outcomes[-1])
