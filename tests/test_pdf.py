"""The PDF table reader on pages sketched as text (see budgetqa.ingest.pdf_synthetic) and on
PDFs that cannot be read: every table found with its kind, columns, levels and amounts, every
page accounted for, and one clear error for what is not a readable PDF."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.cli import main
from budgetqa.errors import BudgetQAError
from budgetqa.ingest.pdf_geometry import PdfError
from budgetqa.ingest.pdf_synthetic import sketch_pages
from budgetqa.ingest.pdf_tables import read_pdf_pages
from budgetqa.model import ColumnRole, PageUse, StructureProblem
from tests.standard_tables import function_items

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"

EXPENDITURE = """\
表3
支出总表
单位名称：某局 单位：万元
| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 |
| | 合计 | 30.00 | 20.00 | 10.00 |
| 201 | 一般公共服务支出 | 30.00 | 20.00 | 10.00 |
| 20101 | 人大事务 | 30.00 | 20.00 | 10.00 |
| 2010101 | 行政运行 | 20.00 | 20.00 | |
| 2010102 | 一般行政管理事务 | 10.00 | | 10.00 |
"""


def read_sketch(sketch: str):
    return read_pdf_pages("sketch.pdf", sketch_pages(sketch))


def test_function_codes_give_the_levels_and_parents():
    document = read_sketch(EXPENDITURE)
    (table,) = document.tables
    assert table.kind == "expenditure_summary"
    assert table.established
    assert table.unit_of_money == "万元"
    assert [(column.header, column.role) for column in table.columns] == [
        ("科目编码", ColumnRole.CODE),
        ("科目名称", ColumnRole.NAME),
        ("合计", ColumnRole.MONEY),
        ("基本支出", ColumnRole.MONEY),
        ("项目支出", ColumnRole.MONEY),
    ]
    rows = [(row.level, row.code, row.name, row.parent) for row in table.rows]
    assert rows == [
        (0, None, "合计", None),
        (1, "201", "一般公共服务支出", 0),
        (2, "20101", "人大事务", 1),
        (3, "2010101", "行政运行", 2),
        (3, "2010102", "一般行政管理事务", 2),
    ]
    # a blank cell is None, not zero
    assert table.rows[3].amounts == (Decimal("20.00"), Decimal("20.00"), None)


def test_a_table_continues_over_pages_with_its_header_repeated():
    sketch = (
        EXPENDITURE
        + "=== page\n"
        + "\n".join(
            [
                "| 科目编码 | 科目名称 | 合计 | 基本支出 | 项目支出 |",
                "| 208 | 社会保障和就业支出 | 5.00 | 5.00 | |",
            ]
        )
    )
    document = read_sketch(sketch)
    (table,) = document.tables
    assert table.pages == (1, 2)
    assert [row.name for row in table.rows][-1] == "社会保障和就业支出"
    assert table.rows[-1].page == 2
    assert [role.use for role in document.pages] == [PageUse.TABLE, PageUse.TABLE]


def test_indentation_gives_the_levels_without_codes():
    sketch = """\
项目支出表
单位：万元
| 单位名称 | 合计 | 财政拨款 |
| 合计 | 9.00 | 9.00 |
| 某局 | 9.00 | 9.00 |
|     培训项目 | 4.00 | 4.00 |
|     信息化项目 | 5.00 | 5.00 |
"""
    (table,) = read_sketch(sketch).tables
    assert [(row.level, row.name) for row in table.rows] == [
        (0, "合计"),
        (1, "某局"),
        (2, "培训项目"),
        (2, "信息化项目"),
    ]
    assert [row.parent for row in table.rows] == [None, 0, 1, 1]


def test_names_ending_like_units_do_not_change_the_levels():
    # 处, 监狱 and a closing bracket are ordinary endings: the level comes from the page
    sketch = """\
项目支出表
单位：万元
| 单位名称 | 合计 |
| 合计 | 6.00 |
| 某监狱 | 6.00 |
|     办公楼维修（二期） | 3.00 |
|     信息处 | 3.00 |
"""
    (table,) = read_sketch(sketch).tables
    assert [row.level for row in table.rows] == [0, 1, 2, 2]


def test_a_paired_summary_reads_income_and_expenditure_sides():
    sketch = """\
