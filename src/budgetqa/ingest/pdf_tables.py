"""Reading the tables of a whole 部门预算 PDF: find each table by its title and grid, classify
it, read its header and rows, and account for every page.

The structure of a table comes from the page, never from a list of names: columns from the
ruled grid and the header cells over them, a column's role from what its cells hold (codes,
amounts, text), a row's level from its classification code (类 3 digits → 款 5 → 项 7; 经济分类
301 → 30101), else from its indentation, else from its numbering (一、 → （一） → 1.). A
table whose header or hierarchy could not be established carries the problems that say why,
and is never presented as read.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import attrs
import regex

from budgetqa.ingest.pdf_geometry import PageGeometry, PdfError, read_pages
from budgetqa.ingest.pdf_layout import Band, Cell, Grid, TextLine, find_grids, text_lines
from budgetqa.ingest.pdf_rows import project_rows
from budgetqa.model import (
    Column,
    ColumnRole,
    Document,
    PageRole,
    PageText,
    PageUse,
    StructureProblem,
    Table,
    TableRow,
)
from budgetqa.profiles import Hierarchy, Profiles, TableProfile, resolve_profiles
from budgetqa.text import AmountOutOfRangeError, is_amount_text, parse_amount

__all__ = ["Locate", "read_pdf", "read_pdf_pages"]

#: Where a stretch of a drawn page came from: ``(page, top, bottom)`` → ``(page or None, line,
#: end_line)`` of the input that was drawn (a worksheet and its rows, a CSV file's lines).
Locate = Callable[[int, float, float], tuple[int | None, int, int]]

_SPACE = regex.compile(r"\s+")
_UNIT = regex.compile(r"(?:金额)?单位[:：]\s*(万元|千元|亿元|元)")
_DEPARTMENT = regex.compile(
    r"(?:单位|部门|预算单位|编制单位)(?:名称)?[:：]\s*(?!(?:万元|千元|亿元|元)(?:\s|$))(\S+?)(?:\s|单位[:：]|$)"
)
_NOTE = regex.compile(r"^\s*(?:注|说明|备注)\s*\d?\s*[:：]")
# How any kind of table says it is empty on purpose; a profile may add its own phrasings.
_GENERIC_EMPTY = regex.compile(
    r"无(?:此项|该项)?(?:政府性基金|国有资本经营)?(?:预算)?(?:收支|支出|收入)?(?:预算|发生额|数据|安排)"
    r"|本表(?:本年)?(?:无|为空)|空表|无.{0,20}(?:预算|支出|发生额|数据)"
)
_PAGE_NUMBER = regex.compile(
    r"^\s*(?:[-—－]\s*\d+\s*[-—－]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+)\s*$"
)
_TOTAL_NAME = regex.compile(
    r"^(?:合计|总计|小计|共计|本年(?:收入|支出)合计|(?:收入|支出)(?:总计|合计)|[\p{Han}]{0,8}合计)$"
)
_CODE = regex.compile(r"^\d{3}(?:\d{2}){0,3}$")
_HALF_CENT = Decimal("0.005")
_SPLIT_CODE = regex.compile(r"^\d{2}$")
# A code printed in the name's cell: [20140]信访事务, 【301】工资福利支出, 2010101 行政运行.
_NAME_CODE = regex.compile(
    r"^(?:[\[【［]\s*(\d{3}(?:\d{2}){0,3})\s*[\]】］]|(\d{3}(?:\d{2}){0,3})\s+(?=\p{Han}))"
)
_NUMBERING = (
    ("han", regex.compile(r"^[一二三四五六七八九十]+[、.．]")),
    ("paren_han", regex.compile(r"^[（(][一二三四五六七八九十]+[)）]")),
    ("arabic", regex.compile(r"^\d+[、.．](?!\d)")),
    ("paren_arabic", regex.compile(r"^[（(]\d+[)）]")),
)
# Header cells that number the columns (栏次 1 2 3 …) are header, not a row of amounts.
_COLUMN_NUMBERS = regex.compile(r"栏次|^[\d\s]+$")
# Hierarchies that always have more than one level below the total when a table has rows.
_LEVELLED = frozenset({Hierarchy.FUNCTION_CODE, Hierarchy.ECONOMIC_CODE, Hierarchy.UNIT_PROJECT})
# Indentation steps smaller than this (points) are the same level.
_INDENT_STEP = 3.0
# A continuation grid spans the table's width to within this many points at either side.
_SAME_EXTENT = 12.0
# A title is a short line; a sentence that names a table is not its title.
_MAX_TITLE = 60


def normal(text: str) -> str:
    """Text as matched: NFKC, no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def read_pdf(
    path: str | Path, profiles: Profiles | None = None, *, data: bytes | None = None
) -> Document:
    """Read every table of the PDF at ``path`` into one :class:`Document`."""
    return read_pdf_pages(str(path), read_pages(path, data), profiles)


def read_pdf_pages(
    path: str,
    pages: Iterable[PageGeometry],
    profiles: Profiles | None = None,
    *,
    layout: str = "pdf",
    locate: Locate | None = None,
) -> Document:
    """Read the tables of already extracted pages (see :func:`read_pdf`).

    ``profiles`` say which kind of table a title line announces, how its rows nest and what
    its columns are called; by default the shipped table profiles
    (:func:`budgetqa.profiles.builtin_profiles`). Pages drawn from another input (cells of a
    CSV or a worksheet) give ``layout`` and ``locate``, which maps positions on the drawn pages
    back to the input's lines: tables and rows then carry those lines.

    Raises:
        PdfError: no page has a text layer (a scanned document: run OCR first).
    """
    builder = _DocumentBuilder(path, resolve_profiles(profiles))
    for page in pages:
        builder.add_page(page)
    if builder.pages and all(
        role.use is not PageUse.TABLE and role.use is not PageUse.NARRATIVE
        for role in builder.pages
    ):
        scanned = [role.page for role in builder.pages if role.use is PageUse.NO_TEXT]
        if scanned:
            reason = (
                f"no page has a text layer ({len(scanned)} scanned pages): "
                "run OCR first, e.g. ocrmypdf, and read the result"
            )
        else:
            reason = "every page is blank: there is nothing to read"
        raise PdfError(reason, path=path)
    return builder.finish(layout, locate)


