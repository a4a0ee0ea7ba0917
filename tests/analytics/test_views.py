"""Dashboard pages: numbers from kokemus.metrics, suppression, role visibility, query counts,
CSV downloads, escaping."""

import csv
import io
import re

import pytest

from kokemus.metrics.scores import nps, top_box
from tests.analytics.helpers import finish, submit, submit_many
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

BASE = "/o/testi/dashboards/"
PAGES = ["", "heatmap/", "comparison/", "drivers/", "comments/"]


def kpi(response, key="nps"):
    m = re.search(rf'data-testid="kpi-{key}">([^<]*)<', response.content.decode())
    return m.group(1) if m else None


@pytest.fixture
def data(tree, setup):
    kamppi = [10, 9, 9, 8, 7, 6, 3, 10]
    kallio = [2, 4, 9, 10, 6, 5]
    submit_many(setup.version, tree.kamppi, setup.counter, kamppi, days=(1, 8, 15, 22),
                csat=5, comment="Hyvä <script>alert(1)</script>", greeting=4, waiting=2)
    submit_many(setup.version, tree.kallio, setup.door, kallio, days=(2, 9, 16), csat=2,
                greeting=2, waiting=5)
    submit_many(setup.version, tree.oulu, setup.counter, [10, 10, 10], csat=4)
    finish()
    return {"kamppi": kamppi, "kallio": kallio}


def fmt(est):
    return f"{float(est.value):+.0f}".replace("-", "−")


def counts(values):
    return (sum(v >= 9 for v in values), sum(7 <= v <= 8 for v in values),
            sum(v <= 6 for v in values))


def test_overview_headline_matches_metrics(admin_client, tree, data):
    all_values = data["kamppi"] + data["kallio"] + [10, 10, 10]
    r = admin_client.get(BASE)
    assert r.status_code == 200
    assert kpi(r) == fmt(nps(*counts(all_values)))
    csat = top_box([0, 6, 0, 3, 8])
    assert kpi(r, "csat") == f"{float(csat.value) * 100:.0f} %"
    r = admin_client.get(BASE, {"unit": tree.kamppi.pk, "touchpoint": ""})
    assert kpi(r) == fmt(nps(*counts(data["kamppi"])))
    assert kpi(r, "responses") == str(len(data["kamppi"]))


def test_small_unit_is_suppressed_without_leaking_n(admin_client, tree, data):
    r = admin_client.get(BASE, {"unit": tree.oulu.pk})
    assert kpi(r) == "–"
    body = r.content.decode()
    assert "too few responses to show" in body or "liian vähän" in body.lower() or \
        'kpi__value--muted' in body
    assert "n = 3" not in body


def test_heatmap_cells(admin_client, tree, setup, data):
    r = admin_client.get(BASE + "heatmap/", {"unit": tree.south.pk})
    body = r.content.decode()
    cell = re.search(rf'data-touchpoint="{setup.counter.pk}" data-unit="{tree.kamppi.pk}"'
                     r'.*?data-testid="cell-value">([^<]*)<', body, re.S)
    assert cell.group(1) == fmt(nps(*counts(data["kamppi"])))
    assert "heat-suppressed" not in body or "n 3" not in body


def test_comparison_league_and_funnel(admin_client, tree, data):
    r = admin_client.get(BASE + "comparison/", {"unit": tree.south.pk})
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-testid="league"' in body and "spec-funnel" in body
    r = admin_client.get(BASE + "comparison/", {"unit": tree.south.pk, "csv": "funnel"})
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert {row[0] for row in rows[1:]} == {"Kamppi", "Kallio"}


def test_trend_csv_matches_table(admin_client, data):
    r = admin_client.get(BASE, {"csv": "trend-nps"})
    assert r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    assert admin_client.get(BASE, {"csv": "nope"}).status_code == 404


