"""The five real example tables bundled with budgetqa (see ``data/examples/README.md``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["example_paths"]

_PACKAGE = "budgetqa.data.examples"


def example_paths() -> list[Path]:
    """Paths of the bundled example tables, in file-name order.

    They are real 2025 项目支出绩效目标表 of five Guangzhou districts as they reached us: OCR
    tab-separated text (越秀), clean tab-separated text (花都, 番禺) and PDF layout text
    (增城, 从化). The paths point into the installed package and are read-only.
    """
    folder = resources.files("budgetqa") / "data" / "examples"
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".txt"))
