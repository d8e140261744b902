"""Which kind of table a title announces: the bridge from the table reader to the profiles.

Provisional: until the declarative table profiles (``profiles/*.yaml``) land, the kinds the
reader knows are listed here, each with the title words that name it and how its hierarchy
is found. The most specific title wins (the longest match: 财政拨款收支总表 is not a 收支总表).
"""

from __future__ import annotations

import functools

import regex

from budgetqa.ingest.pdf_tables import TableKind, normal

__all__ = ["classify_title"]

# (kind, title pattern over the normalised title, hierarchy)
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("fiscal_summary", r"财政拨款收支(?:总体情况|预算总|总)表", "indentation"),
    ("income_expenditure_summary", r"收支(?:总体情况|预算总|总)表|财务收支预算总表", "indentation"),
    ("income_summary", r"收入(?:总体情况|预算总|总)表|收入预算表", "function_code"),
    ("expenditure_summary", r"支出(?:总体情况|预算总|总)表|支出预算表", "function_code"),
    (
        "general_budget_basic_expenditure",
        r"一般公共预算(?:财政拨款)?基本支出(?:情况|预算)?表",
        "economic_code",
    ),
    (
        "general_budget_expenditure",
        r"一般公共预算(?:财政拨款)?支出(?:情况|预算)?表",
        "function_code",
    ),
    (
        "government_fund_expenditure",
        r"政府性基金(?:预算)?(?:财政拨款)?支出(?:情况|预算)*表",
        "function_code",
    ),
    (
        "state_capital_expenditure",
        r"国有资本经营(?:预算)?(?:财政拨款)?支出(?:情况|预算)*表",
        "function_code",
    ),
    ("three_public_expenditure", r"[\"“”]?三公[\"“”]?经费.*表", "flat"),
    ("project_performance_targets", r"项目(?:支出)?绩效目标(?:情况)?表", "unit_project"),
    ("department_performance_targets", r"(?:部门|单位)整体(?:支出)?绩效目标(?:情况)?表", "flat"),
    ("project_expenditure", r"项目支出(?:情况|预算|总|及其他支出预算)*表", "indentation"),
    ("basic_expenditure", r"基本支出(?:情况|预算|总)*表", "economic_code"),
    ("fiscal_expenditure_by_function", r"财政拨款支出(?:情况|预算)?表", "function_code"),
    ("government_procurement", r"政府采购(?:预算)?(?:明细|情况)?表", "flat"),
    ("operating_expenses", r"机关运行经费.*表", "flat"),
)
_EMPTY = regex.compile(r"无.{0,20}(?:预算|支出|发生额|数据)|本表(?:本年)?无")


@functools.cache
def _compiled() -> tuple[tuple[TableKind, regex.Pattern[str]], ...]:
    return tuple(
        (TableKind(kind, hierarchy, (_EMPTY,)), regex.compile(pattern))
        for kind, pattern, hierarchy in _KINDS
    )


def classify_title(text: str) -> TableKind | None:
    """The kind of table ``text`` (a title line) names, or ``None``."""
    flat = normal(text).replace('"', "")
    best: tuple[int, TableKind] | None = None
    for kind, pattern in _compiled():
        found = pattern.search(flat)
        if found and (best is None or len(found.group()) > best[0]):
            best = (len(found.group()), kind)
    return None if best is None else best[1]
