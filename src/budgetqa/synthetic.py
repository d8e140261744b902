"""Synthetic budget tables with known injected defects.

One generator serves the property tests, the benchmark and the detection-quality figures, so all
three speak about the same tables:

* :class:`TableSpec` (department → units → projects) is consistent by construction: each unit's
  columns are the sums of its projects', and 合计's the sums of the units'.
* :func:`generate_table` builds a realistic one from a seed (names, goals and indicator texts in
  the style of the published tables, amounts in 万元 with cents); the tests build them with
  hypothesis instead (``tests/strategies.py``).
* :func:`inject_defects` turns a spec into the rows as printed with known defects (a mistyped
  total, a project changed without its unit, a row printed twice, a placeholder left in), each
  recorded with the rule codes that must report it and the row they must point at.
* :func:`render` prints the rows in a layout (``tsv``, ``tsv-ocr``, ``pdf-text``, ``csv``) and
  records each row's lines, so a finding can be checked to be at the right place.

Everything is deterministic for a given seed; nothing here reads files or the clock.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import pandas as pd

    from budgetqa.findings import Finding

__all__ = [
    "HEADER",
    "TEXT_LAYOUTS",
    "Defect",
    "DefectKind",
    "Detection",
    "IndicatorSpec",
    "ProjectSpec",
    "Rendered",
    "RowSpec",
    "SyntheticTable",
    "TableSpec",
    "UnitSpec",
    "generate_table",
    "indicator_text",
    "inject_defects",
    "render",
    "score_detection",
    "to_frame",
    "write_xlsx",
]

HEADER = (
    "项目名称（资金使用单位）",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "绩效目标",
    "绩效指标",
)
TEXT_LAYOUTS = ("tsv", "tsv-ocr", "pdf-text", "csv")
TITLE = "项目支出绩效目标表（含转移支付项目）"
Funding = tuple[Decimal | None, Decimal | None, Decimal | None]
Amounts = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]


# --- the table -----------------------------------------------------------------------------------


@attrs.frozen
class IndicatorSpec:
    """One indicator: ``N、{category}；{subcategory}；{name}；实施周期指标值:…；年度指标值:….``"""

    name: str
    period_value: str
    annual_value: str
    category: str = "1-产出指标"
    subcategory: str = "11-数量指标"


@attrs.frozen
class ProjectSpec:
    name: str
    funding: Funding
    goal: str
    indicators: tuple[IndicatorSpec, ...]

    @property
    def total(self) -> Decimal:
        return sum((value for value in self.funding if value is not None), Decimal(0))


@attrs.frozen
class UnitSpec:
    name: str
    projects: tuple[ProjectSpec, ...]

    @property
    def funding(self) -> Funding:
        return column_sums([project.funding for project in self.projects])

    @property
    def total(self) -> Decimal:
        return sum((project.total for project in self.projects), Decimal(0))


@attrs.frozen
class RowSpec:
    """A row as printed: ``amounts`` are (总计, 财政拨款, 财政专户拨款, 其他资金)."""

    level: str
    name: str
    amounts: Amounts
    goal: str = ""
    indicators: str = ""


@attrs.frozen
class TableSpec:
    department: str
    units: tuple[UnitSpec, ...]
    columns: tuple[bool, bool, bool] = (True, False, False)

    @property
    def funding(self) -> Funding:
        return column_sums([unit.funding for unit in self.units])

    @property
    def total(self) -> Decimal:
        return sum((unit.total for unit in self.units), Decimal(0))

    @property
    def project_count(self) -> int:
        return sum(len(unit.projects) for unit in self.units)

    def rows(self) -> list[RowSpec]:
        """合计, then each unit followed by its projects, in table order."""
        out = [RowSpec("total", "合计", (self.total, *self.funding))]
        for unit in self.units:
            out.append(RowSpec("unit", unit.name, (unit.total, *unit.funding)))
            out.extend(
                RowSpec(
                    "project",
                    project.name,
                    (project.total, *project.funding),
                    project.goal,
                    indicator_text(project.indicators),
                )
                for project in unit.projects
            )
        return out

    def expected_rows(self) -> list[tuple[str, str, Amounts]]:
        """(level, name, amounts) per row, in table order."""
        return [(row.level, row.name, row.amounts) for row in self.rows()]


def column_sums(rows: Sequence[Funding]) -> Funding:
    """Column sums; a column blank in every row stays blank."""
    sums: list[Decimal | None] = [None, None, None]
    for row in rows:
        for column, value in enumerate(row):
            if value is not None:
                sums[column] = (sums[column] or Decimal(0)) + value
    return (sums[0], sums[1], sums[2])


def indicator_text(indicators: Sequence[IndicatorSpec]) -> str:
    return "".join(
        f"{number}、{item.category}；{item.subcategory}；{item.name}；"
        f"实施周期指标值:{item.period_value}；年度指标值:{item.annual_value}。"
        for number, item in enumerate(indicators, start=1)
    )


# --- realistic generation ------------------------------------------------------------------------

_DISTRICTS = [
    "越秀区",
    "海珠区",
    "荔湾区",
    "天河区",
    "白云区",
    "黄埔区",
    "番禺区",
    "花都区",
    "南沙区",
    "从化区",
    "增城区",
]
_DEPARTMENTS = [
    "人力资源和社会保障局",
    "教育局",
    "民政局",
    "卫生健康局",
    "住房和城乡建设局",
    "交通运输局",
    "文化广电旅游局",
    "农业农村局",
    "司法局",
    "市场监督管理局",
]
_STREETS = [
    "北京街",
    "人民街",
    "东山街",
    "大塘街",
    "农林街",
    "梅花村街",
    "华乐街",
    "建设街",
    "大东街",
    "白云街",
    "黄花岗街",
    "矿泉街",
    "登峰街",
    "洪桥街",
    "六榕街",
    "流花街",
    "光塔街",
    "珠光街",
]
_BODIES = [
    "就业服务管理中心",
    "社会保险基金管理中心",
    "劳动人事争议仲裁院",
    "人才服务管理办公室",
    "档案馆",
    "信息中心",
    "综合服务中心",
    "职业技能鉴定所",
    "退休职工管理委员会办公室",
    "综合保障中心",
]
_TOPICS = [
    "就业创业",
    "职业技能培训",
    "劳动保障监察",
    "人事档案管理",
    "信息系统运行维护",
    "公共就业服务",
    "社会保险经办",
    "劳动争议仲裁",
    "人才引进",
    "退休人员社会化管理",
    "城乡居民养老保险",
    "工伤预防",
    "失业保险",
    "就业见习",
    "高校毕业生就业",
    "困难群体帮扶",
    "南粤家政",
    "技工教育",
    "网络安全",
    "办公场所维修",
]
_ITEMS = ["专项", "工作", "补贴", "服务", "运行", "保障", "购买服务", "宣传", "设备购置", "业务"]
_VERBS = ["保障", "推进", "完成", "落实", "做好", "加强", "规范"]
_RESULTS = [
    "提高公共服务水平",
    "确保各项工作按时完成",
    "提升群众满意度",
    "促进辖区就业稳定",
    "维护劳动者合法权益",
    "保障单位日常工作正常运转",
    "提高资金使用效益",
    "推动人才队伍建设",
]
_UNITS_OF_COUNT = ["人次", "人", "次", "场", "家", "份", "卷", "户"]
_CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_ordinal(number: int) -> str:
    """第一, 第二, … 第十二, … for names that must stay unique without digits."""
    if number < 10:
        return "第" + _CHINESE_DIGITS[number]
    tens, ones = divmod(number, 10)
    if tens < 10:
        head = ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十"
        return "第" + head + (_CHINESE_DIGITS[ones] if ones else "")
    return "第" + "".join(_CHINESE_DIGITS[int(digit)] for digit in str(number))


def _amount(rng: random.Random) -> Decimal:
    # Project sizes spread over four orders of magnitude, as in the published tables.
    cents = int(10 ** rng.uniform(2.0, 6.2))
    return Decimal(cents).scaleb(-2)


def _indicator(rng: random.Random, topic: str, kind: int) -> IndicatorSpec:
    if kind == 0:
        value = f"≥{rng.randrange(10, 5000)}{rng.choice(_UNITS_OF_COUNT)}"
        return IndicatorSpec(f"{topic}服务数量", value, value)
    if kind == 1:
        value = f"≥{rng.randrange(85, 101)}%"
        return IndicatorSpec(f"{topic}合格率", value, value, subcategory="12-质量指标")
    if kind == 2:
        return IndicatorSpec("资金支付及时率", "100%", "100%", subcategory="13-时效指标")
    if kind == 3:
        value = f"≤{_amount(rng)}万元"
        return IndicatorSpec("项目成本控制数", value, value, subcategory="14-成本指标")
    if kind == 4:
        return IndicatorSpec(
            f"{topic}工作成效", "有效提升", "有效提升", "2-效益指标", "22-社会效益指标"
        )
    value = f"≥{rng.randrange(85, 100)}%"
    return IndicatorSpec("服务对象满意度", value, value, "3-满意度指标", "31-服务对象满意度指标")


def _project(rng: random.Random, name: str, topic: str, columns: tuple[bool, ...]) -> ProjectSpec:
    used = [column for column, on in enumerate(columns) if on]
    funding: list[Decimal | None] = [None, None, None]
    funding[used[0]] = _amount(rng)
    for column in used[1:]:
        if rng.random() < 0.3:
            funding[column] = _amount(rng)
    clauses = [
        f"{rng.choice(_VERBS)}{topic}工作"
        + "".join(f"，{rng.choice(_RESULTS)}" for _ in range(rng.randrange(1, 4)))
        for _ in range(rng.randrange(1, 3))
    ]
    return ProjectSpec(
        name=name,
        funding=(funding[0], funding[1], funding[2]),
        goal="；".join(clauses) + "。",
        indicators=tuple(
            _indicator(rng, topic, kind) for kind in rng.sample(range(6), rng.randrange(2, 7))
        ),
    )


def _project_names(rng: random.Random, count: int) -> Iterator[tuple[str, str]]:
    """(name, topic) pairs, distinct within one unit."""
    pairs = [(topic, item) for topic in _TOPICS for item in _ITEMS]
    rng.shuffle(pairs)
    for position in range(count):
        topic, item = pairs[position % len(pairs)]
        batch = position // len(pairs)
        prefix = "2025年" if rng.random() < 0.15 else ""
        suffix = f"（{chinese_ordinal(batch + 1)}批）" if batch else ""
        yield f"{prefix}{topic}{item}经费{suffix}", topic


def generate_table(
    seed: int,
    *,
    projects: int = 50,
    units: int | None = None,
    columns: tuple[bool, bool, bool] | None = None,
) -> TableSpec:
    """A realistic, consistent table with ``projects`` project rows.

    ``units`` defaults to about one unit per 25 projects (at least one); the projects are spread
    over the units unevenly, every unit getting at least one.
    """
    if projects < 1:
        raise ValueError("a table needs at least one project")
    rng = random.Random(seed)
    unit_count = max(1, min(projects, units if units is not None else -(-projects // 25)))
    if columns is None:
        columns = rng.choice([(True, False, False), (True, True, False), (True, True, True)])
    district = rng.choice(_DISTRICTS)
    department = f"广州市{district}{rng.choice(_DEPARTMENTS)}"
    cuts = sorted(rng.sample(range(1, projects), unit_count - 1)) if unit_count > 1 else []
    sizes = [end - start for start, end in zip([0, *cuts], [*cuts, projects], strict=True)]
    unit_specs = []
    for position, size in enumerate(sizes):
        if position == 0:
            unit_name = department
        else:
            body = _BODIES[(position - 1) % len(_BODIES)]
            street = _STREETS[((position - 1) // len(_BODIES)) % len(_STREETS)]
            cycle = (position - 1) // (len(_BODIES) * len(_STREETS))
            # Unit names end the way real ones do (中心, 院, 馆, 所, 办公室): 第二就业服务管理中心.
            unit_name = (
                f"广州市{district}{street}{chinese_ordinal(cycle + 1) if cycle else ''}{body}"
            )
        unit_specs.append(
            UnitSpec(
                unit_name,
                tuple(
                    _project(rng, name, topic, columns) for name, topic in _project_names(rng, size)
                ),
            )
        )
    return TableSpec(department=department, units=tuple(unit_specs), columns=columns)


# --- defects -------------------------------------------------------------------------------------


class DefectKind(StrEnum):
    """What was done to the table, and so which rule must say so."""

    ROW_SUM = "row_sum"  # a project's 总计 mistyped: AR101 on the project
    UNIT_SUM = "unit_sum"  # a project's figures changed, its unit's not: AR102 on the unit
    DUPLICATE = "duplicate"  # a project printed twice: DU101 on the copy
    PLACEHOLDER = "placeholder"  # 待单位补充 left as the goal: PH101 on the project


DEFECT_CATEGORY = {
    DefectKind.ROW_SUM: "arithmetic",
    DefectKind.UNIT_SUM: "arithmetic",
    DefectKind.DUPLICATE: "duplicate",
    DefectKind.PLACEHOLDER: "placeholder",
}


@attrs.frozen
class Defect:
    """An injected defect: ``code`` must be reported on row ``row`` (an index into the rows).

    ``consequences`` are (code, row) findings the defect also causes, rightly: a repeated row
    also breaks its unit's sum and the department's. They are not false alarms.
    """

    kind: DefectKind
    code: str
    row: int
    consequences: tuple[tuple[str, int], ...] = ()
    note: str = ""

    @property
    def category(self) -> str:
        return DEFECT_CATEGORY[self.kind]


@attrs.frozen
class SyntheticTable:
    department: str
    rows: tuple[RowSpec, ...]
    defects: tuple[Defect, ...] = ()

    @property
    def project_count(self) -> int:
        return sum(1 for row in self.rows if row.level == "project")


def _units_of(rows: Sequence[RowSpec]) -> list[int]:
    """For each row, the index of the unit row it belongs to (0, 合计, before the first unit)."""
    unit = 0
    out = []
    for index, row in enumerate(rows):
        if row.level == "unit":
            unit = index
        out.append(unit)
    return out


def inject_defects(
    table: TableSpec,
    seed: int,
    *,
    row_sums: int = 0,
    unit_sums: int = 0,
    duplicates: int = 0,
    placeholders: int = 0,
    split_placeholder: bool = False,
) -> SyntheticTable:
    """The table's rows with defects injected on distinct projects, chosen by ``seed``.

    Each defect goes to a project of its own, and no two arithmetic or duplicate defects share
    a unit, so each unit's gap has exactly one cause. Raises ``ValueError`` when the table has
    too few units or projects for the defects asked for.
    """
    rng = random.Random(seed)
    rows = table.rows()
    unit_of = _units_of(rows)
    projects_by_unit: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        if row.level == "project":
            projects_by_unit.setdefault(unit_of[index], []).append(index)
    sum_defects = row_sums + unit_sums + duplicates
    if sum_defects > len(projects_by_unit):
        raise ValueError(f"{sum_defects} arithmetic or duplicate defects need as many units")
    if sum_defects + placeholders > sum(len(v) for v in projects_by_unit.values()):
        raise ValueError("more defects than projects")
    units = rng.sample(sorted(projects_by_unit), sum_defects)
    targets = [rng.choice(projects_by_unit[unit]) for unit in units]
    kinds = (
        [DefectKind.ROW_SUM] * row_sums
        + [DefectKind.UNIT_SUM] * unit_sums
        + [DefectKind.DUPLICATE] * duplicates
    )
    taken = set(targets)
    free = [i for members in projects_by_unit.values() for i in members if i not in taken]
    targets += rng.sample(free, placeholders)
    kinds += [DefectKind.PLACEHOLDER] * placeholders
    changes: dict[int, RowSpec] = {}
    repeats: set[int] = set()
    planned: dict[int, tuple[DefectKind, str]] = {}
    for kind, index in zip(kinds, targets, strict=True):
        row = rows[index]
        delta = Decimal(rng.randrange(1, 50000)).scaleb(-2)
        total = row.amounts[0] or Decimal(0)
        funding = list(row.amounts[1:])
        if kind is DefectKind.ROW_SUM:
            changes[index] = attrs.evolve(
                row, amounts=(total + delta, funding[0], funding[1], funding[2])
            )
            note = f"总计 {total} typed as {total + delta}"
        elif kind is DefectKind.UNIT_SUM:
            first = next(column for column, value in enumerate(funding) if value is not None)
            funding[first] = (funding[first] or Decimal(0)) + delta
            changes[index] = attrs.evolve(
                row, amounts=(total + delta, funding[0], funding[1], funding[2])
            )
            note = f"project raised by {delta}, its unit left as it was"
        elif kind is DefectKind.DUPLICATE:
            repeats.add(index)
            note = "printed twice"
        else:
            text = "待单位补充" if not split_placeholder else "待单位补\n充"
            changes[index] = attrs.evolve(row, goal=text)
            note = "goal left as 待单位补充"
        planned[index] = (kind, note)
    out: list[RowSpec] = []
    defects: list[Defect] = []
    position_of: dict[int, int] = {}
    pending: list[tuple[int, DefectKind, str]] = []
    for index, row in enumerate(rows):
        position_of[index] = len(out)
        out.append(changes.get(index, row))
        if index in repeats:
            out.append(row)
        if index in planned:
            pending.append((index, *planned[index]))
    for index, kind, note in pending:
        unit = unit_of[index]
        sums = (("AR102", position_of[unit]), ("AR103", 0), ("AR104", 0))
        if kind is DefectKind.ROW_SUM:
            defects.append(Defect(kind, "AR101", position_of[index], sums, note))
        elif kind is DefectKind.UNIT_SUM:
            defects.append(Defect(kind, "AR102", position_of[unit], sums[1:], note))
        elif kind is DefectKind.DUPLICATE:
            defects.append(Defect(kind, "DU101", position_of[index] + 1, sums, note))
        else:
            defects.append(Defect(kind, "PH101", position_of[index], (), note))
    return SyntheticTable(table.department, tuple(out), tuple(defects))


# --- rendering -----------------------------------------------------------------------------------


@attrs.frozen
class Rendered:
    """A table printed in ``layout``; ``spans[i]`` is row i's (first line, last line), 1-based."""

    text: str
    layout: str
    spans: tuple[tuple[int, int], ...]


