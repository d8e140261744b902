"""Worker processes end with the run, however it ends: SIGTERM (exit 143), Ctrl-C (exit 130,
even while a worker is being forked), or the parent killed outright (the workers hold a
parent-death signal or, where there is none, notice that their parent is gone).

Each test starts a real ``budgetqa audit --jobs 2`` (or a script calling ``audit(jobs=2)``) on
hundreds of tables in its own session, waits until its workers exist, signals it, and looks
for the workers in /proc. The waits are bounds, not timings.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from budgetqa.examples import example_paths

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; Linux only"),
]

#: Bounds on waiting, generous for a loaded machine; a passing run takes a fraction of them.
START_BOUND = 60.0  # Python start-up, rule loading, forking the workers
EXIT_BOUND = 20.0  # the run's queued work would take far longer than this
GONE_BOUND = 10.0  # a worker must be gone (or a zombie) within this after the parent ends


@pytest.fixture(scope="module")
def many_tables(tmp_path_factory):
    """500 tables (100 copies of each bundled example): far more work than any bound here."""
    folder = tmp_path_factory.mktemp("many") / "tables"
    folder.mkdir()
    for copy in range(100):
        for example in example_paths():
            shutil.copyfile(example, folder / f"{copy:03d}_{example.name}")
    return folder


@pytest.fixture
def started():
    """Start processes in their own session; whatever a test leaves running is killed after."""
    processes: list[subprocess.Popen[str]] = []

    def start(arguments: list[str], cwd: Path) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, *arguments],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        # Members of the session's process group are ours (its id is not reused while it has
        # members): the parent, and its workers whether orphaned or not.
        for pid in _processes_where(group=process.pid):
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(pid, signal.SIGKILL)
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/<pid>/stat after ``pid (comm)`` (state, ppid, pgrp, ...)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or ended while we looked
        return None
    return stat.rsplit(")", 1)[1].split()  # comm may hold spaces and parentheses


def _processes_where(*, parent: int | None = None, group: int | None = None) -> set[int]:
    """Live processes with the given parent, in the given process group, from /proc."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        fields = _stat_fields(entry.name) if entry.name.isdigit() else None
        if fields is None or fields[0] in {"Z", "X"}:
            continue
        if (parent is None or int(fields[1]) == parent) and (
            group is None or int(fields[2]) == group
        ):
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for a reaper)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in {"Z", "X"}


def _ignores_sigint(pid: int) -> bool:
    """Whether the process ignores SIGINT: a worker does once its initialiser has run."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    ignored = next(line for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(int(ignored.split()[1], 16) & (1 << (signal.SIGINT - 1)))


def _wait_for_workers(
    process: subprocess.Popen[str], *, count: int = 2, ready: bool = False
) -> set[int]:
    """The run's worker pids, once ``count`` exist (and, if ``ready``, have set themselves up)."""
    deadline = time.monotonic() + START_BOUND
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        workers = _processes_where(parent=process.pid)
        if len(workers) >= count and (not ready or all(_ignores_sigint(pid) for pid in workers)):
            return workers
        time.sleep(0.02)
    pytest.fail(f"no {count} workers{' ignoring SIGINT' if ready else ''} within {START_BOUND}s")


def _still_alive_after_bound(pids: set[int]) -> set[int]:
    deadline = time.monotonic() + GONE_BOUND
    alive = {pid for pid in pids if _alive(pid)}
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = {pid for pid in alive if _alive(pid)}
    return alive


def _audit_command(*paths: Path) -> list[str]:
    return ["-m", "budgetqa.cli", "audit", "--jobs", "2", *map(str, paths)]


def _ended(process: subprocess.Popen[str], workers: set[int]) -> str:
    """Wait for the parent to end and its workers to be gone; what it wrote to stderr."""
    process.wait(timeout=EXIT_BOUND)
    assert _still_alive_after_bound(workers) == set()
    # Only now: a worker left alive would keep stderr open, and reading it would block.
    return process.communicate()[1]


def test_sigterm_stops_the_workers_and_exits_143(many_tables, started):
    process = started(_audit_command(many_tables), cwd=many_tables.parent)
    workers = _wait_for_workers(process)
    process.send_signal(signal.SIGTERM)
    errors = _ended(process, workers)
    assert process.returncode == 143
    assert errors == "budgetqa: terminated (SIGTERM)\n"


def test_ctrl_c_stops_the_workers_without_waiting_and_exits_130(many_tables, started):
    # One input never ends (a named pipe nobody writes to, as a hung network share would be):
    # a run that waited for work in progress would wait forever.
    never_ends = many_tables.parent / "never_ends.txt"
    if not never_ends.exists():
        os.mkfifo(never_ends)
    process = started(_audit_command(never_ends, many_tables), cwd=many_tables.parent)
    workers = _wait_for_workers(process, ready=True)
    os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the whole process group
    errors = _ended(process, workers)
    assert process.returncode == 130
    assert errors == "budgetqa: interrupted\n"


def test_ctrl_c_while_a_worker_is_being_forked_is_not_lost(many_tables, started):
    # Hooks that run in both processes right after each fork widen that moment to a second,
    # so the signal lands in it: in the parent a KeyboardInterrupt raised in a fork hook is
    # swallowed ("Exception ignored in ...") and the audit goes on; in the new worker it would
    # end the worker with a traceback before the worker has set its own signal handling.
    script = (
        "import os, sys, time\n"
        "from budgetqa.cli import main\n"
        "os.register_at_fork(\n"
        "    after_in_parent=lambda: time.sleep(1), after_in_child=lambda: time.sleep(1)\n"
        ")\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    process = started(
        ["-c", script, "audit", "--jobs", "2", str(many_tables)], cwd=many_tables.parent
    )
    workers = _wait_for_workers(process, count=1)
    os.killpg(process.pid, signal.SIGINT)
    errors = _ended(process, workers | _processes_where(parent=process.pid))
    assert process.returncode == 130
    assert errors == "budgetqa: interrupted\n"


def test_workers_die_with_a_parent_killed_outright(many_tables, started):
    process = started(_audit_command(many_tables), cwd=many_tables.parent)
    workers = _wait_for_workers(process)
    process.kill()  # SIGKILL: the parent runs no code of its own on the way out
    _ended(process, workers)


def test_without_a_parent_death_signal_workers_notice_their_parent_is_gone(many_tables, started):
    # As on a system without PR_SET_PDEATHSIG (macOS): the workers poll for their parent.
    script = (
        "import sys\n"
        "import budgetqa, budgetqa.api\n"
        "budgetqa.api._set_parent_death_signal = lambda: False  # as where there is no prctl\n"
        "budgetqa.audit(sys.argv[1], jobs=2)\n"
    )
    process = started(["-c", script, str(many_tables)], cwd=many_tables.parent)
    workers = _wait_for_workers(process, ready=True)
    process.kill()
    _ended(process, workers)
