"""The streaming XLSX writer reads back exactly like openpyxl's own write-only workbook."""

import datetime as dt
import io

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from kokemus.reports.exports import DATASETS, write_xlsx
from kokemus.reports.xlsx import StreamingWorkbook

ROW = ("a", "", None, 0, -5, 3.25, True, False, "=SUM(A1)", " lead ", "<&>\"'",
       "ääkkö€😀", dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5, 123456),
       2**40)


def read(raw: bytes) -> list[list[tuple]]:
    wb = load_workbook(io.BytesIO(raw), read_only=True)
    return [list(ws.iter_rows(values_only=True)) for ws in wb.worksheets]


def test_values_read_back_as_with_openpyxl():
    ref = io.BytesIO()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("S")
    cells = list(ROW)
    formula = WriteOnlyCell(ws, value=ROW[8])
    formula.data_type = "s"
    cells[8] = formula
    ws.append(cells)
    wb.save(ref)
    ours = io.BytesIO()
    w = StreamingWorkbook(ours)
    w.add_sheet("S")
    w.append(ROW)
    w.close()
    assert read(ours.getvalue()) == read(ref.getvalue())
    assert read(ours.getvalue())[0][0][8] == "=SUM(A1)"  # text, not a formula
    # Read also in normal (not read-only) mode, which parses the styles.
    assert load_workbook(io.BytesIO(ours.getvalue())).worksheets[0]["N1"].value == \
        dt.datetime(2026, 1, 2, 3, 4, 5, 123000)


def test_control_characters_are_dropped():
    raw = io.BytesIO()
    w = StreamingWorkbook(raw)
    w.add_sheet("S")
    w.append(["x\x0by\x00z"])
    w.close()
    assert read(raw.getvalue()) == [[("xyz",)]]


def test_export_splits_sheets_and_repeats_the_header():
    ds = DATASETS["responses"]
    when = dt.datetime(2026, 3, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    rows = [(i, when, when.date(), 1, "Kamppi", None, "", "", "", "", "qr", "fi", 3)
            for i in range(5)]
    raw = io.BytesIO()
    assert write_xlsx(ds, iter(rows), raw, title="Vastaukset", max_rows=2) == 5
    sheets = read(raw.getvalue())
    assert [len(s) for s in sheets] == [3, 3, 2]
    assert all(list(s[0]) == ds.names for s in sheets)
    assert sheets[0][1][1] == dt.datetime(2026, 3, 1, 8, 30)  # UTC, naive
    assert load_workbook(io.BytesIO(raw.getvalue())).sheetnames == [
        "Vastaukset", "Vastaukset 2", "Vastaukset 3"]
    empty = io.BytesIO()
    assert write_xlsx(ds, iter([]), empty) == 0
    assert read(empty.getvalue()) == [[tuple(ds.names)]]
