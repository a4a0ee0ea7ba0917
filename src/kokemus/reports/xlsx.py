"""A minimal streaming XLSX (SpreadsheetML) writer for the exports.

openpyxl's write-only mode builds an XML element per cell and writes ~2–5k rows/s of the
answers export; this writer formats each row as one string straight into the zip entry
(constant memory, ~10× faster). It writes only what the exports need: one or more sheets
of plain values – integers, floats, booleans, inline strings (always text, never a
formula), dates (``yyyy-mm-dd``) and naive datetimes (``yyyy-mm-dd h:mm:ss``, serial
numbers as openpyxl computes them) – so a workbook reads back with openpyxl exactly as the
openpyxl-written one did.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable
from xml.sax.saxutils import escape

from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import to_excel

# Characters XML 1.0 does not allow (openpyxl refuses them); they are dropped.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
STYLE_DATE, STYLE_DATETIME = 1, 2

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
               'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets>{sheets}</sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '{sheets}<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')
_SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetData>')
_SHEET_END = "</sheetData></worksheet>"


def _text(v: str) -> str:
    if ILLEGAL.search(v):
        v = ILLEGAL.sub("", v)
    v = escape(v)
    if v[:1].isspace() or v[-1:].isspace():
        return f'<t xml:space="preserve">{v}</t>'
    return f"<t>{v}</t>"


def _cell(ref: str, v) -> str:
    if v is None or v == "":
        return ""
    if type(v) is str:
        return f'<c r="{ref}" t="inlineStr"><is>{_text(v)}</is></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | float):
        return f'<c r="{ref}"><v>{v!r}</v></c>' if isinstance(v, float) else \
            f'<c r="{ref}"><v>{v}</v></c>'
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.UTC).replace(tzinfo=None)
        return f'<c r="{ref}" s="{STYLE_DATETIME}"><v>{to_excel(v)!r}</v></c>'
    if isinstance(v, dt.date):
        return f'<c r="{ref}" s="{STYLE_DATE}"><v>{to_excel(v)}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is>{_text(str(v))}</is></c>'


class StreamingWorkbook:
    """Sheets written one after another straight into a zip file (``fh``: binary file)."""

    def __init__(self, fh):
        self.zip = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED,
                                   compresslevel=1)
        self.titles: list[str] = []
        self._sheet = None
        self._row = 0
        self._letters: list[str] = []

    def add_sheet(self, title: str) -> None:
        self._close_sheet()
        self.titles.append(title)
        self._sheet = self.zip.open(f"xl/worksheets/sheet{len(self.titles)}.xml", "w",
                                    force_zip64=True)
        self._sheet.write(_SHEET_START.encode())
        self._row = 0

    def append(self, row: Iterable) -> None:
        row = list(row)
        while len(self._letters) < len(row):
            self._letters.append(get_column_letter(len(self._letters) + 1))
        self._row += 1
        r = str(self._row)
        letters = self._letters
        cells = "".join([_cell(letters[i] + r, v) for i, v in enumerate(row)])
        self._sheet.write(f'<row r="{r}">{cells}</row>'.encode())

    def _close_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(_SHEET_END.encode())
            self._sheet.close()
            self._sheet = None

    def close(self) -> None:
        self._close_sheet()
        n = range(1, len(self.titles) + 1)
        self.zip.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=i) for i in n)))
        self.zip.writestr("_rels/.rels", _ROOT_RELS)
        self.zip.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(
            f'<sheet name="{escape(t, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, t in zip(n, self.titles, strict=True))))
        self.zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(sheets="".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in n)))
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.zip.close()
