"""``missing_cells``: a row that lost cells (OCR), so its columns had to be inferred."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, register, row_fields
from budgetqa.checks.consecutive import Consecutive, consecutive_rows
from budgetqa.model import Document


@register
class MissingCellsCheck(CheckKind):
    name = "missing_cells"
    description = (
        "A row with fewer cells than the header: OCR dropped cells it saw as empty, so which "
        "column each figure belongs to was inferred from the sums."
    )
    fields = frozenset({"missing", "inference"})
    # More than ROWS_LISTED rows in a row that lost cells are one finding when their figures
    # were placed the same way; the number lost is quoted from the first (checks/consecutive.py).
    consecutive: ClassVar[Consecutive | None] = consecutive_rows("inference")

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            if row.missing_cells <= 0:
                continue
            inference = row.column_inference
            if inference is None:
                how = "placed without doubt"
            elif inference.method == "sums":
                how = "placed by the sums"
            else:
                how = "placed by header order only"
            yield Hit(
                span=row.span,
                row=row,
                key=str(row.index),
                fields={
                    **row_fields(row, document),
                    "missing": row.missing_cells,
                    "inference": how,
                },
                facts={"kind": "structure", "row": row.index},
            )
