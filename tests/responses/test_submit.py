"""do_submit_response: validation of every question type, show_if, idempotency."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from kokemus.accounts.models import Organisation
from kokemus.responses import actions as response_actions
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Answer, IdempotencyKey, Response
from kokemus.responses.signals import response_submitted
from kokemus.surveys.questions import stored_answer_is_valid
from tests.surveys.helpers import make_point, make_survey, make_touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(org):
    return make_survey(org).current_version


def submit(tree, version, answers, **kw):
    kw.setdefault("language", "fi")
    kw.setdefault("channel", "link")
    return do_submit_response(unit=tree.kamppi, survey_version=version, answers=answers, **kw)


def errors_of(tree, version, answers, **kw):
    with pytest.raises(ValidationError) as exc:
        submit(tree, version, answers, **kw)
    return exc.value.message_dict


VALID = [
    ("nps", 0), ("nps", 10), ("nps", "7"), ("csat", 1), ("csat", 5), ("ces", 7), ("smiley", 4),
    ("fft", 6), ("greeting", 5), ("expectations", 1), ("mood", 3), ("visit", "option_2"),
    ("topics", ["option_1", "option_2"]), ("topics", "option_1"), ("contact", "no"),
]
INVALID = [
    ("nps", 11), ("nps", -1), ("nps", "x"), ("nps", True), ("nps", 5.5), ("csat", 0),
    ("csat", 6), ("ces", 8), ("smiley", 5), ("smiley", 0), ("fft", 7), ("fft", 0),
    ("greeting", 6), ("expectations", 0), ("mood", 6), ("visit", "option_9"), ("visit", 3),
    ("topics", ["option_1", "nope"]), ("contact", "maybe"), ("emotion", "ecstatic"),
]


@pytest.mark.parametrize(("key", "value"), VALID)
def test_valid_answers_are_stored(tree, version, key, value):
    answers = {"nps": 8, key: value} if key != "nps" else {key: value}
    response, created = submit(tree, version, answers)
    assert created
    stored = {a.question_key for a in response.answers.all()}
    assert key in stored
    for answer in response.answers.all():
        assert stored_answer_is_valid(version.question(answer.question_key), value=answer.value,
                                      choice=answer.choice, text=answer.text)


@pytest.mark.parametrize(("key", "value"), INVALID)
def test_invalid_answers_name_the_question(tree, version, key, value):
    answers = {"nps": 3, "smiley": 1, key: value} if key != "nps" else {key: value}
    errors = errors_of(tree, version, answers)
    assert list(errors) == [key]
    assert Response.objects.count() == 0


def test_error_message_names_the_question_in_active_language(tree, version):
    with translation.override("en"):
        errors = errors_of(tree, version, {"nps": 12})
    assert "recommend" in errors["nps"][0]
    assert "0" in errors["nps"][0] and "10" in errors["nps"][0]


def test_required_question_missing(tree, version):
    assert "nps" in errors_of(tree, version, {"csat": 4})


def test_unknown_keys_are_rejected(tree, version):
    assert "bogus" in errors_of(tree, version, {"nps": 4, "bogus": 1})


def test_show_if_hidden_answer_is_dropped_and_shown_one_kept(tree, version):
    response, _ = submit(tree, version, {"nps": 9, "improve": "Faster service"})
    assert not response.answers.filter(question_key="improve").exists()
    response, _ = submit(tree, version, {"nps": 3, "improve": "Faster service"})
    assert response.answers.get(question_key="improve").text == "Faster service"


def test_show_if_in_condition(tree, version):
    response, _ = submit(tree, version, {"nps": 9, "smiley": 4, "emotion": "happy"})
    assert not response.answers.filter(question_key="emotion").exists()
    response, _ = submit(tree, version, {"nps": 9, "smiley": 1, "emotion": "angry"})
    assert response.answers.get(question_key="emotion").choice == "angry"


def test_hidden_required_question_is_not_required(org, tree):
    from kokemus.surveys.questions import new_question

    survey = make_survey(org, questions=[
        new_question("nps", "nps", required=True),
        new_question("free_text", "why", required=True,
                     show_if={"question": "nps", "op": "lte", "value": 6})])
    version = survey.current_version
    response, created = submit(tree, version, {"nps": 10})
    assert created
    assert "why" in errors_of(tree, version, {"nps": 2})


def test_free_text_length_and_control_characters(tree, version):
    assert "improve" in errors_of(tree, version, {"nps": 2, "improve": "x" * 51})
    response, _ = submit(tree, version, {"nps": 2, "improve": " a\x00b\x07c\nd<script> "})
    assert response.answers.get(question_key="improve").text == "abc\nd<script>"


def test_multi_choice_one_row_per_choice(tree, version):
    response, _ = submit(tree, version, {"nps": 5, "topics": ["option_2", "option_1"]})
    assert sorted(response.answers.filter(question_key="topics")
                  .values_list("choice", flat=True)) == ["option_1", "option_2"]


def test_contact_consent_requires_valid_contact(tree, version):
    assert "contact" in errors_of(tree, version, {"nps": 5, "contact": "yes"})
    assert "contact" in errors_of(tree, version, {"nps": 5, "contact": "yes"},
                                  contact="not an address")
    response, _ = submit(tree, version, {"nps": 5, "contact": "yes"},
                         contact="liisa@example.fi")
    assert response.consent_contact and response.contact == "liisa@example.fi"
    assert response.consent_wording["text"].startswith("Saammeko ottaa")
    response, _ = submit(tree, version, {"nps": 5}, consent_contact=True,
                         contact="+358 40 123 4567")
    assert response.consent_contact
    response, _ = submit(tree, version, {"nps": 5, "contact": "no"}, contact="a@b.fi")
    assert not response.consent_contact and response.contact == ""


def test_language_channel_and_time_are_checked(tree, version):
    assert "language" in errors_of(tree, version, {"nps": 5}, language="de")
    assert "channel" in errors_of(tree, version, {"nps": 5}, channel="fax")
    assert "submitted_at" in errors_of(tree, version, {"nps": 5},
                                       submitted_at=datetime(2026, 1, 1, 12))
    assert "submitted_at" in errors_of(tree, version, {"nps": 5},
                                       submitted_at=timezone.now() + timedelta(days=1))
    earlier = timezone.now() - timedelta(hours=5)
    response, _ = submit(tree, version, {"nps": 5}, submitted_at=earlier, channel="kiosk")
    assert response.submitted_at == earlier and response.received_at > earlier


def test_collection_point_fills_unit_touchpoint_and_version(org, tree):
    tp = make_touchpoint(org)
    cp = make_point(org, tree.kallio, touchpoint=tp)
    response, created = do_submit_response(collection_point=cp, answers={"nps": 9},
                                           language="sv", channel="qr")
    assert created
    assert (response.unit, response.touchpoint, response.survey_version) == \
        (tree.kallio, tp, cp.survey.current_version)
    assert response.collection_point == cp and response.organisation == org


def test_other_organisation_objects_are_rejected(tree, version, outsider):
    from kokemus.accounts.models import Unit

    foreign = Unit.objects.exclude(organisation=tree.org).first()
    with pytest.raises(ValidationError):
        do_submit_response(unit=foreign, survey_version=version, answers={"nps": 5},
                           language="fi", channel="api")


def test_idempotency_same_key_one_row(tree, version):
    first, created = submit(tree, version, {"nps": 5}, idempotency_key="abc")
    assert created
    again, created = submit(tree, version, {"nps": 1}, idempotency_key="abc")
    assert not created and again.pk == first.pk
    assert Response.objects.count() == 1
    assert again.answers.get().value == 5


def test_idempotency_race_returns_existing(tree, version, monkeypatch):
    """A concurrent retry that passes the first lookup hits the unique constraint."""
    first, _ = submit(tree, version, {"nps": 5}, idempotency_key="race")
    real = IdempotencyKey.objects.filter
    calls = {"n": 0}

    def filter_(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            # the other request has not committed yet when we look
            return IdempotencyKey.objects.none()
        return real(*args, **kwargs)

    monkeypatch.setattr(response_actions.IdempotencyKey.objects, "filter", filter_)
    again, created = submit(tree, version, {"nps": 5}, idempotency_key="race")
    assert not created and again.pk == first.pk
    assert Response.objects.count() == 1


def test_unique_constraint_per_organisation(tree, version, outsider):
    response, _ = submit(tree, version, {"nps": 5}, idempotency_key="k")
    key = IdempotencyKey.objects.get(organisation=tree.org, key="k")
    assert (key.response_id, key.submitted_at) == (response.pk, response.submitted_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyKey.objects.create(organisation=tree.org, key="k", response=response,
                                      submitted_at=response.submitted_at)
    # The same key in another organisation is another key.
    other = Organisation.objects.exclude(pk=tree.org.pk).get()
    IdempotencyKey.objects.create(organisation=other, key="k", response=response,
                                  submitted_at=response.submitted_at)


def test_answers_carry_the_response_time(tree, version):
    when = timezone.now() - timedelta(days=40)
    response, _ = submit(tree, version, {"nps": 5, "improve": "Hyvä", "csat": 4},
                         submitted_at=when)
    assert response.answers.count() >= 2
    assert set(response.answers.values_list("submitted_at", flat=True)) == {when}


def test_signal_sent_on_commit(tree, version, django_capture_on_commit_callbacks):
    received = []

    def handler(sender, response, **kwargs):
        received.append(response.pk)

    response_submitted.connect(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response, _ = submit(tree, version, {"nps": 5})
    finally:
        response_submitted.disconnect(handler)
    assert received == [response.pk]


def test_no_audit_entry_per_response(tree, version):
    from kokemus.accounts.models import AuditLog

    before = AuditLog.objects.count()
    submit(tree, version, {"nps": 5})
    assert AuditLog.objects.count() == before
    assert Answer.objects.count() == 1


def test_answer_times_are_stored_in_utc_whatever_the_offset(tree, version):
    """Regression: an offset beyond PostgreSQL's ±15:59 (valid in Python) is normalised."""
    from datetime import timezone as dt_timezone

    odd = datetime(2026, 1, 1, 12, 0, tzinfo=dt_timezone(timedelta(hours=20, minutes=58)))
    response, _ = submit(tree, version, {"nps": 7}, submitted_at=odd)
    response.refresh_from_db()
    assert response.submitted_at == odd
    with pytest.raises(ValidationError) as exc:
        submit(tree, version, {"nps": 7}, submitted_at=datetime(
            1, 1, 1, 0, 0, tzinfo=dt_timezone(timedelta(hours=23))))
    assert "submitted_at" in exc.value.message_dict


def test_rollup_rows_of_a_submission_are_exactly_keys_for(tree, version):
    """On PostgreSQL the statement that stores a response computes its rollup keys itself;
    they must be those of rollups.keys_for (summed over slots), for every question type."""
    from kokemus.analytics import rollups

    submit(tree, version, {"nps": 3, "improve": "Jono", "csat": 2, "ces": 5, "smiley": 1,
                           "fft": 4, "greeting": 3, "expectations": 2, "emotion": "worried",
                           "mood": 2, "visit": "option_1",
                           "topics": ["option_2", "option_1"]})
    submit(tree, version, {"nps": 10, "topics": ["option_1"]}, language="sv")
    submit(tree, version, {"nps": 10, "topics": ["option_1"]}, language="sv",
           idempotency_key="twice")
    submit(tree, version, {"nps": 10, "topics": ["option_1"]}, language="sv",
           idempotency_key="twice")  # a repeat adds nothing
    stored = rollups.stored_counts()
    assert +stored == +rollups.count_from_raw_python()
    assert stored[(tree.kamppi.organisation_id, tree.kamppi.pk, 0, "link", "sv", "topics",
                   "multi_choice", timezone.localdate(), -1, "option_1")] == 2
    assert rollups.verify() == []
