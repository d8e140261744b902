"""``missing_text``: a project with no goal (绩效目标) or no indicators (绩效指标)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from budgetqa.checks.base import CheckKind, Hit, Param, register, row_fields
from budgetqa.checks.consecutive import Consecutive, consecutive_rows
from budgetqa.model import Document

_LABELS = {"goal": "goal (绩效目标)", "indicators": "indicators (绩效指标)"}


@register
class MissingTextCheck(CheckKind):
    name = "missing_text"
    description = "A row of the given levels whose goal text or indicator text is empty."
    parameters: ClassVar[Mapping[str, Param]] = {
        "field": Param("str", "goal", "which text must be present", ("goal", "indicators")),
        "levels": Param(
            "list[str]", ["project"], "row levels checked", ("total", "unit", "project")
        ),
    }
    fields = frozenset({"field"})
    # More than ROWS_LISTED projects in a row without this text (junk lines read as rows) are
    # one finding (checks/consecutive.py).
    consecutive: ClassVar[Consecutive | None] = consecutive_rows("field")

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        field = params["field"]
        if field not in document.row_texts:
            return  # the table has no such column (a PDF project table without indicators)
        for row in document.rows:
            if row.level.value not in params["levels"]:
                continue
            text = row.goal if field == "goal" else row.indicator_text
            if text.strip():
                continue
            yield Hit(
                span=row.span,
                row=row,
                key=str(row.index),
                fields={**row_fields(row, document), "field": _LABELS[field]},
                facts={"kind": "structure", "row": row.index},
            )
