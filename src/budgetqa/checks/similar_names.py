"""``similar_names``: same name (up to marks and spacing) under one parent, different amounts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import regex

from budgetqa.checks.base import CheckKind, Hit, Param, register, row_fields
from budgetqa.checks.duplicate_rows import row_identity
from budgetqa.model import Document, Row, format_amount
from budgetqa.text import fold

# Marks that PDF extraction leaves at the end of names (·, quotes) and white space anywhere.
# A run of marks is tried from its start only (it reaches the end from there or from nowhere in
# it): tried from every position of a long run that does not, the scan was quadratic.
_NOISE = regex.compile(r"(?<![\s·•‧・‘’'`´\"“”.。,，])[\s·•‧・‘’'`´\"“”.。,，]+$|\s+")


def name_key(name: str) -> str:
    """A name with trailing marks and all white space removed, full-width forms folded."""
    return _NOISE.sub("", fold(name))


@register
class SimilarNamesCheck(CheckKind):
    name = "similar_names"
    description = (
        "Rows under the same parent whose names are the same once trailing marks and spacing are "
        "removed but whose amounts or texts differ: usually separate tranches of one project, "
        "sometimes a mistyped repeat. Exact repeats are left to duplicate_rows."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "levels": Param("list[str]", ["project"], "row levels checked", ("unit", "project")),
    }
    fields = frozenset({"first_line", "first_name", "first_amount", "amount"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        seen: dict[tuple[int | None, str], Row] = {}
        for row in document.rows:
            if row.level.value not in params["levels"]:
                continue
            key = (row.parent_index, name_key(row.name))
            first = seen.setdefault(key, row)
            if first is row or row_identity(first) == row_identity(row):
                continue
            yield Hit(
                span=row.span,
                row=row,
                key=str(row.index),
                fields={
                    **row_fields(row, document),
                    "first_line": first.span.line,
                    "first_name": first.name,
                    "first_amount": format_amount(first.total) or "blank",
                    "amount": format_amount(row.total) or "blank",
                },
                expected=format_amount(first.total),
                actual=format_amount(row.total),
                facts={"kind": "similar_name", "row": row.index, "first": first.index},
            )
