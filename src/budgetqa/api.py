"""The Python entry point of the audit: ``budgetqa.audit(...) -> Report``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from budgetqa.errors import InputError, UsageError
from budgetqa.findings import DocumentSummary, Finding, ReadFailure, Report, Severity, sort_findings
from budgetqa.ingest import is_dataframe, read
from budgetqa.model import Document
from budgetqa.rules import RuleSpec, load_builtin_rules, load_rule_files, select_rules

__all__ = ["audit", "resolve_rules"]


def resolve_rules(
    rules: Sequence[RuleSpec] | Iterable[str | Path] | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severity: Mapping[str, str | Severity] | None = None,
    builtin: bool = True,
) -> list[RuleSpec]:
    """The rules an audit runs.

    ``rules`` is either a list of :class:`RuleSpec` (used as they are) or paths of extra rule
    files or folders, loaded after the built-in set (unless ``builtin=False``). Then ``select``,
    ``ignore`` and ``severity`` overrides apply (see :func:`budgetqa.rules.select_rules`).
    """
    extra = list(rules or [])
    if extra and all(isinstance(rule, RuleSpec) for rule in extra):
        chosen: list[RuleSpec] = [rule for rule in extra if isinstance(rule, RuleSpec)]
    else:
        if any(isinstance(rule, RuleSpec) for rule in extra):
            raise UsageError("rules: give either RuleSpec objects or rule file paths, not both")
        base = load_builtin_rules() if builtin else []
        paths = [Path(str(rule)) for rule in extra]
        for path in paths:
            if not path.exists():
                raise UsageError(f"{path}: no such rule file or folder")
        chosen = base + load_rule_files(paths, known=base)
    return select_rules(chosen, select=select, ignore=ignore, severity=severity)


def _as_list(sources: object) -> list[object]:
    if isinstance(sources, str | Path | Document) or is_dataframe(sources):
        return [sources]
    if isinstance(sources, Iterable):
        return list(sources)
    raise UsageError(f"audit() takes paths, Documents or DataFrames, not {type(sources).__name__}")


def _documents(sources: Sequence[object], failures: list[ReadFailure]) -> Iterator[Document]:
    """Read sources one at a time (memory stays bounded by one document)."""
    for position, source in enumerate(sources):
        if isinstance(source, Document):
            yield source
            continue
        try:
            if isinstance(source, str | Path):
                yield read(source)
            else:
                yield read(source, name=f"<dataframe {position}>")  # type: ignore[arg-type]
        except InputError as error:
            failures.append(
                ReadFailure(
                    path=str(error.path or source), error=str(error), kind=type(error).__name__
                )
            )


def audit(
    sources: Any,  # noqa: ANN401 - a path, Document or DataFrame, or an iterable of them
    *,
    rules: Sequence[RuleSpec] | Iterable[str | Path] | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severity: Mapping[str, str | Severity] | None = None,
    builtin: bool = True,
    engine: str = "native",
) -> Report:
    """Audit budget tables and return a :class:`~budgetqa.findings.Report`.

    ``engine`` runs the arithmetic and duplicate rules natively (default), through ``pandera``
    or through Great Expectations (``gx``); the findings are the same.

    Unreadable inputs do not stop the audit: they are listed in ``Report.failures`` and the
    other inputs are audited. Misuse (a rule token that matches nothing, an invalid rule file)
    raises :class:`~budgetqa.errors.BudgetQAError`.
    """
    from budgetqa import __version__
    from budgetqa.engines import ENGINES, run_with_engine

    if engine not in ENGINES:
        raise UsageError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    chosen = resolve_rules(rules, select=select, ignore=ignore, severity=severity, builtin=builtin)
    failures: list[ReadFailure] = []
    findings: list[Finding] = []
    summaries: list[DocumentSummary] = []
    for document in _documents(_as_list(sources), failures):
        findings.extend(run_with_engine(document, chosen, engine))
        summaries.append(
            DocumentSummary(
                path=document.path,
                layout=document.layout,
                department=document.department,
                stats=document.stats.to_dict(),
            )
        )
    return Report(
        findings=sort_findings(findings),
        documents=tuple(summaries),
        failures=tuple(failures),
        rules=tuple(rule.code for rule in chosen),
        tool_version=__version__,
        rule_details=tuple((rule.code, rule.name, rule.rationale) for rule in chosen),
    )
