"""XLSX workbooks as they arrive: stale used ranges, damaged parts, two-level merged headers,
formulas saved without values. Every row in the file is read or the file is refused with the
sheet and row named; one bad workbook never stops a run."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import budgetqa
from budgetqa.cli import main
from budgetqa.errors import InputError
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


# --- 1. the real extent of the sheet, whatever <dimension> says --------------------------------


@pytest.mark.parametrize(
    "dimension",
    [
        pytest.param("A1:F4", id="one-row-short-one-column-narrow"),
        pytest.param("B2:G5", id="starts-a-row-and-a-column-late"),
        pytest.param("A1", id="a-single-cell"),
    ],
)
def test_a_stale_used_range_cuts_no_row_and_no_column(tmp_path, dimension):
    path = rewrite(
        clean_table(tmp_path / "t.xlsx"),
        SHEET,
        replace('<dimension ref="A1:G5"', f'<dimension ref="{dimension}"'),
    )
    document = budgetqa.read(path)
    assert [row.name for row in document.rows] == [
        "合计",
        "某区人力资源和社会保障局",
        "就业服务工作经费",
    ]
    assert document.rows[2].span.line == 5  # the last row, beyond the declared range
    assert document.rows[2].indicator_text == IND  # column G, beyond the declared range
    assert document.title == TITLE  # row 1 and column A, before a range starting at B2
    assert document.stats.accounted == document.stats.lines == 5
    assert (
        budgetqa.audit(path).findings == budgetqa.audit(clean_table(tmp_path / "c.xlsx")).findings
    )


def test_rows_the_file_leaves_out_are_blank_lines_at_their_numbers(tmp_path):
    path = rewrite(
        clean_table(tmp_path / "t.xlsx"),
        SHEET,
        lambda data: data.replace(b'<row r="5">', b'<row r="9">').replace(b'r="A5"', b'r="A9"')
        .replace(b'r="B5"', b'r="B9"').replace(b'r="C5"', b'r="C9"')
        .replace(b'r="F5"', b'r="F9"').replace(b'r="G5"', b'r="G9"'),
    )  # fmt: skip
    document = budgetqa.read(path)
    assert document.rows[2].span.line == 9
    assert document.line_roles[4:8] == (LineRole.BLANK,) * 4
    assert document.stats.accounted == document.stats.lines == 9


# --- 2. damaged workbooks: a located error, and the rest of the run goes on --------------------

DAMAGED = {
    "a number cell holding text": (
        SHEET,
        replace('<c r="B3" t="n"><v>3</v>', '<c r="B3"><v>abc</v>'),
        "sheet 'S': row 3: cell B3 holds 'abc', which is not a number",
    ),
    "a cell reference that is no cell": (
        SHEET,
        replace('<c r="B3" t="n">', '<c r="ZZZZZZ0" t="n">'),
        "sheet 'S': row 3: cell reference 'ZZZZZZ0' is not a cell of a worksheet",
    ),
    "a shared string past the table": (
        SHEET,
        replace('<c r="B3" t="n"><v>3</v>', '<c r="B3" t="s"><v>99</v>'),
        "sheet 'S': row 3: cell B3 refers to shared string 99",
    ),
    "sheet XML cut off": (
        SHEET,
        lambda data: data[: data.index(b'<row r="4"') + 20],
        "sheet 'S': row 4: the sheet's XML is cut off or damaged",
    ),
    "NaN in a number cell": (
        SHEET,
        replace('<c r="C3" t="n"><v>3</v>', '<c r="C3" t="n"><v>nan</v>'),
        "sheet 'S': row 3: cell C3 holds 'nan', which is not a number",
    ),
    "a number past the range of a double": (
        SHEET,
        replace('<c r="C3" t="n"><v>3</v>', '<c r="C3" t="n"><v>1e999</v>'),
        "sheet 'S': row 3: cell C3 holds '1e999', beyond the range of a spreadsheet number",
    ),
    "a row twice": (
        SHEET,
        replace('<row r="4">', '<row r="3">'),
        "sheet 'S': row 3: the row appears twice",
    ),
    "rows out of order": (
        SHEET,
        replace('<row r="4">', '<row r="1">'),
        "sheet 'S': row 1: the row comes after row 3: rows out of order",
    ),
    "a cell in another row's element": (
        SHEET,
        replace('<c r="B4" t="n">', '<c r="B7" t="n">'),
        "sheet 'S': row 4: cell B7 stands in row 4",
    ),
    "cells out of order": (
        SHEET,
        replace('<c r="C3" t="n">', '<c r="A3" t="n">'),
        "sheet 'S': row 3: cell A3 comes after B3: cells out of order",
    ),
    "a cell type that is none": (
        SHEET,
        replace('<c r="C3" t="n">', '<c r="C3" t="q">'),
        "sheet 'S': row 3: cell C3 has the type 'q', which is not a cell type",
    ),
    "a document type declaration": (
        SHEET,
        lambda data: b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data,
        "sheet 'S': the sheet's XML declares a document type",
    ),
    "the worksheet part missing": (
        SHEET,
        lambda data: None,
        "sheet 'S': the workbook lists this sheet, but its part xl/worksheets/sheet1.xml is "
        "missing from the file",
    ),
    "the workbook part missing": (
        "xl/workbook.xml",
        lambda data: None,
        "not a readable XLSX workbook (KeyError:",
    ),
    "the workbook part damaged": (
        "xl/workbook.xml",
        lambda data: data[: len(data) // 2],
        "not a readable XLSX workbook (",
    ),
    "the relationships of the workbook missing": (
        "xl/_rels/workbook.xml.rels",
        lambda data: None,
        "not a readable XLSX workbook (",
    ),
}


@pytest.mark.parametrize(("part", "change", "message"), DAMAGED.values(), ids=list(DAMAGED))
def test_a_damaged_workbook_is_a_located_input_error(tmp_path, part, change, message):
    path = rewrite(clean_table(tmp_path / "bad.xlsx"), part, change)
    with pytest.raises(InputError) as caught:
        budgetqa.read(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert "\n" not in str(caught.value)


def test_an_encrypted_workbook_is_named_for_what_it_is(tmp_path):
    # Excel wraps an encrypted workbook in an OLE compound file, like a legacy .xls.
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    with pytest.raises(InputError, match=r"locked\.xlsx: an encrypted workbook or a legacy \.xls"):
        budgetqa.read(path)


def test_damaged_workbooks_do_not_stop_the_run(tmp_path, capsys):
    good = clean_table(tmp_path / "good.xlsx")
    bad = [
        rewrite(clean_table(tmp_path / f"bad{number}.xlsx"), part, change)
        for number, (part, change, _) in enumerate(DAMAGED.values())
    ]
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    output = tmp_path / "report.json"
    code = main(
        ["audit", *map(str, [*bad, encrypted, good]), "--format", "json", "-o", str(output)]
    )
    assert code == 2  # unreadable input; before, the first crash ended the run with code 3
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == len(bad) + 1
    assert not any("internal error" in line for line in errors)
    for line, path in zip(errors, [*bad, encrypted], strict=True):
        assert line.startswith(f"budgetqa: error: {path}: ")
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["summary"]["documents"] == 1  # the good workbook, audited
    assert report["summary"]["unreadable"] == len(bad) + 1


def test_a_styles_part_that_cannot_be_read_does_not_change_a_value(tmp_path):
    # Styles hold formats, never values (dates are not interpreted), so they are not read.
    path = rewrite(clean_table(tmp_path / "t.xlsx"), "xl/styles.xml", lambda data: b"garbage<<")
    document = budgetqa.read(path)
    assert document.rows[2].amounts == (Decimal(3), Decimal(3), None, None)


def test_a_number_too_long_to_be_an_amount_is_reported_not_summed(tmp_path):
    path = rewrite(
        clean_table(tmp_path / "t.xlsx"),
        SHEET,
        replace('<c r="C3" t="n"><v>3</v>', '<c r="C3" t="n"><v>1e300</v>'),
    )
    document = budgetqa.read(path)
    [note] = document.notes
    assert (note.kind, note.span.line) == (NoteKind.AMOUNT_OUT_OF_RANGE, 3)
    assert document.rows[0].fiscal_appropriation is None
    [finding] = budgetqa.audit(path).by_code("ST109")
    assert finding.location.line == 3


def test_long_integers_are_read_exactly(tmp_path):
    digits = "123456789012345678901234567"  # 27 digits: still an amount
    path = rewrite(
        clean_table(tmp_path / "t.xlsx"),
        SHEET,
        replace('<c r="C3" t="n"><v>3</v>', f'<c r="C3" t="n"><v>{digits}</v>'),
    )
    assert budgetqa.read(path).rows[0].fiscal_appropriation == Decimal(digits)


def test_shared_strings_inline_rich_text_and_cached_formula_values(tmp_path):
    # What Excel itself writes: shared strings, rich-text runs, formulas with their values.
    path = clean_table(tmp_path / "t.xlsx")
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1"'
        ' uniqueCount="1"><si><r><t>就业服务</t></r><r><rPr><b/></rPr><t>工作经费</t></r>'
        '<rPh sb="0" eb="4"><t>ジュウギョウ</t></rPh></si></sst>'
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", strings)
    rewrite(
        path,
        "[Content_Types].xml",
        replace(
            "</Types>",
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ),
    )
    rewrite(
        path,
        SHEET,
        lambda data: data.replace(
            '<c r="A5" t="inlineStr"><is><t>就业服务工作经费</t></is></c>'.encode(),
            b'<c r="A5" t="s"><v>0</v></c>',
        ).replace(b'<c r="B3" t="n"><v>3</v>', b'<c r="B3"><f>SUM(B4:B4)</f><v>3</v>'),
    )
    document = budgetqa.read(path)
    assert document.rows[2].name == "就业服务工作经费"
    assert document.rows[0].total == Decimal(3)
    assert document.notes == ()  # a formula with its saved value is read as that value


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


# --- 4. formulas saved without values -----------------------------------------------------------


def formula_table(path: Path, total: str = "=SUM(B4:B5)") -> Path:
    return write_workbook(
        path,
        [
            HEADER,
            ["合计", "=B3", "=C4+C5", None, None, None, None],  # B2 refers to a formula
            ["某区人力资源和社会保障局", total, "=SUM(C4,C5)", None, None, None, None],
            ["就业服务工作经费", 3, 3, None, None, "开展就业服务工作。", IND],
            ["职业培训经费", "=C5-0", 2.5, None, None, "开展职业培训。", IND],
        ],
    )


def test_simple_formulas_without_values_are_computed_and_reported(tmp_path):
    path = formula_table(tmp_path / "t.xlsx")
    document = budgetqa.read(path)
    assert [row.amounts[:2] for row in document.rows] == [
        (Decimal("5.5"), Decimal("5.5")),
        (Decimal("5.5"), Decimal("5.5")),
        (Decimal(3), Decimal(3)),
        (Decimal("2.5"), Decimal("2.5")),
    ]
    computed = [(note.span.line, note.text) for note in document.notes]
    assert computed == [
        (2, "=B3"),
        (2, "=C4+C5"),
        (3, "=SUM(B4:B5)"),
        (3, "=SUM(C4,C5)"),
        (5, "=C5-0"),
    ]
    assert {note.kind for note in document.notes} == {NoteKind.FORMULA_COMPUTED}
    assert document.notes[2].detail == "no saved value; computed as 5.50 from the formula"
    report = budgetqa.audit(path)
    assert {finding.code for finding in report.findings} == {"ST111"}  # before: blank 总计s
    assert all(finding.severity.value == "warning" for finding in report.findings)


@pytest.mark.parametrize(
    ("total", "reason"),
    [
        ("=AVERAGE(B4:B5)", "it calls AVERAGE(…)"),
        ("=SUM(明细!B4:B5)", "only cells of this sheet"),
        ("=B3", "circular reference through B3"),
        ("=SUM(B4:B5)+F4", "F4 holds text ('开展就业服务工作。'), not an amount"),
    ],
)
def test_formulas_that_cannot_be_computed_stay_blank_and_are_errors(tmp_path, total, reason):
    path = formula_table(tmp_path / "t.xlsx", total)
    document = budgetqa.read(path)
    assert document.rows[1].total is None
    assert document.rows[1].raw_amounts[0] == total
    failed = [note for note in document.notes if note.kind is NoteKind.FORMULA_WITHOUT_VALUE]
    # 合计's "=B3" refers to the cell that cannot be computed, and cannot be computed either.
    assert [(note.span.line, note.text) for note in failed] == [(2, "=B3"), (3, total)]
    assert reason in failed[1].detail
    findings = budgetqa.audit(path).by_code("ST110")
    assert [(finding.severity.value, finding.location.line) for finding in findings] == [
        ("error", 2),
        ("error", 3),
    ]
    assert main(["audit", str(path)]) == 1


def test_a_shared_formula_is_moved_to_each_cell_of_its_group(tmp_path):
    # Excel writes one formula for a filled-down group: the first cell holds it, the rest refer
    # to it by group number.
    path = rewrite(
        formula_table(tmp_path / "t.xlsx"),
        SHEET,
        replace(
            "<f>C4+C5</f><v /></c>",
            '<f t="shared" ref="C2:D2" si="0">C4+C5</f><v /></c>'
            '<c r="D2"><f t="shared" si="0"/></c>',
        ),
    )
    document = budgetqa.read(path)
    assert [note.text for note in document.notes if note.span.line == 2] == [
        "=B3",
        "=C4+C5",
        "=D4+D5",
    ]
    assert document.rows[0].special_account == Decimal(0)


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
    assert "took more than 50,000 steps" in str(outcomes[-1])


def test_formulas_nested_past_any_stack_are_reported_not_a_crash():
    # Each 总计 wraps the next row's in parentheses: 1,500 rows, 30 levels each, a chain that
    # would recurse far past Python's stack. Nesting is counted across the chain and stopped.
    count = 1500
    lines = ["\t".join(HEADER)]
    for number in range(2, count + 2):
        total = "=" + "(" * 30 + f"B{number + 1}" + ")" * 30 if number <= count else "1"
        lines.append(f"甲{number}项目经费\t{total}\t1\t\t\t目标。\t{IND}")
    document = read_bytes(("\n".join(lines) + "\n").encode(), name="t.txt")
    assert len(document.rows) == count
    assert document.stats.accounted == document.stats.lines
    assert {note.kind for note in document.notes} == {NoteKind.FORMULA_WITHOUT_VALUE}
    assert "nest more than 64 levels" in document.notes[0].detail
