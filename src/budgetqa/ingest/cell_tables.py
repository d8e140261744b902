"""The standard tables of a budget exported as cells: CSV, TSV and XLSX, one table or many.

A department's 收支总表, 支出总表, 基本支出表 … reach users as spreadsheets as often as PDF. Their
cells are drawn as ruled pages (each worksheet a page; a CSV or TSV file one page) and read by
the PDF table reader itself, so an export reads to the same tables, levels and amounts as the
PDF it was printed from: titles and 单位：万元 lines above a grid, header rows, codes or
indentation for the hierarchy, a cell's line breaks as a wrapped cell. Tables and rows then
carry the input's lines (and the worksheet, as their page), and every line is accounted for.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Mapping, Sequence

import attrs
import regex

from budgetqa.ingest.grid import GridRow
from budgetqa.ingest.pdf_geometry import PageGeometry
from budgetqa.ingest.pdf_synthetic import column_widths, draw_page
from budgetqa.model import Document, LineRole, PageRole, PageUse, ReadNote
from budgetqa.profiles import Profiles, resolve_profiles
from budgetqa.text import is_amount_text

__all__ = ["Sheet", "read_cell_tables"]

_SPACE = regex.compile(r"\s+")
# 单位：万元 (with the department's name beside it, or not), as a cell of its own: a header
# cell 预算数（单位：万元） is no such line.
_UNIT = regex.compile(
    r"^(?:(?:金额)?单位[:：]\s*(?:万元|千元|亿元|元)|(?:预算)?(?:单位|部门)名称[:：])"
)
_NOTE = regex.compile(r"^(?:注|说明|备注)\s*\d?\s*[:：]")
_PAGE_NUMBER = regex.compile(
    r"^(?:[-—－]\s*\d+\s*[-—－]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?)$"
)
# A line outside the grid has at most this many cells (单位名称：… and 单位：万元, say).
_TEXT_CELLS = 3
# A header takes at most this many rows.
_HEADER_ROWS = 4


@attrs.frozen
class Sheet:
    """The rows of one worksheet (or of a whole CSV/TSV file) and the page it is drawn as."""

    page: int
    name: str | None
    rows: tuple[GridRow, ...]


@attrs.frozen
class _Item:
    """What one input row is drawn as: a line of text, or a row of a ruled grid."""

    row: GridRow
    grid: bool


def _flat(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def _filled(row: GridRow) -> list[str]:
    return [cell.strip() for cell in row.cells if cell.strip()]


def _is_text_line(row: GridRow, in_grid: bool, profiles: Profiles) -> bool:
    """True when ``row`` is printed above, between or below the tables, not inside one."""
    filled = _filled(row)
    if not filled or len(filled) > _TEXT_CELLS or any(is_amount_text(cell) for cell in filled):
        return False
    flat = [_flat(cell) for cell in filled]
    if any(_UNIT.search(text) for text in flat):
        return True
    if len(filled) > 1:
        return False
    text = flat[0]
    if profiles.classify(filled[0]) is not None and not in_grid:
        return True
    return not in_grid or bool(_NOTE.search(text) or _PAGE_NUMBER.search(text))


def _items(sheet: Sheet, profiles: Profiles) -> list[_Item]:
    items: list[_Item] = []
    in_grid = False
    rows = sheet.rows
    for position, row in enumerate(rows):
        if row.blank:
            items.append(_Item(row, grid=False))
            in_grid = False
            continue
        grid = not _is_text_line(row, in_grid, profiles)
        if not in_grid and len(_filled(row)) == 1 and not _is_text_line(row, True, profiles):
            # A lone cell before any grid is a title, a caption, a note; unless it is a row of
            # the grid right below it (one continued from the page before, whose amounts are
            # blank): in a column of it, or written as wide as its rows.
            following = rows[position + 1] if position + 1 < len(rows) else None
            grid = (
                following is not None
                and (not row.cells[0].strip() or len(row.cells) == len(following.cells))
                and len(_filled(following)) > 1
                and not _is_text_line(following, True, profiles)
                and profiles.classify(_filled(row)[0]) is None
            )
        items.append(_Item(row, grid=grid))
        in_grid = grid
    return items


def _drawn(items: Sequence[_Item], used: Sequence[int]) -> list[str | list[list[str | None]]]:
    """The page items: text lines, and each run of grid rows as one grid of the ``used``
    columns (those not empty in the whole sheet: every grid of a sheet has the same columns,
    so a table printed over several pages continues in them)."""
    drawn: list[str | list[list[str | None]]] = []
    position = 0
    while position < len(items):
        item = items[position]
        if not item.grid:
            drawn.append("  ".join(_filled(item.row)))
            position += 1
            continue
        end = position
        while end < len(items) and items[end].grid:
            end += 1
        run = [items[index].row.cells for index in range(position, end)]
        width = max(len(cells) for cells in run)
        drawn.append(
            _merged(
                [[cells[c] if c < len(cells) else "" for c in used if c < width] for cells in run]
            )
        )
        position = end
    return drawn


def _merged(rows: list[list[str]]) -> list[list[str | None]]:
    """The rows with the header's merged cells restored: a header cell left blank beside a
    label, over a label of the row below, is part of that label's cell (收入 over 项目 and 预算,
    财政拨款 over its sources), as an export writes a merged cell once and blanks after it."""
    merged: list[list[str | None]] = [list(row) for row in rows]
    header = next(
        (
            position
            for position, row in enumerate(rows)
            if any(is_amount_text(cell.strip()) for cell in row)
        ),
        len(rows),
    )
    for position in range(min(header, _HEADER_ROWS) - 1):
        row, below = merged[position], rows[position + 1]
        for column in range(1, len(row)):
            left = row[column - 1]
            if (
                not (row[column] or "").strip()
                and (left is None or left.strip())
                and column < len(below)
                and below[column].strip()
            ):
                row[column] = None
    return merged


@attrs.frozen
class _Placed:
    """The drawn items of one page: their tops, the input rows they are, and the sheet."""

    tops: tuple[float, ...]
    items: tuple[_Item, ...]
    sheet: int

    def find(self, y: float) -> GridRow:
        position = max(0, bisect.bisect_right(self.tops, y) - 1)
        return self.items[position].row


def read_cell_tables(
    path: str,
    sheets: Sequence[Sheet],
    *,
    layout: str,
    encoding: str | None,
    total_lines: int,
    source_lines: Sequence[str],
    notes: Sequence[ReadNote] = (),
    profiles: Profiles | None = None,
) -> Document | None:
    """Read the standard tables in ``sheets``, or ``None`` when they hold no table title.

    A worksheet is a page of the document (its number the worksheet's position); a CSV or
    TSV file is one sheet, and its document has lines but no pages. ``total_lines`` and
    ``source_lines`` are the input's, for the line accounting of a single sheet.
    """
    from budgetqa.ingest.pdf_tables import read_pdf_pages

    chosen = resolve_profiles(profiles)
    if not any(_titled(sheet, chosen) for sheet in sheets):
        return None  # no table's title: nothing is drawn
    pages: list[PageGeometry] = []
    placed: dict[int, _Placed] = {}
    # Every grid of the input has the same columns (those not empty anywhere in it) and the
    # same widths: a table printed over several pages, a worksheet each, continues in them.
    parts = [
        (sheet.page, _items(part, chosen))
        for sheet in sheets
        for part in _printed_pages(_with_title(sheet, chosen))
    ]
    cells = [item.row.cells for _, items in parts for item in items if item.grid]
    used = [
        column
        for column in range(max((len(row) for row in cells), default=0))
        if any(column < len(row) and row[column].strip() for row in cells)
    ]
    drawn = [_drawn(items, used) for _, items in parts]
    widths = column_widths(
        [row for page in drawn for grid in page if not isinstance(grid, str) for row in grid]
    )
    for (sheet_page, items), page_items in zip(parts, drawn, strict=True):
        page, spans = draw_page(len(pages) + 1, page_items, widths)
        pages.append(page)
        placed[page.number] = _Placed(tuple(top for top, _ in spans), tuple(items), sheet_page)
    single = len(sheets) == 1

    def locate(page: int, top: float, bottom: float) -> tuple[int | None, int, int]:
        where = placed[page]
        first = where.find(top)
        last = where.find(max(top, bottom - 0.5))
        return (None if single else where.sheet), first.line, last.end_line

    document = read_pdf_pages(path, pages, chosen, layout=layout, locate=locate)
    roles = _line_roles(document, list(placed.values()), total_lines) if single else ()
    return attrs.evolve(
        document,
        encoding=encoding,
        line_roles=roles,
        source_lines=tuple(source_lines),
        notes=tuple(notes),
        pages=() if single else _sheet_roles(document, placed),
    )


def _printed_pages(sheet: Sheet) -> list[Sheet]:
    """The sheet cut after each page number (- 3 -, 第3页): an export of a printed budget
    keeps the pages' furniture, and a table's title and header repeated on the next page
    then continue it, as in the PDF."""
    parts: list[list[GridRow]] = [[]]
    for row in sheet.rows:
        parts[-1].append(row)
        filled = _filled(row)
        if len(filled) == 1 and _PAGE_NUMBER.search(_flat(filled[0])):
            parts.append([])
    return [attrs.evolve(sheet, rows=tuple(rows)) for rows in parts if rows]


def _sheet_roles(document: Document, placed: Mapping[int, _Placed]) -> tuple[PageRole, ...]:
    """A workbook's accounting: one entry per worksheet, with the tables on it."""
    uses: dict[int, set[PageUse]] = {}
    tables: dict[int, set[int]] = {}
    for role in document.pages:
        sheet = placed[role.page].sheet
        uses.setdefault(sheet, set()).add(role.use)
        tables.setdefault(sheet, set()).update(role.tables)
    roles = []
    for sheet in sorted(uses):
        found = uses[sheet]
        use = next(
            (kind for kind in (PageUse.TABLE, PageUse.NARRATIVE) if kind in found), PageUse.BLANK
        )
        roles.append(PageRole(sheet, use, tuple(sorted(tables[sheet]))))
    return tuple(roles)


def _with_title(sheet: Sheet, profiles: Profiles) -> Sheet:
    """A worksheet named after its table (表3 支出总表) without the title in its cells gets
    its name as the title, on its first row."""
    if sheet.name is None or profiles.classify(sheet.name) is None or _titled_rows(sheet, profiles):
        return sheet
    first = next((row.line for row in sheet.rows if not row.blank), 1)
    return attrs.evolve(sheet, rows=(GridRow(first, first, (sheet.name,)), *sheet.rows))


def _titled(sheet: Sheet, profiles: Profiles) -> bool:
    return _titled_rows(sheet, profiles) or (
        sheet.name is not None and profiles.classify(sheet.name) is not None
    )


def _titled_rows(sheet: Sheet, profiles: Profiles) -> bool:
    return any(
        len(filled := _filled(row)) <= _TEXT_CELLS
        and any(profiles.classify(cell) is not None for cell in filled)
        for row in sheet.rows
    )


def _line_roles(
    document: Document, placed: Sequence[_Placed], total_lines: int
) -> tuple[LineRole, ...]:
    """Every input line's role: a table's rows, its header (and a header repeated lower down,
    as page furniture), titles, units and notes, blank lines."""
    roles = [LineRole.BLANK] * total_lines
    row_lines: set[int] = set()
    first_rows: list[int] = []
    for table in document.tables:
        for table_row in table.rows:
            row_lines.update(range(table_row.line, table_row.end_line + 1))
        if table.rows:
            first_rows.append(min(table_row.line for table_row in table.rows))
    for item in (item for page in placed for item in page.items):
        row = item.row
        if row.blank:
            role = LineRole.BLANK
        elif row.line in row_lines:
            role = LineRole.ROW
        elif not item.grid:
            role = LineRole.TITLE
        else:
            # a grid row that is no table row: the header above the table's first row, else
            # the header printed again (or a page's furniture) inside the grid
            following = [first for first in first_rows if first > row.line]
            preceding = [first for first in first_rows if first < row.line]
            before_first = following and (not preceding or max(preceding) < min(following))
            role = LineRole.HEADER if before_first or not first_rows else LineRole.PAGE_HEADER
        for line in range(row.line, row.end_line + 1):
            if 1 <= line <= total_lines:
                roles[line - 1] = role
    return tuple(roles)
