"""The screenshot sweep (scripts/screenshots.py) on the pages onboarding owns, at 360 px and
1280 px: no serious or critical axe-core violations, no sideways scrolling on a phone.
The full sweep over the demo data runs with ``make screenshots``."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from kokemus.onboarding.models import OnboardingProgress
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

_spec = importlib.util.spec_from_file_location(
    "kokemus_screenshots", Path(__file__).resolve().parents[2] / "scripts" / "screenshots.py")
shots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shots)


def test_onboarding_pages_are_accessible_at_both_widths(browser, live_server, tree, tmp_path):
    from kokemus.accounts.audit import Actor
    from kokemus.onboarding import actions

    org = tree.org
    OnboardingProgress.objects.create(organisation=org)
    actions.do_create_sector_journey(Actor(user=tree.org.memberships.first().user), org)
    actions.do_create_default_surveys(Actor(user=None), org)
    out = Path(os.environ.get("KOKEMUS_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)

    def pages_for(persona, page):
        if persona == "anonymous":
            return ["/signup/"]
        steps = ["organisation", "units", "journey", "surveys", "promise", "posters",
                 "invite", "live"]
        return ["/styleguide/", f"/o/{org.slug}/",
                *[f"/o/{org.slug}/start/{s}/" for s in steps]]

    results = shots.sweep(browser, live_server.url,
                          {"anonymous": None, "admin": ("admin@a.example", PASSWORD)},
                          pages_for, out)
    assert len(results) == 2 * (1 + 10)
    bad = [r for r in results if r["violations"] or r["status"] != 200]
    assert not bad, bad
    assert (out / "admin-styleguide-360.png").exists()


def test_no_sideways_scrolling_on_a_phone(browser, live_server, tree):
    from tests.e2e.conftest import login

    OnboardingProgress.objects.create(organisation=tree.org)
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 800})
    page = ctx.new_page()
    login(page, live_server, "admin@a.example", PASSWORD)
    for path in ["/styleguide/", f"/o/{tree.org.slug}/start/promise/",
                 f"/o/{tree.org.slug}/start/live/", f"/o/{tree.org.slug}/"]:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways ({width}px)"
    ctx.close()
