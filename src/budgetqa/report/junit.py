"""JUnit XML: one test case per document and rule, for any CI's test-report view.

The tree is built from the findings as they are and made inert in one place before it is
written (:func:`_inert`): the result is well-formed XML 1.0 whatever the tables and file names
hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from budgetqa.findings import Finding, Report, Severity
from budgetqa.testing import format_findings
from budgetqa.text import visible_controls, visible_line

__all__ = ["render_junit"]


def _inert(root: ET.Element) -> None:
    """Show acting characters as escapes in every attribute and text of the tree.

    That leaves only characters XML 1.0 allows (no C0 control but tab and line feed, no lone
    surrogate, no U+FFFE or U+FFFF), and keeps attributes (names, paths, messages) on one line:
    a CI view shows a test's name and message as a single line.
    """
    for element in root.iter():
        for key, value in list(element.attrib.items()):
            element.set(key, visible_line(value))
        if element.text:
            element.text = visible_controls(element.text)


def render_junit(report: Report, *, fail_on: str = "error") -> str:
    """Findings at or above ``fail_on`` fail their test case; lower ones go to system-out."""
    threshold = None if fail_on == "never" else Severity(fail_on)
    names = {code: name for code, name, _ in report.rule_details}
    by_place: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        by_place[finding.location.path, finding.code].append(finding)

    root = ET.Element("testsuites", name="budgetqa")
    total_tests = total_failures = 0
    for document in report.documents:
        suite = ET.SubElement(root, "testsuite", name=document.path)
        tests = failures = 0
        for code in report.rules:
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=document.path,
                name=f"{code} {names.get(code, '')}".strip(),
            )
            found = by_place.get((document.path, code), [])
            failing = [f for f in found if threshold is not None and f.severity.at_least(threshold)]
            if failing:
                failures += 1
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{len(failing)} finding(s): {failing[0].message}",
                    type=failing[0].severity.value,
                )
                failure.text = format_findings(failing)
            quiet = [f for f in found if f not in failing]
            if quiet:
                ET.SubElement(case, "system-out").text = format_findings(quiet)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        total_tests += tests
        total_failures += failures
    if report.failures:
        suite = ET.SubElement(root, "testsuite", name="unreadable inputs")
        suite.set("tests", str(len(report.failures)))
        suite.set("failures", "0")
        suite.set("errors", str(len(report.failures)))
        for unreadable in report.failures:
            case = ET.SubElement(suite, "testcase", classname=unreadable.path, name="read")
            error = ET.SubElement(case, "error", message=unreadable.error, type=unreadable.kind)
            error.text = unreadable.error
    root.set("tests", str(total_tests + len(report.failures)))
    root.set("failures", str(total_failures))
    root.set("errors", str(len(report.failures)))
    _inert(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
