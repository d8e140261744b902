"""The budgetqa pytest plugin (registered under the ``pytest11`` entry point).

``pytest --budgetqa tables/`` (or ``budgetqa_paths`` in the ini file, or ``paths`` in
``[tool.budgetqa]``) collects each table as a test file and each rule as a test item; a failing
item lists its findings with file:line and figures. Findings below ``--budgetqa-fail-on`` do not
fail but are listed in the terminal summary. Paths are expanded as by ``budgetqa audit``
(:func:`budgetqa.inputs.expand_inputs`). Every path is audited or fails an item ``PATH::read``
that says why: a table that cannot be read, a path that does not exist, a FIFO, a folder that
cannot be listed or holds no table file; the other tables are still collected and audited. An
invalid ``[tool.budgetqa]`` is a usage error naming the pyproject.toml and the key.

Fixtures for pipeline tests: ``budgetqa_audit`` (a callable returning a
:class:`~budgetqa.findings.Report`) and ``assert_no_findings``.

This module imports nothing from budgetqa at import time, so loading the plugin costs nothing
for test suites that do not use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

if TYPE_CHECKING:
    from budgetqa.config import Config
    from budgetqa.findings import Finding, ReadFailure, Report
    from budgetqa.model import Document
    from budgetqa.profiles import Profiles
    from budgetqa.rules.spec import RuleSpec

_LEVELS = ("error", "warning", "info", "never")
_STASH_PATHS = pytest.StashKey[set[Path]]()
_STASH_COLLECTED = pytest.StashKey[set[Path]]()
_STASH_NOT_AUDITED = pytest.StashKey[list["ReadFailure"]]()
_STASH_MAX_BYTES = pytest.StashKey[int]()
_STASH_BELOW = pytest.StashKey[list["Finding"]]()
_STASH_RULES = pytest.StashKey[list["RuleSpec"]]()
_STASH_FAIL_ON = pytest.StashKey[str]()
_STASH_PROFILES: pytest.StashKey[Profiles] = pytest.StashKey()


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
    group.addoption(
        "--budgetqa-max-bytes",
        default=None,
        metavar="N",
        help="read at most N bytes from one table: a number or 64K, 64M, 1G (default: max-bytes "
        "in [tool.budgetqa], else 256M)",
    )
    parser.addini("budgetqa_paths", "budget tables to audit", type="paths", default=[])
    parser.addini(
        "budgetqa_fail_on", "lowest severity that fails (error, warning, info, never)", default=""
    )


def _fail_on(config: pytest.Config) -> str:
    return config.stash.get(_STASH_FAIL_ON, "error")


def _settings(config: pytest.Config) -> Config:
    """``[tool.budgetqa]``; an invalid one is a usage error naming the file, not a traceback."""
    from budgetqa.config import load_config
    from budgetqa.errors import BudgetQAError

    try:
        return load_config(config.rootpath)
    except BudgetQAError as error:
        raise pytest.UsageError(f"budgetqa: {error}") from None


def _max_bytes(config: pytest.Config, settings: Config) -> int:
    from budgetqa.inputs import DEFAULT_MAX_BYTES, parse_size

    given = config.getoption("budgetqa_max_bytes")
    if given is None:
        return settings.max_bytes or DEFAULT_MAX_BYTES
    try:
        return parse_size(given)
    except ValueError as error:
        raise pytest.UsageError(f"--budgetqa-max-bytes: {error}") from None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "budgetqa: a budget-table audit item")
    config.stash[_STASH_PATHS] = set()
    config.stash[_STASH_COLLECTED] = set()
    config.stash[_STASH_NOT_AUDITED] = []
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
        settings = _settings(config)
        paths = list(settings.paths)
        if not paths:
            return
    from budgetqa.api import resolve_rules
    from budgetqa.config import split_tokens
    from budgetqa.errors import BudgetQAError
    from budgetqa.inputs import expand_inputs

    settings = settings or _settings(config)
    max_bytes = _max_bytes(config, settings)
    config.stash[_STASH_MAX_BYTES] = max_bytes
    expansion = expand_inputs(paths, max_bytes=max_bytes)
    tables = {table.resolve() for table in expansion.paths}
    config.stash[_STASH_PATHS] = tables
    config.stash[_STASH_NOT_AUDITED] = list(expansion.not_audited)
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
            tolerance=settings.tolerance,
        )
        from budgetqa.profiles import resolve_profiles

        config.stash[_STASH_PROFILES] = resolve_profiles(settings.profiles)
    except BudgetQAError as error:
        raise pytest.UsageError(f"budgetqa: {error}") from None
    # Tables named on the command line may lie outside the test paths: collect them too.
    known = {Path(arg).resolve() for arg in config.args}
    for table in sorted(tables):
        if table not in known and not any(parent in known for parent in table.parents):
            config.args.append(str(table))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    tables = parent.config.stash.get(_STASH_PATHS, set())
    resolved = file_path.resolve()
    collected = parent.config.stash[_STASH_COLLECTED]
    # A table reached by two names (a linked folder, or a folder and a file named) runs once.
    if resolved in tables and resolved not in collected:
        collected.add(resolved)
        return BudgetTableFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)  # before -k and -m select items, so they apply to these too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Paths named for auditing that are not audited each fail an item ``PATH::read``."""
    for failure in config.stash.get(_STASH_NOT_AUDITED, []):
        path = Path(failure.path)
        items.append(
            BudgetNotAudited.from_parent(
                session,
                name="read",
                nodeid=f"{_node_path(path, config)}::read",
                path=path,
                error=failure.error,
            )
        )


