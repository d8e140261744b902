"""Work grows linearly with the input, everywhere: counted or compared, never timed.

Python-level work is counted: the calls ``sys.setprofile`` sees at 1×, 8× and 64× the input.
Whatever the fixed cost, linear work makes ``(w64 - w8) / (w8 - w1)`` about 8; quadratic work
makes it about 64.

The regex engine's work is invisible to the profiler. It is compared instead with a scan known to
be linear, of the same text: the ratio of their CPU times (the best of a few runs) stays about
level from 1× to 64× for linear work and grows about 64 times for quadratic work. Adversarial
runs are 2,500, 20,000 and 160,000 characters long. Every pattern call here has a timeout, and
work that cannot take one (a function, a whole reader) runs in a worker process with a deadline,
so a regression fails the test rather than hanging it.

Where a pattern or an algorithm was rewritten to be linear, the old one is kept here as an oracle
and the two are compared on generated text, every line of the five bundled tables, or generated
tables.
"""

from __future__ import annotations

import enum
import gc
import importlib
import itertools
import json
import math
import multiprocessing
import pkgutil
import sys
import time
import tracemalloc
import types
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import budgetqa
from budgetqa import synthetic
from budgetqa.checks import engine as engine_module
from budgetqa.checks import explain as explain_module
from budgetqa.checks.base import Hit
from budgetqa.checks.budget import PatternBudget, RuleStopped
from budgetqa.checks.consecutive import ROWS_LISTED, consecutive_rows, merge_consecutive
from budgetqa.checks.engine import QUOTE_LIMIT
from budgetqa.checks.indicator_over_limit import _PERCENT
from budgetqa.checks.indicator_value_mismatch import _TARGET, last_target
from budgetqa.checks.similar_names import name_key
from budgetqa.checks.text_pattern import TextPatternCheck
from budgetqa.findings import Cell, ColumnDifference, Finding, Location, RelationDetails
from budgetqa.ingest import read_bytes, read_frame, read_xlsx
from budgetqa.ingest.header import _DEPARTMENT, parse_preamble
from budgetqa.ingest.indicators import parse_indicators
from budgetqa.ingest.layout_text import _FIGURE, amount_line
from budgetqa.ingest.pdf_synthetic import sketch_pages
from budgetqa.ingest.pdf_tables import read_pdf_pages
from budgetqa.model import COLUMN_LABELS, TextPiece, format_amount
from budgetqa.report import iter_report, render_report
from budgetqa.rules import load_builtin_rules
from budgetqa.text import JoinedText, squeeze_name

HEADER = "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
INDICATOR = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。"
EXAMPLE_LINES = [
    line
    for path in budgetqa.example_paths()
    for line in path.read_text(encoding="utf-8").splitlines()
]

# --- measuring work --------------------------------------------------------------------------

SIZES = (1, 8, 64)
#: Characters of adversarial text at 1×: runs of 2,500 to 160,000 characters.
BASE = 2_500
#: Growth of a pattern's work relative to a linear scan from 1× to 64×: about 1 when linear,
#: about 64 when quadratic.
GROWTH_LIMIT = 8
#: ``(w64 - w8) / (w8 - w1)`` for counted work: 8 when linear, 64 when quadratic.
STEP_LIMIT = 16
#: Per pattern call: a linear scan of 160,000 characters takes milliseconds.
PATTERN_TIMEOUT = 2.0
#: Per measurement in the worker process.
DEADLINE = 120.0

# Visits every position of the text and matches nowhere: linear by construction.
_REFERENCE = regex.compile(r"[\s\S](?=\uFFFF)")


def _reference_scan(text: str) -> None:
    for _ in _REFERENCE.finditer(text, timeout=PATTERN_TIMEOUT):
        pass


