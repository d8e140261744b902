"""Reading an XLSX workbook: the first worksheet that holds a budget-table header.

openpyxl opens the package: the workbook part, its relationships and the shared strings. The
worksheet XML is read here, element by element, so that

- every row and cell in the file is read, whatever used range the sheet's ``<dimension>``
  declares (a stale one used to cut off the last row or column without a word);
- a damaged sheet — a number cell that is not a number, a cell reference that is not a cell or
  stands out of order, a shared-string index past the table, XML cut off — is an
  :class:`~budgetqa.errors.InputError` reading ``path: sheet 'S': row N: reason``, never a crash
  and never a row silently left out;
- a formula saved without its value reaches the grid as its formula text (``=SUM(B3:B5)``),
  which :mod:`budgetqa.ingest.grid` computes (simple forms) or reports.

Numbers are read as a spreadsheet holds them: an integer as written, anything else as the
binary double Excel keeps, turned into a decimal through its shortest representation
(``0.1`` → ``Decimal("0.1")``). Dates are not interpreted: a cell keeps the number it stores.
"""

from __future__ import annotations

import warnings
import xml.parsers.expat
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
import regex

from budgetqa.errors import BinaryInputError, BudgetQAError, InputError, NotABudgetTableError
from budgetqa.ingest.formula import MAX_COLUMNS, MAX_ROWS, cell_name, parse_cell_reference
from budgetqa.ingest.grid import GridRow, read_grid
from budgetqa.inputs import check_xlsx_size
from budgetqa.model import Document

if TYPE_CHECKING:
    from budgetqa.profiles import Profiles

__all__ = ["MAX_GRID_CELLS", "read_xlsx"]

#: The most cells one worksheet's grid may hold, counting the blank cells left of each row's
#: last filled one and one per row: about 160 MB of cell references. A real budget table has
#: a few hundred thousand; a sheet past this is refused with a located error rather than read
#: until memory runs out.
MAX_GRID_CELLS = 20_000_000

# An OLE compound file: an encrypted workbook (Excel wraps those in OLE) or a legacy .xls.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_xlsx(path: Path, profiles: Profiles | Iterable[str | Path] | None = None) -> Document:
    """Read an XLSX workbook: the first worksheet holding a project table's header, or the
    standard tables of a budget, a worksheet each or several on one (each worksheet is then a
    page of the document; see :mod:`budgetqa.ingest.cell_tables`).

    Line numbers are the worksheet's row numbers. A workbook with several worksheets names
    the one read in the document's path (``book.xlsx[Sheet1]``) when one project table is read
    from it; a workbook whose worksheets hold several tables is read whole.

    Raises:
        BinaryInputError: the file is not an XLSX workbook openpyxl can open (not a zip, an
            encrypted or legacy ``.xls`` file, a workbook part missing or invalid).
        InputError: a worksheet is damaged: ``path: sheet 'S': row N: reason``.
        NotABudgetTableError: no worksheet holds a budget-table header.
    """
    check_xlsx_size(path)  # a regular file within the byte limit, also unpacked (no zip bomb)
    workbook = _open_workbook(path)
    try:
        sheets = [sheet for sheet in workbook.sheets if sheet.worksheet]
        read = [(sheet, _read_sheet(path, workbook, sheet)) for sheet in sheets]
    finally:
        workbook.close()
    filled = [(sheet, rows) for sheet, rows in read if any(not row.blank for row in rows)]
    whole: Document | None = None
    if len(filled) > 1:
        whole = _standard_tables(path, filled, profiles)
        if whole is not None and len(whole.tables) > 1:
            return whole  # a budget's tables, a worksheet each
    last_error: NotABudgetTableError | None = None
    for sheet, rows in read:
        try:
            return read_grid(
                path=f"{path}" if len(sheets) == 1 else f"{path}[{sheet.name}]",
                rows=rows,
                total_lines=len(rows),
                layout="xlsx",
                encoding=None,
                exact_positions=True,
            )
        except NotABudgetTableError as error:
            last_error = error
    if whole is None and filled:
        whole = _standard_tables(path, filled, profiles)
    if whole is not None and whole.tables:
        return whole
    raise last_error or NotABudgetTableError("the workbook has no worksheet", path=str(path))


