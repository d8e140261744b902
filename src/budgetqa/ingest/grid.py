"""Reading tables that arrive as rows of cells: tab-separated text, CSV, XLSX, DataFrames.

All of them come down to :class:`GridRow` (the cells of one input row and the lines it came
from). The header row says where each column is; a header may take two rows, a group label
(``资金来源``) over the funding columns in the first and their names in the second. A row with
fewer cells than the header lost its empty cells to OCR: its figures keep their order and may
sit further right than read, which the placement step resolves from the sums.

A money cell that holds a formula (``=SUM(B3:B5)``: a workbook saved without values, a CSV
export that kept formulas) is computed from the grid when it is a simple form and reported
either way (see :mod:`budgetqa.ingest.formula`); column letters are grid positions, row numbers
the grid's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from budgetqa.errors import NotABudgetTableError
from budgetqa.ingest.assemble import Figure, RawRecord, assemble_document
from budgetqa.ingest.formula import FormulaError, FormulaEvaluator
from budgetqa.ingest.header import column_key, header_columns, parse_preamble
from budgetqa.ingest.indicators import INDICATOR_START
from budgetqa.model import (
    Document,
    Fragment,
    Level,
    LineRole,
    NoteKind,
    ReadNote,
    SourceSpan,
    TextPiece,
    format_amount,
)
from budgetqa.text import fold, is_amount_text, parse_amount

__all__ = ["GridRow", "has_header", "read_grid"]

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
    notes: list[ReadNote]


@attrs.frozen
class _Header:
    """The column header: where it starts, how many rows it takes (1 or 2), where each column is."""

    position: int
    size: int
    columns: dict[str, int]


def _label_keys(cells: Sequence[str]) -> dict[int, str]:
    """The known column labels among ``cells``, by position."""
    keys: dict[int, str] = {}
    for position, cell in enumerate(cells):
        key = column_key(cell)
        if key is not None:
            keys[position] = key
    return keys


def _two_level_columns(
    upper: Sequence[str], upper_keys: dict[int, str], lower: Sequence[str]
) -> dict[str, int] | None:
    """The columns of a header written over two rows, or ``None`` when the rows are not one.

    The lower row must hold nothing but column labels, name at least one column the upper row
    does not, and put each under a blank cell, a group label (``资金来源``) or the same label
    (a vertically merged cell exported twice). Together they must make a header.
    """
    lower_keys: dict[int, str] = {}
    for position, cell in enumerate(lower):
        if not cell.strip():
            continue
        key = column_key(cell)
        if key is None:
            return None  # a row of data, a note, anything but labels: not part of the header
        lower_keys[position] = key
    if not set(lower_keys.values()) - set(upper_keys.values()):
        return None  # nothing new: a repeated header, or no second row at all
    merged: list[str] = []
    for position in range(max(len(upper), len(lower))):
        above, below = upper_keys.get(position), lower_keys.get(position)
        if above is not None and below is not None and above != below:
            return None  # two different columns in one place
        merged.append(above or below or "")
    columns: dict[str, int] = {}
    for position, key in enumerate(merged):
        if key and key not in columns:
            columns[key] = position
    if "name" in columns and "total" in columns and len(columns) >= 4:
        return columns
    return None


def _header_at(rows: Sequence[GridRow], position: int) -> _Header | None:
    """The header starting at ``rows[position]``, one row or two, if one starts there."""
    cells = rows[position].cells
    keys = _label_keys(cells)
    if not keys:
        return None  # the common case for body rows: no label at all, no second look
    if position + 1 < len(rows):
        two_level = _two_level_columns(cells, keys, rows[position + 1].cells)
        if two_level is not None:
            return _Header(position, 2, two_level)
    single = header_columns(cells)
    return None if single is None else _Header(position, 1, single)


def has_header(rows: Sequence[GridRow]) -> bool:
    """True when some row, or pair of rows, of ``rows`` is a budget-table column header."""
    return any(_header_at(rows, position) is not None for position in range(len(rows)))


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
    exact_positions: bool = False,
) -> Document:
    """Read a grid of cells into a :class:`Document`.

    ``rows`` are all the input's rows in order, none left out (blank ones too): formulas refer
    to a row by its number, ``rows[N - 1]`` for row ``N``. ``ocr_layout`` names the layout to
    report instead of ``layout`` when the rows show OCR damage (missing cells, stray spaces
    inside numbers). ``notes`` are the reader's own; notes on formula cells are added.
    ``exact_positions`` says every cell stands in its column, as in a spreadsheet: a row
    shorter than the header ends in blank cells rather than having lost some.

    Raises:
        NotABudgetTableError: no row (or pair of rows) is a budget-table column header.
    """
    header = next(
        (found for position in range(len(rows)) if (found := _header_at(rows, position))),
        None,
    )
    if header is None:
        first = next((row.line for row in rows if not row.blank), 1)
        raise NotABudgetTableError(
            "no budget-table column header (项目名称 … 总计 … 财政拨款 …) found",
            path=path,
            line=first,
        )
    header_position = header.position
    columns = header.columns
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
    for row in rows[header_position : header_position + header.size]:
        mark(row, LineRole.HEADER)

    result = _read_body(
        path,
        rows,
        header_position + header.size,
        _Columns(columns, width, exact_positions),
        mark,
    )
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
        notes=[*notes, *result.notes],
    )


def _lines_of(rows: Sequence[GridRow], total_lines: int) -> list[str]:
    """Source lines for inputs that are not text (XLSX, DataFrame): the cells joined by tabs."""
    lines = [""] * total_lines
    for row in rows:
        if 1 <= row.line <= total_lines:
            lines[row.line - 1] = "\t".join(row.cells).rstrip("\t")
    return lines


class _MoneyCells:
    """Turns money cells into figures; formula cells are computed or left blank, with a note."""

    def __init__(self, path: str, rows: Sequence[GridRow]) -> None:
        self._path = path
        self._formulas = FormulaEvaluator(
            lambda number: rows[number - 1].cells if 1 <= number <= len(rows) else (), len(rows)
        )
        self.notes: list[ReadNote] = []

    def figure(self, slot: int, text: str, row: GridRow, number: int, column: int) -> Figure:
        """The figure in money slot ``slot``: cell ``column`` of row ``number`` (``row``)."""
        if not text.strip().startswith("="):
            return _figure(slot, text)
        formula = text.strip()
        shown = formula if len(formula) <= 200 else formula[:199] + "…"
        span = SourceSpan(self._path, row.line, row.end_line)
        try:
            value = self._formulas.value(number, column)
        except FormulaError as error:
            self.notes.append(
                ReadNote(
                    kind=NoteKind.FORMULA_WITHOUT_VALUE,
                    span=span,
                    text=shown,
                    detail=f"no saved value, and budgetqa cannot compute it ({error.reason}); "
                    "the cell is read as blank",
                )
            )
            return Figure(slot, None, formula)
        self.notes.append(
            ReadNote(
                kind=NoteKind.FORMULA_COMPUTED,
                span=span,
                text=shown,
                detail=f"no saved value; computed as {format_amount(value)} from the formula",
            )
        )
        return Figure(slot, value, formula)


@attrs.frozen
class _Columns:
    """Where the header puts each column, its width, and whether cells can have been lost."""

    positions: dict[str, int]
    width: int
    exact: bool


def _read_body(
    path: str,
    rows: Sequence[GridRow],
    start: int,
    layout: _Columns,
    mark: Callable[[GridRow, LineRole], None],
) -> _GridResult:
    """Read ``rows[start:]``, the rows below the header."""
    records: list[RawRecord] = []
    fragments: list[Fragment] = []
    ocr_signs = False
    money = _MoneyCells(path, rows)
    columns, width = layout.positions, layout.width
    # Only where cells can go missing (OCR) is a short row read by the order of its cells.
    standard = not layout.exact and all(
        columns.get(key) == position for position, key in enumerate(_STANDARD_ORDER)
    )
    position = start
    while position < len(rows):
        row = rows[position]
        number = position + 1
        position += 1
        if row.blank:
            mark(row, LineRole.BLANK)
            continue
        repeated = _header_at(rows, number - 1)
        if repeated is not None:
            for header_row in rows[repeated.position : repeated.position + repeated.size]:
                mark(header_row, LineRole.PAGE_HEADER)
            position = repeated.position + repeated.size
            continue
        cells = _trim_trailing_blanks(row.cells, width)
        if len(cells) < width and standard:
            record = _short_row(row, cells, width, money, number)
            ocr_signs = True
        else:
            record = _full_row(row, cells, columns, width, money, number)
        if any(
            figure.value is not None
            and not figure.raw.startswith("=")
            and _has_ocr_noise(figure.raw)
            for figure in record.figures
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
    return _GridResult(records, fragments, ocr_signs, money.notes)


def _trim_trailing_blanks(cells: Sequence[str], width: int) -> tuple[str, ...]:
    """Drop empty cells past the header's width (spreadsheets pad rows with them)."""
    trimmed = list(cells)
    while len(trimmed) > width and not trimmed[-1].strip():
        trimmed.pop()
    return tuple(trimmed)


def _money_text(cell: str) -> bool:
    """A cell that can stand in a money column: blank, an amount, or a formula."""
    text = cell.strip()
    return not text or text.startswith("=") or is_amount_text(text)


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


def _full_row(
    row: GridRow,
    cells: Sequence[str],
    columns: dict[str, int],
    width: int,
    money: _MoneyCells,
    number: int,
) -> RawRecord:
    """A row with a cell for every column: positions are exact."""

    def cell(key: str) -> str:
        position = columns.get(key)
        if position is None or position >= len(cells):
            return ""
        return cells[position]

    figures = tuple(
        money.figure(slot, cell(key), row, number, columns.get(key, -1))
        for slot, key in enumerate(_MONEY_KEYS)
    )
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


def _short_row(
    row: GridRow, cells: Sequence[str], width: int, money_cells: _MoneyCells, number: int
) -> RawRecord:
    """A row that lost empty cells (OCR): money cells first, then the text cells."""
    dropped = width - len(cells)
    rest = list(cells[1:])
    money: list[str] = []
    while rest and len(money) < len(_MONEY_KEYS) and _money_text(rest[0]):
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
        figures=tuple(
            money_cells.figure(position, text, row, number, position + 1)
            for position, text in enumerate(money)
        ),
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
