"""Pages drawn from a plain-text sketch, for rule examples and tests of the PDF table reader.

A sketch is lines of text. A line with ``|`` is a row of a ruled grid (cells between the
bars); consecutive such lines form one grid, ruled around every cell. Other lines are text
(titles, ``单位：万元``, notes). ``=== page`` starts a new page; a page whose only line is
``[scan]`` shows an image and no text (a scanned page). Leading spaces in a cell indent its
text (one space is one character width), as templates indent lower levels.

The geometry follows what published PDFs have: 10-point characters, Chinese ones square and
others half as wide, rows 20 points high, columns as wide as their widest cell.
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetqa.ingest.pdf_geometry import Glyph, PageGeometry, Ruling

__all__ = ["column_widths", "draw_page", "sketch_pages"]

_SIZE = 10.0
_ROW = 20.0
# Space above a grid, so that two grids never read as one (see pdf_layout._GRID_GAP).
_GRID_SPACE = 80.0
# A cell of several lines (an exported cell with line breaks) has this many points per line.
_LINE = 14.0
_MARGIN = 40.0
_PAD = 6.0
_PAGE_WIDTH = 842.0
_PAGE_HEIGHT = 595.0


def _width(char: str) -> float:
    return _SIZE if ord(char) >= 0x2E80 else _SIZE / 2


def _text_width(text: str) -> float:
    return sum(_width(char) for char in text)


def _glyphs(text: str, x: float, top: float) -> list[Glyph]:
    glyphs: list[Glyph] = []
    for char in text:
        width = _width(char)
        if not char.isspace():
            glyphs.append(Glyph(char, x, x + width, top, top + _SIZE * 1.2, top + _SIZE, _SIZE))
        x += width
    return glyphs


def sketch_pages(sketch: str) -> list[PageGeometry]:
    """The pages a sketch draws (see the module's docstring)."""
    pages: list[list[str]] = [[]]
    for line in sketch.splitlines():
        if line.strip().startswith("=== page"):
            pages.append([])
        else:
            pages[-1].append(line)
    if not pages[0] and len(pages) > 1:
        pages.pop(0)
    return [_page(number, lines) for number, lines in enumerate(pages, start=1)]


def _page(number: int, lines: Sequence[str]) -> PageGeometry:
    if [line.strip() for line in lines if line.strip()] == ["[scan]"]:
        return PageGeometry(number, _PAGE_WIDTH, _PAGE_HEIGHT, (), (), images=1)
    items: list[str | list[list[str]]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "|" not in line:
            items.append(line)
            index += 1
            continue
        grid: list[list[str]] = []
        while index < len(lines) and "|" in lines[index]:
            grid.append([cell.rstrip() for cell in lines[index].strip().strip("|").split("|")])
            index += 1
        items.append(grid)
    page, _ = draw_page(number, items)
    return page


def draw_page(
    number: int,
    items: Sequence[str | Sequence[Sequence[str | None]]],
    widths: Sequence[float] | None = None,
) -> tuple[PageGeometry, list[tuple[float, float]]]:
    """Draw ``items`` top to bottom on one page: a string is a line of text, a sequence of rows
    of cells is a grid ruled around every cell (a cell's line breaks give it several lines,
    leading spaces indent it; a ``None`` cell is merged into the cell on its left, as a header
    cell spans the columns under it). Returns the page and, for each text line and each grid
    row in order, its top and bottom; the page grows as long as its items need. ``widths``
    are the columns' (:func:`column_widths`), by default as wide as the page's grids need.
    """
    glyphs: list[Glyph] = []
    rulings: list[Ruling] = []
    spans: list[tuple[float, float]] = []
    top = _MARGIN
    # Every grid of the page has the same column widths, so that a table whose header is
    # repeated lower down (a page break of the printed table) continues in the same columns.
    if widths is None:
        widths = column_widths([row for item in items if not isinstance(item, str) for row in item])
    for item in items:
        if isinstance(item, str):
            if item.strip():
                glyphs.extend(_glyphs(item.strip(), _MARGIN, top + 4))
            spans.append((top, top + _ROW))
            top += _ROW
            continue
        if glyphs or rulings:
            top += _GRID_SPACE
        top = _grid(item, top, widths, glyphs, rulings, spans)
    height = max(_PAGE_HEIGHT, top + _MARGIN)
    width = max([_PAGE_WIDTH, *(glyph.x1 + _MARGIN for glyph in glyphs)])
    return PageGeometry(number, width, height, tuple(glyphs), tuple(rulings)), spans


def _row_height(row: Sequence[str | None]) -> float:
    lines = max((cell.count("\n") + 1 for cell in row if cell and cell.strip()), default=1)
    return _ROW + _LINE * (lines - 1)


def column_widths(rows: Sequence[Sequence[str | None]]) -> list[float]:
    """Column widths (points) that fit every cell of ``rows``, by position."""
    columns = max((len(row) for row in rows), default=0)
    return [
        max(
            (
                _text_width(part)
                for row in rows
                if column < len(row)
                for part in (row[column] or "").split("\n")
            ),
            default=0.0,
        )
        + 2 * _PAD
        for column in range(columns)
    ]


def _grid(
    rows: Sequence[Sequence[str | None]],
    top: float,
    widths: Sequence[float],
    glyphs: list[Glyph],
    rulings: list[Ruling],
    spans: list[tuple[float, float]],
) -> float:
    columns = max(len(row) for row in rows)
    edges = [_MARGIN]
    for width in widths[:columns]:
        edges.append(edges[-1] + width)
    bottoms = [top]
    for row in rows:
        bottoms.append(bottoms[-1] + _row_height(row))
    for position in bottoms:
        rulings.append(Ruling(True, position, edges[0], edges[-1]))
    for row, row_top, row_bottom in zip(rows, bottoms, bottoms[1:], strict=False):
        spans.append((row_top, row_bottom))
        for position, edge in enumerate(edges):
            if 0 < position < len(row) and row[position] is None:
                continue  # inside a merged cell
            rulings.append(Ruling(False, edge, row_top, row_bottom))
        for column, cell in enumerate(row):
            if cell is None:
                continue
            for offset, part in enumerate(cell.split("\n")):
                text = part.strip()
                if not text:
                    continue
                indent = _text_width(part) - _text_width(part.lstrip())
                x = edges[column] + _PAD + indent
                glyphs.extend(_glyphs(text, x, row_top + 4 + _LINE * offset))
    return bottoms[-1]
