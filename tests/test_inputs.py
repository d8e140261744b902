"""Every path a user names is audited, or listed as not audited with the reason.

Each case runs through the API (``budgetqa.audit``) and the CLI; FIFOs and devices, which
would hang or flood a reader that opened them, run in a child process with a time limit.
"""

from __future__ import annotations

import errno
import inspect
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import budgetqa
from budgetqa.cli import main
from budgetqa.errors import InputError, UsageError
from budgetqa.findings import SkippedFiles
from budgetqa.inputs import (
    DEFAULT_MAX_BYTES,
    TABLE_SUFFIXES,
    check_xlsx_size,
    expand_inputs,
    format_size,
    parse_size,
    read_capped,
    reading_limit,
)

CLEAN = "\n".join(
    [
        "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标",
        "合计\t5.00\t5.00\t\t\t\t",
        "某区就业服务中心\t5.00\t5.00\t\t\t\t",
        "工作经费\t5.00\t5.00\t\t\t开展工作。\t1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。",
    ]
)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def table(path: Path, text: str = CLEAN) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process, stopped after two minutes (a hang fails, not blocks)."""
    return subprocess.run(
        [sys.executable, "-m", "budgetqa.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
    )


def api_in_child(code: str, cwd: Path) -> list[str]:
    """Run ``code`` (which prints) in a child process with a time limit; its output lines."""
    done = subprocess.run(
        [sys.executable, "-c", "import budgetqa\n" + code],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("budgetqa: error:")]


def not_audited(report: budgetqa.Report) -> dict[str, str]:
    return {failure.path: failure.error for failure in report.failures}


@pytest.fixture
def good(tmp_path):
    """A folder with two readable tables."""
    folder = tmp_path / "good"
    table(folder / "a.txt")
    table(folder / "b.txt")
    return folder


# Folders that cannot be listed -------------------------------------------------------------------


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """A folder holding a table next to a subfolder that cannot be listed.

    Where permissions apply, the subfolder is made unreadable (chmod 000). As root they do not
    apply, so listing that one folder is made to fail as it would (PermissionError).
    """
    folder = tmp_path / "tables"
    table(folder / "a.txt")
    secret = folder / "secret"
    table(secret / "hidden.txt")
    if os.geteuid() == 0:
        real_scandir = os.scandir

        def scandir(path):
            if Path(path) == secret:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
        yield folder
    else:
        secret.chmod(0)
        yield folder
        secret.chmod(0o755)


def test_api_lists_an_unreadable_subfolder_and_audits_the_rest(locked):
    report = budgetqa.audit(locked)
    assert [document.path for document in report.documents] == [str(locked / "a.txt")]
    assert not_audited(report) == {
        str(locked / "secret"): f"{locked / 'secret'}: cannot read the folder: Permission denied"
    }


def test_cli_lists_an_unreadable_subfolder_and_exits_2(locked, capsys):
    assert main(["audit", str(locked), "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert errors(captured.err) == [
        f"budgetqa: error: {locked / 'secret'}: cannot read the folder: Permission denied"
    ]
    data = json.loads(captured.out)
    assert data["summary"]["documents"] == 1
    assert data["unreadable"][0]["path"] == str(locked / "secret")


# Links -------------------------------------------------------------------------------------------


@pytest.fixture
def linked(tmp_path):
    """``tables/real/a.txt``, ``tables/link -> real`` and a cycle ``real/up -> ..``."""
    folder = tmp_path / "tables"
    table(folder / "real" / "a.txt")
    (folder / "link").symlink_to("real", target_is_directory=True)
    (folder / "real" / "up").symlink_to("..", target_is_directory=True)
    return folder


def test_api_audits_a_linked_folder_once_even_in_a_cycle(linked, tmp_path):
    outside = tmp_path / "outside"
    outside.symlink_to(linked / "real", target_is_directory=True)
    report = budgetqa.audit([linked, outside])
    # The first name in sorted order wins: link/ sorts before real/.
    assert [document.path for document in report.documents] == [str(linked / "link" / "a.txt")]
    assert report.failures == ()


def test_api_follows_a_linked_folder_named_directly(tmp_path):
    table(tmp_path / "data" / "a.txt")
    (tmp_path / "alias").symlink_to(tmp_path / "data", target_is_directory=True)
    report = budgetqa.audit(tmp_path / "alias")
    assert [document.path for document in report.documents] == [str(tmp_path / "alias/a.txt")]


def test_cli_audits_a_linked_folder_once_even_in_a_cycle(linked):
    done = cli("audit", "tables", "--format", "json", cwd=linked.parent)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [document["path"] for document in data["documents"]] == ["tables/link/a.txt"]


def test_api_lists_a_dangling_link_and_audits_the_rest(good):
    (good / "gone.txt").symlink_to("nowhere.txt")
    report = budgetqa.audit(good)
    assert len(report.documents) == 2
    assert not_audited(report) == {
        str(good / "gone.txt"): (
            f"{good / 'gone.txt'}: a dangling symbolic link (to nowhere.txt, which does not exist)"
        )
    }


def test_cli_lists_a_dangling_link_named_or_in_a_folder_and_exits_2(good):
    (good / "gone.txt").symlink_to("nowhere.txt")
    (good.parent / "named.txt").symlink_to("missing.txt")
    done = cli("audit", "good", "named.txt", "--format", "json", cwd=good.parent)
    assert done.returncode == 2
    assert errors(done.stderr) == [
        "budgetqa: error: good/gone.txt: a dangling symbolic link (to nowhere.txt, which does not exist)",
        "budgetqa: error: named.txt: a dangling symbolic link (to missing.txt, which does not exist)",
    ]
    assert json.loads(done.stdout)["summary"]["documents"] == 2


def test_a_link_loop_is_named_not_followed(tmp_path):
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    report = budgetqa.audit(tmp_path / "loop.txt")
    assert not_audited(report) == {
        str(tmp_path / "loop.txt"): f"{tmp_path / 'loop.txt'}: a symbolic link loop"
    }


# FIFOs and devices: refused by stat, never opened ------------------------------------------------


@needs_fifo
def test_cli_refuses_a_fifo_named_or_in_a_folder_without_hanging(good):
    os.mkfifo(good / "pipe.txt")
    os.mkfifo(good.parent / "named.csv")
    done = cli("audit", "good", "named.csv", "--format", "json", cwd=good.parent)
    assert done.returncode == 2
    assert errors(done.stderr) == [
        "budgetqa: error: good/pipe.txt: not a regular file (a FIFO)",
        "budgetqa: error: named.csv: not a regular file (a FIFO)",
    ]
    assert json.loads(done.stdout)["summary"]["documents"] == 2
    parsed = cli("parse", "named.csv", "good/a.txt", "--format", "json", cwd=good.parent)
    assert parsed.returncode == 2
    assert errors(parsed.stderr) == ["budgetqa: error: named.csv: not a regular file (a FIFO)"]
    assert len(json.loads(parsed.stdout)) == 1


@needs_fifo
def test_api_and_reader_refuse_a_fifo_without_hanging(good):
    os.mkfifo(good / "pipe.txt")
    lines = api_in_child(
        "report = budgetqa.audit(['good', 'good/pipe.txt'])\n"
        "print(len(report.documents))\n"
        "print(*(failure.error for failure in report.failures), sep='\\n')\n"
        "try:\n"
        "    budgetqa.read('good/pipe.txt')\n"
        "except budgetqa.InputError as error:\n"
        "    print(error)\n",
        cwd=good.parent,
    )
    assert lines == [
        "2",
        "good/pipe.txt: not a regular file (a FIFO)",  # in the folder, and named: listed once
        "good/pipe.txt: not a regular file (a FIFO)",  # read() refuses it too
    ]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_cli_refuses_dev_zero_without_reading_it(good):
    done = cli("audit", "/dev/zero", "good", "--format", "json", cwd=good.parent)
    assert done.returncode == 2
    assert errors(done.stderr) == [
        "budgetqa: error: /dev/zero: not a regular file (a character device)"
    ]
    assert json.loads(done.stdout)["summary"]["documents"] == 2


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_api_and_reader_refuse_dev_zero_without_reading_it(good):
    lines = api_in_child(
        "report = budgetqa.audit(['/dev/zero', 'good'])\n"
        "print(len(report.documents), report.failures[0].error)\n"
        "try:\n"
        "    budgetqa.read('/dev/zero')\n"
        "except budgetqa.InputError as error:\n"
        "    print(error)\n",
        cwd=good.parent,
    )
    assert lines == [
        "2 /dev/zero: not a regular file (a character device)",
        "/dev/zero: not a regular file (a character device)",
    ]


# Paths that are not there, folders without tables ------------------------------------------------


def test_api_lists_an_empty_folder_and_a_missing_path_and_audits_the_rest(good, tmp_path):
    (tmp_path / "empty").mkdir()
    report = budgetqa.audit([good, tmp_path / "empty", tmp_path / "missing.txt"])
    assert len(report.documents) == 2
    assert report.to_dict()["summary"]["unreadable"] == 2
    assert not_audited(report) == {
        str(tmp_path / "empty"): (
            f"{tmp_path / 'empty'}: no table files (.txt, .tsv, .csv, .xlsx, .xlsm, .pdf) in this folder"
        ),
        str(tmp_path / "missing.txt"): f"{tmp_path / 'missing.txt'}: no such file or folder",
    }


def test_cli_lists_an_empty_folder_among_good_ones_and_exits_2(good, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("no tables here")
    table(tmp_path / "more" / "c.txt")
    done = cli("audit", "good", "empty", "more", "--format", "json", cwd=tmp_path)
    assert done.returncode == 2
    assert errors(done.stderr) == [
        "budgetqa: error: empty: no table files (.txt, .tsv, .csv, .xlsx, .xlsm, .pdf) in this folder;"
        " 1 other file skipped"
    ]
    data = json.loads(done.stdout)
    assert [document["path"] for document in data["documents"]] == [
        "good/a.txt",
        "good/b.txt",
        "more/c.txt",
    ]
    assert data["unreadable"][0]["path"] == "empty"


def test_a_folder_named_after_it_was_walked_is_judged_by_what_it_holds(good):
    (good / "empty").mkdir()
    report = budgetqa.audit([good, good / "empty", good])
    assert len(report.documents) == 2
    assert list(not_audited(report)) == [str(good / "empty")]


# The byte limit ----------------------------------------------------------------------------------


def test_api_refuses_a_file_over_max_bytes_and_audits_the_rest(good):
    big = table(good / "big.txt", CLEAN + "\n" * 2000)
    report = budgetqa.audit(good, max_bytes=1024)
    assert len(report.documents) == 2
    size = big.stat().st_size
    assert not_audited(report) == {
        str(big): f"{big}: the file ({size} bytes) is larger than the 1 KiB limit (--max-bytes)"
    }
    assert len(budgetqa.audit(good).documents) == 3  # the default limit is far larger


def test_cli_refuses_a_file_over_max_bytes_and_exits_2(good):
    table(good / "big.txt", CLEAN + "\n" * 2000)
    done = cli("audit", "good", "--max-bytes", "1K", "--format", "json", cwd=good.parent)
    assert done.returncode == 2
    [line] = errors(done.stderr)
    assert line.startswith("budgetqa: error: good/big.txt: the file (")
    assert line.endswith(" bytes) is larger than the 1 KiB limit (--max-bytes)")
    assert json.loads(done.stdout)["summary"]["documents"] == 2
    parsed = cli("parse", "good", "--max-bytes", "1K", "--format", "json", cwd=good.parent)
    assert parsed.returncode == 2
    assert errors(parsed.stderr) == [line]


def test_cli_max_bytes_from_pyproject_and_the_option_wins(good, tmp_path):
    table(good / "big.txt", CLEAN + "\n" * 2000)
    (tmp_path / "pyproject.toml").write_text('[tool.budgetqa]\nmax-bytes = "1K"\n')
    limited = cli("audit", "good", "--format", "json", cwd=tmp_path)
    assert limited.returncode == 2
    assert json.loads(limited.stdout)["summary"]["documents"] == 2
    raised = cli("audit", "good", "--max-bytes", "1M", "--format", "json", cwd=tmp_path)
    assert raised.returncode == 0, raised.stderr
    assert json.loads(raised.stdout)["summary"]["documents"] == 3


@pytest.mark.parametrize("value", ['"1X"', "0", "1.5", "true"])
def test_bad_max_bytes_in_pyproject_names_the_file_and_key(tmp_path, value, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(f"[tool.budgetqa]\nmax-bytes = {value}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--examples"]) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith(f"budgetqa: error: {tmp_path / 'pyproject.toml'}: [tool.budgetqa]")
    assert "max-bytes must be a size in bytes" in message


@pytest.mark.parametrize("value", ["0", "1.5M", "-3", "lots"])
def test_bad_max_bytes_option_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "--examples", "--max-bytes", value])
    assert exit_info.value.code == 2
    assert "--max-bytes" in capsys.readouterr().err


def test_max_bytes_below_one_is_a_usage_error(good):
    with pytest.raises(UsageError, match="max_bytes must be at least 1"):
        budgetqa.audit(good, max_bytes=0)


@pytest.mark.parametrize(
    ("text", "size"),
    [("268435456", 2**28), ("64K", 2**16), ("64m", 2**26), ("64MiB", 2**26), ("1G", 2**30), (7, 7)],
)
def test_sizes_are_read_in_binary_units(text, size):
    assert parse_size(text) == size


def test_sizes_are_shown_in_the_largest_whole_unit():
    assert [format_size(n) for n in (DEFAULT_MAX_BYTES, 2**30, 1536, 1000, 1)] == [
        "256 MiB",
        "1 GiB",
        "1536 bytes",
        "1000 bytes",
        "1 byte",
    ]


def test_the_reader_reads_at_most_the_limit_plus_one_byte(tmp_path):
    path = table(tmp_path / "t.txt")
    size = path.stat().st_size
    assert read_capped(path, size) == path.read_bytes()
    with pytest.raises(InputError, match=r"larger than the 1 KiB limit"):
        read_capped(table(tmp_path / "big.txt", "x" * 1025), 1024)
    with reading_limit(size - 1), pytest.raises(InputError, match="larger than"):
        budgetqa.read(path)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc")
def test_the_reader_does_not_trust_the_size_stat_reports(tmp_path):
    """Files in /proc say they hold 0 bytes: the limit still holds, and the content is read."""
    assert os.stat("/proc/self/status").st_size == 0
    assert b"Name:" in read_capped(Path("/proc/self/status"), 1 << 20)
    with pytest.raises(InputError, match=r"/proc/self/status: the file is larger than the 10 "):
        read_capped(Path("/proc/self/status"), 10)


def test_audit_sets_the_limit_for_its_readers_and_worker_processes(good):
    table(good / "big.txt", CLEAN + "\n" * 2000)
    with reading_limit(10):  # a caller's own limit does not cap an audit with another
        assert len(budgetqa.audit(good, max_bytes=1 << 20).documents) == 3
        assert len(budgetqa.audit(good, max_bytes=1 << 20, jobs=2).documents) == 3


# XLSX: the file and what it unpacks to -----------------------------------------------------------


def zip_bomb(path: Path, unpacked: int) -> Path:
    """A small zip whose one part unpacks to ``unpacked`` bytes of zeros."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", bytes(unpacked))
    return path