@attrs.define
class _TableDraft:
    kind: TableProfile | None
    title: str
    first_page: int
    last_page: int
    unit: str | None
    department: str | None
    header: list[list[Band]] = attrs.Factory(list)  # header bands of the first page
    labels: list[str] | None = None
    edges: tuple[float, ...] = ()
    body: list[tuple[int, Band, tuple[float, ...]]] = attrs.Factory(list)
    notes: list[str] = attrs.Factory(list)
    #: Lines with figures on the table's pages that no grid holds: (page, text).
    stray: list[tuple[int, str]] = attrs.Factory(list)
    #: Where the table starts (its title, else its grid) and where its last grid ends.
    top: float = 0.0
    bottom: float = 0.0


class _DocumentBuilder:
    def __init__(self, path: str, profiles: Profiles) -> None:
        self.path = path
        self.classify = profiles.classify
        self.project_kinds = frozenset(profile.kind for profile in profiles if profile.project_rows)
        self.drafts: list[_TableDraft] = []
        self.pages: list[PageRole] = []
        self.department: str | None = None
        #: The text of each narrative page (情况说明 …), for the checks of stated figures.
        self.narrative: list[PageText] = []

    def add_page(self, page: PageGeometry) -> None:
        if not page.has_text:
            use = PageUse.NO_TEXT if page.images else PageUse.BLANK
            self.pages.append(PageRole(page.number, use))
            return
        lines = text_lines(page.glyphs)
        grids = [_without_caption(grid) for grid in find_grids(page, lines) if grid.bands]
        titles = self._titles(lines, grids)
        on_page: list[int] = []
        grid_index = 0
        events = sorted(
            [(line.top, "title", line, kind) for line, kind in titles]
            + [(grid.top, "grid", grid, None) for grid in grids],
            key=lambda event: event[0],
        )
        current = self.drafts[-1] if self.drafts else None
        for top, what, item, kind in events:
            if what == "title":
                assert isinstance(item, TextLine)
                if _repeats_title(current, item.text, page.number):
                    continue  # the title printed again on a continuation page
                current = _TableDraft(
                    kind=kind,
                    title=item.text,
                    first_page=page.number,
                    last_page=page.number,
                    unit=self._unit(lines, top),
                    department=self._department(lines, top),
                    top=item.top,
                    bottom=item.bottom,
                )
                self.drafts.append(current)
                on_page.append(len(self.drafts) - 1)
                continue
            assert isinstance(item, Grid)
            grid_index += 1
            if (
                current is None
                or (
                    not _has_amounts(item)
                    and current.labels is not None
                    and not _same_header(item, current)
                )
                or (
                    current.labels is not None
                    and current.last_page < page.number
                    and not _continues(item, current)
                )
            ):
                current = _TableDraft(
                    kind=None,
                    title="",
                    first_page=page.number,
                    last_page=page.number,
                    unit=self._unit(lines, top),
                    department=self._department(lines, top),
                    top=top,
                    bottom=top,
                )
                self.drafts.append(current)
            self._add_grid(current, item, page.number)
            if not on_page or on_page[-1] != len(self.drafts) - 1:
                on_page.append(len(self.drafts) - 1)
            current.notes.extend(_notes_below(lines, item, grids))
        for index in on_page:
            draft = self.drafts[index]
            if not draft.body and not draft.notes:
                draft.notes.extend(_notes_below_title(lines, draft.title))
        if on_page:
            self._stray_figures(lines, grids, titles, self.drafts[on_page[-1]], page.number)
        use = PageUse.TABLE if on_page else PageUse.NARRATIVE
        self.pages.append(PageRole(page.number, use, tuple(sorted(set(on_page)))))
        if use is PageUse.NARRATIVE:
            self.narrative.append(PageText(page.number, "\n".join(line.text for line in lines)))

    @staticmethod
    def _stray_figures(
        lines: Sequence[TextLine],
        grids: Sequence[Grid],
        titles: Sequence[tuple[TextLine, TableProfile]],
        draft: _TableDraft,
        page: int,
    ) -> None:
        """Lines of a table page that carry figures (two amounts or more, apart) but lie in no
        grid: rows a grid did not take. They are the table's to report, never dropped."""
        taken = {id(line) for line, _ in titles}
        for line in lines:
            middle = (line.top + line.bottom) / 2
            if id(line) in taken or any(
                grid.top - 1 <= middle <= grid.bottom + 1 for grid in grids
            ):
                continue
            if sum(1 for token in line.text.split() if is_amount_text(token)) >= 2:
                draft.stray.append((page, line.text))

    def _titles(
        self, lines: Sequence[TextLine], grids: Sequence[Grid]
    ) -> list[tuple[TextLine, TableProfile]]:
        found: list[tuple[TextLine, TableProfile]] = []
        for position, line in enumerate(lines):
            if any(
                grid.top - 1 <= (line.top + line.bottom) / 2 <= grid.bottom + 1 for grid in grids
            ):
                continue
            text = line.text
            flat = normal(text)
            if not flat or len(flat) > _MAX_TITLE or flat.endswith("。") or _is_toc_line(text):
                continue
            kind = self.classify(text)
            if kind is None:
                continue
            below = lines[position + 1 : position + 6]
            followed = any(grid.top >= line.bottom - 1 for grid in grids) or any(
                _UNIT.search(normal(other.text)) or _GENERIC_EMPTY.search(normal(other.text))
                for other in below
            )
            if followed:
                found.append((line, kind))
        return found

    def _unit(self, lines: Sequence[TextLine], top: float) -> str | None:
        for line in lines:
            if line.top >= top - 1:
                found = _UNIT.search(normal(line.text))
                if found:
                    return found.group(1)
                if line.top > top + 200:
                    break
        return None

    def _department(self, lines: Sequence[TextLine], top: float) -> str | None:
        for line in lines:
            if line.top >= top - 1 and line.top <= top + 200:
                found = _DEPARTMENT.search(unicodedata.normalize("NFKC", line.text))
                if found:
                    self.department = self.department or found.group(1)
                    return found.group(1)
        return None

    def _add_grid(self, draft: _TableDraft, grid: Grid, page: int) -> None:
        draft.last_page = page
        draft.bottom = grid.bottom
        bands = list(grid.bands)
        start = 0
        if draft.labels is None:
            while start < len(bands) and _is_header_band(bands[start]):
                start += 1
            if start == len(bands) and draft.kind is not None and not draft.kind.amounts_required:
                # A table of text only (绩效目标): the header is the first row, and the rows
                # under any of its cells that spans columns (a group label over its parts).
                start = 1
                while start < len(bands) and any(
                    cell.first != cell.last for cell in bands[start - 1].cells
                ):
                    start += 1
            draft.header = [bands[:start]]
            draft.labels = _labels(bands[:start], grid.columns)
            draft.edges = grid.edges
        else:
            # A continuation repeats the header (or not): skip the bands that match it, as
            # labels (a header wrapped differently, 其他资金 over one line or two, is the same)
            # or cell by cell.
            leading = 0
            while leading < len(bands) and _is_header_band(bands[leading]):
                leading += 1
            if leading and _labels(bands[:leading], grid.columns) == draft.labels:
                start = leading
            header_texts = {normal(cell.text) for band in draft.header[0] for cell in band.cells}
            while (
                start < len(bands)
                and _is_header_band(bands[start])
                and all(normal(cell.text) in header_texts for cell in bands[start].cells)
            ):
                start += 1
        for band in bands[start:]:
            if _is_furniture(band):
                continue
            if grid.edges != draft.edges:
                band = _remap(band, grid.edges, draft.edges)
            draft.body.append((page, band, draft.edges))

    def finish(self, layout: str = "pdf", locate: Locate | None = None) -> Document:
        tables = tuple(_table(draft) for draft in self.drafts)
        if locate is not None:
            tables = tuple(
                _located(table, draft, locate)
                for table, draft in zip(tables, self.drafts, strict=True)
            )
        found = project_rows(self.path, tables, self.project_kinds)
        rows_table, rows = found if found is not None else (None, ())
        return Document(
            path=self.path,
            layout=layout,
            encoding=None,
            department=self.department,
            unit_of_money=next(
                (table.unit_of_money for table in tables if table.unit_of_money), None
            ),
            title=None,
            rows=rows,
            fragments=(),
            line_roles=(),
            tables=tables,
            rows_table=rows_table,
            row_texts=()
            if rows_table is None
            else tuple(
                key
                for key in ("goal", "indicators")
                if any(column.key == key for column in tables[rows_table].columns)
            ),
            pages=tuple(self.pages),
            narrative=tuple(self.narrative),
        )


