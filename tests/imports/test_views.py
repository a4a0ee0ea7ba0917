from django.core.files.uploadedfile import SimpleUploadedFile

from kokemus.imports.models import ImportJob
from kokemus.imports.tasks import run_import
from kokemus.responses.models import Response
from tests.imports.conftest import write_csv

URL = "/o/testi/imports/"


def test_upload_map_preview_run_progress_errors(manager_client, tree, survey, tmp_path):
    path = tmp_path / "up.csv"
    write_csv(path, 60)
    resp = manager_client.post(URL, {"file": SimpleUploadedFile("up.csv", path.read_bytes()),
                                     "survey": survey.pk})
    assert resp.status_code == 302
    job = ImportJob.objects.get()
    assert manager_client.get(resp["Location"]).status_code == 200
    post = {"survey": survey.pk, "save": "1", "default_language": "fi",
            "time_zone": "Europe/Helsinki"}
    targets = ["external_id", "unit", "touchpoint", "time", "language", "q:fft", "q:why"]
    post.update({f"col-{i}": t for i, t in enumerate(targets)})
    assert manager_client.post(f"{URL}{job.pk}/map/", post).status_code == 302
    detail = manager_client.get(f"{URL}{job.pk}/")
    assert detail.status_code == 200 and len(detail.context["preview"]) == 20
    assert manager_client.post(f"{URL}{job.pk}/run/", {"mode": "import"}).status_code == 302
    job.refresh_from_db()
    assert job.status == "running"
    progress = manager_client.get(f"{URL}{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in progress and "aria-valuenow" in progress
    run_import.call(job.pk, False)  # what the worker does
    job.refresh_from_db()
    assert job.status == "done"
    # rows 7 and 41 are bad; Kamppi/Kallio rows only: the manager cannot import into Oulu
    assert job.rows_bad > 2
    assert Response.objects.count() == job.rows_ok
    done = manager_client.get(f"{URL}{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in done and 'aria-valuenow="100"' in done
    errors = manager_client.get(f"{URL}{job.pk}/errors/")
    assert errors.status_code == 200 and errors.context["page"].object_list
    download = manager_client.get(f"{URL}{job.pk}/errors.csv")
    assert download.status_code == 200
    assert b"row,field,message" in b"".join(download.streaming_content)


def test_bad_uploads_are_4xx(manager_client, tree, survey, staff_client, outsider_client):
    assert manager_client.post(URL, {}).status_code == 400
    assert manager_client.post(URL, {"file": SimpleUploadedFile("x.csv", b"")}).status_code \
        == 400
    assert manager_client.post(URL, {"file": SimpleUploadedFile(
        "x.xlsx", b"PK\x03\x04nonsense")}).status_code == 400
    assert staff_client.get(URL).status_code == 403
    assert outsider_client.get(URL).status_code == 404
    job_resp = manager_client.post(URL, {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})
    job = ImportJob.objects.get()
    bad_map = manager_client.post(f"{URL}{job.pk}/map/", {"survey": survey.pk, "save": "1",
                                                         "col-0": "time"})
    assert job_resp.status_code == 302 and bad_map.status_code == 400
    assert manager_client.post(f"{URL}{job.pk}/run/", {"mode": "import"}).status_code == 302
    job.refresh_from_db()
    assert job.status == "uploaded"  # not mapped: refused