def test_comments_escaped_searchable_and_paginated(admin_client, tree, setup, data):
    r = admin_client.get(BASE + "comments/")
    body = r.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    r = admin_client.get(BASE + "comments/", {"q": "nothing-like-this"})
    assert "&lt;script&gt;" not in r.content.decode()
    submit_many(setup.version, tree.kamppi, setup.counter, [9] * 30, comment="Sivutus")
    r = admin_client.get(BASE + "comments/", {"q": "sivutus"})
    assert r.content.decode().count('class="comment"') == 25
    r = admin_client.get(BASE + "comments/", {"q": "sivutus", "page": 2})
    assert r.content.decode().count('class="comment"') == 5


def test_comments_show_their_sentiment_and_themes_and_a_theme_summary(admin_client, tree,
                                                                      setup):
    from kokemus.comments.analysis import analyse_pending_batch
    from kokemus.text import Taxonomy

    submit(setup.version, tree.kamppi, setup.counter, 3, comment="Jono oli pitkä ja myyjä tyly.")
    submit(setup.version, tree.kamppi, setup.counter, 10,
           comment="Ystävällinen farmaseutti, kiitos!")
    body = admin_client.get(BASE + "comments/").content.decode()
    assert 'class="comment__analysis"' not in body  # the background analysis is pending
    assert 'id="themes-h"' in body and 'class="empty-state"' in body
    analyse_pending_batch()
    r = admin_client.get(BASE + "comments/")
    body = r.content.decode()
    assert body.count('class="comment__analysis"') == 2
    assert "sentiment--negative" in body and "sentiment--positive" in body
    language = r["Content-Language"][:2]
    waiting = Taxonomy.default().label("waiting", language)
    summary = body.split('id="themes-h"')[1].split("</section>")[0]
    assert f'<th scope="row">{waiting}</th>' in summary
    # Each theme's own sentiment is told in words, not by colour alone.
    assert 'class="visually-hidden">: ' in body


def test_emerging_topics_on_the_comments_page(admin_client, tree, setup):
    from kokemus.comments.analysis import analyse_pending_batch

    for i in range(60):  # the year before: ordinary comments
        submit(setup.version, tree.kamppi, setup.counter, 9, days_ago=40 + 4 * i,
               comment=("Hyvä palvelu ja ystävällinen farmaseutti", "Nopeasti pääsin asioimaan",
                        "Kiitos avusta")[i % 3])
    for i in range(24):  # the last 30 days: the new car park is full
        submit(setup.version, tree.kamppi, setup.counter, 5, days_ago=1 + i % 20,
               comment=("Parkkihalli oli taas täynnä", "Hyvä palvelu")[i % 2])
    analyse_pending_batch()
    body = admin_client.get(BASE + "comments/", {"period": "30"}).content.decode()
    section = body.split('id="emerging-h"')[1].split("</section>")[0]
    assert "parkkihalli" in section and "q=parkkihalli" in section
    assert "palvelu" not in section  # as common as before
    # A unit without those comments has none.
    body = admin_client.get(BASE + "comments/", {"period": "30", "unit": tree.kallio.pk}
                            ).content.decode()
    section = body.split('id="emerging-h"')[1].split("</section>")[0]
    assert "parkkihalli" not in section and 'class="empty-state"' in section


def test_drivers_page(admin_client, tree, setup):
    import random
    rng = random.Random(3)
    for _i in range(40):
        g, w = rng.randint(1, 5), rng.randint(1, 5)
        submit(setup.version, tree.kamppi, setup.counter, min(10, max(0, 2 * g + rng.randint(-1,
               1))), greeting=g, waiting=w)
    finish()
    r = admin_client.get(BASE + "drivers/")
    assert r.status_code == 200
    assert "spec-drivers" in r.content.decode()


# --- Visibility ------------------------------------------------------------------------

def unit_options(response):
    return re.findall(r'<option value="(\d+)"', response.content.decode().split(
        'id="id_unit"')[1].split("</select>")[0])


