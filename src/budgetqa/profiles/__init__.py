"""Table profiles: the declarative description of each kind of table in a 部门预算.

The shipped profiles are the YAML files in the repository's ``profiles/`` folder (installed as
``budgetqa.profilefiles``); users add or replace them with their own files. See
``docs/profiles.md``.
"""

from __future__ import annotations

from budgetqa.profiles.loader import (
    builtin_profile_files,
    builtin_profiles,
    load_profile_files,
    load_profiles_text,
    resolve_profiles,
)
from budgetqa.profiles.model import (
    ColumnSpec,
    Hierarchy,
    Profiles,
    TableProfile,
    TitleExample,
    normalise_label,
    normalise_title,
)

__all__ = [
    "ColumnSpec",
    "Hierarchy",
    "Profiles",
    "TableProfile",
    "TitleExample",
    "builtin_profile_files",
    "builtin_profiles",
    "load_profile_files",
    "load_profiles_text",
    "normalise_label",
    "normalise_title",
    "resolve_profiles",
]
