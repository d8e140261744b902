"""Each reader on small tables written inline."""

from __future__ import annotations

from decimal import Decimal

import pytest

import budgetqa
from budgetqa.errors import InputError, UsageError
from budgetqa.ingest import read_bytes
from budgetqa.model import Level, LineRole
from tests.strategies import HEADER as STRATEGY_HEADER

HEADER = "项目名称（资金使用单位）\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
IND = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5人；年度指标值:5人。"


def text(*lines: str, name: str = "t.txt"):
    return read_bytes("\n".join(lines).encode("utf-8"), name=name)


def amounts(row):
    return tuple(None if value is None else str(value) for value in row.amounts)


# --- tab-separated -------------------------------------------------------------------------------


def test_tsv_rows_levels_and_parents():
    document = text(
        "单位名称：广州市某区人力资源和社会保障局",
        "单位：万元",
        HEADER,
        "合计\t30.00\t20.00\t\t10.00\t\t",
        "广州市某区劳动就业服务中心\t30.00\t20.00\t\t10.00\t\t",
        f"甲项目经费\t20.00\t20.00\t\t\t目标甲。\t{IND}",
        f"乙项目经费\t10.00\t\t\t10.00\t目标乙。\t{IND}",
    )
    assert document.layout == "tsv"
    assert [(row.level, row.name, row.parent) for row in document.rows] == [
        (Level.TOTAL, "合计", None),
        (Level.UNIT, "广州市某区劳动就业服务中心", "合计"),
        (Level.PROJECT, "甲项目经费", "广州市某区劳动就业服务中心"),
        (Level.PROJECT, "乙项目经费", "广州市某区劳动就业服务中心"),
    ]
    assert amounts(document.rows[3]) == ("10.00", None, None, "10.00")
    assert document.rows[3].column_inference is None
    assert document.department == "广州市某区人力资源和社会保障局"
    assert document.line_roles == (
        LineRole.TITLE, LineRole.TITLE, LineRole.HEADER, LineRole.ROW, LineRole.ROW, LineRole.ROW, LineRole.ROW,
    )  # fmt: skip


def test_tsv_unit_recognised_by_its_sum_when_name_is_not_an_organisation():
    document = text(
        HEADER,
        "合计\t5.00\t5.00\t\t\t\t",
        "某某专项\t5.00\t5.00\t\t\t\t",
        f"甲项目经费\t5.00\t5.00\t\t\t目标。\t{IND}",
    )
    assert [row.level for row in document.rows] == [Level.TOTAL, Level.UNIT, Level.PROJECT]


def test_tsv_project_without_text_and_not_heading_a_group_stays_a_project():
    document = text(
        HEADER,
        "合计\t8.00\t8.00\t\t\t\t",
        "广州市某区就业服务中心\t8.00\t8.00\t\t\t\t",
        f"甲项目经费\t5.00\t5.00\t\t\t目标。\t{IND}",
        "乙项目经费\t3.00\t3.00\t\t\t\t",
    )
    assert [row.level for row in document.rows][-1] is Level.PROJECT


def test_tsv_repeated_header_is_a_page_header_and_extra_cells_are_kept():
    document = text(
        HEADER,
        "合计\t5.00\t5.00\t\t\t\t",
        HEADER,
        f"甲项目经费\t5.00\t5.00\t\t\t目标。\t{IND}\t多出来的格子",
    )
    assert document.line_roles[2] is LineRole.PAGE_HEADER
    assert document.rows[1].indicator_text.endswith("多出来的格子")


