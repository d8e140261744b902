"""Hostile rule files: YAML's own hazards, and the shipped rule files damaged with them.

Whatever a rule file holds, loading it ends one of two ways: a list of rules that run, or a
:class:`RuleFileError` whose every problem reads ``path:line:column: reason``. No other
exception, and each load finishes within a small bound (the ``deadline`` below: generous, as
the machine may be shared; the hazards it guards against take minutes or all the memory).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import regex
from hypothesis import event, given, settings
from hypothesis import strategies as st

import budgetqa
from budgetqa.cli import main
from budgetqa.errors import RuleFileError
from budgetqa.ingest import read_bytes
from budgetqa.rules import RuleSpec, load_rule_files, load_rules_text
from budgetqa.rules.loader import builtin_rule_files

RULE_FILES = {path.name: path.read_text(encoding="utf-8") for path in builtin_rule_files()}
LOCATED = regex.compile(r"^.+:\d+:\d+: ")
# A small table every rule can run on (a project with a goal and an indicator).
TABLE = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        "甲项目经费\t5.00\t5.00\t\t\t待补充。\t"
        "1、3-满意度指标；31-服务对象满意度；群众满意度；实施周期指标值:≥950%；年度指标值:≥95%。",
    ]
).encode("utf-8")


def assert_located(error: RuleFileError, path: str) -> None:
    assert error.problems, "a rule file error lists its problems"
    for problem in error.problems:
        assert problem.startswith(f"{path}:"), problem
        assert LOCATED.match(problem), problem


def loads_or_fails_located(text: str, path: str) -> None:
    """The contract: rules that run, or a RuleFileError located at every problem."""
    failure: RuleFileError | None = None
    try:
        rules = load_rules_text(text, path)
    except RuleFileError as error:
        failure = error
    if failure is not None:
        assert_located(failure, path)
        event("refused: " + ("several problems" if len(failure.problems) > 1 else "one problem"))
        return
    event("loaded: " + ("rules" if rules else "none"))
    assert all(isinstance(rule, RuleSpec) for rule in rules)
    if rules:  # every rule that loads can run: its parameters and message template hold up
        budgetqa.audit(read_bytes(TABLE, name="table.txt"), rules=rules)


# --- YAML's hazards, as values and as fragments ------------------------------------------------


def laughs(levels: int, width: int) -> str:
    """A billion-laughs document: each anchored list holds ``width`` aliases of the one above."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


TAGS = [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/object:builtins.dict {}",
    "!!python/name:os.system",
    "!!python/tuple [1, 2]",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!pairs [a: 1, a: 2]",
    "!!timestamp 2024-01-01",
    "!!timestamp 2024-13-45",
    "!!float .nan",
    "!!float 1e999",
    "!!int twelve",
    "!!bool maybe",
    "!!null x",
    "!!str 12",
    "!!map {a: 1}",
    "!!seq [a]",
    "!local x",
    "!<tag:example.com,2024:x> y",
    "!e!x y",
]
SCALARS = [
    "2024-13-45",
    "2024-02-30 25:61:61",
    "2001-12-14t21:59:43.10-05:00",
    ".nan",
    "-.inf",
    "1e999",
    "0x",
    "1:30",
    "0b",
    "=",
    "~",
    "yes",
    "<<",
    "'{row:d}'",
    "'{row:>300000000}'",
    "'{row!r}'",
    "'{row!s:^9}'",
    "'{{ {row} }}'",
    "'{'",
    "'}'",
    "'{0}'",
    "'{}'",
    "'{row.__class__}'",
    "'{row[0]}'",
    "'{row:{row}}'",
    "'x{4294967294}'",
    "'(?:(?:a{1000}){1000}){1000}'",
    "'" + "(" * 400 + "'",
    "'" + "[" * 400 + "'",
    "'(['",
    "'\\'",
    "'(?P<a>x)(?P<a>y)'",
    "'-1e30'",
    "'1e-999999999'",
    "'NaN'",
    "[]",
    "{}",
    "[1, [2, [3]]]",
    "{? [a, b] : 1}",
    "{[1]: 2}",
    "{{a: 1}: 2}",
    "{<<: {a: 1}}",
    "&a x",
    "*a",
    "[&a x, *a]",
]
# Plain values of odd sizes and kinds, which a rule may well accept (and must then run with).
ODD_BUT_PLAIN = [
    "0", "-1", "'0'", "'-0.5'", "'999999999999999'", "'1e-12'", "'100'", "true", "null", "''",
    "[]", "[total]", "[unit, project]", "[name, goal, indicators, preamble]", "['a', 'b|c']",
    "['(?:a|aa)*$']", "'满意|率|%'", "'{row} {unit} {line} {path}'", "'{{}}'", "[1, 2]", "[9999]",
    "'" + "长" * 500 + "'", "|\n  block\n", ">\n  folded\n",
]  # fmt: skip
HOSTILE_VALUES = st.one_of(
    st.sampled_from(ODD_BUT_PLAIN),
    st.sampled_from(ODD_BUT_PLAIN),
    st.sampled_from(TAGS),
    st.sampled_from(SCALARS),
    st.integers(1, 6000).map(lambda n: "9" * n),
    st.integers(1, 3000).map(lambda n: "0x" + "f" * n),
    st.integers(1, 500).map(lambda n: "1." + "5" * n),
    st.integers(1, 2000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 1000).map(lambda n: "{a: " * n + "1" + "}" * n),
    st.text(max_size=20).map(repr),
)
CHARACTERS = st.sampled_from(
    ["\t", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\ud800",
     "\r", "\r\n", "\n", " ", "#", ":", "-", "?", "|", ">", "&", "*", "!", "%", "@", "`", '"',
     "'", "{", "}", "[", "]", ","]
)  # fmt: skip
FRAGMENTS = st.one_of(
    HOSTILE_VALUES,
    CHARACTERS,
    st.sampled_from(["---\n", "...\n", "%YAML 1.1\n", "%TAG !e! tag:e,2024:\n", "\n---\nx: 1\n"]),
    st.builds(laughs, st.integers(2, 9), st.integers(2, 9)),
)

