"""budgetqa: data-quality checks for published government budget tables.

Reading is the first stage: :func:`read` turns a table (tab-separated or PDF layout text, CSV,
XLSX or a pandas DataFrame) into a canonical :class:`Document`, every row traced to its lines.
Heavy libraries (pandas, pandera, Great Expectations) are imported only where they are used.
"""

from __future__ import annotations

from budgetqa.errors import BudgetQAError, InputError, UsageError
from budgetqa.examples import example_paths
from budgetqa.ingest import read
from budgetqa.model import Document, Fragment, Indicator, Level, LineRole, Row, SourceSpan

__version__ = "0.1.0"

__all__ = [
    "BudgetQAError",
    "Document",
    "Fragment",
    "Indicator",
    "InputError",
    "Level",
    "LineRole",
    "Row",
    "SourceSpan",
    "UsageError",
    "__version__",
    "example_paths",
    "read",
]
