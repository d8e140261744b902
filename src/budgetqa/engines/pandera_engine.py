"""pandera: a schema for the canonical table, and the budget rules as registered checks.

:func:`canonical_schema` validates ``Document.to_frame()`` (types, levels, non-negative amounts,
parent links) and, given rules, adds one registered DataFrame check per arithmetic or duplicate
rule (per column for sums). The checks are registered with
``pandera.extensions.register_check_method``, so a schema round-trips through ``to_yaml``.
:func:`pandera_hits` validates lazily and maps the failure cases back to budgetqa hits, pointing
at the rows (and so the source lines) that failed.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd

from budgetqa.checks.base import Hit
from budgetqa.engines.frame import (
    budget_frame,
    children_differences,
    duplicate_copies,
    funding_differences,
    funding_limits,
    hits_for,
)
from budgetqa.errors import BudgetQAError
from budgetqa.model import MONEY_COLUMNS, Document
from budgetqa.rules.spec import RuleSpec

with warnings.catch_warnings():
    # pandera warns about optional backends on import; nothing here uses them.
    warnings.simplefilter("ignore")
    import pandera.pandas as pa
    from pandera import extensions

__all__ = ["canonical_schema", "pandera_hits"]

_LEVELS = ["total", "unit", "project"]


def _statistic(tolerance: Decimal | None) -> str:
    """A rule's tolerance as the check's statistic: an amount, or ``auto``."""
    return "auto" if tolerance is None else str(tolerance)


def _tolerance(statistic: str) -> Decimal | None:
    return None if statistic == "auto" else Decimal(statistic)


def _register() -> None:
    """Register budgetqa's checks with pandera once per process."""
    if hasattr(pa.Check, "budgetqa_funding_sum"):
        return

    @extensions.register_check_method(
        statistics=["tolerance", "levels"], supported_types=pd.DataFrame, check_type="vectorized"
    )
    def budgetqa_funding_sum(
        frame: pd.DataFrame, *, tolerance: str, levels: list[str]
    ) -> pd.Series:
        """Funding columns add up to 总计 on rows of ``levels`` (blank 总计: not checked), within
        ``tolerance`` (``auto``: the rounding of the printed figures)."""
        limits = funding_limits(frame, _tolerance(tolerance))
        differences = funding_differences(frame)
        checked = frame["level"].isin(levels)
        return pd.Series(
            [
                not use or d is None or abs(d) <= limit
                for use, d, limit in zip(checked, differences, limits, strict=True)
            ],
            index=frame.index,
        )

    @extensions.register_check_method(
        statistics=["parent_level", "child_level", "column", "tolerance"],
        supported_types=pd.DataFrame,
        check_type="vectorized",
    )
    def budgetqa_children_sum(
        frame: pd.DataFrame, *, parent_level: str, child_level: str, column: str, tolerance: str
    ) -> pd.Series:
        """A parent's ``column`` equals the sum over its children (failures on the parent rows)."""
        table = children_differences(
            frame, parent_level, child_level, column, _tolerance(tolerance)
        )
        failing = {
            index
            for index, d, limit in zip(
                table.index, table["difference"], table["limit"], strict=True
            )
            if abs(d) > limit
        }
        return pd.Series([index not in failing for index in frame.index], index=frame.index)

    @extensions.register_check_method(
        statistics=["levels"], supported_types=pd.DataFrame, check_type="vectorized"
    )
    def budgetqa_no_repeated_rows(frame: pd.DataFrame, *, levels: list[str]) -> pd.Series:
        """No row repeats an earlier one under the same parent (failures on the repeats)."""
        copies = set(duplicate_copies(frame, levels).index)
        return pd.Series([index not in copies for index in frame.index], index=frame.index)

    @extensions.register_check_method(check_type="element_wise")
    def budgetqa_non_negative(value: object) -> bool:
        """A money cell is blank or a non-negative Decimal."""
        return value is None or (isinstance(value, Decimal) and value >= 0)

    @extensions.register_check_method(supported_types=pd.DataFrame, check_type="vectorized")
    def budgetqa_parent_links(frame: pd.DataFrame) -> pd.Series:
        """A unit's parent is 合计; a project's parent is a unit or 合计; 合计 has none."""
        levels = frame["level"]
        parents = frame["parent_index"]
        allowed: dict[str, set[str | None]] = {
            "total": {None},
            "unit": {"total"},
            "project": {"unit", "total"},
        }
        result = []
        for level, parent in zip(levels, parents, strict=True):
            parent_level = None if pd.isna(parent) else levels.iloc[int(parent)]
            result.append(parent_level in allowed[level])
        return pd.Series(result, index=frame.index)


