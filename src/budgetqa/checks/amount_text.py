"""``amount_text``: money cells printed with OCR noise (stray spaces inside the number)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import regex

from budgetqa.checks.base import CheckKind, Hit, register, row_fields
from budgetqa.model import COLUMN_LABELS, MONEY_COLUMNS, Document, format_amount

_INNER_SPACE = regex.compile(r"\d\s+[,.]|[,.]\s+\d|\d\s+\d")


@register
class AmountTextCheck(CheckKind):
    name = "amount_text"
    description = (
        "A money cell whose printed text has white space inside the number (``55, 873. 15``)."
    )
    fields = frozenset({"raw", "value", "column"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            noisy = [
                (column, raw)
                for column, raw in zip(MONEY_COLUMNS, row.raw_amounts, strict=True)
                if raw is not None and _INNER_SPACE.search(raw)
            ]
            if not noisy:
                continue
            raw_text = ", ".join(f'{COLUMN_LABELS[column]} "{raw}"' for column, raw in noisy)
            values = ", ".join(format_amount(row.amount(column)) or "" for column, _ in noisy)
            yield Hit(
                span=row.span,
                row=row,
                key=str(row.index),
                fields={
                    **row_fields(row, document),
                    "raw": raw_text,
                    "value": values,
                    "column": "",
                },
                expected=values,
                actual="; ".join(raw for _, raw in noisy),
                facts={"kind": "text", "row": row.index},
            )
