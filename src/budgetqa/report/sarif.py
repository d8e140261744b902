"""SARIF 2.1.0: findings as results with physical locations, for code-scanning views.

The log is written with acting characters as ``\\uXXXX``
(:func:`~budgetqa.text.escape_json_controls`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from budgetqa.findings import Report, Severity
from budgetqa.report.paths import workspace_path
from budgetqa.text import escape_json_controls

__all__ = ["render_sarif"]

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    relative = workspace_path(path)
    return Path(relative).as_uri() if Path(relative).is_absolute() else relative


def render_sarif(report: Report) -> str:
    rules = [
        {
            "id": code,
            "name": name,
            "shortDescription": {"text": rationale.split(". ")[0].rstrip(".") + "."},
            "fullDescription": {"text": rationale},
            "helpUri": f"https://budgetqa.invalid/docs/rules/{code}.html",
        }
        for code, name, rationale in report.rule_details
    ]
    index = {code: position for position, (code, _, _) in enumerate(report.rule_details)}
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        region: dict[str, Any] = {}
        if finding.location.line is not None:
            region = {
                "startLine": finding.location.line,
                "endLine": finding.location.end_line or finding.location.line,
            }
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.location.path)}}
        if region:
            if finding.source:
                region["snippet"] = {"text": "\n".join(finding.source)}
            physical["region"] = region
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": _LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {"budgetqaFindingId/v1": finding.id},
            "properties": {
                "category": finding.category.value,
                "expected": finding.expected,
                "actual": finding.actual,
                "difference": finding.difference,
                "related": list(finding.related),
                "explanation": finding.explanation,
            },
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        results.append(result)
    invocation: dict[str, Any] = {"executionSuccessful": not report.failures}
    if report.failures:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": failure.error},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": _uri(failure.path)}}}
                ],
            }
            for failure in report.failures
        ]
    log = {
        "$schema": _SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "budgetqa",
                        "version": report.tool_version,
                        "informationUri": "https://budgetqa.invalid/",
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "results": results,
            }
        ],
    }
    return escape_json_controls(json.dumps(log, ensure_ascii=False, indent=2)) + "\n"
