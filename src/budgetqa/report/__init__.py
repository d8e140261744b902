"""Renderers: documents (``budgetqa parse``) and audit reports (text, JSON, Markdown, HTML,
JUnit, SARIF, GitHub annotations)."""

from __future__ import annotations

from collections.abc import Callable

from budgetqa.findings import Report
from budgetqa.report.findings_json import render_json
from budgetqa.report.findings_text import render_text
from budgetqa.report.github import render_github
from budgetqa.report.html import render_html
from budgetqa.report.junit import render_junit
from budgetqa.report.markdown import render_markdown
from budgetqa.report.sarif import render_sarif
from budgetqa.text import escape_json_controls, visible_controls

__all__ = ["REPORT_FORMATS", "render_report"]

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
    output = (
        render_junit(report, fail_on=fail_on)
        if format == "junit"
        else REPORT_FORMATS[format](report)
    )
    # Table text is quoted in every format: characters that would act on a terminal, a browser
    # or an XML parser (escapes, controls, bidi overrides) are written so that they show.
    if format in {"json", "sarif"}:
        return escape_json_controls(output)
    return visible_controls(output)
