"""Fuzzing the readers and the rule loader with damaged real input.

Every input either reads, with every line accounted for, and audits, or fails with budgetqa's
own error naming the input and a line. Nothing else: no other exception, no silent loss. The
number of examples follows the hypothesis profile (``ci``: 150 per test), which bounds the time.
"""

from __future__ import annotations

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import budgetqa
from budgetqa.errors import BudgetQAError, EmptyInputError, RuleFileError
from budgetqa.examples import example_paths
from budgetqa.ingest import read_bytes
from budgetqa.rules import load_rules_text
from budgetqa.rules.loader import builtin_rule_files
from budgetqa.text import split_lines

pytestmark = pytest.mark.slow

EXAMPLES = {path.name: path.read_text(encoding="utf-8") for path in example_paths()}
RULE_FILES = {path.name: path.read_text(encoding="utf-8") for path in builtin_rule_files()}
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "gb18030"]
_LOCATED = regex.compile(r"^(?P<name>[^:\n]+):(?P<line>\d+):")


def check_reads_or_fails_cleanly(data: bytes, name: str) -> None:
    """The contract every input is held to."""
    failure: BudgetQAError | None = None
    try:
        document = read_bytes(data, name=name)
    except BudgetQAError as error:
        failure = error
    if failure is not None:
        message = str(failure)
        assert "\n" not in message, "a reader error is one line"
        if isinstance(failure, EmptyInputError):
            assert message.startswith(f"{name}: "), message  # an empty file has no line
            return
        located = _LOCATED.match(message)
        assert located is not None, f"no path:line: in {message!r}"
        assert located["name"] == name
        assert int(located["line"]) >= 1
        return
    stats = document.stats
    assert stats.accounted == stats.lines, "an input line was neither a row part nor explained"
    assert len(document.line_roles) == stats.lines
    report = budgetqa.audit(document)
    for finding in report.findings:
        if finding.location.line is not None:
            assert 1 <= finding.location.line <= stats.lines
            assert finding.location.line <= (finding.location.end_line or finding.location.line)


def lines_of(text: str) -> list[str]:
    return text.split("\n")


examples = st.sampled_from(sorted(EXAMPLES))


@given(examples, st.data())
def test_truncated_example(name, data):
    lines = lines_of(EXAMPLES[name])
    cut = data.draw(st.integers(0, len(lines)))
    check_reads_or_fails_cleanly("\n".join(lines[:cut]).encode(), name)


@given(examples, st.data())
def test_example_cut_inside_a_line_or_a_character(name, data):
    raw = EXAMPLES[name].encode("utf-8")
    cut = data.draw(st.integers(0, len(raw)))
    check_reads_or_fails_cleanly(raw[:cut], name)


@given(examples, st.randoms(use_true_random=False))
def test_shuffled_example(name, random):
    lines = lines_of(EXAMPLES[name])
    random.shuffle(lines)
    check_reads_or_fails_cleanly("\n".join(lines).encode(), name)


@given(examples, st.data())
def test_example_with_lines_deleted_and_duplicated(name, data):
    lines = lines_of(EXAMPLES[name])
    edits = data.draw(
        st.lists(
            st.tuples(st.sampled_from(["delete", "duplicate"]), st.integers(0, len(lines) - 1)),
            max_size=20,
        )
    )
    for action, position in edits:
        position = min(position, len(lines) - 1)
        if action == "delete" and len(lines) > 1:
            del lines[position]
        else:
            lines.insert(position, lines[position])
    check_reads_or_fails_cleanly("\n".join(lines).encode(), name)


@given(examples, st.sampled_from(ENCODINGS), st.booleans())
def test_example_in_other_encodings_and_line_endings_reads_the_same(name, encoding, crlf):
    text = EXAMPLES[name].replace("\n", "\r\n") if crlf else EXAMPLES[name]
    original = read_bytes(EXAMPLES[name].encode(), name=name)
    document = read_bytes(text.encode(encoding), name=name)
    assert [(r.level, r.name, r.amounts, r.span) for r in document.rows] == [
        (r.level, r.name, r.amounts, r.span) for r in original.rows
    ]
    assert document.stats == original.stats


@given(examples, st.data())
def test_example_with_random_text_spliced_in(name, data):
    lines = lines_of(EXAMPLES[name])
    position = data.draw(st.integers(0, len(lines)))
    noise = data.draw(st.text(max_size=200))
    lines[position:position] = split_lines(noise) if noise else [""]
    check_reads_or_fails_cleanly("\n".join(lines).encode(), name)


@given(examples, st.data())
def test_example_with_random_bytes_spliced_in(name, data):
    raw = bytearray(EXAMPLES[name].encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(raw)))
        raw[position:position] = data.draw(st.binary(min_size=1, max_size=8))
    check_reads_or_fails_cleanly(bytes(raw), name)


@given(st.binary(max_size=2000))
def test_random_bytes(data):
    check_reads_or_fails_cleanly(data, "random.bin")


@given(st.text(max_size=2000))
def test_random_text(text):
    check_reads_or_fails_cleanly(text.encode("utf-8"), "random.txt")


# --- rule files ------------------------------------------------------------------------------


def check_loads_or_fails_cleanly(text: str, path: str) -> None:
    failure: BudgetQAError | None = None
    try:
        load_rules_text(text, path)
    except BudgetQAError as error:
        failure = error
    if failure is None:
        return
    assert isinstance(failure, RuleFileError), f"{type(failure).__name__}: {failure}"
    assert failure.problems, "a rule file error lists its problems"
    for problem in failure.problems:
        assert problem.startswith(f"{path}:"), problem


rule_files = st.sampled_from(sorted(RULE_FILES))


@given(rule_files, st.data())
def test_rule_file_with_lines_deleted_or_duplicated(name, data):
    lines = RULE_FILES[name].split("\n")
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(lines) - 1))
        if data.draw(st.booleans()) and len(lines) > 1:
            del lines[position]
        else:
            lines.insert(position, lines[position])
    check_loads_or_fails_cleanly("\n".join(lines), name)


@given(rule_files, st.data())
def test_rule_file_with_a_value_replaced(name, data):
    lines = RULE_FILES[name].split("\n")
    keyed = [i for i, line in enumerate(lines) if regex.match(r"^\s+[a-z_]+: \S", line)]
    position = data.draw(st.sampled_from(keyed))
    key = lines[position].split(":", 1)[0]
    value = data.draw(
        st.one_of(
            st.text(max_size=30).map(lambda text: repr(text)),
            st.sampled_from(["[]", "{}", "null", "-1", "1e999", "!!python/object:os.system", "*x"]),
        )
    )
    lines[position] = f"{key}: {value}"
    check_loads_or_fails_cleanly("\n".join(lines), name)


@given(st.text(max_size=500))
def test_random_rule_text(text):
    check_loads_or_fails_cleanly(text, "random.yaml")


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_random_yaml_structure(value):
    import yaml

    check_loads_or_fails_cleanly(yaml.safe_dump({"version": 1, "rules": value}), "random.yaml")
