"""Unit PDF report: content matches the dashboard, renders visibly, respects roles."""

import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from kokemus.metrics.scores import nps
from kokemus.reports import periods
from kokemus.web.nav import items_for
from tests.reports.conftest import HETU

pytestmark = pytest.mark.django_db


def pdf_url(unit, month):
    return reverse("reports_unit_pdf", args=["testi", unit.pk]) + f"?month={month}"


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True).stdout.decode()


def dashboard_nps(client, unit, data) -> str:
    r = client.get("/o/testi/dashboards/", {"period": "custom", "start": data.start.isoformat(),
                                            "end": data.end.isoformat(), "unit": unit.pk})
    assert r.status_code == 200
    return re.search(r'data-testid="kpi-nps">([^<]*)<', r.content.decode()).group(1)


def test_pdf_shows_unit_period_and_the_dashboards_nps(admin_client, tree, data, tmp_path):
    r = admin_client.get(pdf_url(tree.kamppi, data.month))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    text = pdf_text(r.content, tmp_path)
    assert "Kamppi" in text
    with translation.override(tree.kamppi.language):
        assert periods.label(data.start, data.end) in text
    shown = dashboard_nps(admin_client, tree.kamppi, data)
    v = data.kamppi_nps
    est = nps(sum(x >= 9 for x in v), sum(7 <= x <= 8 for x in v), sum(x <= 6 for x in v))
    assert shown == f"{float(est.value):+.0f}".replace("-", "−")
    assert shown in text
    assert HETU not in text  # comments are printed redacted
    info = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], capture_output=True,
                          check=True).stdout.decode()
    assert re.search(r"Tagged:\s+yes", info)  # tagged PDF (PDF/UA-1)


def test_region_report_matches_dashboard_and_page_one_is_not_blank(admin_client, tree, data,
                                                                   tmp_path):
    r = admin_client.get(pdf_url(tree.south, data.month))
    text = pdf_text(r.content, tmp_path)
    assert dashboard_nps(admin_client, tree.south, data) in text
    path = tmp_path / "r.pdf"
    path.write_bytes(r.content)
    pgm = subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(path)],
                         capture_output=True, check=True).stdout
    # Binary PGM: "P5\n<w> <h>\n<max>\n" then one byte per pixel.
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", pgm)
    w, h = int(m.group(1)), int(m.group(2))
    pixels = pgm[m.end():m.end() + w * h]
    dark = sum(1 for b in pixels if b < 200)
    assert dark > 0.005 * w * h
    # Page numbers from the CSS @page counter.
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, check=True).stdout.decode()).group(1))
    assert f"1 / {pages}" in text


def test_report_uses_the_units_language(admin_client, tree, data, tmp_path):
    tree.kamppi.language = "sv"
    tree.kamppi.save()
    r = admin_client.get(pdf_url(tree.kamppi, data.month))
    text = pdf_text(r.content, tmp_path)
    with translation.override("sv"):
        assert periods.label(data.start, data.end) in text


def test_default_month_and_bad_month(admin_client, tree, data):
    r = admin_client.get(reverse("reports_unit_pdf", args=["testi", tree.kamppi.pk]))
    assert r.status_code == 200
    assert admin_client.get(pdf_url(tree.kamppi, "2025-13")).status_code == 400
    assert admin_client.get(pdf_url(tree.kamppi, "May")).status_code == 400


def test_roles_and_tenancy(staff_client, outsider_client, admin_client, tree, data, outsider):
    assert staff_client.get(pdf_url(tree.kamppi, data.month)).status_code == 200
    assert staff_client.get(pdf_url(tree.kallio, data.month)).status_code == 404
    assert outsider_client.get(pdf_url(tree.kamppi, data.month)).status_code == 404
    from kokemus.accounts.models import Unit
    other = Unit.objects.exclude(organisation=tree.org).first()
    assert admin_client.get(pdf_url(other, data.month)).status_code == 404


def test_reports_page_and_nav(admin_client, staff_client, tree, data, rf, admin):
    r = admin_client.get(reverse("reports_index", args=["testi"]))
    assert r.status_code == 200
    assert 'data-testid="export-answers-parquet"' in r.content.decode()
    assert staff_client.get(reverse("reports_index", args=["testi"])).status_code == 200
    from kokemus.accounts.models import Membership
    m = Membership.objects.get(user=admin, organisation=tree.org)
    urls = [i["url"] for i in items_for(rf.get("/"), tree.org, m)]
    assert reverse("reports_index", args=["testi"]) in urls
    r = admin_client.get(reverse("reports_unit_pdf_form", args=["testi"]),
                         {"unit": tree.kamppi.pk, "month": data.month})
    assert r.status_code == 302 and r["Location"].endswith(pdf_url(tree.kamppi, data.month))
