"""Development sessions: ``nox -s tests``, ``lint``, ``typecheck``, ``docs``.

Extras come from pyproject.toml, so the dependency lists live in one place; extra arguments
after ``--`` go to the tool (``nox -s tests -- -k layout``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = tomllib.loads(Path(__file__).with_name("pyproject.toml").read_text(encoding="utf-8"))
EXTRAS: dict[str, list[str]] = PYPROJECT["project"]["optional-dependencies"]


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """Install the package (not editable: the bundled data must ship) and run pytest."""
    session.install(".[test]")
    session.env.setdefault("HYPOTHESIS_PROFILE", "ci" if session.env.get("CI") else "dev")
    session.run("pytest", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install(*EXTRAS["lint"])
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py", *session.posargs)
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Regenerate the rule and profile pages (docs/rules/, docs/profiles/) from their YAML."""
    session.install("-e", ".")
    session.run("python", "-m", "budgetqa.rules.docs", "docs/rules")
    session.run("python", "-m", "budgetqa.profiles.docs", "docs/profiles")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/."""
    session.install("-e", ".[all]", *EXTRAS["typecheck"])
    session.run("mypy", *session.posargs)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmark: throughput, memory, start-up, engines compared, detection quality.

    Writes benchmarks/results/latest.json and docs/benchmark.md (several minutes; ``-- --quick``
    for a smoke run that writes nothing).
    """
    session.install(".[all]", "pdfplumber")  # pdfplumber: the peer PDF reader measured
    session.run("python", "benchmarks/bench.py", *session.posargs)
