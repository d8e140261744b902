"""Engines: the same rules run natively, through pandera, or through Great Expectations.

The native engine is the default. ``pandera`` (on pandas), ``pandera-polars`` and ``gx`` run
the arithmetic and duplicate rules (check kinds ``funding_sum``, ``children_sum``,
``duplicate_rows``) through that library on the document's canonical table, and the remaining
rules natively; findings are built the same way whatever ran the check, and the engines must
agree (that is tested).
"""

from __future__ import annotations

from collections.abc import Sequence

from budgetqa.checks.engine import run_rules
from budgetqa.errors import UsageError
from budgetqa.findings import Finding
from budgetqa.model import Document, in_money_context
from budgetqa.rules.spec import RuleSpec

__all__ = ["ENGINES", "ENGINE_CHECKS", "run_with_engine"]

ENGINES: tuple[str, ...] = ("native", "pandera", "pandera-polars", "gx")
#: Check kinds the pandera and Great Expectations engines run themselves.
ENGINE_CHECKS: frozenset[str] = frozenset({"funding_sum", "children_sum", "duplicate_rows"})


@in_money_context
def run_with_engine(
    document: Document,
    rules: Sequence[RuleSpec],
    engine: str = "native",
    *,
    rule_budget: float | None = None,
) -> list[Finding]:
    """Findings of ``rules`` on ``document``, computed by ``engine`` (sums in
    :data:`~budgetqa.model.MONEY_CONTEXT`, so every engine adds up exactly; ``rule_budget`` as
    in :func:`~budgetqa.checks.engine.run_rules`)."""
    if engine == "native":
        return run_rules(document, rules, rule_budget=rule_budget)
    delegated = [rule for rule in rules if rule.check in ENGINE_CHECKS]
    if engine == "pandera":
        from budgetqa.engines.pandera_engine import pandera_hits

        return run_rules(
            document, rules, hits_by_code=pandera_hits(document, delegated), rule_budget=rule_budget
        )
    if engine == "pandera-polars":
        from budgetqa.engines.pandera_polars import polars_hits

        return run_rules(
            document, rules, hits_by_code=polars_hits(document, delegated), rule_budget=rule_budget
        )
    if engine == "gx":
        from budgetqa.engines.gx_engine import gx_hits

        return run_rules(
            document, rules, hits_by_code=gx_hits(document, delegated), rule_budget=rule_budget
        )
    raise UsageError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
