"""budgetqa: data-quality checks for published government budget tables.

:func:`read` turns a table (tab-separated or PDF layout text, CSV, XLSX or a pandas DataFrame)
into a canonical :class:`Document`, every row traced to its lines; :func:`audit` runs the rules
on tables and returns a :class:`Report` of findings.

Names are imported on first use (PEP 562), so ``import budgetqa`` and the pytest plugin cost
almost nothing until something is read or audited.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "BudgetQAError": "budgetqa.errors",
    "Category": "budgetqa.findings",
    "Document": "budgetqa.model",
    "Finding": "budgetqa.findings",
    "Fragment": "budgetqa.model",
    "Indicator": "budgetqa.model",
    "InputError": "budgetqa.errors",
    "Level": "budgetqa.model",
    "LineRole": "budgetqa.model",
    "Profiles": "budgetqa.profiles",
    "Report": "budgetqa.findings",
    "Row": "budgetqa.model",
    "Severity": "budgetqa.findings",
    "SourceSpan": "budgetqa.model",
    "Table": "budgetqa.model",
    "UsageError": "budgetqa.errors",
    "audit": "budgetqa.api",
    "example_paths": "budgetqa.examples",
    "example_budget_paths": "budgetqa.examples",
    "read": "budgetqa.ingest",
}

__all__ = [
    "BudgetQAError",
    "Category",
    "Document",
    "Finding",
    "Fragment",
    "Indicator",
    "InputError",
    "Level",
    "LineRole",
    "Profiles",
    "Report",
    "Row",
    "Severity",
    "SourceSpan",
    "Table",
    "UsageError",
    "__version__",
    "audit",
    "example_budget_paths",
    "example_paths",
    "read",
]

if TYPE_CHECKING:
    from budgetqa.api import audit
    from budgetqa.errors import BudgetQAError, InputError, UsageError
    from budgetqa.examples import example_budget_paths, example_paths
    from budgetqa.findings import Category, Finding, Report, Severity
    from budgetqa.ingest import read
    from budgetqa.model import (
        Document,
        Fragment,
        Indicator,
        Level,
        LineRole,
        Row,
        SourceSpan,
        Table,
    )
    from budgetqa.profiles import Profiles


def __getattr__(name: str) -> Any:  # noqa: ANN401 - the exported object, of any type
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'budgetqa' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
