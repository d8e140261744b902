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

__all__ = ["sketch_pages"]

_SIZE = 10.0
_ROW = 20.0
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
    glyphs: list[Glyph] = []
    rulings: list[Ruling] = []
    top = _MARGIN
    index = 0
    while index < len(lines):
        line = lines[index]
        if "|" not in line:
            if line.strip():
                glyphs.extend(_glyphs(line.strip(), _MARGIN, top + 4))
            top += _ROW
            index += 1
            continue
        grid: list[list[str]] = []
        while index < len(lines) and "|" in lines[index]:
            grid.append([cell.rstrip() for cell in lines[index].strip().strip("|").split("|")])
            index += 1
        top = _grid(grid, top, glyphs, rulings)
    return PageGeometry(number, _PAGE_WIDTH, _PAGE_HEIGHT, tuple(glyphs), tuple(rulings))


def _grid(rows: list[list[str]], top: float, glyphs: list[Glyph], rulings: list[Ruling]) -> float:
    columns = max(len(row) for row in rows)
    widths = [
        max((_text_width(row[column]) for row in rows if column < len(row)), default=0.0) + 2 * _PAD
        for column in range(columns)
    ]
    edges = [_MARGIN]
    for width in widths:
        edges.append(edges[-1] + width)
    bottom = top + _ROW * len(rows)
    for position in range(len(rows) + 1):
        rulings.append(Ruling(True, top + _ROW * position, edges[0], edges[-1]))
    for edge in edges:
        rulings.append(Ruling(False, edge, top, bottom))
    for position, row in enumerate(rows):
        row_top = top + _ROW * position
        for column, cell in enumerate(row):
            text = cell.strip()
            if not text:
                continue
            indent = _text_width(cell) - _text_width(cell.lstrip())
            glyphs.extend(_glyphs(text, edges[column] + _PAD + indent, row_top + 4))
    return bottom
