"""The Python entry point of the audit: ``budgetqa.audit(...) -> Report``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from budgetqa import inputs
from budgetqa.errors import BudgetQAError, InputError, UsageError
from budgetqa.findings import (
    DocumentSummary,
    Finding,
    ReadFailure,
    Report,
    Severity,
    SkippedFiles,
    sort_findings,
)
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
    if isinstance(sources, str | os.PathLike | Document) or is_dataframe(sources):
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
        except Exception as error:  # one input's failure must not stop the batch
            if os.environ.get("BUDGETQA_DEBUG"):
                raise
            failures.append(internal_failure(str(source), "reading", error))


#: ``ReadFailure.kind`` of an input that met a bug in budgetqa (the CLI exits 3 for it).
INTERNAL_ERROR = "InternalError"


def internal_failure(path: str, stage: str, error: BaseException) -> ReadFailure:
    """An unexpected exception while reading or auditing one input, as that input's failure.

    The message names the file and, where the exception carries one, the line; the other
    inputs are still audited.
    """
    return ReadFailure(
        path=path,
        error=f"{path}: internal error while {stage}: {type(error).__name__}: {error}"
        " (this is a bug in budgetqa; rerun with BUDGETQA_DEBUG=1 for a traceback and report it)",
        kind=INTERNAL_ERROR,
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
    jobs: int = 1,
    max_bytes: int = inputs.DEFAULT_MAX_BYTES,
    rule_budget: float | None = None,
) -> Report:
    """Audit budget tables and return a :class:`~budgetqa.findings.Report`.

    ``engine`` runs the arithmetic and duplicate rules natively (default), through ``pandera``
    or through Great Expectations (``gx``); the findings are the same.

    A folder stands for the table files under it (``*.txt``, ``*.tsv``, ``*.csv``, ``*.xlsx``,
    ``*.xlsm``), sorted by name; links to folders are followed, each folder and file once (see
    :mod:`budgetqa.inputs`). Documents are read and audited one at a time, so memory holds one
    document and the findings; ``jobs > 1`` audits files in that many worker processes, with the
    same report as ``jobs=1``. At most ``max_bytes`` bytes are read from one file (256 MiB by
    default; an XLSX workbook may unpack to four times that).

    Every path given is audited or listed in ``Report.failures`` with the reason, and the other
    inputs are still audited: a file that cannot be read, and a path that does not exist, is a
    dangling link, a FIFO, socket or device, a folder that cannot be listed or holds no table
    file, or a file over ``max_bytes``. Files in a folder that are not table files by name are
    counted in ``Report.skipped``. Misuse (a rule token that matches nothing, an invalid rule
    file, ``max_bytes < 1``) raises :class:`~budgetqa.errors.BudgetQAError`.
    """
    from budgetqa import __version__
    from budgetqa.engines import ENGINES

    if engine not in ENGINES:
        raise UsageError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if jobs < 1:
        raise UsageError(f"jobs must be at least 1, not {jobs}")
    if rule_budget is not None and not rule_budget > 0:
        raise UsageError(f"rule_budget must be a number of seconds above 0, not {rule_budget}")
    chosen = resolve_rules(rules, select=select, ignore=ignore, severity=severity, builtin=builtin)
    items, failures, skipped = _expand(_as_list(sources), max_bytes)
    findings: list[Finding] = []
    summaries: list[DocumentSummary] = []
    if jobs > 1 and len(items) > 1 and all(isinstance(item, str | Path) for item in items):
        results: Iterable[_Audited] = _audit_in_workers(
            [str(item) for item in items], chosen, (engine, rule_budget), jobs
        )
    else:
        results = (
            _audited(document, chosen, (engine, rule_budget))
            for document in _documents(items, failures)
        )
    with inputs.reading_limit(max_bytes):  # readers here and in forked workers read at most this
        for result in results:
            if isinstance(result, ReadFailure):
                failures.append(result)
                continue
            document_findings, summary = result
            findings.extend(document_findings)
            summaries.append(summary)
    return Report(
        findings=sort_findings(findings),
        documents=tuple(summaries),
        failures=tuple(failures),
        skipped=skipped,
        rules=tuple(rule.code for rule in chosen),
        tool_version=__version__,
        rule_details=tuple((rule.code, rule.name, rule.rationale) for rule in chosen),
    )


#: File name endings a folder given to :func:`audit` is searched for.
TABLE_SUFFIXES = inputs.TABLE_SUFFIXES

_Audited = tuple[list[Finding], DocumentSummary] | ReadFailure


def _expand(
    items: Sequence[object], max_bytes: int
) -> tuple[list[object], list[ReadFailure], tuple[SkippedFiles, ...]]:
    """Folders replaced by the table files under them; the paths not audited, and why.

    Paths become :class:`~pathlib.Path`; Documents and DataFrames stay as given. The second
    value lists the paths that are not audited (they start the report's failures, before any
    file that fails to read); the third counts the files in folders that are not table files.
    """
    expansion = inputs.expand_inputs(items, max_bytes=max_bytes)
    return list(expansion.items), list(expansion.not_audited), expansion.skipped


#: How each document is checked: the engine, and each rule's time budget (None: the default).
_Checking = tuple[str, float | None]


def _audited(document: Document, rules: Sequence[RuleSpec], checking: _Checking) -> _Audited:
    from budgetqa.engines import run_with_engine

    engine, rule_budget = checking
    summary = DocumentSummary(
        path=document.path,
        layout=document.layout,
        department=document.department,
        stats=document.stats.to_dict(),
    )
    try:
        return run_with_engine(document, rules, engine, rule_budget=rule_budget), summary
    except BudgetQAError:
        raise  # misuse (an engine that is not installed, say): the caller's to see
    except Exception as error:  # one document's failure must not stop the batch
        if os.environ.get("BUDGETQA_DEBUG"):
            raise
        return internal_failure(document.path, "auditing", error)


def _audit_path(path: str, rules: Sequence[RuleSpec], engine: _Checking) -> _Audited:
    """Read and audit one file (in a worker process): its findings, or why it was unreadable."""
    failures: list[ReadFailure] = []
    for document in _documents([path], failures):
        return _audited(document, rules, engine)
    return failures[0]


def _audit_in_workers(
    paths: Sequence[str], rules: Sequence[RuleSpec], engine: _Checking, jobs: int
) -> Iterator[_Audited]:
    """Audit files in ``jobs`` processes, yielding results in the order of ``paths``."""
    import functools
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor

    # Forked workers start at once and never re-run the caller's __main__ (a script without a
    # __name__ guard, code piped to python, a notebook): where fork is sound (Linux), use it.
    # Elsewhere workers are spawned, and a script must call audit() under a __name__ guard.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=context) as pool:
        yield from pool.map(functools.partial(_audit_path, rules=rules, engine=engine), paths)
