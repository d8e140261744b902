"""From a page's geometry to what a reader sees: lines of text, ruled grids and their cells.

Two facts of published budget PDFs shape this module. Characters of one visual line do not
share a baseline exactly (a figure may sit a point or two lower than the name beside it), so
lines are formed from overlapping character boxes, not equal baselines. And a cell's text may
wrap over several lines inside one ruled row (a long 科目名称 printed in two or three lines
around the row's figures), so where rows are ruled, the rulings decide what one row is.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import attrs
import regex

from budgetqa.ingest.pdf_geometry import Glyph, PageGeometry, Ruling
from budgetqa.text import is_amount_text

__all__ = [
    "Band",
    "Cell",
    "Grid",
    "TextLine",
    "find_grids",
    "text_lines",
]

# Two character boxes are on one visual line when they overlap vertically by at least this
# share of the smaller box's height.
_LINE_OVERLAP = 0.5
# A gap wider than this share of the font size separates two words of one line.
_WORD_GAP = 0.9
# Rulings closer than this (points) are one position (double lines, thin-box sides).
_SAME_POSITION = 3.0
# Columns narrower than this (points) are a stray or doubled line, not a column.
_NARROWEST_COLUMN = 6.0
# Horizontal rulings further apart than this (points) with nothing between start a new grid.
_GRID_GAP = 60.0


@attrs.frozen(slots=True)
class TextLine:
    """The characters of one visual line, left to right."""

    glyphs: tuple[Glyph, ...]
    top: float
    bottom: float

    @property
    def text(self) -> str:
        return words_text(self.glyphs)

    @property
    def x0(self) -> float:
        return self.glyphs[0].x0

    @property
    def x1(self) -> float:
        return self.glyphs[-1].x1

    @property
    def size(self) -> float:
        return max(glyph.size for glyph in self.glyphs)

    def words(self) -> list[tuple[Glyph, ...]]:
        """The line split where the gap between two characters is wider than a character."""
        return split_words(self.glyphs)


def split_words(glyphs: Sequence[Glyph]) -> list[tuple[Glyph, ...]]:
    words: list[list[Glyph]] = []
    previous: Glyph | None = None
    for glyph in glyphs:
        if glyph.char.isspace():
            previous = None if previous is None else previous
            continue
        if previous is None or glyph.x0 - previous.x1 > _WORD_GAP * max(glyph.size, 1.0):
            words.append([glyph])
        else:
            words[-1].append(glyph)
        previous = glyph
    return [tuple(word) for word in words]


def words_text(glyphs: Sequence[Glyph]) -> str:
    """The glyphs' text with one space where the gap between words is wide."""
    return " ".join("".join(glyph.char for glyph in word) for word in split_words(glyphs))


def text_lines(glyphs: Sequence[Glyph]) -> list[TextLine]:
    """Group characters into visual lines, top to bottom, each left to right.

    A character joins the line whose vertical extent it overlaps most (at least half of the
    smaller height); lines are built in one pass over the characters sorted by their middle.
    """
    ordered = sorted(
        (glyph for glyph in glyphs if not glyph.char.isspace()),
        key=lambda glyph: (glyph.center_y, glyph.x0),
    )
    groups: list[list[Glyph]] = []
    # Each line is matched against its first character's box, not the union of its boxes:
    # a growing union would chain lines half a line apart into one.
    tops: list[float] = []
    bottoms: list[float] = []
    for glyph in ordered:
        placed = False
        # Only the last few lines can overlap a character further down the page.
        for index in range(len(groups) - 1, max(len(groups) - 4, -1), -1):
            overlap = min(bottoms[index], glyph.bottom) - max(tops[index], glyph.top)
            smaller = min(bottoms[index] - tops[index], glyph.bottom - glyph.top)
            if smaller > 0 and overlap >= _LINE_OVERLAP * smaller:
                groups[index].append(glyph)
                placed = True
                break
        if not placed:
            groups.append([glyph])
            tops.append(glyph.top)
            bottoms.append(glyph.bottom)
    lines = [
        TextLine(
            tuple(sorted(group, key=lambda glyph: glyph.x0)),
            min(glyph.top for glyph in group),
            max(glyph.bottom for glyph in group),
        )
        for group in groups
    ]
    lines.sort(key=lambda line: line.top)
    return lines


@attrs.frozen(slots=True)
class Cell:
    """The text in one cell of a grid row: ``first``..``last`` are the leaf columns it spans."""

    first: int
    last: int
    text: str
    x0: float
    lines: int


