from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from kokemus.accounts import actions as account_actions
from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Role
from kokemus.goals import actions
from kokemus.goals import series as S
from kokemus.goals.models import Goal, Prediction, PredictionRound, ServicePromise
from tests.conftest import client_for, make_user
from tests.goals.helpers import monthly_shares, nps_counts, put
from tests.surveys.helpers import make_touchpoint

pytestmark = pytest.mark.django_db

NOISY = [68, 72, 70, 71, 69, 73, 70, 68, 72, 70, 71, 69]


def url(name, org, *args):
    return reverse(name, args=[org.slug, *args])


def form_data(tree, today, **kw):
    data = {"aim": "", "metric": "csat", "behaviour": "", "scope": "unit",
            "unit": tree.kamppi.pk, "touchpoint": "", "target": "74", "baseline_start": "",
            "baseline_end": "", "deadline": S.add_months(today, 9).isoformat(), "owner": ""}
    data.update(kw)
    return data


def test_staff_reads_goals_but_cannot_create(staff_client, tree):
    assert staff_client.get(url("goal_list", tree.org)).status_code == 200
    assert staff_client.get(url("goal_new", tree.org)).status_code == 403
    assert staff_client.post(url("goal_check", tree.org), {}).status_code == 403


def test_outsider_gets_404(outsider_client, tree, today):
    g = actions.do_create_goal(SYSTEM, tree.org, metric="nps", scope="organisation", target=1,
                               deadline=S.add_months(today, 3))
    assert outsider_client.get(url("goal_list", tree.org)).status_code == 404
    assert outsider_client.get(url("goal_detail", tree.org, g.pk)).status_code == 404
    # Another organisation's goal id under one's own organisation is 404 too.
    assert outsider_client.get(reverse("goal_detail", args=["toinen", g.pk])).status_code == 404


def test_check_endpoint_shows_too_modest_with_suggestion(manager_client, tree, today):
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    r = manager_client.post(url("goal_check", tree.org), form_data(tree, today))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-flag="too_modest"' in html and 'data-accept="too_modest"' in html


def test_form_is_htmx_wired_and_works_without_js(manager_client, tree, today):
    html = manager_client.get(url("goal_new", tree.org)).content.decode()
    assert 'hx-trigger="change, keyup changed delay:500ms"' in html
    assert url("goal_check", tree.org) in html and 'aria-live="polite"' in html
    monthly_shares(tree.org, tree.kamppi, today, NOISY)
    # Accepting a suggestion re-renders the form with the suggested values, saving nothing.
    r = manager_client.post(url("goal_new", tree.org),
                            {**form_data(tree, today), "accept": "80|"})
    assert r.status_code == 200 and not Goal.objects.exists()
    assert r.context["form"]["target"].value() == "80"
    assert "too_modest" not in {f.code for f in r.context["analysis"].flags}
    r = manager_client.post(url("goal_new", tree.org), form_data(tree, today, target="80"))
    goal = Goal.objects.get()
    assert r.status_code == 302 and goal.target == 80
    assert manager_client.get(url("goal_detail", tree.org, goal.pk)).status_code == 200
    assert manager_client.get(url("goal_list", tree.org)).status_code == 200


def test_bad_input_is_400_or_form_error_never_500(manager_client, tree, today):
    r = manager_client.post(url("goal_new", tree.org), form_data(tree, today, target="x",
                                                                 unit="999999"))
    assert r.status_code == 200 and r.context["form"].errors
    r = manager_client.post(url("goal_new", tree.org), form_data(tree, today, target="500"))
    assert "target" in r.context["form"].errors
    r = manager_client.post(url("goal_new", tree.org),
                            {**form_data(tree, today), "accept": "garbage|zz"})
    assert r.status_code == 200


def test_manager_cannot_create_outside_scope(manager_client, tree, today):
    r = manager_client.post(url("goal_new", tree.org), form_data(tree, today, unit=tree.oulu.pk))
    assert r.status_code == 200 and "unit" in r.context["form"].errors
    assert not Goal.objects.exists()


