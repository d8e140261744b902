"""The budgetqa pytest plugin (registered under the ``pytest11`` entry point).

``pytest --budgetqa tables/`` (or ``budgetqa_paths`` in the ini file, or ``paths`` in
``[tool.budgetqa]``) collects each table as a test file and each rule as a test item; a failing
item lists its findings with file:line and figures. Findings below ``--budgetqa-fail-on`` do not
fail but are listed in the terminal summary.

Fixtures for pipeline tests: ``budgetqa_audit`` (a callable returning a
:class:`~budgetqa.findings.Report`) and ``assert_no_findings``.

This module imports nothing from budgetqa at import time, so loading the plugin costs nothing
for test suites that do not use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from budgetqa.findings import Finding, Report
    from budgetqa.model import Document
    from budgetqa.rules.spec import RuleSpec

_TABLE_SUFFIXES = frozenset({".txt", ".tsv", ".csv", ".xlsx", ".xlsm"})
_LEVELS = ("error", "warning", "info", "never")
_STASH_PATHS = pytest.StashKey[set[Path]]()
_STASH_BELOW = pytest.StashKey[list["Finding"]]()
_STASH_RULES = pytest.StashKey[list["RuleSpec"]]()
_STASH_FAIL_ON = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("budgetqa", "budget-table audits (budgetqa)")
    group.addoption(
        "--budgetqa",
        action="append",
        default=[],
        metavar="PATH",
        help="audit this budget table, or every table in this folder (repeatable)",
    )
    group.addoption(
        "--budgetqa-fail-on",
        choices=_LEVELS,
        default=None,
        help="lowest severity that fails a rule's test item (default: error)",
    )
    group.addoption(
        "--budgetqa-rules",
        action="append",
        default=[],
        metavar="FILE_OR_DIR",
        help="extra rule files",
    )
    group.addoption(
        "--budgetqa-select", action="append", default=[], metavar="RULES", help="rules to run"
    )
    group.addoption(
        "--budgetqa-ignore", action="append", default=[], metavar="RULES", help="rules to leave out"
    )
    parser.addini("budgetqa_paths", "budget tables to audit", type="paths", default=[])
    parser.addini(
        "budgetqa_fail_on", "lowest severity that fails (error, warning, info, never)", default=""
    )


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _TABLE_SUFFIXES
        )
    return [path]


def _fail_on(config: pytest.Config) -> str:
    return config.stash.get(_STASH_FAIL_ON, "error")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "budgetqa: a budget-table audit item")
    config.stash[_STASH_PATHS] = set()
    config.stash[_STASH_BELOW] = []
    given = [Path(p) for p in config.getoption("budgetqa")]
    from_ini = [Path(p) for p in config.getini("budgetqa_paths")]
    paths = given or from_ini
    settings = None
    if not paths:
        from budgetqa.config import find_pyproject

        # Read [tool.budgetqa] only where a pyproject.toml exists: loading the plugin stays free.
        if find_pyproject(config.rootpath) is None:
            return
        from budgetqa.config import load_config

        settings = load_config(config.rootpath)
        paths = list(settings.paths)
    tables = {table.resolve() for path in paths for table in _expand(path)}
    config.stash[_STASH_PATHS] = tables
    if not tables:
        return
    from budgetqa.api import resolve_rules
    from budgetqa.config import load_config, split_tokens
    from budgetqa.errors import BudgetQAError

    settings = settings or load_config(config.rootpath)
    fail_on = (
        config.getoption("budgetqa_fail_on")
        or config.getini("budgetqa_fail_on")
        or settings.fail_on
        or "error"
    )
    if fail_on not in _LEVELS:
        raise pytest.UsageError(
            f"budgetqa_fail_on = {fail_on!r}: expected one of {', '.join(_LEVELS)}"
        )
    config.stash[_STASH_FAIL_ON] = str(fail_on)
    try:
        config.stash[_STASH_RULES] = resolve_rules(
            [*settings.rules, *config.getoption("budgetqa_rules")],
            select=split_tokens(config.getoption("budgetqa_select")) or list(settings.select),
            ignore=[*settings.ignore, *split_tokens(config.getoption("budgetqa_ignore"))],
            severity=settings.severity,
        )
    except BudgetQAError as error:
        raise pytest.UsageError(f"budgetqa: {error}") from None
    # Tables named on the command line may lie outside the test paths: collect them too.
    known = {Path(arg).resolve() for arg in config.args}
    for table in sorted(tables):
        if table not in known and not any(parent in known for parent in table.parents):
            config.args.append(str(table))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    tables = parent.config.stash.get(_STASH_PATHS, set())
    if file_path.resolve() in tables:
        return BudgetTableFile.from_parent(parent, path=file_path)
    return None


class BudgetTableError(Exception):
    """A table that could not be read: shown as a collection error naming the file."""


class BudgetTableFile(pytest.File):
    """One budget table; its items are the rules."""

    _document: Document | None = None
    _findings: list[Finding] | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from budgetqa.errors import BudgetQAError
        from budgetqa.ingest import read

        try:
            self._document = read(self.path)
        except BudgetQAError as error:
            raise BudgetTableError(str(error)) from None
        for rule in self.config.stash[_STASH_RULES]:
            yield BudgetRuleItem.from_parent(self, name=rule.code, rule=rule)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None
    ) -> str:
        if isinstance(excinfo.value, BudgetTableError):
            return f"budgetqa could not read the table: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def findings(self) -> list[Finding]:
        """Every rule's findings on this table, computed once so explanations link across rules."""
        if self._findings is None:
            from budgetqa.checks.engine import run_rules
            from budgetqa.findings import sort_findings

            assert self._document is not None
            rules: list[RuleSpec] = self.config.stash[_STASH_RULES]
            self._findings = list(sort_findings(run_rules(self._document, rules)))
        return self._findings