@attrs.frozen(slots=True)
class Band:
    """One row of a grid: its vertical extent and its cells (empty cells left out)."""

    top: float
    bottom: float
    cells: tuple[Cell, ...]
    #: True when rulings bound the row above and below; False when it is one line of text.
    ruled: bool

    def cell(self, column: int) -> Cell | None:
        for cell in self.cells:
            if cell.first <= column <= cell.last:
                return cell
        return None


@attrs.frozen
class Grid:
    """A ruled table region of a page: leaf column edges and rows top to bottom."""

    top: float
    bottom: float
    edges: tuple[float, ...]
    bands: tuple[Band, ...]

    @property
    def columns(self) -> int:
        return len(self.edges) - 1


def _positions(values: Sequence[float], within: float = _SAME_POSITION) -> list[float]:
    """Cluster nearby coordinates into one position each (their mean)."""
    clusters: list[list[float]] = []
    for value in sorted(values):
        if clusters and value - clusters[-1][-1] <= within:
            clusters[-1].append(value)
        else:
            clusters.append([value])
    return [sum(cluster) / len(cluster) for cluster in clusters]


def _grid_regions(
    horizontals: Sequence[Ruling], verticals: Sequence[Ruling] = ()
) -> list[list[Ruling]]:
    """Group horizontal rulings into vertically contiguous regions that overlap horizontally.

    Two rulings further apart than :data:`_GRID_GAP` are still one grid when a vertical ruling
    runs from one to the other: a tall row (a project whose goal text fills half a page) is a
    row of the grid, not the end of it.
    """
    regions: list[list[Ruling]] = []
    bottom = left = right = 0.0

    def joined(position: float) -> bool:
        return any(
            vertical.start <= bottom + _SAME_POSITION
            and vertical.end >= position - _SAME_POSITION
            and left - _SAME_POSITION <= vertical.position <= right + _SAME_POSITION
            for vertical in verticals
        )

    for ruling in sorted(horizontals, key=lambda ruling: ruling.position):
        if (
            regions
            and (ruling.position - bottom <= _GRID_GAP or joined(ruling.position))
            and ruling.start < right - _SAME_POSITION
            and ruling.end > left + _SAME_POSITION
        ):
            regions[-1].append(ruling)
            bottom = max(bottom, ruling.position)
            left, right = min(left, ruling.start), max(right, ruling.end)
            continue
        regions.append([ruling])
        bottom, left, right = ruling.position, ruling.start, ruling.end
    return [region for region in regions if len(region) >= 2]


def find_grids(page: PageGeometry, lines: Sequence[TextLine]) -> list[Grid]:
    """The ruled grids of a page, top to bottom.

    A grid's rows come from its horizontal rulings; a ruled row holding several separate
    lines that each carry their own figures (a grid that rules only every few rows) is split
    into one row per line. Its leaf columns come from its vertical rulings; each row's cells
    are bounded by the vertical rulings that cross that row, so a header cell spanning
    several columns (财政拨款 over three sources) is one cell.
    """
    horizontals = [ruling for ruling in page.rulings if ruling.horizontal]
    verticals = [ruling for ruling in page.rulings if not ruling.horizontal]
    grids: list[Grid] = []
    for region in _grid_regions(horizontals, verticals):
        top = min(ruling.position for ruling in region)
        bottom = max(ruling.position for ruling in region)
        left = min(ruling.start for ruling in region)
        right = max(ruling.end for ruling in region)
        inside = [
            ruling
            for ruling in verticals
            if ruling.end > top + _SAME_POSITION
            and ruling.start < bottom - _SAME_POSITION
            and left - _SAME_POSITION <= ruling.position <= right + _SAME_POSITION
        ]
        edges = _positions(
            [left, right, *(ruling.position for ruling in inside)], _NARROWEST_COLUMN
        )
        if len(edges) < 2:
            continue
        rows = _positions([ruling.position for ruling in region])
        region_lines = [
            line
            for line in lines
            if top - _SAME_POSITION <= (line.top + line.bottom) / 2 <= bottom + _SAME_POSITION
        ]
        bands: list[Band] = []
        # Lines and rows are both top to bottom: one sweep gives each row its lines.
        middles = sorted(region_lines, key=lambda line: (line.top + line.bottom) / 2)
        cursor = 0
        for upper, lower in itertools.pairwise(rows):
            while (
                cursor < len(middles) and (middles[cursor].top + middles[cursor].bottom) / 2 < upper
            ):
                cursor += 1
            members = []
            while (
                cursor < len(middles) and (middles[cursor].top + middles[cursor].bottom) / 2 < lower
            ):
                members.append(middles[cursor])
                cursor += 1
            if not members:
                continue
            crossing = _positions(
                [left, right]
                + [
                    ruling.position
                    for ruling in inside
                    if ruling.start <= upper + (lower - upper) * 0.5 <= ruling.end
                ]
            )
            bands.extend(_bands(members, upper, lower, crossing, edges))
        grids.append(Grid(top=top, bottom=bottom, edges=tuple(edges), bands=tuple(bands)))
    return grids


