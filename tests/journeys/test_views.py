import io
import json

import pytest
from django.urls import reverse
from django.utils import translation

from kokemus.accounts.audit import SYSTEM
from kokemus.journeys import actions
from kokemus.journeys.models import Journey, Touchpoint
from tests.conftest import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, tree, *args):
    return reverse(name, args=[tree.org.slug, *args])


def all_urls(tree, journey):
    stage = journey.stages.first()
    tp = stage.touchpoints.first()
    get = [url("journey_list", tree), url("journey_new", tree), url("journey_import", tree),
           url("journey_map", tree, journey.pk), url("journey_edit", tree, journey.pk),
           url("journey_export", tree, journey.pk),
           url("journey_stage_edit", tree, stage.pk),
           url("journey_touchpoint_card", tree, tp.pk),
           url("journey_touchpoint_edit", tree, tp.pk)]
    post = [url("journey_stage_add", tree, journey.pk),
            url("journey_stage_move", tree, stage.pk),
            url("journey_stage_archive", tree, stage.pk),
            url("journey_stage_restore", tree, stage.pk),
            url("journey_touchpoint_add", tree, stage.pk),
            url("journey_touchpoint_move", tree, tp.pk),
            url("journey_touchpoint_remove", tree, tp.pk),
            url("journey_touchpoint_restore", tree, tp.pk)]
    return get, post


def test_outsider_gets_404_on_every_journey_url(tree, journey, outsider_client):
    get, post = all_urls(tree, journey)
    for u in get + post:
        assert outsider_client.get(u).status_code == 404, u
        assert outsider_client.post(u, {"direction": "down"}).status_code == 404, u
    assert Touchpoint.objects.filter(journey=journey).count() == 34


def test_other_orgs_objects_are_404_inside_own_org(tree, journey, outsider, outsider_client):
    """An id of another organisation's journey under the outsider's own slug: 404."""
    get, post = all_urls(tree, journey)
    for u in get[3:] + post:
        own = u.replace(f"/o/{tree.org.slug}/", "/o/toinen/")
        assert outsider_client.get(own).status_code in (404, 405), own
        assert outsider_client.post(own, {"direction": "down"}).status_code == 404, own


def test_staff_can_view_but_not_edit(tree, journey, staff_client):
    get, post = all_urls(tree, journey)
    assert staff_client.get(url("journey_list", tree)).status_code == 200
    assert staff_client.get(url("journey_map", tree, journey.pk)).status_code == 200
    for u in get[1:3] + get[4:] + post:
        assert staff_client.post(u, {"direction": "down"}).status_code == 403, u
    for u in get[1:3] + get[4:]:
        assert staff_client.get(u).status_code == 403, u
    html = staff_client.get(url("journey_list", tree)).content.decode()
    assert 'id="new-journey"' not in html
    assert journey.versions.count() == 1


def test_anonymous_is_sent_to_login(tree, journey, anon_client):
    response = anon_client.get(url("journey_list", tree))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_nav_has_journeys(tree, staff_client):
    html = staff_client.get(reverse("org_home", args=[tree.org.slug])).content.decode()
    assert f'href="{url("journey_list", tree)}"' in html


def test_manager_creates_from_template_in_two_clicks(tree, manager_client):
    page = manager_client.get(url("journey_list", tree)).content.decode()
    assert f'href="{url("journey_new", tree)}"' in page
    response = manager_client.get(url("journey_new", tree))
    html = response.content.decode()
    for key in ("community_pharmacy", "online_pharmacy", "hospital_outpatient", "care_home",
                "generic_service"):
        assert f'id="use-{key}"' in html
    # the manager's visible sites are preselected; other regions' units are not offered
    form = response.context["form"]
    assert set(form.initial["units"]) == {tree.kamppi.pk, tree.kallio.pk}
    assert f'value="{tree.oulu.pk}"' not in html
    refused = manager_client.post(url("journey_new", tree), {
        "template": "community_pharmacy", "units": [tree.kamppi.pk, tree.oulu.pk]})
    assert refused.status_code == 400  # oulu is outside the manager's scope
    response = manager_client.post(url("journey_new", tree), {
        "template": "community_pharmacy", "units": [tree.kamppi.pk]})
    journey = Journey.objects.get(organisation=tree.org)
    assert response.status_code == 302
    assert response["Location"] == url("journey_edit", tree, journey.pk)
    assert list(journey.units.all()) == [tree.kamppi]
    assert journey.stages.first().key == "awareness"
    editor = manager_client.get(response["Location"])
    assert editor.status_code == 200
    assert f'id="tp-{journey.touchpoints.first().pk}-down"' in editor.content.decode()


