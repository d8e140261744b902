"""Shared fixtures: the five bundled example tables, read once per session."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import budgetqa
from budgetqa.model import Document

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# For a long hunt before a release: HYPOTHESIS_PROFILE=thorough nox -s tests
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: District short names of the bundled examples, by file-name prefix.
DISTRICTS = {
    "yuexiu": "000_",
    "huadu": "001_",
    "zengcheng": "002_",
    "panyu": "003_",
    "conghua": "004_",
}


@pytest.fixture(scope="session")
def examples() -> dict[str, Document]:
    """Every bundled example table, read, by district name."""
    documents: dict[str, Document] = {}
    for path in budgetqa.example_paths():
        for district, prefix in DISTRICTS.items():
            if path.name.startswith(prefix):
                documents[district] = budgetqa.read(path)
    assert set(documents) == set(DISTRICTS)
    return documents


pytest_plugins = ["pytester"]
