"""Text patterns: placeholders hidden by spaces and invisible characters are found at their raw
place; the document-wide pre-scan never misses a row that row-by-row matching would find; a
user pattern cannot take more than its rule's budget on a document."""

from __future__ import annotations

import regex
from hypothesis import example, given
from hypothesis import strategies as st

import budgetqa
from budgetqa.api import resolve_rules
from budgetqa.checks.budget import PatternBudget
from budgetqa.checks.engine import run_rules
from budgetqa.checks.text_pattern import _candidate_rows, context_free, normalised
from budgetqa.cli import main
from budgetqa.ingest import read_bytes
from budgetqa.model import Document, Level, LineRole, Row, SourceSpan
from budgetqa.rules import load_rules_text

HEADER = "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
INDICATOR = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。"


def table_with_goal(goal: str) -> Document:
    text = "\n".join(
        [
            HEADER,
            "合计\t5.00\t5.00\t\t\t\t",
            "某区就业服务中心\t5.00\t5.00\t\t\t\t",
            f"甲项目经费\t5.00\t5.00\t\t\t{goal}\t{INDICATOR}",
        ]
    )
    return read_bytes(text.encode("utf-8"), name="t.txt")


HIDDEN = [
    "待 单位补充",  # a space
    "待\u3000单位补充",  # an ideographic space
    "待\u200b单位补充",  # zero-width space
    "待单\u00ad位补充",  # soft hyphen
    "待单位\u2060补充",  # word joiner
    "\ufeff待单位补充",  # a byte-order mark inside the text
    "待\u200b 单位 \u00ad补充",  # several at once
]


def test_placeholders_split_by_spaces_or_invisible_characters_are_found():
    for goal in HIDDEN:
        report = budgetqa.audit(table_with_goal(goal), select=["PH101"])
        [finding] = report.findings
        assert finding.location.line == 4, goal
        raw = goal.strip()
        assert finding.actual == raw[raw.index("待") : raw.index("充") + 1], goal  # as written


def test_spaces_between_latin_words_are_kept_for_matching():
    assert normalised("TO DO 待 补充", ("invisible", "han_spaces")).text == "TO DO 待补充"


def test_normalised_text_maps_back_to_raw_offsets():
    raw = "开展\u200b工作 待 \u00ad单位补充。"
    seen = normalised(raw, ("invisible", "han_spaces"))
    assert seen.text == "开展工作待单位补充。"
    start = seen.text.index("待")
    raw_start, raw_end = seen.raw_span(start, start + 5)
    assert raw[raw_start:raw_end] == "待 \u00ad单位补充"


def test_a_skip_fail_pattern_is_searched_row_by_row():
    # (*SKIP) makes the scan resume after a failed attempt: over rows joined by line feeds an
    # attempt starting in one row can skip over the next row's match.
    pattern = regex.compile(r"\S+\s+\S+(*SKIP)(*FAIL)|补充", regex.VERSION1)
    assert not context_free(pattern)
    rows = _document_of(["甲 乙", "补充", "丙"])
    assert _candidate_rows(rows, "goal", [pattern], (), PatternBudget(5.0)) == {1}


def _document_of(goals: list[str]) -> Document:
    path = "gen.txt"
    rows = tuple(
        Row(
            index=position,
            level=Level.PROJECT,
            name=f"项目{position}",
            parent=None,
            parent_index=None,
            total=None,
            fiscal_appropriation=None,
            special_account=None,
            other_funds=None,
            span=SourceSpan(path, position + 1, position + 1),
            goal=goal,
        )
        for position, goal in enumerate(goals)
    )
    return Document(
        path=path,
        layout="tsv",
        encoding="utf-8",
        department=None,
        unit_of_money=None,
        title=None,
        rows=rows,
        fragments=(),
        line_roles=tuple(LineRole.ROW for _ in rows),
    )


_ATOMS = ["a", "b", "待", " ", ".", r"\s", r"\S", "[^a]", r"\w", "(?s:.)", r"\n", r"\s\S", "[^a]+"]
_VERBS = ["(*SKIP)(*FAIL)", "(*PRUNE)(*FAIL)", "(*COMMIT)", "(*SKIP)", "(*FAIL)"]


