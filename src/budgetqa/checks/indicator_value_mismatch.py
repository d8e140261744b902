"""``indicator_value_mismatch``: 实施周期指标值 and 年度指标值 set different numeric targets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs
import regex

from budgetqa.checks.base import CheckKind, Hit, indicator_hit, register
from budgetqa.model import Document
from budgetqa.text import fold

# A numeric target: an optional comparator, a number, and a short unit (%, 人, 人次, 个…).
_TARGET = regex.compile(
    r"(?P<op>≥|≤|>|<|=|不低于|不少于|不高于|不超过|大于等于|小于等于|大于|小于|达到|高于|低于|以上|以下)?"
    # White space before the number is tried from where it starts only: tried from every
    # position of a long run, the scan was quadratic. tests/test_growth.py holds it to the old.
    r"(?:(?<!\s)\s++)?"
    r"(?P<number>\d++(?:\.\d++)?+)\s*+(?P<unit>%|[\p{Han}/]{0,3})"
)
_OPERATORS = {
    "不低于": "≥", "不少于": "≥", "大于等于": "≥", "达到": "≥", "以上": "≥",
    "不高于": "≤", "不超过": "≤", "小于等于": "≤", "以下": "≤",
    "大于": ">", "高于": ">", "小于": "<", "低于": "<",
}  # fmt: skip


@attrs.frozen
class Target:
    operator: str
    number: Decimal
    unit: str


def last_target(value: str) -> Target | None:
    """The last numeric target in a value (``劳动保障监察举报投诉案件结案率96%`` → 96 %)."""
    matches = list(_TARGET.finditer(fold(value)))
    if not matches:
        return None
    match = matches[-1]
    operator = match.group("op") or ""
    return Target(
        _OPERATORS.get(operator, operator), Decimal(match.group("number")), match.group("unit")
    )


@register
class IndicatorValueMismatchCheck(CheckKind):
    name = "indicator_value_mismatch"
    description = (
        "Both values are given and each states a numeric target, but the numbers or units differ. "
        "For a one-year project they should agree; for a multi-year one the difference may be "
        "intended, which is why the rule warns rather than fails."
    )
    fields = frozenset({"number", "indicator", "period_value", "annual_value"})

    def run(self, document: Document, params: Mapping[str, Any]) -> Iterator[Hit]:
        for row in document.rows:
            for indicator in row.indicators:
                if not indicator.period_value or not indicator.annual_value:
                    continue
                if indicator.period_value == indicator.annual_value:
                    continue  # the same text sets the same target
                period = last_target(indicator.period_value)
                annual = last_target(indicator.annual_value)
                if period is None or annual is None:
                    continue
                if (period.number, period.unit) == (annual.number, annual.unit):
                    continue
                yield indicator_hit(
                    document,
                    row,
                    indicator,
                    {
                        "period_value": indicator.period_value,
                        "annual_value": indicator.annual_value,
                    },
                    expected=indicator.period_value,
                    actual=indicator.annual_value,
                )
