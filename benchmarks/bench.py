"""budgetqa benchmark: throughput, memory, start-up, engines compared, detection quality.

Run with ``nox -s bench`` (or ``python benchmarks/bench.py`` where budgetqa[all] is installed).
Tables come from :mod:`budgetqa.synthetic`, the generator the tests use. Every timing runs in a
fresh child process, so peak memory is that measurement's own. Results go to
``benchmarks/results/latest.json`` and ``docs/benchmark.md``; the table is also printed.

``--quick`` runs small sizes only (a smoke test of the script, not figures to publish).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECTS_PER_FILE = 1000

# --- child-process measurements ------------------------------------------------------------------

CHILD_READ_AUDIT = r"""
import json, resource, sys, time
from pathlib import Path
import budgetqa
from budgetqa.api import resolve_rules
from budgetqa.engines import run_with_engine
from budgetqa.ingest import read

paths = sorted(Path(sys.argv[1]).iterdir())
jobs = int(sys.argv[2])
rules = resolve_rules()
result = {"files": len(paths), "bytes": sum(p.stat().st_size for p in paths)}
start = time.perf_counter()
if jobs == 1:
    read_seconds = audit_seconds = 0.0
    rows = findings = 0
    for path in paths:
        t0 = time.perf_counter()
        document = read(path)
        t1 = time.perf_counter()
        findings += len(run_with_engine(document, rules, "native"))
        t2 = time.perf_counter()
        read_seconds += t1 - t0
        audit_seconds += t2 - t1
        rows += document.stats.rows_project
        del document  # one document in memory at a time
    result.update(read_seconds=read_seconds, check_seconds=audit_seconds)
else:
    report = budgetqa.audit(paths, jobs=jobs)
    rows = sum(d.stats["rows_project"] for d in report.documents)
    findings = len(report.findings)
result["seconds"] = time.perf_counter() - start
result.update(project_rows=rows, findings=findings)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
result["peak_rss_mb"] = round(max(own, workers) / 1024, 1)
print(json.dumps(result))
"""

CHILD_ENGINES = r"""
import json, statistics, sys, time, warnings
from pathlib import Path
from budgetqa.api import resolve_rules
from budgetqa.engines import run_with_engine
from budgetqa.ingest import read

document = read(Path(sys.argv[1]))
rules = resolve_rules(select=["arithmetic", "duplicate.exact_row"])
out = {"project_rows": document.stats.rows_project, "rules": [r.code for r in rules]}
reference = None
for engine in sys.argv[2:]:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = run_with_engine(document, rules, engine)  # imports and set-up included
    warm = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            findings = run_with_engine(document, rules, engine)
        runs.append(time.perf_counter() - t0)
    key = sorted((f.code, f.location.line, f.difference) for f in findings)
    reference = key if reference is None else reference
    out[engine] = {
        "first_seconds": warm,
        "seconds": statistics.median(runs),
        "findings": len(findings),
        "same_findings_as_native": key == reference,
    }
print(json.dumps(out))
"""


CHILD_PDF = r"""
import json, sys, time
path, what = sys.argv[1], sys.argv[2]
start = time.perf_counter()
tables = 0
if what == "budgetqa":
    import budgetqa
    document = budgetqa.read(path)
    pages, tables = len(document.pages), len(document.tables)
elif what == "pypdfium2":
    # the floor: every character with its box and every page object, nothing made of them
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(path)
    pages = len(pdf)
    for page in pdf:
        text = page.get_textpage()
        for index in range(text.count_chars()):
            text.get_charbox(index, loose=True)
        for _ in page.get_objects(max_depth=8):
            pass
        text.close()
        page.close()
    pdf.close()
else:
    import pdfplumber
    with pdfplumber.open(path) as pdf:
        pages = len(pdf.pages)
        tables = sum(len(page.extract_tables()) for page in pdf.pages)
