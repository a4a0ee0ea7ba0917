"""A new admin signs up, runs the wizard for a pharmacy, scans the "scan me now" code on a
phone-sized page, answers, and sees the response arrive on the wizard without reloading."""

from __future__ import annotations

import time

import pytest

from kokemus.accounts.models import Organisation
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_axe

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(page, selector="button[name=go]"):
    with page.expect_navigation():
        page.click(selector)


def test_sign_up_to_first_live_response(browser, live_server, page):
    from django.core.cache import cache

    cache.clear()
    started = time.monotonic()
    page.goto(f"{live_server.url}/signup/")
    check_axe(page)
    page.fill("input[name=full_name]", "Paula Proviisori")
    page.fill("input[name=organisation_name]", "Apteekki Kokeilu")
    page.fill("input[name=email]", "paula@kokeilu.example")
    page.fill("input[name=password]", PASSWORD)
    _submit(page, "button[type=submit].button--primary")
    org = Organisation.objects.get(name="Apteekki Kokeilu")
    assert page.url.endswith(f"/o/{org.slug}/start/organisation/")
    check_axe(page)

    # 1. Name and sector.
    page.check("input[name=sector][value=pharmacy]")
    _submit(page)
    # 2. Units, pasted one per line.
    assert page.url.endswith("/start/units/")
    page.fill("textarea[name=names]", "Kamppi\nKallio")
    _submit(page)
    # 3. Journey from the sector template, one click.
    assert page.url.endswith("/start/journey/")
    check_axe(page)
    _submit(page)
    # 4. Surveys for the moments that matter.
    assert page.url.endswith("/start/surveys/")
    _submit(page)
    # 5. Service promise, with strong and weak examples beside it.
    assert page.url.endswith("/start/promise/")
    assert page.locator(".example--strong li").count() >= 2
    check_axe(page)
    page.fill("textarea[name=promise_fi]", "Haluamme yllättää jokaisen asiakkaan positiivisesti.")
    _submit(page)
    # 6. Posters: a PDF link and the collection point's address per unit and touchpoint.
    assert page.url.endswith("/start/posters/")
    check_axe(page)
    assert page.locator("a.poster-link").count() >= 2
    poster = page.locator("a.poster-link").first.get_attribute("href")
    assert poster.endswith(".pdf")
    _submit(page)
    # 7. Invite staff: skipped for now.
    assert page.url.endswith("/start/invite/")
    _submit(page, "button[name=skip]")
    # 8. Live: scan me now.
    assert page.url.endswith("/start/live/")
    assert page.locator(".live-qr__code svg").count() == 1
    assert page.locator("#live-count[data-count='0']").count() == 1
    check_axe(page)
    link = page.locator("#live-link").get_attribute("href")
    assert link.startswith("/r/")

    phone_ctx = browser.new_context(bypass_csp=True, locale="fi-FI", is_mobile=True,
                                    viewport={"width": 390, "height": 844})
    phone_ctx.set_default_timeout(10_000)
    phone = phone_ctx.new_page()
    phone.goto(f"{live_server.url}{link}")
    phone.click("label[for=q-nps-9]")
    phone.click("label[for=q-contact-no]")
    with phone.expect_navigation():
        phone.click("button.submit")
    assert "/thanks/" in phone.url
    phone_ctx.close()

    # The wizard page updates itself (htmx polls every 2 s) and celebrates.
    page.wait_for_selector(".celebrate[data-count='1']", timeout=8_000)
    assert page.url.endswith("/start/live/")
    live = page.locator("#live-region")
    assert live.get_attribute("aria-live") == "polite"
    assert live.locator(f"a[href='/o/{org.slug}/dashboards/']").count() == 1
    check_axe(page)
    assert time.monotonic() - started < 60
