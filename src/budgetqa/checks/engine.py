"""Running rules on a document: hits become findings with ids, messages and quoted source."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from budgetqa.checks.base import CHECKS, Hit
from budgetqa.checks.budget import (
    DEFAULT_RULE_BUDGET_SECONDS,
    SECONDS_PER_CHARACTER,
    RuleStopped,
    budget_for_rule,
)
from budgetqa.checks.consecutive import merge_consecutive
from budgetqa.checks.explain import explain
from budgetqa.findings import Finding, Location, Severity
from budgetqa.model import Document, Level, in_money_context
from budgetqa.rules.spec import RuleSpec

__all__ = ["QUOTE_LIMIT", "finding_id", "quote", "run_rules", "stopped_finding"]


class _Fields(dict[str, object]):
    """Template fields; a field a hit did not fill renders empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


#: A finding quotes at most this many characters of any one text (a name, a matched text, a
#: source line); a longer one is cut and ends with "…". Unbounded, every finding on a long row
#: would copy its name into its message, and the report would grow with the number of findings
#: times the length of the row: quadratic in the input.
QUOTE_LIMIT = 2_000


def quote(text: str) -> str:
    """``text`` cut to :data:`QUOTE_LIMIT` characters."""
    return text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "…"


def _quoted(value: str | None) -> str | None:
    return None if value is None else quote(value)


def finding_id(code: str, path: str, key: str) -> str:
    """A stable id: the same rule at the same place in the same file gets the same id."""
    # surrogatepass: a file name decoded with surrogateescape (not UTF-8 on disk) still has an id.
    text = f"{path}\0{code}\0{key}".encode("utf-8", "surrogatepass")
    digest = hashlib.sha1(text, usedforsecurity=False).hexdigest()
    return f"{code}-{digest[:10]}"


@in_money_context
def run_rules(
    document: Document,
    rules: Sequence[RuleSpec],
    *,
    hits_by_code: Mapping[str, Sequence[Hit]] | None = None,
    rule_budget: float | None = None,
) -> list[Finding]:
    """Every finding of ``rules`` on ``document``, with cross-finding explanations added.

    ``hits_by_code`` supplies the hits of some rules from another engine (pandera, Great
    Expectations); the other rules run natively. Either way the findings are built here, so ids,
    messages and explanations do not depend on the engine.

    ``rule_budget`` is the time in seconds each rule's pattern searches may take on this
    document (default :data:`~budgetqa.checks.budget.DEFAULT_RULE_BUDGET_SECONDS`), plus one
    second per million characters of it. A rule that runs out stops on this document with an
    error finding saying where (:func:`stopped_finding`); the findings it made so far and the
    other rules' findings are kept.
    """
    seconds = DEFAULT_RULE_BUDGET_SECONDS if rule_budget is None else rule_budget
    seconds += SECONDS_PER_CHARACTER * sum(len(line) for line in document.source_lines)
    supplied = hits_by_code or {}
    findings: list[Finding] = []
    facts: dict[str, Mapping[str, object]] = {}
    for rule in rules:
        with budget_for_rule(seconds):
            hits = (
                supplied[rule.code]
                if rule.code in supplied
                else CHECKS[rule.check]().run(document, rule.params)
            )
            try:
                for hit, note in merge_consecutive(hits, CHECKS[rule.check].consecutive, document):
                    finding = _finding(document, rule, hit, note)
                    findings.append(finding)
                    facts[finding.id] = hit.facts
            except RuleStopped as stop:
                findings.append(stopped_finding(document, rule, stop))
    return explain(document, findings, facts)


def stopped_finding(document: Document, rule: RuleSpec, stop: RuleStopped) -> Finding:
    """The error finding of a rule that could not finish on a document.

    It carries the rule's own code, at error severity whatever the rule's: the rule cannot
    vouch for the rows it did not search, so the document is never reported clean.
    """
    where = "" if stop.row is None else f" at row {stop.row!r}"
    return Finding(
        id=finding_id(rule.code, document.path, f"stopped:{stop.line}"),
        code=rule.code,
        name=rule.name,
        category=rule.category,
        severity=Severity.ERROR,
        message=(
            f"{rule.code} did not finish on this document{where}: {stop.reason}; rows from"
            " here on were not checked by this rule"
        ),
        location=Location(
            path=document.path,
            line=stop.line,
            end_line=stop.line,
            row=None if stop.row is None else quote(stop.row),
        ),
        actual="stopped",
        source=()
        if stop.line is None
        else tuple(quote(line) for line in document.source(stop.line, stop.line)),
    )


def _finding(document: Document, rule: RuleSpec, hit: Hit, note: str = "") -> Finding:
    """The finding for ``hit``; ``note`` ends its message (how many hits were merged into it)."""
    row = hit.row
    unit: str | None = None
    if row is not None:
        unit = (
            row.name
            if row.level is Level.UNIT
            else (row.parent if row.level is Level.PROJECT else None)
        )
    page = hit.page if hit.page is not None else hit.span.page
    if page is None and row is not None:
        page = row.span.page  # a hit at a piece of a PDF row's text: the row's page
    table = hit.table
    if table is None and page is not None and document.rows_table is not None:
        table = document.tables[document.rows_table].kind
    return Finding(
        id=finding_id(rule.code, document.path, hit.key),
        code=rule.code,
        name=rule.name,
        category=rule.category,
        severity=rule.severity,
        message=rule.message.format_map(_Fields(_quoted_fields(hit.fields))) + note,
        location=Location(
            path=document.path,
            line=None if page is not None else hit.span.line,
            end_line=None if page is not None else hit.span.end_line,
            unit=_quoted(unit),
            row=quote(row.name) if row is not None else _quoted(hit.row_name),
            page=page,
            table=table,
        ),
        expected=_quoted(hit.expected),
        actual=_quoted(hit.actual),
        difference=_quoted(hit.difference),
        source=()
        if page is not None
        else tuple(quote(line) for line in document.source(hit.span.line, hit.span.end_line)),
        details=hit.details,
    )


def _quoted_fields(fields: Mapping[str, object]) -> dict[str, object]:
    return {key: quote(value) if isinstance(value, str) else value for key, value in fields.items()}