def test_staff_sees_only_their_unit(staff_client, tree, data):
    r = staff_client.get(BASE)
    assert unit_options(r) == [str(tree.kamppi.pk)]
    assert kpi(r) == fmt(nps(*counts(data["kamppi"])))
    assert staff_client.get(BASE, {"unit": tree.kallio.pk}).status_code == 400
    assert staff_client.get(BASE + "comparison/", {"unit": tree.root.pk}).status_code == 400
    assert staff_client.get(BASE + f"screen/{tree.kamppi.pk}/").status_code == 200
    assert staff_client.get(BASE + f"screen/{tree.oulu.pk}/").status_code == 404


def test_manager_sees_their_subtree(manager_client, tree, data):
    r = manager_client.get(BASE)
    assert unit_options(r) == [str(u.pk) for u in (tree.south, tree.kamppi, tree.kallio)]
    assert kpi(r) == fmt(nps(*counts(data["kamppi"] + data["kallio"])))
    assert manager_client.get(BASE, {"unit": tree.oulu.pk}).status_code == 400
    r = manager_client.get(BASE + "comments/")
    assert "Oulu" not in r.content.decode().split('id="comments-h"')[1]


def test_admin_sees_everything(admin_client, tree, data):
    r = admin_client.get(BASE)
    assert len(unit_options(r)) == 6


def test_cross_org_is_404(outsider_client, anon_client, tree, data):
    for page in [*PAGES, f"screen/{tree.kamppi.pk}/"]:
        assert outsider_client.get(BASE + page).status_code == 404
        assert anon_client.get(BASE + page).status_code == 302
    # the outsider's own org does not reveal ours either
    assert outsider_client.get(f"/o/toinen/dashboards/screen/{tree.kamppi.pk}/").status_code \
        == 404


def test_bad_input_is_400_not_500(admin_client, data):
    for params in ({"period": "custom", "start": "2025-05-01", "end": "2025-01-01"},
                   {"period": "custom"}, {"start": "not-a-date", "period": "custom"},
                   {"unit": "abc"}, {"touchpoint": "999999"}, {"channel": "pigeon"},
                   {"period": "custom", "start": "2000-01-01", "end": "2025-01-01"}):
        assert admin_client.get(BASE, params).status_code == 400


def test_custom_period(admin_client, tree, data):
    from datetime import timedelta

    from kokemus.analytics.queries import local_today
    today = local_today(tree.org)
    r = admin_client.get(BASE, {"period": "custom", "start": today - timedelta(days=5),
                                "end": today, "unit": tree.kamppi.pk})
    assert r.status_code == 200
    assert kpi(r, "responses") == "2"


# --- Query counts: independent of responses and units ---------------------------------

@pytest.mark.parametrize("page", PAGES)
def test_query_count_is_bounded(django_assert_max_num_queries, tree, setup, admin, page):
    from kokemus.accounts import actions
    from kokemus.accounts.audit import SYSTEM
    for i in range(10):
        unit = actions.do_create_unit(SYSTEM, tree.org, name=f"Uusi {i}", parent=tree.south)
        submit_many(setup.version, unit, setup.counter, [9, 7, 3, 10, 10, 8], comment="Hei",
                    greeting=4, waiting=3, csat=4)
    finish()
    client = client_for(admin)
    # The comments page also reads the organisation's taxonomy, the top themes, and for the
    # emerging topics the cache and the two periods' comments: a constant five more.
    with django_assert_max_num_queries(20 if page == "comments/" else 15):
        assert client.get(BASE + page, {"unit": tree.south.pk}).status_code == 200


def test_screen_query_count(django_assert_max_num_queries, admin_client, tree, data):
    with django_assert_max_num_queries(12):
        r = admin_client.get(BASE + f"screen/{tree.kamppi.pk}/")
    assert r.status_code == 200
    r = admin_client.get(BASE + f"screen/{tree.kamppi.pk}/", HTTP_HX_REQUEST="true")
    assert b"<html" not in r.content and b"hx-trigger" not in r.content
