"""Rule files: safe loading, every problem reported with path:line:column, selection, config."""

from __future__ import annotations

import string
import textwrap

import pytest

import budgetqa
from budgetqa.config import load_config
from budgetqa.errors import ConfigError, RuleFileError, UsageError
from budgetqa.findings import Severity
from budgetqa.ingest import read_bytes
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
    assert caught.value.problems[0].startswith(
        "evil.yaml:2:8: tag !!python/object/apply:os.system is not allowed in a rule file"
    )
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

    assert codes(select=["AR"]) == [
        "AR101",
        "AR102",
        "AR103",
        "AR104",
        "AR105",
        "AR201",
        "AR202",
        "AR203",
        "AR204",
        "AR205",
        "AR301",
        "AR401",
        "AR402",
    ]
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


# --- hostile rule files: each hazard is a located RuleFileError at load time -------------------


def problems_of(text: str, path: str = "bad.yaml") -> list[str]:
    """The problems loading ``text`` reports (it must fail with a RuleFileError)."""
    with pytest.raises(RuleFileError) as caught:
        load_rules_text(text, path)
    return caught.value.problems


def rule_with(**changes: str) -> str:
    """GOOD with some of its lines' values replaced (``key=new value``), or added at the end."""
    lines = GOOD.splitlines()
    for key, value in changes.items():
        found = [i for i, line in enumerate(lines) if line.lstrip(" -").startswith(f"{key}:")]
        if not found:
            lines.append(f"    {key}: {value}")
            continue
        before = lines[found[0]][: lines[found[0]].index(f"{key}:")]
        lines[found[0]] = f"{before}{key}: {value}"
    return "\n".join(lines) + "\n"


def test_1_anchors_aliases_and_merge_keys_are_refused_at_the_first_one():
    # Nine levels of nine would be 387 million values; the first anchor stops the reading.
    levels = ["a: &l0 [x, x, x, x, x, x, x, x, x]"] + [
        f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)
    ]
    text = "\n".join(levels) + "\nversion: 1\nrules: []\n"
    assert problems_of(text, "laughs.yaml") == [
        "laughs.yaml:1:4: anchor &l0 is not allowed in a rule file"
        " (anchors and aliases are refused: write each value out)"
    ]
    assert problems_of("version: 1\nrules: *r\n") == [
        "bad.yaml:2:8: alias *r is not allowed in a rule file"
        " (anchors and aliases are refused: write each value out)"
    ]
    merged = GOOD.replace("    name: text.custom_word\n", "    <<: {name: text.custom_word}\n")
    assert problems_of(merged) == [
        "bad.yaml:4:5: merge keys (<<) are not allowed in a rule file: write each key out"
    ]


def test_2_nesting_beyond_64_levels_is_refused_where_it_goes_too_deep():
    # The 'rules' list (level 2) opens at column 8; level 65 is 63 brackets further.
    text = "version: 1\nrules: " + "[" * 5000 + "]" * 5000 + "\n"
    assert problems_of(text) == ["bad.yaml:2:71: lists and mappings are nested more than 64 deep"]
    # Block mappings: the mapping on line n (column n) is level n.
    deep = "".join(" " * n + f"k{n}:\n" for n in range(200))
    assert problems_of(deep) == ["bad.yaml:65:65: lists and mappings are nested more than 64 deep"]
    # 64 levels are read (and are then a wrong rule file: its first entry, at column 9, is a list).
    (shallow,) = problems_of("version: 1\nrules: " + "[" * 63 + "]" * 63 + "\n")
    assert shallow.startswith("bad.yaml:2:9: every entry under 'rules' must be a mapping, got [[")


@pytest.mark.parametrize(
    ("value", "length"),
    [("1" * 5000, "5,000"), ("0x" + "f" * 5000, "5,002"), ("1." + "5" * 100, "102")],
)
def test_3_numbers_with_absurd_digit_counts_are_refused(value, length):
    assert problems_of(f"version: {value}\nrules: []\n") == [
        f"bad.yaml:1:10: a number of {length} characters is too long for a rule file (at most 40)"
    ]


def test_4_dates_stay_strings_so_a_date_like_code_is_a_bad_code():
    assert problems_of(rule_with(code="2024-13-45")) == [
        "bad.yaml:3:11: code '2024-13-45' must be 2-4 capital letters and 3 digits, e.g. AR101"
    ]


PLAIN_ONLY = "(only plain YAML is allowed: strings, numbers, true/false, null, lists and mappings)"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("!!binary aGVsbG8=", f"tag !!binary is not allowed in a rule file {PLAIN_ONLY}"),
        ("!!set {a, b}", f"tag !!set is not allowed in a rule file {PLAIN_ONLY}"),
        ("!!omap [a: 1]", f"tag !!omap is not allowed in a rule file {PLAIN_ONLY}"),
        ("!!pairs [a: 1]", f"tag !!pairs is not allowed in a rule file {PLAIN_ONLY}"),
        ("!!timestamp 2024-01-01", f"tag !!timestamp is not allowed in a rule file {PLAIN_ONLY}"),
        (
            "!!python/name:os.system ''",
            f"tag !!python/name:os.system is not allowed in a rule file {PLAIN_ONLY}",
        ),
        ("!local x", f"tag !local is not allowed in a rule file {PLAIN_ONLY}"),
        ("!!float .nan", "'.nan' is not a finite number"),
        ("-.inf", "'-.inf' is not a finite number"),
        ("!!float 1e999", "'1e999' is not a finite number"),
        ("!!int twelve", "'twelve' is not an integer"),
        ("!!bool maybe", "'maybe' is not true or false"),
    ],
)
def test_4_yaml_types_a_rule_file_does_not_need_are_refused_where_they_stand(value, reason):
    assert problems_of(f"version: {value}\nrules: []\n") == [f"bad.yaml:1:10: {reason}"]