def _cpu_seconds(run: Callable[[], object], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return max(best, 1e-6)


def _work_ratios(run: Callable[[str], object], build: Callable[[int], str], repeats: int):
    """CPU time of ``run(text)`` over a linear scan's of the same text, at each size."""
    ratios = []
    for size in SIZES:
        text = build(size)
        ratios.append(
            _cpu_seconds(lambda text=text: run(text), repeats)
            / _cpu_seconds(lambda text=text: _reference_scan(text), repeats)
        )
    return ratios


def assert_linear_work(run: Callable[[str], object], build: Callable[[int], str], what: str):
    ratios = _work_ratios(run, build, 1)
    if ratios[-1] / ratios[0] >= GROWTH_LIMIT:
        ratios = _work_ratios(run, build, 5)  # measure again before failing: CPU time is noisy
    growth = ratios[-1] / ratios[0]
    assert growth < GROWTH_LIMIT, (
        f"{what}: work relative to a linear scan at 1x, 8x, 64x is "
        f"{', '.join(f'{ratio:.3g}' for ratio in ratios)}: it grows {growth:.1f} times"
    )


def _python_calls(function, *args) -> int:
    """Python and builtin calls made by ``function(*args)``: a count, not a timing."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event in {"call", "c_call"}:
            calls += 1

    sys.setprofile(count)
    try:
        function(*args)
    finally:
        sys.setprofile(None)
    return calls


def assert_linear_steps(work: Sequence[float], what: str) -> None:
    """``work`` at 1×, 8× and 64×: the second step is about 8 times the first, not 64."""
    w1, w8, w64 = work
    assert w8 > w1, (what, work)
    step = (w64 - w8) / (w8 - w1)
    assert step < STEP_LIMIT, f"{what}: work at 1x, 8x, 64x is {work}; steps grow {step:.1f}x"


class _Worker:
    """One spawned process for work that takes no timeout (a function, a whole reader); a
    measurement that passes the deadline fails its test, and the next gets a fresh process."""

    def __init__(self) -> None:
        self._pool: multiprocessing.pool.Pool | None = None

    def run(self, function, *args):
        if self._pool is None:
            self._pool = multiprocessing.get_context("spawn").Pool(1)
        try:
            return self._pool.apply_async(function, args).get(DEADLINE)
        except multiprocessing.TimeoutError:
            self.close()
            pytest.fail(f"{function.__name__}{args} took over {DEADLINE:.0f}s: not linear")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


@pytest.fixture(scope="module")
def worker():
    pool = _Worker()
    yield pool
    pool.close()


# --- adversarial text ------------------------------------------------------------------------


def runs(
    *segments: tuple[str, str], prefix: str = "", base: int = BASE, line: bool = False
) -> Callable[[int], str]:
    """Text of about ``base * size`` characters: ``prefix``, then for each ``(unit, end)`` the
    unit repeated over its share of the length and the end that makes a pattern give up, each
    on a line of its own (or all on one ``line``)."""

    def build(size: int) -> str:
        share = base * size // len(segments)
        return prefix + ("" if line else "\n").join(
            unit * (share // len(unit)) + end for unit, end in segments
        )

    return build


ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "blanks": runs(
        (" ", "x"), ("\t", "x"), ("\u3000", "x"), (" \t\u3000", "b"), prefix="部门名称：a"
    ),
    "marks and symbols": runs(
        (".", ":"), ("。", "x"), ("、", "x"), ("·", "%"), ("’", "x"), ("…", "x"),
        ("<", "x"), ("*", "x"), ("X", "Y"), ("Ｘ", "a"), ("×", "a"), ("&#", "x"),
    ),
    "digits and labels": runs(
        ("1", "x%"), ("1、", "x>"), ("1.00 ", "\u3000x"), ("1,000", ".x"), ("1.", "x"),
        ("实施周期指标值:", "x;"), ("年度指标值：", "x"), ("部门:", "x"), ("单位：", "x"),
        prefix="a",
    ),
    "han and alternations": runs(
        ("汉", "x"), ("待", "x>"), ("局", "。"), ("指标", "x"), (" 。", "x"), ("1 ", "x"),
        ("汉 ", "x"), ("\u3000 ", "x"), (" ·", "x"), ("1、 ", "x"),
    ),
}  # fmt: skip


def builtin_patterns() -> dict[str, regex.Pattern[str]]:
    """Every regular expression budgetqa compiles at import and every one its rules ship, by
    where it is defined (``ingest.header._DEPARTMENT``) or shipped (``TX104.patterns[0]``)."""
    found: dict[tuple[str, int], tuple[str, regex.Pattern[str]]] = {}

    def add(name: str, value: object, defined_here: bool = True) -> None:
        if isinstance(value, regex.Pattern):
            key = (value.pattern, value.flags)
            if defined_here or key not in found:  # an import names it where it is defined
                found[key] = (name, value)
        elif isinstance(value, tuple | list):
            for position, item in enumerate(value):
                add(f"{name}[{position}]", item, defined_here)

    for info in pkgutil.walk_packages(budgetqa.__path__, "budgetqa."):
        # The engines compile no pattern of their own; they run the rules' (checked below).
        if info.name.startswith("budgetqa.engines"):
            continue
        module = importlib.import_module(info.name)
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        for name, value in vars(module).items():
            short = f"{info.name.removeprefix('budgetqa.')}.{name}"
            add(short, value, f"\n{name} = " in source or f"\n{name}: " in source)
    for rule in load_builtin_rules():
        for key, value in rule.params.items():
            if key.endswith("pattern") and isinstance(value, str):
                value = regex.compile(value)  # compiled by the check when it runs
            add(f"{rule.code}.{key}", value)
    return dict(found.values())


PATTERNS = builtin_patterns()


def test_every_builtin_pattern_is_found():
    assert len(PATTERNS) >= 45
    assert {"text._SPACE_NEAR_HAN", "ingest.header._DEPARTMENT", "TX104.patterns[0]"} <= set(
        PATTERNS
    )


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_builtin_pattern_scans_adversarial_runs_in_linear_time(name):
    pattern = PATTERNS[name]

    def scan(text: str) -> None:
        # Line by line, as the readers and checks scan: an anchored pattern meets every run, and
        # one that matches to the end of its text (``.*``) at one run still meets the others.
        for line in text.split("\n"):
            pattern.findall(line, timeout=PATTERN_TIMEOUT)

    for kind, build in ADVERSARIAL.items():
        assert_linear_work(scan, build, f"{name} on {kind}")


def test_the_measure_tells_quadratic_from_linear():
    """The check above would catch a quadratic pattern: the old name squeezing, say."""
    old = regex.compile(r"\s++(?=\p{Han})")
    new = regex.compile(r"(?<!\s)\s++(?=\p{Han})")
    text = {size: " " * (400 * size) + "x" for size in (1, 8)}

    def growth(pattern) -> float:
        def scan(size: int) -> float:
            return _cpu_seconds(
                lambda: list(pattern.finditer(text[size], timeout=PATTERN_TIMEOUT)), 3
            ) / _cpu_seconds(lambda: _reference_scan(text[size]), 3)

        return scan(8) / scan(1)

    assert growth(old) > 3 * growth(new)


# --- functions that run patterns: in the worker, with a deadline -----------------------------


def _preamble(text: str) -> object:
    return parse_preamble([TextPiece(1, line) for line in text.split("\n")])


def _indicators(text: str) -> object:
    return parse_indicators([TextPiece(1, text)], "x.txt")


FUNCTIONS: dict[str, tuple[Callable[[str], object], dict[str, Callable[[int], str]]]] = {
    "amount_line": (
        amount_line,
        {
            "figures then U+3000": runs(("1.00 ", "\u3000x")),
            "figures then a broken figure": runs(("1,366.63 ", "1.234")),
            "mixed blanks": runs(("1.00 \t\u3000", "x")),
            "goal text with blanks": runs(("1.00 ", "x"), (" ", "y"), (" \u3000", "z"), line=True),
        },
    ),
    "squeeze_name": (squeeze_name, {**ADVERSARIAL}),
    "name_key": (
        name_key,
        {"marks": ADVERSARIAL["marks and symbols"], "blanks": ADVERSARIAL["blanks"]},
    ),
    "parse_preamble": (
        _preamble,
        {
            "department": runs((" ", "b"), ("\t", "c"), prefix="部门名称：a", line=True),
            "money unit": runs(("单位", "x"), (" ", "单位：万元"), line=True),
            "organisation": runs(("局", "x"), (" ", "（本级"), prefix="单位名称：", line=True),
        },
    ),
    "parse_indicators": (
        _indicators,
        {
            "numbers and labels": ADVERSARIAL["digits and labels"],
            "items": runs((INDICATOR, ""), ("1、1-产出指标；", "x"), line=True),
        },
    ),
    "last_target": (last_target, {"blanks": ADVERSARIAL["blanks"], "ops": runs(("≥ ", "x"))}),
}


def measure_function(name: str, case: str, repeats: int) -> list[float]:
    function, builds = FUNCTIONS[name]
    return _work_ratios(function, builds[case], repeats)


@pytest.mark.parametrize(
    ("name", "case"), [(name, case) for name, (_, builds) in FUNCTIONS.items() for case in builds]
)
def test_functions_that_run_patterns_grow_linearly(worker, name, case):
    ratios = worker.run(measure_function, name, case, 1)
    if ratios[-1] / ratios[0] >= GROWTH_LIMIT:
        ratios = worker.run(measure_function, name, case, 5)
    assert ratios[-1] / ratios[0] < GROWTH_LIMIT, (name, case, ratios)


# --- reading each layout ---------------------------------------------------------------------

RULES = load_builtin_rules()


def _table(projects: int):
    return synthetic.generate_table(7, projects=projects)


def _read_and_audit(layout: str, table, tmp: Path):
    if layout == "pdf":
        # the same number of rows as a sketched expenditure table of PDF pages
        lines = ["支出总表", "单位：万元", "| 科目编码 | 科目名称 | 合计 |", "| | 合计 | 9.00 |"]
        lines += [f"| 2010101 | 项目{number} | 1.00 |" for number in range(len(table.rows()))]
        pages = sketch_pages("\n".join(lines))
        return lambda: budgetqa.audit(read_pdf_pages("big.pdf", pages), rules=RULES)
    if layout == "xlsx":
        path = tmp / f"{table.project_count}.xlsx"
        synthetic.write_xlsx(table.rows(), path)
        return lambda: budgetqa.audit(read_xlsx(path), rules=RULES)
    if layout == "dataframe":
        frame = synthetic.to_frame(table.rows())
        return lambda: budgetqa.audit(read_frame(frame), rules=RULES)
    data = synthetic.render(table, layout).text.encode("utf-8")
    name = "big.csv" if layout == "csv" else "big.txt"
    return lambda: budgetqa.audit(read_bytes(data, name=name), rules=RULES)


@pytest.mark.parametrize("layout", budgetqa.ingest.LAYOUTS)
def test_reading_and_auditing_each_layout_grow_linearly_in_rows(layout, tmp_path):
    """8 and 64 times the projects: Python calls grow 8 and 64 times, give or take."""
    work = []
    for size in SIZES:
        audit = _read_and_audit(layout, _table(5 * size), tmp_path)
        audit()  # warm caches, so that each size is counted alike
        work.append(_python_calls(audit))
    assert_linear_steps(work, layout)


def _layout_text_with_wrapped_cell(pieces: int) -> bytes:
    goal = "保障工作正常开展" * pieces
    five = Decimal("5.00")
    rows = [
        synthetic.RowSpec("total", "合计", (five, five, None, None)),
        synthetic.RowSpec("unit", "某区就业服务中心", (five, five, None, None)),
        synthetic.RowSpec("project", "甲项目经费", (five, five, None, None), goal, INDICATOR),
    ]
    return synthetic.render_layout_text("广州市某区某局", rows, 8, 0).text.encode("utf-8")


def test_a_cell_wrapped_over_many_lines_grows_linearly():
    work = []
    for size in SIZES:
        data = _layout_text_with_wrapped_cell(40 * size)
        work.append(
            _python_calls(
                lambda data=data: budgetqa.audit(read_bytes(data, name="w.txt"), rules=RULES)
            )
        )
    assert_linear_steps(work, "one wrapped cell")


def one_line(*segments: tuple[str, str], prefix: str = "") -> Callable[[int], str]:
    return runs(*segments, prefix=prefix, base=1_000, line=True)


def _hostile_cells(size: int) -> dict[str, str]:
    """Texts with adversarial runs, 1,000 characters each at 1× (a CSV field may hold 131,072)."""
    return {
        "preamble": one_line((" ", "x"), prefix="部门名称：某局")(size) + " 单位：万元",
        "name": "某" + one_line((" ", "x"), ("·", "x"), ("\u3000", "经费"))(size),
        "goal": one_line(("待", "x"), (" 。", "x"), ("*", "x"), ("<", "x"))(size),
        "indicators": INDICATOR + one_line(("1、", "x"), ("实施周期指标值:", "x"))(size),
        "figures": one_line(("1.00 ", "\u3000x"))(size),
    }


def _hostile_table(layout: str, size: int) -> bytes:
    cells = _hostile_cells(size)
    if layout == "pdf-text":
        rows = [
            synthetic.RowSpec("total", "合计", (Decimal(3), Decimal(3), None, None)),
            synthetic.RowSpec("unit", "某区就业服务中心", (Decimal(3), Decimal(3), None, None)),
            synthetic.RowSpec(
                "project",
                cells["name"],
                (Decimal(3), Decimal(3), None, None),
                cells["goal"],
                cells["indicators"],
            ),
        ]
        # Cells unwrapped: each on one long line.
        text = synthetic.render_layout_text("某局", rows, 1_000_000, 0).text
        lines = text.split("\n")
        lines.insert(1, cells["preamble"])
        lines.append(cells["figures"])
        lines.append("    甲项目 3.00 3.00 开展工作。")
        return "\n".join(lines).encode("utf-8")
    project = [cells["name"], "3.00", "3.00", "", "", cells["goal"], cells["indicators"]]
    body = [
        ["合计", "3.00", "3.00", "", "", "", ""],
        ["某区就业服务中心", "3.00", "3.00", "", "", "", ""],
    ]
    body += [project, ["", cells["figures"], "", "", "", "", ""]]
    if layout == "csv":
        quoted = [",".join(f'"{cell}"' for cell in row) for row in [HEADER.split("\t"), *body]]
        return "\n".join(quoted).encode("utf-8")
    return "\n".join([cells["preamble"], HEADER, *("\t".join(row) for row in body)]).encode("utf-8")


def measure_hostile_reading(layout: str, repeats: int) -> list[float]:
    """CPU seconds to read and audit the hostile table at each size."""
    name = "hostile.csv" if layout == "csv" else "hostile.txt"
    seconds = []
    for size in SIZES:
        data = _hostile_table(layout, size)
        seconds.append(
            _cpu_seconds(
                lambda data=data: budgetqa.audit(read_bytes(data, name=name), rules=RULES), repeats
            )
        )
    return seconds


@pytest.mark.parametrize("layout", ["tsv", "pdf-text", "csv"])
def test_reading_and_auditing_long_hostile_cells_grows_linearly(worker, layout):
    """Runs of blanks, marks, figures and labels 1,000 to 64,000 characters long in every
    cell, in the preamble and on a line of figures: read and audited in linear time."""
    seconds = worker.run(measure_hostile_reading, layout, 2)
    try:
        assert_linear_steps(seconds, layout)
    except AssertionError:
        assert_linear_steps(worker.run(measure_hostile_reading, layout, 5), layout)


def _one_cell_with_matches(matches: int) -> bytes:
    goal = "待补充，" * matches
    return "\n".join(
        [
            HEADER,
            "合计\t5.00\t5.00\t\t\t\t",
            "某区就业服务中心\t5.00\t5.00\t\t\t\t",
            f"甲项目经费\t5.00\t5.00\t\t\t{goal}\t{INDICATOR}",
        ]
    ).encode("utf-8")


def test_many_matches_in_one_cell_grow_linearly():
    """Each match is checked against those reported before it in one walk, not one by one."""
    work = []
    for size in SIZES:
        data = _one_cell_with_matches(50 * size)
        report = budgetqa.audit(read_bytes(data, name="m.txt"), rules=RULES)
        assert len(report.by_code("PH101")) == 50 * size
        work.append(
            _python_calls(
                lambda data=data: budgetqa.audit(read_bytes(data, name="m.txt"), rules=RULES)
            )
        )
    assert_linear_steps(work, "matches in one cell")


def test_a_finding_quotes_long_text_cut_short():
    """A long name, match and line are quoted cut to QUOTE_LIMIT characters, so that findings
    on a long row do not each copy it whole."""
    name = "甲" * 5_000 + "经费"
    goal = "*" * 5_000 + "待补充" * 100
    data = "\n".join(
        [
            HEADER,
            "合计\t5.00\t5.00\t\t\t\t",
            "某区就业服务中心\t5.00\t5.00\t\t\t\t",
            f"{name}\t5.00\t5.00\t\t\t{goal}\t{INDICATOR}",
        ]
    ).encode("utf-8")
    report = budgetqa.audit(read_bytes(data, name="long.txt"), rules=RULES)
    on_row = [finding for finding in report.findings if finding.location.line == 4]
    assert {"PH101", "PH103"} <= {finding.code for finding in on_row}
    for finding in on_row:
        assert finding.location.row == name[:QUOTE_LIMIT] + "…"
        assert all(len(line) <= QUOTE_LIMIT + 1 for line in finding.source)
        assert len(finding.message) < 2 * QUOTE_LIMIT + 200
        assert len(finding.actual or "") <= QUOTE_LIMIT + 1


def _reported_before(text: str, patterns) -> list[tuple[int, str]]:
    """The matches text_pattern reported when it checked each against every one before it."""
    taken: list[tuple[int, int]] = []
    reported = []
    for pattern in patterns:
        for match in pattern.finditer(text, timeout=PATTERN_TIMEOUT):
            start, end = match.span()
            if start == end or any(start < stop and end > begin for begin, stop in taken):
                continue
            taken.append((start, end))
            reported.append((start, match.group(0)))
    return reported


_OVERLAPPING = ["待补充", "补充", "待.", "[*]{3,}", r"\*+", "x+", "xx", "a|ab", "b", "(?:ab)*"]


@given(
    st.lists(st.sampled_from(["待", "补", "充", "*", "x", "a", "b", " "]), max_size=30).map(
        "".join
    ),
    st.lists(st.sampled_from(_OVERLAPPING), min_size=1, max_size=4),
)
def test_matches_reported_are_those_of_checking_every_pair(text, patterns):
    compiled = [regex.compile(pattern, regex.VERSION1) for pattern in patterns]
    document = read_bytes(_one_cell_with_matches(1), name="m.txt")
    joined = JoinedText.build([(4, text)])
    # No normalisation (steps=()), so offsets are the raw text's, as in the oracle.
    hits = TextPatternCheck()._matches(
        document, None, "goal", joined, compiled, (), PatternBudget(60.0)
    )
    reported = [(int(hit.key.rsplit(":", 1)[1]), hit.actual) for hit in hits]
    assert reported == _reported_before(joined.text, compiled)


# --- explanation linking ---------------------------------------------------------------------


def _units_with_repeats(units: int) -> bytes:
    """A table of ``units`` units, each with a project printed twice (its sum off by it)."""
    lines = [HEADER, f"合计\t{3 * units}.00\t{3 * units}.00\t\t\t\t"]
    for unit in range(units):
        lines.append(f"某区第{unit}服务中心\t3.00\t3.00\t\t\t\t")
        lines.append(f"甲项目{unit}经费\t1.00\t1.00\t\t\t开展工作。\t{INDICATOR}")
        lines.append(f"乙项目{unit}经费\t2.00\t2.00\t\t\t开展工作。\t{INDICATOR}")
        lines.append(f"乙项目{unit}经费\t2.00\t2.00\t\t\t开展工作。\t{INDICATOR}")
    return "\n".join(lines).encode("utf-8")


def test_explanation_linking_grows_linearly(monkeypatch):
    """Each unit's sum finding is explained by its own repeat, looked up under the unit, not
    by comparing every sum finding with every repeat."""
    captured = {}

    def capture(document, findings, facts):
        captured["args"] = (document, findings, facts)
        return explain_module.explain(document, findings, facts)

    monkeypatch.setattr(engine_module, "explain", capture)
    work = []
    for size in SIZES:
        report = budgetqa.audit(
            read_bytes(_units_with_repeats(8 * size), name="r.txt"), rules=RULES
        )
        explained = [
            f for f in report.by_code("AR102") if "exactly accounted for" in (f.explanation or "")
        ]
        assert len(explained) == 8 * size  # each unit, its 总计 and 财政拨款 in one finding
        work.append(_python_calls(explain_module.explain, *captured["args"]))
    assert_linear_steps(work, "explain")


def _explain_before(document, findings, facts):
    """explain() as it was: every sum finding compared with every repeat and blank row."""
    from budgetqa.checks.explain import _CENT, _MAX_CANDIDATES, _exact_combination, _link_suspects

    by_id = {finding.id: finding for finding in findings}
    related = {finding.id: list(finding.related) for finding in findings}
    notes = {finding.id: [] for finding in findings}
    duplicates = [(fid, f) for fid, f in facts.items() if f.get("kind") == "duplicate"]
    blanks = [
        (fid, f)
        for fid, f in facts.items()
        if f.get("kind") == "funding_sum" and f.get("blank_funding")
    ]
    for fid, fact in facts.items():
        if fact.get("kind") != "children_sum":
            continue
        parent = fact["parent"]
        scope = {row.index for row in document.descendants(document.rows[parent])}
        said = {}  # (difference, matched ids) -> (column labels, names): said once
        for column, difference in fact["differences"]:
            candidates = []
            for dup_id, dup in duplicates:
                if dup["row"] in scope and dup["amounts"].get(column) is not None:
                    row = document.rows[dup["row"]]
                    description = f"{row.name} (line {row.span.line}, a repeated entry)"
                    candidates.append((dup_id, dup["amounts"][column], description))
            if column != "total":
                for blank_id, blank in blanks:
                    if blank["row"] in scope:
                        row = document.rows[blank["row"]]
                        description = f"{row.name} (line {row.span.line}, funding cells blank)"
                        candidates.append((blank_id, -blank["total"], description))
            match = _exact_combination(candidates[:_MAX_CANDIDATES], difference)
            label = COLUMN_LABELS.get(column, column)
            if match:
                key = (difference, tuple(other_id for other_id, _, _ in match))
                if key in said:
                    said[key][0].append(label)
                    continue
                said[key] = ([label], "; ".join(description for _, _, description in match))
                for other_id, share, _ in match:
                    related[fid].append(other_id)
                    related[other_id].append(fid)
                    notes[other_id].append(
                        f"Accounts for {format_amount(share)} of the {format_amount(difference)}"
                        f" {label} difference of {by_id[fid].location.row} ({fid})."
                    )
            elif abs(difference) <= _CENT * max(1, len(fact.get("children", ()) or ())):
                notes[fid].append(
                    f"A difference of {format_amount(difference)} in {label} is at most one cent"
                    " per child row: most likely rounding."
                )
        for (difference, _), (labels, names) in said.items():
            notes[fid].append(
                f"The difference of {format_amount(difference)} in {' and '.join(labels)}"
                f" is exactly accounted for by: {names}."
            )
    _link_suspects(document, findings, facts, related, notes)  # the same either way
    return [
        attrs.evolve(
            finding,
            related=tuple(dict.fromkeys(related[finding.id])),
            explanation=" ".join(notes[finding.id]) or finding.explanation,
        )
        for finding in findings
    ]


@st.composite
def tables_with_causes(draw) -> bytes:
    """Units whose projects are sometimes printed twice or have blank funding cells, and whose
    own figures are sometimes off: sums that repeats and blanks explain, or not."""
    amount = st.sampled_from([Decimal("1.00"), Decimal("2.00"), Decimal("2.50"), Decimal("4.00")])
    project = st.tuples(amount, st.booleans(), st.booleans())  # amount, blank funding, repeated
    units = draw(st.lists(st.lists(project, min_size=1, max_size=5), min_size=1, max_size=4))
    lines: list[str] = []
    grand = Decimal(0)
    number = itertools.count()
    for position, projects in enumerate(units):
        total = sum((value for value, _, _ in projects), Decimal(0))
        total += draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("1.00"), Decimal("-0.01")]))
        grand += total
        lines.append(f"某区第{position}服务中心\t{total}\t{total}\t\t\t\t")
        for value, blank, repeated in projects:
            funding = "" if blank else str(value)
            line = f"项目{next(number)}经费\t{value}\t{funding}\t\t\t开展工作。\t{INDICATOR}"
            lines += [line, line] if repeated else [line]
    return "\n".join([HEADER, f"合计\t{grand}\t{grand}\t\t\t\t", *lines]).encode("utf-8")


@given(tables_with_causes())
def test_explanations_are_those_of_comparing_every_pair(table):
    document = read_bytes(table, name="t.txt")
    indexed = budgetqa.audit(document, rules=RULES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_module, "explain", _explain_before)
        before = budgetqa.audit(document, rules=RULES)
    assert [f.to_dict() for f in indexed.findings] == [f.to_dict() for f in before.findings]


# --- junk lines ------------------------------------------------------------------------------


def _tsv_with_junk(lines: int, junk: str = "\t\tjunk{}") -> bytes:
    """A small sound table followed by ``lines`` junk lines, ``junk`` filled with each number."""
    table = [
        HEADER,
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        f"甲项目经费\t5.00\t5.00\t\t\t开展工作。\t{INDICATOR}",
    ]
    table += [junk.format(number) for number in range(lines)]
    return "\n".join(table).encode("utf-8")


def test_consecutive_junk_lines_make_one_finding():
    for size in SIZES:
        junk = 100 * size
        report = budgetqa.audit(read_bytes(_tsv_with_junk(junk), name="junk.txt"), rules=RULES)
        (fragment,) = report.by_code("ST101")
        assert (fragment.location.line, fragment.location.end_line) == (5, 4 + junk)
        assert fragment.message == (
            'text that belongs to no row (text outside any row (no name, no amounts)): "junk0"'
            f" (the first of {junk:,} alike on lines 5–{4 + junk})"
        )
        assert fragment.source[0] == "\t\tjunk0"
        assert len(report.findings) == 1


def test_junk_lines_cost_the_report_nothing_per_line():
    sizes = {}
    for size in SIZES:
        report = budgetqa.audit(read_bytes(_tsv_with_junk(100 * size), name="junk.txt"))
        sizes[size] = len(render_report(report, "json"))
    # The same report but for the digits of the line count.
    assert max(sizes.values()) - min(sizes.values()) < 20, sizes


def test_junk_lines_apart_or_of_another_kind_stay_apart():
    table = [
        HEADER,
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        f"甲项目经费\t5.00\t5.00\t\t\t开展工作。\t{INDICATOR}",
        "\t\tjunk",
        "",
        "\t\tjunk after a blank line",  # merged: only blank lines between
        "\t5.00\t5.00\t\t\t\t",  # figures with no name: another reason
        f"乙项目经费\t5.00\t5.00\t\t\t开展工作。\t{INDICATOR}",
        "\t\tjunk after a row",
    ]
    report = budgetqa.audit(read_bytes("\n".join(table).encode("utf-8"), name="j.txt"))
    spans = [(f.location.line, f.location.end_line) for f in report.by_code("ST101")]
    assert spans == [(5, 7), (8, 8), (10, 10)]


#: Junk lines that the tab-separated reader takes for project rows.
JUNK_ROWS = {
    "bare names": "junk{0}",
    "names and empty cells": "junk{0}\t\t\t\t\t\t",
    "text in the money cells": "junk{0}\tx{0}\ty{0}",
    "mojibake in every other cell": "锟斤拷{0}\t烫{0}\t\t\t\t屯{0}\t",
}


@pytest.mark.parametrize("junk", JUNK_ROWS.values(), ids=list(JUNK_ROWS))
def test_junk_lines_read_as_rows_make_one_finding_per_rule(junk):
    codes = set()
    for size in SIZES:
        lines = 100 * size
        document = read_bytes(_tsv_with_junk(lines, junk), name="junk.txt")
        assert document.stats.rows_project == 1 + lines  # every junk line is a row...
        report = budgetqa.audit(document)
        assert report.findings, "the junk rows are reported"
        for finding in report:  # ...and each rule reports them all in one finding
            assert (finding.location.line, finding.location.end_line) == (5, 4 + lines)
            assert finding.location.row == junk.format(0).split("\t")[0]
            assert finding.message.endswith(
                f" (the first of {lines:,} alike on lines 5–{4 + lines})"
            )
        assert len({finding.code for finding in report}) == len(report.findings)
        codes.add(frozenset(finding.code for finding in report))
    assert len(codes) == 1, codes  # the same rules at every size


def _peak_memory(function) -> int:
    """The most memory ``function()`` had allocated at once, traced (a size, not a timing)."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        function()
        return tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()


def test_32000_junk_rows_make_a_json_report_that_does_not_grow(tmp_path):
    from budgetqa import cli

    sizes = {}
    for lines in (500, 4_000, 32_000):
        folder = tmp_path / f"{lines:05}"  # paths of one length: only the line numbers differ
        folder.mkdir()
        path = folder / "junk.txt"
        path.write_bytes(_tsv_with_junk(lines, "junk{0}"))
        output = folder / "report.json"
        command = ["audit", str(path), "--format", "json", "-o", str(output)]
        if lines != 4_000:
            assert cli.main(command) == 1
        else:  # auditing and writing the report take no more memory than reading the file
            reading = _peak_memory(lambda path=path: budgetqa.read(path))
            auditing = _peak_memory(lambda command=command: cli.main(command))
            assert auditing < 1.25 * reading, (auditing, reading)
        report = json.loads(output.read_text("utf-8"))
        assert report["documents"][0]["stats"]["rows_project"] == 1 + lines
        assert report["summary"]["by_code"] == {"ST102": 1, "ST103": 1, "ST104": 1, "ST105": 1}
        for finding in report["findings"]:
            assert (finding["location"]["line"], finding["location"]["end_line"]) == (5, 4 + lines)
        sizes[lines] = output.stat().st_size
    # The same report but for the digits of the line numbers.
    assert max(sizes.values()) - min(sizes.values()) < 100, sizes


@pytest.mark.parametrize("format", ["json", "sarif"])
def test_writing_a_report_takes_the_memory_of_one_finding(format, examples, tmp_path):
    # What the CLI does with --format json/sarif -o FILE: the pieces written as they come.
    base = budgetqa.audit(list(examples.values()))
    peaks, sizes = {}, {}
    for size in (1, 64):  # 159 and 10,176 findings
        report = attrs.evolve(base, findings=base.findings * size)
        output = tmp_path / f"{size}.{format}"
        with output.open("w", encoding="utf-8") as stream:
            tracemalloc.start()
            try:
                start = tracemalloc.get_traced_memory()[0]
                stream.writelines(iter_report(report, format))
                peaks[size] = tracemalloc.get_traced_memory()[1] - start
            finally:
                tracemalloc.stop()
        sizes[size] = output.stat().st_size
    assert sizes[64] > 50 * sizes[1]  # a report about 64 times the size...
    assert peaks[64] < 1.5 * peaks[1] < sizes[1], (peaks, sizes)  # ...in the same memory


def _goal_missing_rows(count: int, first: int = 0) -> list[str]:
    return [f"项目{first + n}\t1.00\t1.00\t\t\t\t{INDICATOR}" for n in range(count)]


def _audit_rows(rows: list[str]) -> budgetqa.Report:
    table = [HEADER, "合计\t5.00\t5.00\t\t\t\t", "某区就业服务中心\t5.00\t5.00\t\t\t\t", *rows]
    return budgetqa.audit(read_bytes("\n".join(table).encode("utf-8"), name="rows.txt"))


def test_alike_rows_are_listed_one_by_one_up_to_the_limit():
    listed = _audit_rows(_goal_missing_rows(ROWS_LISTED)).by_code("ST104")
    assert [finding.location.line for finding in listed] == list(range(4, 4 + ROWS_LISTED))
    assert not any("alike" in finding.message for finding in listed)

    (merged,) = _audit_rows(_goal_missing_rows(ROWS_LISTED + 1)).by_code("ST104")
    last = 4 + ROWS_LISTED
    assert (merged.location.line, merged.location.end_line) == (4, last)
    assert merged.message == (
        f"项目0: project has no goal (绩效目标) (the first of {ROWS_LISTED + 1} alike on lines 4–{last})"
    )
    assert merged.source[0].startswith("项目0\t")


def test_a_row_in_between_or_a_different_reason_breaks_a_run():
    with_goal = f"有目标的项目\t1.00\t1.00\t\t\t开展工作。\t{INDICATOR}"
    rows = [*_goal_missing_rows(25), "", with_goal, *_goal_missing_rows(25, first=25)]
    spans = [(f.location.line, f.location.end_line) for f in _audit_rows(rows).by_code("ST104")]
    assert spans == [(4, 28), (31, 55)]  # the blank line joins, the row with a goal parts

    # Rows that lost cells are alike only when their figures were placed the same way.
    no_figures = "无数字{}"  # 6 cells lost, nothing to place
    figures = "有数字{}\t1.00\t1.00\t开展工作。\t" + INDICATOR  # 2 lost, placed by the sums
    alternating = [(no_figures if n % 2 else figures).format(n) for n in range(30)]
    lost = _audit_rows(alternating).by_code("ST103")
    assert len(lost) == 30
    assert len({finding.message.split(": ", 1)[1] for finding in lost}) == 2


def test_a_rule_that_stops_during_a_run_still_reports_the_rows_before():
    document = read_bytes(_tsv_with_junk(5, "junk{0}"), name="junk.txt")
    hits = [Hit(span=row.span, row=row, key=str(row.index)) for row in document.rows[3:]]
    assert [hit.row.name for hit in hits] == ["junk0", "junk1", "junk2", "junk3", "junk4"]

    def stopping():
        yield from hits
        raise RuleStopped("its patterns used up the rule's budget", line=10, row="junk5")

    merged = merge_consecutive(stopping(), consecutive_rows(), document)
    assert [hit for hit, _ in itertools.islice(merged, len(hits))] == hits  # held, then reported
    with pytest.raises(RuleStopped):
        next(merged)


def _reachable_types(roots) -> set[type]:
    """Types of every object reachable from ``roots`` (not descending into classes, modules
    and enum members, which every object reaches)."""
    seen: set[int] = set()
    found: set[type] = set()
    stack = list(roots)
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type | types.ModuleType | enum.Enum):
            continue
        seen.add(id(item))
        found.add(type(item))
        stack.extend(gc.get_referents(item))
    return found


