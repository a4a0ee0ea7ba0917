"""Exports: formats agree, roles and filters apply, free text is redacted, no contacts."""

import csv
import io
import json

import duckdb
import pandas as pd
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kokemus.reports.exports import DATASETS
from tests.reports.conftest import HETU

pytestmark = pytest.mark.django_db


def url(dataset, fmt, data, **params):
    q = {"period": "custom", "start": data.start.isoformat(), "end": data.end.isoformat(),
         **params}
    return reverse("reports_export", args=["testi", dataset, fmt]), q


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return b"".join(response)


def get(client, dataset, fmt, data, **params):
    path, q = url(dataset, fmt, data, **params)
    r = client.get(path, q)
    assert r.status_code == 200, r.status_code
    return r, body(r)


def duck(sql: str):
    return duckdb.connect().execute(sql)


def csv_rows(raw: bytes):
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def parquet(raw: bytes, tmp_path, name="x.parquet"):
    path = tmp_path / name
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("dataset", ["responses", "answers", "rollups"])
def test_csv_xlsx_and_parquet_agree(admin_client, tree, data, dataset, tmp_path):
    r, raw = get(admin_client, dataset, "csv", data)
    assert r.streaming and r["Content-Type"].startswith("text/csv")
    rows = csv_rows(raw)
    assert rows and list(rows[0]) == DATASETS[dataset].names
    _r, xlsx = get(admin_client, dataset, "xlsx", data)
    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    sheet_rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert list(sheet_rows[0]) == DATASETS[dataset].names
    _r, pq = get(admin_client, dataset, "parquet", data)
    path = parquet(pq, tmp_path)
    n = duck(f"select count(*) from read_parquet('{path}')").fetchone()[0]
    assert n == len(rows) == len(sheet_rows) - 1
    assert list(pd.read_parquet(path).columns) == DATASETS[dataset].names


def test_counts_match_what_was_submitted(admin_client, tree, data, tmp_path):
    _r, raw = get(admin_client, "responses", "parquet", data)
    path = parquet(raw, tmp_path)
    per_unit = dict(duck(f"select unit_name, count(*) from read_parquet('{path}') "
                               "group by 1").fetchall())
    assert per_unit == {"Kamppi": len(data.kamppi_nps), "Kallio": len(data.kallio_nps),
                        "Oulu": len(data.oulu_nps)}
    _r, raw = get(admin_client, "rollups", "parquet", data)
    path = parquet(raw, tmp_path, "rollups.parquet")
    nps_n = duck(f"select sum(count) from read_parquet('{path}') "
                       "where question_type = 'nps'").fetchone()[0]
    assert nps_n == len(data.kamppi_nps) + len(data.kallio_nps) + len(data.oulu_nps)


def test_staff_export_has_only_their_unit(staff_client, manager_client, tree, data, tmp_path):
    for dataset in ("responses", "answers", "rollups"):
        _r, raw = get(staff_client, dataset, "csv", data)
        assert {row["unit_name"] for row in csv_rows(raw)} == {"Kamppi"}
    # A unit outside the member's scope is not a valid choice.
    path, q = url("answers", "csv", data, unit=tree.kallio.pk)
    assert staff_client.get(path, q).status_code == 400
    _r, raw = get(manager_client, "responses", "parquet", data)
    path = parquet(raw, tmp_path)
    units = {u for (u,) in duck(f"select distinct unit_name from read_parquet('{path}')"
                                      ).fetchall()}
    assert units == {"Kamppi", "Kallio"}


def test_filters_apply(admin_client, tree, data):
    _r, raw = get(admin_client, "responses", "csv", data, unit=tree.kamppi.pk,
                  touchpoint=data.counter.pk)
    rows = csv_rows(raw)
    assert len(rows) == len(data.kamppi_nps)
    assert {r["touchpoint_id"] for r in rows} == {str(data.counter.pk)}
    _r, raw = get(admin_client, "responses", "csv", data, channel="kiosk")
    assert csv_rows(raw) == []
    path, q = url("responses", "csv", data)
    assert admin_client.get(path, {**q, "start": "2025-02-01", "end": "2025-01-01"}
                            ).status_code == 400