def test_5_keys_that_are_lists_mappings_or_numbers_are_refused():
    assert problems_of("version: 1\nrules: []\n? [a, b]\n: 1\n") == [
        "bad.yaml:3:3: a mapping key must be a plain name, not a list"
    ]
    assert problems_of("version: 1\nrules: [{[1]: 2}]\n") == [
        "bad.yaml:2:10: a mapping key must be a plain name, not a list"
    ]
    assert problems_of("version: 1\nrules: [{{a: 1}: 2, 7: x}]\n") == [
        "bad.yaml:2:10: a mapping key must be a plain name, not a mapping",
        "bad.yaml:2:21: a mapping key must be a name, not 7",
    ]


@pytest.mark.parametrize("field", ["{row:d}", "{row:>300000000}", "{row!r}", "{row!s:^9}"])
def test_6_format_specs_and_conversions_in_messages_are_refused(field):
    assert problems_of(rule_with(message=f"'{field}'")) == [
        f"bad.yaml:10:14: message field {field} may not use conversions or format specs"
        " (write {row})"
    ]


TABLE = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        "甲项目经费\t5.00\t5.00\t\t\t测试目标。\t"
        "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。",
    ]
)


def test_6_literal_braces_still_render():
    (rule,) = load_rules_text(rule_with(message="'{{{row}}} matched {{ {match} }}'"), "b.yaml")
    document = read_bytes(TABLE.encode("utf-8"), name="table.txt")
    (finding,) = budgetqa.audit(document, rules=[rule]).findings
    assert finding.message == "{甲项目经费} matched { 测试 }"


def test_6_the_shipped_messages_are_plain_names():
    for rule in load_builtin_rules():
        for _, field, spec, conversion in string.Formatter().parse(rule.message):
            assert (spec, conversion) in {("", None), (None, None)}, (rule.code, field)


OVER_LIMIT = """\
version: 1
rules:
  - code: XY201
    name: indicator.custom_limit
    category: indicator
    severity: warning
    check: indicator_over_limit
    params:
      name_pattern: '满意|率'
    message: '{row}: {indicator} {value}'
    rationale: A custom limit.
"""


def test_7_an_invalid_name_pattern_is_refused_where_it_stands():
    (problem,) = problems_of(OVER_LIMIT.replace("'满意|率'", "'满意(['"))
    assert problem.startswith(
        "bad.yaml:9:21: parameter 'name_pattern': invalid regular expression '满意([':"
        " unterminated character set"
    )
    (rule,) = load_rules_text(OVER_LIMIT, "ok.yaml")
    assert rule.params["name_pattern"].search("服务对象满意度")  # compiled once, at load


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        # The regex module spells counted repeats out: these would take gigabytes to compile.
        ("x{4294967294}", "repeats too much"),
        ("(?:(?:a{1000}){1000}){1000}", "repeats too much"),
        ("(?:" * 30 + "a" + "){2}" * 30, "repeats too much"),
        # Its parser recurses: 300 nested sets or 1,000 nested groups (both within the length
        # limit) overflow the stack.
        ("(" * 100 + ")" * 100, "nests groups or sets more than 32 deep"),
        ("[" * 100 + "a" + "]" * 100, "nests groups or sets more than 32 deep"),
        ("a|" * 1500, "of 3,000 characters is too long (at most 2,000)"),
    ],
)
def test_7_patterns_that_would_exhaust_memory_or_the_stack_are_refused(pattern, reason):
    for text in (OVER_LIMIT.replace("'满意|率'", f"'{pattern}'"),
                 GOOD.replace("['测试']", f"['测试', '{pattern}']")):  # fmt: skip
        (problem,) = problems_of(text)
        assert problem.startswith("bad.yaml:9:"), problem
        assert reason in problem, problem