def _standard_tables(
    path: Path,
    sheets: Sequence[tuple[_Sheet, Sequence[GridRow]]],
    profiles: Profiles | Iterable[str | Path] | None,
) -> Document | None:
    from budgetqa.ingest.cell_tables import Sheet, read_cell_tables
    from budgetqa.profiles import resolve_profiles

    rows = sheets[0][1]
    return read_cell_tables(
        str(path),
        [Sheet(page, sheet.name, tuple(rows)) for page, (sheet, rows) in enumerate(sheets, 1)],
        layout="xlsx",
        encoding=None,
        total_lines=len(rows),
        source_lines=["\t".join(row.cells).rstrip("\t") for row in rows],
        profiles=resolve_profiles(profiles),
    )


def _cell_text(value: object) -> str:
    """A spreadsheet or DataFrame cell as text; floats go through ``repr`` to stay exact."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: a blank cell in pandas
            return ""
        return format(Decimal(repr(value)), "f")
    return str(value)


# --- the package -------------------------------------------------------------------------------


@attrs.frozen
class _Sheet:
    """A sheet the workbook lists: its name, its part in the zip, whether it is a worksheet."""

    name: str
    part: str
    worksheet: bool


@attrs.frozen
class _Workbook:
    archive: Any  # zipfile.ZipFile, opened by openpyxl
    stream: IO[bytes]
    shared_strings: Sequence[str]
    sheets: list[_Sheet]

    def close(self) -> None:
        self.archive.close()
        self.stream.close()


def _open_workbook(path: Path) -> _Workbook:
    """Open the package and list its sheets; every failure is a located input error."""
    try:
        from openpyxl.reader.excel import ExcelReader
    except ImportError as error:  # pragma: no cover - openpyxl is a core dependency
        from budgetqa.errors import UsageError

        raise UsageError("reading XLSX needs openpyxl: pip install openpyxl") from error
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except OSError as error:
        raise InputError(f"cannot open the file ({_describe(error)})", path=str(path)) from None
    try:
        if stream.read(len(_OLE_MAGIC)) == _OLE_MAGIC:
            raise BinaryInputError(
                "an encrypted workbook or a legacy .xls file (an OLE compound file), not an "
                "XLSX workbook; save it unencrypted as .xlsx",
                path=str(path),
            )
        stream.seek(0)
        # openpyxl warns about parts it drops (extensions, invalid sheet entries); none of
        # them hold cell values, and a warning must not stop a run that treats them as errors.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = ExcelReader(stream, read_only=True, data_only=True, keep_links=False)
            try:
                # Only the parts that hold what is read: styles, themes and properties are not
                # (dates are not interpreted), so a damaged styles part does not stop the read.
                reader.read_manifest()
                reader.read_strings()
                reader.read_workbook()
                sheets = [
                    _Sheet(
                        name=str(sheet.name),
                        part=str(relation.target),
                        worksheet=str(relation.Type).endswith("/worksheet"),
                    )
                    for sheet, relation in reader.parser.find_sheets()
                ]
                shared = [str(text) for text in reader.shared_strings]
            except BaseException:
                reader.archive.close()
                raise
    except BudgetQAError:
        stream.close()
        raise
    except MemoryError:
        stream.close()
        raise
    except Exception as error:
        stream.close()
        raise BinaryInputError(
            f"not a readable XLSX workbook ({_describe(error)})", path=str(path)
        ) from None
    workbook = _Workbook(reader.archive, stream, shared, sheets)
    present = set(reader.valid_files)
    for sheet in sheets:
        if sheet.worksheet and sheet.part not in present:
            workbook.close()
            raise InputError(
                f"sheet {_quote(sheet.name)}: the workbook lists this sheet, but its part "
                f"{sheet.part} is missing from the file",
                path=str(path),
            )
    return workbook


def _quote(name: str) -> str:
    """A sheet name for a one-line message: quoted, control characters escaped, shortened."""
    shown = name if len(name) <= 60 else name[:59] + "…"
    return repr(shown)


_SPACE = regex.compile(r"\s+")


def _describe(error: BaseException, *, causes: int = 1) -> str:
    """An exception as one short line: its kind and its words (openpyxl's may span lines),
    and what caused it."""
    text = _SPACE.sub(" ", str(error)).strip()
    if len(text) > 160:
        text = text[:159] + "…"
    described = f"{type(error).__name__}: {text}" if text else type(error).__name__
    if error.__cause__ is not None and causes > 0:
        described += f"; {_describe(error.__cause__, causes=causes - 1)}"
    return described


# --- the worksheet -----------------------------------------------------------------------------


class _SheetDamage(Exception):
    """The worksheet XML breaks a rule every valid worksheet keeps; ``row`` where it is known."""

    def __init__(self, reason: str, *, row: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row


def _read_sheet(path: Path, workbook: _Workbook, sheet: _Sheet) -> list[GridRow]:
    """Every row of the sheet, numbered as in the sheet, blank rows included."""
    reader = _SheetReader(workbook.shared_strings)
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.data
    parser.StartDoctypeDeclHandler = reader.doctype
    try:
        with workbook.archive.open(sheet.part) as stream:
            while chunk := stream.read(1 << 16):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
        reader.finish()
    except BudgetQAError:
        raise
    except MemoryError:
        raise
    except _SheetDamage as damage:
        where = reader.where() if damage.row is None else f"row {damage.row}: "
        raise InputError(
            f"sheet {_quote(sheet.name)}: {where}{damage.reason}", path=str(path)
        ) from None
    except xml.parsers.expat.ExpatError as error:
        raise InputError(
            f"sheet {_quote(sheet.name)}: {reader.where()}the sheet's XML is cut off or damaged"
            f" ({_describe(error)})",
            path=str(path),
        ) from None
    except Exception as error:
        raise InputError(
            f"sheet {_quote(sheet.name)}: {reader.where()}the sheet cannot be read"
            f" ({_describe(error)})",
            path=str(path),
        ) from None
    return reader.rows


_SPREADSHEET_NAMESPACES = frozenset(
    {
        "",
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",  # Strict Open XML
    }
)
_CELL_TYPES = frozenset({"n", "s", "str", "inlineStr", "b", "e", "d"})
_ROW_NUMBER = regex.compile(r"^[0-9]{1,7}$")
_NUMBER = regex.compile(
    r"^\s*+[-+]?(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][-+]?[0-9]++)?+\s*+$"
)
_INTEGER = regex.compile(r"^\s*+[-+]?[0-9]++\s*+$")
_BOOLEANS = {"0": "FALSE", "1": "TRUE", "false": "FALSE", "true": "TRUE"}


@attrs.define
class _Cell:
    """A cell being read: where it is, its type, and the text of its parts."""

    row: int
    column: int
    kind: str
    value: list[str] | None = None
    inline: list[str] | None = None
    formula: list[str] | None = None
    formula_kind: str = ""
    formula_group: str | None = None

    @property
    def name(self) -> str:
        return cell_name(self.row, self.column)


class _SheetReader:
    """Expat handlers building the grid of one worksheet as its XML streams past.

    Only elements of the spreadsheet namespaces count; elements of others (extensions) are
    passed over. Rows must stand in ``sheetData`` in increasing order, and cells in their row
    in increasing column order, as Excel writes them and requires them.
    """

    def __init__(self, shared_strings: Sequence[str]) -> None:
        self.rows: list[GridRow] = []
        self._shared = shared_strings
        self._stack: list[str] = []
        self._row = 0  # number of the row being read, or of the last one read
        self._in_row = False
        self._row_cells: list[tuple[int, str]] = []
        self._column = -1  # column of the last cell read in this row
        self._cell: _Cell | None = None
        self._cell_depth = 0
        self._collecting: list[str] | None = None
        self._shared_formulas: dict[str, tuple[str, str]] = {}
        self._grid_cells = 0

    def where(self) -> str:
        """Where the reading stands, for a message: ``row N: ``, or nothing before row 1."""
        if self._in_row:
            return f"row {self._row}: "
        if self._row:
            return f"after row {self._row}: "
        return ""

    def doctype(self, *_: object) -> None:
        # A worksheet never declares a document type; one that does could define entities.
        raise _SheetDamage("the sheet's XML declares a document type, which a worksheet never has")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if namespace not in _SPREADSHEET_NAMESPACES:
            local = "#other"
        parent = self._stack[-1] if self._stack else ""
        self._stack.append(local)
        if local == "row":
            self._start_row(parent, attributes)
        elif local == "c" and parent in {"row", "sheetData"}:
            if parent == "sheetData":
                raise _SheetDamage("a cell stands outside any row")
            self._start_cell(attributes)
        elif self._cell is not None:
            self._start_cell_part(local, parent, attributes)

    def _start_row(self, parent: str, attributes: dict[str, str]) -> None:
        if parent != "sheetData":
            raise _SheetDamage("a row stands outside the sheet's data")
        given = attributes.get("r")
        if given is None:
            number = self._row + 1
        elif _ROW_NUMBER.match(given) is None:
            raise _SheetDamage(f"a row numbered {given[:20]!r}, which is not a row number")
        else:
            number = int(given)
        if not 1 <= number <= MAX_ROWS:
            raise _SheetDamage(f"row {number} is outside a worksheet (rows 1 to {MAX_ROWS:,})")
        if number == self._row:
            raise _SheetDamage("the row appears twice", row=number)
        if number < self._row:
            raise _SheetDamage(
                f"the row comes after row {self._row}: rows out of order", row=number
            )
        # Rows the file leaves out are blank rows: keep the grid dense, row N at index N - 1.
        self._spend(number - 1 - len(self.rows))
        for missing in range(len(self.rows) + 1, number):
            self.rows.append(GridRow(missing, missing, ()))
        self._row = number
        self._in_row = True
        self._row_cells = []
        self._column = -1

    def _start_cell(self, attributes: dict[str, str]) -> None:
        reference = attributes.get("r")
        if reference is None:
            row, column = self._row, self._column + 1
        else:
            parsed = parse_cell_reference(reference)
            if parsed is None:
                raise _SheetDamage(
                    f"cell reference {reference[:20]!r} is not a cell of a worksheet"
                    f" (columns A to XFD, rows 1 to {MAX_ROWS:,})"
                )
            row, column = parsed
            if row != self._row:
                raise _SheetDamage(f"cell {reference} stands in row {self._row}")
        if column >= MAX_COLUMNS:
            raise _SheetDamage("a cell stands past the last column of a worksheet (XFD)")
        if column <= self._column:
            if column == self._column:
                raise _SheetDamage(f"cell {cell_name(row, column)} appears twice")
            raise _SheetDamage(
                f"cell {cell_name(row, column)} comes after {cell_name(row, self._column)}:"
                " cells out of order"
            )
        kind = attributes.get("t", "n")
        if kind not in _CELL_TYPES:
            raise _SheetDamage(
                f"cell {cell_name(row, column)} has the type {kind[:20]!r}, which is not a cell"
                " type"
            )
        self._column = column
        self._cell = _Cell(row, column, kind)
        self._cell_depth = len(self._stack)

    def _start_cell_part(self, local: str, parent: str, attributes: dict[str, str]) -> None:
        cell = self._cell
        assert cell is not None
        if parent == "c" and len(self._stack) == self._cell_depth + 1:
            if local == "v":
                cell.value = []
                self._collecting = cell.value
            elif local == "f":
                cell.formula = []
                cell.formula_kind = attributes.get("t", "normal")
                cell.formula_group = attributes.get("si")
                if cell.formula_kind == "dataTable":
                    cell.formula.append(
                        f"TABLE({attributes.get('r1', '')},{attributes.get('r2', '')})"
                    )
                else:
                    self._collecting = cell.formula
            elif local == "is":
                cell.inline = []
        elif local == "t" and parent in {"is", "r"} and cell.inline is not None:
            # Text of an inline string and of its rich-text runs; phonetic runs (rPh) are not
            # the cell's text.
            self._collecting = cell.inline

    def data(self, text: str) -> None:
        if self._collecting is not None:
            self._collecting.append(text)

    def end(self, name: str) -> None:
        local = self._stack.pop()
        if local in {"v", "f", "t"}:
            self._collecting = None
        elif local == "c" and self._cell is not None and len(self._stack) + 1 == self._cell_depth:
            self._finish_cell(self._cell)
            self._cell = None
        elif local == "row" and self._in_row and self._stack and self._stack[-1] == "sheetData":
            self._finish_row()

    def _finish_cell(self, cell: _Cell) -> None:
        text = self._cell_value(cell)
        if cell.formula is not None:
            formula = self._formula_text(cell, translate=text is None)
            if text is None:
                text = "=" + formula
        if text:
            self._row_cells.append((cell.column, text))

    def _cell_value(self, cell: _Cell) -> str | None:
        """The cell's value as text, as openpyxl would give it; ``None`` when it has none."""
        if cell.kind == "inlineStr" and cell.inline is not None:
            return "".join(cell.inline)
        raw = None if cell.value is None else "".join(cell.value)
        if raw is None or not raw.strip():
            return None
        if cell.kind == "n":
            return _number_text(raw, cell.name)
        if cell.kind == "s":
            return self._shared_string(raw, cell.name)
        if cell.kind == "b":
            flag = _BOOLEANS.get(raw.strip().lower())
            if flag is None:
                raise _SheetDamage(
                    f"cell {cell.name} holds {raw[:20]!r}, which is not TRUE or FALSE"
                )
            return flag
        return raw  # str (a formula's text result), e (#DIV/0!), d (an ISO date), inlineStr

    def _shared_string(self, raw: str, name: str) -> str:
        index = raw.strip()
        if not index.isascii() or not index.isdigit():
            raise _SheetDamage(f"cell {name} refers to shared string {raw[:20]!r}, not a number")
        if int(index) >= len(self._shared):
            raise _SheetDamage(
                f"cell {name} refers to shared string {int(index)}, but the workbook's table of"
                f" shared strings has {len(self._shared)} (numbered from 0)"
            )
        return self._shared[int(index)]

    def _formula_text(self, cell: _Cell, *, translate: bool) -> str:
        """The cell's formula; a shared one translated to this cell when ``translate``.

        The first cell of a shared formula holds its text and every cell of the group refers
        to it, so it is remembered whether or not its own value was saved.
        """
        assert cell.formula is not None
        text = "".join(cell.formula)
        if cell.formula_kind != "shared" or cell.formula_group is None:
            return text
        if text.strip():
            self._shared_formulas[cell.formula_group] = (text, cell.name)
            return text
        if not translate:
            return text
        master = self._shared_formulas.get(cell.formula_group)
        if master is None:
            raise _SheetDamage(
                f"cell {cell.name} shares formula {cell.formula_group[:20]!r}, which no cell"
                " before it defines"
            )
        from openpyxl.formula.translate import Translator

        try:
            translated = Translator("=" + master[0], origin=master[1]).translate_formula(cell.name)
        except Exception as error:
            raise _SheetDamage(
                f"cell {cell.name}: the shared formula of {master[1]} cannot be moved to it"
                f" ({_describe(error)})"
            ) from None
        return str(translated).removeprefix("=")

    def _finish_row(self) -> None:
        width = self._row_cells[-1][0] + 1 if self._row_cells else 0
        self._spend(max(width, 1))
        cells = [""] * width
        for column, text in self._row_cells:
            cells[column] = text
        self.rows.append(GridRow(self._row, self._row, tuple(cells)))
        self._in_row = False
        self._row_cells = []

    def _spend(self, cells: int) -> None:
        self._grid_cells += cells
        if self._grid_cells > MAX_GRID_CELLS:
            raise _SheetDamage(
                f"the sheet holds more than {MAX_GRID_CELLS:,} cells (counting the blank ones"
                " before each row's last filled cell); budgetqa reads sheets up to that size"
            )

    def finish(self) -> None:
        """Check the end of the XML: nothing may be left open."""
        if self._in_row:
            raise _SheetDamage("the sheet's XML ends inside this row")


def _number_text(raw: str, name: str) -> str:
    """A number cell's value as decimal text, the way a spreadsheet holds it.

    An integer stays exact; any other number is a binary double in every spreadsheet, and its
    shortest representation is the decimal it stands for.
    """
    if _NUMBER.match(raw) is None:
        raise _SheetDamage(f"cell {name} holds {raw.strip()[:20]!r}, which is not a number")
    if _INTEGER.match(raw) is not None:
        return format(Decimal(raw.strip()), "f")
    number = float(raw)
    if number in {float("inf"), float("-inf")}:
        raise _SheetDamage(
            f"cell {name} holds {raw.strip()[:20]!r}, beyond the range of a spreadsheet number"
        )
    return format(Decimal(repr(number)), "f")
