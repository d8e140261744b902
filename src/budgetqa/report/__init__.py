"""Renderers: documents (``budgetqa parse``) and audit reports in text, JSON, Markdown, HTML."""

from __future__ import annotations

from collections.abc import Callable

from budgetqa.findings import Report
from budgetqa.report.findings_json import render_json
from budgetqa.report.findings_text import render_text
from budgetqa.report.html import render_html
from budgetqa.report.markdown import render_markdown

__all__ = ["REPORT_FORMATS", "render_report"]

REPORT_FORMATS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}


def render_report(report: Report, format: str) -> str:
    """Render ``report`` in one of :data:`REPORT_FORMATS`."""
    return REPORT_FORMATS[format](report)