def test_7_a_catastrophic_name_pattern_is_stopped_and_located(monkeypatch):
    from budgetqa.checks import budget

    monkeypatch.setattr(budget, "MATCH_TIMEOUT_SECONDS", 0.2)
    (rule,) = load_rules_text(OVER_LIMIT.replace("'满意|率'", "'(?:a|aa)+b'"), "slow.yaml")
    table = TABLE.replace("人数", "a" * 60)
    document = read_bytes(table.encode("utf-8"), name="slow.txt")
    (finding,) = budgetqa.audit(document, rules=[rule]).findings
    assert str(finding.location) == "slow.txt:4"
    assert finding.severity.value == "error"
    assert "pattern '(?:a|aa)+b' took over 0.2s" in finding.message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"params": "[1, 2]"}, "bad.yaml:8:13: 'params' must be a mapping of parameter names"),
        ({"params": "false"}, "bad.yaml:8:13: 'params' must be a mapping of parameter names"),
        ({"message": "[a, b]"}, "bad.yaml:10:14: 'message' must be a non-empty string"),
        ({"message": "12"}, "bad.yaml:10:14: 'message' must be a non-empty string"),
        ({"groups": "{a: 1}"}, "bad.yaml:12:13: 'groups' must be a list of lower-case names"),
        ({"code": "null"}, "bad.yaml:3:11: 'code' must be a non-empty string"),
        ({"version": "true"}, "bad.yaml:1:10: unsupported rule file version True (expected 1)"),
        ({"version": "1.0"}, "bad.yaml:1:10: unsupported rule file version 1.0 (expected 1)"),
        ({"rules": "[1]"}, "bad.yaml:2:9: every entry under 'rules' must be a mapping, got 1"),
        ({"rules": "{}"}, "bad.yaml:2:8: 'rules' must be a list of rules"),
    ],
)
def test_8_values_of_the_wrong_type_are_located(change, problem):
    text = rule_with(**change)
    if "params" in change:
        text = text.replace("      patterns: ['测试']\n", "")
    if "rules" in change:
        text = text.split("\n  - code")[0] + "\n"
    assert problems_of(text) == [problem]


@pytest.mark.parametrize(
    "example",
    [
        "{fail: 'a | b', lines: [true]}",
        "{fail: 'a | b', lines: [-3]}",
        "{fail: 'a | b', lines: 4}",
        "{fail: [a, b], lines: [1]}",
        "{pass: 'a | b', note: [x]}",
    ],
)
def test_8_examples_with_odd_types_are_located(example):
    assert problems_of(GOOD + f"    examples:\n      - {example}\n") == [
        "bad.yaml:13:9: an example's table is a string, its 'lines' a list of line numbers"
        " and its 'note' a string"
    ]


@pytest.mark.parametrize(
    ("decimal", "problem"),
    [
        ("'-1e30'", "expected a decimal number below 10^15 with at most 12 decimal places"),
        ("'1e-999999999'", "expected a decimal number below 10^15 with at most 12 decimal places"),
        ("'" + "9" * 50 + "'", "expected a decimal number below 10^15 with at most 12 decimal"),
        ("'NaN'", "expected a finite decimal number"),
        ("1.5", "expected a decimal number written as a string or integer, got 1.5"),
    ],
)
def test_8_decimal_parameters_the_engines_cannot_compute_with_are_refused(decimal, problem):
    text = OVER_LIMIT.replace("      name_pattern: '满意|率'\n", f"      limit: {decimal}\n")
    (found,) = problems_of(text)
    assert found.startswith("bad.yaml:9:14: parameter 'limit': " + problem), found


def test_8_a_rule_file_over_one_megabyte_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(GOOD + "# padding\n" * 110_000, encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([path])
    assert caught.value.problems == [
        f"{path}:1:1: the rule file is larger than 1,000,000 bytes; split it into several files"
    ]
    assert problems_of(GOOD + "#" * 1_000_000) == [
        "bad.yaml:1:1: the rule file is larger than 1,000,000 bytes; split it into several files"
    ]


def test_8_a_rule_file_with_more_than_20000_values_is_refused_where_they_run_over():
    text = "version: 1\nrules:\n" + "  - x\n" * 30_000
    # The file's mapping, 'version', 1, 'rules' and the list are five values; the 19,996th
    # item, on line 19,998, is the 20,001st.
    assert problems_of(text) == [
        "bad.yaml:19998:5: the rule file holds more than 20,000 values; split it into several files"
    ]


def test_8_a_rule_file_that_is_not_utf8_is_located(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(GOOD.encode("utf-8").replace(b"A custom rule.", b"Caf\xe9 rule."))
    with pytest.raises(RuleFileError) as caught:
        load_rule_files([path])
    assert caught.value.problems == [
        f"{path}:11:19: byte 0xE9 is not UTF-8; rule files are UTF-8 text"
    ]


def test_8_regular_expressions_over_100000_characters_in_one_file_are_refused():
    patterns = ", ".join([f"'{'x' * 1000}'"] * 101)
    (problem,) = problems_of(GOOD.replace("['测试']", f"[{patterns}]"))
    assert problem == (
        "bad.yaml:9:17: parameter 'patterns': the file's regular expressions come to more than"
        " 100,000 characters; split its rules over several files"
    )


def test_8_several_hostile_values_in_one_file_are_all_reported():
    text = "version: !!binary aGk=\nrules: [{[1]: 2}, !!set {a}]\nother: {<<: {}}\n"
    assert [problem.split(": ", 1)[0] for problem in problems_of(text)] == [
        "bad.yaml:1:10", "bad.yaml:2:10", "bad.yaml:2:19", "bad.yaml:3:9",
    ]  # fmt: skip