print(json.dumps({"pages": pages, "tables": tables, "seconds": time.perf_counter() - start}))
"""

PDF_FIXTURES = ROOT / "tests" / "fixtures" / "pdf"
# Files of the pinned fixtures that are no budget (the reader's refusals are tested on them).
PDF_REFUSED = frozenset({"encrypted.pdf", "scanned.pdf", "no-pages.pdf"})


def budget_pdf(folder: Path, pages: int) -> Path:
    """A budget PDF of ``pages`` pages: the pinned real budgets' pages one after another (as
    large as the largest corpus file; each budget's tables read as they do alone)."""
    import pypdfium2 as pdfium

    merged = pdfium.PdfDocument.new()
    sources = sorted(p for p in PDF_FIXTURES.glob("*.pdf") if p.name not in PDF_REFUSED)
    while len(merged) < pages:
        for source in sources:
            part = pdfium.PdfDocument(source)
            take = min(len(part), pages - len(merged))
            merged.import_pages(part, list(range(take)))
            part.close()
            if len(merged) >= pages:
                break
    path = folder / f"budget-{pages}.pdf"
    merged.save(path)
    merged.close()
    return path


def pdf_reading(pages: int, runs: int, peers: bool) -> dict:
    """Pages per second reading a budget PDF: budgetqa whole (tables, rows, page accounting),
    the floor (PDFium giving every character box and page object), and pdfplumber's tables."""
    with tempfile.TemporaryDirectory() as folder:
        path = budget_pdf(Path(folder), pages)
        out: dict = {"pages": pages}
        readers = ["budgetqa", "pypdfium2"] + (["pdfplumber"] if peers else [])
        for reader in readers:
            times = [
                child(CHILD_PDF, str(path), reader)
                for _ in range(1 if reader == "pdfplumber" else runs)
            ]
            seconds = statistics.median(t["seconds"] for t in times)
            out[reader] = {
                "seconds": round(seconds, 2),
                "pages_per_second": round(pages / seconds, 1),
                "tables": times[0]["tables"],
            }
        return out


