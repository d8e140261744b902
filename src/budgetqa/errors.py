"""The exceptions budgetqa raises.

Findings about a table are data (see ``findings``), never exceptions. Exceptions are for input
that cannot be read at all and for misuse of the API or CLI. Every one derives from
:class:`BudgetQAError`, and its message starts with ``path:line:`` wherever a path (and a line)
is known, so a person can jump straight to the place.
"""

from __future__ import annotations

__all__ = [
    "BinaryInputError",
    "BudgetQAError",
    "ConfigError",
    "EmptyInputError",
    "EncodingError",
    "InputError",
    "NotABudgetTableError",
    "ProfileFileError",
    "RuleFileError",
    "TruncatedTableError",
    "UsageError",
]


class BudgetQAError(Exception):
    """Root of every error budgetqa raises on purpose."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        if self.path is None:
            return self.reason
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


class InputError(BudgetQAError):
    """The input cannot be read as a budget table."""


class EmptyInputError(InputError):
    """The file holds nothing, or only white space."""


class BinaryInputError(InputError):
    """The file holds binary data, not text or a spreadsheet."""


class EncodingError(InputError):
    """The bytes are neither UTF-8 nor GB18030/GBK."""


class NotABudgetTableError(InputError):
    """The text has no recognisable budget-table header."""


class TruncatedTableError(InputError):
    """The table stops before its rows are complete."""


class UsageError(BudgetQAError):
    """The API or CLI was called with arguments that do not fit."""


class RuleFileError(BudgetQAError):
    """A rule file is not valid; the message lists every problem as ``path:line:column: …``."""

    def __init__(self, problems: list[str], *, path: str | None = None) -> None:
        self.problems = problems
        super().__init__("\n".join(problems), path=None)
        self.path = path


class ProfileFileError(RuleFileError):
    """A table profile file is not valid; the message lists every problem as
    ``path:line:column: …``."""


class ConfigError(BudgetQAError):
    """The ``[tool.budgetqa]`` configuration is not valid."""
