"""Generated standard tables of every kind a table profile declares, and their renderings:
the sketch of their printed page, a real PDF of it (reportlab), CSV and XLSX.

A generated table follows its profile: the profile's first example title, a column for each
of its code and name keys and up to three of its money columns (each header the literal its
header pattern accepts most plainly), and rows nested as the profile says: 类 → 款 → 项 codes
(201 → 20101 → 2010101) or 经济分类 codes (301 → 30101) under 合计, units over their items
(indented in print, only the sums to tell in an export), or one flat level under 合计. A
parent's amounts are its children's sums, so every reading can be checked against the rows
generated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import attrs
import regex
from hypothesis import strategies as st

from budgetqa.ingest.pdf_geometry import Glyph, PageGeometry
from budgetqa.profiles import Hierarchy, TableProfile, builtin_profiles

_OPTIONAL = regex.compile(r"\((?:\?:)?(?:[^()]|(?R))*\)\?")
_GROUP = regex.compile(r"\(\?:([^()|]*)(?:\|[^()]*)?\)")
_CLASS = regex.compile(r"\[(.)[^\]]*\]")
# Header keys that name the rows rather than hold amounts.
_TEXT_KEYS = frozenset({"code", "name", "unit", "income_item", "expenditure_item"})


def literal(pattern: str) -> str:
    """The plainest text ``pattern`` accepts: optional parts left out, the first of each set
    of alternatives and character class taken."""
    text = pattern.split("|")[0] if "(" not in pattern else pattern
    previous = None
    while previous != text:
        previous = text
        text = _OPTIONAL.sub("", text)
        text = _GROUP.sub(r"\1", text)
        text = _CLASS.sub(r"\1", text)
    return text.replace("\\", "")


@attrs.frozen
class GenRow:
    level: int
    code: str | None
    name: str
    amounts: tuple[Decimal, ...]


@attrs.frozen
class GenTable:
    kind: str
    title: str
    headers: tuple[str, ...]  # code?, name, money…
    coded: bool
    rows: tuple[GenRow, ...]


def generated_kinds() -> list[TableProfile]:
    """The kinds a table can be generated for: amounts required, one name column, no halves."""
    return [
        profile
        for profile in builtin_profiles()
        if profile.amounts_required
        and any(column.key == "name" for column in profile.columns)
        and not any(column.side for column in profile.columns)
    ]


def _money_headers(profile: TableProfile) -> list[str]:
    headers: list[str] = []
    for column in profile.columns:
        if column.key in _TEXT_KEYS or column.key in {"goal", "indicators"}:
            continue
        header = literal(column.headers[0].pattern)
        if header and "/" not in header and header not in headers:
            headers.append(header)
    return headers[:3]


_NAMES = ["行政运行", "一般行政管理事务", "机关服务", "专项业务", "信息化建设", "其他支出（二期）"]
_UNITS = ["某市某局", "某市某局（本级）", "某市某中心"]
_SECTIONS = ["人大事务", "政协事务"]
_ITEMS = ["基本工资", "津贴补贴", "奖金", "伙食补助费", "绩效工资"]

#: 项 under one 款: names (one with a bracket, as printed) and amounts up to 10^9.
function_items = st.lists(
    st.tuples(
        st.sampled_from(["行政运行", "一般行政管理事务", "机关服务", "其他支出（二期）"]),
        st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    ),
    min_size=1,
    max_size=12,
)

_cents = st.integers(min_value=1, max_value=10**8).map(lambda cents: Decimal(cents) / 100)


@st.composite
def standard_tables(draw: st.DrawFn, profile: TableProfile) -> GenTable:
    money = _money_headers(profile)
    title = next(example.title for example in profile.examples if example.title)
    hierarchy = profile.hierarchy
    coded = hierarchy in (Hierarchy.FUNCTION_CODE, Hierarchy.ECONOMIC_CODE)
    width = len(money)

    def leaves(count: int) -> list[tuple[Decimal, ...]]:
        return [tuple(draw(_cents) for _ in range(width)) for _ in range(count)]

    def total(rows: Sequence[tuple[Decimal, ...]]) -> tuple[Decimal, ...]:
        return tuple(sum((row[i] for row in rows), Decimal(0)) for i in range(width))

    body: list[GenRow] = []
    if hierarchy is Hierarchy.FUNCTION_CODE:  # 类 201 → 款 201xx → 项 201xxyy
        for group in range(1, draw(st.integers(min_value=1, max_value=2)) + 1):
            code = f"201{group:02d}"
            names = draw(st.lists(st.sampled_from(_NAMES), min_size=2, max_size=4, unique=True))
            items = leaves(len(names))
            body.append(GenRow(2, code, _SECTIONS[group - 1], total(items)))
            body.extend(
                GenRow(3, f"{code}{n:02d}", name, amounts)
                for n, (name, amounts) in enumerate(zip(names, items, strict=True), 1)
            )
        top = total([row.amounts for row in body if row.level == 2])
        body.insert(0, GenRow(1, "201", "一般公共服务支出", top))
    elif hierarchy is Hierarchy.ECONOMIC_CODE:  # 类 301 → 款 301xx
        names = draw(st.lists(st.sampled_from(_ITEMS), min_size=2, max_size=5, unique=True))
        items = leaves(len(names))
        body.append(GenRow(1, "301", "工资福利支出", total(items)))
        body.extend(
            GenRow(2, f"301{n:02d}", name, amounts)
            for n, (name, amounts) in enumerate(zip(names, items, strict=True), 1)
        )
    elif hierarchy is Hierarchy.FLAT:
        names = draw(st.lists(st.sampled_from(_NAMES), min_size=2, max_size=5, unique=True))
        body = [
            GenRow(1, None, name, amounts)
            for name, amounts in zip(names, leaves(len(names)), strict=True)
        ]
    else:  # units over their items, by indentation in print
        units = draw(st.lists(st.sampled_from(_UNITS), min_size=1, max_size=2, unique=True))
        for unit in units:
            names = draw(st.lists(st.sampled_from(_NAMES), min_size=2, max_size=4, unique=True))
            items = leaves(len(names))
            body.append(GenRow(1, None, unit, total(items)))
            body.extend(
                GenRow(2, None, name, amounts) for name, amounts in zip(names, items, strict=True)
            )
    grand = total([row.amounts for row in body if row.level == 1])
    rows = (GenRow(0, None, "合计", grand), *body)
    code_header = ("科目编码",) if coded else ()
    name_header = "科目名称" if coded else "项目"
    return GenTable(profile.kind, title, (*code_header, name_header, *money), coded, rows)


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def cells(table: GenTable, *, indent: bool) -> list[list[str]]:
    """The table's rows of cells under its title and unit line (names indented by level when
    ``indent``, as printed)."""
    rows: list[list[str]] = [[table.title], ["单位：万元"], list(table.headers)]
    for row in table.rows:
        pad = "  " * max(row.level - 1, 0) if indent and not table.coded else ""
        code = [row.code or ""] if table.coded else []
        rows.append([*code, pad + row.name, *(_amount(value) for value in row.amounts)])
    return rows


def sketch(table: GenTable) -> str:
    """The printed page as a sketch (see budgetqa.ingest.pdf_synthetic)."""
    lines = []
    for row in cells(table, indent=True):
        lines.append(row[0] if len(row) == 1 else "| " + " | ".join(row) + " |")
    return "\n".join(lines)


def render_csv(table: GenTable) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(cells(table, indent=False))
    return out.getvalue().encode()


def write_xlsx(table: GenTable, path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in cells(table, indent=False):
        sheet.append(row)
    book.save(path)
    return path


def write_pdf(pages: Sequence[PageGeometry], path: Path) -> Path:
    """A real PDF drawing ``pages``: each character where the page has it (a CJK font the
    reader need not embed), each ruling as a line."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    drawing = canvas.Canvas(str(path))
    for page in pages:
        drawing.setPageSize((page.width, page.height))
        drawing.setLineWidth(0.5)
        for ruling in page.rulings:
            if ruling.horizontal:
                y = page.height - ruling.position
                drawing.line(ruling.start, y, ruling.end, y)
            else:
                x = ruling.position
                drawing.line(x, page.height - ruling.start, x, page.height - ruling.end)
        # runs of touching characters drawn as one string each (a string of one CJK
        # character alone is not extracted from this font)
        runs: list[list[Glyph]] = []
        for glyph in page.glyphs:
            last = runs[-1][-1] if runs else None
            if (
                last is not None
                and last.baseline == glyph.baseline
                and abs(last.x1 - glyph.x0) < 0.01
                and last.size == glyph.size
            ):
                runs[-1].append(glyph)
            else:
                runs.append([glyph])
        for run in runs:
            drawing.setFont("STSong-Light", run[0].size)
            text = "".join(glyph.char for glyph in run)
            drawing.drawString(run[0].x0, page.height - run[0].baseline, text)
        drawing.showPage()
    drawing.save()
    return path
