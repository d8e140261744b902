"""Renderers: documents (``budgetqa parse``) and audit reports (text, JSON, Markdown, HTML,
JUnit, SARIF, GitHub annotations).

Every renderer returns output that is safe to show and to write as UTF-8: table text and file
names are quoted through one escaping mechanism per format (see each module), so they cannot add
a line, an element, a column, a link or a command, and no character that acts on a terminal, a
browser or an XML parser is written raw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from budgetqa.findings import Report
from budgetqa.report.findings_json import iter_json_report, render_json
from budgetqa.report.findings_text import render_text
from budgetqa.report.github import render_github
from budgetqa.report.html import render_html
from budgetqa.report.junit import render_junit
from budgetqa.report.markdown import render_markdown
from budgetqa.report.sarif import iter_sarif, render_sarif

__all__ = ["REPORT_FORMATS", "iter_report", "render_report"]

REPORT_FORMATS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
    "junit": render_junit,
    "sarif": render_sarif,
    "github": render_github,
}


def render_report(report: Report, format: str, *, fail_on: str = "error") -> str:
    """Render ``report`` in one of :data:`REPORT_FORMATS` (``fail_on`` matters to JUnit)."""
    if format == "junit":
        return render_junit(report, fail_on=fail_on)
    return REPORT_FORMATS[format](report)


#: Formats written a finding at a time by :func:`iter_report`.
_STREAMED: dict[str, Callable[[Report], Iterator[str]]] = {
    "json": iter_json_report,
    "sarif": iter_sarif,
}


def iter_report(report: Report, format: str, *, fail_on: str = "error") -> Iterator[str]:
    """:func:`render_report` in pieces, to write one after another.

    JSON and SARIF are made a finding at a time, so writing them takes the memory of one
    finding beside the report's fixed parts however many findings there are; the other formats
    come as one piece.
    """
    streamed = _STREAMED.get(format)
    if streamed is None:
        yield render_report(report, format, fail_on=fail_on)
    else:
        yield from streamed(report)