收支总表
单位：万元
| 收入 | | 支出 | |
| 项目 | 预算数 | 项目 | 预算数 |
| 一、财政拨款 | 10.00 | 一、一般公共服务支出 | 8.00 |
| 二、事业收入 | 2.00 | 二、教育支出 | 4.00 |
| 收入总计 | 12.00 | 支出总计 | 12.00 |
"""
    (table,) = read_sketch(sketch).tables
    assert table.kind == "income_expenditure_summary"
    income = [(row.name, row.amounts) for row in table.rows if row.side == "income"]
    expenditure = [(row.name, row.amounts) for row in table.rows if row.side == "expenditure"]
    assert income[-1] == ("收入总计", (Decimal("12.00"),))
    assert expenditure[0] == ("一、一般公共服务支出", (Decimal("8.00"),))
    assert [row.level for row in table.rows if row.side == "expenditure"] == [1, 1, 0]


def test_an_empty_table_with_its_note_is_read_and_one_without_is_not():
    with_note = "政府性基金预算支出表\n单位：万元\n注：本部门无政府性基金预算，故本表无数据。\n"
    (table,) = read_sketch(with_note).tables
    assert table.established
    assert table.rows == ()
    without = "政府性基金预算支出表\n单位：万元\n| 科目编码 | 科目名称 | 合计 |\n"
    (table,) = read_sketch(without).tables
    assert [problem for problem, _ in table.problems] == [StructureProblem.NO_ROWS]


def test_every_page_is_accounted_for():
    sketch = "部门预算情况说明\n=== page\n" + EXPENDITURE + "=== page\n[scan]\n=== page\n"
    document = read_sketch(sketch)
    assert [role.use for role in document.pages] == [
        PageUse.NARRATIVE,
        PageUse.TABLE,
        PageUse.NO_TEXT,
        PageUse.BLANK,
    ]


@given(function_items)
def test_generated_tables_read_back_to_the_same_rows(items):
    lines = ["支出总表", "单位：元", "| 科目编码 | 科目名称 | 合计 |"]
    total = sum((amount for _, amount in items), Decimal(0))
    lines.append(f"| | 合计 | {total:,.2f} |")
    lines.append(f"| 201 | 一般公共服务支出 | {total:,.2f} |")
    lines.append(f"| 20101 | 人大事务 | {total:,.2f} |")
    for number, (name, amount) in enumerate(items, start=1):
        lines.append(f"| 20101{number:02d} | {name} | {amount:,.2f} |")
    (table,) = read_sketch("\n".join(lines)).tables
    assert table.established
    leaves = [(row.code, row.name, row.amounts[0]) for row in table.rows if row.level == 3]
    assert leaves == [
        (f"20101{number:02d}", name, amount) for number, (name, amount) in enumerate(items, 1)
    ]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted.pdf", "the PDF is encrypted (a password is needed to read it)"),
        ("scanned.pdf", "no page has a text layer (3 scanned pages): run OCR first"),
        ("no-pages.pdf", "the PDF"),
    ],
)
def test_unreadable_pdfs_give_one_located_line(name, reason):
    path = FIXTURES / name
    with pytest.raises(PdfError) as caught:
        budgetqa.read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {reason}")
    assert "\n" not in message


def test_cut_off_and_fake_pdfs_are_refused(tmp_path, capsys):
    cut = tmp_path / "cut.pdf"
    cut.write_bytes((FIXTURES / "guangzhou-petitions.pdf").read_bytes()[:60_000])
    fake = tmp_path / "fake.pdf"
    fake.write_text("项目名称\t总计\n", encoding="utf-8")
    assert main(["audit", str(cut), str(fake)]) == 2
    err = capsys.readouterr().err
    assert f"{cut}: the PDF is damaged or cut off" in err
    assert f"{fake}: not a PDF" in err
    assert "Traceback" not in err


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.data(),
    st.sampled_from(["cut", "flip", "splice"]),
)
def test_a_damaged_pdf_is_read_or_refused_in_one_located_line(tmp_path_factory, data, damage):
    """Any PDF damaged anyhow (cut short, bytes changed, another file's bytes spliced in) is
    either read or refused with the library's own one-line error naming the file: never a
    traceback, never another exception."""
    from tests.standard_tables import generated_kinds, sketch, standard_tables, write_pdf

    folder = tmp_path_factory.mktemp("damaged")
    table = data.draw(standard_tables(generated_kinds()[1]))
    original = write_pdf(sketch_pages(sketch(table)), folder / "table.pdf").read_bytes()
    at = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
    if damage == "cut":
        damaged = original[:at]
    elif damage == "flip":
        count = data.draw(st.integers(min_value=1, max_value=16))
        damaged = original[:at] + bytes(b ^ 0x5A for b in original[at : at + count])
        damaged += original[at + count :]
    else:
        damaged = original[:at] + data.draw(st.binary(min_size=1, max_size=64)) + original[at:]
    path = folder / "damaged.pdf"
    path.write_bytes(damaged)
    try:
        budgetqa.read(path)
    except BudgetQAError as error:
        message = str(error)
        assert message.startswith(f"{path}:")
        assert "\n" not in message
