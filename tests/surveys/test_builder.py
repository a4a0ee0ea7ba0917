"""Survey builder pages, versioning and tenancy."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import AuditLog
from kokemus.surveys import actions
from kokemus.surveys.models import CollectionPoint, Survey, SurveyStatus
from kokemus.surveys.questions import normalize_questions, questions_from_template
from tests.surveys.helpers import make_point, make_survey, make_touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(org, tree):
    survey = make_survey(org, template="nps_why_consent")
    make_point(org, tree.kamppi, survey=survey)
    return survey


def u(name, tree, *args):
    return reverse(name, args=[tree.org.slug, *args])


def builder_urls(tree, survey):
    cp = CollectionPoint.objects.filter(survey=survey).first()
    return {
        "get": [u("survey_list", tree), u("survey_new", tree),
                u("survey_detail", tree, survey.pk), u("survey_edit", tree, survey.pk)],
        "post": [u("survey_new", tree), u("survey_edit", tree, survey.pk),
                 u("survey_question_add", tree, survey.pk),
                 u("survey_question_update", tree, survey.pk, "nps"),
                 u("survey_question_move", tree, survey.pk, "nps"),
                 u("survey_question_remove", tree, survey.pk, "nps"),
                 u("survey_publish", tree, survey.pk), u("survey_close", tree, survey.pk),
                 u("survey_point_create", tree, survey.pk),
                 u("survey_point_toggle", tree, cp.pk)],
    }


def test_outsider_gets_404_everywhere(outsider_client, tree, survey):
    urls = builder_urls(tree, survey)
    for url in urls["get"]:
        assert outsider_client.get(url).status_code == 404, url
    for url in urls["post"]:
        assert outsider_client.post(url).status_code == 404, url


def test_other_orgs_survey_id_is_404(outsider, outsider_client, survey):
    other = Survey.objects.exclude(organisation=survey.organisation).first() or \
        make_survey(outsider.memberships.get().organisation, template="smiley")
    slug = other.organisation.slug
    assert outsider_client.get(reverse("survey_detail", args=[slug, survey.pk])) \
        .status_code == 404


def test_staff_reads_but_cannot_edit(staff_client, tree, survey):
    assert staff_client.get(u("survey_list", tree)).status_code == 200
    assert staff_client.get(u("survey_detail", tree, survey.pk)).status_code == 200
    urls = builder_urls(tree, survey)
    for url in urls["get"][1:2] + urls["get"][3:]:
        assert staff_client.get(url).status_code == 403, url
    for url in urls["post"]:
        assert staff_client.post(url).status_code == 403, url
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.PUBLISHED


def test_list_and_detail(manager_client, tree, survey):
    html = manager_client.get(u("survey_list", tree)).content.decode()
    assert f'id="survey-{survey.pk}"' in html and 'href="/o/testi/surveys/new/"' in html
    html = manager_client.get(u("survey_detail", tree, survey.pk)).content.decode()
    cp = survey.collection_points.get()
    assert f'id="point-{cp.code}"' in html and f"/r/{cp.code}/qr.svg" in html


def test_new_survey_from_template_in_one_step(manager_client, manager, tree):
    tp = make_touchpoint(tree.org)
    response = manager_client.post(u("survey_new", tree), {
        "template": "csat_why_consent", "touchpoint": tp.pk,
        "units": [tree.kamppi.pk, tree.kallio.pk], "channel": "qr", "name": ""})
    assert response.status_code == 302
    survey = Survey.objects.get(template_key="csat_why_consent")
    assert survey.status == SurveyStatus.PUBLISHED
    assert [q["key"] for q in survey.current_version.questions] == \
        ["csat", "improve", "liked", "contact"]
    assert survey.name["fi"].startswith("Palvelutiski")
    points = CollectionPoint.objects.filter(survey=survey)
    assert {p.unit_id for p in points} == {tree.kamppi.pk, tree.kallio.pk}
    assert all(p.touchpoint_id == tp.pk for p in points)
    assert AuditLog.objects.filter(action="collection_point.create").count() == 2


def test_manager_cannot_use_units_outside_scope(manager_client, tree):
    response = manager_client.post(u("survey_new", tree), {
        "template": "smiley", "units": [tree.oulu.pk], "channel": "qr"})
    assert response.status_code == 200  # form error: Oulu is not a choice
    assert not Survey.objects.exists()


def test_edit_draft_add_update_move_remove_publish(manager_client, tree, survey):
    v1 = survey.current_version
    assert manager_client.post(u("survey_edit", tree, survey.pk)).status_code == 302
    html = manager_client.get(u("survey_edit", tree, survey.pk)).content.decode()
    assert 'id="question-nps"' in html
    manager_client.post(u("survey_question_add", tree, survey.pk),
                        {"type": "behaviour", "behaviour": "waiting"})
    draft = survey.draft_version
    added = draft.questions[-1]
    assert added["key"] == "waiting" and added["text"]["sv"] == \
        "Tyckte du att väntetiden var rimlig?"
    manager_client.post(u("survey_question_update", tree, survey.pk, "waiting"), {
        "text_fi": "Odotitko liian kauan?", "text_sv": "", "text_en": "Did you wait long?",
        "required": "on", "show_if_question": "nps", "show_if_op": "lte",
        "show_if_value": "6", "behaviour": "waiting"})
    q = survey.draft_version.question("waiting")
    assert q["text"] == {"fi": "Odotitko liian kauan?", "en": "Did you wait long?"}
    assert q["required"] and q["show_if"] == {"question": "nps", "op": "lte", "value": 6}
    manager_client.post(u("survey_question_move", tree, survey.pk, "waiting"),
                        {"direction": "up"})
    keys = [q["key"] for q in survey.draft_version.questions]
    assert keys.index("waiting") == len(keys) - 2
    manager_client.post(u("survey_question_remove", tree, survey.pk, "liked"))
    assert "liked" not in [q["key"] for q in survey.draft_version.questions]
    # The published version did not change.
    v1.refresh_from_db()
    assert "waiting" not in [q["key"] for q in v1.questions]
    assert manager_client.post(u("survey_publish", tree, survey.pk)).status_code == 302
    survey = Survey.objects.get(pk=survey.pk)
    assert survey.current_version.number == 2 and survey.draft_version is None


def test_invalid_condition_is_reported_not_saved(manager_client, tree, survey):
    manager_client.post(u("survey_edit", tree, survey.pk))
    response = manager_client.post(u("survey_question_update", tree, survey.pk, "improve"), {
        "text_fi": "x", "show_if_question": "nps", "show_if_op": "lte",
        "show_if_value": "abc"}, follow=True)
    assert response.status_code == 200
    assert survey.draft_version.question("improve")["show_if"]["value"] == 6


def test_published_version_is_immutable(survey):
    version = survey.current_version
    version.questions = []
    with pytest.raises(PermissionDenied):
        version.save()


def test_close_survey(manager_client, tree, survey):
    manager_client.post(u("survey_close", tree, survey.pk))
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.CLOSED
    with pytest.raises(ValidationError):
        actions.do_start_draft(SYSTEM, survey)


def test_create_collection_point_and_toggle(manager_client, tree, survey):
    response = manager_client.post(u("survey_point_create", tree, survey.pk),
                                   {"unit": tree.kallio.pk, "channel": "kiosk"})
    assert response.status_code == 302
    cp = CollectionPoint.objects.get(unit=tree.kallio)
    assert cp.channel == "kiosk" and len(cp.code) == 8
    assert not set(cp.code) & set("il1o0")
    manager_client.post(u("survey_point_toggle", tree, cp.pk), {"active": "0"})
    assert not CollectionPoint.objects.get(pk=cp.pk).is_active
    # Oulu is outside the manager's region.
    manager_client.post(u("survey_point_create", tree, survey.pk),
                        {"unit": tree.oulu.pk, "channel": "qr"})
    assert not CollectionPoint.objects.filter(unit=tree.oulu).exists()


def test_templates_and_definitions():
    for key in ("nps_why_consent", "csat_why_consent", "smiley", "fft_why"):
        questions = questions_from_template(key, "Apteekki")
        assert normalize_questions(questions) == questions
        for q in questions:
            assert set(q["text"]) == {"fi", "sv", "en"}
    nps = questions_from_template("nps_why_consent", "Aurinko")[0]
    assert nps["text"]["fi"].startswith("Kuinka todennäköisesti suosittelisit Aurinko")
    bad = [{"key": "a", "type": "nps"}, {"key": "b", "type": "free_text",
                                         "show_if": {"question": "zz", "op": "lte", "value": 1}}]
    with pytest.raises(ValidationError) as exc:
        normalize_questions(bad)
    assert "b" in exc.value.message_dict
    with pytest.raises(ValidationError):
        normalize_questions([{"key": "a", "type": "nps"}, {"key": "a", "type": "csat"}])
    with pytest.raises(ValidationError):
        normalize_questions([{"key": "x", "type": "free_text", "max_length": 9999}])


def test_nav_item_registered(manager_client, tree):
    html = manager_client.get(u("survey_list", tree)).content.decode()
    assert f'href="{u("survey_list", tree)}" aria-current="page"' in html


def test_demo_step_without_journeys_creates_nothing(org):
    from kokemus.demo import DemoContext, DemoOrg
    from kokemus.surveys.demo import build_demo_surveys

    ctx = DemoContext(seed=1, rng=None, orgs={"x": DemoOrg(org)})
    build_demo_surveys(ctx)
    assert not Survey.objects.exists()


def test_demo_step_with_journey(org, tree):
    from kokemus.demo import DemoContext, DemoOrg
    from kokemus.surveys.demo import build_demo_surveys

    tp = make_touchpoint(org)
    tp.journey.units.add(tree.kamppi, tree.kallio)
    build_demo_surveys(DemoContext(seed=1, rng=None, orgs={"x": DemoOrg(org)}))
    nps = Survey.objects.get(template_key="nps_why_consent")
    assert nps.collection_points.count() == 2
    smiley = Survey.objects.get(template_key="smiley")
    assert smiley.collection_points.filter(channel="kiosk").count() == 3
