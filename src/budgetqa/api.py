"""The Python entry point of the audit: ``budgetqa.audit(...) -> Report``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from budgetqa.profiles import Profiles, resolve_profiles
from budgetqa.rules import RuleSpec, load_builtin_rules, load_rule_files, select_rules

if TYPE_CHECKING:
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkContext, SpawnContext
    from multiprocessing.process import BaseProcess

__all__ = ["audit", "resolve_rules"]


def resolve_rules(
    rules: Sequence[RuleSpec] | Iterable[str | Path] | None = None,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    severity: Mapping[str, str | Severity] | None = None,
    builtin: bool = True,
    tolerance: Mapping[str, object] | None = None,
) -> list[RuleSpec]:
    """The rules an audit runs.

    ``rules`` is either a list of :class:`RuleSpec` (used as they are) or paths of extra rule
    files or folders, loaded after the built-in set (unless ``builtin=False``). Then ``select``,
    ``ignore``, ``severity`` and ``tolerance`` overrides apply (see
    :func:`budgetqa.rules.select_rules`).
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
    return select_rules(
        chosen, select=select, ignore=ignore, severity=severity, tolerance=tolerance
    )


def _as_list(sources: object) -> list[object]:
    if isinstance(sources, str | os.PathLike | Document) or is_dataframe(sources):
        return [sources]
    if isinstance(sources, Iterable):
        return list(sources)
    raise UsageError(f"audit() takes paths, Documents or DataFrames, not {type(sources).__name__}")


