"""A manager writes a too-modest goal, sees why and the suggestion while typing, accepts the
suggestion and the flag is gone; axe-core clean on the goals list, the goal form and the
perception-gap result page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kokemus.accounts import actions as account_actions
from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Role
from kokemus.goals import actions
from kokemus.goals import series as S
from kokemus.goals.models import Prediction
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import check_axe, login
from tests.goals.helpers import monthly_shares, nps_counts, put
from tests.surveys.helpers import make_touchpoint

pytestmark = pytest.mark.django_db(transaction=True)

NOISY = [68, 72, 70, 71, 69, 73, 70, 68, 72, 70, 71, 69]


def test_manager_accepts_suggestion_for_too_modest_goal(page, live_server, manager, tree):
    today = S.today_for(tree.org)
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    monthly_shares(tree.org, tree.kallio, today, [80] * 12)
    login(page, live_server, manager.email, PASSWORD)
    base = f"{live_server.url}/o/{tree.org.slug}/goals/"
    page.goto(base)
    check_axe(page)
    page.click("#new-goal")
    page.wait_for_url(f"{base}new/")
    check_axe(page)

    page.select_option("#id_metric", "csat")
    page.select_option("#id_scope", "unit")
    page.select_option("#id_unit", str(tree.kamppi.pk))
    page.fill("#id_deadline", S.add_months(today, 9).isoformat())
    page.fill("#id_target", "74")
    page.press("#id_target", "Tab")
    flag = page.locator("#goal-check [data-flag='too_modest']")
    flag.wait_for()
    assert "74" in flag.inner_text()
    button = page.locator("#goal-check [data-accept='too_modest']")
    suggested = button.get_attribute("value").split("|")[0]
    assert float(suggested) > 77
    check_axe(page)

    button.click()
    page.wait_for_load_state()
    assert page.input_value("#id_target") == suggested
    assert page.locator("#goal-check [data-flag='too_modest']").count() == 0
    check_axe(page)


def test_perception_gap_result_page_is_accessible(page, live_server, manager, tree):
    today = S.today_for(tree.org)
    tp1, tp2 = make_touchpoint(tree.org, "counter"), make_touchpoint(tree.org, "door")
    rnd = actions.do_open_round(Actor(user=manager), tree.org, title="Kevät", unit=tree.south,
                                period_start=today - timedelta(days=30),
                                period_end=today - timedelta(days=1), touchpoints=[tp1, tp2])
    for tp, (p, d) in ((tp1, (30, 10)), (tp2, (20, 15))):
        put(tree.org, tree.kamppi, today - timedelta(days=3), "nps", nps_counts(p, d, 60),
            touchpoint_id=tp.pk)
        put(tree.org, tree.kamppi, today - timedelta(days=3), "expectations",
            {5: 10, 3: 40}, touchpoint_id=tp.pk)
    for i in range(5):
        u = make_user(f"p{i}@a.example")
        account_actions.do_add_member(SYSTEM, tree.org, user=u, role=Role.STAFF,
                                      unit=tree.kamppi)
        for tp in (tp1, tp2):
            Prediction.objects.create(organisation=tree.org, round=rnd, user=u, touchpoint=tp,
                                      positive_pct=80 + i, exceeded_pct=60)
    login(page, live_server, manager.email, PASSWORD)
    page.goto(f"{live_server.url}/o/{tree.org.slug}/goals/rounds/{rnd.pk}/")
    page.locator("#gap-headline").wait_for()
    page.locator("div.chart[data-rendered='true'] svg").first.wait_for()
    check_axe(page)