_KEYED = regex.compile(r"^(\s*(?:- )?)([a-z_]+):(?: .*)?$")


@st.composite
def damaged_rule_files(draw: st.DrawFn) -> str:
    """A shipped rule file with one to three of YAML's hazards worked in (most often a value)."""
    lines = RULE_FILES[draw(st.sampled_from(sorted(RULE_FILES)))].split("\n")
    keyed = [i for i, line in enumerate(lines) if _KEYED.match(line)]
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        operation = draw(st.sampled_from([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]))
        position = draw(st.integers(0, len(lines) - 1))
        if operation == 0:  # a key's value replaced
            index = draw(st.sampled_from(keyed))
            match = _KEYED.match(lines[index])
            if match:
                lines[index] = f"{match[1]}{match[2]}: {draw(HOSTILE_VALUES)}"
        elif operation == 1:  # a fragment spliced in anywhere, even inside a word
            line = lines[position]
            cut = draw(st.integers(0, len(line)))
            lines[position] = line[:cut] + draw(FRAGMENTS) + line[cut:]
        elif operation == 2:  # a key repeated, or a merge or complex key beside it
            index = draw(st.sampled_from(keyed))
            match = _KEYED.match(lines[index])
            indent = " " * len(match[1]) if match else ""
            extra = draw(
                st.sampled_from(
                    [lines[index].replace("- ", "  ", 1), f"{indent}<<: {{code: XY999}}",
                     f"{indent}? [a, b]\n{indent}: 1", f"{indent}? {{a: 1}}\n{indent}: 2",
                     f"{indent}extra: &x [1, 2]\n{indent}again: *x"]
                )
            )  # fmt: skip
            lines.insert(index + 1, extra)
        elif operation == 3:  # a line deleted or duplicated
            if draw(st.booleans()) and len(lines) > 1:
                del lines[position]
            else:
                lines.insert(position, lines[position])
        elif operation == 4:  # a line re-indented (tabs included)
            lines[position] = draw(st.sampled_from(["", " ", "  ", "\t", " \t"])) + lines[
                position
            ].lstrip(" ")
        elif operation == 5:  # a second document
            lines.insert(position, draw(st.sampled_from(["---", "...", "--- !!set", "%YAML 1.1"])))
        elif operation == 6:  # deep nesting under a key
            depth = draw(st.integers(30, 200))
            lines.insert(position, "deep: " + "[" * depth + "]" * depth)
        elif operation == 7:  # a billion laughs at the top
            lines.insert(0, laughs(draw(st.integers(2, 9)), draw(st.integers(2, 9))))
        else:  # a byte-order mark or control character up front
            lines[0] = draw(CHARACTERS) + lines[0]
    return "\n".join(lines)


HAZARD = settings(deadline=timedelta(seconds=2))


@HAZARD
@given(damaged_rule_files())
def test_shipped_rule_files_with_yaml_hazards_load_or_fail_located(text):
    loads_or_fails_located(text, "damaged.yaml")


@HAZARD
@given(st.lists(FRAGMENTS, min_size=1, max_size=6).map("".join))
def test_yaml_hazards_on_their_own_fail_located(text):
    loads_or_fails_located(text, "hazard.yaml")


@HAZARD
@given(st.sampled_from(sorted(RULE_FILES)), st.binary(min_size=1, max_size=8), st.data())
def test_shipped_rule_files_with_bytes_spliced_in_load_or_fail_located(
    tmp_path_factory, name, junk, data
):
    original = RULE_FILES[name].encode("utf-8")
    cut = data.draw(st.integers(0, len(original)))
    path = tmp_path_factory.mktemp("rules") / name
    path.write_bytes(original[:cut] + junk + original[cut:])
    failure: RuleFileError | None = None
    try:
        load_rule_files([path])
    except RuleFileError as error:
        failure = error
    if failure is not None:
        assert_located(failure, str(path))


# --- the CLI ---------------------------------------------------------------------------------

RULE = """\
version: 1
rules:
  - code: XY101
    name: text.custom_word
    category: text
    severity: warning
    check: text_pattern
    params:
      patterns: ['测试']
    message: '{row}'
    rationale: A custom rule.
"""


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (RULE.replace("XY101", "2024-13-45"), ":3:11: code '2024-13-45' must be"),
        (RULE.replace("'{row}'", "'{row:>300000000}'"), ":10:14: message field {row:>300000000}"),
        (laughs(9, 9) + "version: 1\nrules: []\n", ":1:5: anchor &l0 is not allowed"),
        ("version: 1\nrules: " + "[" * 10_000 + "\n", ":2:71: lists and mappings are nested"),
        ("version: " + "1" * 5000 + "\nrules: []\n", ":1:10: a number of 5,000 characters"),
    ],
)
def test_the_cli_names_the_place_in_one_line_and_exits_2(tmp_path, capsys, content, where):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    assert main(["audit", "--examples", "--rules", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"budgetqa: error: {bad}{where}"), captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err
