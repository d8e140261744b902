"""``ambiguous_columns``: figures whose column the table does not determine."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, register, row_fields
from budgetqa.checks.consecutive import Consecutive, consecutive_rows
from budgetqa.model import COLUMN_LABELS, Document


@register
class AmbiguousColumnsCheck(CheckKind):
    name = "ambiguous_columns"
    description = (
        "Blank money cells vanished from the layout and the sums fit more than one placement of "
        "the figures: the columns shown are the header-order guess."
    )
    fields = frozenset({"columns", "consistent"})
    # More than ROWS_LISTED rows in a row with a guessed placement are one finding, which
    # quotes the first row's columns (checks/consecutive.py).
    consecutive: ClassVar[Consecutive | None] = consecutive_rows()

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            inference = row.column_inference
            if inference is None or not inference.ambiguous:
                continue
            yield Hit(
                span=row.span,
                row=row,
                key=str(row.index),
                fields={
                    **row_fields(row, document),
                    "columns": " and ".join(COLUMN_LABELS[column] for column in inference.columns)
                    or "no column",
                    "consistent": inference.consistent,
                },
                facts={"kind": "structure", "row": row.index},
            )
