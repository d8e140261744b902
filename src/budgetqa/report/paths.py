"""Paths as CI views want them: relative to the working directory (the checkout) when inside it."""

from __future__ import annotations

from pathlib import Path

__all__ = ["workspace_path"]


def workspace_path(path: str) -> str:
    """``path`` relative to the current directory when it lies inside it, else unchanged (POSIX)."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            return candidate.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix()
