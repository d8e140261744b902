"""Great Expectations (GX Core 1.x): the budget rules as an expectation suite, run offline.

GX's ``ExpectMulticolumnSumToEqual`` compares a row's columns with a constant only, so parent
and child sums go through derived columns: :func:`gx_frame` adds, per rule (and per money column
for sums), the difference in millionths as an integer — exact, no float — at the rows it
concerns, and built-in expectations check them (``ExpectColumnValuesToBeBetween`` within the
tolerance; ``ExpectColumnValuesToBeUnique`` over the identity key for repeated rows). The suite
runs in an ephemeral context with progress bars off; GX 1.7+ sends no analytics.
:func:`export_suite` writes the suite as JSON (Chinese kept readable) for teams that run their
own checkpoints on :func:`gx_frame` output.
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from budgetqa.checks.base import Hit
from budgetqa.engines.frame import (
    beyond,
    budget_frame,
    children_differences,
    funding_differences,
    funding_limits,
    hits_for,
    identity_keys,
)
from budgetqa.errors import BudgetQAError
from budgetqa.model import Document
from budgetqa.rules.spec import RuleSpec

__all__ = ["export_suite", "gx_frame", "gx_hits"]

# Differences are compared as integers in millionths of the money unit.
_SCALE = Decimal(1_000_000)


def _scaled(value: Decimal) -> int:
    return int((value * _SCALE).to_integral_value())


def _specs(rules: Sequence[RuleSpec]) -> list[tuple[RuleSpec, str, str]]:
    """(rule, money column or "", derived column name) per expectation."""
    specs: list[tuple[RuleSpec, str, str]] = []
    for rule in rules:
        if rule.check == "children_sum":
            specs.extend(
                (rule, column, f"bqa_{rule.code}_{column}") for column in rule.params["columns"]
            )
        elif rule.check in {"funding_sum", "duplicate_rows"}:
            specs.append((rule, "", f"bqa_{rule.code}"))
    return specs


def gx_frame(document: Document, rules: Sequence[RuleSpec]) -> pd.DataFrame:
    """The canonical table plus one derived column per expectation of :func:`export_suite`."""
    frame = budget_frame(document)
    for rule, column, derived in _specs(rules):
        if rule.check == "funding_sum":
            differences = funding_differences(frame)
            limits = funding_limits(frame, rule.params["tolerance"])
            levels = set(rule.params["levels"])
            frame[derived] = [
                0 if d is None or level not in levels else _scaled(beyond(d, limit))
                for d, level, limit in zip(differences, frame["level"], limits, strict=True)
            ]
        elif rule.check == "children_sum":
            table = children_differences(
                frame,
                rule.params["parent_level"],
                rule.params["child_level"],
                column,
                rule.params["tolerance"],
            )
            by_parent = {
                int(index): _scaled(beyond(d, limit))
                for index, d, limit in zip(
                    table.index, table["difference"], table["limit"], strict=True
                )
            }
            frame[derived] = [by_parent.get(int(index), 0) for index in frame.index]
        else:
            eligible = frame["level"].isin(list(rule.params["levels"]))
            keys = identity_keys(frame)
            # Rows the rule does not look at get a key of their own, so they are never "repeated".
            frame[derived] = [
                key if use else f"\x00row {index}"
                for index, key, use in zip(frame.index, keys, eligible, strict=True)
            ]
    return frame


def _expectations(rules: Sequence[RuleSpec]) -> list[tuple[RuleSpec, str, Any]]:
    import great_expectations.expectations as gxe

    found: list[tuple[RuleSpec, str, Any]] = []
    for rule, column, derived in _specs(rules):
        meta = {"budgetqa_code": rule.code, "budgetqa_name": rule.name, "money_column": column}
        expectation: Any
        if rule.check == "duplicate_rows":
            expectation = gxe.ExpectColumnValuesToBeUnique(column=derived, meta=meta)
        else:
            # the derived column holds each difference beyond what the rule accepts (its
            # tolerance, or the rounding of the printed figures): it must be 0
            expectation = gxe.ExpectColumnValuesToBeBetween(
                column=derived, min_value=0, max_value=0, meta=meta
            )
        found.append((rule, column, expectation))
    return found


def _suite(rules: Sequence[RuleSpec]) -> tuple[Any, list[tuple[RuleSpec, str, Any]]]:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name="budgetqa")
    specs = _expectations(rules)
    for _, _, expectation in specs:
        suite.add_expectation(expectation)
    return suite, specs


_TEXT_COLUMNS = {"name": "name", "goal": "goal", "indicators": "indicator_text"}


def _placeholder_expectations(rules: Sequence[RuleSpec]) -> list[Any]:
    """Placeholder rules as regex expectations on the text columns (wraps already joined).

    GX matches with Python's ``re``; a pattern only the ``regex`` module understands is left out
    and named in the expectation's ``meta``.
    """
    import re

    import great_expectations.expectations as gxe

    found: list[Any] = []
    for rule in rules:
        if rule.check != "text_pattern" or rule.category.value != "placeholder":
            continue
        usable, skipped = [], []
        for pattern in rule.params["patterns"]:
            try:
                re.compile(pattern.pattern)
                usable.append(pattern.pattern)
            except re.error:
                skipped.append(pattern.pattern)
        if not usable:
            continue
        for field in rule.params["fields"]:
            if field not in _TEXT_COLUMNS:
                continue
            meta = {
                "budgetqa_code": rule.code,
                "budgetqa_name": rule.name,
                "skipped_patterns": skipped,
            }
            found.append(
                gxe.ExpectColumnValuesToNotMatchRegexList(
                    column=_TEXT_COLUMNS[field], regex_list=usable, meta=meta
                )
            )
    return found


def export_suite(rules: Sequence[RuleSpec]) -> str:
    """The expectation suite as JSON, Chinese characters left readable.

    It holds the arithmetic and duplicate expectations (on :func:`gx_frame` columns) and the
    placeholder rules as regex expectations on the text columns.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx

        gx.get_context(mode="ephemeral")  # GX builds suites only inside an active context
        suite, _ = _suite(rules)
        for expectation in _placeholder_expectations(rules):
            suite.add_expectation(expectation)
        return json.dumps(suite.to_json_dict(), ensure_ascii=False, indent=2) + "\n"