class BudgetFindings(Exception):
    """A rule found problems at or above the fail-on severity."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{len(findings)} finding(s)")
        self.findings = findings


class BudgetRuleItem(pytest.Item):
    """One rule run on one table."""

    def __init__(self, *, rule: RuleSpec, **kwargs: Any) -> None:  # noqa: ANN401 - pytest node arguments
        super().__init__(**kwargs)
        self.rule = rule
        self.add_marker("budgetqa")

    def runtest(self) -> None:
        from budgetqa.findings import Severity

        parent = self.parent
        assert isinstance(parent, BudgetTableFile)
        mine = [finding for finding in parent.findings() if finding.code == self.rule.code]
        fail_on = _fail_on(self.config)
        failing = (
            []
            if fail_on == "never"
            else [f for f in mine if f.severity.at_least(Severity(fail_on))]
        )
        self.config.stash[_STASH_BELOW].extend(f for f in mine if f not in failing)
        if failing:
            raise BudgetFindings(failing)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None
    ) -> str:
        if isinstance(excinfo.value, BudgetFindings):
            from budgetqa.testing import format_findings

            why = self.rule.rationale.split(". ")[0].rstrip(".")
            header = f"{self.rule.code} {self.rule.name}: {why}."
            return header + "\n" + format_findings(excinfo.value.findings)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"budgetqa {self.rule.code} {self.rule.name}"


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    below = config.stash.get(_STASH_BELOW, [])
    if not below:
        return
    from budgetqa.testing import format_findings

    terminalreporter.section("budgetqa findings below --budgetqa-fail-on")
    terminalreporter.write_line(format_findings(below))


@pytest.fixture
def budgetqa_audit() -> Callable[..., Report]:
    """``budgetqa_audit(source, select=..., ignore=..., rules=...) -> Report``."""
    from budgetqa.api import audit

    return audit


@pytest.fixture
def assert_no_findings() -> Callable[..., None]:
    """``assert_no_findings(report, severity="error")``: fail with a readable listing."""
    from budgetqa.testing import assert_no_findings as check

    return check
