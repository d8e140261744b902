"""Reading tables that arrive as rows of cells: tab-separated text, CSV, XLSX, DataFrames.

All of them come down to :class:`GridRow` (the cells of one input row and the lines it came
from). The header row says where each column is. A row with fewer cells than the header lost
its empty cells to OCR: its figures keep their order and may sit further right than read, which
the placement step resolves from the sums.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from budgetqa.errors import NotABudgetTableError
from budgetqa.ingest.assemble import Figure, RawRecord, assemble_document
from budgetqa.ingest.header import header_columns, parse_preamble
from budgetqa.ingest.indicators import INDICATOR_START
from budgetqa.model import Document, Fragment, Level, LineRole, ReadNote, SourceSpan, TextPiece
from budgetqa.text import fold, is_amount_text, parse_amount

__all__ = ["GridRow", "read_grid"]

_MONEY_KEYS = ("total", "fiscal_appropriation", "special_account", "other_funds")
_STANDARD_ORDER = ("name", *_MONEY_KEYS, "goal", "indicators")


@attrs.frozen
class GridRow:
    """The cells of one input row and the physical lines (inclusive) it occupies."""

    line: int
    end_line: int
    cells: tuple[str, ...]

    @property
    def blank(self) -> bool:
        return not any(cell.strip() for cell in self.cells)


@attrs.frozen
class _GridResult:
    records: list[RawRecord]
    fragments: list[Fragment]
    ocr_signs: bool


def read_grid(
    *,
    path: str,
    rows: Sequence[GridRow],
    total_lines: int,
    layout: str,
    encoding: str | None,
    ocr_layout: str | None = None,
    source_lines: Sequence[str] | None = None,
    notes: Sequence[ReadNote] = (),
) -> Document:
    """Read a grid of cells into a :class:`Document`.

    ``ocr_layout`` names the layout to report instead of ``layout`` when the rows show OCR
    damage (missing cells, stray spaces inside numbers).

    Raises:
        NotABudgetTableError: no row is a budget-table column header.
    """
    header_position = next(
        (position for position, row in enumerate(rows) if header_columns(row.cells) is not None),
        None,
    )
    if header_position is None:
        first = next((row.line for row in rows if not row.blank), 1)
        raise NotABudgetTableError(
            "no budget-table column header (项目名称 … 总计 … 财政拨款 …) found",
            path=path,
            line=first,
        )
    header = rows[header_position]
    columns = header_columns(header.cells)
    assert columns is not None  # checked just above
    width = max(position for position in columns.values()) + 1

    roles: list[LineRole] = [LineRole.BLANK] * total_lines

    def mark(row: GridRow, role: LineRole) -> None:
        for line in range(row.line, row.end_line + 1):
            if 1 <= line <= total_lines:
                roles[line - 1] = role

    preamble_pieces: list[TextPiece] = []
    for row in rows[:header_position]:
        if row.blank:
            mark(row, LineRole.BLANK)
        else:
            mark(row, LineRole.TITLE)
            preamble_pieces.append(TextPiece(row.line, "\t".join(row.cells).rstrip("\t")))
    mark(header, LineRole.HEADER)

    result = _read_body(path, rows[header_position + 1 :], columns, width, mark)
    chosen_layout = ocr_layout if ocr_layout is not None and result.ocr_signs else layout
    # Lines the grid never mentioned (a CSV with a trailing blank line, say) stay BLANK, which is
    # what they are: every non-blank line belongs to some grid row.
    return assemble_document(
        path=path,
        layout=chosen_layout,
        encoding=encoding,
        preamble=parse_preamble(preamble_pieces),
        preamble_pieces=preamble_pieces,
        records=result.records,
        fragments=result.fragments,
        line_roles=roles,
        source_lines=source_lines if source_lines is not None else _lines_of(rows, total_lines),
        notes=notes,
    )


def _lines_of(rows: Sequence[GridRow], total_lines: int) -> list[str]:
    """Source lines for inputs that are not text (XLSX, DataFrame): the cells joined by tabs."""
    lines = [""] * total_lines
    for row in rows:
        if 1 <= row.line <= total_lines:
            lines[row.line - 1] = "\t".join(row.cells).rstrip("\t")
    return lines


def _read_body(
    path: str,
    rows: Sequence[GridRow],
    columns: dict[str, int],
    width: int,
    mark: Callable[[GridRow, LineRole], None],
) -> _GridResult:
    records: list[RawRecord] = []
    fragments: list[Fragment] = []
    ocr_signs = False
    standard = all(columns.get(key) == position for position, key in enumerate(_STANDARD_ORDER))
    for row in rows:
        if row.blank:
            mark(row, LineRole.BLANK)
            continue
        if header_columns(row.cells) is not None:
            mark(row, LineRole.PAGE_HEADER)
            continue
        cells = _trim_trailing_blanks(row.cells, width)
        if len(cells) < width and standard:
            record = _short_row(row, cells, width)
            ocr_signs = True
        else:
            record = _full_row(row, cells, columns, width)
        if any(
            figure.value is not None and _has_ocr_noise(figure.raw) for figure in record.figures
        ):
            ocr_signs = True
        if not record.name.strip():
            mark(row, LineRole.FRAGMENT)
            has_figures = any(figure.value is not None for figure in record.figures)
            fragments.append(
                Fragment(
                    text="\t".join(row.cells).strip(),
                    span=SourceSpan(path, row.line, row.end_line),
                    reason="amounts with no row name"
                    if has_figures
                    else "text outside any row (no name, no amounts)",
                )
            )
            continue
        mark(row, LineRole.ROW)
        records.append(record)
    return _GridResult(records, fragments, ocr_signs)


def _trim_trailing_blanks(cells: Sequence[str], width: int) -> tuple[str, ...]:
    """Drop empty cells past the header's width (spreadsheets pad rows with them)."""
    trimmed = list(cells)
    while len(trimmed) > width and not trimmed[-1].strip():
        trimmed.pop()
    return tuple(trimmed)


