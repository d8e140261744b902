"""Hypothesis strategies for budget tables, and renderers that print one in each layout.

A generated :class:`TableSpec` is consistent by construction: every unit's columns are the sums
of its projects', and 合计's the sums of the units'. The renderers print it the way published
tables look (tab-separated, OCR-damaged, PDF layout text, CSV, XLSX, DataFrame) so a property
test can read it back and compare.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st

HEADER = (
    "项目名称（资金使用单位）",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "绩效目标",
    "绩效指标",
)
FUNDING = ("fiscal_appropriation", "special_account", "other_funds")
# Characters for names and texts: no digits, no 指/标 (indicator words), no punctuation.
_HAN = (
    "人力资源社会保障就业服务管理中心区市广州经费专项补贴"
    "工作培训系统运行维护档案仲裁劳动监察医疗退休"
)
_UNIT_SUFFIXES = ("中心", "局", "办公室")


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    period_value: str
    annual_value: str


@dataclass(frozen=True)
class ProjectSpec:
    name: str
    funding: tuple[Decimal | None, Decimal | None, Decimal | None]
    goal: str
    indicators: tuple[IndicatorSpec, ...]

    @property
    def total(self) -> Decimal:
        return sum((value for value in self.funding if value is not None), Decimal(0))


@dataclass(frozen=True)
class UnitSpec:
    name: str
    projects: tuple[ProjectSpec, ...]

    @property
    def funding(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        return _column_sums([project.funding for project in self.projects])

    @property
    def total(self) -> Decimal:
        return sum((project.total for project in self.projects), Decimal(0))


@dataclass(frozen=True)
class TableSpec:
    department: str
    units: tuple[UnitSpec, ...]
    columns: tuple[bool, bool, bool] = field(default=(True, False, False))

    @property
    def funding(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        return _column_sums([unit.funding for unit in self.units])

    @property
    def total(self) -> Decimal:
        return sum((unit.total for unit in self.units), Decimal(0))

    def expected_rows(self) -> list[tuple[str, str, tuple[Decimal | None, ...]]]:
        """(level, name, (total, fiscal, special, other)) per row, in table order."""
        rows: list[tuple[str, str, tuple[Decimal | None, ...]]] = [
            ("total", "合计", (self.total, *self.funding))
        ]
        for unit in self.units:
            rows.append(("unit", unit.name, (unit.total, *unit.funding)))
            rows.extend(
                ("project", project.name, (project.total, *project.funding))
                for project in unit.projects
            )
        return rows

    def rows(self) -> list[tuple[str, str, tuple[Decimal | None, ...], str, str]]:
        """(level, name, amounts, goal, indicator text) per row."""
        out: list[tuple[str, str, tuple[Decimal | None, ...], str, str]] = [
            ("total", "合计", (self.total, *self.funding), "", "")
        ]
        for unit in self.units:
            out.append(("unit", unit.name, (unit.total, *unit.funding), "", ""))
            out.extend(
                (
                    "project",
                    project.name,
                    (project.total, *project.funding),
                    project.goal,
                    indicator_text(project.indicators),
                )
                for project in unit.projects
            )
        return out


def _column_sums(
    rows: Sequence[tuple[Decimal | None, Decimal | None, Decimal | None]],
) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    sums: list[Decimal | None] = [None, None, None]
    for row in rows:
        for column, value in enumerate(row):
            if value is not None:
                sums[column] = (sums[column] or Decimal(0)) + value
    return (sums[0], sums[1], sums[2])


def indicator_text(indicators: Sequence[IndicatorSpec]) -> str:
    return "".join(
        f"{number}、1-产出指标；11-数量指标；{item.name}；实施周期指标值:{item.period_value}；年度指标值:{item.annual_value}。"
        for number, item in enumerate(indicators, start=1)
    )


def han(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_HAN, min_size=min_size, max_size=max_size)


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@st.composite
def projects(draw: st.DrawFn, columns: tuple[bool, bool, bool]) -> ProjectSpec:
    funding: list[Decimal | None] = [None, None, None]
    for column, used in enumerate(columns):
        if used and draw(st.booleans()):
            funding[column] = draw(amounts)
    if all(value is None for value in funding):
        first_used = columns.index(True)
        funding[first_used] = draw(amounts)
    indicators = draw(
        st.lists(
            st.builds(
                IndicatorSpec,
                han(2, 10),
                st.sampled_from(["≥95%", "100%", "5次", "不低于90%"]),
                st.just("达标"),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return ProjectSpec(
        name=draw(han(2, 30)) + "经费",
        funding=(funding[0], funding[1], funding[2]),
        goal=draw(han(4, 60)) + "。",
        indicators=tuple(indicators),
    )


@st.composite
def units(draw: st.DrawFn, columns: tuple[bool, bool, bool]) -> UnitSpec:
    name = "广州市" + draw(han(2, 16)) + draw(st.sampled_from(_UNIT_SUFFIXES))
    return UnitSpec(
        name=name, projects=tuple(draw(st.lists(projects(columns), min_size=1, max_size=5)))
    )


@st.composite
def tables(draw: st.DrawFn, columns: tuple[bool, bool, bool] | None = None) -> TableSpec:
    """A consistent budget table; ``columns`` fixes which funding columns are in use."""
    if columns is None:
        columns = draw(
            st.sampled_from([(True, False, False), (True, True, False), (True, True, True)])
        )
    return TableSpec(
        department="广州市" + draw(han(2, 10)) + "局",
        units=tuple(
            draw(st.lists(units(columns), min_size=1, max_size=4, unique_by=lambda u: u.name))
        ),
        columns=columns,
    )


# --- renderers ---------------------------------------------------------------------------------


def _money(value: Decimal | None, *, ocr: bool = False) -> str:
    if value is None:
        return ""
    text = f"{value:,.2f}"
    return text.replace(",", ", ").replace(".", ". ") if ocr else text


def render_tsv(table: TableSpec) -> str:
    lines = [
        "项目支出绩效目标表（含转移支付项目）",
        f"单位名称：{table.department}",
        "单位：万元",
        "\t".join(HEADER),
    ]
    for _, name, amounts_, goal, indicators in table.rows():
        lines.append("\t".join([name, *(_money(value) for value in amounts_), goal, indicators]))
    return "\n".join(lines) + "\n"


def render_tsv_ocr(table: TableSpec, drops: Sequence[bool]) -> str:
    """OCR damage: spaces inside numbers, and a row's empty cells dropped where ``drops`` says."""
    lines = [f"部门名称: {table.department}\t\t\t\t\t\t単位: 力元", "\t".join(HEADER)]
    for position, (_, name, amounts_, goal, indicators) in enumerate(table.rows()):
        cells = [name, *(_money(value, ocr=True) for value in amounts_), goal, indicators]
        if drops[position % len(drops)]:
            # Drop the first empty money cell, as OCR does when it cannot see an empty cell.
            for index in range(2, 5):
                if cells[index] == "":
                    del cells[index]
                    break
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    return [text[start : start + width] for start in range(0, len(text), width)] or [""]


