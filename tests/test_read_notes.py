"""What a reader cannot read as written is said, at its line: damaged bytes, a guessed
encoding, numbers too long to be amounts. Wide sums stay exact."""

from __future__ import annotations

import decimal
from decimal import Decimal

import budgetqa
from budgetqa.cli import main
from budgetqa.ingest import read_bytes
from budgetqa.model import NoteKind

HEADER = "项目名称\t总计\t财政拨款\t财政专户拨款\t其他资金\t绩效目标\t绩效指标"
INDICATOR = "1、1-产出指标；11-数量指标；人数；实施周期指标值:5；年度指标值:5。"


def table(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


CLEAN = table(
    "合计\t3.00\t3.00\t\t\t\t",
    "某区人力资源和社会保障局\t3.00\t3.00\t\t\t\t",
    f"就业服务工作经费\t3.00\t3.00\t\t\t开展就业服务工作。\t{INDICATOR}",
)


def test_a_stray_byte_in_a_utf8_file_is_read_as_utf8_and_reported(tmp_path):
    # One byte 0xFF in the goal of line 4: before, the whole file was guessed to be GB18030,
    # every Chinese character became mojibake, and the audit came back clean.
    data = CLEAN.encode("utf-8").replace(
        "开展就业".encode(), "开展".encode() + b"\xff" + "就业".encode()
    )
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    document = budgetqa.read(path)
    assert document.encoding == "utf-8"
    assert document.rows[2].name == "就业服务工作经费"  # the rest of the text reads as written
    assert document.rows[2].goal == "开展\ufffd就业服务工作。"
    [note] = document.notes
    assert (note.kind, note.span.line, note.text) == (NoteKind.UNDECODABLE_BYTES, 4, "0xff")
    report = budgetqa.audit(path)
    [finding] = report.by_code("ST107")
    assert finding.severity.value == "error"
    assert finding.location.line == 4
    assert main(["audit", str(path)]) == 1  # never reported clean


def test_a_gbk_table_reads_as_chinese_without_a_note():
    document = read_bytes(CLEAN.encode("gb18030"), name="gbk.txt")
    assert document.encoding == "gb18030"
    assert document.rows[1].name == "某区人力资源和社会保障局"
    assert document.notes == ()


def test_an_encoding_guess_on_thin_evidence_is_reported():
    english = (
        "name\ttotal\tfiscal_appropriation\tspecial_account\tother_funds\tgoal\tindicators\n"
        "\u5408\u8ba1\t3.00\t3.00\t\t\t\t\n"
    ).encode("gb18030") + b"Caf\xe9s\t3.00\t3.00\t\t\trun\t\n"
    document = read_bytes(english, name="latin.txt")
    assert document.encoding == "gb18030"
    [note] = document.notes
    assert note.kind is NoteKind.ENCODING_GUESS
    assert "GB18030" in note.detail
    report = budgetqa.audit(document)
    assert [finding.code for finding in report.by_code("ST108")] == ["ST108"]


def test_a_header_garbled_by_a_guessed_encoding_is_never_taken_for_no_table(tmp_path):
    # Latin-1 text: GB18030 decodes it, the header is unrecognisable; the error says the
    # encoding was a guess, and the file is unreadable (exit 2), never clean.
    path = tmp_path / "latin1.txt"
    path.write_bytes("Projet\tTotal\tFinancés\tnet\n".encode("latin-1") * 3)
    report = budgetqa.audit(path)
    [failure] = report.failures
    assert "GB18030, a guess" in failure.error
    assert main(["audit", str(path)]) == 2


def test_an_amount_with_too_many_digits_is_reported_and_not_summed():
    long_figure = "3" + "0" * 33 + ".00"  # 36 digits: digits run together, not a budget figure
    document = read_bytes(
        table(
            "合计\t3.00\t3.00\t\t\t\t",
            f"就业服务工作经费\t3.00\t{long_figure}\t\t\t开展工作。\t{INDICATOR}",
        ).encode(),
        name="long.txt",
    )
    assert document.rows[1].fiscal_appropriation is None
    [note] = document.notes
    assert note.kind is NoteKind.AMOUNT_OUT_OF_RANGE
    assert note.span.line == 3
    assert budgetqa.audit(document).by_code("ST109")


def test_sums_of_29_digit_amounts_are_exact_whatever_the_callers_context():
    # 28 significant digits is Python's default precision: a 29-digit sum used to round and
    # give a false AR101. 10^26 + 1 and 10^26 + 2 (27 digits each, 29 with cents).
    big1, big2 = "100000000000000000000000001.00", "100000000000000000000000002.00"
    total = str(Decimal(big1) + Decimal(big2))
    text = table(
        f"合计\t{total}\t{total}\t\t\t\t",
        f"甲项目经费\t{big1}\t{big1}\t\t\t开展工作。\t{INDICATOR}",
        f"乙项目经费\t{big2}\t{big2}\t\t\t开展工作。\t{INDICATOR}",
    )
    with decimal.localcontext() as context:
        context.prec = 10  # a caller's narrow context does not leak into the audit
        report = budgetqa.audit(read_bytes(text.encode(), name="wide.txt"))
    assert report.filter(category="arithmetic").findings == ()
    broken = text.replace(f"乙项目经费\t{big2}\t{big2}", f"乙项目经费\t{big2}\t{big1}")
    report = budgetqa.audit(read_bytes(broken.encode(), name="wide.txt"))
    assert [finding.difference for finding in report.by_code("AR101")] == ["-1.00"]
