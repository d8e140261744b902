"""What a PDF page holds, as geometry: every character with its box, every ruling line.

This is the only module that talks to the PDF library (pypdfium2, imported on first use, so
``import budgetqa`` stays fast). Coordinates are PDF points with the origin at the page's top
left and ``y`` growing downwards, as a reader looks at the page. Everything above this module
(text lines, grids, tables) works on :class:`PageGeometry` alone and can be tested with pages
built by hand.

Why pypdfium2: on the largest corpus file (262 pages) it gives every character with its box and
every path segment in about a second on one core, while pdfplumber's table extraction takes tens
of seconds for the same pages (``docs/pdf.md`` has the measurements).
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from budgetqa.errors import InputError

if TYPE_CHECKING:
    import pypdfium2

__all__ = [
    "Glyph",
    "PageGeometry",
    "PdfError",
    "Ruling",
    "open_pdf",
    "page_geometry",
    "read_pages",
]

#: A path whose extent across its direction is at most this (points) is a line, not a box.
RULE_THICKNESS = 2.5
#: Rulings shorter than this (points) are glyph strokes or tick marks, not table lines.
MIN_RULE_LENGTH = 4.0
# Characters that carry no ink: the text layer's own line breaks and spaces.
_INVISIBLE = frozenset({"\r", "\n", "\x00", "\ufffe", "\uffff"})


class PdfError(InputError):
    """The PDF cannot be opened or read: damaged, encrypted, or without pages."""


@attrs.frozen(slots=True)
class Glyph:
    """One character of a page's text layer with its box (top-left origin, points).

    ``x0``/``x1``/``top``/``bottom`` are the loose box (the font's full height, so a comma and a
    digit of one line share top and bottom); ``baseline`` is where the character sits.
    """

    char: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float

    @property
    def center_x(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def center_y(self) -> float:
        return (self.top + self.bottom) / 2


@attrs.frozen(slots=True)
class Ruling:
    """A straight table line: horizontal (``position`` is its y) or vertical (its x)."""

    horizontal: bool
    position: float
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


@attrs.frozen
class PageGeometry:
    """One page: its size, characters, ruling lines and how many images it shows."""

    number: int
    width: float
    height: float
    glyphs: tuple[Glyph, ...]
    rulings: tuple[Ruling, ...]
    images: int = 0

    @property
    def has_text(self) -> bool:
        """True when the page has a text layer with at least one visible character."""
        return any(not glyph.char.isspace() for glyph in self.glyphs)


def _pdfium() -> Any:  # noqa: ANN401 - the ctypes bindings are untyped
    import pypdfium2

    return pypdfium2


def _raw() -> Any:  # noqa: ANN401 - the ctypes bindings are untyped
    import pypdfium2.raw

    return pypdfium2.raw


def open_pdf(path: str | Path, data: bytes | None = None) -> pypdfium2.PdfDocument:
    """Open a PDF, or raise :class:`PdfError` saying in one line why it cannot be read.

    ``data`` is the file's bytes when the caller already read them (bounded by the input
    size limit); otherwise the file is read here.
    """
    pdfium = _pdfium()
    raw = _raw()
    name = str(path)
    if data is None:
        data = Path(path).read_bytes()
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise PdfError("not a PDF: the file does not start with %PDF", path=name)
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        code = getattr(error, "err_code", None)
        if code in (raw.FPDF_ERR_PASSWORD, raw.FPDF_ERR_SECURITY):
            reason = "the PDF is encrypted (a password is needed to read it)"
        elif code == raw.FPDF_ERR_FORMAT:
            reason = "the PDF is damaged or cut off (its structure cannot be read)"
        else:
            reason = f"the PDF cannot be opened ({error})"
        raise PdfError(reason, path=name) from None
    if len(document) == 0:
        document.close()
        raise PdfError("the PDF has no pages", path=name)
    return document


def read_pages(path: str | Path, data: bytes | None = None) -> Iterator[PageGeometry]:
    """Every page of the PDF at ``path``, one at a time (the document closes at the end)."""
    document = open_pdf(path, data)
    try:
        for index in range(len(document)):
            try:
                page = document[index]
            except _pdfium().PdfiumError as error:
                msg = f"page {index + 1} cannot be read ({error})"
                raise PdfError(msg, path=str(path)) from None
            try:
                yield page_geometry(page, index + 1)
            finally:
                page.close()
    finally:
        document.close()


def page_geometry(page: pypdfium2.PdfPage, number: int) -> PageGeometry:
    """The characters, rulings and image count of one open page."""
    width, height = page.get_size()
    glyphs = _glyphs(page, height)
    rulings: list[Ruling] = []
    images = 0
    raw = _raw()
    for handle, matrix in _page_objects(page):
        kind = raw.FPDFPageObj_GetType(handle)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            rulings.extend(_path_rulings(handle, matrix, height))
        elif kind == raw.FPDF_PAGEOBJ_IMAGE:
            images += 1
    return PageGeometry(
        number=number,
        width=width,
        height=height,
        glyphs=tuple(glyphs),
        rulings=_merge_rulings(rulings),
        images=images,
    )


def _glyphs(page: pypdfium2.PdfPage, height: float) -> list[Glyph]:
    raw = _raw()
    textpage = page.get_textpage()
    try:
        count = raw.FPDFText_CountChars(textpage)
        box = raw.FS_RECTF()
        origin_x = ctypes.c_double()
        origin_y = ctypes.c_double()
        glyphs: list[Glyph] = []
        for index in range(count):
            code = raw.FPDFText_GetUnicode(textpage, index)
            if code == 0 or raw.FPDFText_IsGenerated(textpage, index) == 1:
                continue  # text the library made up (line breaks), not printed on the page
            char = chr(code) if code < 0x110000 else "\ufffd"
            if char in _INVISIBLE:
                continue
            if not raw.FPDFText_GetLooseCharBox(textpage, index, box):
                continue
            raw.FPDFText_GetCharOrigin(textpage, index, origin_x, origin_y)
            glyphs.append(
                Glyph(
                    char=char,
                    x0=box.left,
                    x1=box.right,
                    top=height - box.top,
                    bottom=height - box.bottom,
                    baseline=height - origin_y.value,
                    size=raw.FPDFText_GetFontSize(textpage, index),
                )
            )
        return glyphs
    finally:
        textpage.close()


_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
# Forms nest forms; deeper than this is no table we can read and bounds the walk.
_MAX_FORM_DEPTH = 8


def _multiply(inner: _Matrix, outer: _Matrix) -> _Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _object_matrix(handle: Any) -> _Matrix:  # noqa: ANN401 - a ctypes handle
    raw = _raw()
    matrix = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(handle, matrix):
        return _IDENTITY
    return (matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f)


def _page_objects(page: pypdfium2.PdfPage) -> Iterator[tuple[Any, _Matrix]]:
    """Every page object with the matrix that takes its own coordinates to the page's.

    A path's segments are in the path's own space (its matrix applies); objects inside a form
    XObject also take the form's matrix.
    """
    raw = _raw()
    stack: list[tuple[Any, _Matrix, int]] = [
        (raw.FPDFPage_GetObject(page, index), _IDENTITY, 0)
        for index in reversed(range(raw.FPDFPage_CountObjects(page)))
    ]
    while stack:
        handle, outer, depth = stack.pop()
        if not handle:
            continue
        if raw.FPDFPageObj_GetType(handle) == raw.FPDF_PAGEOBJ_FORM:
            if depth >= _MAX_FORM_DEPTH:
                continue
            inner = _multiply(_object_matrix(handle), outer)
            stack.extend(
                (raw.FPDFFormObj_GetObject(handle, index), inner, depth + 1)
                for index in reversed(range(raw.FPDFFormObj_CountObjects(handle)))
            )
            continue
        yield handle, outer


def _path_rulings(handle: Any, outer: _Matrix, height: float) -> list[Ruling]:  # noqa: ANN401 - a ctypes handle
    """The horizontal and vertical straight pieces of one path object, in page coordinates.

    Tables draw their lines as stroked segments, stroked rectangles (each side a line) or thin
    filled rectangles; all three come out as rulings. A thin filled rectangle gives two
    rulings a hair apart, which :func:`_merge_rulings` folds into one.
    """
    raw = _raw()
    matrix = _multiply(_object_matrix(handle), outer)
    count = raw.FPDFPath_CountSegments(handle)
    if count <= 0 or count > 100_000:
        return []
    x = ctypes.c_float()
    y = ctypes.c_float()
    rulings: list[Ruling] = []
    start: tuple[float, float] | None = None
    previous: tuple[float, float] | None = None
    for index in range(count):
        segment = raw.FPDFPath_GetPathSegment(handle, index)
        if not segment or not raw.FPDFPathSegment_GetPoint(segment, x, y):
            continue
        a, b, c, d, e, f = matrix
        point = (x.value * a + y.value * c + e, height - (x.value * b + y.value * d + f))
        kind = raw.FPDFPathSegment_GetType(segment)
        if kind == raw.FPDF_SEGMENT_MOVETO or previous is None:
            start = point
        elif kind == raw.FPDF_SEGMENT_LINETO:
            _add_ruling(rulings, previous, point)
        else:  # a curve: not a table line; keep going from its end point
            pass
        if raw.FPDFPathSegment_GetClose(segment) and start is not None:
            _add_ruling(rulings, point, start)
        previous = point
    return rulings


def _add_ruling(
    rulings: list[Ruling], one: tuple[float, float], other: tuple[float, float]
) -> None:
    (x0, y0), (x1, y1) = one, other
    if not all(math.isfinite(value) for value in (x0, y0, x1, y1)):
        return
    if abs(y1 - y0) <= RULE_THICKNESS and abs(x1 - x0) >= MIN_RULE_LENGTH:
        rulings.append(Ruling(True, (y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x1 - x0) <= RULE_THICKNESS and abs(y1 - y0) >= MIN_RULE_LENGTH:
        rulings.append(Ruling(False, (x0 + x1) / 2, min(y0, y1), max(y0, y1)))


def _merge_rulings(rulings: list[Ruling]) -> tuple[Ruling, ...]:
    """Fold rulings that are one drawn line: same direction, within the line thickness, and
    touching or overlapping along it (a thin filled rectangle's two sides; a line drawn in
    pieces, cell by cell)."""
    merged: list[Ruling] = []
    for horizontal in (True, False):
        ordered = sorted(
            (ruling for ruling in rulings if ruling.horizontal is horizontal),
            key=lambda ruling: (round(ruling.position), ruling.start),
        )
        lines: list[list[Ruling]] = []
        for ruling in ordered:
            for line in lines[-8:]:
                last = line[-1]
                if (
                    abs(last.position - ruling.position) <= RULE_THICKNESS
                    and ruling.start <= last.end + RULE_THICKNESS
                ):
                    line.append(
                        Ruling(
                            horizontal,
                            (last.position + ruling.position) / 2,
                            min(last.start, ruling.start),
                            max(last.end, ruling.end),
                        )
                    )
                    line.pop(-2)
                    break
            else:
                lines.append([ruling])
        merged.extend(line[-1] for line in lines)
    return tuple(merged)
