"""Property-based: random payloads to /r/<code>/ never give a 500 and never store an
invalid answer."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kokemus.responses.models import Answer
from kokemus.surveys.questions import stored_answer_is_valid
from tests.conftest import client_for
from tests.surveys.helpers import ALL_TYPES_QUESTIONS, make_point, make_survey

pytestmark = pytest.mark.django_db

KEYS = [f"q-{q['key']}" for q in ALL_TYPES_QUESTIONS] + ["q-contact-contact", "lang", "idem",
                                                        "website", "q-bogus", "csrfmiddlewaretoken"]
NASTY = st.sampled_from([
    "<script>alert(1)</script>", "'; DROP TABLE responses_answer; --", "1 OR 1=1", "\x00",
    "\ud800", "ä" * 3000, "x" * 70_000, "-1", "11", "4.0", "option_1", "happy", "yes", "sv",
    "１０", "7\n", "", " ", "%00", "../../etc/passwd", "{{ 7*7 }}",
])
VALUES = st.one_of(NASTY, st.text(max_size=300), st.integers(-5, 15).map(str))
PAYLOAD = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=20)),
                          st.one_of(VALUES, st.lists(VALUES, max_size=4)), max_size=12)


@pytest.fixture
def setup(org, tree):
    survey = make_survey(org)
    return make_point(org, tree.kamppi, survey=survey)


def check_all_answers_valid(version):
    for answer in Answer.objects.all():
        question = version.question(answer.question_key)
        assert stored_answer_is_valid(question, value=answer.value, choice=answer.choice,
                                      text=answer.text), (answer.question_key, answer.value,
                                                          answer.choice, answer.text[:50])


@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=10**9)
@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=PAYLOAD)
def test_random_form_payloads(setup, payload):
    cache.clear()
    client = client_for(None)
    data = {k: v for k, v in payload.items() if "\x00" not in k}
    try:
        response = client.post(f"/r/{setup.code}/", data)
    except UnicodeEncodeError:
        return  # the test client itself cannot encode lone surrogates
    assert response.status_code in (302, 400, 413, 429), response.status_code
    check_all_answers_valid(setup.survey.current_version)


@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=10**9)
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.binary(max_size=2000),
       ctype=st.sampled_from(["application/x-www-form-urlencoded",
                              "multipart/form-data; boundary=xyz", "text/plain",
                              "application/json", "multipart/form-data"]),
       prefix=st.sampled_from([b"", b"q-nps=5&q-improve=", b"q-nps=", b"--xyz\r\n"]))
def test_raw_bodies_with_invalid_utf8(setup, body, ctype, prefix):
    cache.clear()
    response = client_for(None).generic("POST", f"/r/{setup.code}/", prefix + body,
                                        content_type=ctype)
    assert response.status_code < 500
    check_all_answers_valid(setup.survey.current_version)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.dictionaries(st.sampled_from([q["key"] for q in ALL_TYPES_QUESTIONS]
                                               + ["other"]),
                               st.one_of(st.none(), st.booleans(), st.integers(-3, 12),
                                         st.floats(allow_nan=True), VALUES,
                                         st.lists(VALUES, max_size=3)), max_size=8),
       consent=st.booleans(), contact=st.one_of(st.text(max_size=40), NASTY))
def test_action_accepts_only_valid(org, tree, answers, consent, contact):
    from django.core.exceptions import ValidationError

    from kokemus.responses.actions import do_submit_response

    version = _version(org)
    try:
        do_submit_response(unit=tree.kamppi, survey_version=version, answers=answers,
                           language="en", channel="api", consent_contact=consent,
                           contact=contact)
    except ValidationError:
        pass
    check_all_answers_valid(version)


_cache = {}


def _version(org):
    key = org.pk
    if key not in _cache or not type(_cache[key]).objects.filter(pk=_cache[key].pk).exists():
        _cache[key] = make_survey(org).current_version
    return _cache[key]
