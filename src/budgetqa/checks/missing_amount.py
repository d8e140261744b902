"""``missing_amount``: a row whose 总计 is blank."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, register, row_fields
from budgetqa.checks.consecutive import Consecutive, consecutive_rows
from budgetqa.model import Document


@register
class MissingAmountCheck(CheckKind):
    name = "missing_amount"
    description = "A row whose 总计 cell is blank (or holds text that is not an amount)."
    parameters: ClassVar[Mapping[str, Param]] = {
        "levels": Param(
            "list[str]",
            ["total", "unit", "project"],
            "row levels checked",
            ("total", "unit", "project"),
        ),
    }
    fields = frozenset({"raw"})
    # More than ROWS_LISTED rows in a row without a 总计 (junk lines read as rows) are one
    # finding, which quotes the first row's cell (checks/consecutive.py).
    consecutive: ClassVar[Consecutive | None] = consecutive_rows()

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            if row.level.value in params["levels"] and row.total is None:
                raw = row.raw_amounts[0]
                yield Hit(
                    span=row.span,
                    row=row,
                    key=str(row.index),
                    fields={**row_fields(row, document), "raw": raw or "blank"},
                    actual=raw,
                    facts={"kind": "structure", "row": row.index},
                )
