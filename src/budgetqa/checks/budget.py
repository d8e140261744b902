"""Time budgets for the regular expressions rules bring: per text, and per rule per document.

Shipped patterns are linear (tested); a user's pattern may not be. Each search of one text is
limited to :data:`MATCH_TIMEOUT_SECONDS`, and all of one rule's searches on one document share
a budget (``--rule-budget``, default :data:`DEFAULT_RULE_BUDGET_SECONDS` plus one second per
million characters of the document). A pattern that runs out stops its rule on that document
with :class:`RuleStopped`; the engine reports where, and the other rules still run.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

import attrs
import regex

__all__ = [
    "DEFAULT_RULE_BUDGET_SECONDS",
    "MATCH_TIMEOUT_SECONDS",
    "PatternBudget",
    "RuleStopped",
    "budget_for_rule",
    "current_budget",
]

#: The longest one search of one text may take.
MATCH_TIMEOUT_SECONDS = 2.0
#: What one rule's searches may take on one document, before the allowance for its size.
DEFAULT_RULE_BUDGET_SECONDS = 10.0
#: Extra time per character of the document (one second per million).
SECONDS_PER_CHARACTER = 1e-6


class RuleStopped(Exception):
    """A rule's pattern ran out of time; raised inside a check, caught by the engine."""

    def __init__(self, reason: str, *, line: int | None, row: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.row = row


@attrs.define
class PatternBudget:
    """The time left to one rule on one document."""

    seconds: float
    spent: float = 0.0

    @property
    def remaining(self) -> float:
        return max(self.seconds - self.spent, 0.0)

    def findall(
        self,
        pattern: regex.Pattern[str],
        text: str,
        *,
        line: int | None,
        row: str | None,
        allowance: float | None = None,
    ) -> list[regex.Match[str]]:
        """Every match of ``pattern`` in ``text`` within ``allowance`` (default
        :data:`MATCH_TIMEOUT_SECONDS`) and the budget left.

        Raises:
            RuleStopped: the search took longer than either.
        """
        if allowance is None:
            allowance = MATCH_TIMEOUT_SECONDS
        limit = min(allowance, self.remaining)
        started = time.perf_counter()
        try:
            if limit <= 0:
                raise TimeoutError
            return list(pattern.finditer(text, timeout=limit))
        except TimeoutError:
            raise self._stopped(pattern, limit, allowance, line, row) from None
        finally:
            self.spent += time.perf_counter() - started

    def search(
        self, pattern: regex.Pattern[str], text: str, *, line: int | None, row: str | None
    ) -> bool:
        """Whether ``pattern`` occurs in ``text`` (same limits as :meth:`findall`)."""
        limit = min(MATCH_TIMEOUT_SECONDS, self.remaining)
        started = time.perf_counter()
        try:
            if limit <= 0:
                raise TimeoutError
            return pattern.search(text, timeout=limit) is not None
        except TimeoutError:
            raise self._stopped(pattern, limit, MATCH_TIMEOUT_SECONDS, line, row) from None
        finally:
            self.spent += time.perf_counter() - started

    def _stopped(
        self,
        pattern: regex.Pattern[str],
        limit: float,
        allowance: float,
        line: int | None,
        row: str | None,
    ) -> RuleStopped:
        if limit < allowance:
            reason = (
                f"its patterns used up the rule's budget of {self.seconds:.1f}s on this document"
                f" (pattern {pattern.pattern!r}); raise it with --rule-budget or simplify the"
                " pattern"
            )
        else:
            reason = (
                f"pattern {pattern.pattern!r} took over {allowance:.1f}s on one text; simplify"
                " it (nested repetition backtracks catastrophically)"
            )
        return RuleStopped(reason, line=line, row=row)


_CURRENT: contextvars.ContextVar[PatternBudget | None] = contextvars.ContextVar(
    "budgetqa_pattern_budget", default=None
)


def current_budget() -> PatternBudget:
    """The budget of the rule being run (a fresh default one outside the engine)."""
    return _CURRENT.get() or PatternBudget(DEFAULT_RULE_BUDGET_SECONDS)


@contextlib.contextmanager
def budget_for_rule(seconds: float) -> Iterator[PatternBudget]:
    """Run one rule on one document with ``seconds`` for its pattern searches."""
    budget = PatternBudget(seconds)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
