"""The real examples bundled with budgetqa (see ``data/examples/README.md``): five project
tables as text, and one whole department budget as published (PDF)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["example_budget_paths", "example_paths"]

_PACKAGE = "budgetqa.data.examples"


def example_paths() -> list[Path]:
    """Paths of the bundled example tables, in file-name order.

    They are real 2025 项目支出绩效目标表 of five Guangzhou districts as they reached us: OCR
    tab-separated text (越秀), clean tab-separated text (花都, 番禺) and PDF layout text
    (增城, 从化). The paths point into the installed package and are read-only.
    """
    return _bundled(".txt")


def example_budget_paths() -> list[Path]:
    """Paths of the bundled whole department budgets, as published: 广州市信访局's 2026
    部门预算 (a PDF of 25 pages holding its 13 standard tables). Read-only, like the tables."""
    return _bundled(".pdf")


def _bundled(suffix: str) -> list[Path]:
    folder = resources.files("budgetqa") / "data" / "examples"
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(suffix))