def _located(table: Table, draft: _TableDraft, locate: Locate) -> Table:
    """``table`` with the lines of the input its drawn page came from."""
    first_page, first, _ = locate(draft.first_page, draft.top, draft.top + 1)
    last_page, _, last = locate(draft.last_page, draft.bottom - 1, draft.bottom)
    rows = []
    for row in table.rows:
        page, line, end_line = locate(row.page or 1, row.line, row.end_line)
        rows.append(attrs.evolve(row, page=page, line=line, end_line=max(line, end_line)))
    return attrs.evolve(
        table,
        rows=tuple(rows),
        pages=None if first_page is None or last_page is None else (first_page, last_page),
        lines=(first, max(first, last)) if first_page == last_page else None,
    )


def _without_caption(grid: Grid) -> Grid:
    """The grid less the rows above its header that are one cell across the whole width: a
    title and a 部门名称/单位 line some templates rule inside the table's frame. They are
    text above the grid, where titles and units are looked for."""
    bands = list(grid.bands)
    start = 0
    while start < len(bands) - 1 and (
        (
            len(bands[start].cells) == 1
            and bands[start].cells[0].first == 0
            and bands[start].cells[0].last == grid.columns - 1
            and not _amount_cell(bands[start].cells[0])
        )
        or (  # 部门：… | 单位：万元 ruled as a row of its own
            start > 0
            and _UNIT.search(normal(" ".join(cell.text for cell in bands[start].cells)))
            and not any(_amount_cell(cell) for cell in bands[start].cells)
        )
    ):
        start += 1
    if start == 0:
        return grid
    return attrs.evolve(grid, top=bands[start].top, bands=tuple(bands[start:]))


def _remap(band: Band, edges: Sequence[float], target: Sequence[float]) -> Band:
    """A continuation page's row in the columns of the table's first page, by position.

    A continuation grid may be ruled a little differently (a stray line, a column drawn a
    point wider); each cell goes to the first page's columns whose middles it covers.
    """
    middles = [(left + right) / 2 for left, right in itertools.pairwise(target)]
    cells: list[Cell] = []
    for cell in band.cells:
        left, right = edges[cell.first], edges[cell.last + 1]
        covered = [index for index, middle in enumerate(middles) if left <= middle <= right]
        if not covered:
            centre = (left + right) / 2
            covered = [min(range(len(middles)), key=lambda index: abs(middles[index] - centre))]
        cells.append(attrs.evolve(cell, first=covered[0], last=covered[-1]))
    return attrs.evolve(band, cells=tuple(cells))