def test_findings_keep_no_rows_documents_or_hits_alive(examples):
    report = budgetqa.audit(list(examples.values()))
    # typed details hold strings and numbers only: no row, document or hit
    assert _reachable_types(report.findings) <= {
        Finding, Location, RelationDetails, ColumnDifference, Cell, str, tuple, int, type(None),
    }  # fmt: skip


# --- oracles: the old patterns, kept to hold the new ones to them -----------------------------

_AMOUNT_LINE_BEFORE = regex.compile(
    rf"""
    ^(?P<indent>[ \t\u3000]*+)
    (?P<prefix>.*?)
    (?<!\S)(?P<figures>(?:{_FIGURE})(?:[ \t]++(?:{_FIGURE}))*+)
    (?:[ \t]++(?P<suffix>\S.*?))?
    [ \t\u3000]*+$
    """,
    regex.VERBOSE,
)


def _amount_line_before(text: str):
    match = _AMOUNT_LINE_BEFORE.match(text, timeout=PATTERN_TIMEOUT)
    if match is None:
        return None
    return match.group("prefix"), match.group("figures"), match.group("suffix")


def test_amount_lines_of_the_bundled_tables_read_as_before():
    assert len(EXAMPLE_LINES) > 2000
    read = [line for line in EXAMPLE_LINES if amount_line(line) is not None]
    assert len(read) > 150
    for line in EXAMPLE_LINES:
        assert amount_line(line) == _amount_line_before(line), line