def test_ocr_rows_with_lost_cells_and_spaces_in_numbers():
    document = text(
        "部门名称: 厂州市某区人力资源\t和社会保障局\t\t\t\t\t単位: 力元",
        HEADER,
        "合计\t1, 042. 00\t1, 000. 00\t\t42. 00\t\t",
        "广州市某区社会保险基金管理 中心\t1, 042. 00\t1, 000. 00\t\t42. 00\t\t",
        f"甲项目经费\t1, 000. 00\t1, 000. 00\t\t目标甲。\t{IND}",
        f"乙项目经费\t42. 00\t\t42. 00\t目标乙。\t{IND}",
    )
    assert document.layout == "tsv-ocr"
    assert document.department == "厂州市某区人力资源和社会保障局"
    assert (document.unit_of_money, document.raw_unit_of_money) == ("万元", "力元")
    project = document.rows[3]
    assert amounts(project) == ("42.00", None, None, "42.00")  # 其他资金, by the unit's sums
    assert project.raw_amounts == ("42. 00", None, None, "42. 00")
    assert project.missing_cells == 1
    assert project.goal == "目标乙。"
    assert project.indicators[0].name == "人数"
    assert document.rows[1].name == "广州市某区社会保险基金管理中心"


def test_ocr_row_holding_only_indicator_text_is_a_fragment():
    document = text(
        HEADER,
        "合计\t5.00\t5.00\t\t\t\t",
        f"甲项目经费\t5.00\t5.00\t\t目标。\t{IND}",
        f"\t\t\t\t{IND}",
    )
    (fragment,) = document.fragments
    assert fragment.span.line == 4
    assert fragment.text == IND
    assert document.line_roles[3] is LineRole.FRAGMENT


def test_money_cell_holding_text_is_blank_but_kept_raw():
    document = text(
        HEADER, "合计\t5.00\t待补充\t\t\t\t", f"甲项目经费\t5.00\t5.00\t\t\t目标。\t{IND}"
    )
    assert document.rows[0].fiscal_appropriation is None
    assert document.rows[0].raw_amounts[1] == "待补充"


# --- PDF layout text -----------------------------------------------------------------------------

LAYOUT_HEADER = [
    "项目名称（资金使用单位） 总计 财政拨款",
    "财政专户",
    "拨款",
    "",
    "其他资金 绩效目标 绩效指标",
]


def test_layout_wrapped_names_goal_on_amount_line_and_page_header():
    document = text(
        "项目支出绩效目标表（含转移支付项目）",
        "部门名称：广州市某区人力资源和社会保障局 单位：万元",
        *LAYOUT_HEADER,
        "合计 12.50 12.50",
        "广州市某区人力资源和社",
        "",
        "会保障局",
        "12.50 12.50",
        "    办公楼维护维修",
        "经费",
        "10.00 10.00",
        "通过该项目的开展，保障办公",
        "楼的维修。",
        IND[:20],
        "",
        IND[20:],
        *LAYOUT_HEADER,
        "    档案管理费 2.50 2.50 保障档案工作。",
        IND,
    )
    assert document.layout == "pdf-text"
    unit, first, second = document.rows[1:]
    assert (unit.name, unit.level, unit.span.line, unit.span.end_line) == (
        "广州市某区人力资源和社会保障局",
        Level.UNIT,
        9,
        12,
    )
    assert (first.name, first.level, first.span.line, first.span.end_line) == (
        "办公楼维护维修经费",
        Level.PROJECT,
        13,
        20,
    )
    assert first.goal == "通过该项目的开展，保障办公楼的维修。"
    assert first.indicator_text == IND
    assert (second.name, second.goal, second.span.line) == ("档案管理费", "保障档案工作。", 26)
    assert [document.line_roles[i - 1] for i in range(21, 26)] == [LineRole.PAGE_HEADER] * 3 + [
        LineRole.BLANK,
        LineRole.PAGE_HEADER,
    ]
    assert document.stats.header_lines == 4


def test_layout_indented_name_without_amounts_mid_table_is_a_fragment():
    document = text(
        *LAYOUT_HEADER,
        "合计 3.00 3.00",
        "某区就业服务中心 3.00 3.00",
        "    甲项目经费 3.00 3.00",
        "目标。",
        "    没有金额的项目名",
        "某区退休职工管理委员会办公室 0.00 0.00",
    )
    (fragment,) = document.fragments
    assert (fragment.span.line, fragment.reason) == (10, "row name with no amounts")
    assert document.rows[-1].name == "某区退休职工管理委员会办公室"


