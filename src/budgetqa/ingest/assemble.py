"""Turning what a reader cut out of its input into the canonical :class:`Document`.

Every reader (tab-separated, layout text, CSV, XLSX, DataFrame) produces the same
:class:`RawRecord` per table row and a role per input line; this module decides each row's level
and parent, places its money figures in columns (:mod:`budgetqa.ingest.placement`) and parses
its indicators, so all layouts share one set of rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs
import regex

from budgetqa.errors import TruncatedTableError
from budgetqa.ingest.header import Preamble
from budgetqa.ingest.indicators import parse_indicators
from budgetqa.ingest.placement import candidate_placements, solve_placements
from budgetqa.ingest.rows_table import performance_table
from budgetqa.model import (
    MONEY_COLUMNS,
    ColumnInference,
    Document,
    Fragment,
    Level,
    LineRole,
    NoteKind,
    ReadNote,
    Row,
    SourceSpan,
    TextPiece,
    in_money_context,
)
from budgetqa.text import MAX_AMOUNT_DIGITS, fold, is_amount_text, squeeze_name

__all__ = ["TOTAL_NAMES", "Figure", "RawRecord", "assemble_document", "looks_like_organisation"]


@attrs.frozen
class Figure:
    """A money cell as read: its position among the money cells, its value and its raw text."""

    position: int
    value: Decimal | None
    raw: str


@attrs.frozen
class RawRecord:
    """One table row as a reader found it, before levels and columns are decided.

    ``dropped`` is how many cells the row lost (0: every cell is where it belongs; ``None``:
    unknown, as in layout text where blank money cells vanish).
    """

    name_pieces: tuple[TextPiece, ...]
    figures: tuple[Figure, ...]
    dropped: int | None
    goal_pieces: tuple[TextPiece, ...]
    indicator_pieces: tuple[TextPiece, ...]
    line: int
    end_line: int
    level: Level | None = None
    missing_cells: int = 0

    @property
    def name(self) -> str:
        return squeeze_name("".join(piece.text.strip() for piece in self.name_pieces))

    @property
    def has_text(self) -> bool:
        return any(piece.text.strip() for piece in (*self.goal_pieces, *self.indicator_pieces))

    @property
    def first_amount(self) -> Decimal | None:
        for figure in self.figures:
            if figure.value is not None:
                return figure.value
        return None


#: Names of the department total row (names are compared after white space is squeezed out).
TOTAL_NAMES = frozenset({"合计", "总计"})
_ORGANISATION_NAME = regex.compile(
    r"(?:局|中心|办公室|委员会|管理处|服务处|所|院|站|队|馆|学校|协会|(?:\(|（)本级(?:\)|）))$"
)


def looks_like_organisation(name: str) -> bool:
    """True when a name reads like a spending unit (…局, …中心, …办公室, …（本级）)."""
    return _ORGANISATION_NAME.search(fold(name)) is not None


def _levels(records: Sequence[RawRecord]) -> list[Level]:
    levels: list[Level] = []
    for position, record in enumerate(records):
        if record.level is not None:
            levels.append(record.level)
        elif record.name in TOTAL_NAMES:
            levels.append(Level.TOTAL)
        elif record.has_text:
            levels.append(Level.PROJECT)
        elif looks_like_organisation(record.name) or _heads_a_group(records, position):
            levels.append(Level.UNIT)
        else:
            levels.append(Level.PROJECT)
    return levels


def _heads_a_group(records: Sequence[RawRecord], position: int) -> bool:
    """A row without goal or indicators whose total is the sum of the rows after it."""
    own = records[position].first_amount
    if own is None:
        return False
    running = Decimal(0)
    for follower in records[position + 1 :]:
        if not follower.has_text:
            break
        running += follower.first_amount or Decimal(0)
    return running == own and position + 1 < len(records) and records[position + 1].has_text


def _out_of_range(
    path: str, records: Sequence[RawRecord]
) -> tuple[list[RawRecord], list[ReadNote]]:
    """Records with every out-of-range figure made a non-amount, and a note for each."""
    notes: list[ReadNote] = []
    cleaned: list[RawRecord] = []
    for record in records:
        figures = list(record.figures)
        for slot, figure in enumerate(figures):
            digits = sum(character.isdigit() for character in figure.raw)
            if digits <= MAX_AMOUNT_DIGITS or not is_amount_text(figure.raw):
                continue
            shown = figure.raw if len(figure.raw) <= 60 else figure.raw[:57] + "…"
            notes.append(
                ReadNote(
                    kind=NoteKind.AMOUNT_OUT_OF_RANGE,
                    span=SourceSpan(path, record.line, record.end_line),
                    text=shown,
                    detail=f"a number of {digits} digits (at most {MAX_AMOUNT_DIGITS} are read as"
                    " an amount); the cell is not counted in any sum",
                )
            )
            figures[slot] = attrs.evolve(figure, value=None)
        cleaned.append(
            record
            if figures == list(record.figures)
            else attrs.evolve(record, figures=tuple(figures))
        )
    return cleaned, notes


@in_money_context
def assemble_document(
    *,
    path: str,
    layout: str,
    encoding: str | None,
    preamble: Preamble,
    preamble_pieces: Sequence[TextPiece],
    records: Sequence[RawRecord],
    fragments: Sequence[Fragment],
    line_roles: Sequence[LineRole],
    source_lines: Sequence[str] = (),
    notes: Sequence[ReadNote] = (),
) -> Document:
    """Build the canonical document from a reader's records and line roles.

    ``notes`` are what the reader could not take exactly as written (see
    :class:`~budgetqa.model.ReadNote`); amounts out of range are added to them here, for every
    reader alike, and their cells left out of the sums.
    """
    records, range_notes = _out_of_range(path, records)
    if not records:
        last = max(
            (i + 1 for i, role in enumerate(line_roles) if role is not LineRole.BLANK), default=1
        )
        raise TruncatedTableError("the table has a header but no rows", path=path, line=last)

    levels = _levels(records)
    parents: list[int | None] = []
    current_total: int | None = None
    current_unit: int | None = None
    for position, level in enumerate(levels):
        if level is Level.TOTAL:
            parents.append(None)
            current_total, current_unit = position, None
        elif level is Level.UNIT:
            parents.append(current_total)
            current_unit = position
        else:
            parents.append(current_unit if current_unit is not None else current_total)

    candidates = [
        candidate_placements([(f.position, f.value) for f in record.figures], record.dropped)
        for record in records
    ]
    children: list[list[int]] = [[] for _ in records]
    roots: list[int] = []
    for position, parent in enumerate(parents):
        if parent is None:
            roots.append(position)
        else:
            children[parent].append(position)
    choices = solve_placements(candidates, children, roots)

    rows: list[Row] = []
    for position, record in enumerate(records):
        choice = choices[position]
        placement = candidates[position][choice.index]
        inference = None
        if choice.candidates > 1:
            inference = ColumnInference(
                method="sums"
                if choice.decided_by_sums and choice.consistent < choice.candidates
                else "header_order",
                candidates=choice.candidates,
                consistent=choice.consistent,
                columns=tuple(
                    column
                    for column, value in zip(MONEY_COLUMNS[1:], placement[1:], strict=True)
                    if value is not None
                ),
                uncertain=tuple(
                    column
                    for slot, column in enumerate(MONEY_COLUMNS)
                    if choice.undetermined
                    and len({candidates[position][option][slot] for option in choice.options}) > 1
                ),
            )
        raw_amounts = _raw_by_column(record, placement)
        parent = parents[position]
        rows.append(
            Row(
                index=position,
                level=levels[position],
                name=record.name,
                parent=None if parent is None else records[parent].name,
                parent_index=parent,
                total=placement[0],
                fiscal_appropriation=placement[1],
                special_account=placement[2],
                other_funds=placement[3],
                span=SourceSpan(path, record.line, record.end_line),
                name_pieces=record.name_pieces,
                goal_pieces=record.goal_pieces,
                indicator_pieces=record.indicator_pieces,
                indicators=parse_indicators(record.indicator_pieces, path),
                raw_amounts=raw_amounts,
                column_inference=inference,
                missing_cells=record.missing_cells,
            )
        )
    return Document(
        path=path,
        layout=layout,
        encoding=encoding,
        department=preamble.department,
        unit_of_money=preamble.unit_of_money,
        raw_unit_of_money=preamble.raw_unit_of_money,
        title=preamble.title,
        rows=tuple(rows),
        fragments=tuple(fragments),
        line_roles=tuple(line_roles),
        tables=(
            performance_table(
                rows,
                title=preamble.title,
                unit=preamble.unit_of_money,
                department=preamble.department,
            ),
        )
        if rows
        else (),
        rows_table=0 if rows else None,
        preamble=tuple(preamble_pieces),
        source_lines=tuple(source_lines),
        notes=tuple(sorted([*notes, *range_notes], key=lambda note: note.span.line)),
    )


def _raw_by_column(
    record: RawRecord, placement: Sequence[Decimal | None]
) -> tuple[str | None, str | None, str | None, str | None]:
    """The raw text of each money cell, by column.

    Where cells sit in their columns, every cell's text is kept, including text that is not an
    amount; otherwise the figures keep their order into the columns they were placed in.
    """
    raw: list[str | None] = [None, None, None, None]
    if record.dropped == 0:
        for figure in record.figures:
            if figure.position < len(raw) and figure.raw:
                raw[figure.position] = figure.raw
        return (raw[0], raw[1], raw[2], raw[3])
    present = [figure for figure in record.figures if figure.value is not None]
    slots = [slot for slot, value in enumerate(placement) if value is not None]
    for slot, figure in zip(slots, present, strict=False):
        raw[slot] = figure.raw
    return (raw[0], raw[1], raw[2], raw[3])