_TOKENS = [
    "1.00", "-1.00", "0.50", "1,366.63", "-12,345,678.90", "1234.56", "1.234", "1,23.00",
    "12", "1.", ",", "-", ".", "１.００", "合计", "某区就业服务中心", "甲项目经费",
    "保障工作正常开展。", "1、1-产出指标", "万元", "%", "x", "\u00a0", "\x0b", "\u2028", "\x1c",
]  # fmt: skip
_SEPARATORS = ["", " ", "  ", "\t", "\u3000", " \t", "\t ", " \u3000", "\u3000 ", ","]


@given(
    st.lists(st.tuples(st.sampled_from(_SEPARATORS), st.sampled_from(_TOKENS)), max_size=9),
    st.sampled_from(_SEPARATORS),
)
def test_amount_lines_read_as_before(pieces, end):
    line = "".join(separator + token for separator, token in pieces) + end
    assert amount_line(line) == _amount_line_before(line)


_IN_NAMES = [" ", "\t", "\u3000", "\n", "汉", "，", "a", "1", "·", "•", "’", "'", ".", "。", "，"]
_HAN_LIKE = r"[\p{Han}\p{InCJK_Symbols_and_Punctuation}\p{InHalfwidth_and_Fullwidth_Forms}]"
_SPACE_NEAR_HAN_BEFORE = regex.compile(rf"(?<={_HAN_LIKE})\s++|\s++(?={_HAN_LIKE})")
_NOISE_BEFORE = regex.compile(r"[\s·•‧・‘’'`´\"“”.。,，]+$|\s+")


