"""Streaming readers for CSV and XLSX files: one row at a time, bounded memory.

``open_table(path)`` detects the format (XLSX by its zip signature), for CSV the encoding
(UTF-8 with or without BOM, else Windows-1252, else Latin-1, checked over the whole file in
one streaming pass that also counts lines) and the dialect (``csv.Sniffer`` on the first
64 kB). ``Table.rows()`` yields ``(row_number, cells, problem)``; row numbers are
spreadsheet rows (the header is row 1). A malformed row yields a ``problem`` message and
reading goes on with the next row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from pathlib import Path

from django.utils.translation import gettext as _

SNIFF_BYTES = 64 * 1024
CHUNK = 1024 * 1024
MAX_FIELD = 64 * 1024


class ReadError(Exception):
    """The file cannot be read at all (not a table, empty, no header)."""


def detect_format(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4)
    return "xlsx" if head == b"PK\x03\x04" else "csv"


def _scan(path: Path) -> tuple[str, int]:
    """(encoding, number of line breaks) in one pass over the bytes."""
    lines = 0
    candidates = ["utf-8-sig", "cp1252"]
    decoders = {enc: codecs.getincrementaldecoder(enc)("strict") for enc in candidates}
    alive = list(candidates)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            lines += chunk.count(b"\n")
            for enc in list(alive):
                try:
                    decoders[enc].decode(chunk)
                except UnicodeDecodeError:
                    alive.remove(enc)
    for enc in list(alive):
        try:
            decoders[enc].decode(b"", final=True)
        except UnicodeDecodeError:
            alive.remove(enc)
    return (alive[0] if alive else "latin-1"), lines


class CsvTable:
    format = "csv"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.encoding, newlines = _scan(self.path)
        with open(self.path, encoding=self.encoding, newline="") as f:
            sample = f.read(SNIFF_BYTES)
        if not sample.strip():
            raise ReadError(_("The file is empty."))
        cut = sample.rfind("\n")
        sniff_sample = sample[:cut] if cut > 0 else sample
        try:
            self.dialect = csv.Sniffer().sniff(sniff_sample, delimiters=",;\t|")
            self.dialect.doublequote = True
        except csv.Error:
            self.dialect = csv.excel
        self.delimiter = self.dialect.delimiter
        with open(self.path, "rb") as f:
            f.seek(-1, 2)
            unterminated = f.read(1) != b"\n"
        self.estimate_total = max(newlines - 1 + int(unterminated), 0)
        self._file = open(self.path, encoding=self.encoding, newline="")  # noqa: SIM115
        self._reader = csv.reader(self._file, self.dialect)
        try:
            self.header = [h.strip() for h in next(self._reader)]
        except (StopIteration, csv.Error) as exc:
            self.close()
            raise ReadError(_("The first row must name the columns.")) from exc
        if not any(self.header):
            self.close()
            raise ReadError(_("The first row must name the columns."))

    def rows(self):
        n = 1
        width = len(self.header)
        while True:
            n += 1
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield n, [], _("The row cannot be read as CSV (%(error)s).") % {"error": exc}
                continue
            if not row:
                n -= 1  # blank line: not a row
                continue
            if any(len(c) > MAX_FIELD for c in row):
                yield n, [], _("A field is longer than %(n)s characters.") % {"n": MAX_FIELD}
                continue
            if len(row) != width:
                if len(row) > width and not any(c.strip() for c in row[width:]):
                    row = row[:width]
                else:
                    yield n, row, _("The row has %(n)s fields; the header has %(m)s.") \
                        % {"n": len(row), "m": width}
                    continue
            yield n, row, None

    def close(self):
        f = getattr(self, "_file", None)
        if f is not None:
            f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class XlsxTable:
    format = "xlsx"
    encoding = ""
    delimiter = ""

    def __init__(self, path: Path):
        import zipfile

        from openpyxl import load_workbook

        self.path = Path(path)
        from openpyxl.utils.exceptions import InvalidFileException

        self._handle = open(self.path, "rb")  # noqa: SIM115 — a handle skips the name check
        try:
            self._wb = load_workbook(self._handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError,
                InvalidFileException) as exc:
            self._handle.close()
            raise ReadError(_("The file is not a readable Excel workbook (XLSX).")) from exc
        ws = self._wb.worksheets[0] if self._wb.worksheets else None
        if ws is None:
            self.close()
            raise ReadError(_("The workbook has no sheets."))
        self._rows = ws.iter_rows(values_only=True)
        try:
            first = next(self._rows)
        except StopIteration as exc:
            self.close()
            raise ReadError(_("The file is empty.")) from exc
        self.header = [str(_cell(h)).strip() for h in first]
        while self.header and not self.header[-1]:
            self.header.pop()
        if not any(self.header):
            self.close()
            raise ReadError(_("The first row must name the columns."))
        self.estimate_total = max((ws.max_row or 1) - 1, 0)

    def rows(self):
        width = len(self.header)
        n = 1
        for raw in self._rows:
            n += 1
            row = [_cell(v) for v in raw]
            if len(row) > width:
                if any(str(c).strip() for c in row[width:]):
                    yield n, row, _("The row has values outside the named columns.")
                    continue
                row = row[:width]
            elif len(row) < width:
                row += [""] * (width - len(row))
            if not any(c != "" for c in row):
                continue
            yield n, row, None

    def close(self):
        wb = getattr(self, "_wb", None)
        if wb is not None:
            wb.close()
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_table(path, fmt: str | None = None):
    path = Path(path)
    if not path.exists():
        raise ReadError(_("The uploaded file is missing."))
    fmt = fmt or detect_format(path)
    return XlsxTable(path) if fmt == "xlsx" else CsvTable(path)