def money(value: Decimal | None, *, ocr: bool = False) -> str:
    if value is None:
        return ""
    text = f"{value:,.2f}"
    return text.replace(",", ", ").replace(".", ". ") if ocr else text


def _wrap(text: str, width: int) -> list[str]:
    return [text[start : start + width] for start in range(0, len(text), width)] or [""]


class _Lines:
    """Lines being printed, with the span of each row as it is added."""

    def __init__(self, preamble: Sequence[str]) -> None:
        self.lines = list(preamble)
        self.spans: list[tuple[int, int]] = []

    def row(self, lines: Sequence[str]) -> None:
        self.spans.append((len(self.lines) + 1, len(self.lines) + len(lines)))
        self.lines.extend(lines)

    def result(self, layout: str) -> Rendered:
        return Rendered("\n".join(self.lines) + "\n", layout, tuple(self.spans))


def _cells(row: RowSpec, *, ocr: bool = False) -> list[str]:
    # A cell's own line breaks (a split placeholder) are printed as a space in one-line layouts.
    return [
        row.name,
        *(money(value, ocr=ocr) for value in row.amounts),
        row.goal.replace("\n", " "),
        row.indicators,
    ]


def render_tsv(department: str, rows: Sequence[RowSpec]) -> Rendered:
    out = _Lines([TITLE, f"单位名称：{department}", "单位：万元", "\t".join(HEADER)])
    for row in rows:
        out.row(["\t".join(_cells(row))])
    return out.result("tsv")


