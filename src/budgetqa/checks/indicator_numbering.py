"""``indicator_numbering``: indicators numbered 1, 2, 3… with no gap and no repeat."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from budgetqa.checks.base import CheckKind, Hit, indicator_hit, register
from budgetqa.model import Document


@register
class IndicatorNumberingCheck(CheckKind):
    name = "indicator_numbering"
    description = (
        "A row's indicators are numbered from 1 without gaps or repeats. A gap or repeat usually "
        "means an indicator was lost, pasted twice, or text from another row ran in."
    )
    fields = frozenset({"number", "expected_number", "problem"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            expected = 1
            seen: set[int] = set()
            for indicator in row.indicators:
                number = indicator.number
                problem = None
                if number in seen:
                    problem = "repeats a number"
                elif number != expected:
                    problem = "skips" if number > expected else "goes backwards"
                if problem is not None:
                    yield indicator_hit(
                        document,
                        row,
                        indicator,
                        {"problem": problem, "expected_number": expected},
                        expected=str(expected),
                        actual=str(number),
                    )
                seen.add(number)
                expected = max(expected, number + 1)