def render_layout_text(table: TableSpec, width: int, page_every: int) -> str:
    """PDF layout text: wrapped cells, indented projects, blank cells vanish, page headers."""
    header = [
        "项目名称（资金使用单位） 总计 财政拨款",
        "财政专户",
        "拨款",
        "",
        "其他资金 绩效目标 绩效指标",
        "",
    ]
    lines = [
        "",
        "项目支出绩效目标表（含转移支付项目）",
        "",
        f"部门名称：{table.department} 单位：万元",
        "",
        *header,
    ]
    for position, (level, name, amounts_, goal, indicators) in enumerate(table.rows()):
        if position and page_every and position % page_every == 0:
            lines.extend(["", *header])
        figures = " ".join(_money(value) for value in amounts_ if value is not None)
        indent = "    " if level == "project" else ""
        pieces = _wrap(name, width)
        if len(pieces) == 1:
            lines.append(f"{indent}{pieces[0]} {figures}")
        else:
            lines.append(indent + pieces[0])
            lines.extend(pieces[1:])
            lines.append(figures)
        lines.append("")
        if goal:
            lines.extend(_wrap(goal, width + 4))
            lines.append("")
        if indicators:
            lines.extend(_wrap(indicators, width + 8))
            lines.append("")
    return "\n".join(lines) + "\n"


def render_csv(table: TableSpec) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for _, name, amounts_, goal, indicators in table.rows():
        writer.writerow([name, *(_money(value) for value in amounts_), goal, indicators])
    return buffer.getvalue()


def write_xlsx(table: TableSpec, path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["项目支出绩效目标表（含转移支付项目）"])
    sheet.append(list(HEADER))
    for _, name, amounts_, goal, indicators in table.rows():
        # Spreadsheets store numbers as binary floats: the reader must give the cents back exactly.
        sheet.append(
            [
                name,
                *(None if value is None else float(value) for value in amounts_),
                goal,
                indicators,
            ]
        )
    workbook.save(path)


def to_frame(table: TableSpec):
    import pandas as pd

    records = [
        [name, *(None if value is None else str(value) for value in amounts_), goal, indicators]
        for _, name, amounts_, goal, indicators in table.rows()
    ]
    return pd.DataFrame.from_records(records, columns=list(HEADER))
