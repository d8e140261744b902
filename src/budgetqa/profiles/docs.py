"""The pages of ``docs/profiles/``, one per table profile, generated from ``profiles/*.yaml``.

``python -m budgetqa.profiles.docs docs/profiles`` (``nox -s docs``) writes them; a test holds
the committed pages equal to what the files say.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from budgetqa.profiles.loader import builtin_profiles
from budgetqa.profiles.model import Profiles, TableProfile

__all__ = ["main", "profile_page", "render_profile_docs"]

_HIERARCHY = {
    "function_code": "功能分类 codes: 类 (3 digits) → 款 (5) → 项 (7) / by function code",
    "economic_code": "经济分类 codes: 类 (3 digits) → 款 (5) / by economic code",
    "unit_project": "合计 → 资金使用单位 → 项目 / total → spending unit → project",
    "indentation": "by indentation or numbering of the names / 按缩进或编号",
    "flat": "one level under the total / 合计之下一层",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def profile_page(profile: TableProfile, profiles: Profiles) -> str:
    """The Markdown page of one profile (its examples shown as ``profiles`` classify them)."""
    standard = f" ({profile.standard})" if profile.standard else ""
    out = [
        f"# {profile.name_zh} — {profile.name_en}{standard}",
        "",
        f"Kind `{profile.kind}`, from `{Path(profile.source.split(':')[0]).name}`.",
        "",
        profile.description_zh,
        "",
        profile.description_en,
        "",
        "## Titles / 表题",
        "",
        "A title line is matched after NFKC, with white space and quotation marks removed; among",
        "all profiles the longest match wins. 表题去空白、引号后匹配，匹配最长者为准。",
        "",
        *[f"- `{_cell(pattern.pattern)}`" for pattern in profile.titles],
        "",
        "| title / 表题 | read as / 识别为 |",
        "| --- | --- |",
    ]
    for example in profile.examples:
        found = profiles.classify(example.title)
        kind = f"`{found.kind}`" if found else "—"
        expected = "✓" if example.matches else "✗ (not this kind / 非本类)"
        note = f" — {example.note}" if example.note else ""
        out.append(f"| {_cell(example.title)} | {kind} {expected}{_cell(note)} |")
    out += [
        "",
        "## Rows / 行的层级",
        "",
        f"`{profile.hierarchy.value}`: {_HIERARCHY[profile.hierarchy.value]}.",
        "",
        "## Amounts / 金额",
        "",
        "Required: a table of this kind without a column of amounts is not established (ST112)."
        if profile.amounts_required
        else "Optional: this kind may print text only (goals and indicators).",
        "",
    ]
    if profile.project_rows:
        out += [
            "## Project rows / 项目行",
            "",
            "Its rows (合计 → 资金使用单位 → 项目, with `total` and the funding columns) are",
            "checked by the project-table rules: sums, repeated rows, placeholders, indicators.",
            "The first such table of a PDF (one with an `indicators` column first) is the",
            "document's `rows`. 其行（合计 → 单位 → 项目）按项目表规则检查。",
            "",
        ]
    if profile.relations:
        out += [
            "## Relations / 勾稽关系",
            "",
            "Checked on every established table of this kind (AR201 equation, AR202 sum of the",
            "rows under a row or above a total, AR204 identity with another table's total,",
            "AR205 balance of a paired table's halves, AR203 a difference within rounding: n",
            "rounded figures × 0.005).",
            "A term with `?` counts where the column is printed.",
            "每行检查；差额在舍入范围内记为尾差。",
            "",
            "| id | relation |",
            "| --- | --- |",
        ]
        for relation in profile.relations:
            text = relation.describe()
            out.append(f"| `{relation.id}` | {_cell(text)} |")
        out.append("")
    if profile.columns:
        out += [
            "## Columns / 列",
            "",
            "A column takes the first key whose header pattern matches its whole label, then",
            "ever shorter tails of it (`财政拨款/合计` before `合计`); each key once per side;",
            "last year's columns beside this year's get `_previous`. Others are `c1`, `c2` ….",
            "Figures in a column marked *not money* are read as text and counted in no sum.",
            "",
            "| key | side | headers | money |",
            "| --- | --- | --- | --- |",
        ]
        for spec in profile.columns:
            headers = ", ".join(f"`{_cell(pattern.pattern)}`" for pattern in spec.headers)
            money = "" if spec.money else "not money"
            out.append(f"| `{spec.key}` | {spec.side or ''} | {headers} | {money} |")
        out.append("")
    if profile.empty_notes:
        out += [
            "## Empty on purpose / 空表说明",
            "",
            "Besides the notes every kind shares (本表无数据, 无…预算 …):",
            "",
            *[f"- `{_cell(pattern.pattern)}`" for pattern in profile.empty_notes],
            "",
        ]
    return "\n".join(out)


def index_page(profiles: Profiles) -> str:
    out = [
        "# Table profiles / 表样",
        "",
        "Generated from `profiles/*.yaml` by `python -m budgetqa.profiles.docs docs/profiles`"
        " (`nox -s docs`). The format: [../profiles.md](../profiles.md).",
        "",
        "| kind | standard | 表 | table | rows |",
        "| --- | --- | --- | --- | --- |",
    ]
    for profile in profiles:
        out.append(
            f"| [`{profile.kind}`]({profile.kind}.md) | {profile.standard or ''}"
            f" | {profile.name_zh} | {profile.name_en} | `{profile.hierarchy.value}` |"
        )
    return "\n".join(out) + "\n"


def render_profile_docs(profiles: Profiles | None = None) -> dict[str, str]:
    """File name → content of every generated page."""
    chosen = profiles if profiles is not None else builtin_profiles()
    pages = {f"{profile.kind}.md": profile_page(profile, chosen) for profile in chosen}
    pages["index.md"] = index_page(chosen)
    return pages


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    target = Path(arguments[0] if arguments else "docs/profiles")
    target.mkdir(parents=True, exist_ok=True)
    pages = render_profile_docs()
    for stale in target.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    for name, content in pages.items():
        (target / name).write_text(content, encoding="utf-8")
    print(f"wrote {len(pages)} pages to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
