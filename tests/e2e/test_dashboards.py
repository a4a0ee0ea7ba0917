"""A manager's Monday: overview, filter to one site and one touchpoint, open the heatmap;
the numbers match kokemus.metrics on the same data; charts render under the product's CSP;
axe-core clean on every dashboard page."""

from __future__ import annotations

import random

import pytest

from kokemus.comments.analysis import analyse_pending_batch
from kokemus.metrics.scores import nps
from tests.analytics.helpers import finish, make_journey, make_survey, submit
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_axe, login

pytestmark = pytest.mark.django_db(transaction=True)


COMMENTS = ("Ystävällinen farmaseutti ja nopea palvelu", "Jono oli pitkä ja myyjä tyly",
            "Hinnat kalliit mutta neuvonta hyvää", "Kommentti")


@pytest.fixture
def data(tree, manager):
    journey, (door, counter, advice) = make_journey(tree.org, [tree.kamppi, tree.kallio])
    version = make_survey(tree.org)
    rng = random.Random(7)
    created = {}
    for unit, tps in ((tree.kamppi, (counter, door, advice)), (tree.kallio, (counter, door)),
                      (tree.oulu, (counter,))):
        for tp in tps:
            values = []
            for i in range(18):
                value = rng.choice([10, 10, 9, 9, 8, 7, 6, 4, 2])
                values.append(value)
                submit(version, unit, tp, value, days_ago=1 + (i * 5) % 85,
                       csat=rng.choice([5, 4, 4, 3, 2]), smiley=rng.choice([4, 3, 3, 2]),
                       emotion=rng.choice(["happy", "calm", "worried"]),
                       greeting=rng.choice([5, 4, 3]), waiting=rng.choice([5, 3, 2, 1]),
                       comment=f"{COMMENTS[i % len(COMMENTS)]} ({unit.name} {i})")
            created[(unit.pk, tp.pk)] = values
    # A touchpoint with too few responses: suppressed, its n not shown.
    submit(version, tree.kallio, advice, 10, days_ago=3)
    finish()
    analyse_pending_batch()  # sentiment and theme badges on the comments page
    return {"journey": journey, "counter": counter, "door": door, "advice": advice,
            "values": created}


def expected_nps(values) -> str:
    est = nps(sum(v >= 9 for v in values), sum(7 <= v <= 8 for v in values),
              sum(v <= 6 for v in values))
    return f"{float(est.value):+.0f}".replace("-", "−")


def test_manager_filters_and_heatmap_matches_metrics(browser, live_server, tree, manager, data):
    # The product's CSP stays on in this context (no bypass): charts must still render.
    ctx = browser.new_context(locale="fi-FI", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text)
            if "Content Security Policy" in m.text and "script" in m.text else None)
    try:
        login(page, live_server, manager.email, PASSWORD)
        page.goto(f"{live_server.url}/o/{tree.org.slug}/dashboards/")
        # Manager's scope: the region Etelä and its sites only.
        options = page.locator("#id_unit option").all_inner_texts()
        assert [o.strip() for o in options] == ["Etelä", "Kamppi", "Kallio"]
        page.wait_for_selector("div.chart[data-rendered=true] svg")
        assert not csp_errors, csp_errors

        page.select_option("#id_unit", str(tree.kamppi.pk))
        page.select_option("#id_touchpoint", str(data["counter"].pk))
        with page.expect_navigation():
            page.click(".dash-filters button[type=submit]")
        assert f"unit={tree.kamppi.pk}" in page.url and f"touchpoint={data['counter'].pk}" \
            in page.url
        values = data["values"][(tree.kamppi.pk, data["counter"].pk)]
        assert page.locator("[data-testid=kpi-nps]").inner_text() == expected_nps(values)
        page.wait_for_selector("div.chart[data-rendered=true] svg")

        with page.expect_navigation():
            page.click(".dash-tabs a[href*='heatmap']")
        assert f"touchpoint={data['counter'].pk}" in page.url  # filters carried over
        cell = page.locator(f"td[data-unit='{tree.kamppi.pk}']"
                            f"[data-touchpoint='{data['counter'].pk}']")
        assert cell.locator("[data-testid=cell-value]").inner_text() == expected_nps(values)
        assert f"n {len(values)}" in cell.inner_text()
        page.wait_for_selector("div.chart[data-spec-id=spec-emotion][data-rendered=true] svg")
        assert not csp_errors, csp_errors

        # Without the touchpoint filter: Kallio's 'advice' cell is suppressed, n not leaked.
        page.goto(f"{live_server.url}/o/{tree.org.slug}/dashboards/heatmap/")
        cell = page.locator(f"td[data-unit='{tree.kallio.pk}']"
                            f"[data-touchpoint='{data['advice'].pk}']")
        assert "heat-suppressed" in cell.get_attribute("class")
        assert "1" not in cell.inner_text()
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"/tmp/dash-heatmap-{width}.png", full_page=True)
    finally:
        ctx.close()


def test_dashboards_are_accessible(page, live_server, tree, manager, data):
    login(page, live_server, manager.email, PASSWORD)
    base = f"{live_server.url}/o/{tree.org.slug}/dashboards/"
    for name, path in (("overview", ""), ("heatmap", "heatmap/"), ("comparison", "comparison/"),
                       ("comments", "comments/"), ("drivers", "drivers/")):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(base + path)
        if page.locator("div.chart").count():
            page.wait_for_selector("div.chart[data-rendered=true] svg")
        check_axe(page)
        page.screenshot(path=f"/tmp/dash-{name}-1280.png", full_page=True)
        page.set_viewport_size({"width": 360, "height": 740})
        page.screenshot(path=f"/tmp/dash-{name}-360.png", full_page=True)
    page.goto(base + f"screen/{tree.kamppi.pk}/")
    check_axe(page)
    page.screenshot(path="/tmp/dash-screen-360.png", full_page=True)