def _is_toc_line(text: str) -> bool:
    """A line of the table of contents: a title, leader dots, a page number (linear time)."""
    rest = text.rstrip().rstrip("0123456789").rstrip()
    return rest.endswith(("...", "……", "···", "----", "．．．"))


def _repeats_title(draft: _TableDraft | None, title: str, page: int) -> bool:
    """True when ``title`` heads the next page of the table ``draft`` (printed on each page)."""
    return (
        draft is not None
        and draft.labels is not None
        and draft.last_page == page - 1
        and normal(draft.title) == normal(title)
    )


def _has_amounts(grid: Grid) -> bool:
    return any(_amount_cell(cell) for band in grid.bands for cell in band.cells)


def _continues(grid: Grid, draft: _TableDraft) -> bool:
    """Whether an untitled grid at the top of a later page can be the table's continuation:
    it repeats the header, or it spans the same width with the same columns (one ruling more
    or less: continuation pages are not always ruled alike). A grid of other columns is
    another table, never rows of this one."""
    if _same_header(grid, draft):
        return True
    edges, before = grid.edges, draft.edges
    return (
        bool(before)
        and abs(len(edges) - len(before)) <= 1
        and abs(edges[0] - before[0]) <= _SAME_EXTENT
        and abs(edges[-1] - before[-1]) <= _SAME_EXTENT
    )


def _same_header(grid: Grid, draft: _TableDraft) -> bool:
    if not draft.header:
        return False
    texts = {normal(cell.text) for band in draft.header[0] for cell in band.cells}
    first = grid.bands[0] if grid.bands else None
    return first is not None and all(normal(cell.text) in texts for cell in first.cells)


def _amount_cell(cell: Cell) -> bool:
    return "\n" not in cell.text and is_amount_text(cell.text)


def _is_header_band(band: Band) -> bool:
    texts = [cell.text for cell in band.cells]
    if (
        any(_COLUMN_NUMBERS.search(normal(text)) for text in texts)
        and all(normal(text).isdigit() or "栏次" in normal(text) for text in texts)
        and any("栏次" in normal(text) for text in texts)
    ):
        return True
    return not any(_amount_cell(cell) for cell in band.cells)


def _is_furniture(band: Band) -> bool:
    return all(_PAGE_NUMBER.match(cell.text) for cell in band.cells) and len(band.cells) == 1


def _labels(header: Sequence[Band], columns: int) -> list[str]:
    """Each leaf column's header: stacked cells of the same span join as one wrapped label,
    a cell spanning more columns is a group label above (``财政拨款/一般公共预算``)."""
    labels: list[list[tuple[tuple[int, int], str]]] = [[] for _ in range(columns)]
    for band in header:
        for cell in band.cells:
            for column in range(cell.first, min(cell.last, columns - 1) + 1):
                parts = labels[column]
                span = (cell.first, cell.last)
                text = normal(cell.text)
                if parts and parts[-1][0] == span:
                    parts[-1] = (span, parts[-1][1] + text)
                else:
                    parts.append((span, text))
    return ["/".join(text for _, text in parts) for parts in labels]


# --- turning drafts into tables ---------------------------------------------------------------


def _table(draft: _TableDraft) -> Table:
    kind = draft.kind
    labels = draft.labels or []
    problems: list[tuple[StructureProblem, str]] = []
    note = " ".join(draft.notes) or None
    empty_note = note is not None and (
        _GENERIC_EMPTY.search(normal(note)) is not None
        or (kind is not None and kind.empty_note(normal(note)))
    )
    if draft.labels is None:
        if not empty_note:
            problems.append(
                (
                    StructureProblem.NO_HEADER,
                    f"page {draft.first_page}: no ruled grid under the title",
                )
            )
        return Table(
            kind=kind.kind if kind else "unknown",
            title=draft.title,
            columns=(),
            rows=(),
            unit_of_money=draft.unit,
            pages=(draft.first_page, draft.last_page),
            department=draft.department,
            note=note,
            problems=tuple(problems),
            standard=kind.standard if kind else None,
            note_says_empty=empty_note,
        )
    roles = _roles(labels, draft.body)
    sides = _sides(labels, roles, draft.header[0] if draft.header else [])
    keys = kind.column_keys(labels, sides) if kind else [None] * len(labels)
    if kind is not None:  # figures the profile says are not money (序号, 指标值) are text
        figures = {spec.key for spec in kind.columns if not spec.money}
        roles = [
            ColumnRole.TEXT if role is ColumnRole.MONEY and key in figures else role
            for key, role in zip(keys, roles, strict=True)
        ]
    columns = tuple(
        Column(
            key=keys[index] or f"c{index + 1}",
            header=label or f"column {index + 1}",
            role=role,
            side=sides[index],
        )
        for index, (label, role) in enumerate(zip(labels, roles, strict=True))
    )
    if not any(label for label in labels):
        problems.append(
            (
                StructureProblem.NO_HEADER,
                f"page {draft.first_page}: no column header above the rows",
            )
        )
    if ColumnRole.MONEY not in roles and (kind is None or kind.amounts_required):
        problems.append(
            (StructureProblem.NO_MONEY_COLUMN, f"page {draft.first_page}: no column of amounts")
        )
    if (
        kind is not None
        and any(side in ("left", "right") for side in sides)
        and not any(spec.side for spec in kind.columns)
    ):
        names = " | ".join(column.header for column in columns if column.role is ColumnRole.NAME)
        problems.append(
            (
                StructureProblem.UNEXPECTED_HALVES,
                f"page {draft.first_page}: read as two halves side by side ({names}),"
                " which this kind of table does not have",
            )
        )
    rows, unread = _rows(draft, columns)
    if unread:
        problems.append((StructureProblem.UNREAD_CELLS, "; ".join(unread[:5])))
    if draft.stray:
        page, text = draft.stray[0]
        problems.append(
            (
                StructureProblem.UNREAD_LINES,
                f"page {page}: {len(draft.stray)} line(s) with figures outside the grid,"
                f" the first: {text[:80]!r}",
            )
        )
    if not rows and not empty_note:
        problems.append(
            (StructureProblem.NO_ROWS, f"page {draft.first_page}: no rows and no note saying why")
        )
    hierarchy = kind.hierarchy if kind else Hierarchy.FLAT
    items = [row for row in rows if row.level > 0]
    if (
        hierarchy in _LEVELLED
        and len(items) > 3
        and len({row.level for row in items}) == 1
        and any(row.amounts and any(row.amounts) for row in items)
    ):
        problems.append(
            (
                StructureProblem.FLAT_HIERARCHY,
                f"pages {draft.first_page}–{draft.last_page}: all {len(items)} rows on one level "
                f"(expected {hierarchy.replace('_', ' ')} levels)",
            )
        )
    return Table(
        kind=kind.kind if kind else "unknown",
        title=draft.title,
        columns=columns,
        rows=tuple(rows),
        unit_of_money=draft.unit,
        pages=(draft.first_page, draft.last_page),
        department=draft.department,
        note=note,
        problems=tuple(problems),
        relations=kind.relations if kind else (),
        standard=kind.standard if kind else None,
        note_says_empty=empty_note,
    )


