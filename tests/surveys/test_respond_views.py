"""The public response page /r/<code>/."""

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings

from kokemus.accounts.audit import SYSTEM
from kokemus.responses.models import Response
from kokemus.surveys import actions
from tests.conftest import client_for
from tests.surveys.helpers import make_point, make_touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cp(org, tree):
    return make_point(org, tree.kamppi, touchpoint=make_touchpoint(org))


def url(cp, suffix=""):
    return f"/r/{cp.code}/{suffix}"


def idem(html):
    return re.search(r'name="idem" value="([^"]+)"', html).group(1)


def test_form_renders_without_login_in_finnish(anon_client, cp):
    response = anon_client.get(url(cp))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fi">' in html
    assert "Kuinka todennäköisesti suosittelisit Apteekki Testi" in html
    assert "htmx" not in html and "kokemus.css" not in html
    assert "respond.css" in html and "respond.js" in html
    assert html.count("<fieldset") >= 2 and html.count("<legend") >= 2
    assert 'name="website"' in html and 'name="idem"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_language_from_accept_language_and_query(cp):
    html = client_for(None).get(url(cp), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert '<html lang="sv">' in html and "Hur troligt är det" in html
    html = client_for(None).get(url(cp) + "?lang=en").content.decode()
    assert '<html lang="en">' in html and "How likely is it" in html
    html = client_for(None).get(url(cp) + "?lang=de").content.decode()
    assert '<html lang="fi">' in html
    assert f'href="/r/{cp.code}/?lang=sv"' in html


def test_no_js_submission_stores_response_and_redirects(anon_client, cp, tree):
    html = anon_client.get(url(cp) + "?lang=sv").content.decode()
    response = anon_client.post(url(cp) + "?lang=sv", {
        "lang": "sv", "idem": idem(html), "q-nps": "4", "q-improve": "Kortare kö",
        "q-liked": "ignored, hidden", "q-contact": "no", "website": ""})
    assert response.status_code == 302
    assert response["Location"] == f"/r/{cp.code}/thanks/?lang=sv"
    stored = Response.objects.get()
    assert (stored.unit, stored.touchpoint, stored.language, stored.channel) == \
        (tree.kamppi, cp.touchpoint, "sv", "qr")
    assert {a.question_key: (a.value, a.text) for a in stored.answers.all()} == {
        "nps": (4, ""), "improve": (None, "Kortare kö"), "contact": (0, "")}
    thanks = anon_client.get(response["Location"])
    assert thanks.status_code == 200 and 'id="thanks"' in thanks.content.decode()
    assert "Tack för din feedback" in thanks.content.decode()


def test_double_submit_stores_one_response(anon_client, cp):
    key = idem(anon_client.get(url(cp)).content.decode())
    data = {"lang": "fi", "idem": key, "q-nps": "9"}
    assert anon_client.post(url(cp), data).status_code == 302
    assert anon_client.post(url(cp), data).status_code == 302
    assert Response.objects.count() == 1


def test_bad_input_shows_errors_with_summary(anon_client, cp):
    response = anon_client.post(url(cp), {"lang": "fi", "q-nps": "12", "q-contact": "yes",
                                          "q-contact-contact": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="error-summary"' in html
    assert 'href="#q-nps-0"' in html and 'href="#q-contact-yes"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="nope"' in html  # what the respondent typed is kept
    assert Response.objects.count() == 0


def test_required_missing_is_400(anon_client, cp):
    assert anon_client.post(url(cp), {"lang": "fi"}).status_code == 400


def test_unknown_code_is_404(anon_client, db):
    response = anon_client.get("/r/zzzzzzzz/")
    assert response.status_code == 404 and 'id="notice-unknown"' in response.content.decode()
    assert anon_client.get("/r/%3Cscript%3E/").status_code == 404
    assert anon_client.post("/r/zzzzzzzz/", {"q-nps": "1"}).status_code == 404


def test_closed_survey_and_inactive_point_show_notice(anon_client, cp):
    actions.do_set_collection_point_active(SYSTEM, cp, False)
    response = anon_client.get(url(cp))
    assert response.status_code == 410 and 'id="notice-closed"' in response.content.decode()
    actions.do_set_collection_point_active(SYSTEM, cp, True)
    assert anon_client.get(url(cp)).status_code == 200
    actions.do_close_survey(SYSTEM, cp.survey)
    assert anon_client.get(url(cp)).status_code == 410
    assert anon_client.post(url(cp), {"q-nps": "5"}).status_code == 410
    assert Response.objects.count() == 0


def test_oversized_request_is_413(anon_client, cp):
    response = anon_client.post(url(cp), {"q-nps": "5", "q-improve": "x" * 70_000})
    assert response.status_code == 413
    assert Response.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_request_data_too_big_is_413(anon_client, cp):
    # Under the view's own 64 KB limit but over Django's: RequestDataTooBig becomes 413.
    response = anon_client.post(url(cp), {"q-nps": "5", "q-improve": "x" * 5000})
    assert response.status_code == 413
    assert Response.objects.count() == 0


@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=3)
def test_rate_limit_429(anon_client, cp):
    for n in range(3):
        assert anon_client.post(url(cp), {"q-nps": "5", "idem": f"key-{n:014d}"}) \
            .status_code == 302
    response = anon_client.post(url(cp), {"q-nps": "5"})
    assert response.status_code == 429 and 'id="notice-rate_limited"' in \
        response.content.decode()
    assert Response.objects.count() == 3
    # Another device (IP) is not limited.
    assert anon_client.post(url(cp), {"q-nps": "5"}, REMOTE_ADDR="10.0.0.9").status_code \
        == 302


@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=2, TRUSTED_PROXIES=["127.0.0.1"])
def test_rate_limit_per_device_behind_a_trusted_proxy(anon_client, cp):
    """Behind a reverse proxy every request comes from the proxy's address: the device is
    the one the proxy names in X-Forwarded-For (and only a trusted proxy is believed)."""
    def post(forwarded, peer="127.0.0.1"):
        return anon_client.post(url(cp), {"q-nps": "5"}, REMOTE_ADDR=peer,
                                HTTP_X_FORWARDED_FOR=forwarded).status_code
    assert [post("198.51.100.7"), post("198.51.100.7"), post("198.51.100.7")] == \
        [302, 302, 429]
    assert post("198.51.100.8") == 302  # another phone behind the same proxy
    # A client that reaches the server directly cannot pick a fresh device per request.
    assert [post("203.0.113.1", peer="192.0.2.5"), post("203.0.113.2", peer="192.0.2.5"),
            post("203.0.113.3", peer="192.0.2.5")] == [302, 302, 429]


def test_honeypot_pretends_success_and_stores_nothing(anon_client, cp):
    response = anon_client.post(url(cp), {"q-nps": "5", "website": "http://spam.example"})
    assert response.status_code == 302 and "/thanks/" in response["Location"]
    assert Response.objects.count() == 0


def test_thank_you_text_per_point_and_survey(anon_client, cp):
    cp.thank_you = {"fi": "Kiitos, Kamppi!"}
    cp.save()
    assert "Kiitos, Kamppi!" in anon_client.get(url(cp, "thanks/")).content.decode()


def test_qr_codes(anon_client, cp):
    svg = anon_client.get(url(cp, "qr.svg"))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    png = anon_client.get(url(cp, "qr.png"))
    assert png.content.startswith(b"\x89PNG") and "attachment" in png["Content-Disposition"]


def test_other_methods_not_allowed(anon_client, cp):
    assert anon_client.put(url(cp)).status_code == 405


def test_invalid_bytes_never_500(anon_client, cp):
    for body, ctype in [(b"q-nps=\xff\xfe&q-improve=\xc3\x28", "application/x-www-form-urlencoded"),
                        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
                        (b"\x00" * 100, "application/octet-stream")]:
        response = anon_client.generic("POST", url(cp), body, content_type=ctype)
        assert response.status_code < 500


def test_first_load_is_under_60_kb(anon_client, cp):
    from django.contrib.staticfiles import finders

    html = anon_client.get(url(cp)).content
    total = len(html) + sum(len(Path(finders.find(f"kokemus/{name}")).read_bytes())
                            for name in ("respond.css", "respond.js"))
    assert total < 60 * 1024


@pytest.mark.parametrize("own_cache_control", [None, "public, max-age=60"])
def test_never_cache_writes_what_djangos_never_cache_writes(own_cache_control):
    """The public form's own never_cache (headers written at once) gives the headers of
    Django's, also for a response with a Cache-Control of its own."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.views.decorators.cache import never_cache as django_never_cache

    from kokemus.surveys.public_views import never_cache

    def view(request):
        response = HttpResponse("x")
        if own_cache_control:
            response["Cache-Control"] = own_cache_control
        return response

    request = RequestFactory().get("/")
    ours, django = never_cache(view)(request), django_never_cache(view)(request)
    assert ours["Cache-Control"] == django["Cache-Control"]
    assert ours["Expires"][:20] == django["Expires"][:20]  # the same moment, to the second
    assert "no-store" in ours["Cache-Control"] and "public" not in ours["Cache-Control"]
