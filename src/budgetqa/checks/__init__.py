"""The check kinds behind the rules, one per module, registered by name in :data:`CHECKS`."""

from __future__ import annotations

from budgetqa.checks import (  # noqa: F401 - importing a module registers its check kind
    ambiguous_columns,
    amount_text,
    children_sum,
    completeness,
    duplicate_rows,
    fragments,
    funding_sum,
    indicator_missing_value,
    indicator_numbering,
    indicator_over_limit,
    indicator_value_mismatch,
    missing_amount,
    missing_cells,
    missing_text,
    narrative,
    read_note,
    rounding_tail,
    similar_names,
    table_relation,
    table_structure,
    text_pattern,
    wrong_cell,
)
from budgetqa.checks.base import CHECKS, CheckKind, Hit, Param, register

__all__ = ["CHECKS", "CheckKind", "Hit", "Param", "register"]
