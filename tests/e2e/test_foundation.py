"""A manager's first session: log in, switch to Swedish, manage units; axe-core clean."""

import pytest

from kokemus.accounts.models import Unit
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_axe, login, wait_for_htmx

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_switch_language_and_manage_units(page, live_server, admin, tree):
    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.locator("h1").inner_text() == "Kirjaudu sisään"
    check_axe(page)

    login(page, live_server, admin.email, PASSWORD)
    assert page.url.endswith(f"/o/{tree.org.slug}/")
    check_axe(page)

    page.select_option("#language-select", "sv")
    page.click(".language-form button")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "sv"

    page.click("nav.main-nav >> text=Enheter")
    page.wait_for_url(f"**/o/{tree.org.slug}/units/")
    check_axe(page)

    # Create a unit through the htmx form.
    page.fill("#id_name", "Ruoholahti")
    page.select_option("#id_parent", str(tree.south.pk))
    page.click("text=Lägg till enhet")
    page.wait_for_selector("td:has-text('Ruoholahti')")
    wait_for_htmx(page)
    unit = Unit.objects.get(name="Ruoholahti")
    assert unit.parent_id == tree.south.pk

    # Rename it inline, keyboard only.
    row = page.locator(f"#unit-{unit.pk}")
    row.get_by_role("link", name="Byt namn").focus()
    page.keyboard.press("Enter")
    field = page.locator(f"#unit-{unit.pk} input[name=name]")
    field.wait_for()
    wait_for_htmx(page)
    field.fill("Ruoholahti Itämerentori")
    field.press("Enter")
    page.wait_for_selector("td:has-text('Ruoholahti Itämerentori')")
    assert Unit.objects.get(pk=unit.pk).name == "Ruoholahti Itämerentori"
    check_axe(page)


def test_people_and_audit_pages_are_accessible(page, live_server, admin, tree, manager):
    login(page, live_server, admin.email, PASSWORD)
    for path in ("members/", "audit/"):
        page.goto(f"{live_server.url}/o/{tree.org.slug}/{path}")
        check_axe(page)


def test_narrow_phone_layout(browser, live_server, staff, tree):
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})
    page = ctx.new_page()
    login(page, live_server, staff.email, PASSWORD)
    page.goto(f"{live_server.url}/o/{tree.org.slug}/units/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page scrolls sideways at 360 px ({width}px)"
    check_axe(page)
    ctx.close()