def _documents(
    sources: Sequence[object], failures: list[ReadFailure], profiles: Profiles | None = None
) -> Iterator[Document]:
    """Read sources one at a time (memory stays bounded by one document)."""
    for position, source in enumerate(sources):
        if isinstance(source, Document):
            yield source
            continue
        try:
            if isinstance(source, str | Path):
                yield read(source, profiles=profiles)
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
    tolerance: Mapping[str, object] | None = None,
    engine: str = "native",
    jobs: int = 1,
    max_bytes: int = inputs.DEFAULT_MAX_BYTES,
    rule_budget: float | None = None,
    profiles: Profiles | Iterable[str | Path] | None = None,
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

    ``tolerance`` sets the largest difference a sum rule accepts, by rule token, in the table's
    money unit (``{"AR102": "0.05"}``; the table-relation rules AR201–AR204 also take
    ``"auto"``, their default: half a unit of the printed precision per addend).

    ``profiles`` are the table profiles the tables of a PDF are recognised by: a
    :class:`~budgetqa.profiles.Profiles` set as it is, or paths of profile files that add to the
    shipped ones (one of a shipped kind replaces it); an invalid profile file raises
    :class:`~budgetqa.errors.ProfileFileError` before anything is read.
    """
    from budgetqa import __version__
    from budgetqa.engines import ENGINES

    if engine not in ENGINES:
        raise UsageError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if jobs < 1:
        raise UsageError(f"jobs must be at least 1, not {jobs}")
    if rule_budget is not None and not rule_budget > 0:
        raise UsageError(f"rule_budget must be a number of seconds above 0, not {rule_budget}")
    chosen = resolve_rules(
        rules,
        select=select,
        ignore=ignore,
        severity=severity,
        builtin=builtin,
        tolerance=tolerance,
    )
    checking: _Checking = (engine, rule_budget, resolve_profiles(profiles))
    items, failures, skipped = _expand(_as_list(sources), max_bytes)
    findings: list[Finding] = []
    summaries: list[DocumentSummary] = []
    # Readers here and in forked workers read at most max_bytes (workers are forked inside).
    with inputs.reading_limit(max_bytes):
        if jobs > 1 and len(items) > 1 and all(isinstance(item, str | Path) for item in items):
            results: Iterable[_Audited] = _audit_in_workers(
                [str(item) for item in items], chosen, checking, jobs
            )
        else:
            results = (
                _audited(document, chosen, checking)
                for document in _documents(items, failures, checking[2])
            )
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


#: How each document is read and checked: the engine, each rule's time budget (None: the
#: default) and the table profiles PDF tables are recognised by.
_Checking = tuple[str, float | None, Profiles]


def _audited(document: Document, rules: Sequence[RuleSpec], checking: _Checking) -> _Audited:
    from budgetqa.engines import run_with_engine

    engine, rule_budget, _ = checking
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
    for document in _documents([path], failures, engine[2]):
        return _audited(document, rules, engine)
    return failures[0]


def _audit_in_workers(
    paths: Sequence[str], rules: Sequence[RuleSpec], engine: _Checking, jobs: int
) -> list[_Audited]:
    """Audit files in ``jobs`` processes; the results in the order of ``paths``.

    The workers do not outlive this call: when it returns they have exited, and when anything
    interrupts it (``KeyboardInterrupt``, an exception a signal handler raises) they are killed
    at once instead of finishing their files. They do not outlive the process either, however
    it ends (see :func:`_die_with_parent`). An exception a worker raises is raised here (the
    first in the order of ``paths``, as with ``jobs=1``); a worker that dies raises
    ``BrokenProcessPool`` naming the file it was auditing.
    """
    import multiprocessing
    import os
    import sys

    # Forked workers start at once and never re-run the caller's __main__ (a script without a
    # __name__ guard, code piped to python, a notebook): where fork is sound (Linux), use it.
    # Elsewhere workers are spawned, and a script must call audit() under a __name__ guard.
    if sys.platform.startswith("linux"):
        context: ForkContext | SpawnContext = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("spawn")
    # A pool of our own, a pipe per worker and no threads, because neither pool in the
    # standard library stops cleanly: multiprocessing.Pool waits forever for the file of a
    # worker that died (the kernel's out-of-memory killer, a crash in a C extension), and
    # ProcessPoolExecutor has no way to kill its workers before Python 3.14, while its
    # manager and feeder threads, cut short by Ctrl-C, race the interpreter's exit (an
    # "Exception ignored ... Bad file descriptor" traceback). Here every wait is in this
    # thread, on the workers' pipes and process sentinels, and stopping is killing. Results
    # are collected, not yielded (audit() keeps each one anyway), so every interruption lands
    # in this call and stops the workers now, not whenever the caller closes a half-read
    # generator (a REPL keeping the traceback would keep the workers busy indefinitely).
    workers: dict[Connection[Any, Any], BaseProcess] = {}  # by the parent's end of its pipe
    done = False
    try:
        for _ in range(min(jobs, len(paths))):
            pipe, workers_end = context.Pipe()
            worker = context.Process(
                target=_serve,
                args=(workers_end, rules, engine, os.getpid()),
                name="budgetqa-worker",
            )
            with _interruptions_held():
                worker.start()
                workers[pipe] = worker
            workers_end.close()
        results = _share_out(paths, workers)
        done = True
    finally:
        _stop_workers(workers, gracefully=done)
    return results


def _share_out(
    paths: Sequence[str], workers: Mapping[Connection[Any, Any], BaseProcess]
) -> list[_Audited]:
    """Give each free worker (by its pipe) the next path; the results in the order of ``paths``."""
    from multiprocessing.connection import wait

    todo = iter(enumerate(paths))
    results: dict[int, _Audited] = {}
    raised: dict[int, BaseException] = {}
    busy: dict[Connection[Any, Any], int] = {}

    def give_next(pipe: Connection[Any, Any]) -> None:
        if raised:  # the audit fails: start no more files
            return
        for position, path in todo:
            try:
                pipe.send(path)
            except OSError:  # the worker died after its last answer
                raise _broken(path, workers[pipe]) from None
            busy[pipe] = position
            return

    for pipe in workers:
        give_next(pipe)
    # After an exception, wait only for the files before it: one of them may raise first.
    while busy and not (raised and min(busy.values()) > min(raised)):
        ready = set(wait([*busy, *(workers[pipe].sentinel for pipe in busy)]))
        for pipe, position in list(busy.items()):
            if pipe in ready:  # an answer, or the end of the pipe if the worker died
                try:
                    outcome, value, worker_traceback = pipe.recv()
                except EOFError:
                    raise _broken(paths[position], workers[pipe]) from None
                del busy[pipe]
                if outcome == "raised":
                    value.__cause__ = _WorkerTraceback(worker_traceback)
                    raised[position] = value
                else:
                    results[position] = value
                give_next(pipe)
            elif workers[pipe].sentinel in ready:
                raise _broken(paths[position], workers[pipe])
    if raised:
        raise raised[min(raised)]
    return [results[position] for position in range(len(paths))]


def _broken(path: str, worker: BaseProcess) -> BrokenProcessPool:
    """The error for a worker that died while auditing ``path``, saying how it ended."""
    import signal
    from concurrent.futures.process import BrokenProcessPool

    worker.join(_REAP_SECONDS)
    code = worker.exitcode
    if code is not None and code < 0:
        how = f"was killed ({signal.Signals(-code).name})"
    else:
        how = f"ended unexpectedly (exit code {code})"
    return BrokenProcessPool(f"{path}: the worker process auditing this file {how}")


def _stop_workers(workers: Mapping[Connection[Any, Any], BaseProcess], *, gracefully: bool) -> None:
    """Gracefully: tell idle workers to exit. Otherwise: kill them, whatever they are doing.

    Either way reap them, within a bound. SIGKILL: a worker holds nothing to clean up, and one
    forked a moment ago may not have reset the signal handlers it inherited yet.
    """
    for pipe, worker in workers.items():
        if gracefully:
            with contextlib.suppress(OSError):  # it has gone already
                pipe.send(None)
        else:
            worker.kill()
    for pipe, worker in workers.items():
        worker.join(_REAP_SECONDS)
        if worker.exitcode is None:
            worker.kill()
            worker.join(_REAP_SECONDS)
        pipe.close()


def _serve(
    pipe: Connection[Any, Any], rules: Sequence[RuleSpec], engine: _Checking, parent_pid: int
) -> None:
    """A worker process: audit each path it is sent and send back the outcome, until ``None``.

    The outcome is ``("audited", result, None)`` or ``("raised", exception, its traceback)``;
    the traceback goes as text because an exception's traceback and cause are not pickled.
    """
    import pickle
    import traceback

    _die_with_parent(parent_pid)
    while True:
        try:
            path = pipe.recv()
        except (EOFError, OSError):  # the parent has gone (spawned workers see this)
            return
        if path is None:
            return
        try:
            outcome: tuple[str, object, str | None] = (
                "audited",
                _audit_path(path, rules, engine),
                None,
            )
        except Exception as error:
            text = "".join(traceback.format_exception(error))
            try:
                pickle.loads(pickle.dumps(error))
            except Exception:  # an exception that cannot cross to the parent as it is
                error = RuntimeError(f"{type(error).__name__}: {error}")
            outcome = ("raised", error, text)
        pipe.send(outcome)


class _WorkerTraceback(Exception):
    """The traceback, as text, of an exception raised in a worker process: its cause."""


#: How long :func:`_audit_in_workers` waits for a killed worker to be gone (a bound, not a
#: pause: a killed process is normally reaped at once).
_REAP_SECONDS = 5.0

#: How often a worker without PR_SET_PDEATHSIG checks that its parent is still alive.
_PARENT_POLL_SECONDS = 0.5


@contextlib.contextmanager
def _interruptions_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM in this thread while a worker is started and registered.

    Delivered in the middle of a fork, the exception a handler raises (``KeyboardInterrupt``)
    is swallowed in the parent if it lands in a fork hook ("Exception ignored in ...", and the
    audit goes on), and in the child it ends the worker with a traceback before the worker has
    set its own handling. Held back, the signal reaches the parent just after the worker is
    registered, where it stops the workers, and the worker (which inherits the held mask)
    discards it once it ignores SIGINT. The caller's handlers are not touched, and its mask is
    restored as it was. Where signals cannot be held (Windows), nothing is held.
    """
    import signal

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _die_with_parent(parent_pid: int) -> None:
    """A worker's first step: it ends when its parent process ends, however that ends.

    A forked worker inherits its parent's ends of the task pipes, so it never sees its own pipe
    close: without this, a parent killed by SIGTERM or SIGKILL leaves its workers waiting for
    work forever. Interrupting is the parent's business: the worker ignores SIGINT (a Ctrl-C
    reaches the whole process group; the parent stops its workers) and takes SIGTERM's default
    action whatever handler it inherited; then it lets through the signals held back while it
    was forked.
    """
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if not _set_parent_death_signal():
        import threading

        threading.Thread(
            target=_exit_when_orphaned,
            args=(parent_pid,),
            name="budgetqa-parent-watch",
            daemon=True,
        ).start()
    # The parent may have died before the death signal was set: then it will never come.
    if os.getppid() != parent_pid:
        os._exit(1)


def _set_parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where that is not possible.

    Linux sends the signal when the *thread* that forked this process ends. The workers are
    forked by the thread that calls :func:`_audit_in_workers`, which does not return before
    they are done, so the signal comes only when the process dies.
    """
    import sys

    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import signal

    pr_set_pdeathsig = 1  # from <linux/prctl.h>
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        done: int = libc.prctl(pr_set_pdeathsig, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no C library to load, or no prctl in it
        return False
    return done == 0


def _exit_when_orphaned(parent_pid: int) -> None:
    """Where there is no parent-death signal: poll the parent, exit once it is gone."""
    import os
    import time

    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)
