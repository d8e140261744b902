"""Fuzzing the XLSX reader with damaged workbooks.

A small, valid budget workbook (shared strings, inline strings, numbers, formulas with and
without saved values, a shared formula, merged cells, a used range) has its parts damaged:
sheet XML truncated, elements deleted, duplicated or shuffled, attribute values and cell
references and types corrupted, text replaced; shared strings dropped or duplicated; styles
replaced by garbage; workbook parts and relationships removed or damaged; the used range set
to anything. Every outcome is a document with every line accounted for, which audits, or
budgetqa's ``InputError`` naming the file on one line. Nothing else.
"""

from __future__ import annotations

import contextlib
import copy
import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

import budgetqa
from budgetqa.errors import BudgetQAError, InputError
from budgetqa.rules import load_builtin_rules

pytestmark = pytest.mark.slow

RULES = load_builtin_rules()  # loaded once: every example is audited with them

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
ElementTree.register_namespace("", MAIN)
ElementTree.register_namespace("r", RELATIONSHIPS)

IND = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。"
STRINGS = [
    "某区项目支出绩效目标表",
    "项目名称",
    "总计",
    "财政拨款",
    "财政专户拨款",
    "其他资金",
    "绩效目标",
    "绩效指标",
    "合计",
    "开展就业服务工作。",
    IND,
]


def _shared(index: int) -> str:
    return f'<c r="{{ref}}" t="s"><v>{index}</v></c>'


def _sheet_xml() -> str:
    def row(number: int, cells: list[tuple[str, str]]) -> str:
        body = "".join(template.replace("{ref}", f"{column}{number}") for column, template in cells)
        return f'<row r="{number}">{body}</row>'

    def number(value: str) -> str:
        return f'<c r="{{ref}}"><v>{value}</v></c>'

    def inline(text: str) -> str:
        return f'<c r="{{ref}}" t="inlineStr"><is><t>{text}</t></is></c>'

    rows = [
        row(1, [("A", _shared(0))]),
        row(2, [(column, _shared(1 + offset)) for offset, column in enumerate("ABCDEFG")]),
        row(
            3,
            [
                ("A", _shared(8)),
                ("B", '<c r="{ref}"><f>SUM(B5:B6)</f><v>5</v></c>'),
                ("C", '<c r="{ref}"><f t="shared" ref="C3:D3" si="0">SUM(C5:C6)</f></c>'),
                ("D", '<c r="{ref}"><f t="shared" si="0"/></c>'),
            ],
        ),
        row(4, [("A", inline("某区人力资源和社会保障局")), ("B", number("5")), ("C", number("5"))]),
        row(
            5,
            [
                ("A", inline("就业服务工作经费")),
                ("B", number("3")),
                ("C", number("3")),
                ("F", _shared(9)),
                ("G", _shared(10)),
            ],
        ),
        row(
            6,
            [
                ("A", inline("职业培训经费")),
                ("B", '<c r="{ref}"><f>C6</f></c>'),
                ("C", number("2")),
                ("F", inline("开展职业培训。")),
                ("G", _shared(10)),
            ],
        ),
    ]
    return (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><dimension ref="A1:G6"/>'
        f"<sheetData>{''.join(rows)}</sheetData>"
        '<mergeCells count="1"><mergeCell ref="A1:G1"/></mergeCells></worksheet>'
    )


def _shared_strings_xml() -> str:
    items = "".join(f"<si><t>{text}</t></si>" for text in STRINGS)
    return f'<sst xmlns="{MAIN}" count="{len(STRINGS)}" uniqueCount="{len(STRINGS)}">{items}</sst>'


SHEET = "xl/worksheets/sheet1.xml"
STRINGS_PART = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
ROOT_RELS = "_rels/.rels"

