"""budgetqa: data-quality checks for published government budget tables.

:func:`read` turns a table (tab-separated or PDF layout text, CSV, XLSX or a pandas DataFrame)
into a canonical :class:`Document`, every row traced to its lines; :func:`audit` runs the rules
on tables and returns a :class:`Report` of findings.
Heavy libraries (pandas, pandera, Great Expectations) are imported only where they are used.
"""

from __future__ import annotations

from budgetqa.api import audit
from budgetqa.errors import BudgetQAError, InputError, UsageError
from budgetqa.examples import example_paths
from budgetqa.findings import Category, Finding, Report, Severity
from budgetqa.ingest import read
from budgetqa.model import Document, Fragment, Indicator, Level, LineRole, Row, SourceSpan

__version__ = "0.1.0"

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
    "Report",
    "Row",
    "Severity",
    "SourceSpan",
    "UsageError",
    "__version__",
    "audit",
    "example_paths",
    "read",
]