def test_api_refuses_a_workbook_that_unpacks_beyond_the_limit(good):
    bomb = zip_bomb(good / "bomb.xlsx", 5 << 20)
    assert bomb.stat().st_size < 64 << 10
    for jobs in (1, 2):
        report = budgetqa.audit(good, max_bytes=1 << 20, jobs=jobs)
        assert len(report.documents) == 2
        assert not_audited(report) == {
            str(bomb): f"{bomb}: the workbook unpacks to 5 MiB, more than 4 times the 1 MiB"
            " limit (--max-bytes)"
        }


def test_cli_refuses_a_workbook_that_unpacks_beyond_the_limit(good):
    zip_bomb(good / "bomb.xlsm", 5 << 20)
    done = cli("audit", "good", "--max-bytes", "1M", "--format", "json", cwd=good.parent)
    assert done.returncode == 2
    assert errors(done.stderr) == [
        "budgetqa: error: good/bomb.xlsm: the workbook unpacks to 5 MiB, more than 4 times the"
        " 1 MiB limit (--max-bytes)"
    ]


def test_a_workbook_within_the_limits_passes_the_check(tmp_path):
    zip_bomb(tmp_path / "small.xlsx", 1 << 20)
    check_xlsx_size(tmp_path / "small.xlsx", 1 << 20)  # 1 MiB unpacked, within 4 x 1 MiB
    (tmp_path / "fake.xlsx").write_text("not a zip")
    check_xlsx_size(tmp_path / "fake.xlsx", 1 << 20)  # the XLSX reader says what is wrong
    with pytest.raises(InputError, match="larger than the 10 bytes limit"):
        check_xlsx_size(tmp_path / "small.xlsx", 10)