def test_only_admin_writes_the_promise(admin_client, manager_client, tree):
    data = {"promise_fi": "Haluamme yllättää jokaisen asiakkaan myönteisesti.",
            "promise_sv": "", "promise_en": "", "intent_fi": "", "intent_sv": "",
            "intent_en": ""}
    assert manager_client.post(url("goals_promise", tree.org), data).status_code == 403
    assert admin_client.post(url("goals_promise", tree.org), data).status_code == 302
    data["promise_fi"] = "Uusi versio."
    admin_client.post(url("goals_promise", tree.org), data)
    assert ServicePromise.objects.count() == 2
    html = manager_client.get(url("goals_promise", tree.org)).content.decode()
    assert "Uusi versio." in html and "Haluamme yllättää" in html
    assert "Uusi versio." in manager_client.get(url("goal_list", tree.org)).content.decode()


@pytest.fixture
def round_setup(tree, manager, today):
    tp1, tp2 = make_touchpoint(tree.org, "counter"), make_touchpoint(tree.org, "door")
    people = []
    for i in range(6):
        u = make_user(f"s{i}@a.example")
        account_actions.do_add_member(SYSTEM, tree.org, user=u, role=Role.STAFF,
                                      unit=tree.kamppi)
        people.append(u)
    return tp1, tp2, people


def test_round_flow_private_predictions_and_suppression(manager_client, tree, round_setup,
                                                        today):
    tp1, tp2, people = round_setup
    r = manager_client.post(url("round_new", tree.org), {
        "title": "Kevät", "unit": tree.south.pk, "period_start": today.isoformat(),
        "period_end": (today + timedelta(days=10)).isoformat(), "positive_measure": "nps",
        "touchpoints": [tp1.pk, tp2.pk]})
    assert r.status_code == 302
    rnd = PredictionRound.objects.get()
    detail = url("round_detail", tree.org, rnd.pk)
    clients = [client_for(u) for u in people]
    for i, c in enumerate(clients[:4]):
        r = c.post(detail, {f"positive_{tp1.pk}": 90 + i, f"exceeded_{tp1.pk}": 70,
                            f"positive_{tp2.pk}": 80, f"exceeded_{tp2.pk}": 60})
        assert r.status_code == 302
    assert clients[0].post(detail, {f"positive_{tp1.pk}": 190}).status_code == 400
    # Private: another member's page does not show someone else's values.
    html = clients[5].get(detail).content.decode()
    assert 'value="91"' not in html
    assert 'value="91"' in clients[1].get(detail).content.decode()
    # After the period: fewer than five people → no aggregates.
    put(tree.org, tree.kamppi, today, "nps", nps_counts(20, 10, 40), touchpoint_id=tp1.pk)
    PredictionRound.objects.filter(pk=rnd.pk).update(period_start=today - timedelta(days=5),
                                                     period_end=today - timedelta(days=1))
    put(tree.org, tree.kamppi, today - timedelta(days=2), "nps", nps_counts(20, 10, 40),
        touchpoint_id=tp1.pk)
    r = clients[0].get(detail)
    assert not r.context["results"]["enough_people"]
    assert not r.context["results"]["headline"]["positive"]["expected"].shown
    assert clients[0].post(detail, {f"positive_{tp1.pk}": 50}).status_code == 400  # closed
    Prediction.objects.bulk_create([
        Prediction(organisation=tree.org, round=rnd, user=u, touchpoint=tp, positive_pct=88,
                   exceeded_pct=70) for u in people[4:] for tp in (tp1, tp2)])
    r = clients[0].get(detail)
    res = r.context["results"]
    assert res["enough_people"] and res["people"] == 6
    row = res["rows"][0]
    assert row["actual_positive"].value == pytest.approx(50)
    assert row["predicted_positive"].shown and row["predicted_positive"].value > 85
    assert row["actual_positive"].low < 50 < row["actual_positive"].high
    assert b"gap-headline" in r.content and b"spec-gap-" in r.content


def test_staff_cannot_open_rounds_and_outsider_gets_404(staff_client, outsider_client, tree,
                                                        manager, today):
    assert staff_client.get(url("round_new", tree.org)).status_code == 403
    tp = make_touchpoint(tree.org)
    rnd = actions.do_open_round(Actor(user=manager), tree.org, title="x", unit=tree.south,
                                period_start=today, period_end=today, touchpoints=[tp])
    assert staff_client.get(url("round_detail", tree.org, rnd.pk)).status_code == 200
    assert outsider_client.get(url("round_detail", tree.org, rnd.pk)).status_code == 404
    assert staff_client.get(url("round_list", tree.org)).status_code == 200
