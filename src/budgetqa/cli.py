"""The ``budgetqa`` command line.

Exit codes: 0 success; 2 bad usage or input that could not be read (each bad file gets one
line on stderr naming it, and the other files are still processed). Set ``BUDGETQA_DEBUG=1``
to see a traceback for an unexpected internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from budgetqa import __version__
from budgetqa.errors import BudgetQAError, UsageError

__all__ = ["main"]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERNAL = 3


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
    parse.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="table files to read")
    parse.add_argument(
        "--examples",
        action="store_true",
        help="also read the five example tables bundled with budgetqa",
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
    parse.set_defaults(handler=_run_parse)
    return parser


def _run_parse(arguments: argparse.Namespace) -> int:
    from budgetqa.examples import example_paths
    from budgetqa.ingest import read
    from budgetqa.report.documents import render_csv, render_json, render_text

    paths: list[Path] = list(arguments.paths)
    if arguments.examples:
        paths.extend(example_paths())
    if not paths:
        raise UsageError("parse: give at least one PATH, or --examples")

    documents = []
    failed = 0
    for path in paths:
        try:
            documents.append(read(path))
        except BudgetQAError as error:
            failed += 1
            print(f"budgetqa: error: {error}", file=sys.stderr)

    renderer = {"text": render_text, "json": render_json, "csv": render_csv}[arguments.format]
    output = renderer(documents)
    if arguments.output is not None:
        try:
            arguments.output.write_text(output, encoding="utf-8")
        except OSError as error:
            raise UsageError(
                f"cannot write {arguments.output}: {error.strerror or error}"
            ) from None
    else:
        sys.stdout.write(output)
    return EXIT_USAGE if failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        code: int = arguments.handler(arguments)
    except BudgetQAError as error:
        print(f"budgetqa: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if os.environ.get("BUDGETQA_DEBUG"):
            raise
        print(
            f"budgetqa: internal error: {type(error).__name__}: {error} "
            "(this is a bug; rerun with BUDGETQA_DEBUG=1 for a traceback and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
