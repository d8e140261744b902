"""The budget arithmetic and duplicate detection on the canonical DataFrame, in pandas.

This is the library engines' own implementation of the checks (the native engine works on the
Document directly), so the engines' agreement test compares two independent computations. It
also turns the rows a library flagged into hits with the same fields as the native checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from budgetqa.checks.base import Hit
from budgetqa.checks.children_sum import children_hit
from budgetqa.checks.duplicate_rows import duplicate_hit, printed_figures
from budgetqa.checks.funding_sum import funding_hit
from budgetqa.checks.rounding import rounding_limit
from budgetqa.model import FUNDING_COLUMNS, MONEY_COLUMNS, Document, Level
from budgetqa.rules.spec import RuleSpec
from budgetqa.text import fold, squeeze_name

__all__ = [
    "beyond",
    "budget_frame",
    "children_differences",
    "duplicate_copies",
    "funding_differences",
    "funding_limits",
    "hits_for",
    "identity_keys",
    "with_derived_columns",
]

_ZERO = Decimal(0)


def _zero(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else _ZERO


def _sum(values: Iterable[object]) -> Decimal:
    total = _ZERO
    for value in values:
        total += _zero(value)
    return total


def _key(text: object) -> str:
    return fold(squeeze_name(str(text or "")))


def budget_frame(document: Document) -> pd.DataFrame:
    """``Document.to_frame()`` plus the columns the engines need: ancestors and identity keys."""
    return with_derived_columns(document.to_frame())


def with_derived_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a canonical frame with ``top_index`` and the identity keys added (if missing)."""
    if {"top_index", "name_key", "figures_key", "goal_key", "indicator_key"} <= set(frame.columns):
        return frame
    frame = frame.copy()
    parents = frame["parent_index"]
    # The 合计 above each row (through its unit), for "projects sum to 合计".
    grandparents = parents.map(lambda p: parents.iloc[int(p)] if pd.notna(p) else None)
    frame["top_index"] = [
        g if pd.notna(g) else (p if pd.notna(p) else None)
        for p, g in zip(parents, grandparents, strict=True)
    ]
    frame["name_key"] = frame["name"].map(_key)
    frame["figures_key"] = [
        repr(printed_figures([None if pd.isna(value) else value for value in amounts]))
        for amounts in frame[list(MONEY_COLUMNS)].itertuples(index=False)
    ]
    frame["goal_key"] = frame["goal"].map(_key)
    frame["indicator_key"] = frame["indicator_text"].map(_key)
    return frame


