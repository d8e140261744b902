"""SARIF 2.1.0: findings as results with physical locations, for code-scanning views.

Artifact locations are RFC 3986 URI references (:func:`artifact_uri`); the log is written with
acting characters as ``\\uXXXX`` (:func:`~budgetqa.text.escape_json_controls`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

from budgetqa.findings import Finding, Report, Severity
from budgetqa.report.json_text import iter_json
from budgetqa.report.paths import workspace_path
from budgetqa.text import escape_json_controls

__all__ = ["artifact_uri", "iter_sarif", "render_sarif"]

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _octets(path: str) -> bytes:
    """The bytes a path names: a name decoded with surrogateescape gets its own bytes back."""
    try:
        return path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no file system decoding made
        return path.encode("utf-8", "surrogatepass")


def artifact_uri(path: str) -> str:
    """``path`` as a SARIF artifact URI: relative to the working directory when inside it.

    A relative path becomes a relative URI reference, an absolute one a ``file://`` URI; every
    octet outside RFC 3986's unreserved set but ``/`` is percent-encoded (UTF-8), so a space,
    ``#``, ``%``, ``?``, ``:``, a line break or a Chinese name is a valid URI that
    :func:`urllib.parse.unquote` turns back into the path.
    """
    posix = workspace_path(path)
    if not Path(posix).is_absolute():
        return _quote(posix)
    drive = Path(posix).drive  # "C:" on Windows, kept as written in a file URI
    return "file://" + ("/" + drive if drive else "") + _quote(posix[len(drive) :])


def _quote(path: str) -> str:
    return quote_from_bytes(_octets(path), safe="/")


def iter_sarif(report: Report) -> Iterator[str]:
    """:func:`render_sarif` in pieces, the results one at a time: writing them costs the memory
    of one result beside the log's fixed parts, whatever their number."""
    for piece in iter_json(_log(report)):
        yield escape_json_controls(piece)  # one acting character is one character: piecewise
    yield "\n"


def render_sarif(report: Report) -> str:
    """The report as a SARIF 2.1.0 log."""
    return "".join(iter_sarif(report))


def _log(report: Report) -> dict[str, Any]:
    """The log, its results an iterator that makes each when it is written."""
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
    uris: dict[str, str] = {}  # by path: one per document, not one per finding
    invocation: dict[str, Any] = {"executionSuccessful": not report.failures}
    if report.failures:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": failure.error},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(failure.path)}}}
                ],
            }
            for failure in report.failures
        ]
    return {
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
                # Made one at a time as they are written: memory for one, not all.
                "results": (_result(finding, index, uris) for finding in report.findings),
            }
        ],
    }


def _result(finding: Finding, index: Mapping[str, int], uris: dict[str, str]) -> dict[str, Any]:
    """One finding as a SARIF result (``uris``: artifact URIs by path, filled as they come)."""
    path = finding.location.path
    uri = uris.get(path)
    if uri is None:
        uri = uris[path] = artifact_uri(path)
    region: dict[str, Any] = {}
    if finding.location.line is not None:
        region = {
            "startLine": finding.location.line,
            "endLine": finding.location.end_line or finding.location.line,
        }
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
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
    return result
