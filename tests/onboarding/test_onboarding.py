"""Sign-up, the wizard's steps (each skippable and resumable), the live counter, help tags
and the style guide's access rule."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kokemus.accounts.models import Invitation, Membership, Organisation, Role, Unit, User
from kokemus.goals.models import ServicePromise
from kokemus.journeys.models import Journey
from kokemus.onboarding import actions
from kokemus.onboarding.help import load_help
from kokemus.onboarding.models import OnboardingProgress
from kokemus.onboarding.steps import STEP_KEYS
from kokemus.surveys.models import CollectionPoint, Survey
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _signup(client, email="new@x.example", org="Apteekki Uusi"):
    return client.post("/signup/", {"full_name": "Uusi Ihminen", "organisation_name": org,
                                    "email": email, "password": PASSWORD})


@pytest.fixture
def new_admin_client():
    client = Client()
    resp = _signup(client)
    assert resp.status_code == 302
    org = Organisation.objects.get(name="Apteekki Uusi")
    return client, org


def step_url(org, step):
    return reverse("onboarding_step", args=[org.slug, step])


def test_signup_creates_user_org_and_progress(client):
    resp = _signup(client)
    org = Organisation.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/o/{org.slug}/start/"
    user = User.objects.get(email="new@x.example")
    assert Membership.objects.get(user=user, organisation=org).role == Role.ADMIN
    assert OnboardingProgress.objects.filter(organisation=org).exists()
    resp = client.get(resp["Location"])
    assert resp["Location"] == step_url(org, "organisation")


def test_signup_errors_are_400_and_shown_at_the_field(client, admin):
    resp = _signup(client, email="admin@a.example")
    assert resp.status_code == 400
    assert "field--error" in resp.content.decode()
    resp = client.post("/signup/", {"full_name": "x", "organisation_name": "y",
                                    "email": "z@x.example", "password": "123"})
    assert resp.status_code == 400
    assert not User.objects.filter(email="z@x.example").exists()


def test_signup_can_be_switched_off(client, settings):
    settings.KOKEMUS_ALLOW_SIGNUP = False
    assert client.get("/signup/").status_code == 404


def test_full_wizard_for_a_pharmacy(new_admin_client):
    client, org = new_admin_client
    resp = client.post(step_url(org, "organisation"), {"name": "Apteekki Uusi",
                                                       "sector": "pharmacy"})
    assert resp["Location"] == step_url(org, "units")
    org.refresh_from_db()
    assert org.sector == "pharmacy"
    resp = client.post(step_url(org, "units"), {"names": "Kamppi\n\nKallio\n"})
    assert resp["Location"] == step_url(org, "journey")
    assert set(Unit.objects.filter(organisation=org, parent__isnull=False)
               .values_list("name", flat=True)) == {"Kamppi", "Kallio"}
    assert client.get(step_url(org, "journey")).status_code == 200
    client.post(step_url(org, "journey"), {"go": "1"})
    journey = Journey.objects.get(organisation=org)
    assert journey.template_key == "community_pharmacy"
    assert client.get(step_url(org, "surveys")).status_code == 200
    client.post(step_url(org, "surveys"), {"go": "1"})
    surveys = Survey.objects.filter(organisation=org)
    assert surveys.count() >= 1 and {s.template_key for s in surveys} == {"nps_why_consent"}
    points = CollectionPoint.objects.filter(organisation=org)
    assert points.count() == surveys.count() * 2
    # Repeating the step adds nothing.
    client.post(step_url(org, "surveys"), {"go": "1"})
    assert CollectionPoint.objects.filter(organisation=org).count() == points.count()
    client.post(step_url(org, "promise"), {"promise_fi": "Haluamme yllättää asiakkaamme."})
    assert ServicePromise.objects.get(organisation=org).promise == {
        "fi": "Haluamme yllättää asiakkaamme."}
    page = client.get(step_url(org, "posters")).content.decode()
    cp = points.first()
    assert reverse("kiosk_poster", args=[org.slug, cp.pk]) in page
    assert f"/r/{cp.code}/" in page
    client.post(step_url(org, "posters"), {"go": "1"})
    resp = client.post(step_url(org, "invite"), {"emails": "a@x.example\nb@x.example\n"})
    assert resp["Location"] == step_url(org, "live")
    assert Invitation.objects.filter(organisation=org).count() == 2
    page = client.get(step_url(org, "live")).content.decode()
    assert "<svg" in page and 'aria-live="polite"' in page and 'hx-trigger="every 2s"' in page
    progress = OnboardingProgress.objects.get(organisation=org)
    assert [progress.state(k) for k in STEP_KEYS[:-1]] == ["done"] * 7
    assert progress.completed_at is None


def test_live_counter_stops_polling_after_the_first_response(new_admin_client):
    from kokemus.responses.actions import do_submit_response  # noqa: F401

    client, org = new_admin_client
    client.post(step_url(org, "surveys"), {"go": "1"})
    url = reverse("onboarding_live_count", args=[org.slug])
    resp = client.get(url)
    assert 'hx-trigger="every 2s"' in resp.content.decode()
    cp = CollectionPoint.objects.filter(organisation=org).first()
    public = Client()
    page = public.get(f"/r/{cp.code}/?lang=en")
    assert page.status_code == 200
    resp = public.post(f"/r/{cp.code}/?lang=en", {"q-nps": "10", "q-contact": "no",
                                                   "lang": "en"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    resp = client.get(url)
    body = resp.content.decode()
    assert 'data-count="1"' in body and "hx-trigger" not in body
    assert reverse("analytics_overview", args=[org.slug]) in body
    assert OnboardingProgress.objects.get(organisation=org).state("live") == "done"


def test_every_step_can_be_skipped_and_the_checklist_then_disappears(new_admin_client):
    client, org = new_admin_client
    home = reverse("org_home", args=[org.slug])
    assert "checklist-h" in client.get(home).content.decode()
    for key in STEP_KEYS:
        resp = client.post(step_url(org, key), {"skip": "1"})
        assert resp.status_code == 302
    progress = OnboardingProgress.objects.get(organisation=org)
    assert progress.completed_at is not None
    assert set(progress.steps.values()) == {"skipped"}
    assert "checklist-h" not in client.get(home).content.decode()


def test_skipped_steps_are_resumable(new_admin_client):
    client, org = new_admin_client
    client.post(step_url(org, "organisation"), {"skip": "1"})
    client.post(step_url(org, "units"), {"skip": "1"})
    resp = client.get(reverse("onboarding_start", args=[org.slug]))
    assert resp["Location"] == step_url(org, "journey")
    client.post(step_url(org, "units"), {"names": "Kamppi"})
    assert OnboardingProgress.objects.get(organisation=org).state("units") == "done"


def test_dismissing_the_checklist(new_admin_client):
    client, org = new_admin_client
    client.post(reverse("onboarding_dismiss", args=[org.slug]))
    home = client.get(reverse("org_home", args=[org.slug])).content.decode()
    assert "checklist-h" not in home


def test_unit_rows_are_validated_all_or_nothing(new_admin_client):
    client, org = new_admin_client
    resp = client.post(step_url(org, "units"), {"names": "Kamppi\nkamppi\n" + "x" * 201})
    assert resp.status_code == 400
    page = resp.content.decode()
    assert 'id="row-errors"' in page
    assert Unit.objects.filter(organisation=org).count() == 1


def test_units_from_csv(new_admin_client):
    client, org = new_admin_client
    data = "\ufeffname;city\nKamppi;Helsinki\nOulu;Oulu\n".encode()
    resp = client.post(step_url(org, "units"),
                       {"file": SimpleUploadedFile("u.csv", data, "text/csv")})
    assert resp.status_code == 302
    assert Unit.objects.filter(organisation=org, name="Oulu").exists()


@translation.override("en")
def test_csv_row_errors_and_missing_column(admin, tree):
    rows = actions.parse_units_csv(b"city,name\nx,Kamppi\ny,\nz,Uusi\n")
    errors = actions.check_unit_rows(tree.org, rows)
    assert any("Row 2" in e for e in errors) and any("Row 3" in e for e in errors)
    with pytest.raises(Exception) as exc:
        actions.parse_units_csv(b"nimi\nx\n")
    assert "name" in str(exc.value)


def test_invite_rows_are_validated(new_admin_client):
    client, org = new_admin_client
    resp = client.post(step_url(org, "invite"), {"emails": "ok@x.example\nnot-an-email\n"},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 400
    assert "not-an-email" in resp.content.decode()  # the bad row is named back
    assert not Invitation.objects.filter(organisation=org).exists()


def test_wizard_is_for_admins_only(manager_client, staff_client, outsider_client, org):
    url = step_url(org, "units")
    assert manager_client.get(url).status_code == 403
    assert staff_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404


def test_unknown_step_is_404(admin_client, org):
    assert admin_client.get(step_url(org, "nope")).status_code == 404


def test_existing_orgs_without_progress_show_no_checklist(admin_client, org):
    home = admin_client.get(reverse("org_home", args=[org.slug])).content.decode()
    assert "checklist-h" not in home


def test_styleguide_requires_an_admin(admin_client, manager_client, client, tree):
    assert admin_client.get("/styleguide/").status_code == 200
    assert manager_client.get("/styleguide/").status_code == 403
    assert client.get("/styleguide/").status_code == 302


def test_styleguide_renders_every_help_text(admin_client, tree):
    page = admin_client.get("/styleguide/").content.decode()
    for key in load_help():
        assert f'data-help="{key}"' in page


def test_help_texts_exist_in_three_languages():
    for key, entry in load_help().items():
        for part in ("title", "body"):
            assert set(entry[part]) == {"fi", "sv", "en"}, key
            assert all(v.strip() for v in entry[part].values()), key


def test_help_tag_renders_a_disclosure_in_the_active_language():
    tpl = Template('{% load help_tags %}{% help "nps" %}{% help "missing" %}')
    with translation.override("sv"):
        html = tpl.render(Context())
    assert html.count("<details") == 1 and "<summary" in html
    assert "ambassadörer" in html
