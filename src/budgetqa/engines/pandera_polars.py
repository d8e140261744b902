"""pandera on polars: the canonical table as a polars DataFrame, and the same rule checks.

:func:`to_polars` builds the table with exact ``pl.Decimal`` money columns (the scale is the
largest the document uses, so no amount is rounded). :func:`polars_schema` checks it with
pandera's polars backend: column types and levels, and one DataFrame-level check per arithmetic
or duplicate rule, computed by the same code as the pandas engine, so failures point at the
same rows. pyarrow is not needed.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

import pandas as pd
import polars as pl

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
    warnings.simplefilter("ignore")
    import pandera.polars as pap

__all__ = ["polars_hits", "polars_schema", "to_polars"]

_LEVELS = ["total", "unit", "project"]


def _scale(document: Document) -> int:
    scale = 2
    for row in document.rows:
        for value in row.amounts:
            if value is not None:
                exponent = value.as_tuple().exponent
                if isinstance(exponent, int):
                    scale = max(scale, -exponent)
    return scale


def to_polars(document: Document) -> pl.DataFrame:
    """``Document.to_frame()`` as a polars DataFrame, money as exact ``pl.Decimal``."""
    records = document.to_frame().to_dict(orient="records")
    scale = _scale(document)
    schema: dict[str, Any] = {
        "path": pl.String,
        "index": pl.Int64,
        "level": pl.String,
        "name": pl.String,
        "parent": pl.String,
        "parent_index": pl.Int64,
        **{column: pl.Decimal(38, scale) for column in MONEY_COLUMNS},
        "goal": pl.String,
        "indicator_text": pl.String,
        "indicator_count": pl.Int64,
        "line": pl.Int64,
        "end_line": pl.Int64,
        "inferred": pl.Boolean,
    }
    cleaned = [
        {key: (None if _missing(record[key]) else record[key]) for key in schema}
        for record in records
    ]
    return pl.DataFrame(cleaned, schema=schema, orient="row")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _as_pandas(data: object) -> pd.DataFrame:
    """The checked polars frame as a pandas frame of Python objects (Decimals stay Decimals)."""
    frame = cast(Any, data).lazyframe.collect()  # pandera's PolarsData
    result = pd.DataFrame.from_records(frame.to_dicts(), columns=frame.columns)
    for column in MONEY_COLUMNS:
        result[column] = result[column].astype(object).where(result[column].notna(), None)
    result["parent_index"] = result["parent_index"].astype("Int64")
    return result


def _verdict(passing: Sequence[bool]) -> pl.LazyFrame:
    return pl.LazyFrame({"passes": list(passing)})


def _rule_checks(
    rules: Sequence[RuleSpec],
) -> list[tuple[RuleSpec, str, Callable[[Any], pl.LazyFrame]]]:
    found: list[tuple[RuleSpec, str, Callable[[Any], pl.LazyFrame]]] = []
    for rule in rules:
        params = rule.params
        if rule.check == "funding_sum":
            tolerance: Decimal | None = params["tolerance"]
            levels = set(params["levels"])

            def funding(
                data: object, tolerance: Decimal | None = tolerance, levels: set[str] = levels
            ) -> pl.LazyFrame:
                frame = _as_pandas(data)
                differences = funding_differences(frame)
                limits = funding_limits(frame, tolerance)
                return _verdict(
                    [
                        level not in levels or d is None or abs(d) <= limit
                        for level, d, limit in zip(frame["level"], differences, limits, strict=True)
                    ]
                )

            found.append((rule, "", funding))
        elif rule.check == "children_sum":
            for column in params["columns"]:

                def children(
                    data: object, column: str = column, params: Mapping[str, Any] = params
                ) -> pl.LazyFrame:
                    frame = _as_pandas(data)
                    table = children_differences(
                        frame,
                        params["parent_level"],
                        params["child_level"],
                        column,
                        params["tolerance"],
                    )
                    failing = {
                        index
                        for index, d, limit in zip(
                            table.index, table["difference"], table["limit"], strict=True
                        )
                        if abs(d) > limit
                    }
                    return _verdict([index not in failing for index in frame.index])

                found.append((rule, column, children))
        elif rule.check == "duplicate_rows":

            def repeats(
                data: object, levels: tuple[str, ...] = tuple(params["levels"])
            ) -> pl.LazyFrame:
                frame = _as_pandas(data)
                copies = set(duplicate_copies(frame, levels).index)
                return _verdict([index not in copies for index in frame.index])

            found.append((rule, "", repeats))
    return found


def polars_schema(rules: Sequence[RuleSpec] = ()) -> pap.DataFrameSchema:
    """A pandera polars schema of the canonical table with one check per arithmetic/duplicate rule.

    Failure cases carry ``check`` (``CODE`` or ``CODE:column``) and the failing row's ``index``.
    """
    columns = {
        "index": pap.Column(pl.Int64, pap.Check.ge(0), unique=True),
        "level": pap.Column(pl.String, pap.Check.isin(_LEVELS)),
        "name": pap.Column(pl.String),
        "parent_index": pap.Column(pl.Int64, nullable=True),
        **{column: pap.Column(nullable=True) for column in MONEY_COLUMNS},
        "line": pap.Column(pl.Int64, pap.Check.ge(1)),
        "end_line": pap.Column(pl.Int64, pap.Check.ge(1)),
    }
    checks = [
        pap.Check(function, name=f"{rule.code}:{column}" if column else rule.code)
        for rule, column, function in _rule_checks(rules)
    ]
    return pap.DataFrameSchema(columns, checks=checks, name="budgetqa canonical table (polars)")


def polars_hits(document: Document, rules: Sequence[RuleSpec]) -> dict[str, list[Hit]]:
    """Validate the document as a polars frame with pandera; the hits of each rule, by code."""
    specs = {
        f"{rule.code}:{column}" if column else rule.code: (rule, column)
        for rule, column, _ in _rule_checks(rules)
    }
    flagged: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    try:
        polars_schema(rules).validate(to_polars(document), lazy=True)
    except pap.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        for check, index, case in zip(
            cases["check"].to_list(),
            cases["index"].to_list(),
            cases["failure_case"].to_list(),
            strict=True,
        ):
            if check not in specs:
                continue
            rule, column = specs[check]
            if index is None:
                raise BudgetQAError(
                    f"pandera (polars) could not run {rule.code}: {case}", path=document.path
                ) from None
            flagged[rule.code][column].add(int(index))
    frame = budget_frame(document)
    return {
        rule.code: hits_for(document, rule, frame, flagged.get(rule.code, {})) for rule in rules
    }