PARTS: dict[str, str] = {
    CONTENT_TYPES: (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    ROOT_RELS: (
        f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="'
        f'{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    WORKBOOK: (
        f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    WORKBOOK_RELS: (
        f'<Relationships xmlns="{PACKAGE}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    SHEET: _sheet_xml(),
    STRINGS_PART: _shared_strings_xml(),
    STYLES: (
        f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts><fills count="1"><fill/>'
        '</fills><borders count="1"><border/></borders><cellXfs count="1"><xf numFmtId="0"/>'
        "</cellXfs></styleSheet>"
    ),
}

# Values that break assumptions: references past the sheet, types that are not types, numbers
# that are not numbers or not finite, indices past the shared strings, empty and huge values.
NASTY = [
    "", "0", "-1", "1", "3", "99", "1048577", "2.5", "1e300", "1e999", "-1e999", "nan", "inf",
    "abc", "ZZZZZZ0", "A0", "XFD1048576", "XFE1", "B3", "A1:G6", "G1:A6", "$B$3", "s", "n", "str",
    "inlineStr", "b", "e", "d", "q", "shared", "array", "dataTable", "1" * 40, "=SUM(B5:B6)",
    "SUM(B1:B1048576)", "C6", "B6", "-", "\u202e", "\x00", "<", "&amp;",
]  # fmt: skip


def _package(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _elements(root: ElementTree.Element) -> list[tuple[ElementTree.Element, ElementTree.Element]]:
    """Every (parent, child) pair under ``root``."""
    return [(parent, child) for parent in root.iter() for child in parent]


def mutate_tree(data: st.DataObject, text: bytes) -> bytes:
    """Delete, duplicate, move or shuffle elements, or corrupt an attribute or a text."""
    root = ElementTree.fromstring(text)
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        pairs = _elements(root)
        if not pairs:
            break
        parent, child = data.draw(st.sampled_from(pairs), label="element")
        operation = data.draw(
            st.sampled_from(["delete", "duplicate", "move", "shuffle", "attribute", "text"]),
            label="operation",
        )
        if operation == "delete":
            parent.remove(child)
        elif operation == "duplicate":
            parent.insert(list(parent).index(child), copy.deepcopy(child))
        elif operation == "move":
            target, _ = data.draw(st.sampled_from(pairs), label="new parent")
            if child is not target and not any(node is target for node in child.iter()):
                parent.remove(child)
                target.append(child)
        elif operation == "shuffle":
            children = list(child)
            order = data.draw(st.permutations(range(len(children))), label="order")
            for node in children:
                child.remove(node)
            child.extend(children[position] for position in order)
        elif operation == "attribute":
            name = data.draw(
                st.sampled_from([*child.attrib, "r", "t", "s", "si", "ref"]), label="name"
            )
            value = data.draw(st.sampled_from(NASTY) | st.text(max_size=12), label="value")
            child.set(name, value)
        else:
            child.text = data.draw(st.sampled_from(NASTY) | st.text(max_size=12), label="text")
    return ElementTree.tostring(root, encoding="utf-8")


def check_reads_or_fails_cleanly(path: Path) -> None:
    """The contract every workbook is held to."""
    failure: BudgetQAError | None = None
    try:
        document = budgetqa.read(path)
    except BudgetQAError as error:
        failure = error
    if failure is not None:
        assert isinstance(failure, InputError), repr(failure)
        message = str(failure)
        assert message.startswith(f"{path}"), message
        assert "\n" not in message, "a reader error is one line"
        return
    stats = document.stats
    assert stats.accounted == stats.lines, "a row was neither read nor explained"
    assert len(document.line_roles) == stats.lines
    report = budgetqa.audit(document, rules=RULES)
    for finding in report.findings:
        if finding.location.line is not None:
            assert 1 <= finding.location.line <= stats.lines


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "book.xlsx"


def test_the_unchanged_workbook_reads_with_its_formulas(workbook_path):
    workbook_path.write_bytes(_package({name: text.encode() for name, text in PARTS.items()}))
    document = budgetqa.read(workbook_path)
    assert [row.name for row in document.rows] == [
        "合计",
        "某区人力资源和社会保障局",
        "就业服务工作经费",
        "职业培训经费",
    ]
    assert [str(row.total) for row in document.rows] == ["5", "5", "3", "2"]
    assert [note.text for note in document.notes] == ["=SUM(C5:C6)", "=SUM(D5:D6)", "=C6"]
    check_reads_or_fails_cleanly(workbook_path)


@given(data=st.data())
def test_damaged_sheet_xml(workbook_path, data):
    parts = {name: text.encode() for name, text in PARTS.items()}
    sheet = parts[SHEET]
    how = data.draw(st.sampled_from(["elements", "truncate", "bytes", "dimension"]), label="how")
    if how == "elements":
        sheet = mutate_tree(data, sheet)
    elif how == "truncate":
        sheet = sheet[: data.draw(st.integers(0, len(sheet)), label="cut")]
    elif how == "bytes":
        at = data.draw(st.integers(0, len(sheet)), label="at")
        sheet = sheet[:at] + data.draw(st.binary(max_size=8), label="bytes") + sheet[at:]
    else:
        reference = data.draw(st.sampled_from(NASTY) | st.text(max_size=12), label="dimension")
        root = ElementTree.fromstring(sheet)
        dimension = root.find(f"{{{MAIN}}}dimension")
        assert dimension is not None
        dimension.set("ref", reference)
        sheet = ElementTree.tostring(root, encoding="utf-8")
    parts[SHEET] = sheet
    workbook_path.write_bytes(_package(parts))
    check_reads_or_fails_cleanly(workbook_path)


@given(data=st.data())
def test_damaged_package_parts(workbook_path, data):
    parts = {name: text.encode() for name, text in PARTS.items()}
    for _ in range(data.draw(st.integers(1, 2), label="changes")):
        name = data.draw(st.sampled_from(sorted(PARTS)), label="part")
        how = data.draw(st.sampled_from(["remove", "garbage", "truncate", "elements"]), label="how")
        if name not in parts:
            continue
        if how == "remove":
            del parts[name]
        elif how == "garbage":
            parts[name] = data.draw(st.binary(max_size=40), label="garbage")
        elif how == "truncate":
            parts[name] = parts[name][: data.draw(st.integers(0, len(parts[name])), label="cut")]
        else:
            with contextlib.suppress(ElementTree.ParseError):  # damaged by an earlier change
                parts[name] = mutate_tree(data, parts[name])
    workbook_path.write_bytes(_package(parts))
    check_reads_or_fails_cleanly(workbook_path)
