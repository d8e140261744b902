"""The ``budgetqa`` command line.

Exit codes: 0 success (for ``audit``: nothing found at or above ``--fail-on``); 1 ``audit``
found something at or above ``--fail-on``; 2 bad usage, an invalid rule file, or input that
could not be read (each bad file gets one line on stderr naming it, and the other files are
still processed); 3 an internal error (set ``BUDGETQA_DEBUG=1`` for the traceback); 130
interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import FrameType

from budgetqa import __version__
from budgetqa.config import Config, split_tokens
from budgetqa.errors import BudgetQAError, UsageError

__all__ = ["main"]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, as a shell reports a Ctrl-C
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143, as a shell reports SIGTERM


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="budgetqa",
        description="Read and audit published budget tables (项目支出绩效目标表).",
    )
    parser.add_argument("--version", action="version", version=f"budgetqa {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    parse = commands.add_parser(
        "parse",
        help="read tables into the canonical form and print it",
        description=(
            "Read budget tables (tab-separated or PDF layout text, CSV, XLSX) into the canonical "
            "table and print it, every row with the lines it came from."
        ),
    )
    parse.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="table files or folders to read"
    )
    parse.add_argument(
        "--examples",
        action="store_true",
        help="also read the examples bundled with budgetqa: five project tables and a whole"
        " department budget (PDF)",
    )
    parse.add_argument(
        "--format",
        choices=("text", "json", "csv"),
        default="text",
        help="output format (default: text)",
    )
    parse.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    parse.add_argument("--max-bytes", type=_size, default=None, metavar="N", help=_MAX_BYTES_HELP)
    parse.add_argument(
        "--profiles",
        action="append",
        type=Path,
        default=[],
        metavar="FILE_OR_DIR",
        help="extra table profile file or folder of *.yaml; one of a shipped kind replaces it"
        " (repeatable)",
    )
    parse.set_defaults(handler=_run_parse)

    audit = commands.add_parser(
        "audit",
        help="check tables against the rules and report the findings",
        description=(
            "Audit budget tables: sums that do not add up, repeated rows, placeholders, indicator "
            "and text problems. Settings in [tool.budgetqa] of the nearest pyproject.toml apply; "
            "options given here win."
        ),
    )
    audit.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="table files or folders to audit"
    )
    audit.add_argument(
        "--examples",
        action="store_true",
        help="also audit the bundled examples: five project tables and a whole department"
        " budget (PDF)",
    )
    audit.add_argument(
        "--rules",
        action="append",
        type=Path,
        default=[],
        metavar="FILE_OR_DIR",
        help="extra rule file or folder of *.yaml (repeatable)",
    )
    audit.add_argument(
        "--no-builtin-rules", action="store_true", help="run only the rules given with --rules"
    )
    audit.add_argument(
        "--profiles",
        action="append",
        type=Path,
        default=[],
        metavar="FILE_OR_DIR",
        help="extra table profile file or folder of *.yaml; one of a shipped kind replaces it"
        " (repeatable)",
    )
    audit.add_argument("--select", action="append", default=[], metavar="RULES", help=_TOKENS_HELP)
    audit.add_argument("--ignore", action="append", default=[], metavar="RULES", help=_TOKENS_HELP)
    audit.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="RULE=LEVEL",
        help="override a rule's severity, e.g. DU102=warning (repeatable)",
    )
    audit.add_argument(
        "--tolerance",
        action="append",
        default=[],
        metavar="RULE=AMOUNT",
        help="largest difference a sum rule accepts, in the table's money unit, e.g."
        " AR102=0.05 (repeatable; AR201-AR204 also take auto)",
    )
    audit.add_argument(
        "--format",
        choices=("text", "json", "markdown", "html", "junit", "sarif", "github"),
        default="text",
        help="report format",
    )
    audit.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report to FILE")
    audit.add_argument(
        "--engine",
        choices=("native", "pandera", "pandera-polars", "gx"),
        default="native",
        help="run the arithmetic and duplicate rules natively (default), through pandera, or "
        "through Great Expectations; the findings are the same",
    )
    audit.add_argument(
        "-j",
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="audit files in N worker processes (default 1); the report is the same",
    )
    audit.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "never"),
        default=None,
        help="exit 1 when a finding at or above this severity is found (default: error)",
    )
    audit.add_argument("--max-bytes", type=_size, default=None, metavar="N", help=_MAX_BYTES_HELP)
    audit.add_argument(
        "--rule-budget",
        type=_positive_seconds,
        default=None,
        metavar="SECONDS",
        help="time each rule's pattern searches may take on one document (default: rule-budget "
        "in [tool.budgetqa], else 10, plus 1 per million characters); a rule that runs out "
        "stops on that document with an error finding naming the row",
    )
    audit.set_defaults(handler=_run_audit)

    rules = commands.add_parser(
        "rules", help="list the rules", description="List the rules that would run."
    )
    rules.add_argument("--rules", action="append", type=Path, default=[], metavar="FILE_OR_DIR")
    rules.add_argument("--select", action="append", default=[], metavar="RULES", help=_TOKENS_HELP)
    rules.add_argument("--ignore", action="append", default=[], metavar="RULES", help=_TOKENS_HELP)
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(handler=_run_rules)

    profiles = commands.add_parser(
        "profiles",
        help="list the table profiles",
        description="List the table profiles PDF tables are recognised by.",
    )
    profiles.add_argument(
        "--profiles", action="append", type=Path, default=[], metavar="FILE_OR_DIR"
    )
    profiles.add_argument("--format", choices=("text", "json"), default="text")
    profiles.set_defaults(handler=_run_profiles)

    explain = commands.add_parser("explain", help="show one rule's documentation")
    explain.add_argument("rule", metavar="CODE_OR_NAME")
    explain.add_argument("--rules", action="append", type=Path, default=[], metavar="FILE_OR_DIR")
    explain.set_defaults(handler=_run_explain)
    return parser


_TOKENS_HELP = (
    "rule codes (AR101), code prefixes (AR), names (arithmetic.unit_projects_sum), categories "
    "or groups, comma-separated (repeatable)"
)


_MAX_BYTES_HELP = (
    "read at most N bytes from one file: a number or 64K, 64M, 1G (default: max-bytes in "
    "[tool.budgetqa], else 256M); a larger file is not audited"
)


def _size(text: str) -> int:
    from budgetqa.inputs import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, not {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def _write(
    output: Path | None, text: str | Iterable[str], *, inputs: Sequence[str | Path] = ()
) -> None:
    """Write a report, whole or in pieces, to ``output`` (standard output when ``None``).

    A file is never overwritten if it is one of ``inputs`` (same file, however spelled: the
    same device and inode), and is written whole or not at all: to a temporary file beside it,
    then renamed over it, so a failed write (a full disk, say) never leaves a cut-off report in
    place of a good one. Devices and pipes (``-o /dev/stdout``) are written directly. Pieces
    are written as they come, so a report made a finding at a time is never whole in memory.
    """
    pieces = (text,) if isinstance(text, str) else text
    if output is None:
        _write_stdout(pieces)
        return
    _refuse_input_as_output(output, inputs)
    target = Path(os.path.realpath(output))  # a symlink's target is replaced, not the link
    if target.exists() and not target.is_file():
        try:
            with target.open("w", encoding="utf-8") as stream:
                stream.writelines(pieces)
        except OSError as error:
            raise UsageError(f"{output}: cannot write: {error.strerror or error}") from None
        return
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.writelines(pieces)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.chmod(temporary, target.stat().st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
        temporary = None
    except OSError as error:
        raise UsageError(f"{output}: cannot write: {error.strerror or error}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse_input_as_output(output: Path, inputs: Sequence[str | Path]) -> None:
    try:
        written = output.stat()
    except OSError:
        return  # does not exist yet: cannot be an input
    if not stat.S_ISREG(written.st_mode):
        return
    for source in inputs:
        try:
            read = os.stat(source)
        except (OSError, ValueError):
            continue
        if (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino):
            raise UsageError(
                f"{output}: is an input ({source}); refusing to overwrite it with the output"
                " (choose another -o FILE)"
            )


def _write_stdout(pieces: Iterable[str]) -> None:
    """Write to standard output; a closed pipe ends quietly, a failed write is an error."""
    try:
        sys.stdout.writelines(pieces)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()  # the reader went away (`| head`): not an error of ours
    except OSError as error:
        _silence_stdout()
        raise UsageError(f"cannot write to standard output: {error.strerror or error}") from None


def _silence_stdout() -> None:
    # Point stdout at /dev/null so the interpreter's final flush does not fail again.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _run_audit(arguments: argparse.Namespace) -> int:
    from budgetqa.api import INTERNAL_ERROR, audit
    from budgetqa.config import load_config
    from budgetqa.examples import example_budget_paths, example_paths
    from budgetqa.findings import Severity
    from budgetqa.report import iter_report

    config = load_config()
    paths: list[Path] = list(arguments.paths) or list(config.paths)
    if arguments.examples:
        paths.extend([*example_paths(), *example_budget_paths()])
    if not paths:
        raise UsageError("audit: give at least one PATH, or --examples")
    severity: dict[str, str] = dict(config.severity)
    for item in arguments.severity:
        token, separator, level = item.partition("=")
        if not separator:
            raise UsageError(f"--severity {item!r}: expected RULE=LEVEL, e.g. DU102=warning")
        severity[token.strip()] = level.strip()
    tolerance: dict[str, str] = dict(config.tolerance)
    for item in arguments.tolerance:
        token, sep, amount = item.partition("=")
        if not sep or not token.strip() or not amount.strip():
            raise UsageError(f"--tolerance {item!r}: expected RULE=AMOUNT, e.g. AR102=0.05")
        tolerance[token.strip()] = amount.strip()
    report = audit(
        paths,
        rules=[*config.rules, *arguments.rules],
        builtin=not arguments.no_builtin_rules,
        select=split_tokens(arguments.select) or list(config.select),
        ignore=[*config.ignore, *split_tokens(arguments.ignore)],
        severity=severity,
        tolerance=tolerance,
        engine=arguments.engine,
        jobs=arguments.jobs,
        max_bytes=_max_bytes(arguments, config),
        rule_budget=arguments.rule_budget or config.rule_budget,
        profiles=[*config.profiles, *arguments.profiles],
    )
    from budgetqa.text import visible_line  # an error line quotes a file name: keep it one line

    # Every path named is audited, or said here not to be (and why); other files are counted.
    for failure in report.failures:
        print(f"budgetqa: error: {visible_line(failure.error)}", file=sys.stderr)
    for skipped in report.skipped:
        print(f"budgetqa: note: {visible_line(str(skipped))}", file=sys.stderr)
    fail_on = arguments.fail_on or config.fail_on or "error"
    _write(
        arguments.output,
        iter_report(report, arguments.format, fail_on=fail_on),
        inputs=[
            *paths,
            *(document.path for document in report.documents),
            *(failure.path for failure in report.failures),
        ],
    )
    if any(failure.kind == INTERNAL_ERROR for failure in report.failures):
        return EXIT_INTERNAL
    if report.failures:
        return EXIT_USAGE
    if fail_on != "never":
        worst = report.worst()
        if worst is not None and worst.at_least(Severity(fail_on)):
            return EXIT_FINDINGS
    return EXIT_OK


def _max_bytes(arguments: argparse.Namespace, config: Config) -> int:
    from budgetqa.inputs import DEFAULT_MAX_BYTES

    chosen: int = arguments.max_bytes or config.max_bytes or DEFAULT_MAX_BYTES
    return chosen


def _run_rules(arguments: argparse.Namespace) -> int:
    import json

    from budgetqa.api import resolve_rules

    rules = resolve_rules(
        arguments.rules,
        select=split_tokens(arguments.select),
        ignore=split_tokens(arguments.ignore),
    )
    if arguments.format == "json":
        sys.stdout.write(
            json.dumps([rule.to_dict() for rule in rules], ensure_ascii=False, indent=2) + "\n"
        )
        return EXIT_OK
    for rule in rules:
        print(
            f"{rule.code}  {rule.severity.value:<7}  {rule.name:<36}"
            f" {_first_sentence(rule.rationale)}"
        )
    return EXIT_OK


def _run_profiles(arguments: argparse.Namespace) -> int:
    import json

    from budgetqa.config import load_config
    from budgetqa.profiles import resolve_profiles

    profiles = resolve_profiles([*load_config().profiles, *arguments.profiles])
    if arguments.format == "json":
        data = [profile.to_dict() for profile in profiles]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for profile in profiles:
        print(
            f"{profile.kind:<34} {profile.standard or '-':<4} {profile.hierarchy.value:<14}"
            f" {profile.name_zh} ({profile.name_en})"
        )
    return EXIT_OK


def _run_explain(arguments: argparse.Namespace) -> int:
    from budgetqa.api import resolve_rules
    from budgetqa.rules.docs import rule_page

    rules = resolve_rules(arguments.rules)
    wanted = arguments.rule.strip()
    for rule in rules:
        if wanted.upper() == rule.code or wanted == rule.name:
            sys.stdout.write(rule_page(rule))
            return EXIT_OK
    raise UsageError(f"explain: no rule {wanted!r} (see `budgetqa rules`)")


def _run_parse(arguments: argparse.Namespace) -> int:
    from budgetqa.api import internal_failure
    from budgetqa.config import load_config
    from budgetqa.examples import example_budget_paths, example_paths
    from budgetqa.ingest import read
    from budgetqa.inputs import expand_inputs, reading_limit
    from budgetqa.report.documents import iter_json, render_csv, render_text
    from budgetqa.text import visible_line

    paths: list[Path] = list(arguments.paths)
    if arguments.examples:
        paths.extend([*example_paths(), *example_budget_paths()])
    if not paths:
        raise UsageError("parse: give at least one PATH, or --examples")

    from budgetqa.profiles import resolve_profiles

    config = load_config()
    max_bytes = _max_bytes(arguments, config)
    profiles = resolve_profiles([*config.profiles, *arguments.profiles])  # misuse: before reading
    expansion = expand_inputs(paths, max_bytes=max_bytes)
    for failure in expansion.not_audited:
        print(f"budgetqa: error: {visible_line(failure.error)}", file=sys.stderr)
    for skipped in expansion.skipped:
        print(f"budgetqa: note: {visible_line(str(skipped))}", file=sys.stderr)
    documents = []
    failed = len(expansion.not_audited)
    internal = False
    with reading_limit(max_bytes):
        for path in expansion.paths:
            try:
                documents.append(read(path, profiles=profiles))
            except BudgetQAError as error:
                failed += 1
                print(f"budgetqa: error: {visible_line(str(error))}", file=sys.stderr)
            except Exception as error:  # one input's failure must not stop the others
                if os.environ.get("BUDGETQA_DEBUG"):
                    raise
                failed += 1
                internal = True
                failure = internal_failure(str(path), "reading", error)
                print(f"budgetqa: error: {visible_line(failure.error)}", file=sys.stderr)

    # Each renderer escapes what it writes (text: acting characters and line breaks; JSON:
    # \uXXXX); CSV is data, kept as read but for formula-like text cells.
    output: str | Iterable[str]
    if arguments.format == "json":
        output = iter_json(documents)  # written a document at a time
    else:
        output = {"text": render_text, "csv": render_csv}[arguments.format](documents)
    _write(arguments.output, output, inputs=[*paths, *(document.path for document in documents)])
    if internal:
        return EXIT_INTERNAL
    return EXIT_USAGE if failed else EXIT_OK


@contextlib.contextmanager
def _sigterm_ends_the_run() -> Iterator[None]:
    """While the CLI runs, SIGTERM kills its worker processes, says so and exits 143.

    It ends the run from the signal handler rather than by raising an exception through it:
    an exception raised at an arbitrary point can be swallowed ("Exception ignored in ...",
    e.g. when it lands in a fork hook), and the run would go on. Only where SIGTERM has its
    default action and this is the main thread (the only one that may set handlers): a caller
    that runs :func:`main` with its own handler, or with SIGTERM ignored, keeps it. The
    previous action is restored on the way out.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    owner = os.getpid()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if os.getpid() == owner:
            # The CLI runs no processes but budgetqa's workers, so its children are those;
            # any forked too late to be listed here die with this process (parent-death
            # signal). Plain os calls only: the main thread may be anywhere, even in print().
            multiprocessing = sys.modules.get("multiprocessing")
            for worker in multiprocessing.active_children() if multiprocessing else []:
                worker.kill()
            with contextlib.suppress(OSError, ValueError):  # no stderr to write to
                os.write(sys.stderr.fileno(), b"budgetqa: terminated (SIGTERM)\n")
        # In a worker forked a moment ago, before it reset the handlers it inherited, this
        # ends it quietly, as SIGTERM ends a process.
        os._exit(EXIT_TERMINATED)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it).

    Ctrl-C stops the run, its worker processes included, with ``budgetqa: interrupted`` on
    stderr and exit code 130; SIGTERM likewise, with ``budgetqa: terminated (SIGTERM)`` and
    143.
    """
    with _sigterm_ends_the_run():
        parser = _parser()
        arguments = parser.parse_args(argv)
        try:
            code: int = arguments.handler(arguments)
        except BudgetQAError as error:
            from budgetqa.text import visible_line  # an error quotes a file name: keep one line

            print(f"budgetqa: error: {visible_line(str(error))}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print("budgetqa: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as error:
            if os.environ.get("BUDGETQA_DEBUG"):
                raise
            from budgetqa.text import visible_line

            print(
                f"budgetqa: internal error: {type(error).__name__}: {visible_line(str(error))} "
                "(this is a bug; rerun with BUDGETQA_DEBUG=1 for a traceback and please report it)",
                file=sys.stderr,
            )
            return EXIT_INTERNAL
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