@given(st.lists(st.sampled_from(_IN_NAMES), max_size=14).map("".join))
def test_names_squeeze_as_before(name):
    assert squeeze_name(name) == " ".join(
        _SPACE_NEAR_HAN_BEFORE.sub("", name, timeout=PATTERN_TIMEOUT).split()
    )
    assert name_key(name) == _NOISE_BEFORE.sub(
        "", budgetqa.text.fold(name), timeout=PATTERN_TIMEOUT
    )


_DEPARTMENT_BEFORE = regex.compile(
    r"(?:部门名称|单位名称|部门)\s*+[:：]\s*+(?P<name>.+?)\s*+(?=(?:单位|単位)\s*+[:：]|$)"
)
_IN_PREAMBLES = [
    "部门",
    "部门名称",
    "单位名称",
    "单位",
    "単位",
    ":",
    "：",
    " ",
    "\t",
    "\u3000",
    "a",
    "局",
    "\n",
]


@given(st.lists(st.sampled_from(_IN_PREAMBLES), max_size=14).map("".join))
def test_departments_read_as_before(line):
    def found(pattern):
        match = pattern.search(line, timeout=PATTERN_TIMEOUT)
        return None if match is None else (match.span(), match.group("name"))

    assert found(_DEPARTMENT) == found(_DEPARTMENT_BEFORE)


