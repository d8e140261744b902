"""Running rules on a document: hits become findings with ids, messages and quoted source."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from budgetqa.checks.base import CHECKS, Hit
from budgetqa.checks.explain import explain
from budgetqa.findings import Finding, Location
from budgetqa.model import Document, Level
from budgetqa.rules.spec import RuleSpec

__all__ = ["finding_id", "run_rules"]


class _Fields(dict[str, object]):
    """Template fields; a field a hit did not fill renders empty rather than failing."""

    def __missing__(self, key: str) -> str:
        return ""


def finding_id(code: str, path: str, key: str) -> str:
    """A stable id: the same rule at the same place in the same file gets the same id."""
    digest = hashlib.sha1(f"{path}\0{code}\0{key}".encode(), usedforsecurity=False).hexdigest()
    return f"{code}-{digest[:10]}"


def run_rules(document: Document, rules: Sequence[RuleSpec]) -> list[Finding]:
    """Every finding of ``rules`` on ``document``, with cross-finding explanations added."""
    findings: list[Finding] = []
    facts: dict[str, Mapping[str, object]] = {}
    for rule in rules:
        kind = CHECKS[rule.check]()
        for hit in kind.run(document, rule.params):
            finding = _finding(document, rule, hit)
            findings.append(finding)
            facts[finding.id] = hit.facts
    return explain(document, findings, facts)


def _finding(document: Document, rule: RuleSpec, hit: Hit) -> Finding:
    row = hit.row
    unit: str | None = None
    if row is not None:
        unit = (
            row.name
            if row.level is Level.UNIT
            else (row.parent if row.level is Level.PROJECT else None)
        )
    return Finding(
        id=finding_id(rule.code, document.path, hit.key),
        code=rule.code,
        name=rule.name,
        category=rule.category,
        severity=rule.severity,
        message=rule.message.format_map(_Fields(hit.fields)),
        location=Location(
            path=document.path,
            line=hit.span.line,
            end_line=hit.span.end_line,
            unit=unit,
            row=None if row is None else row.name,
        ),
        expected=hit.expected,
        actual=hit.actual,
        difference=hit.difference,
        source=document.source(hit.span.line, hit.span.end_line),
    )
