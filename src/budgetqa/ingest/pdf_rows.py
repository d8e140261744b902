"""A PDF's project table as the rows the project-table rules check.

The rules of the five examples (unit = Σ projects, total = Σ funding, repeated rows,
placeholders, indicators) work on :class:`~budgetqa.model.Row`: 合计 → 资金使用单位 → 项目 with
``total``, ``fiscal_appropriation``, ``special_account`` and ``other_funds``. A PDF table whose
profile says ``project_rows`` and whose rows came out on exactly those levels becomes
:attr:`Document.rows`, each row traced to its page.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from budgetqa.ingest.indicators import parse_indicators
from budgetqa.model import (
    MONEY_COLUMNS,
    ColumnRole,
    Level,
    Row,
    SourceSpan,
    Table,
    TextPiece,
    format_amount,
)

__all__ = ["project_rows"]

_LEVELS = {0: Level.TOTAL, 1: Level.UNIT, 2: Level.PROJECT}


def project_rows(
    path: str, tables: Sequence[Table], kinds: frozenset[str]
) -> tuple[int, tuple[Row, ...]] | None:
    """The index of the project table among ``tables`` and its rows, or ``None``.

    ``kinds`` are the kinds whose profile says ``project_rows``. A table qualifies when it is
    established, has the four columns the rules add up (``total`` = ``fiscal_appropriation``
    + ``special_account`` + ``other_funds``: a table that splits its funds otherwise would
    break that sum on every row) and its rows are on levels 0–2 only; the first with an
    ``indicators`` column wins, else the first.
    """
    candidates = [
        index
        for index, table in enumerate(tables)
        if table.kind in kinds
        and table.established
        and table.rows
        and {row.level for row in table.rows} <= set(_LEVELS)
        and set(MONEY_COLUMNS) <= {column.key for column in table.money_columns}
    ]
    if not candidates:
        return None
    chosen = next(
        (
            index
            for index in candidates
            if any(column.key == "indicators" for column in tables[index].columns)
        ),
        candidates[0],
    )
    return chosen, _rows(path, tables[chosen])


def _rows(path: str, table: Table) -> tuple[Row, ...]:
    money = {column.key: position for position, column in enumerate(table.money_columns)}
    texts = {
        column.key: position
        for position, column in enumerate(
            column for column in table.columns if column.role is ColumnRole.TEXT
        )
    }
    rows: list[Row] = []
    for row in table.rows:
        amounts = [
            row.amounts[money[key]] if money[key] < len(row.amounts) else None
            for key in MONEY_COLUMNS
        ]
        goal = _text(row.texts, texts.get("goal"))
        indicator_text = _text(row.texts, texts.get("indicators"))
        span = SourceSpan(path, row.line, row.end_line, row.page)
        pieces = (TextPiece(row.line, indicator_text),) if indicator_text else ()
        indicators = tuple(
            attrs.evolve(item, span=attrs.evolve(item.span, page=row.page))
            for item in parse_indicators(pieces, path)
        )
        parent = row.parent
        rows.append(
            Row(
                index=row.index,
                level=_LEVELS[row.level],
                name=row.name,
                parent=None if parent is None else table.rows[parent].name,
                parent_index=parent,
                total=amounts[0],
                fiscal_appropriation=amounts[1],
                special_account=amounts[2],
                other_funds=amounts[3],
                span=span,
                name_pieces=(TextPiece(row.line, row.name),),
                goal_pieces=(TextPiece(row.line, goal),) if goal else (),
                indicator_pieces=pieces,
                indicators=indicators,
                raw_amounts=(
                    format_amount(amounts[0]),
                    format_amount(amounts[1]),
                    format_amount(amounts[2]),
                    format_amount(amounts[3]),
                ),
            )
        )
    return tuple(rows)


def _text(values: Sequence[str], position: int | None) -> str:
    if position is None or position >= len(values):
        return ""
    return values[position]
