"""The permission matrix: every URL pattern × every persona.

Every URL pattern of the project (walked from the URL resolver) must have a row in
``MATRIX`` below. A new view without a row fails ``test_every_url_has_a_row`` with the list
of missing rows. Each row gives the answer each persona gets, in the order of ``PERSONAS``:

    anon      anonymous browser
    outsider  an administrator of another organisation
    staff     staff member of the site "Kamppi"
    manager   manager of the region "Etelä" (Kamppi is inside it)
    admin     administrator of the organisation
    read      an API token of the organisation with the read scope (no session)
    write     an API token of the organisation with the write scope (no session)

Codes: 200/4xx/5xx are status codes; ``L`` is a redirect to the login page; ``302`` is any
other redirect. ``method`` is the request used to probe (POST with an empty form for the
views that change something: they must refuse before validating anything, and an empty form
changes nothing). ``obj`` names the dataset object (tests/security/dataset.py) whose pk fills
``<pk>``; the cross-organisation test then asks with the *other* organisation's object and
expects 404.

docs/security.md renders the same table for people.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from kokemus.accounts.models import Membership
from tests.conftest import client_for
from tests.security.dataset import build_dataset
from tests.security.matrix_lib import PERSONAS, all_routes, build_path, classify, request

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class R:
    expect: str             # one code per persona, separated by spaces
    obj: str | None = None  # dataset object kind filling <pk>
    method: str = "GET"     # GET, POST (empty form) or POST_JSON (empty JSON object)
    token: str = ""         # which secret fills <token>: kiosk, invitation, or a bogus one
    note: str = ""


#        persona:  anon outsider staff manager admin read write
MATRIX: dict[str, R] = {
    'accept_invitation': R('200 200 200 200 200 200 200', token='invitation'),
    'action_create': R('L 404 403 200 200 L L'),
    'action_detail': R('L 404 200 200 200 L L', obj='action'),
    'action_list': R('L 404 200 200 200 L L'),
    'analytics_comments': R('L 404 200 200 200 L L'),
    'analytics_comparison': R('L 404 200 200 200 L L'),
    'analytics_drivers': R('L 404 200 200 200 L L'),
    'analytics_heatmap': R('L 404 200 200 200 L L'),
    'analytics_overview': R('L 404 200 200 200 L L'),
    'analytics_screen': R('L 404 200 200 200 L L'),
    'api-root': R('404 404 404 404 404 404 404', note='bug: 500 today'),
    'api/^': R('404 404 404 404 404 404 404'),
    'api_token_list': R('L 404 403 403 200 L L'),
    'api_token_revoke': R('L 404 403 403 302 L L', obj='token', method='POST'),
    'api_webhook_create': R('L 404 403 403 400 L L', method='POST'),
    'api_webhook_delete': R('L 404 403 403 302 L L', obj='webhook', method='POST'),
    'api_webhook_deliveries': R('L 404 403 403 200 L L'),
    'api_webhook_toggle': R('L 404 403 403 302 L L', obj='webhook', method='POST'),
    'audit_log': R('L 404 403 403 200 L L'),
    'case_detail': R('L 404 404 200 200 L L', obj='case'),
    'case_list': R('L 404 200 200 200 L L'),
    'followup_settings': R('L 404 403 403 200 L L'),
    'get_collection_point': R('401 401 401 401 401 200 200'),
    'get_metric': R('401 401 401 401 401 422 422'),
    'get_response': R('401 401 401 401 401 200 200'),
    'get_unit': R('401 401 401 401 401 200 200'),
    'goal_archive': R('L 404 403 403 302 L L', obj='goal', method='POST'),
    'goal_check': R('L 404 403 200 200 L L', method='POST'),
    'goal_detail': R('L 404 200 200 200 L L', obj='goal'),
    'goal_list': R('L 404 200 200 200 L L'),
    'goal_new': R('L 404 403 200 200 L L'),
    'goals_promise': R('L 404 200 200 200 L L'),
    'healthz': R('200 200 200 200 200 200 200'),
    'home': R('L 302 302 302 302 L L'),
    'idea_detail': R('L 404 200 200 200 L L', obj='idea'),
    'idea_list': R('L 404 200 200 200 L L'),
    'idea_vote': R('L 404 302 302 302 L L', obj='idea', method='POST'),
    'import_delete': R('L 404 403 302 302 L L', obj='import', method='POST'),
    'import_detail': R('L 404 403 302 302 L L', obj='import'),
    'import_errors': R('L 404 403 200 200 L L', obj='import'),
    'import_errors_csv': R('L 404 403 404 404 L L', obj='import'),
    'import_list': R('L 404 403 200 200 L L'),
    'import_map': R('L 404 403 200 200 L L', obj='import'),
    'import_progress': R('L 404 403 200 200 L L', obj='import'),
    'import_run': R('L 404 403 302 302 L L', obj='import', method='POST'),
    'improvement_home': R('L 404 200 200 200 L L'),
    'invitation_home': R('L 404 403 200 200 L L'),
    'invitation_optout': R('404 404 404 404 404 404 404'),
    'invitation_respond': R('404 404 404 404 404 404 404'),
    'invitation_revoke': R('L 404 403 302 302 L L', obj='invitation', method='POST'),
    'invitation_settings': R('L 404 403 403 400 L L', method='POST'),
    'invitation_visit_upload': R('L 404 403 400 400 L L', method='POST'),
    'journey_edit': R('L 404 403 200 200 L L', obj='journey'),
    'journey_export': R('L 404 403 200 200 L L', obj='journey'),
    'journey_import': R('L 404 403 200 200 L L'),
    'journey_list': R('L 404 200 200 200 L L'),
    'journey_map': R('L 404 200 200 200 L L', obj='journey'),
    'journey_new': R('L 404 403 200 200 L L'),
    'journey_stage_add': R('L 404 403 400 400 L L', obj='journey', method='POST'),
    'journey_stage_archive': R('L 404 403 302 302 L L', obj='stage', method='POST'),
    'journey_stage_edit': R('L 404 403 200 200 L L', obj='stage'),
    'journey_stage_move': R('L 404 403 400 400 L L', obj='stage', method='POST'),
    'journey_stage_restore': R('L 404 403 302 302 L L', obj='stage', method='POST'),
    'journey_touchpoint_add': R('L 404 403 400 400 L L', obj='stage', method='POST'),
    'journey_touchpoint_card': R('L 404 403 200 200 L L', obj='touchpoint'),
    'journey_touchpoint_edit': R('L 404 403 200 200 L L', obj='touchpoint'),
    'journey_touchpoint_move': R('L 404 403 400 400 L L', obj='touchpoint', method='POST'),
    'journey_touchpoint_remove': R('L 404 403 302 302 L L', obj='touchpoint', method='POST'),
    'journey_touchpoint_restore': R('L 404 403 302 302 L L', obj='touchpoint', method='POST'),
    'kiosk_list': R('L 404 403 200 200 L L'),
    'kiosk_new': R('L 404 403 200 200 L L'),
    'kiosk_page': R('200 200 200 200 200 200 200', token='kiosk'),
    'kiosk_poster': R('L 404 403 200 200 L L', obj='point'),
    'kiosk_revoke': R('L 404 403 302 302 L L', obj='kiosk', method='POST'),
    'kiosk_sw': R('200 200 200 200 200 200 200', token='kiosk'),
    'kiosk_sync': R('400 400 400 400 400 400 400', method='POST_JSON', token='kiosk'),
    'kudos_team': R('L 404 200 200 200 L L'),
    'kudos_wall': R('L 404 200 200 200 L L'),
    'list_collection_points': R('401 401 401 401 401 200 200'),
    'list_responses': R('401 401 401 401 401 200 200'),
    'list_units': R('401 401 401 401 401 200 200'),
    'login': R('200 302 302 302 302 200 200'),
    'logout': R('L L L L L L L', method='POST'),
    'meeting': R('L 404 200 200 200 L L'),
    'member_edit': R('L 404 403 403 200 L L', obj='member'),
    'member_list': R('L 404 403 200 200 L L'),
    'member_remove': R('L 404 403 403 302 L L', obj='member', method='POST'),
    'my_praise': R('L 404 200 200 200 L L'),
    'onboarding_dismiss': R('L 404 403 403 302 L L', method='POST'),
    'onboarding_live_count': R('L 404 403 403 200 L L'),
    'onboarding_start': R('L 404 403 403 302 L L'),
    'onboarding_step': R('L 404 403 403 200 L L'),
    'openapi-json': R('200 200 200 200 200 200 200'),
    'openapi-view': R('200 200 200 200 200 200 200'),
    'org_home': R('L 404 200 200 200 L L'),
    'password_reset': R('200 200 200 200 200 200 200'),
    'password_reset_complete': R('200 200 200 200 200 200 200'),
    'password_reset_confirm': R('200 200 200 200 200 200 200'),
    'password_reset_done': R('200 200 200 200 200 200 200'),
    'privacy': R('200 200 200 200 200 200 200'),
    'privacy_respondent': R('L 404 403 403 400 L L', method='POST'),
    'privacy_settings': R('L 404 403 403 200 L L'),
    'readyz': R('200 200 200 200 200 200 200'),
    'record_visit_event': R('401 401 401 401 401 422 422', method='POST_JSON'),
    'reports_dictionary': R('L 404 200 200 200 L L'),
    'reports_export': R('L 404 200 200 200 L L'),
    'reports_index': R('L 404 200 200 200 L L'),
    'reports_schedule_create': R('L 404 403 400 400 L L', method='POST'),
    'reports_schedule_delete': R('L 404 403 404 404 L L', obj='schedule', method='POST'),
    'reports_schedule_toggle': R('L 404 403 404 404 L L', obj='schedule', method='POST'),
    'reports_unit_pdf': R('L 404 200 200 200 L L'),
    'reports_unit_pdf_form': R('L 404 400 400 400 L L'),
    'respond': R('200 200 200 200 200 200 200'),
    'respond_qr_png': R('200 200 200 200 200 200 200'),
    'respond_qr_svg': R('200 200 200 200 200 200 200'),
    'respond_thanks': R('200 200 200 200 200 200 200'),
    'round_detail': R('L 404 200 200 200 L L', obj='round'),
    'round_list': R('L 404 200 200 200 L L'),
    'round_new': R('L 404 403 200 200 L L'),
    'set_language': R('302 302 302 302 302 302 302', method='POST'),
    'signup': R('200 200 200 200 200 200 200'),
    'styleguide': R('L 200 403 403 200 L L'),
    'submit_batch': R('401 401 401 401 401 422 422', method='POST_JSON'),
    'submit_response': R('401 401 401 401 401 422 422', method='POST_JSON'),
    'survey_close': R('L 404 403 302 302 L L', obj='survey', method='POST'),
    'survey_detail': R('L 404 200 200 200 L L', obj='survey'),
    'survey_edit': R('L 404 403 200 200 L L', obj='survey'),
    'survey_list': R('L 404 200 200 200 L L'),
    'survey_new': R('L 404 403 200 200 L L'),
    'survey_point_create': R('L 404 403 302 302 L L', obj='survey', method='POST'),
    'survey_point_toggle': R('L 404 403 302 302 L L', obj='point', method='POST'),
    'survey_publish': R('L 404 403 302 302 L L', obj='survey', method='POST'),
    'survey_question_add': R('L 404 403 302 302 L L', obj='survey', method='POST'),
    'survey_question_move': R('L 404 403 302 302 L L', obj='survey', method='POST'),
    'survey_question_remove': R('L 404 403 302 302 L L', obj='survey', method='POST'),
    'survey_question_update': R('L 404 403 302 302 L L', obj='survey', method='POST'),
    'theme_list': R('L 404 403 200 200 L L'),
    'two_factor_setup': R('L 200 200 200 200 L L'),
    'two_factor_verify': R('L 302 302 302 302 L L'),
    'unit_archive': R('L 404 403 302 302 L L', obj='unit', method='POST'),
    'unit_list': R('L 404 200 200 200 L L'),
    'unit_move': R('L 404 403 200 200 L L', obj='unit'),
    'unit_rename': R('L 404 403 200 200 L L', obj='unit'),
    'unit_restore': R('L 404 403 302 302 L L', obj='unit', method='POST'),
    'unit_row': R('L 404 403 200 200 L L', obj='unit'),
}

# Rows whose expected answer is right but the code is not yet: xfail(strict) until fixed.
KNOWN_BUGS: set[str] = set()


def _fill(route, ds, row: R, objects_of=None) -> str:
    objs = (objects_of or ds).objects
    secrets = {"kiosk": ds.secrets["kiosk"], "invitation": ds.secrets["invitation"]}
    values = {
        "org_slug": ds.org.slug,
        # kinds the dataset cannot build yet (e.g. report schedules) get an id that does
        # not exist: every member must then get 404 (or their role's 403 first)
        "pk": objs[row.obj].pk if row.obj in objs else 999999,
        "unit_pk": objs["unit"].pk,
        "unit_id": objs["unit"].pk,
        "point_id": objs["point"].pk,
        "response_id": objs["response"].pk,
        "key": objs["question"],
        "code": objs["point"].code,
        "token": secrets.get(row.token, "no-such-token-000000000000"),
        "uidb64": "MQ",
        "step": "units",
        "dataset": "responses",
        "fmt": "csv",
    }
    return build_path(route, values)


@pytest.fixture
def world(admin, tree, manager, staff, outsider):
    cache.clear()
    ds = build_dataset(tree, admin)
    other_tree = build_org_tree_of(outsider)
    other = build_dataset(other_tree, outsider)
    clients = {
        "anon": Client(),
        "outsider": client_for(outsider),
        "staff": client_for(staff),
        "manager": client_for(manager),
        "admin": client_for(admin),
        "read": Client(),
        "write": Client(),
    }
    for c in clients.values():
        c.raise_request_exception = False  # a crash is an answer (500) in the matrix
    headers = {p: {} for p in PERSONAS}
    headers["read"] = {"Authorization": f"Bearer {ds.secrets['read']}"}
    headers["write"] = {"Authorization": f"Bearer {ds.secrets['write']}"}
    yield ds, other, clients, headers
    cache.clear()


def build_org_tree_of(user):
    """The outsider fixture builds organisation "toinen"; rebuild its OrgTree view."""
    from kokemus.accounts.models import Unit
    from tests.conftest import OrgTree

    org = Membership.objects.get(user=user).organisation
    units = {u.name: u for u in Unit.objects.filter(organisation=org)}
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    return OrgTree(org, root, units["Etelä"], units["Pohjoinen"], units["Kamppi"],
                   units["Kallio"], units["Oulu"])


def observe(route, row, world) -> dict[str, str]:
    ds, _other, clients, headers = world
    path = _fill(route, ds, row)
    seen = {}
    for persona in PERSONAS:
        cache.clear()  # rate limits must not leak between personas
        client = clients[persona]
        cookies = copy.deepcopy(client.cookies)  # logout and login must not stick
        with transaction.atomic():  # each persona sees the same, unchanged dataset
            response = request(client, row.method, path, None, headers[persona])
            transaction.set_rollback(True)
        client.cookies = cookies
        seen[persona] = classify(response)
    return seen


ROUTES = all_routes()


def test_every_url_has_a_row():
    missing = sorted(set(ROUTES) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(ROUTES))
    message = []
    if missing:
        message.append("URL patterns without a row in tests/security/test_permission_matrix.py"
                       " MATRIX (add one per view, and a line in docs/security.md):\n  "
                       + "\n  ".join(f"{k!r}: {ROUTES[k].pattern}" for k in missing))
    if stale:
        message.append("MATRIX rows for URLs that no longer exist:\n  " + "\n  ".join(stale))
    assert not message, "\n".join(message)


@pytest.mark.parametrize("key", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason="known bug"))
    if k in KNOWN_BUGS else k for k in sorted(set(MATRIX) & set(ROUTES))])
def test_matrix_row(key, world):
    row = MATRIX[key]
    expected = dict(zip(PERSONAS, row.expect.split(), strict=True))
    seen = observe(ROUTES[key], row, world)
    assert seen == expected, f"{key} ({row.method} {ROUTES[key].pattern}): " + ", ".join(
        f"{p} expected {expected[p]} got {seen[p]}" for p in PERSONAS if seen[p] != expected[p])


CROSS_ORG = sorted(k for k in set(MATRIX) & set(ROUTES)
                   if MATRIX[k].obj or {"unit_pk", "unit_id", "point_id", "response_id"}
                   & set(ROUTES[k].kwargs))


@pytest.mark.parametrize("key", CROSS_ORG)
def test_other_organisations_object_is_404(key, world):
    """The organisation's own admin (or write token) asking for another organisation's
    object by id gets 404 — the same as for an id that does not exist."""
    ds, other, clients, headers = world
    row = MATRIX[key]
    route = ROUTES[key]
    path = _fill(route, ds, row, objects_of=other)
    persona = "write" if route.pattern.startswith("api/") else "admin"
    response = request(clients[persona], row.method, path, None, headers[persona])
    assert response.status_code == 404, f"{key}: {path} gave {response.status_code}"


@pytest.mark.skipif(not os.environ.get("MATRIX_DUMP"), reason="MATRIX_DUMP=1 prints rows")
def test_dump(world):  # pragma: no cover - a helper for writing rows
    lines = []
    for key, route in sorted(ROUTES.items()):
        row = MATRIX.get(key) or R("")
        row = R(row.expect, obj=row.obj or _guess_obj(route), method=row.method,
                token=_guess_token(key))
        seen = observe(route, row, world)
        extra = ""
        if row.obj:
            extra += f", obj={row.obj!r}"
        if row.method != "GET":
            extra += f", method={row.method!r}"
        if row.token:
            extra += f", token={row.token!r}"
        lines.append(f"    {key!r}: R({' '.join(seen[p] for p in PERSONAS)!r}{extra}),")
    print("\n".join(lines))


def _guess_obj(route):
    if "pk" not in route.kwargs:
        return None
    p = route.pattern
    for needle, kind in [("units/", "unit"), ("members/", "member"), ("invitations/", "invitation"),
                         ("stages/", "stage"), ("touchpoints/", "touchpoint"),
                         ("journeys/", "journey"), ("points/", "point"), ("posters/", "point"),
                         ("surveys/", "survey"), ("kiosks/", "kiosk"), ("imports/", "import"),
                         ("webhooks/", "webhook"), ("api-tokens/", "token"),
                         ("rounds/", "round"), ("goals/", "goal"), ("cases/", "case"),
                         ("ideas/", "idea"), ("actions/", "action"),
                         ("schedules/", "schedule")]:
        if needle in p.split("<int:pk>")[0].rsplit("/", 2)[-2] + "/":
            return kind
    return "unit"


def _guess_token(key):
    return {"kiosk_page": "kiosk", "kiosk_sw": "kiosk", "kiosk_sync": "kiosk",
            "accept_invitation": "invitation"}.get(key, "")