def child(code: str, *args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- corpora -------------------------------------------------------------------------------------


def write_corpus(folder: Path, projects: int, layout: str, per_file: int, seed: int = 0) -> None:
    """``projects`` project rows in files of ``per_file`` (one department each), with defects."""
    from budgetqa.synthetic import generate_table, inject_defects, render

    folder.mkdir(parents=True, exist_ok=True)
    remaining, index = projects, 0
    while remaining > 0:
        size = min(per_file, remaining)
        table = generate_table(seed + index, projects=size)
        units = len(table.units)
        damaged = inject_defects(
            table,
            seed + index,
            row_sums=min(1, units),
            duplicates=1 if units > 1 else 0,
            placeholders=min(2, size - min(units, 2)),
        )
        suffix = ".csv" if layout == "csv" else ".txt"
        path = folder / f"{index:05d}{suffix}"
        path.write_text(render(damaged, layout).text, encoding="utf-8")
        remaining -= size
        index += 1


def make_corpus(folder: Path, projects: int, layout: str, per_file: int) -> None:
    """:func:`write_corpus` in a child process.

    Linux keeps a process's peak memory across fork and exec, so a parent grown by generating
    a large corpus would lend its peak to every measurement it starts; the parent stays small.
    """
    subprocess.run(
        [
            sys.executable, __file__, "--write-corpus", str(folder), str(projects), layout,
            str(per_file),
        ],
        check=True,
    )  # fmt: skip


def throughput(projects: int, layout: str, per_file: int, jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        make_corpus(folder, projects, layout, per_file)
        result = child(CHILD_READ_AUDIT, str(folder), str(jobs))
    seconds = result["seconds"]
    result.update(
        layout=layout,
        jobs=jobs,
        rows_per_second=round(result["project_rows"] / seconds),
        mb_per_second=round(result["bytes"] / 1e6 / seconds, 2),
    )
    return result


def cli_startup(runs: int = 7) -> dict:
    budgetqa = Path(sys.executable).with_name("budgetqa")
    commands = {
        "import budgetqa": [sys.executable, "-c", "import budgetqa"],
        "budgetqa --version": [str(budgetqa), "--version"],
        "budgetqa audit --examples": [
            str(budgetqa), "audit", "--examples", "--fail-on", "never", "--format", "json",
            "-o", os.devnull,
        ],
    }  # fmt: skip
    out = {}
    for label, command in commands.items():
        subprocess.run(command, check=True, capture_output=True)  # warm the file cache
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        out[label] = round(statistics.median(times), 3)
    return out


def engines(projects: int, engine_names: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "one"
        make_corpus(folder, projects, "tsv", projects)
        (path,) = folder.iterdir()
        return child(CHILD_ENGINES, str(path), *engine_names)


def detection(seeds: int, projects: int) -> dict:
    import budgetqa
    from budgetqa.ingest import read_bytes
    from budgetqa.synthetic import (
        TEXT_LAYOUTS,
        generate_table,
        inject_defects,
        render,
        score_detection,
    )

    totals: dict[str, list[int]] = {}
    by_layout: dict[str, dict[str, int]] = {}
    for layout in TEXT_LAYOUTS:
        counts = {"injected": 0, "found": 0, "false_alarms": 0, "clean_false_alarms": 0}
        for seed in range(seeds):
            name = "t.csv" if layout == "csv" else "t.txt"
            spec = generate_table(seed, projects=projects, units=max(8, projects // 25))
            for damaged, clean in (
                (
                    inject_defects(
                        spec, seed, row_sums=2, unit_sums=2, duplicates=2, placeholders=3,
                        split_placeholder=layout == "pdf-text",
                    ),
                    False,
                ),
                (inject_defects(spec, seed), True),
            ):  # fmt: skip
                rendered = render(damaged, layout)
                report = budgetqa.audit(read_bytes(rendered.text.encode(), name=name))
                score = score_detection(damaged, rendered, report.findings)
                for category, (found, injected) in score.by_category().items():
                    total = totals.setdefault(category, [0, 0])
                    total[0] += found
                    total[1] += injected
                counts["injected"] += len(damaged.defects)
                counts["found"] += len(score.found)
                key = "clean_false_alarms" if clean else "false_alarms"
                counts[key] += len(score.false_alarms)
        by_layout[layout] = counts
    return {
        "seeds": seeds,
        "projects_per_table": projects,
        "by_category": {k: {"found": v[0], "injected": v[1]} for k, v in totals.items()},
        "by_layout": by_layout,
    }


# --- reporting -----------------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ["budgetqa", "pandas", "pandera", "polars", "great-expectations", "regex"]:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "versions": versions,
    }


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark",
        "",
        "Figures from `nox -s bench` (`benchmarks/bench.py`), written by the script; do not edit",
        "by hand. Tables come from `budgetqa.synthetic`, the generator the tests use: realistic",
        "names, goals and 2 to 6 indicators per project (about 700 bytes per project row, as in",
        "the published tables), 1,000 projects per file (one department each) unless *files* is",
        "1, with a mistyped total, a repeated row and placeholders injected in every file.",
        "",
        f"Measured {results['date']} on {m['cpu']}, {m['cores']} cores, Python {m['python']},",
        f"{m['system']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v) + ".",
        *(
            [
                "Measured again since, alone: "
                + ", ".join(f"{k} ({v})" for k, v in sorted(results["remeasured"].items()))
                + "."
            ]
            if results.get("remeasured")
            else []
        ),
        "",
        "## Read and audit throughput",
        "",
        "All 26 shipped rules. Each line runs in a fresh process; peak memory is its resident",
        "set (the largest process when files are audited in workers).",
        "",
        "| project rows | layout | files | jobs | seconds | rows/s | MB/s | read s | checks s "
        "| peak MB |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["throughput"]:
        read = f"{r['read_seconds']:.1f}" if "read_seconds" in r else ""
        check = f"{r['check_seconds']:.1f}" if "check_seconds" in r else ""
        lines.append(
            f"| {r['project_rows']:,} | {r['layout']} | {r['files']:,} | {r['jobs']} | "
            f"{r['seconds']:.1f} | {r['rows_per_second']:,} | {r['mb_per_second']} | {read} | "
            f"{check} | {r['peak_rss_mb']} |"
        )
    lines += [
        "",
        "## Start-up",
        "",
        "Median wall time of a fresh process (for `audit`, the bundled examples: five project",
        "tables and a 25-page budget PDF).",
        "",
        "| command | seconds |",
        "| --- | ---: |",
        *(f"| `{k}` | {v} |" for k, v in results["startup"].items()),
        "",
        "## Engines on the same checks",
        "",
    ]
    e = results["engines"]
    native = e["native"]["seconds"]
    lines += [
        f"The arithmetic rules and DU101 ({', '.join(e['rules'])}) on one canonical table of "
        f"{e['project_rows']:,} project rows, in one process. *seconds*: median of three runs "
        "after a first run; *first run* includes importing the library and setting it up.",
        "",
        "| engine | seconds | first run | × native | findings | same as native |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in [key for key in e if isinstance(e[key], dict)]:
        r = e[name]
        lines.append(
            f"| {name} | {r['seconds']:.3f} | {r['first_seconds']:.2f} | "
            f"{r['seconds'] / native:.1f} | {r['findings']} | "
            f"{'yes' if r['same_findings_as_native'] else 'NO'} |"
        )
    lines += _pdf_section(results)
    d = results["detection"]
    lines += _aims(results)
    lines += [
        "",
        "## Detection quality",
        "",
        f"{d['seeds']} generated tables of {d['projects_per_table']} projects per layout, each "
        "audited twice: with 9 injected defects (2 mistyped totals, 2 projects changed without "
        "their unit, 2 repeated rows, 3 placeholders; in layout text the placeholder is split "
        "over two lines) and clean. *Found* means the right rule at a line of the right row. "
        "A false alarm is a finding no injected defect explains (the sums a defect breaks above "
        "it are explained); notes a layout makes about itself (OCR spacing, cells lost, columns "
        "left undecided) are not counted.",
        "",
        "| defect | found | injected |",
        "| --- | ---: | ---: |",
        *(f"| {k} | {v['found']} | {v['injected']} |" for k, v in sorted(d["by_category"].items())),
        "",
        "| layout | found / injected | false alarms (with defects) | false alarms (clean) |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {k} | {v['found']} / {v['injected']} | {v['false_alarms']} | "
            f"{v['clean_false_alarms']} |"
            for k, v in d["by_layout"].items()
        ),
        "",
    ]
    return "\n".join(lines)


def _pdf_section(results: dict) -> list[str]:
    pdf = results.get("pdf")
    if not pdf:
        return []
    floor = pdf["pypdfium2"]["seconds"]
    lines = [
        "",
        "## Reading budget PDFs",
        "",
        f"One budget PDF of {pdf['pages']} pages (the pinned real budgets of `tests/fixtures/pdf`"
        " one after another, as large as the largest corpus file), each reader in a fresh "
        "process; *seconds* is the median of three runs (pdfplumber: one). The floor is PDFium "
        "alone giving every character with its box and every page object, which budgetqa "
        "needs before it reads anything.",
        "",
        "| reader | what it gives | seconds | pages/s | × floor |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    gives = {
        "budgetqa": "every table: kind, columns, rows with levels, amounts; pages accounted",
        "pypdfium2": "characters with boxes, page objects (the floor)",
        "pdfplumber": "`extract_tables()` on every page: cells, no kinds or levels",
    }
    for reader in ("budgetqa", "pypdfium2", "pdfplumber"):
        if reader in pdf:
            r = pdf[reader]
            lines.append(
                f"| {reader} | {gives[reader]} | {r['seconds']:.2f} | {r['pages_per_second']} | "
                f"{r['seconds'] / floor:.1f} |"
            )
    return lines


def _aims(results: dict) -> list[str]:
    """The issue's aims beside what was measured."""
    e = results["engines"]
    million = [r for r in results["throughput"] if r["project_rows"] >= 1_000_000]
    detection = results["detection"]
    found = sum(v["found"] for v in detection["by_category"].values())
    injected = sum(v["injected"] for v in detection["by_category"].values())
    alarms = sum(
        v["false_alarms"] + v["clean_false_alarms"] for v in detection["by_layout"].values()
    )
    startup = results["startup"]["budgetqa audit --examples"]
    rows = [
        (
            "native at least 10x faster than Great Expectations on the same checks",
            f"{e['gx']['seconds'] / e['native']['seconds']:.0f}x",
            e["gx"]["seconds"] / e["native"]["seconds"] >= 10,
        ),
        (
            "CLI answers on the bundled examples (five tables, a 25-page PDF) in under a second",
            f"{startup:.2f} s",
            startup < 1,
        ),
        (
            "every injected defect found, no false alarm",
            f"{found}/{injected} found, {alarms} false alarms",
            found == injected and alarms == 0,
        ),
    ]
    pdf = results.get("pdf")
    if pdf:
        seconds = pdf["budgetqa"]["seconds"]
        rows.append(
            (
                f"a {pdf['pages']}-page budget PDF read in under 5 s",
                f"{seconds:.1f} s ({pdf['budgetqa']['pages_per_second']} pages/s)",
                seconds < 5,
            )
        )
    if million:
        seconds = million[-1]["seconds"]
        rows.insert(
            1,
            (
                "1 million project rows audited in well under a minute on 2 cores",
                f"{seconds:.0f} s ({million[-1]['jobs']} jobs)",
                seconds < 60,
            ),
        )
    out = ["", "## Aims", "", "| aim | measured | met |", "| --- | --- | --- |"]
    out += [f"| {aim} | {value} | {'yes' if met else '**no**'} |" for aim, value, met in rows]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke test)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmark.md")
    parser.add_argument(
        "--write-corpus", nargs=4, metavar=("FOLDER", "PROJECTS", "LAYOUT", "PER_FILE"),
        help=argparse.SUPPRESS,
    )  # fmt: skip
    parser.add_argument(
        "--render", type=Path, metavar="JSON", help="only write the docs page from saved results"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("pdf", "startup"),
        help="measure these sections only, into the saved results, and rewrite the docs page",
    )
    arguments = parser.parse_args()
    if arguments.write_corpus is not None:
        folder, projects, layout, per_file = arguments.write_corpus
        write_corpus(Path(folder), int(projects), layout, int(per_file))
        return
    if arguments.render is not None:
        saved = json.loads(arguments.render.read_text(encoding="utf-8"))
        arguments.docs.write_text(markdown(saved), encoding="utf-8")
        return
    quick = arguments.quick
    if arguments.only:
        saved = json.loads(arguments.out.read_text(encoding="utf-8"))
        if "pdf" in arguments.only:
            saved["pdf"] = pdf_reading(140, 3, peers=True)
        if "startup" in arguments.only:
            saved["startup"] = cli_startup()
        for section in arguments.only:
            saved.setdefault("remeasured", {})[section] = time.strftime("%Y-%m-%d")
        arguments.out.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
        arguments.docs.write_text(markdown(saved), encoding="utf-8")
        print(markdown(saved))
        return

    per_file = PROJECTS_PER_FILE
    plan = (
        [(1_000, "tsv", per_file, 1), (5_000, "tsv", per_file, 1)]
        if quick
        else [
            (1_000, "tsv", per_file, 1),
            (1_000, "tsv-ocr", per_file, 1),
            (1_000, "pdf-text", per_file, 1),
            (1_000, "csv", per_file, 1),
            (100_000, "tsv", per_file, 1),
            (100_000, "pdf-text", per_file, 1),
            (100_000, "tsv", 100_000, 1),  # one document of 100,000 projects
            (100_000, "tsv", per_file, arguments.jobs),
            (1_000_000, "tsv", per_file, arguments.jobs),
        ]
    )
    results: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "throughput": []}
    for projects, layout, size, jobs in plan:
        print(f"throughput: {projects:,} project rows, {layout}, jobs={jobs} ...", flush=True)
        results["throughput"].append(throughput(projects, layout, size, jobs))
    print("start-up ...", flush=True)
    results["startup"] = cli_startup(3 if quick else 7)
    print("PDF reading ...", flush=True)
    results["pdf"] = pdf_reading(40 if quick else 140, 1 if quick else 3, peers=not quick)
    print("engines ...", flush=True)
    results["engines"] = engines(2_000 if quick else 100_000, ["native", "pandera", "gx"])
    print("detection ...", flush=True)
    # Last: it runs in this process, and so would lend its memory to children started after it.
    results["detection"] = detection(2 if quick else 20, 100 if quick else 300)

    text = markdown(results)
    print(text)
    if not quick:
        arguments.out.parent.mkdir(parents=True, exist_ok=True)
        arguments.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        arguments.docs.write_text(text, encoding="utf-8")
        print(f"written: {arguments.out}, {arguments.docs}")


if __name__ == "__main__":
    main()
