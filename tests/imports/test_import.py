"""Streaming import of historical responses: bad rows reported by number and field,
good rows stored, re-import adds nothing."""

import csv
import io
import json
import time

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from kokemus.accounts.audit import SYSTEM
from kokemus.imports.actions import do_create_job, do_set_mapping, preview, run_job
from kokemus.imports.models import ImportJob, ImportStatus
from kokemus.responses.models import Answer, Response
from tests.imports.conftest import FFT_CODES, FFT_LABELS, write_csv


def run_cli(path, mapping_file, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command("import", str(path), "--organisation", "testi", "--mapping",
                 str(mapping_file), *extra, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def check_big_import(tmp_path, mapping_file, n):
    path = tmp_path / "responses.csv"
    bad = write_csv(path, n)
    started = time.monotonic()
    summary, progress = run_cli(path, mapping_file)
    elapsed = time.monotonic() - started
    good = n - len(bad)
    assert summary["status"] == "done"
    assert summary["rows"] == n and summary["ok"] == good and summary["bad"] == len(bad)
    assert "rows" in progress and "#" in progress  # the progress bar went to stderr
    assert Response.objects.filter(channel="import").count() == good
    job = ImportJob.objects.get(pk=summary["job"])
    with open(job.error_file, encoding="utf-8") as f:
        reported = {(int(r["row"]), r["field"]) for r in csv.DictReader(f)}
    assert reported == set(bad.items())
    assert len(job.errors) == min(len(bad), 1000)
    assert all(e["message"] for e in job.errors)
    # the same file again adds nothing
    again, _ = run_cli(path, mapping_file)
    assert again["ok"] == 0 and again["duplicates"] == good and again["bad"] == len(bad)
    assert Response.objects.count() == good
    return elapsed


def test_import_5000_rows_with_3_percent_bad(tree, tmp_path, mapping_file):
    elapsed = check_big_import(tmp_path, mapping_file, 5000)
    print(f"5000 rows imported in {elapsed:.1f}s")
    r = Response.objects.get(idempotency_key="import:r0")
    assert r.unit == tree.kamppi and r.touchpoint is None and r.language == "fi"
    assert r.answers.get(question_key="fft").value == 1
    assert r.answers.get(question_key="why").text == "kommentti 0"
    for i in range(len(FFT_LABELS)):
        if i in (7,):
            continue
        value = Answer.objects.get(response__idempotency_key=f"import:r{i}",
                                   question_key="fft").value
        assert value == FFT_CODES[i], FFT_LABELS[i]


@pytest.mark.slow
def test_import_100000_rows_with_3_percent_bad(tree, tmp_path, mapping_file):
    elapsed = check_big_import(tmp_path, mapping_file, 100_000)
    print(f"100000 rows imported in {elapsed:.1f}s")


def test_rows_without_external_id_are_idempotent_by_content(tree, tmp_path, mapping_file):
    path = tmp_path / "noid.csv"
    bad = write_csv(path, 300, external_ids=False)
    first, _ = run_cli(path, mapping_file)
    assert first["ok"] == 300 - len(bad)
    second, _ = run_cli(path, mapping_file)
    assert second["ok"] == 0 and second["duplicates"] == 300 - len(bad)


def test_dry_run_stores_nothing(tree, tmp_path, mapping_file):
    path = tmp_path / "dry.csv"
    bad = write_csv(path, 400)
    summary, _ = run_cli(path, mapping_file, "--dry-run")
    assert summary["status"] == "validated"
    assert summary["bad"] == len(bad) and summary["ok"] == 400 - len(bad)
    assert not Response.objects.exists()


def test_cp1252_semicolon_file(tree, tmp_path, mapping_file):
    path = tmp_path / "excel.csv"
    write_csv(path, 50, delimiter=";", encoding="cp1252")
    summary, _ = run_cli(path, mapping_file)
    assert summary["ok"] == 50 - 1 - 1 - 0  # rows 7 and 41 are bad in the first 50
    job = ImportJob.objects.get()
    assert job.encoding == "cp1252" and job.delimiter == ";"
    assert Answer.objects.filter(question_key="fft", value=1).exists()


def test_utf8_bom_and_value_mapping_and_default_unit(tree, tmp_path, survey):
    path = tmp_path / "bom.csv"
    path.write_bytes("Aika,Arvio,Vapaa\n2024-05-01 10:00,Loistava,hyvä\n"
                     "2024-05-01 11:00,Very good,\n2024-05-01 12:00,,\n"
                     .encode("utf-8-sig"))
    job = do_create_job(SYSTEM, tree.org, source=path)
    assert job.header == ["Aika", "Arvio", "Vapaa"]
    do_set_mapping(SYSTEM, job, {"survey": survey.pk, "default_unit": tree.oulu.pk,
                                 "columns": {"Aika": "time", "Arvio": "q:fft", "Vapaa": "q:why"},
                                 "values": {"fft": {"Loistava": 1}}})
    rows = preview(job)["rows"]
    assert rows[0]["values"]["answers"] == {"fft": 1, "why": "hyvä"}
    assert rows[2]["errors"][0]["field"] == "Arvio"  # fft is required
    job = run_job(job)
    assert job.rows_ok == 2 and job.rows_bad == 1
    assert job.errors == [{"row": 4, "field": "Arvio", "message": job.errors[0]["message"]}]
    assert set(Response.objects.values_list("unit", flat=True)) == {tree.oulu.pk}


def test_xlsx_import(tree, tmp_path, mapping_file, mapping):
    wb = Workbook()
    ws = wb.active
    ws.append(["Response ID", "Unit", "Touchpoint", "Date", "Lang", "FFT", "Comment"])
    import datetime as dt
    for i in range(30):
        ws.append([f"x{i}", "Kallio", "counter", dt.datetime(2024, 6, 1, 9, i),
                   "en", [1, "Good", "Neither good nor poor", "Don’t know", "Bad!"][i % 5],
                   None])
    path = tmp_path / "responses.xlsx"
    wb.save(path)
    summary, _ = run_cli(path, mapping_file)
    assert summary["ok"] == 24 and summary["bad"] == 6
    job = ImportJob.objects.get()
    assert job.format == "xlsx"
    assert {e["field"] for e in job.errors} == {"FFT"}
    assert sorted({e["row"] for e in job.errors}) == [i + 2 for i in range(30) if i % 5 == 4]
    assert Answer.objects.filter(question_key="fft", value=6).count() == 6


def test_malformed_csv_reports_rows(tree, tmp_path, mapping_file):
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"Response ID,Unit,Touchpoint,Date,Lang,FFT,Comment\n"
        b"a1,Kamppi,,2024-01-01 10:00,fi,Good,ok\n"
        b"a2,Kamppi,,2024-01-01 10:00,fi,Good,\"x\" y\",z\n"
        b"a3,Kamppi,,2024-01-01 10:00,zz,Good,\n"
        b"a4,Kamppi,,2024-01-01 10:00,fi,Good,\xff\xfe broken bytes\n"
        b"a5,Kamppi,,2099-01-01 10:00,fi,Good,\n"
        b"a6,Kamppi,nope,2024-01-01 10:00,fi,Good,\n")
    summary, _ = run_cli(path, mapping_file)
    job = ImportJob.objects.get()
    assert job.encoding == "cp1252"  # not valid UTF-8: read as Windows-1252
    fields = {(e["row"], e["field"]) for e in job.errors}
    assert (3, "") in fields or (3, "Comment") in fields
    assert {(4, "Lang"), (6, "Date"), (7, "Touchpoint")} <= fields
    assert summary["ok"] == 2  # a1 and a4


def test_missing_columns_in_mapping(tree, tmp_path, survey):
    path = tmp_path / "few.csv"
    path.write_text("Foo,Bar\n1,2\n")
    job = do_create_job(SYSTEM, tree.org, source=path)
    from django.core.exceptions import ValidationError
    with pytest.raises(ValidationError) as err:
        do_set_mapping(SYSTEM, job, {"survey": survey.pk, "columns": {"Baz": "time"}})
    assert {"Baz", "time", "unit", "columns"} <= set(err.value.message_dict)
    assert job.status == ImportStatus.UPLOADED
