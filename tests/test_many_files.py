"""Runs over many files: bad files are reported and the rest still audited, in one or more
worker processes, from a list of files or a folder."""

from __future__ import annotations

import json

import pytest

import budgetqa
from budgetqa.cli import main
from budgetqa.errors import UsageError
from budgetqa.examples import example_paths
from budgetqa.synthetic import generate_table, inject_defects, render

pytestmark = pytest.mark.integration


@pytest.fixture
def corpus(tmp_path):
    """Three generated tables, each with one repeated row, an empty file and a binary one."""
    folder = tmp_path / "tables"
    folder.mkdir()
    for seed, layout in enumerate(["tsv", "pdf-text", "csv"]):
        table = inject_defects(generate_table(seed, projects=40, units=2), seed, duplicates=1)
        suffix = ".csv" if layout == "csv" else ".txt"
        (folder / f"t{seed}{suffix}").write_text(render(table, layout).text, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "notes.md").write_text("not a table, and not picked up from the folder")
    return folder


def test_bad_files_are_reported_and_the_rest_audited(corpus):
    report = budgetqa.audit(sorted(corpus.glob("*.txt")) + sorted(corpus.glob("*.csv")))
    assert sorted(failure.path.rsplit("/", 1)[-1] for failure in report.failures) == [
        "empty.txt",
        "image.txt",
    ]
    assert all(failure.error.startswith(failure.path) for failure in report.failures)
    assert len(report.documents) == 3
    assert len(report.by_code("DU101")) == 3


def test_a_folder_stands_for_its_table_files(corpus):
    report = budgetqa.audit(corpus)
    assert len(report.documents) + len(report.failures) == 5  # notes.md is not a table file
    assert [(skipped.files, skipped.by_suffix) for skipped in report.skipped] == [(1, {".md": 1})]


def test_a_folder_without_tables_is_listed_not_audited(corpus, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    report = budgetqa.audit([corpus, empty])
    assert len(report.documents) == 3
    assert report.failures[0].error == (
        f"{empty}: no table files (.txt, .tsv, .csv, .xlsx, .xlsm, .pdf) in this folder"
    )


def test_paths_not_audited_come_first_and_alike_with_workers(corpus, tmp_path):
    (corpus / "gone.txt").symlink_to("nowhere.txt")
    one = budgetqa.audit([corpus, tmp_path / "missing.txt"])
    two = budgetqa.audit([corpus, tmp_path / "missing.txt"], jobs=2)
    assert [failure.path.rsplit("/", 1)[-1] for failure in one.failures] == [
        "gone.txt",
        "missing.txt",
        "empty.txt",
        "image.txt",
    ]
    assert two.failures == one.failures
    assert two.skipped == one.skipped


def test_worker_processes_give_the_same_report(corpus):
    one = budgetqa.audit(corpus)
    two = budgetqa.audit(corpus, jobs=2)
    assert two.to_dict()["findings"] == one.to_dict()["findings"]
    assert two.documents == one.documents
    assert two.failures == one.failures


def test_jobs_must_be_positive(corpus):
    with pytest.raises(UsageError, match="at least 1"):
        budgetqa.audit(corpus, jobs=0)


def test_cli_jobs_reports_bad_files_and_exits_2(corpus, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "report.json"
    code = main(["audit", str(corpus), "-j", "2", "--format", "json", "-o", str(output)])
    assert code == 2
    *errors, note = capsys.readouterr().err.splitlines()
    assert len(errors) == 2
    assert all(line.startswith(f"budgetqa: error: {corpus}") for line in errors)
    assert note == f"budgetqa: note: {corpus}: 1 other file skipped, not table files (1 .md)"
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["summary"]["documents"] == 3
    assert data["summary"]["by_code"]["DU101"] == 3


def test_cli_rejects_a_bad_jobs_value(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--examples", "--jobs", "none"])
    assert exit_info.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_examples_in_parallel_match_the_serial_audit():
    paths = example_paths()
    assert budgetqa.audit(paths, jobs=2).findings == budgetqa.audit(paths).findings


def test_workers_start_from_code_without_a_main_guard(corpus):
    """Piped code (no file, no __name__ guard) must not be re-run by the workers."""
    import subprocess
    import sys

    code = (
        "import budgetqa\n"
        f"report = budgetqa.audit({str(corpus)!r}, jobs=2)\n"
        "print(len(report.documents), len(report.failures))\n"
    )
    done = subprocess.run(
        [sys.executable, "-"], input=code, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "2"]