def test_unknown_template_is_400(tree, manager_client):
    response = manager_client.post(url("journey_new", tree), {"template": "nope"})
    assert response.status_code == 400
    assert not Journey.objects.exists()


def test_keyboard_move_persists_and_announces(tree, journey, manager_client):
    stage = journey.stages.get(key="awareness")
    first, second = list(stage.touchpoints.order_by("position"))[:2]
    with translation.override("en"):
        response = manager_client.post(url("journey_touchpoint_move", tree, first.pk),
                                       {"direction": "down"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-focus="tp-{first.pk}-down"' in html
    assert 'id="journey-status" hx-swap-oob="innerHTML"' in html
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, second.position) == (1, 0)
    journey.refresh_from_db()
    assert journey.version == 2
    # the map shows the new order
    map_html = manager_client.get(url("journey_map", tree, journey.pk)).content.decode()
    assert map_html.index(f'id="map-tp-{second.pk}"') < map_html.index(f'id="map-tp-{first.pk}"')
    # across stages
    manager_client.post(url("journey_touchpoint_move", tree, first.pk), {"direction": "next"},
                        **HTMX)
    first.refresh_from_db()
    assert first.stage.key == "arrival" and first.position == 0
    # a no-op move (already first in stage) keeps everything and answers 200
    version = Journey.objects.get(pk=journey.pk).version
    response = manager_client.post(url("journey_touchpoint_move", tree, first.pk),
                                   {"direction": "up"}, **HTMX)
    assert response.status_code == 200
    assert Journey.objects.get(pk=journey.pk).version == version


def test_drag_and_drop_move(tree, journey, manager_client):
    awareness = journey.stages.get(key="awareness")
    waiting = journey.stages.get(key="waiting")
    tp = awareness.touchpoints.order_by("position").first()
    response = manager_client.post(url("journey_touchpoint_move", tree, tp.pk),
                                   {"stage": waiting.pk, "position": 2}, **HTMX)
    assert response.status_code == 200
    tp.refresh_from_db()
    assert (tp.stage_id, tp.position) == (waiting.pk, 2)
    bad = manager_client.post(url("journey_touchpoint_move", tree, tp.pk),
                              {"stage": "x", "position": 0})
    assert bad.status_code == 400


def test_move_without_javascript_redirects(tree, journey, manager_client):
    tp = journey.touchpoints.order_by("position").first()
    response = manager_client.post(url("journey_touchpoint_move", tree, tp.pk),
                                   {"direction": "down"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#tp-{tp.pk}")


def test_add_touchpoint_validation_errors(tree, journey, manager_client):
    stage = journey.stages.get(key="awareness")
    prefix = f"s{stage.pk}"
    # the page language (fi for this client) is required
    response = manager_client.post(url("journey_touchpoint_add", tree, stage.pk), {
        f"{prefix}-name_fi": "", f"{prefix}-name_en": "Flyers",
        f"{prefix}-channel": "physical"}, **HTMX)
    assert response.status_code == 422
    assert response.context["columns"][0]["add_form"].errors["name_fi"]
    # duplicate name, case-insensitive
    response = manager_client.post(url("journey_touchpoint_add", tree, stage.pk), {
        f"{prefix}-name_fi": "APTEEKIN ULKOKYLTTI", f"{prefix}-channel": "physical"}, **HTMX)
    assert response.status_code == 422
    assert f'id="id_{prefix}-name_fi_errors"' in response.content.decode()
    response = manager_client.post(url("journey_touchpoint_add", tree, stage.pk), {
        f"{prefix}-name_fi": "Esitteet", f"{prefix}-name_sv": "Broschyrer",
        f"{prefix}-channel": "physical", f"{prefix}-moment_that_matters": "on"}, **HTMX)
    assert response.status_code == 200
    tp = Touchpoint.objects.get(journey=journey, name__fi="Esitteet")
    assert tp.name == {"fi": "Esitteet", "sv": "Broschyrer"}
    assert tp.moment_that_matters and tp.position == 4


def test_inline_edit_touchpoint_keeps_other_languages(tree, journey, manager_client):
    tp = journey.touchpoints.get(key="sign_outside")
    form_html = manager_client.get(url("journey_touchpoint_edit", tree, tp.pk), **HTMX)
    assert form_html.status_code == 200 and "is-editing" in form_html.content.decode()
    p = f"tp{tp.pk}"
    response = manager_client.post(url("journey_touchpoint_edit", tree, tp.pk), {
        f"{p}-name_fi": "Ulkokyltti", f"{p}-name_sv": tp.name["sv"], f"{p}-name_en": "",
        f"{p}-channel": "physical", f"{p}-owner_role": "Apteekkari",
        f"{p}-description": "Uusi kuvaus."}, **HTMX)
    assert response.status_code == 200
    tp.refresh_from_db()
    assert tp.name == {"fi": "Ulkokyltti", "sv": "Apotekets skylt utanför"}
    assert tp.description["fi"] == "Uusi kuvaus." and "en" in tp.description
    response = manager_client.post(url("journey_touchpoint_edit", tree, tp.pk), {
        f"{p}-name_fi": "", f"{p}-channel": "physical"}, **HTMX)
    assert response.status_code == 422


def test_remove_touchpoint_with_responses_archives(tree, journey, manager_client,
                                                   used_touchpoints):
    tp = journey.touchpoints.get(key="sign_outside")
    used_touchpoints.add(tp.pk)
    response = manager_client.post(url("journey_touchpoint_remove", tree, tp.pk), **HTMX)
    assert response.status_code == 200
    tp.refresh_from_db()
    assert tp.archived_at is not None
    assert f'id="archived-tp-{tp.pk}"' in response.content.decode()
    other = journey.touchpoints.get(key="local_ads")
    manager_client.post(url("journey_touchpoint_remove", tree, other.pk), **HTMX)
    assert not Touchpoint.objects.filter(pk=other.pk).exists()


def test_stage_add_rename_move_archive(tree, journey, manager_client):
    r = manager_client.post(url("journey_stage_add", tree, journey.pk),
                            {"new-stage-name_fi": "Jälkihoito"}, **HTMX)
    assert r.status_code == 200
    stage = journey.stages.get(name__fi="Jälkihoito")
    r = manager_client.post(url("journey_stage_add", tree, journey.pk),
                            {"new-stage-name_fi": "jälkihoito"}, **HTMX)
    assert r.status_code == 422
    r = manager_client.post(url("journey_stage_edit", tree, stage.pk),
                            {f"stage{stage.pk}-name_fi": "Kotona"}, **HTMX)
    assert r.status_code == 200 and r["HX-Retarget"] == "#journey-board"
    stage.refresh_from_db()
    assert stage.name["fi"] == "Kotona"
    last = stage.position
    manager_client.post(url("journey_stage_move", tree, stage.pk), {"direction": "left"}, **HTMX)
    stage.refresh_from_db()
    assert stage.position == last - 1
    manager_client.post(url("journey_stage_archive", tree, stage.pk), **HTMX)
    stage.refresh_from_db()
    assert stage.archived_at is not None


def test_rename_journey_and_units(tree, journey, manager_client):
    r = manager_client.post(url("journey_edit", tree, journey.pk), {
        "form": "details", "name_fi": "Oma polku", "name_sv": "", "name_en": "Our journey",
        "persona": "Kanta-asiakas", "description": ""})
    assert r.status_code == 302
    journey.refresh_from_db()
    assert journey.name == {"fi": "Oma polku", "en": "Our journey"}
    assert journey.persona["fi"] == "Kanta-asiakas" and journey.persona["en"]
    journey.units.add(tree.oulu)  # outside the manager's scope: must be kept
    r = manager_client.post(url("journey_edit", tree, journey.pk),
                            {"form": "units", "units-units": [tree.kallio.pk]})
    assert r.status_code == 302
    assert set(journey.units.all()) == {tree.kallio, tree.oulu}
    r = manager_client.post(url("journey_edit", tree, journey.pk),
                            {"form": "details", "name_fi": ""})
    assert r.status_code == 400


def test_export_and_import_between_organisations(tree, journey, admin_client, outsider,
                                                 outsider_client):
    response = admin_client.get(url("journey_export", tree, journey.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["format"] == "kokemus.journey/1"
    upload = io.BytesIO(response.content)
    upload.name = "journey.json"
    r = outsider_client.post(reverse("journey_import", args=["toinen"]), {"file": upload})
    assert r.status_code == 302
    copy = Journey.objects.get(organisation__slug="toinen")
    exported = actions.journey_snapshot(copy)
    data.pop("version")
    exported.pop("version")
    assert exported == data


def test_import_shows_path_of_bad_element(tree, journey, manager_client):
    data = actions.journey_snapshot(journey)
    data["stages"][2]["touchpoints"][0]["name"] = {}
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "bad.json"
    r = manager_client.post(url("journey_import", tree), {"file": upload})
    assert r.status_code == 400
    assert "stages[2].touchpoints[0].name:" in r.content.decode()  # the path, in any language
    garbage = io.BytesIO(b"{not json")
    garbage.name = "x.json"
    r = manager_client.post(url("journey_import", tree), {"file": garbage})
    assert r.status_code == 400
    assert Journey.objects.count() == 1


def test_map_has_metric_slot_and_moment_marker(tree, journey, staff_client):
    html = staff_client.get(url("journey_map", tree, journey.pk)).content.decode()
    tp = journey.touchpoints.filter(moment_that_matters=True).first()
    assert f'data-metric-slot="{tp.pk}"' in html
    assert f'data-touchpoint-id="{tp.pk}"' in html
    assert "mtm__icon" in html
    assert 'tabindex="0"' in html  # the scrollable map is reachable by keyboard


def test_map_renders_metrics_passed_in(tree, journey, rf):
    from django.template.loader import render_to_string

    from kokemus.journeys.views import map_columns

    tp = journey.touchpoints.first()
    request = rf.get("/")
    request.user = tree.org.memberships.first().user
    html = render_to_string("journeys/map.html", {
        "journey": journey, "columns": map_columns(journey), "units": [],
        "metrics": {tp.pk: {"value": "4.7", "label": "CSAT", "tone": "good"}},
        "current_org": tree.org}, request=request)
    assert "4.7" in html and "map-card__metric--good" in html


def test_archived_journey_editor_is_404(tree, journey, manager_client):
    actions.do_archive_journey(SYSTEM, journey)
    assert manager_client.get(url("journey_edit", tree, journey.pk)).status_code == 404
    assert journey.pk not in [r["journey"].pk for r in
                              manager_client.get(url("journey_list", tree)).context["rows"]]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_pages_render_in_every_language(tree, journey, manager, lang):
    manager.language = lang
    manager.save()
    client = client_for(manager)
    for u in (url("journey_list", tree), url("journey_new", tree),
              url("journey_edit", tree, journey.pk), url("journey_map", tree, journey.pk)):
        response = client.get(u)
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in response.content.decode()
    html = client.get(url("journey_map", tree, journey.pk)).content.decode()
    assert journey.stages.first().name[lang] in html