def _roles(
    labels: Sequence[str], body: Sequence[tuple[int, Band, tuple[float, ...]]]
) -> list[ColumnRole]:
    counts = [[0, 0, 0, 0] for _ in labels]  # amounts, codes, text, cells
    for _, band, _ in body:
        for cell in band.cells:
            if cell.first != cell.last:
                continue
            if cell.first >= len(labels):
                continue
            flat = normal(cell.text)
            count = counts[cell.first]
            count[3] += 1
            if _CODE.match(flat) or (_SPLIT_CODE.match(flat) and _code_label(labels[cell.first])):
                count[1] += 1
            elif _amount_cell(cell):
                count[0] += 1
            else:
                count[2] += 1
    roles: list[ColumnRole] = []
    for label, (amounts, codes, texts, cells) in zip(labels, counts, strict=True):
        if _code_label(label) or (cells and codes >= 0.8 * cells and codes > 0):
            roles.append(ColumnRole.CODE)
        elif cells and amounts >= 0.8 * cells:
            roles.append(ColumnRole.MONEY)
        elif texts or _name_label(label):
            roles.append(ColumnRole.TEXT)
        else:
            roles.append(ColumnRole.MONEY)  # an empty column under a money header
    # The first text column of each run of columns is the name; other text columns are text.
    named = False
    for index, role in enumerate(roles):
        if role is ColumnRole.MONEY:
            named = (
                False
                if index + 1 < len(roles) and roles[index + 1] is not ColumnRole.MONEY
                else named
            )
            continue
        if role is ColumnRole.TEXT and not named:
            roles[index] = ColumnRole.NAME
            named = True
        elif role is ColumnRole.CODE:
            named = False
    # A name heads amounts: a text column after the last amounts (绩效目标 at the right edge)
    # is text, not the name of a second half of the table.
    names = [index for index, role in enumerate(roles) if role is ColumnRole.NAME]
    for index in names[1:]:
        if ColumnRole.MONEY not in roles[index + 1 :]:
            roles[index] = ColumnRole.TEXT
    # Of two names with no amounts between them (预算单位 | 科目编码 | 科目名称 | amounts), the one
    # nearest the amounts names the rows; the other is a text column (the unit a group is of).
    names = [index for index, role in enumerate(roles) if role is ColumnRole.NAME]
    for first, second in itertools.pairwise(names):
        if ColumnRole.MONEY not in roles[first + 1 : second]:
            roles[first] = ColumnRole.TEXT
    return roles


_CODE_LABEL = regex.compile(r"编码|代码|^(?:.*/)?(?:类|款|项)$")
# A header that names the rows: …名称, 项目, 科目, 单位, 预算单位, 支出项目类别. Not a money
# header that merely contains 单位 or 项目 (事业单位经营支出, 附属单位上缴收入, 项目支出).
_NAME_LABEL = regex.compile(r"名称$|^(?:(?:收入|支出)?项目|科目|(?:预算)?单位)$|项目类别")


def _code_label(label: str) -> bool:
    last = label.rsplit("/", 1)[-1]
    return bool(_CODE_LABEL.search(last))


def _name_label(label: str) -> bool:
    return bool(_NAME_LABEL.search(label.rsplit("/", 1)[-1]))


def _sides(
    labels: Sequence[str], roles: Sequence[ColumnRole], header: Sequence[Band]
) -> list[str | None]:
    """For a paired table (two name columns, each followed by amounts), which half each
    column is in: ``income``/``expenditure`` from the group label, else ``left``/``right``."""
    names = [index for index, role in enumerate(roles) if role is ColumnRole.NAME]
    if len(names) != 2:
        return [None] * len(labels)
    split = names[1]
    # Each half takes its side from the group label over its name column (收入 / 支出).
    left = labels[names[0]].split("/", 1)[0]
    right = labels[split].split("/", 1)[0]
    left_side = "income" if "收" in left and "支" not in left else "left"
    right_side = "expenditure" if "支" in right and "收" not in right else "right"
    return [left_side if index < split else right_side for index in range(len(labels))]


def _rows(draft: _TableDraft, columns: tuple[Column, ...]) -> tuple[list[TableRow], list[str]]:
    sides = sorted({column.side for column in columns}, key=lambda side: side or "")
    if sides != [None]:
        sides = [column.side for column in columns if column.role is ColumnRole.NAME]
    rows: list[TableRow] = []
    unread: list[str] = []
    for side in sides:
        part = [index for index, column in enumerate(columns) if column.side == side]
        rows.extend(_side_rows(draft, columns, part, side, len(rows), unread))
    rows.sort(key=lambda row: (row.page or 0, row.line, 0 if row.side != "expenditure" else 1))
    renumbered = _renumber(rows)
    return renumbered, unread