def funding_differences(frame: pd.DataFrame) -> pd.Series:
    """Per row: sum of the funding columns minus 总计 (``None`` where 总计 is blank)."""
    funding = frame[list(FUNDING_COLUMNS)].map(_zero).sum(axis=1)
    return pd.Series(
        [
            None if total is None else fund - total
            for fund, total in zip(funding, frame["total"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )


def funding_limits(frame: pd.DataFrame, tolerance: Decimal | None) -> list[Decimal]:
    """Per row: the largest difference its funding sum may show (``tolerance``, or the rounding
    of its printed funding figures: see :func:`budgetqa.checks.rounding.rounding_limit`)."""
    return [
        rounding_limit(tolerance, values)
        for values in zip(*(frame[column] for column in FUNDING_COLUMNS), strict=True)
    ]


def beyond(difference: Decimal, limit: Decimal) -> Decimal:
    """The part of ``difference`` beyond ``limit`` (0 within it), with its sign."""
    excess = abs(difference) - limit
    if excess <= 0:
        return Decimal(0)
    return excess if difference > 0 else -excess


def children_differences(
    frame: pd.DataFrame,
    parent_level: str,
    child_level: str,
    column: str,
    tolerance: Decimal | None = None,
) -> pd.DataFrame:
    """Per parent row with children: expected, actual (children's sum), difference, children,
    and the limit (``tolerance``, or the rounding of the children's printed figures)."""
    frame = with_derived_columns(frame)
    link = "parent_index" if (parent_level, child_level) != ("total", "project") else "top_index"
    children = frame[frame["level"] == child_level]
    parents = frame[frame["level"] == parent_level]
    grouped = children.groupby(children[link].astype("Int64"))
    sums = grouped[column].agg(_sum)
    addends = grouped[column].agg(list)
    blank = grouped[column].agg(lambda values: all(v is None for v in values))
    counts = grouped.size()
    rows: list[dict[str, Any]] = []
    for index, own in zip(parents.index, parents[column], strict=True):
        if index not in counts.index:
            continue
        if own is None and bool(blank.loc[index]):
            continue
        actual = sums.loc[index]
        expected = _zero(own)
        rows.append(
            {
                "parent": index,
                "own": own,
                "expected": expected,
                "actual": actual,
                "difference": actual - expected,
                "limit": rounding_limit(tolerance, addends.loc[index]),
                "children": int(counts.loc[index]),
                "child_rows": tuple(int(i) for i in children.index[children[link] == index]),
            }
        )
    columns = [
        "parent", "own", "expected", "actual", "difference", "limit", "children", "child_rows",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).set_index("parent", drop=False)


_IDENTITY = ["parent_index", "level", "name_key", "figures_key", "goal_key", "indicator_key"]


def identity_keys(frame: pd.DataFrame) -> pd.Series:
    """Per row, a key equal for rows that are the same entry (see ``duplicate_rows``)."""
    frame = with_derived_columns(frame)
    return frame[_IDENTITY].map(repr).agg("\x1f".join, axis=1)


def duplicate_copies(frame: pd.DataFrame, levels: Sequence[str]) -> pd.Series:
    """Per repeated row (after the first): the index of the first row it repeats."""
    frame = with_derived_columns(frame)
    eligible = frame[frame["level"].isin(list(levels))]
    keys = identity_keys(eligible)
    first = keys.groupby(keys).transform(lambda group: group.index[0])
    copies = eligible.index[eligible.index != first]
    return pd.Series(first.loc[copies].astype(int).values, index=copies, dtype="int64")


def hits_for(
    document: Document,
    rule: RuleSpec,
    frame: pd.DataFrame,
    flagged: Mapping[str, Iterable[int]],
) -> list[Hit]:
    """Hits for the rows a library flagged, with the native checks' fields and figures.

    ``flagged`` maps a column name (children_sum) or ``""`` (the other kinds) to row indices.
    """
    params = rule.params
    hits: list[Hit] = []
    if rule.check == "funding_sum":
        differences = funding_differences(frame)
        for index in sorted(set(flagged.get("", ()))):
            row = document.rows[index]
            if row.level.value not in params["levels"] or row.total is None:
                continue
            hits.append(funding_hit(document, row, row.total + differences.loc[index]))
    elif rule.check == "children_sum":
        parent_level, child_level = params["parent_level"], params["child_level"]
        # one hit per parent, its columns in the rule's order (as the native check gives them)
        misses: dict[int, list[tuple[str, Decimal]]] = {}
        child_rows: dict[int, tuple[int, ...]] = {}
        for column in params["columns"]:
            table = children_differences(frame, parent_level, child_level, column)
            for index in sorted(set(flagged.get(column, ()))):
                if index not in table.index:
                    continue
                entry: dict[str, Any] = {str(key): value for key, value in table.loc[index].items()}
                misses.setdefault(index, []).append((column, entry["actual"]))
                child_rows[index] = entry["child_rows"]
        for index in sorted(misses):
            hits.append(
                children_hit(
                    document,
                    document.rows[index],
                    misses[index],
                    child_rows[index],
                    Level(parent_level),
                    Level(child_level),
                )
            )
    elif rule.check == "duplicate_rows":
        firsts = duplicate_copies(frame, params["levels"])
        flagged_rows = set(flagged.get("", ()))
        copies_per_first = firsts.value_counts()
        for index in sorted(flagged_rows):
            if index not in firsts.index:
                continue
            first = document.rows[int(firsts.loc[index])]
            copies = int(copies_per_first.loc[first.index]) + 1
            hits.append(duplicate_hit(document, document.rows[index], first, copies))
    return hits