def render_tsv_ocr(department: str, rows: Sequence[RowSpec], drops: Sequence[bool]) -> Rendered:
    """OCR damage: spaces inside numbers, and a row's empty cells dropped where ``drops`` says."""
    out = _Lines([f"部门名称: {department}\t\t\t\t\t\t単位: 力元", "\t".join(HEADER)])
    for position, row in enumerate(rows):
        cells = _cells(row, ocr=True)
        if drops[position % len(drops)]:
            # Drop the first empty money cell, as OCR does when it cannot see an empty cell.
            for index in range(2, 5):
                if cells[index] == "":
                    del cells[index]
                    break
        out.row(["\t".join(cells)])
    return out.result("tsv-ocr")


_LAYOUT_HEADER = (
    "项目名称（资金使用单位） 总计 财政拨款",
    "财政专户",
    "拨款",
    "",
    "其他资金 绩效目标 绩效指标",
    "",
)


def render_layout_text(
    department: str, rows: Sequence[RowSpec], width: int, page_every: int
) -> Rendered:
    """PDF layout text: wrapped cells, indented projects, blank cells vanish, page headers."""
    out = _Lines(["", TITLE, "", f"部门名称：{department} 单位：万元", "", *_LAYOUT_HEADER])
    for position, row in enumerate(rows):
        if position and page_every and position % page_every == 0:
            out.lines.extend(["", *_LAYOUT_HEADER])
        figures = " ".join(money(value) for value in row.amounts if value is not None)
        indent = "    " if row.level == "project" else ""
        pieces = _wrap(row.name, width)
        lines: list[str] = []
        if len(pieces) == 1:
            lines.append(f"{indent}{pieces[0]} {figures}")
        else:
            lines.append(indent + pieces[0])
            lines.extend(pieces[1:])
            lines.append(figures)
        for text, extra in ((row.goal, 4), (row.indicators, 8)):
            if text:
                lines.append("")
                for part in text.split("\n"):
                    lines.extend(_wrap(part, width + extra))
        out.row(lines)
        out.lines.append("")
    return out.result("pdf-text")