def _renumber(rows: list[TableRow]) -> list[TableRow]:
    mapping = {row.index: position for position, row in enumerate(rows)}
    return [
        attrs.evolve(
            row,
            index=mapping[row.index],
            parent=None if row.parent is None else mapping[row.parent],
        )
        for row in rows
    ]


@attrs.define
class _Raw:
    page: int
    line: int
    end_line: int
    code: str | None
    name: str
    indent: float
    amounts: tuple[Decimal | None, ...]
    texts: tuple[str, ...]
    #: Named by the group column left of the name (预算单位): the total of the group below.
    group: bool = False


def _side_rows(
    draft: _TableDraft,
    columns: tuple[Column, ...],
    part: Sequence[int],
    side: str | None,
    offset: int,
    unread: list[str],
) -> list[TableRow]:
    codes = [index for index in part if columns[index].role is ColumnRole.CODE]
    name = next((index for index in part if columns[index].role is ColumnRole.NAME), None)
    money = [index for index in part if columns[index].role is ColumnRole.MONEY]
    text = [index for index in part if columns[index].role is ColumnRole.TEXT]
    raws: list[_Raw] = []
    split_code: list[str] = []
    for page, band, edges in draft.body:
        cells = {column: band.cell(column) for column in part}
        name_cell = cells.get(name) if name is not None else None
        if name_cell is None:
            # A cell spanning code and name columns (合计 across both) holds the name.
            name_cell = next(
                (
                    cell
                    for cell in cells.values()
                    if cell is not None and cell.first != cell.last and not _amount_cell(cell)
                ),
                None,
            )
        code_parts = [_cell_text(cells[index], name_cell) for index in codes]
        if name_cell is None and any(part and not part.isdigit() for part in code_parts):
            # 合计 printed in the code column (a merged cell exported into its first column)
            name_cell = next(
                cell
                for index in codes
                if (cell := cells[index]) is not None and not normal(cell.text).isdigit()
            )
            code_parts = [_cell_text(cells[index], name_cell) for index in codes]
        amounts: list[Decimal | None] = []
        for index in money:
            cell = cells[index]
            if cell is None or cell is name_cell:
                amounts.append(None)
                continue
            try:
                amounts.append(parse_amount(cell.text.replace("\n", "")))
            except (ValueError, AmountOutOfRangeError):
                amounts.append(None)
                unread.append(f"page {page}: {cell.text!r} under {columns[index].header}")
        name_text = _join(name_cell.text) if name_cell is not None else ""
        group = False
        if not name_text and name is not None:
            # a group's own row names it in a text column left of the name (预算单位)
            label = next(
                (
                    cell
                    for index in text
                    if index < name and (cell := cells[index]) is not None and cell.text.strip()
                ),
                None,
            )
            if label is not None:
                name_cell, name_text, group = label, _join(label.text), True
        if (
            not name_text
            and not any(amount is not None for amount in amounts)
            and not any(code_parts)
            and not any((cell := cells[index]) is not None and cell.text.strip() for index in text)
        ):
            continue  # an empty band: nothing printed in it is lost
        code = _full_code(code_parts, split_code)
        if code is None and (
            printed := _NAME_CODE.match(unicodedata.normalize("NFKC", name_text).strip())
        ):
            code = printed.group(1) or printed.group(2)
        line = int(band.top)
        raws.append(
            _Raw(
                page=page,
                line=max(1, line),
                end_line=max(1, int(band.bottom)),
                code=code,
                name=name_text,
                indent=(name_cell.x0 - edges[name_cell.first]) if name_cell is not None else 0.0,
                amounts=tuple(amounts),
                texts=tuple(_join(cell.text) if (cell := cells[index]) else "" for index in text),
                group=group,
            )
        )
    by_sums = draft.kind is not None and draft.kind.hierarchy is not Hierarchy.FLAT
    return _hierarchy(raws, side, offset, by_sums=by_sums)


def _cell_text(cell: Cell | None, taken: Cell | None) -> str:
    """A cell's normalised text; empty for a blank cell or one already read as the name."""
    if cell is None or cell is taken:
        return ""
    return normal(cell.text)


def _join(text: str) -> str:
    return "".join(piece.strip() for piece in text.split("\n"))


def _full_code(parts: Sequence[str], context: list[str]) -> str | None:
    """The row's code: one code column as printed, or 类/款/项 columns joined onto the codes
    above (``208`` then ``05`` then ``01`` is 2080501)."""
    present = [part for part in parts if part]
    if not present:
        return None
    if len(parts) == 1:
        return present[0] if _CODE.match(present[0]) else None
    # Split columns: the position of the last printed part says the level.
    level = max(index for index, part in enumerate(parts) if part)
    pieces = list(parts[: level + 1])
    for index in range(level):
        if not pieces[index]:
            pieces[index] = context[index] if index < len(context) else ""
    del context[:]
    context.extend(pieces)
    joined = "".join(pieces)
    return joined if _CODE.match(joined) else None


