"""Outputs never destroy inputs, are written whole or not at all, and one input's crash does
not stop a batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import budgetqa
from budgetqa.cli import main

TABLE = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        "工作经费\t5.00\t5.00\t\t\t开展工作。\t1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。",
    ]
)


@pytest.fixture
def table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "t.txt"
    path.write_text(TABLE, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["audit", "parse"])
@pytest.mark.parametrize("spelling", ["t.txt", "./t.txt", "link.txt", "hard.txt", "abs"])
def test_an_output_that_is_an_input_is_refused(table, capsys, command, spelling):
    os.symlink(table, table.parent / "link.txt")
    os.link(table, table.parent / "hard.txt")
    output = str(table) if spelling == "abs" else spelling
    assert main([command, "t.txt", "-o", output]) == 2
    assert table.read_text(encoding="utf-8") == TABLE  # untouched
    error = capsys.readouterr().err
    assert error.startswith(f"budgetqa: error: {Path(output)}: is an input")
    assert error.count("\n") == 1


def test_an_output_inside_an_audited_folder_that_is_one_of_its_tables_is_refused(table, capsys):
    assert main(["audit", str(table.parent), "-o", "t.txt"]) == 2
    assert table.read_text(encoding="utf-8") == TABLE


def test_a_failed_write_leaves_the_previous_report_whole(table, monkeypatch, capsys):
    report = table.parent / "report.json"
    assert main(["audit", "t.txt", "--format", "json", "-o", "report.json"]) == 0
    before = report.read_bytes()

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    assert main(["audit", "t.txt", "--format", "text", "-o", "report.json"]) == 2
    assert report.read_bytes() == before  # the good report, not a cut-off one
    assert sorted(path.name for path in table.parent.iterdir()) == [
        "report.json",
        "t.txt",
    ]  # no temporary file left behind
    assert "report.json: cannot write: No space left on device" in capsys.readouterr().err


def test_an_output_through_a_symlink_replaces_the_target_and_keeps_the_link(table):
    (table.parent / "real.json").write_text("old", encoding="utf-8")
    os.symlink("real.json", table.parent / "alias.json")
    assert main(["audit", "t.txt", "--format", "json", "-o", "alias.json"]) == 0
    assert (table.parent / "alias.json").is_symlink()
    assert '"schema_version"' in (table.parent / "real.json").read_text(encoding="utf-8")


def _cli(*args: str, stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "budgetqa.cli", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_on_standard_output_is_a_clear_error():
    with open("/dev/full", "wb") as full:
        result = _cli("audit", "--examples", "--fail-on", "never", stdout=full)
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert lines == ["budgetqa: error: cannot write to standard output: No space left on device"]


def test_a_closed_pipe_ends_quietly():
    process = subprocess.Popen(
        [sys.executable, "-m", "budgetqa.cli", "parse", "--examples"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    _, error = process.communicate(timeout=120)
    assert b"Traceback" not in error
    assert b"Exception ignored" not in error


def test_an_unexpected_crash_on_one_input_is_that_inputs_failure(table, monkeypatch, capsys):
    other = table.parent / "other.txt"
    other.write_text(TABLE, encoding="utf-8")
    from budgetqa import api

    real_read = api.read

    def crashing_read(source, **kwargs):
        if str(source).endswith("t.txt") and not str(source).endswith("other.txt"):
            raise RuntimeError("boom")
        return real_read(source, **kwargs)

    monkeypatch.setattr(api, "read", crashing_read)
    report = budgetqa.audit([table, other])
    assert [document.path for document in report.documents] == [str(other)]
    [failure] = report.failures
    assert failure.kind == "InternalError"
    assert failure.error.startswith(f"{table}: internal error while reading: RuntimeError: boom")
    assert main(["audit", str(table), str(other)]) == 3  # a bug is still a bug: exit 3
    error = capsys.readouterr().err
    assert f"budgetqa: error: {table}: internal error while reading" in error


def test_a_very_long_line_near_the_top_does_not_crash_the_csv_header_sniff(tmp_path):
    # A 200,000-character quoted field in the first lines of a .txt file used to raise the csv
    # module's "field larger than field limit" out of the reader (exit 3).
    path = tmp_path / "long.txt"
    path.write_text('"' + "a" * 200_000 + ",b\n" + TABLE, encoding="utf-8")
    report = budgetqa.audit(path)
    assert report.failures == ()
    assert [document.path for document in report.documents] == [str(path)]
