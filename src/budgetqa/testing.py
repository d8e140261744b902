"""Helpers for data-pipeline tests: assert that a report has no findings, readably."""

from __future__ import annotations

from collections.abc import Sequence

from budgetqa.findings import Finding, Report, Severity
from budgetqa.text import visible_lines

__all__ = ["assert_no_findings", "format_findings"]


def format_findings(findings: Sequence[Finding]) -> str:
    """One block per finding: ``path:line: CODE severity message`` and its figures.

    Each finding starts a line of its own and nothing else does: line breaks and acting
    characters in paths and table text are shown as escapes (``\\n``, ``\\x1b``).
    """
    lines: list[str] = []
    for finding in findings:
        lines.append(
            f"{finding.location}: {finding.code} {finding.severity.value} {finding.message}"
        )
        figures = [f"{label} {value}" for label, value in finding.figures()]
        if figures:
            lines.append("    " + " · ".join(figures))
        if finding.source:
            lines.append("    | " + finding.source[0].replace("\t", " | ").strip()[:100])
        if finding.explanation:
            lines.append("    = " + finding.explanation)
    return visible_lines(lines)


def assert_no_findings(report: Report, severity: Severity | str = Severity.ERROR) -> None:
    """Fail with a listing of every finding at or above ``severity``.

    Raises:
        AssertionError: the report has such findings (the message lists them).
    """
    level = Severity(severity)
    found = [finding for finding in report.findings if finding.severity.at_least(level)]
    if found:
        raise AssertionError(
            f"budgetqa found {len(found)} finding(s) at or above {level.value}:\n"
            + format_findings(found)
        )
