"""A manager builds a journey from the pharmacy template, reorders touchpoints with the
keyboard only and sees the new order on the map; axe-core clean on every journeys page."""

import pytest

from kokemus.accounts.audit import SYSTEM
from kokemus.journeys.actions import do_create_journey_from_template
from kokemus.journeys.models import Journey
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_axe, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_builds_and_reorders_with_keyboard(page, live_server, manager, tree):
    login(page, live_server, manager.email, PASSWORD)
    base = f"{live_server.url}/o/{tree.org.slug}/journeys/"
    page.goto(base)
    check_axe(page)

    # Two clicks: "New journey", then the template card.
    page.click("#new-journey")
    page.wait_for_url(f"{base}new/")
    assert page.is_checked(f"input[name=units][value='{tree.kamppi.pk}']")
    check_axe(page)
    page.click("#use-community_pharmacy")
    page.wait_for_url("**/edit/")
    journey = Journey.objects.get(organisation=tree.org)
    assert journey.template_key == "community_pharmacy"
    check_axe(page)

    awareness = journey.stages.get(key="awareness")
    first, second = list(awareness.touchpoints.order_by("position"))[:2]

    # Keyboard only: focus "Move down" on the first card and press Enter.
    page.focus(f"#tp-{first.pk}-down")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('#stage-{awareness.pk} .tp-list').children[1].id"
        f" === 'tp-{first.pk}'")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === "
                           f"'tp-{first.pk}-down'")
    status = page.locator("#journey-status")
    assert status.inner_text().strip() != ""
    assert status.get_attribute("aria-live") == "polite"
    order = page.eval_on_selector_all(f"#stage-{awareness.pk} .tp-list > li",
                                      "els => els.map(e => e.id)")
    assert order[:2] == [f"tp-{second.pk}", f"tp-{first.pk}"]
    # The focused button still works from the keyboard: move it once more.
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"() => document.querySelector('#stage-{awareness.pk} .tp-list').children[2].id"
        f" === 'tp-{first.pk}'")
    check_axe(page)

    page.goto(f"{base}{journey.pk}/")
    cards = page.eval_on_selector_all(
        f"[data-stage-id='{awareness.pk}'] .map-card", "els => els.map(e => e.id)")
    assert cards[0] == f"map-tp-{second.pk}" and cards[2] == f"map-tp-{first.pk}"
    check_axe(page)


def test_map_fits_a_narrow_phone(browser, live_server, staff, tree):
    journey = do_create_journey_from_template(SYSTEM, tree.org, "hospital_outpatient",
                                              units=[tree.kamppi])
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})
    page = ctx.new_page()
    login(page, live_server, staff.email, PASSWORD)
    for path in ("", f"{journey.pk}/"):
        page.goto(f"{live_server.url}/o/{tree.org.slug}/journeys/{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"page scrolls sideways at 360 px ({width}px)"
        check_axe(page)
    ctx.close()


def test_drag_and_drop_reorders(page, live_server, admin, tree):
    journey = do_create_journey_from_template(SYSTEM, tree.org, "community_pharmacy")
    awareness = journey.stages.get(key="awareness")
    arrival = journey.stages.get(key="arrival")
    tp = awareness.touchpoints.order_by("position").first()
    login(page, live_server, admin.email, PASSWORD)
    page.goto(f"{live_server.url}/o/{tree.org.slug}/journeys/{journey.pk}/edit/")
    target = arrival.touchpoints.order_by("position")[1]
    page.drag_and_drop(f"#tp-{tp.pk} .tp-card__name", f"#tp-{target.pk} .tp-card__name",
                       target_position={"x": 5, "y": 2})
    page.wait_for_function(f"() => document.querySelector('#stage-{arrival.pk} "
                           f"#tp-{tp.pk}') !== null && document.querySelector("
                           "'#journey-status').innerText.trim() !== ''")
    tp.refresh_from_db()
    assert tp.stage_id == arrival.pk and tp.position == 1
