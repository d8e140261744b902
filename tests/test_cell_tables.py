"""The standard tables of a budget exported as cells (CSV, TSV, XLSX): read to the same tables,
levels and amounts as the PDF they came from, every row traced to its line, every line
accounted for, and the same findings."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.ingest import read_bytes
from budgetqa.ingest.pdf_synthetic import sketch_pages
from budgetqa.ingest.pdf_tables import read_pdf_pages
from budgetqa.model import LineRole, StructureProblem
from tests.standard_tables import (
    function_items,
    generated_kinds,
    render_csv,
    sketch,
    standard_tables,
    write_pdf,
    write_xlsx,
)

CELLS = Path(__file__).parent / "fixtures" / "cells"
PDFS = Path(__file__).parent / "fixtures" / "pdf"

EXPENDITURE = [
    ["支出总表"],
    ["单位：万元"],
    ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
    ["", "合计", "30.00", "20.00", "10.00"],
    ["201", "一般公共服务支出", "30.00", "20.00", "10.00"],
    ["20101", "人大事务", "30.00", "20.00", "10.00"],
    ["2010101", "行政运行", "20.00", "20.00", ""],
    ["2010102", "一般行政管理事务", "10.00", "", "10.00"],
]


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _xlsx(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _rows(table):
    return [(row.level, row.code, row.name, row.amounts) for row in table.rows]


D = Decimal


def test_a_csv_of_one_table_reads_its_levels_from_the_codes_and_accounts_for_every_line():
    document = read_bytes(_csv(EXPENDITURE), name="expenditure.csv")
    (table,) = document.tables
    assert (table.kind, table.title, table.unit_of_money) == (
        "expenditure_summary",
        "支出总表",
        "万元",
    )
    assert table.established
    assert table.pages is None
    assert table.lines == (1, 8)
    # 类 201 → 款 20101 → 项 2010101/2010102 under the 合计 row; lines 4–8 of the file.
    assert _rows(table) == [
        (0, None, "合计", (D("30.00"), D("20.00"), D("10.00"))),
        (1, "201", "一般公共服务支出", (D("30.00"), D("20.00"), D("10.00"))),
        (2, "20101", "人大事务", (D("30.00"), D("20.00"), D("10.00"))),
        (3, "2010101", "行政运行", (D("20.00"), D("20.00"), None)),
        (3, "2010102", "一般行政管理事务", (D("10.00"), None, D("10.00"))),
    ]
    assert [row.line for row in table.rows] == [4, 5, 6, 7, 8]
    assert [row.parent for row in table.rows] == [None, 0, 1, 2, 2]
    assert document.line_roles == (
        LineRole.TITLE,
        LineRole.TITLE,
        LineRole.HEADER,
        *[LineRole.ROW] * 5,
    )
    assert document.stats.accounted == document.stats.lines == 8


def test_tsv_and_xlsx_of_the_same_table_read_the_same_rows(tmp_path):
    from_csv = read_bytes(_csv(EXPENDITURE), name="t.csv").tables[0]
    from_tsv = read_bytes(_csv(EXPENDITURE, "\t"), name="t.txt").tables[0]
    from_xlsx = budgetqa.read(_xlsx(tmp_path / "t.xlsx", {"Sheet1": EXPENDITURE})).tables[0]
    assert _rows(from_tsv) == _rows(from_csv) == _rows(from_xlsx)
    assert [row.line for row in from_xlsx.rows] == [4, 5, 6, 7, 8]  # the worksheet's rows


def test_a_header_cell_merged_over_its_columns_gives_the_two_halves_of_a_summary():
    # 收入 and 支出 each span 项目 and 预算 below them: the export writes each once and leaves
    # the cell to its right blank.
    rows = [
        ["收支总表"],
        ["单位：万元"],
        ["收入", "", "支出", ""],
        ["项目", "预算", "项目", "预算"],
        ["一、一般公共预算拨款", "120.00", "一、一般公共服务支出", "100.00"],
        ["", "", "二、住房保障支出", "20.00"],
        ["收入总计", "120.00", "支出总计", "120.00"],
    ]
    (table,) = read_bytes(_csv(rows), name="summary.csv").tables
    assert table.kind == "income_expenditure_summary"
    assert table.established
    assert [column.side for column in table.columns] == [
        "income",
        "income",
        "expenditure",
        "expenditure",
    ]
    assert [(row.side, row.name, row.amounts) for row in table.rows if row.level > 0] == [
        ("income", "一、一般公共预算拨款", (D("120.00"),)),
        ("expenditure", "一、一般公共服务支出", (D("100.00"),)),
        ("expenditure", "二、住房保障支出", (D("20.00"),)),
    ]


# 基本支出表 as exported: no codes, the indentation lost. 广州市某局 (3204.78) is the sum of its
# four categories (2577.42 + 272.21 + 352.35 + 2.80); 工资福利支出 2577.42 = 1400.10 + 1177.32;
# 商品和服务支出 272.21 = 180.05 + 92.16; 对个人和家庭的补助 352.35 has one item, 退休费 352.35,
# and 资本性支出 2.80 one, 办公设备购置 2.80: an equal row after a category is its only item,
# since only then does the unit add up.
BASIC = [
    ["部门预算基本支出预算表"],
    ["单位：万元"],
    ["单位名称/科目", "总计", "财政拨款", "财政专户拨款", "其他资金"],
    ["合计", "3204.78", "3204.78", "0.00", "0.00"],
    ["广州市某局", "3204.78", "3204.78", "0.00", "0.00"],
    ["工资福利支出", "2577.42", "2577.42", "0.00", "0.00"],
    ["基本工资", "1400.10", "1400.10", "0.00", "0.00"],
    ["津贴补贴", "1177.32", "1177.32", "0.00", "0.00"],
    ["商品和服务支出", "272.21", "272.21", "0.00", "0.00"],
    ["办公费", "180.05", "180.05", "0.00", "0.00"],
    ["印刷费", "92.16", "92.16", "0.00", "0.00"],
    ["对个人和家庭的补助", "352.35", "352.35", "0.00", "0.00"],
    ["退休费", "352.35", "352.35", "0.00", "0.00"],
    ["资本性支出", "2.80", "2.80", "0.00", "0.00"],
    ["办公设备购置", "2.80", "2.80", "0.00", "0.00"],
]


def test_the_sums_give_the_levels_an_export_lost():
    (table,) = read_bytes(_csv(BASIC), name="basic.csv").tables
    assert table.kind == "basic_expenditure"
    assert table.established
    assert [(row.name, row.level) for row in table.rows] == [
        ("合计", 0),
        ("广州市某局", 1),
        ("工资福利支出", 2),
        ("基本工资", 3),
        ("津贴补贴", 3),
        ("商品和服务支出", 2),
        ("办公费", 3),
        ("印刷费", 3),
        ("对个人和家庭的补助", 2),
        ("退休费", 3),
        ("资本性支出", 2),
        ("办公设备购置", 3),
    ]
    names = [row.name for row in table.rows]
    assert [None if row.parent is None else names[row.parent] for row in table.rows][8:] == [
        "广州市某局",
        "对个人和家庭的补助",
        "广州市某局",
        "资本性支出",
    ]


def test_figures_that_add_up_by_coincidence_give_no_nesting():
    # 资本性支出 5.00 + 办公设备购置 5.00 = 退休费 10.00 = 对个人和家庭的补助 10.00 …: read from
    # the last row up, 退休费 would take the two rows after it, and every row above would
    # then nest one level deeper; the unit's rows would no longer add up to 合计, so that
    # reading is refused, as is the one from the first row down (工资福利支出 + 基本工资 =
    # the unit). The rows stay as printed, on one level under the unit's total.
    rows = [
        BASIC[0],
        BASIC[1],
        BASIC[2],
        ["合计", "100.00", "100.00", "0.00", "0.00"],
        ["广州市某局", "100.00", "100.00", "0.00", "0.00"],
        ["工资福利支出", "60.00", "60.00", "0.00", "0.00"],
        ["基本工资", "40.00", "40.00", "0.00", "0.00"],
        ["津贴补贴", "20.00", "20.00", "0.00", "0.00"],
        ["商品和服务支出", "25.00", "25.00", "0.00", "0.00"],
        ["办公费", "15.00", "15.00", "0.00", "0.00"],
        ["印刷费", "10.00", "10.00", "0.00", "0.00"],
        ["对个人和家庭的补助", "10.00", "10.00", "0.00", "0.00"],
        ["退休费", "10.00", "10.00", "0.00", "0.00"],
        ["资本性支出", "5.00", "5.00", "0.00", "0.00"],
        ["办公设备购置", "5.00", "5.00", "0.00", "0.00"],
    ]
    (table,) = read_bytes(_csv(rows), name="coincidence.csv").tables
    assert [row.level for row in table.rows] == [0] + [1] * 11


def test_rows_that_add_up_to_nothing_stay_on_one_level_and_are_reported():
    rows = [
        ["一般公共预算支出表"],
        ["单位：万元"],
        ["科目名称", "合计", "基本支出", "项目支出"],
        ["合计", "100.00", "60.00", "40.00"],
        ["行政运行", "10.00", "10.00", ""],
        ["一般行政管理事务", "20.00", "20.00", ""],
        ["机关服务", "30.00", "30.00", ""],
        ["专项业务", "40.00", "", "40.00"],
    ]
    document = read_bytes(_csv(rows), name="flat.csv")
    (table,) = document.tables
    assert [problem for problem, _ in table.problems] == [StructureProblem.FLAT_HIERARCHY]
    report = budgetqa.audit([_write(rows, "flat.csv")])
    (finding,) = [finding for finding in report.findings if finding.code == "ST112"]
    assert finding.location.line == 1  # the table starts at its title, line 1


def _write(rows: list[list[str]], name: str) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="budgetqa-cells-"))
    path = folder / name
    path.write_bytes(_csv(rows))
    return path


def test_a_broken_sum_is_found_at_its_line():
    rows = [list(row) for row in EXPENDITURE]
    rows[5][2] = "31.00"  # 人大事务 on line 6: 31.00 ≠ 20.00 + 10.00, and 201 ≠ 31.00
    report = budgetqa.audit([_write(rows, "broken.csv")])
    found = sorted((finding.code, finding.location.line) for finding in report.findings)
    assert found == [("AR201", 6), ("AR202", 5), ("AR202", 6), ("AR301", 6)]
    # the one figure in all three broken sums, and 30.00 fits them all (AR301)
    (cell,) = report.by_code("AR301")
    assert (cell.actual, cell.expected) == ("31.00", "30.00")


def test_a_workbook_with_a_worksheet_per_table_named_after_it(tmp_path):
    income = [
        ["单位名称", "合计", "财政拨款收入", "其他收入"],
        ["合计", "30.00", "30.00", "0.00"],
        ["某局", "30.00", "30.00", "0.00"],
    ]
    path = _xlsx(tmp_path / "budget.xlsx", {"表2 收入总表": income, "表3 支出总表": EXPENDITURE})
    document = budgetqa.read(path)
    assert [(table.kind, table.pages) for table in document.tables] == [
        ("income_summary", (1, 1)),
        ("expenditure_summary", (2, 2)),
    ]
    assert [role.page for role in document.pages] == [1, 2]
    income_table = document.tables[0]
    # the worksheet's name, drawn as its title (no title in its cells)
    assert income_table.title.replace(" ", "") == "表2收入总表"
    assert [(row.page, row.line, row.name) for row in income_table.rows] == [
        (1, 2, "合计"),
        (1, 3, "某局"),
    ]


def test_a_header_cell_that_names_the_unit_is_header_not_a_title():
    rows = [
        ["2026年，本部门重点项目绩效目标情况如下："],
        ["项目", "预算数（单位：万元）", "绩效目标"],
        ["云客服服务外包项目", "252.28", "组建专业的客服服务团队，\n提供咨询与解答。"],
    ]
    (table,) = read_bytes(_csv(rows), name="targets.csv").tables
    assert table.established
    assert [column.header for column in table.columns] == ["项目", "预算数(单位:万元)", "绩效目标"]
    (row,) = table.rows
    assert (row.name, row.amounts, row.texts) == (
        "云客服服务外包项目",
        (D("252.28"),),
        ("组建专业的客服服务团队，提供咨询与解答。",),
    )
    assert (row.line, row.end_line) == (3, 4)  # the cell's line break is a line of the file


def test_a_row_continued_at_the_top_of_a_page_without_amounts_is_a_row():
    rows = [
        ["支出总表"],
        ["单位：万元"],
        ["科目名称", "合计"],
        ["合计", "30.00"],
        ["一、一般公共服务支出", "30.00"],
        ["- 1 -"],
        [],
        ["某局2026年部门预算"],
        ["二、外交支出", ""],
        ["三、国防支出", "0.00"],
    ]
    document = read_bytes(_csv(rows), name="continued.csv")
    (table,) = document.tables
    assert [row.name for row in table.rows] == [
        "合计",
        "一、一般公共服务支出",
        "二、外交支出",
        "三、国防支出",
    ]
    assert document.line_roles[8] is LineRole.ROW  # line 9, 二、外交支出


# Where an export reads a level otherwise than the PDF: the PDF's indentation alone says a row
# is the child of the row above, and the export has lost it (an only child of the same amount
# with no code or numbering; a numbered sub-item of a paired summary), or the PDF's reading
# itself is in doubt (无锡's 政府采购支出表 puts 品目 and 单位 in one group column).
KNOWN_LEVELS = {
    ("guangzhou-petitions.csv", "three_public_expenditure"): 5,
    ("shenzhen-audit.xlsx", "fiscal_summary"): 6,
    ("wuxi-commerce.tsv", "income_expenditure_summary"): 2,
    ("wuxi-commerce.tsv", "government_procurement"): 4,
}


# What the export's lost levels cost: 深圳's 财政拨款收支总表 in the export prints 财政拨款
# 10,737.69 with 1.一般公共预算拨款 10,737.69, 2. 0.00 and 3. 0.00 at one level (the PDF indents
# the numbered rows), so the rows above 本年收入合计 add up to twice it.
KNOWN_FINDINGS = {
    "shenzhen-audit.xlsx": [("AR202", "本年收入合计", "fiscal_summary")],
}


@pytest.mark.parametrize(
    "export", ["guangzhou-petitions.csv", "shenzhen-audit.xlsx", "wuxi-commerce.tsv"]
)
def test_an_exported_budget_reads_to_the_tables_and_rows_of_its_pdf(export):
    """Exports written by tests/fixtures/cells/export.py (pdfplumber's cells, page by page)
    from the pinned PDFs: every table of the PDF, in order, of the same kind, with the same
    rows (code, name, amounts, side), and the same findings."""
    pdf = budgetqa.read(PDFS / f"{export.split('.')[0]}.pdf")
    cells = budgetqa.read(CELLS / export)
    assert [table.kind for table in cells.tables] == [table.kind for table in pdf.tables]
    assert all(table.established for table in cells.tables if table.kind != "unknown")
    for from_pdf, from_cells in zip(pdf.tables, cells.tables, strict=True):
        assert [(row.code, row.name, row.amounts, row.side) for row in from_cells.rows] == [
            (row.code, row.name, row.amounts, row.side) for row in from_pdf.rows
        ], from_pdf.title
        differ = sum(
            1 for a, b in zip(from_pdf.rows, from_cells.rows, strict=True) if a.level != b.level
        )
        assert differ == KNOWN_LEVELS.get((export, from_pdf.kind), 0), from_pdf.title

    def found(report):
        return sorted(
            (f.code, f.location.row or "", f.location.table or "") for f in report.findings
        )

    from_pdf_findings = found(budgetqa.audit([PDFS / export.replace(export.split(".")[1], "pdf")]))
    assert found(budgetqa.audit([CELLS / export])) == sorted(
        from_pdf_findings + KNOWN_FINDINGS.get(export, [])
    )


def test_every_row_of_an_exported_csv_is_traced_to_the_line_that_holds_it():
    document = budgetqa.read(CELLS / "guangzhou-petitions.csv")
    lines = document.source_lines
    for table in document.tables:
        for row in table.rows:
            printed = "".join(lines[row.line - 1 : row.end_line])
            assert row.name[:4] in printed.replace("\n", ""), (row.name, row.line)
    assert document.stats.accounted == document.stats.lines == len(lines)


@settings(max_examples=40, deadline=None)
@given(
    function_items,
    st.sampled_from([",", "\t"]),
)
def test_a_generated_function_table_reads_back_from_csv_and_tsv(items, delimiter):
    total = sum((amount for _, amount in items), Decimal(0))
    rows = [["一般公共预算支出表"], ["单位：元"], ["科目编码", "科目名称", "合计"]]
    rows.append(["", "合计", f"{total:,.2f}"])
    rows.append(["201", "一般公共服务支出", f"{total:,.2f}"])
    rows.append(["20101", "人大事务", f"{total:,.2f}"])
    for number, (name, amount) in enumerate(items, start=1):
        rows.append([f"20101{number:02d}", name, f"{amount:,.2f}"])
    name = "generated.csv" if delimiter == "," else "generated.txt"
    (table,) = read_bytes(_csv(rows, delimiter), name=name).tables
    assert table.established
    assert [(row.level, row.code, row.name, row.amounts[0]) for row in table.rows] == [
        (0, None, "合计", total),
        (1, "201", "一般公共服务支出", total),
        (2, "20101", "人大事务", total),
        *[
            (3, f"20101{number:02d}", name, amount)
            for number, (name, amount) in enumerate(items, start=1)
        ],
    ]


# --- a generated table of every kind, printed, as a real PDF, as CSV and as XLSX ----------

_KINDS = generated_kinds()


@pytest.mark.parametrize("profile", _KINDS, ids=[profile.kind for profile in _KINDS])
def test_a_generated_table_of_each_kind_reads_back_from_every_rendering(profile, tmp_path):
    """The rows generated (levels, codes, names, amounts) come back from the printed page,
    from a real PDF of it, from CSV and from XLSX; the kind is recognised from the title."""

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(standard_tables(profile))
    def check(table):
        expected = [(row.level, row.code, row.name, row.amounts) for row in table.rows]
        pages = sketch_pages(sketch(table))
        pdf = write_pdf(pages, tmp_path / "table.pdf")
        readings = {
            "page": read_pdf_pages("page.pdf", pages).tables,
            "pdf": budgetqa.read(pdf).tables,
            "csv": read_bytes(render_csv(table), name="table.csv").tables,
            "xlsx": budgetqa.read(write_xlsx(table, tmp_path / "table.xlsx")).tables,
        }
        for how, tables in readings.items():
            assert [found.kind for found in tables] == [table.kind], how
            (found,) = tables
            assert found.established, (how, found.problems)
            width = len(table.headers) - (2 if table.coded else 1)
            assert [
                (row.level, row.code, row.name, row.amounts[:width]) for row in found.rows
            ] == expected, how
            # a project table read as one has all four fund columns: those not printed blank
            assert all(amount is None for row in found.rows for amount in row.amounts[width:])

    check()
