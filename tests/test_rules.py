"""Every rule: its YAML, its check kind, failing and passing examples, and its docs page.

The examples in the rule files are the rules' test cases: a failing example must produce
findings starting exactly at its listed lines, a passing example none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from budgetqa.checks import CHECKS
from budgetqa.rules import load_builtin_rules
from budgetqa.rules.docs import example_findings, render_rule_docs

RULES = load_builtin_rules()
DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"
CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{example.kind}-{position}")
    for rule in RULES
    for position, example in enumerate(rule.examples)
]


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_rule_example(rule, example):
    findings = example_findings(rule, example)
    if example.kind == "fail":
        places = {
            finding.location.page if example.pdf else finding.location.line for finding in findings
        }
        assert sorted(places) == sorted(example.lines)
        assert all(finding.code == rule.code for finding in findings)
        assert all(finding.message and "{" not in finding.message for finding in findings)
    else:
        assert findings == []


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_every_rule_has_failing_and_passing_examples(rule):
    kinds = {example.kind for example in rule.examples}
    assert kinds == {"fail", "pass"}


def test_every_check_kind_is_used_by_a_shipped_rule():
    assert sorted(CHECKS) == sorted({rule.check for rule in RULES})


def test_codes_and_names_follow_the_categories():
    families = {
        "arithmetic": "AR", "duplicate": "DU", "placeholder": "PH",
        "indicator": "IN", "text": "TX", "structure": "ST",
    }  # fmt: skip
    for rule in RULES:
        assert rule.code.startswith(families[rule.category.value])
        assert rule.name.startswith(rule.category.value + ".")


def test_generated_rule_docs_are_up_to_date():
    pages = render_rule_docs(RULES)
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in DOCS.glob("*.md")}
    stale = sorted(name for name in pages if on_disk.get(name) != pages[name])
    extra = sorted(set(on_disk) - set(pages))
    assert (stale, extra) == ([], []), (
        "run `nox -s docs` (python -m budgetqa.rules.docs docs/rules)"
    )