def gx_hits(document: Document, rules: Sequence[RuleSpec]) -> dict[str, list[Hit]]:
    """Run the suite on the document's table in an ephemeral, offline context; hits by code."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        frame = gx_frame(document, rules)
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        batch = (
            context.data_sources.add_pandas("budgetqa")
            .add_dataframe_asset("table")
            .add_batch_definition_whole_dataframe("whole table")
        )
        suite, specs = _suite(rules)
        suite = context.suites.add(suite)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name="budgetqa", data=batch, suite=suite)
        )
        outcome = validation.run(
            batch_parameters={"dataframe": frame},
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["index"]},
        )
    by_column = {derived: (rule, column) for rule, column, derived in _specs(rules)}
    flagged: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for result in outcome.results:
        config = result.expectation_config
        if config is None:
            raise BudgetQAError(
                "Great Expectations returned a result without its expectation", path=document.path
            )
        derived = config.kwargs["column"]
        rule, column = by_column[derived]
        if result.exception_info and result.exception_info.get("raised_exception"):
            message = result.exception_info.get("exception_message")
            raise BudgetQAError(
                f"Great Expectations could not run {rule.code}: {message}", path=document.path
            )
        rows = {int(item["index"]) for item in result.result.get("unexpected_index_list") or []}
        if rule.check == "duplicate_rows":
            # GX flags every member of a repeated group; the first of each is the original.
            groups: dict[str, list[int]] = defaultdict(list)
            for row in sorted(rows):
                groups[str(frame.at[row, derived])].append(row)
            rows = {row for members in groups.values() for row in members[1:]}
        flagged[rule.code][column].update(rows)
    del specs
    return {
        rule.code: hits_for(document, rule, frame, flagged.get(rule.code, {})) for rule in rules
    }
