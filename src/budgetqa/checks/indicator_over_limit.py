"""``indicator_over_limit``: a percentage target above a limit (满意度 over 100%)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, ClassVar

import regex

from budgetqa.checks.base import CheckKind, Hit, Param, indicator_hit, register
from budgetqa.checks.budget import current_budget
from budgetqa.model import Document, format_amount
from budgetqa.text import fold

# Tried from the first digit of a number only: tried from every digit of a long run of digits
# that no % follows, the scan was quadratic. tests/test_growth.py holds it to the old pattern.
_PERCENT = regex.compile(r"(?<!\d)(\d++(?:\.\d++)?+)\s*+%")


@register
class IndicatorOverLimitCheck(CheckKind):
    name = "indicator_over_limit"
    description = (
        "Indicators whose name matches the rule's pattern (by default satisfaction and rates) "
        "cannot have a percentage target above the limit (by default 100%)."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "name_pattern": Param(
            "regex",
            "满意|率",
            "regular expression on the indicator's name and categories"
            " (the `regex` module's syntax, VERSION1)",
        ),
        "limit": Param("decimal", "100", "largest acceptable percentage"),
    }
    fields = frozenset({"number", "indicator", "value", "limit"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        name_pattern: regex.Pattern[str] = params["name_pattern"]
        limit: Decimal = params["limit"]
        budget = current_budget()
        for row in document.rows:
            for indicator in row.indicators:
                label = " ".join(
                    filter(None, (indicator.name, indicator.category, indicator.subcategory))
                )
                # Within the rule's time budget, as text_pattern: a user's pattern cannot hang
                # an audit, and the row where it ran out is named.
                named = budget.search(name_pattern, label, line=indicator.span.line, row=row.name)
                if not named:
                    continue
                values = [indicator.period_value or "", indicator.annual_value or ""]
                over = [
                    Decimal(match.group(1))
                    for value in values
                    for match in _PERCENT.finditer(fold(value))
                    if Decimal(match.group(1)) > limit
                ]
                if not over:
                    continue
                worst = max(over)
                yield indicator_hit(
                    document,
                    row,
                    indicator,
                    {"value": f"{worst}%", "limit": f"{limit}%"},
                    expected=f"<= {format_amount(limit) or limit}%",
                    actual=f"{worst}%",
                )