@st.composite
def patterns(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return draw(st.sampled_from(_ATOMS))
    inner = draw(patterns(depth + 1))
    other = draw(patterns(depth + 1))
    form = draw(
        st.sampled_from(
            [
                "{a}{b}", "(?:{a}|{b})", "(?:{a})*", "(?:{a})+", "(?:{a})?", "(?:{a})*+",
                "(?:{a})++", "(?:{a})*?", "(?>{a}{b})", "(?:{a}){{1,3}}", "({a})\\1",
                "{a}{verb}|{b}", "{a}(?={b})", "(?<={a}){b}", "^{a}", "{a}$", "\\b{a}",
                "(?i:{a}){b}", "(?:{a}){{e<=1}}",
            ]
        )
    )  # fmt: skip
    return form.format(a=inner, b=other, verb=draw(st.sampled_from(_VERBS)))


# A first branch that may run over the line feed joining two rows and then commits (SKIP,
# PRUNE, COMMIT) before failing, and a second branch that matches: the shape that defeats a
# scan of all rows joined.
committed = st.builds(
    "{}{}|{}".format,
    st.one_of(
        st.sampled_from([r"\s\S", r"\s+\S*", "(?s:.)+", "[^a]{2}", r"\S+\s+\S", r"\s"]),
        patterns(depth=1),
    ),
    st.sampled_from(_VERBS),
    patterns(depth=1),
)


@example(source=r"\s\S(*SKIP)(*FAIL)|b", goals=["x", "b"])
@example(source=r"\s+\S*(*SKIP)(*FAIL)|a", goals=["b", "a b"])
@example(source=r"\S+\s+\S(*SKIP)(*FAIL)|补充", goals=["甲 乙", "补充", "丙"])
@example(source=r"[^a]{2}(*COMMIT)(*FAIL)|b", goals=["", "b"])
@given(
    source=st.one_of(patterns(), committed),
    goals=st.lists(st.text(alphabet="ab待 补充\t", max_size=8), min_size=1, max_size=6),
)
def test_the_document_wide_prescan_never_misses_a_row(source, goals):
    """Oracle: row-by-row matching. The pre-scan's candidates must include every row it finds,
    for every pattern the pre-scan accepts as context-free and for every other pattern."""
    try:
        pattern = regex.compile(source, regex.VERSION1)
    except regex.error:
        return
    document = _document_of(goals)
    # The check reports non-empty matches only.
    expected = {
        index
        for index, goal in enumerate(goals)
        if any(match.end() > match.start() for match in pattern.finditer(goal, timeout=1))
    }
    found = _candidate_rows(document, "goal", [pattern], (), PatternBudget(5.0))
    assert expected <= found


SLOW_RULE = """
version: 1
rules:
  - code: TX901
    name: text.slow_pattern
    category: text
    severity: info
    check: text_pattern
    params:
      fields: [goal]
      patterns: ['(?:a|aa)+b']
    message: "{row}: {match}"
    rationale: A pattern that backtracks catastrophically on a run of a's.
"""


def _slow_table(goals: list[str]) -> Document:
    lines = [HEADER, "合计\t5.00\t5.00\t\t\t\t", "某区就业服务中心\t5.00\t5.00\t\t\t\t"]
    lines += [f"项目{i}经费\t1.00\t1.00\t\t\t{goal}\t{INDICATOR}" for i, goal in enumerate(goals)]
    return read_bytes("\n".join(lines).encode("utf-8"), name="slow.txt")


def test_a_rule_that_uses_up_its_budget_stops_with_an_error_naming_the_row():
    # Rows 1-3 are quick; row 4 (line 7) backtracks for ever. The rule's budget (0.3 s here)
    # runs out there: its finding names the rule and the row; other rules still run.
    rules = load_rules_text(SLOW_RULE, "custom.yaml")
    document = _slow_table(["ab", "aab", "待补充", "a" * 60, "ab"])
    findings = run_rules(document, [*rules, *resolve_rules(select=["PH101"])], rule_budget=0.3)
    stopped = [f for f in findings if f.actual == "stopped"]
    [finding] = stopped
    assert finding.code == "TX901"
    assert finding.severity.value == "error"  # an unfinished rule cannot vouch for the document
    assert finding.location.line == 7
    assert finding.location.row == "项目3经费"
    assert "budget of 0.3s" in finding.message
    assert "TX901 did not finish" in finding.message
    # The other rules' findings are kept.
    assert [f.location.line for f in findings if f.code == "PH101"] == [6]


def test_the_cli_takes_a_rule_budget_and_reports_the_stopped_rule(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "slow.yaml").write_text(SLOW_RULE, encoding="utf-8")
    lines = [HEADER, "合计\t5.00\t5.00\t\t\t\t", "某区就业服务中心\t5.00\t5.00\t\t\t\t"]
    lines.append(f"项目经费\t5.00\t5.00\t\t\t{'a' * 60}\t{INDICATOR}")
    (tmp_path / "t.txt").write_text("\n".join(lines), encoding="utf-8")
    arguments = ["audit", "t.txt", "--rules", "slow.yaml", "--select", "TX901"]
    assert main([*arguments, "--rule-budget", "0.3"]) == 1
    assert "4  error   TX901  TX901 did not finish" in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text("[tool.budgetqa]\nrule-budget = 0\n", "utf-8")
    assert main(arguments) == 2
    assert "rule-budget must be a number of seconds above 0" in capsys.readouterr().err