def _has_ocr_noise(raw: str) -> bool:
    folded = fold(raw).strip()
    return " " in folded


def _figure(position: int, cell: str) -> Figure:
    text = cell.strip()
    if not text:
        return Figure(position, None, "")
    try:
        return Figure(position, parse_amount(text), text)
    except ValueError:
        return Figure(position, None, text)


def _full_row(row: GridRow, cells: Sequence[str], columns: dict[str, int], width: int) -> RawRecord:
    """A row with a cell for every column: positions are exact."""

    def cell(key: str) -> str:
        position = columns.get(key)
        if position is None or position >= len(cells):
            return ""
        return cells[position]

    figures = tuple(_figure(slot, cell(key)) for slot, key in enumerate(_MONEY_KEYS))
    goal = cell("goal")
    indicators = cell("indicators")
    extra = [text for text in cells[width:] if text.strip()]
    if extra:
        # More cells than the header: keep the overflow with the last text column, not drop it.
        indicators = "\t".join([indicators, *extra]) if indicators.strip() else "\t".join(extra)
    level_text = fold(cell("level")).strip().lower()
    level = Level(level_text) if level_text in {level.value for level in Level} else None
    return RawRecord(
        name_pieces=_pieces(row, cell("name")),
        figures=figures,
        dropped=0,
        goal_pieces=_pieces(row, goal),
        indicator_pieces=_pieces(row, indicators),
        line=row.line,
        end_line=row.end_line,
        level=level,
        missing_cells=0,
    )


def _short_row(row: GridRow, cells: Sequence[str], width: int) -> RawRecord:
    """A row that lost empty cells (OCR): money cells first, then the text cells."""
    dropped = width - len(cells)
    rest = list(cells[1:])
    money: list[str] = []
    while (
        rest and len(money) < len(_MONEY_KEYS) and (not rest[0].strip() or is_amount_text(rest[0]))
    ):
        money.append(rest.pop(0))
    texts = [text for text in rest if text.strip()]
    goal, indicators = "", ""
    if len(texts) == 1:
        if INDICATOR_START.match(texts[0].strip()):
            indicators = texts[0]
        else:
            goal = texts[0]
    elif texts:
        goal, indicators = texts[0], "\t".join(texts[1:])
    return RawRecord(
        name_pieces=_pieces(row, cells[0] if cells else ""),
        figures=tuple(_figure(position, text) for position, text in enumerate(money)),
        dropped=dropped,
        goal_pieces=_pieces(row, goal),
        indicator_pieces=_pieces(row, indicators),
        line=row.line,
        end_line=row.end_line,
        missing_cells=dropped,
    )


def _pieces(row: GridRow, text: str) -> tuple[TextPiece, ...]:
    """A cell's text as pieces; a cell spanning lines (quoted CSV newlines) keeps each line."""
    if not text.strip():
        return ()
    parts = text.split("\n")
    if len(parts) == 1 or row.line == row.end_line:
        return (TextPiece(row.line, text),)
    # Without finer information, spread the cell's lines from the row's last lines backwards.
    first = max(row.line, row.end_line - len(parts) + 1)
    return tuple(
        TextPiece(min(first + offset, row.end_line), part) for offset, part in enumerate(parts)
    )
