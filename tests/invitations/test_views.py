import io

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from kokemus.invitations.models import SurveyInvitation, VisitEvent
from tests.invitations.conftest import local

URL = "/o/testi/invitations/"


def upload(client, content: bytes, name="visits.csv"):
    return client.post(URL + "visits/", {"file": SimpleUploadedFile(name, content)})


def test_page_permissions(manager_client, staff_client, outsider_client, admin_client):
    assert manager_client.get(URL).status_code == 200
    assert admin_client.get(URL).status_code == 200
    assert staff_client.get(URL).status_code == 403
    assert outsider_client.get(URL).status_code == 404


def test_csv_upload_reports_bad_rows(manager_client, tree, point):
    csv_text = (
        "unit;touchpoint;time;email;phone;language;external_id\n"
        "Kamppi;counter;2025-03-03 10:00;a@example.fi;;fi;v1\n"
        f"{tree.kallio.pk};;3.3.2025 11:00;;040 111 2222;sv;v2\n"
        "Oulu;counter;2025-03-03 10:00;c@example.fi;;fi;v3\n"  # outside the manager's scope
        "Kamppi;nope;yesterday;not-mail;;xx;v4\n"
        "Kamppi;counter;2025-03-03 10:00;a@example.fi;;fi;v1\n"  # repeat: existing
    )
    with time_machine.travel(local(2025, 3, 3, 12, 0), tick=False):
        resp = upload(manager_client, csv_text.encode("cp1252"))
    assert resp.status_code == 200
    report = resp.context["report"]
    assert report["created"] == 2 and report["existing"] == 1 and report["bad"] == 2
    fields = {(e["row"], e["field"]) for e in report["errors"]}
    assert (4, "unit") in fields
    assert {(5, "touchpoint"), (5, "time"), (5, "language")} <= fields
    assert VisitEvent.objects.count() == 2
    assert SurveyInvitation.objects.filter(collection_point=point).count() == 1


def test_xlsx_upload(manager_client, tree, point):
    wb = Workbook()
    ws = wb.active
    ws.append(["Unit", "Touchpoint", "Time", "Email", "Language", "External ID"])
    ws.append(["Kamppi", "counter", local(2025, 3, 3, 10, 0).replace(tzinfo=None),
               "x@example.fi", "en", "x1"])
    buf = io.BytesIO()
    wb.save(buf)
    with time_machine.travel(local(2025, 3, 3, 12, 0), tick=False):
        resp = upload(manager_client, buf.getvalue(), "visits.xlsx")
    assert resp.status_code == 200
    assert resp.context["report"]["created"] == 1
    assert VisitEvent.objects.get().occurred_at == local(2025, 3, 3, 10, 0)


def test_bad_files_are_4xx(manager_client, tree):
    assert upload(manager_client, b"").status_code == 400
    assert upload(manager_client, b"foo,bar\n1,2\n").status_code == 400
    assert upload(manager_client, b"PK\x03\x04garbage", "v.xlsx").status_code == 400


def test_settings_admin_only(admin_client, manager_client, tree):
    data = {"delay_minutes": 60, "reminder_enabled": "on", "reminder_after_days": 2,
            "quiet_start": "22:00", "quiet_end": "07:30", "contact_frequency_days": 30,
            "link_valid_days": 7}
    assert manager_client.post(URL + "settings/", data).status_code == 403
    assert admin_client.post(URL + "settings/", data).status_code == 302
    assert tree.org.invitation_settings.delay_minutes == 60
    assert admin_client.post(URL + "settings/", {**data, "link_valid_days": 0}).status_code \
        == 400