def _hierarchy(
    raws: Sequence[_Raw], side: str | None, offset: int, *, by_sums: bool
) -> list[TableRow]:
    levels = _levels(raws, by_sums=by_sums)
    rows: list[TableRow] = []
    stack: list[tuple[int, int]] = []  # (level, index)
    last_with_code: dict[str, int] = {}  # the latest row printed with each code
    for position, (raw, level) in enumerate(zip(raws, levels, strict=True)):
        index = offset + position
        if raw.code is not None:
            # The parent is the latest row whose code is the longest proper prefix of this one.
            parent = next(
                (
                    last_with_code[raw.code[:cut]]
                    for cut in range(len(raw.code) - 1, 0, -1)
                    if raw.code[:cut] in last_with_code
                ),
                None,
            )
            last_with_code[raw.code] = index
            if parent is None:
                parent = next((i for lv, i in stack if lv == 0), None)
        else:
            while stack and stack[-1][0] >= level:
                stack.pop()
            parent = stack[-1][1] if stack and level > 0 else None
        if level == 0:
            # the halves of a paired table (收支总表) print their totals below the rows they
            # add up (本年收入合计, then 上年结转 and 收入总计): what follows is no part of them
            stack = [] if side is not None else [(0, index)]
        else:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, index))
        rows.append(
            TableRow(
                index=index,
                level=level,
                code=raw.code,
                name=raw.name,
                parent=parent,
                amounts=raw.amounts,
                page=raw.page,
                line=raw.line,
                end_line=max(raw.line, raw.end_line),
                texts=raw.texts,
                side=side,
            )
        )
    return rows


def _levels(raws: Sequence[_Raw], *, by_sums: bool) -> list[int]:
    """Each row's level: 0 for totals; by code length, else indentation, else numbering, else
    (``by_sums``: a kind of table whose rows nest) the sums."""
    totals = [
        (bool(_TOTAL_NAME.match(normal(raw.name))) or raw.group) and raw.code is None
        for raw in raws
    ]
    if any(raw.code for raw in raws):
        lengths = sorted({len(raw.code) for raw in raws if raw.code})
        rank = {length: position + 1 for position, length in enumerate(lengths)}
        levels = []
        for raw, total in zip(raws, totals, strict=True):
            if total:
                levels.append(0)
            elif raw.code:
                levels.append(rank[len(raw.code)])
            else:
                levels.append(levels[-1] if levels and levels[-1] > 0 else 1)
        return levels
    indents = _indent_levels(
        [raw.indent for raw, total in zip(raws, totals, strict=True) if not total]
    )
    levels, styles = _numbered_levels(raws, totals)
    if len(set(indents.values())) > 1:
        indented = [
            0 if total else indents[_indent_key(raw.indent)]
            for raw, total in zip(raws, totals, strict=True)
        ]
        if not _numbering_contradicts(indented, styles):
            return _only_children(raws, indented, styles)
    if by_sums and len({level for level in levels if level > 0}) == 1:
        levels = _sum_levels(raws, levels)
    return _only_children(raws, levels, styles)


def _numbered_levels(
    raws: Sequence[_Raw], totals: Sequence[bool]
) -> tuple[list[int], list[str | None]]:
    """Each row's level by its numbering (一、 → （一） → 1. in the order the styles first
    appear; an unnumbered row stays at the level of the row before it), and each row's style."""
    seen: list[str] = []
    levels: list[int] = []
    styles: list[str | None] = []
    for raw, total in zip(raws, totals, strict=True):
        style = (
            None
            if total
            else next(
                (name for name, pattern in _NUMBERING if pattern.match(normal(raw.name))), None
            )
        )
        styles.append(style)
        if total:
            levels.append(0)
        elif style is None:
            levels.append(levels[-1] if levels and levels[-1] > 0 else 1)
        else:
            if style not in seen:
                seen.append(style)
            levels.append(seen.index(style) + 1)
    return levels, styles


def _only_children(
    raws: Sequence[_Raw], levels: list[int], styles: Sequence[str | None]
) -> list[int]:
    """An unnumbered row printed level with a numbered row above it and repeating its figures
    (二、教育支出 46.05, 进修及培训 46.05, 培训支出 46.05) is its only child, and so on down a
    chain of such rows: an export that kept only some of the PDF's indentation lost it."""
    result = list(levels)
    for position in range(1, len(raws)):
        raw, above = raws[position], raws[position - 1]
        moved = result[position - 1] > levels[position - 1]
        if (
            result[position] == 0
            or styles[position] is not None
            or raw.code is not None
            or (styles[position - 1] is None and not moved)
            or levels[position] != levels[position - 1]
            or raw.amounts != above.amounts
            or not any(amount for amount in raw.amounts)
        ):
            continue
        result[position] = result[position - 1] + 1
    return result


def _numbering_contradicts(levels: Sequence[int], styles: Sequence[str | None]) -> bool:
    """Whether the indentation puts a row of an outer numbering (一、本年支出) deeper than a
    row of an inner one (（一）教育支出): a centred or shifted cell, not the nesting."""
    order: list[str] = []
    deepest: dict[str, int] = {}
    shallowest: dict[str, int] = {}
    for level, style in zip(levels, styles, strict=True):
        if style is None:
            continue
        if style not in order:
            order.append(style)
        deepest[style] = max(deepest.get(style, level), level)
        shallowest[style] = min(shallowest.get(style, level), level)
    return any(
        deepest[outer] > shallowest[inner]
        for position, outer in enumerate(order)
        for inner in order[position + 1 :]
    )


# Nesting found from the sums is looked for in tables of at most this many rows.
_MOST_SUM_ROWS = 400


def _sum_levels(raws: Sequence[_Raw], levels: list[int]) -> list[int]:
    """Levels from the sums, for rows the page gives no other nesting (an export that lost
    the indentation): a row followed by two or more rows with figures that add up to it, in
    every column, within rounding, is their parent (or followed by one row equal to it that is
    a parent itself). Innermost groups are found first, so a unit over categories over items
    nests in three levels. Under a total row the rows left on top must add up to it, or the
    nesting found is a coincidence of figures and is not taken; rows stay as they are where
    no row adds up."""
    if len(raws) > _MOST_SUM_ROWS or not any(raw.amounts for raw in raws):
        return levels
    result = list(levels)
    start = 0
    while start < len(raws):
        if levels[start] == 0:
            start += 1
            continue
        end = start
        while end < len(raws) and levels[end] > 0:
            end += 1
        total = raws[start - 1].amounts if start > 0 else None
        for innermost_first in (True, False):
            depth = [0] * len(raws)
            top = list(range(start, end))
            _nest_by_sums(raws, top, depth, innermost_first=innermost_first)
            if total is None or _adds_up(total, [raws[item].amounts for item in top]):
                for position in range(start, end):
                    result[position] = levels[position] + depth[position]
                break
        start = end
    return result


