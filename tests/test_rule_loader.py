"""Rule files: safe loading, every problem reported with path:line:column, selection, config."""

from __future__ import annotations

import textwrap

import pytest

from budgetqa.config import load_config
from budgetqa.errors import ConfigError, RuleFileError, UsageError
from budgetqa.findings import Severity
from budgetqa.rules import load_builtin_rules, load_rule_files, load_rules_text, select_rules

GOOD = """\
version: 1
rules:
  - code: XY101
    name: text.custom_word
    category: text
    severity: warning
    check: text_pattern
    params:
      patterns: ['测试']
    message: '{row}: found {match}'
    rationale: A custom rule.
"""


def test_a_valid_user_rule_loads_with_converted_params():
    (rule,) = load_rules_text(GOOD, "custom.yaml")
    assert (rule.code, rule.severity, rule.source) == ("XY101", Severity.WARNING, "custom.yaml:3:5")
    assert rule.params["patterns"][0].pattern == "测试"
    assert rule.params["fields"] == ("name", "goal", "indicators")


def test_every_problem_is_listed_with_line_and_column():
    text = textwrap.dedent(
        """\
        version: 1
        rules:
          - code: bad
            name: Not.Dotted
            category: maths
            severity: fatal
            check: no_such_check
            message: '{row}'
            rationale: x
          - code: XY102
            name: arithmetic.custom
            category: arithmetic
            severity: error
            check: children_sum
            params:
              parent_level: district
              tolerance: abc
              colour: red
            message: '{row.__class__} {nothing}'
            rationale: x
            surprise: 1
        """
    )
    with pytest.raises(RuleFileError) as caught:
        load_rules_text(text, "bad.yaml")
    problems = caught.value.problems
    expected_starts = [
        "bad.yaml:3:11: code 'bad'",
        "bad.yaml:4:11: name 'Not.Dotted'",
        "bad.yaml:5:15: category 'maths'",
        "bad.yaml:6:15: severity 'fatal'",
        "bad.yaml:7:12: unknown check kind 'no_such_check'",
        "bad.yaml:21:15: unknown key 'surprise'",
        "bad.yaml:18:15: children_sum has no parameter 'colour'",
        "bad.yaml:16:21: parameter 'parent_level': 'district' not one of total, unit",
        "bad.yaml:17:18: parameter 'tolerance': expected a decimal number",
        "bad.yaml:19:14: message field {row.__class__} must be a plain name",
        "bad.yaml:19:14: message field {nothing} is not provided",
    ]
    for start in expected_starts:
        assert any(problem.startswith(start) for problem in problems), (start, problems)
    assert str(caught.value).count("\n") == len(problems) - 1


def test_unsafe_yaml_tags_are_refused():
    text = "version: 1\nrules: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(RuleFileError) as caught:
        load_rules_text(text, "evil.yaml")
    assert caught.value.problems[0].startswith("evil.yaml:2:8: invalid YAML")
    assert "only plain YAML is allowed" in caught.value.problems[0]


def test_invalid_yaml_names_the_place():
    with pytest.raises(RuleFileError, match=r"^broken\.yaml:\d+:\d+: invalid YAML"):
        load_rules_text("version: 1\nrules: [\n", "broken.yaml")


def test_duplicate_code_against_the_builtin_rules(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(GOOD.replace("XY101", "AR101"), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"code AR101 is already used at .*arithmetic\.yaml"):
        load_rule_files([path], known=load_builtin_rules())


def test_duplicate_yaml_key_is_reported():
    with pytest.raises(RuleFileError, match=r"x\.yaml:2:1: duplicate key 'version'"):
        load_rules_text("version: 1\nversion: 1\nrules: []\n", "x.yaml")


def test_selection_by_code_prefix_name_category_and_group():
    rules = load_builtin_rules()

    def codes(**kwargs):
        return [rule.code for rule in select_rules(rules, **kwargs)]

    assert codes(select=["AR"]) == ["AR101", "AR102", "AR103", "AR104"]
    assert codes(select=["arithmetic.unit_projects_sum"]) == ["AR102"]
    assert codes(select=["duplicate"]) == ["DU101", "DU102"]
    assert "TX103" in codes(select=["ocr"])
    assert "DU102" not in codes(ignore=["review"])
    assert codes(select=["placeholder"], ignore=["PH104"]) == ["PH101", "PH102", "PH103", "PH105"]


def test_severity_override():
    (rule,) = select_rules(load_builtin_rules(), select=["DU102"], severity={"DU102": "warning"})
    assert rule.severity is Severity.WARNING


def test_unknown_selector_is_a_usage_error():
    with pytest.raises(UsageError, match="'ZZ9' matches no rule"):
        select_rules(load_builtin_rules(), select=["ZZ9"])
    with pytest.raises(UsageError, match="not error, warning or info"):
        select_rules(load_builtin_rules(), severity={"AR101": "fatal"})


def test_pyproject_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.budgetqa]\nselect = ["AR", "DU"]\nignore = "DU102"\nrules = ["more-rules"]\n'
        'fail-on = "warning"\n[tool.budgetqa.severity]\nAR104 = "warning"\n',
        encoding="utf-8",
    )
    nested = tmp_path / "data" / "tables"
    nested.mkdir(parents=True)
    config = load_config(nested)
    assert config.select == ("AR", "DU")
    assert config.ignore == ("DU102",)
    assert config.rules == (tmp_path / "more-rules",)
    assert config.severity == {"AR104": "warning"}
    assert config.fail_on == "warning"


def test_pyproject_config_errors(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.budgetqa]\nselcet = ["AR"]\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"pyproject\.toml: \[tool\.budgetqa\] has unknown keys selcet"
    ):
        load_config(tmp_path)


def test_a_control_character_in_a_rule_file_is_located():
    with pytest.raises(RuleFileError) as info:
        load_rules_text("version: 1\nrules:\n  - code: AB\x08101\n", "bad.yaml")
    assert info.value.problems == [
        "bad.yaml:3:13: invalid YAML: character U+0008 is not allowed in a YAML file"
    ]