_PERCENT_BEFORE = regex.compile(r"(\d+(?:\.\d+)?)\s*%")
_TARGET_BEFORE = regex.compile(
    r"(?P<op>≥|≤|>|<|=|不低于|不少于|不高于|不超过|大于等于|小于等于|大于|小于|达到|高于|低于|以上|以下)?\s*"
    r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>%|[\p{Han}/]{0,3})"
)
_IN_VALUES = [
    "≥",
    "不低于",
    "以上",
    "大于",
    "大于等于",
    "1",
    "2",
    ".",
    "%",
    " ",
    "\t",
    "人",
    "/",
    "a",
    "\n",
    "次",
]


@given(st.lists(st.sampled_from(_IN_VALUES), max_size=14).map("".join))
def test_indicator_values_read_as_before(value):
    def found(pattern):
        return [
            (match.span(), match.groups())
            for match in pattern.finditer(value, timeout=PATTERN_TIMEOUT)
        ]

    assert found(_PERCENT) == found(_PERCENT_BEFORE)
    assert found(_TARGET) == found(_TARGET_BEFORE)


_TRAILING_MARK_BEFORE = regex.compile(r"[·•‧・‘’`´]+$", regex.VERSION1)


@given(
    st.lists(
        st.sampled_from(["·", "•", "‘", "’", "`", "´", "a", "汉", " ", "\n"]), max_size=14
    ).map("".join)
)
def test_trailing_marks_match_as_before(name):
    (pattern,) = next(rule for rule in RULES if rule.code == "TX104").params["patterns"]

    def found(pattern):
        return [match.span() for match in pattern.finditer(name, timeout=PATTERN_TIMEOUT)]

    assert found(pattern) == found(_TRAILING_MARK_BEFORE)
