"""Running rules on a document: hits become findings with ids, messages and quoted source."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from budgetqa.checks.base import CHECKS, Hit
from budgetqa.checks.consecutive import merge_consecutive
from budgetqa.checks.explain import explain
from budgetqa.findings import Finding, Location
from budgetqa.model import Document, Level
from budgetqa.rules.spec import RuleSpec

__all__ = ["QUOTE_LIMIT", "finding_id", "quote", "run_rules"]


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
    digest = hashlib.sha1(f"{path}\0{code}\0{key}".encode(), usedforsecurity=False).hexdigest()
    return f"{code}-{digest[:10]}"


def run_rules(
    document: Document,
    rules: Sequence[RuleSpec],
    *,
    hits_by_code: Mapping[str, Sequence[Hit]] | None = None,
) -> list[Finding]:
    """Every finding of ``rules`` on ``document``, with cross-finding explanations added.

    ``hits_by_code`` supplies the hits of some rules from another engine (pandera, Great
    Expectations); the other rules run natively. Either way the findings are built here, so ids,
    messages and explanations do not depend on the engine.
    """
    findings: list[Finding] = []
    facts: dict[str, Mapping[str, object]] = {}
    supplied = hits_by_code or {}
    for rule in rules:
        hits = (
            supplied[rule.code]
            if rule.code in supplied
            else CHECKS[rule.check]().run(document, rule.params)
        )
        for hit, note in merge_consecutive(hits, CHECKS[rule.check].consecutive, document):
            finding = _finding(document, rule, hit, note)
            findings.append(finding)
            facts[finding.id] = hit.facts
    return explain(document, findings, facts)


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
    return Finding(
        id=finding_id(rule.code, document.path, hit.key),
        code=rule.code,
        name=rule.name,
        category=rule.category,
        severity=rule.severity,
        message=rule.message.format_map(_Fields(_quoted_fields(hit.fields))) + note,
        location=Location(
            path=document.path,
            line=hit.span.line,
            end_line=hit.span.end_line,
            unit=_quoted(unit),
            row=None if row is None else quote(row.name),
        ),
        expected=_quoted(hit.expected),
        actual=_quoted(hit.actual),
        difference=_quoted(hit.difference),
        source=tuple(quote(line) for line in document.source(hit.span.line, hit.span.end_line)),
    )


def _quoted_fields(fields: Mapping[str, object]) -> dict[str, object]:
    return {key: quote(value) if isinstance(value, str) else value for key, value in fields.items()}
