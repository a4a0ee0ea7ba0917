"""Printable QR posters (A4/A5 PDF) for a collection point, rendered with WeasyPrint.

The poster shows the unit's name, a large QR code of the public response address, the short
address written out and the invitation in Finnish, Swedish and English. Black on white, so
it prints well on a greyscale printer. The invitation is product content shown in all three
languages at once, so it is not in the gettext catalogues.
"""

from __future__ import annotations

import re

import segno
from django.http import HttpResponse
from django.template.loader import render_to_string

from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.surveys.models import CollectionPoint
from kokemus.surveys.public_views import public_url

SIZES = {
    # page size, QR side, heading/invitation/url font sizes (pt)
    "a4": {"page": "A4", "qr_mm": 115, "unit_pt": 30, "invite_pt": 21, "sub_pt": 13,
           "url_pt": 20, "margin_mm": 16},
    "a5": {"page": "A5", "qr_mm": 72, "unit_pt": 21, "invite_pt": 15, "sub_pt": "9.5",
           "url_pt": 14, "margin_mm": 11},
}

INVITATION = {
    "fi": {"title": "Kerro meille, miten onnistuimme",
           "sub": "Vie alle minuutin. Vastaat nimettömänä.",
           "how": "Skannaa QR-koodi puhelimen kameralla tai kirjoita osoite:"},
    "sv": {"title": "Berätta hur vi lyckades",
           "sub": "Det tar under en minut. Du svarar anonymt.",
           "how": "Skanna QR-koden med mobilkameran eller skriv adressen:"},
    "en": {"title": "Tell us how we did",
           "sub": "It takes less than a minute. Your answers are anonymous.",
           "how": "Scan the QR code with your phone camera or type the address:"},
}


def short_url(cp: CollectionPoint) -> str:
    """The public address without the scheme, as written on the poster."""
    return re.sub(r"^https?://", "", public_url(cp))


def qr_svg(cp: CollectionPoint) -> str:
    return segno.make(public_url(cp), error="m").svg_inline(
        scale=10, border=0, omitsize=True, dark="#000", light="#fff")


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"posters load no external resources ({url[:40]})")


def poster_html(cp: CollectionPoint, size: str = "a4") -> str:
    dims = SIZES.get(size, SIZES["a4"])
    languages = [{"code": code, **INVITATION[code]} for code in LANGUAGES]
    return render_to_string("posters/poster.html", {
        "cp": cp, "dims": dims, "qr": qr_svg(cp), "short_url": short_url(cp),
        "languages": languages,
        "touchpoint": pick(cp.touchpoint.name, cp.unit.language) if cp.touchpoint else "",
    })


def render_poster(cp: CollectionPoint, size: str = "a4") -> bytes:
    from weasyprint import HTML

    return HTML(string=poster_html(cp, size), url_fetcher=_no_fetch).write_pdf()


def poster_response(cp: CollectionPoint, size: str = "a4") -> HttpResponse:
    size = size if size in SIZES else "a4"
    pdf = render_poster(cp, size)
    return HttpResponse(pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="kokemus-{cp.code}-{size}.pdf"',
        "Cache-Control": "private, no-cache",
    })