def canonical_schema(rules: Sequence[RuleSpec] = ()) -> pa.DataFrameSchema:
    """The pandera schema of ``Document.to_frame()``, with a check per arithmetic/duplicate rule."""
    _register()
    columns = {
        "path": pa.Column(str),
        "index": pa.Column(int, pa.Check.ge(0), unique=True),
        "level": pa.Column(str, pa.Check.isin(_LEVELS)),
        "name": pa.Column(str),
        "parent": pa.Column(str, nullable=True),
        "parent_index": pa.Column(nullable=True),
        **{
            column: pa.Column(object, pa.Check.budgetqa_non_negative(), nullable=True)
            for column in MONEY_COLUMNS
        },
        "goal": pa.Column(str),
        "indicator_text": pa.Column(str),
        "indicator_count": pa.Column(int, pa.Check.ge(0)),
        "line": pa.Column(int, pa.Check.ge(1)),
        "end_line": pa.Column(int, pa.Check.ge(1)),
    }
    checks = [pa.Check.budgetqa_parent_links()]
    checks.extend(check for _, _, check in _rule_checks(rules))
    return pa.DataFrameSchema(
        columns, checks=checks, strict=False, coerce=False, name="budgetqa canonical table"
    )


def _rule_checks(rules: Sequence[RuleSpec]) -> list[tuple[RuleSpec, str, pa.Check]]:
    """(rule, column or "", check) for every rule pandera can run."""
    found: list[tuple[RuleSpec, str, pa.Check]] = []
    for rule in rules:
        params = rule.params
        if rule.check == "funding_sum":
            check = pa.Check.budgetqa_funding_sum(
                tolerance=_statistic(params["tolerance"]), levels=list(params["levels"])
            )
            found.append((rule, "", check))
        elif rule.check == "children_sum":
            for column in params["columns"]:
                check = pa.Check.budgetqa_children_sum(
                    parent_level=params["parent_level"],
                    child_level=params["child_level"],
                    column=column,
                    tolerance=_statistic(params["tolerance"]),
                )
                found.append((rule, column, check))
        elif rule.check == "duplicate_rows":
            check = pa.Check.budgetqa_no_repeated_rows(levels=list(params["levels"]))
            found.append((rule, "", check))
    return found


def pandera_hits(document: Document, rules: Sequence[RuleSpec]) -> dict[str, list[Hit]]:
    """Validate the document's table with pandera; the hits of each rule, by code."""
    _register()
    specs = _rule_checks(rules)
    frame = budget_frame(document)
    schema = pa.DataFrameSchema(checks=[check for _, _, check in specs], name="budgetqa rules")
    flagged: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["schema_context"] == "DataFrameSchema"]
        for number, index, case in zip(
            cases["check_number"], cases["index"], cases["failure_case"], strict=True
        ):
            if pd.isna(number):
                continue
            rule, column, _ = specs[int(number)]
            if pd.isna(index):
                # A failure with no row is the check itself raising: never drop it silently.
                raise BudgetQAError(
                    f"pandera could not run {rule.code} ({rule.name}): {case}", path=document.path
                ) from None
            flagged[rule.code][column].add(int(index))
    return {
        rule.code: hits_for(document, rule, frame, flagged.get(rule.code, {})) for rule in rules
    }