def test_layout_figures_with_no_name_above_are_a_fragment():
    document = text(
        *LAYOUT_HEADER,
        "合计 3.00 3.00",
        "    甲项目经费 3.00 3.00",
        "目标。",
        "3.00 3.00",
    )
    (fragment,) = document.fragments
    assert (fragment.span.line, fragment.reason) == (9, "amounts with no row name")
    assert document.stats.accounted == document.stats.lines


def test_layout_figures_in_prose_are_not_amounts():
    document = text(
        *LAYOUT_HEADER,
        "合计 3.00 3.00",
        "    甲项目经费 3.00 3.00",
        "按 110.00 元/平方米标准，补助 12.50 万元。",
        "完成率 90.00%。",
    )
    assert len(document.rows) == 2
    assert "110.00" in document.rows[1].goal


# --- CSV, XLSX, DataFrame -----------------------------------------------------------------------


def test_csv_with_quoted_multiline_cell_and_canonical_headers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "level,name,total,fiscal_appropriation,special_account,other_funds,goal,indicators\n"
        "total,合计,7.00,7.00,,,,\n"
        "unit,某单位,7.00,7.00,,,,\n"
        f'project,甲项目,7.00,7.00,,,"第一行\n第二行",{IND}\n',
        encoding="utf-8",
    )
    document = budgetqa.read(path)
    assert document.layout == "csv"
    project = document.rows[2]
    assert project.level is Level.PROJECT
    assert (project.span.line, project.span.end_line) == (4, 5)
    assert project.goal == "第一行第二行"
    assert document.stats.accounted == document.stats.lines == 5


def test_malformed_csv_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b'name,total\n"unterminated\x00,1\n')
    with pytest.raises(InputError) as caught:
        budgetqa.read(path)
    assert str(caught.value).startswith(f"{path}:")


def test_xlsx_numbers_come_back_as_exact_decimals(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(STRATEGY_HEADER))
    sheet.append(["合计", 0.3, 0.1, 0.2, None, None, None])
    sheet.append([])
    sheet.append(["甲项目经费", 0.3, 0.1, 0.2, None, "目标。", IND])
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    document = budgetqa.read(path)
    assert document.rows[0].amounts == (Decimal("0.3"), Decimal("0.1"), Decimal("0.2"), None)
    assert document.rows[1].span.line == 4
    assert document.line_roles[2] is LineRole.BLANK


def test_xlsx_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable XLSX workbook"):
        budgetqa.read(path)


def test_dataframe_with_nan_blanks_and_line_numbers():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "项目名称": ["合计", "甲项目经费"],
            "总计": [5.5, 5.5],
            "财政拨款": [5.5, 5.5],
            "财政专户拨款": [float("nan"), float("nan")],
            "其他资金": [None, None],
            "绩效目标": ["", "目标。"],
            "绩效指标": ["", IND],
        }
    )
    document = budgetqa.read(frame, name="pipeline-frame")
    assert document.path == "pipeline-frame"
    assert document.rows[1].amounts == (Decimal("5.5"), Decimal("5.5"), None, None)
    assert document.rows[1].span.line == 3


def test_read_rejects_other_objects():
    with pytest.raises(UsageError, match="takes a path or a pandas DataFrame"):
        budgetqa.read(42)  # type: ignore[arg-type]


def test_csv_content_under_a_txt_name_is_read_as_csv(tmp_path):
    from budgetqa.synthetic import generate_table, render

    table = generate_table(3, projects=12, units=2)
    path = tmp_path / "exported.txt"
    path.write_text(render(table, "csv").text, encoding="utf-8")
    document = budgetqa.read(path)
    assert document.layout == "csv"
    assert [(row.level.value, row.name, row.amounts) for row in document.rows] == [
        (row.level, row.name, row.amounts) for row in table.rows()
    ]
    assert document.stats.accounted == document.stats.lines