def _adds_up(total: Sequence[Decimal | None], parts: Sequence[Sequence[Decimal | None]]) -> bool:
    """Whether ``parts`` add up to ``total`` in every column, within rounding."""
    if any(len(part) != len(total) for part in parts):
        return False
    tolerance = _HALF_CENT * len(parts)
    for column, expected in enumerate(total):
        added = sum((part[column] or Decimal(0) for part in parts), Decimal(0))
        if abs((expected or Decimal(0)) - added) > tolerance:
            return False
    return True


def _nest_by_sums(
    raws: Sequence[_Raw], items: list[int], depth: list[int], *, innermost_first: bool
) -> None:
    """Group ``items`` (row positions in order, the top level of one stretch of rows) under the
    rows they add up to, looking from the last row up (``innermost_first``: a group's
    children are below it) or from the first down; ``depth`` gains one for every row put in
    a group, with the rows already grouped under it (the rows between one item and the
    next)."""
    stop = items[-1] + 1 if items else 0
    parents: set[int] = set()
    changed = True
    while changed:
        changed = False
        order = range(len(items) - 1, -1, -1) if innermost_first else range(len(items))
        for position in order:
            parent = items[position]
            if parent in parents:
                continue  # its children are found; what follows it is its siblings'
            found = _children(raws, items, position, parents)
            if found is None:
                continue
            last, only = found
            after = items[last + 1] if last + 1 < len(items) else stop
            for row in range(parent + 1, after):
                depth[row] += 1
            for child in only:  # the only child of the row before it (退休费 under 对个人…)
                below = items[child + 1] if child + 1 < len(items) else stop
                for row in range(items[child], below):
                    depth[row] += 1
                parents.add(items[child - 1])
            del items[position + 1 : last + 1]
            parents.add(parent)
            changed = True
            break


# Ways of reading rows as the only child of an equal row before them, tried per parent.
_MOST_SUM_STEPS = 4_000


def _children(
    raws: Sequence[_Raw], items: Sequence[int], position: int, parents: set[int]
) -> tuple[int, tuple[int, ...]] | None:
    """Whether the items after ``position`` add up to it: the last of them, and those among
    them read as the only child of the equal item before them rather than as a sibling (a
    category with a single item, printed twice over), or ``None``.

    Two or more children with figures are needed; one alone only when it is a parent itself
    (a 类 with one 款): a row followed by an equal one is otherwise no more than a repeat.
    """
    total = raws[items[position]].amounts
    if not any(amount for amount in total):
        return None
    zero = tuple(Decimal(0) for _ in total)
    # (next item, sums so far, children with figures, the previous child's amounts, onlies)
    stack: list[
        tuple[int, tuple[Decimal, ...], int, tuple[Decimal | None, ...] | None, tuple[int, ...]]
    ]
    stack = [(position + 1, zero, 0, None, ())]
    steps = 0
    while stack and steps < _MOST_SUM_STEPS:
        steps += 1
        at, sums, figures, previous, only = stack.pop()
        if at >= len(items):
            continue
        child = raws[items[at]].amounts
        if len(child) != len(total):
            continue
        if previous is not None and child == previous and any(child):
            stack.append((at + 1, sums, figures, None, (*only, at)))
        added = tuple(acc + (amount or 0) for acc, amount in zip(sums, child, strict=True))
        with_figures = figures + any(child)
        count = at - position - len(only)
        enough = with_figures >= 2 or (count == 1 and items[at] in parents)
        tolerance = _HALF_CENT * count
        if enough and all(
            abs((expected or 0) - got) <= tolerance
            for expected, got in zip(total, added, strict=True)
        ):
            # a last child followed by an equal row: that row is its only child
            while at + 1 < len(items) and raws[items[at + 1]].amounts == child:
                at += 1
                only = (*only, at)
            return at, only
        if all(
            (expected or 0) >= 0 and got <= (expected or 0) + tolerance
            for expected, got in zip(total, added, strict=True)
        ) or any((expected or 0) < 0 for expected in total):
            stack.append((at + 1, added, with_figures, child, only))
    return None


def _indent_key(indent: float) -> int:
    return round(indent / _INDENT_STEP)


def _indent_levels(indents: Sequence[float]) -> dict[int, int]:
    keys = sorted({_indent_key(indent) for indent in indents})
    levels: dict[int, int] = {}
    level = 0
    previous: int | None = None
    for key in keys:
        if previous is None or key - previous > 1:
            level += 1
        levels[key] = level
        previous = key
    return levels


def _notes_below(lines: Sequence[TextLine], grid: Grid, grids: Sequence[Grid]) -> list[str]:
    following = [other.top for other in grids if other.top > grid.bottom]
    limit = min(following, default=float("inf"))
    notes: list[str] = []
    collecting = False
    notes_bottom = 0.0
    for line in lines:
        if line.top < grid.bottom - 1 or line.top >= limit:
            continue
        if _NOTE.match(line.text) or _GENERIC_EMPTY.search(normal(line.text)):
            collecting = True
        elif collecting and line.top - notes_bottom > 2 * (line.bottom - line.top):
            collecting = False
        if collecting:
            notes.append(line.text)
            notes_bottom = line.bottom
        else:
            notes_bottom = 0.0
    return notes


def _notes_below_title(lines: Sequence[TextLine], title: str) -> list[str]:
    """For a title with no grid: the note lines on its page (本部门无政府性基金预算 …)."""
    return [line.text for line in lines if _GENERIC_EMPTY.search(normal(line.text))]
