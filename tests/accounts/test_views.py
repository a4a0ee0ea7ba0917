import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kokemus.accounts import actions
from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Invitation, Membership, Role, Unit, User
from tests.conftest import PASSWORD, client_for


def org_url(name, tree, *args):
    return reverse(name, args=[tree.org.slug, *args])


def test_login_page_is_finnish_by_default(db, client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fi">' in html
    assert "Kirjaudu sisään" in html


def test_login_with_email_and_redirect_to_organisation(admin, tree):
    client = client_for(None)
    response = client.post("/login/", {"username": "ADMIN@a.example", "password": PASSWORD})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == f"/o/{tree.org.slug}/"


def test_wrong_password_shows_error(admin, tree):
    response = client_for(None).post("/login/", {"username": "admin@a.example",
                                                  "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_anonymous_is_sent_to_login(tree, anon_client):
    response = anon_client.get(org_url("unit_list", tree))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_other_organisation_gets_404_everywhere(tree, outsider_client):
    pk = tree.kamppi.pk
    urls = [org_url("org_home", tree), org_url("unit_list", tree),
            org_url("unit_row", tree, pk), org_url("unit_rename", tree, pk),
            org_url("unit_move", tree, pk), org_url("member_list", tree),
            org_url("member_edit", tree, Membership.objects.filter(organisation=tree.org)
                    .first().pk),
            org_url("audit_log", tree)]
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url
    for name in ("unit_archive", "unit_restore"):
        assert outsider_client.post(org_url(name, tree, pk)).status_code == 404
    assert Unit.objects.get(pk=pk).archived_at is None


def test_staff_reads_but_cannot_change(tree, staff_client):
    assert staff_client.get(org_url("unit_list", tree)).status_code == 200
    response = staff_client.post(org_url("unit_list", tree),
                                 {"name": "Uusi", "parent": tree.kamppi.pk, "kind": "site",
                                  "sector": "pharmacy"})
    assert response.status_code == 403
    assert staff_client.get(org_url("member_list", tree)).status_code == 403
    assert staff_client.get(org_url("audit_log", tree)).status_code == 403


def test_manager_sees_only_own_subtree(tree, manager_client):
    html = manager_client.get(org_url("unit_list", tree)).content.decode()
    assert "Kamppi" in html and "Oulu" not in html
    assert manager_client.get(org_url("unit_rename", tree, tree.oulu.pk)).status_code == 404
    assert manager_client.get(org_url("audit_log", tree)).status_code == 403


def test_manager_creates_unit_in_scope(tree, manager_client):
    response = manager_client.post(org_url("unit_list", tree),
                                   {"name": "Ruoholahti", "parent": tree.south.pk,
                                    "kind": "site", "sector": "pharmacy"})
    assert response.status_code == 302
    assert Unit.objects.filter(name="Ruoholahti", parent=tree.south).exists()
    # A parent outside the manager's subtree is not even a choice.
    response = manager_client.post(org_url("unit_list", tree),
                                   {"name": "Kemi", "parent": tree.north.pk,
                                    "kind": "site", "sector": "pharmacy"})
    assert response.status_code == 200
    assert not Unit.objects.filter(name="Kemi").exists()


def test_create_unit_validation_message(tree, admin_client):
    response = admin_client.post(org_url("unit_list", tree),
                                 {"name": "Kamppi", "parent": tree.south.pk, "kind": "site",
                                  "sector": "pharmacy"})
    assert response.status_code == 200
    assert "Kamppi" in response.content.decode()
    assert 'class="field__errors"' in response.content.decode()


def test_htmx_inline_rename(tree, admin_client):
    url = org_url("unit_rename", tree, tree.kallio.pk)
    response = admin_client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "<form" in response.content.decode()
    assert "<html" not in response.content.decode()
    response = admin_client.post(url, {"name": "Kallio 2"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Kallio 2" in response.content.decode()
    assert Unit.objects.get(pk=tree.kallio.pk).name == "Kallio 2"
    response = admin_client.post(url, {"name": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422


def test_move_and_archive_views(tree, admin_client):
    response = admin_client.post(org_url("unit_move", tree, tree.kallio.pk),
                                 {"parent": tree.north.pk})
    assert response.status_code == 302
    assert Unit.objects.get(pk=tree.kallio.pk).parent_id == tree.north.pk
    response = admin_client.post(org_url("unit_archive", tree, tree.kallio.pk))
    assert response.status_code == 302
    assert Unit.objects.get(pk=tree.kallio.pk).is_archived
    html = admin_client.get(org_url("unit_list", tree)).content.decode()
    assert f'id="unit-{tree.kallio.pk}"' not in html


def test_invitation_flow(tree, admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(org_url("member_list", tree),
                                     {"email": "New.Person@a.example", "role": "staff",
                                      "unit": tree.kallio.pk})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@a.example"]
    link = re.search(r"https?://\S+/invite/(\S+)/", message.body)
    assert link, message.body
    token = link.group(1)
    assert Invitation.objects.get().token_hash != token  # only a hash is stored
    client = client_for(None)
    response = client.post(f"/invite/{token}/", {"full_name": "Uusi Henkilö",
                                                  "password": "a-long-passphrase-42"})
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.person@a.example")
    assert membership.role == Role.STAFF and membership.unit == tree.kallio
    # The link works once.
    assert client_for(None).get(f"/invite/{token}/").status_code == 404


def test_expired_invitation_is_refused(tree):
    invitation, token = actions.do_invite_member(SYSTEM, tree.org, email="late@a.example",
                                                 send=False)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1))
    assert client_for(None).get(f"/invite/{token}/").status_code == 404


def test_manager_cannot_invite_admins(tree, manager_client):
    manager_client.post(org_url("member_list", tree),
                        {"email": "boss@a.example", "role": "admin", "unit": ""})
    assert not Invitation.objects.filter(email="boss@a.example").exists()


def test_password_reset_sends_working_link(admin, tree):
    client = client_for(None)
    response = client.post("/password-reset/", {"email": "admin@a.example"})
    assert response.status_code == 302
    body = mail.outbox[0].body
    path = re.search(r"https?://[^/]+(/password-reset/\S+/\S+/)", body).group(1)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    response = client.post(response.redirect_chain[-1][0],
                           {"new_password1": "another-long-pass-77",
                            "new_password2": "another-long-pass-77"})
    assert response.status_code == 302
    assert User.objects.get(pk=admin.pk).check_password("another-long-pass-77")


def test_language_switch_sets_cookie_and_profile(admin_client, admin, tree):
    response = admin_client.post("/language/", {"language": "sv", "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies["kokemus_language"].value == "sv"
    admin.refresh_from_db()
    assert admin.language == "sv"
    html = admin_client.get(org_url("unit_list", tree)).content.decode()
    assert '<html lang="sv">' in html


def test_language_switch_rejects_foreign_redirect(db, client):
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_audit_log_page_lists_changes(tree, admin_client):
    html = admin_client.get(org_url("audit_log", tree)).content.decode()
    assert "unit.create" in html


def test_health_endpoints(db, client):
    assert client.get("/healthz").json() == {"status": "ok"}
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["checks"]["database"] == "ok"


def test_security_headers(db, client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/o/nope/", "/nonexistent/"])
def test_404_page_is_friendly(db, client, path):
    response = client.get(path)
    assert response.status_code in (302, 404)


def test_stylesheet_is_served(db, client):
    from django.contrib.staticfiles import finders

    assert finders.find("kokemus/kokemus.css")
    assert finders.find("django_htmx/htmx-2.min.js")


def test_login_is_throttled_after_repeated_failures(admin, tree):
    client = client_for(None)
    for _ in range(4):
        response = client.post("/login/", {"username": "admin@a.example", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": "admin@a.example", "password": "wrong"})
    assert response.status_code == 429  # the fifth failure locks the address
    response = client.post("/login/", {"username": "admin@a.example", "password": PASSWORD})
    assert response.status_code == 429
    assert "/o/" not in response.get("Location", "")
    # Another address from the same place is not locked.
    response = client_for(None).post("/login/", {"username": "nobody@a.example",
                                                  "password": "wrong"})
    assert response.status_code == 200


def test_passwords_are_hashed_with_argon2_in_production():
    from django.conf import settings

    assert "Argon2PasswordHasher" in [h.rsplit(".", 1)[-1] for h in settings.PASSWORD_HASHERS][:2]
