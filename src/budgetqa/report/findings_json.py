"""The JSON report (schema in ``docs/report-schema.md``)."""

from __future__ import annotations

import json

from budgetqa.findings import Report

__all__ = ["render_json"]


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
