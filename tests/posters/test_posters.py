"""QR poster PDFs: content (pdftotext), a non-blank page (pdftoppm), permissions."""

import re
import shutil
import subprocess

import pytest

from kokemus.surveys.posters import render_poster, short_url
from tests.surveys.helpers import make_point

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext") or not shutil.which("pdftoppm"),
                                   reason="poppler-utils not installed")


@pytest.fixture
def point(tree):
    return make_point(tree.org, tree.kamppi)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def dark_share(pdf: bytes, tmp_path) -> float:
    """Share of dark pixels on page 1, rendered in greyscale at 30 dpi (PGM, P5)."""
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-gray", "-r", "30", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    data = next(tmp_path.glob("page*.pgm")).read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pixels = data[pos + 1:]
    width, height = int(fields[1]), int(fields[2])
    assert fields[0] == b"P5" and len(pixels) == width * height
    return sum(1 for b in pixels if b < 128) / len(pixels)


@needs_poppler
@pytest.mark.parametrize("size", ["a4", "a5"])
def test_poster_content(point, tmp_path, size):
    pdf = render_poster(point, size)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert "Kamppi" in text
    assert short_url(point) in text
    assert point.code in short_url(point)
    for phrase in ("Kerro meille, miten onnistuimme", "Berätta hur vi lyckades",
                   "Tell us how we did"):
        assert phrase in text
    share = dark_share(pdf, tmp_path)
    assert 0.03 < share < 0.6, share


@needs_poppler
def test_page_sizes(point, tmp_path):
    for size, expected in (("a4", "595.276 x 841.89"), ("a5", "419.528 x 595.276")):
        path = tmp_path / f"{size}.pdf"
        path.write_bytes(render_poster(point, size))
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        assert expected in info
        assert re.search(r"^Pages:\s+1$", info, re.M), info


def test_poster_view_permissions(tree, point, admin_client, manager_client, staff_client,
                                 outsider_client):
    url = f"/o/testi/kiosks/posters/{point.pk}.pdf"
    resp = admin_client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-")
    assert manager_client.get(url + "?size=a5").status_code == 200
    assert manager_client.get(url + "?size=zz").status_code == 200  # falls back to A4
    assert staff_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    assert admin_client.get("/o/testi/kiosks/posters/999999.pdf").status_code == 404


def test_poster_of_unit_outside_managers_scope_is_404(tree, manager_client):
    north_point = make_point(tree.org, tree.oulu)
    assert manager_client.get(f"/o/testi/kiosks/posters/{north_point.pk}.pdf").status_code == 404


def test_hostile_unit_name_is_escaped(tree, tmp_path):
    from kokemus.accounts import actions
    from kokemus.accounts.audit import SYSTEM

    unit = actions.do_create_unit(SYSTEM, tree.org, name='<img src="http://x/y.png"> & Co',
                                  parent=tree.south)
    pdf = render_poster(make_point(tree.org, unit))
    assert pdf.startswith(b"%PDF-")
