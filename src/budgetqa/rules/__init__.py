"""Rule files: loading, validating and selecting the declarative rules."""

from __future__ import annotations

from budgetqa.rules.loader import (
    builtin_rule_files,
    load_builtin_rules,
    load_rule_files,
    load_rules_text,
)
from budgetqa.rules.selection import matches, select_rules
from budgetqa.rules.spec import RuleExample, RuleSpec

__all__ = [
    "RuleExample",
    "RuleSpec",
    "builtin_rule_files",
    "load_builtin_rules",
    "load_rule_files",
    "load_rules_text",
    "matches",
    "select_rules",
]