def test_free_text_is_redacted_everywhere_and_contacts_never_exported(admin_client, tree,
                                                                       data, tmp_path):
    from kokemus.responses.models import Answer
    raw_text = Answer.objects.filter(question_type="free_text", text__contains=HETU)
    assert raw_text.exists()  # the organisation keeps raw comments; exports must not
    for dataset in ("responses", "answers", "rollups"):
        for fmt, extra in (("csv", {}), ("csv", {"bom": "1"}), ("xlsx", {}), ("parquet", {})):
            _r, raw = get(admin_client, dataset, fmt, data, **extra)
            if fmt == "xlsx":
                wb = load_workbook(io.BytesIO(raw), read_only=True)
                content = json.dumps([list(r) for r in wb.worksheets[0].iter_rows(
                    values_only=True)], default=str)
            elif fmt == "parquet":
                content = pd.read_parquet(parquet(raw, tmp_path)).to_csv()
            else:
                content = raw.decode("utf-8-sig")
            assert HETU not in content
            assert "contact" not in DATASETS[dataset].names
    _r, raw = get(admin_client, "answers", "csv", data)
    texts = [r["text"] for r in csv_rows(raw) if r["question_type"] == "free_text"]
    assert any("palvelu oli hidas" in t for t in texts)


def test_bom_option_and_formula_guard(admin_client, tree, data):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from tests.reports.conftest import submit
    submit(data.version, tree.kamppi, data.counter, 9,
           datetime.combine(data.start, time(15), ZoneInfo("Europe/Helsinki")),
           comment="=HYPERLINK(\"http://x\")")
    _r, raw = get(admin_client, "answers", "csv", data)
    assert not raw.startswith(b"\xef\xbb\xbf")
    _r, raw = get(admin_client, "answers", "csv", data, bom="1")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert any(r["text"].startswith("'=") for r in csv_rows(raw))
    _r, xlsx = get(admin_client, "answers", "xlsx", data)
    wb = load_workbook(io.BytesIO(xlsx))
    cells = [c for row in wb.worksheets[0].iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_rollup_suppression_option(admin_client, tree, data, tmp_path):
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from tests.reports.conftest import submit
    for v in (9, 10, 8, 7, 10):  # one day with five answers at Kallio's door
        submit(data.version, tree.kallio, data.door, v,
               datetime.combine(data.end, time(11), ZoneInfo("Europe/Helsinki")))
    _r, raw = get(admin_client, "rollups", "csv", data)
    full = csv_rows(raw)
    _r, raw = get(admin_client, "rollups", "csv", data, suppress="1")
    kept = csv_rows(raw)
    assert 0 < len(kept) < len(full)
    groups = {}
    for r in kept:
        key = (r["day"], r["unit_id"], r["touchpoint_id"], r["channel"], r["language"],
               r["question_key"])
        groups[key] = groups.get(key, 0) + int(r["count"])
    assert min(groups.values()) >= 5


def test_cross_org_and_unknown(outsider_client, admin_client, tree, data, outsider):
    path, q = url("answers", "csv", data)
    assert outsider_client.get(path, q).status_code == 404
    assert admin_client.get("/o/testi/reports/export/contacts.csv").status_code == 404
    assert admin_client.get("/o/testi/reports/export/answers.json").status_code == 404
    # Another organisation's unit id in the filter is ignored (own scope used).
    from kokemus.accounts.models import Unit
    other = Unit.objects.exclude(organisation=tree.org).first()
    assert admin_client.get(path, {**q, "unit": other.pk}).status_code == 400


def test_data_dictionary(admin_client, staff_client, tree):
    base = reverse("reports_dictionary", args=["testi"])
    assert staff_client.get(base).status_code == 200
    d = json.loads(admin_client.get(base, {"format": "json"}).content)
    for key, ds in DATASETS.items():
        assert [c["name"] for c in d[key]["columns"]] == ds.names
        assert all(c["description"] for c in d[key]["columns"])
    rows = csv_rows(admin_client.get(base, {"format": "csv"}).content)
    assert len(rows) == sum(len(ds.columns) for ds in DATASETS.values())


def test_export_is_audited(admin_client, tree, data):
    from kokemus.accounts.models import AuditLog
    get(admin_client, "answers", "csv", data)
    assert AuditLog.objects.filter(action="report.exported", organisation=tree.org).exists()