_FIGURE_TAIL = regex.compile(r"^(?:\.\d{1,2}|\d{1,2})$")


def _bands(
    members: Sequence[TextLine],
    upper: float,
    lower: float,
    crossing: Sequence[float],
    edges: Sequence[float],
) -> list[Band]:
    """One ruled row as bands: one band, or one per line when the lines are separate rows."""
    whole = _band(members, upper, lower, crossing, edges, ruled=True)
    if len(members) < 2:
        return [whole]
    # Cells that wrap (a long name beside a long goal) put a line of text in two or more cells
    # on every line; separate rows each carry their own figures. Split when at least two
    # lines carry figures and each line alone fills at least two cells.
    per_line = [
        _band([line], line.top, line.bottom, crossing, edges, ruled=False) for line in members
    ]
    with_figures = sum(
        1 for band in per_line if any(is_amount_text(cell.text) for cell in band.cells)
    )
    # A figure too wide for its column wraps (124,216.9 over 9, 1,234 over .38): a line holding
    # only such a tail is part of the row above, not a row of its own.
    wrapped = any(_FIGURE_TAIL.match(cell.text) for band in per_line[1:] for cell in band.cells)
    if with_figures >= 2 and not wrapped and all(len(band.cells) >= 2 for band in per_line):
        return per_line
    return [whole]


def _band(
    members: Sequence[TextLine],
    upper: float,
    lower: float,
    crossing: Sequence[float],
    edges: Sequence[float],
    *,
    ruled: bool,
) -> Band:
    slots: dict[int, list[Glyph]] = {}
    for line in members:
        for glyph in line.glyphs:
            slots.setdefault(_slot(glyph.center_x, crossing), []).append(glyph)
    cells: list[Cell] = []
    for slot in sorted(slots):
        placed = slots[slot]
        left, right = crossing[slot], crossing[slot + 1]
        cell_lines = _cell_lines(placed)
        texts = [words_text(line) for line in cell_lines]
        cells.append(
            Cell(
                first=_slot(left + _SAME_POSITION, edges),
                last=_slot(right - _SAME_POSITION, edges),
                text="\n".join(texts),
                # a wrapped name's indentation is its first line's: the lines after it may
                # start at the cell's edge
                x0=cell_lines[0][0].x0,
                lines=len(texts),
            )
        )
    return Band(top=upper, bottom=lower, cells=tuple(cells), ruled=ruled)


def _cell_lines(glyphs: Sequence[Glyph]) -> list[list[Glyph]]:
    """One cell's characters as its lines, top to bottom, each left to right.

    Inside one cell, lines are a full line height apart, so baselines alone separate them;
    the page's visual lines cannot, since neighbouring cells centre their text differently.
    """
    lines: list[list[Glyph]] = []
    for glyph in sorted(glyphs, key=lambda glyph: (glyph.baseline, glyph.x0)):
        # the box's height, not the font size: some producers write a font size of 209 for
        # 11-point text (the scale is in the text matrix), which merged a two-line header
        # cell into one line with its characters interleaved (政府预性算基金)
        height = glyph.bottom - glyph.top
        step = min(glyph.size, height) if height > 0 else glyph.size
        if lines and glyph.baseline - lines[-1][0].baseline <= 0.5 * max(step, 1.0):
            lines[-1].append(glyph)
        else:
            lines.append([glyph])
    return [sorted(line, key=lambda glyph: glyph.x0) for line in lines]


def _slot(x: float, edges: Sequence[float]) -> int:
    """The index of the interval of ``edges`` holding ``x`` (clamped to the outer ones)."""
    low, high = 0, len(edges) - 2
    while low < high:
        middle = (low + high + 1) // 2
        if edges[middle] <= x:
            low = middle
        else:
            high = middle - 1
    return max(0, low)
