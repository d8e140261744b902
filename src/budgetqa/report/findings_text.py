"""The terminal report: findings grouped by file, each with the source line quoted.

Written through :func:`~budgetqa.text.visible_lines`: each line built here is one line of the
report, so a line break or a terminal escape in a file name or a cell shows as an escape.
"""

from __future__ import annotations

from itertools import groupby

from budgetqa.findings import Finding, Report
from budgetqa.text import visible_lines

__all__ = ["render_text"]

_QUOTE_WIDTH = 110


def _quote(line: str) -> str:
    flat = line.replace("\t", " │ ").strip()
    return flat if len(flat) <= _QUOTE_WIDTH else flat[: _QUOTE_WIDTH - 1] + "…"


def _finding_lines(finding: Finding) -> list[str]:
    where = str(finding.location.line or "-")
    if finding.location.page is not None:
        where = f"p. {finding.location.page}"
    elif finding.location.end_line and finding.location.end_line != finding.location.line:
        where += f"-{finding.location.end_line}"
    out = [f"  {where:>9}  {finding.severity.value:<7} {finding.code}  {finding.message}"]
    figures = [f"{label} {value}" for label, value in finding.figures()]
    if figures and finding.category.value == "arithmetic":
        out.append(f"{'':13}{' · '.join(figures)}")
    out.extend(f"{'':13}│ {_quote(line)}" for line in finding.source[:2])
    if finding.explanation:
        out.append(f"{'':13}= {finding.explanation}")
    if finding.related:
        out.append(f"{'':13}~ related: {', '.join(finding.related)}  (this: {finding.id})")
    return out


def render_text(report: Report) -> str:
    out: list[str] = []
    for path, findings in groupby(report.findings, key=lambda finding: finding.location.path):
        out.append(path)
        for finding in findings:
            out.extend(_finding_lines(finding))
        out.append("")
    for failure in report.failures:
        out.append(f"unreadable: {failure.error}")
    for skipped in report.skipped:
        out.append(f"skipped: {skipped}")
    summary = report.summary()
    severities = summary["by_severity"]
    out.append(
        f"{summary['findings']} finding(s): {severities['error']} error,"
        f" {severities['warning']} warning,"
        f" {severities['info']} info in {summary['documents']} document(s)"
        + (f"; {summary['unreadable']} unreadable" if summary["unreadable"] else "")
    )
    clean = [
        document.path
        for document in report.documents
        if not any(finding.location.path == document.path for finding in report.findings)
    ]
    if clean:
        out.append(f"no findings in: {', '.join(clean)}")
    return visible_lines(out) + "\n"
