"""The JSON report (schema in ``docs/report-schema.md``)."""

from __future__ import annotations

import json

from budgetqa.findings import Report
from budgetqa.text import escape_json_controls

__all__ = ["render_json"]


def render_json(report: Report) -> str:
    """The report as JSON: table text exactly as read, acting characters as ``\\uXXXX``."""
    return escape_json_controls(json.dumps(report.to_dict(), ensure_ascii=False, indent=2)) + "\n"