def _node_path(path: Path, config: pytest.Config) -> str:
    """``path`` relative to the root directory where it lies inside it, as pytest names files."""
    absolute = Path(os.path.abspath(config.invocation_params.dir / path))
    try:
        return absolute.relative_to(config.rootpath).as_posix()
    except ValueError:
        return path.as_posix()


class BudgetTableError(Exception):
    """A table that could not be read, or a path not audited: a failing item naming it."""


class BudgetReadFailure(pytest.Item):
    """A table that could not be read: one failing item; the other tables are still audited."""

    heading: ClassVar[str] = "budgetqa could not read the table"

    def __init__(self, *, error: str, line: int | None = None, **kwargs: Any) -> None:  # noqa: ANN401 - pytest node arguments
        super().__init__(**kwargs)
        self.error = error
        self.line = line
        self.add_marker("budgetqa")

    def runtest(self) -> None:
        raise BudgetTableError(self.error)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None
    ) -> str:
        if isinstance(excinfo.value, BudgetTableError):
            return f"{self.heading}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = None if self.line is None else self.line - 1  # pytest counts lines from 0
        return self.path, line, f"budgetqa read {self.path.name}"


class BudgetNotAudited(BudgetReadFailure):
    """A path named for auditing that is not audited (no such path, a FIFO, an empty folder…)."""

    heading = "budgetqa did not audit this path"

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"budgetqa read {self.path}"


class BudgetTableFile(pytest.File):
    """One budget table; its items are the rules."""

    _document: Document | None = None
    _findings: list[Finding] | None = None

    def collect(self) -> Iterator[pytest.Item]:
        from budgetqa.errors import BudgetQAError
        from budgetqa.ingest import read
        from budgetqa.inputs import reading_limit

        try:
            with reading_limit(self.config.stash[_STASH_MAX_BYTES]):
                self._document = read(self.path, profiles=self.config.stash[_STASH_PROFILES])
        except BudgetQAError as error:
            # One failing item, not a collection error: that would stop the whole run.
            yield BudgetReadFailure.from_parent(
                self, name="read", error=str(error), line=error.line
            )
            return
        for rule in self.config.stash[_STASH_RULES]:
            yield BudgetRuleItem.from_parent(self, name=rule.code, rule=rule)

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
