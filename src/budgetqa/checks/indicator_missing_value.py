"""``indicator_missing_value``: an indicator that states no target value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from budgetqa.checks.base import CheckKind, Hit, indicator_hit, register
from budgetqa.model import Document


@register
class IndicatorMissingValueCheck(CheckKind):
    name = "indicator_missing_value"
    description = (
        "An indicator with neither 实施周期指标值 nor 年度指标值 (or both empty) sets no target."
    )
    fields = frozenset({"number", "indicator"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            for indicator in row.indicators:
                if indicator.period_value or indicator.annual_value:
                    continue
                yield indicator_hit(document, row, indicator)
