"""A customer on a phone: open the QR link, switch to Swedish, answer, submit."""

import pytest

from kokemus.responses.models import Response
from tests.e2e.conftest import check_axe
from tests.surveys.helpers import make_point, make_touchpoint

pytestmark = pytest.mark.django_db(transaction=True)


def test_answer_on_a_phone_in_swedish(browser, live_server, tree):
    from django.core.cache import cache

    cache.clear()
    tp = make_touchpoint(tree.org)
    cp = make_point(tree.org, tree.kamppi, touchpoint=tp)
    ctx = browser.new_context(bypass_csp=True, locale="fi-FI",
                              viewport={"width": 390, "height": 844}, is_mobile=True)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/r/{cp.code}/")
    assert page.locator("html").get_attribute("lang") == "fi"
    page.click("a[lang=sv]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"
    assert "Hur troligt är det" in page.locator("#q-nps-box legend").inner_text()
    check_axe(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page scrolls sideways ({width}px)"

    # With JavaScript the follow-up questions appear only when their condition holds.
    assert page.locator("#q-improve-box").is_hidden()
    page.click("label[for=q-nps-3]")
    assert page.locator("#q-improve-box").is_visible()
    assert page.locator("#q-liked-box").is_hidden()
    page.fill("#q-improve", "Kortare kö, tack")
    page.click("label[for=q-contact-no]")
    page.click("button.submit")
    page.wait_for_url("**/thanks/?lang=sv")
    assert page.locator("#thanks").is_visible()
    check_axe(page)

    response = Response.objects.get()
    assert response.unit_id == tree.kamppi.pk
    assert response.touchpoint_id == tp.pk
    assert response.language == "sv"
    answers = {a.question_key: a for a in response.answers.all()}
    assert answers["nps"].value == 3 and answers["improve"].text == "Kortare kö, tack"
    ctx.close()


def test_error_page_is_accessible(browser, live_server, tree):
    from django.core.cache import cache

    cache.clear()
    cp = make_point(tree.org, tree.kamppi)
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    page.goto(f"{live_server.url}/r/{cp.code}/?lang=en")
    page.click("button.submit")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    check_axe(page)
    ctx.close()
