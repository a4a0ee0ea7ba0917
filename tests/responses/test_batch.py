"""The batched ingestion path gives exactly what one-by-one submission gives."""

import pytest

from kokemus.analytics import rollups
from kokemus.responses.actions import do_submit_batch, do_submit_response
from kokemus.responses.models import Answer, IdempotencyKey, Response
from kokemus.responses.signals import response_submitted
from kokemus.surveys.questions import stored_answer_is_valid
from tests.surveys.helpers import make_survey


@pytest.fixture
def version(org):
    return make_survey(org).current_version


def item(tree, version, answers, key=None, **kw):
    return {"unit": tree.kamppi, "survey_version": version, "answers": answers,
            "language": "fi", "channel": "import", "idempotency_key": key, **kw}


def test_mixed_batch_stores_exactly_the_valid_items(tree, version):
    do_submit_response(**item(tree, version, {"nps": 9}, key="old"))
    items = [
        item(tree, version, {"nps": 10}, key="a"),
        item(tree, version, {"nps": 11}, key="b"),            # out of range
        item(tree, version, {"nps": 3, "improve": "Jono oli pitkä"}, key="c"),
        item(tree, version, {"nps": 7}, key="old"),           # stored before
        item(tree, version, {"nps": 8}, key="a"),             # repeated in this batch
        item(tree, version, {"nope": 1}, key="d"),            # unknown question
        item(tree, version, {"nps": 5}, language="de"),       # bad language
        item(tree, version, {"nps": 6}),                      # no key: always new
    ]
    results = do_submit_batch(items)
    assert [r.status for r in results] == ["created", "invalid", "created", "duplicate",
                                           "duplicate", "invalid", "invalid", "created"]
    assert "nps" in results[1].errors and "language" in results[6].errors
    assert results[4].response.pk == results[0].response.pk
    assert Response.objects.count() == 4  # "old" + 3 created
    questions = {q["key"]: q for q in version.questions}
    for a in Answer.objects.all():
        assert stored_answer_is_valid(questions.get(a.question_key), value=a.value,
                                      choice=a.choice, text=a.text)
    assert rollups.verify() == []


def test_batch_equals_one_by_one(tree, version, org):
    answers = [{"nps": n % 11, "csat": 1 + n % 5} for n in range(30)]
    do_submit_batch([item(tree, version, a, key=f"b{n}") for n, a in enumerate(answers)])
    for n, a in enumerate(answers):
        do_submit_response(**item(tree, version, a, key=f"s{n}"))

    def shape(prefix):
        rows = Answer.objects.filter(response__idempotency_key__startswith=prefix)
        return sorted((a.response.idempotency_key[1:], a.question_key, a.value, a.choice)
                      for a in rows.select_related("response"))

    assert shape("b") == shape("s")
    assert rollups.verify() == []


def test_signals_are_sent_on_commit_for_created_items(tree, version,
                                                      django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, response, **kwargs):
        seen.append(response.pk)

    response_submitted.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            results = do_submit_batch([item(tree, version, {"nps": 9}, key="x"),
                                       item(tree, version, {"nps": 99}, key="y")])
    finally:
        response_submitted.disconnect(receiver)
    assert seen == [results[0].response.pk]


def test_race_falls_back_to_one_by_one(tree, version, monkeypatch):
    """A concurrent writer stores key "r1" after our lookup: the unique constraint stops
    the bulk insert and the batch falls back to one-by-one, reporting a duplicate."""
    do_submit_response(**item(tree, version, {"nps": 1}, key="r1"))
    real_filter = IdempotencyKey.objects.filter
    hidden = {"done": False}

    def filter_(*args, **kwargs):
        if "key__in" in kwargs and not hidden["done"]:
            hidden["done"] = True
            return IdempotencyKey.objects.none()  # the other writer had not committed yet
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(IdempotencyKey.objects, "filter", filter_)
    results = do_submit_batch([item(tree, version, {"nps": 9}, key="r1"),
                               item(tree, version, {"nps": 8}, key="r2")])
    assert [r.status for r in results] == ["duplicate", "created"]
    assert Response.objects.filter(idempotency_key="r1").count() == 1
    assert rollups.verify() == []