def render_csv(rows: Sequence[RowSpec]) -> Rendered:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    out = _Lines([buffer.getvalue().rstrip("\n")])
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_cells(row))
        out.row([buffer.getvalue().rstrip("\n")])
    return out.result("csv")


def render(
    table: TableSpec | SyntheticTable,
    layout: str = "tsv",
    *,
    width: int = 14,
    page_every: int = 12,
    drops: Sequence[bool] = (False, True),
) -> Rendered:
    """Print a table in one of :data:`TEXT_LAYOUTS`, with each row's lines recorded."""
    if isinstance(table, TableSpec):
        department, rows = table.department, table.rows()
    else:
        department, rows = table.department, list(table.rows)
    if layout == "tsv":
        return render_tsv(department, rows)
    if layout == "tsv-ocr":
        return render_tsv_ocr(department, rows, drops)
    if layout == "pdf-text":
        return render_layout_text(department, rows, width, page_every)
    if layout == "csv":
        return render_csv(rows)
    raise ValueError(f"layout {layout!r} is not one of {', '.join(TEXT_LAYOUTS)}")


def write_xlsx(rows: Sequence[RowSpec], path: Path) -> None:
    """A one-sheet workbook with a title row, the header and the rows (amounts as numbers)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.append([TITLE])
    sheet.append(list(HEADER))
    for row in rows:
        # Spreadsheets store numbers as binary floats: the reader must give the cents back exactly.
        sheet.append(
            [
                row.name,
                *(None if value is None else float(value) for value in row.amounts),
                row.goal,
                row.indicators,
            ]
        )
    workbook.save(path)


def to_frame(rows: Sequence[RowSpec]) -> pd.DataFrame:
    """The rows as a DataFrame with the published header, amounts as text."""
    import pandas as pd

    records = [
        [
            row.name,
            *(None if value is None else str(value) for value in row.amounts),
            row.goal,
            row.indicators,
        ]
        for row in rows
    ]
    return pd.DataFrame.from_records(records, columns=list(HEADER))


# --- detection quality ---------------------------------------------------------------------------

#: Findings that describe what a layout itself does to a table, not a defect of its content:
#: ``tsv-ocr`` prints amounts with OCR spacing and drops empty cells; layouts that lose blank
#: cells leave some columns undecided. They are reported (at info level) and counted apart.
LAYOUT_NOTES: dict[str, frozenset[str]] = {
    "tsv": frozenset(),
    "csv": frozenset(),
    "pdf-text": frozenset({"ST106"}),
    "tsv-ocr": frozenset({"ST106", "ST103", "TX103", "TX102"}),
}


@attrs.frozen
class Detection:
    """How an audit did on a table with known defects.

    ``found`` and ``missed`` are the injected defects reported (by the right rule, at a line of
    the right row) or not; ``false_alarms`` are findings no injected defect explains, other than
    the layout's own notes (``layout_notes``, see :data:`LAYOUT_NOTES`).
    """

    found: tuple[Defect, ...]
    missed: tuple[Defect, ...]
    false_alarms: tuple[Finding, ...]
    layout_notes: int

    def by_category(self) -> dict[str, tuple[int, int]]:
        """(found, injected) per defect category."""
        out: dict[str, tuple[int, int]] = {}
        for defect in (*self.found, *self.missed):
            found, injected = out.get(defect.category, (0, 0))
            out[defect.category] = (found + (defect in self.found), injected + 1)
        return out


def score_detection(
    table: SyntheticTable, rendered: Rendered, findings: Sequence[Finding]
) -> Detection:
    """Match an audit's findings against the defects injected into ``table``."""

    def at(finding: Finding, code: str, row: int) -> bool:
        if finding.code != code or finding.location.line is None:
            return False
        first, last = rendered.spans[row]
        end = finding.location.end_line or finding.location.line
        return finding.location.line <= last and end >= first

    found: list[Defect] = []
    missed: list[Defect] = []
    explained: set[int] = set()
    for defect in table.defects:
        hits = [i for i, finding in enumerate(findings) if at(finding, defect.code, defect.row)]
        (found if hits else missed).append(defect)
        explained.update(hits)
        for code, row in defect.consequences:
            explained.update(i for i, finding in enumerate(findings) if at(finding, code, row))
    # a finding that names the likeliest wrong figure (AR301) is explained with the broken
    # sums it links to
    ids = {findings[i].id for i in explained}
    explained.update(
        i
        for i, finding in enumerate(findings)
        if finding.code == "AR301" and any(other in ids for other in finding.related)
    )
    notes = LAYOUT_NOTES.get(rendered.layout, frozenset())
    alarms = [
        finding
        for i, finding in enumerate(findings)
        if i not in explained and finding.code not in notes
    ]
    note_count = sum(1 for i, f in enumerate(findings) if i not in explained and f.code in notes)
    return Detection(tuple(found), tuple(missed), tuple(alarms), note_count)