# What a folder stands for ------------------------------------------------------------------------


def test_table_files_are_chosen_by_one_list_of_suffixes_in_sorted_order(tmp_path):
    for name in ["b.TXT", "a/c.tsv", "a.csv", "d.xlsx", "e.xlsm", "Z.txt", "a/b/x.txt", "notes.md"]:
        table(tmp_path / name)
    expansion = expand_inputs([tmp_path])
    assert expansion.paths == sorted(
        path for path in tmp_path.rglob("*") if path.suffix.lower() in TABLE_SUFFIXES
    )
    assert budgetqa.api.TABLE_SUFFIXES == TABLE_SUFFIXES


def test_other_files_are_counted_not_hidden(good, capsys):
    (good / "notes.md").write_text("notes")
    (good / "scan.docx").write_bytes(b"PK")
    (good / "old.DOCX").write_bytes(b"PK")
    (good / "README").write_text("readme")
    report = budgetqa.audit(good)
    assert report.failures == ()
    expected = SkippedFiles(str(good), 4, {".docx": 2, "": 1, ".md": 1})
    assert report.skipped == (expected,)
    assert report.to_dict()["skipped"] == [
        {"folder": str(good), "files": 4, "by_suffix": {".docx": 2, "": 1, ".md": 1}}
    ]
    assert report.summary()["skipped"] == 4
    schema = json.loads(
        Path(__file__).parent.parent.joinpath("docs/report.schema.json").read_text()
    )
    pytest.importorskip("jsonschema").validate(report.to_dict(), schema)
    assert main(["audit", str(good), "--fail-on", "never"]) == 0
    captured = capsys.readouterr()
    note = f"{good}: 4 other files skipped, not table files (2 .docx, 1 (no suffix), 1 .md)"
    assert f"skipped: {note}" in captured.out.splitlines()
    assert captured.err.splitlines() == [f"budgetqa: note: {note}"]


def test_a_file_named_twice_or_by_a_hard_link_is_read_once(good):
    os.link(good / "a.txt", good / "same.txt")
    report = budgetqa.audit([good / "a.txt", good, good / "a.txt"])
    assert [document.path for document in report.documents] == [
        str(good / "a.txt"),
        str(good / "b.txt"),
    ]


def test_a_file_named_directly_is_read_whatever_its_name(tmp_path):
    report = budgetqa.audit(table(tmp_path / "table.data"))
    assert len(report.documents) == 1


def test_folders_nested_deeper_than_the_recursion_limit(tmp_path):
    # A low limit and a tree a little deeper: the walk must not recurse per folder level.
    limit = len(inspect.stack()) + 60
    deep = tmp_path
    for _ in range(limit + 10):
        deep /= "d"
        deep.mkdir()
    table(deep / "a.txt")
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        found = expand_inputs([tmp_path]).paths
    finally:
        sys.setrecursionlimit(before)
    assert found == [deep / "a.txt"]
