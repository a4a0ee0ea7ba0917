"""Group commit (PostgreSQL): concurrent public-form submissions of a process share one
statement, with the same outcome for each as on its own."""

import threading

import pytest
from django.db import DatabaseError, connection
from django.test import override_settings

from kokemus.analytics import rollups
from kokemus.comments.ingest import forget_org_context
from kokemus.comments.models import CommentAnalysis, StaffMention
from kokemus.responses import actions, groupcommit
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Answer, IdempotencyKey, Response
from kokemus.surveys import ratelimit
from kokemus.surveys.models import RespondRateCounter
from kokemus.surveys.questions import new_question
from tests.surveys.helpers import make_survey

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("fresh_public_form")]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("group commit is PostgreSQL's (SQLite has one writer at a time)")


@pytest.fixture
def points(tree, staff):
    from kokemus.accounts.audit import SYSTEM
    from kokemus.surveys import actions as survey_actions

    survey = make_survey(tree.org, questions=[
        new_question("nps", "nps", required=True),
        new_question("multi_choice", "topics"),
        new_question("free_text", "why", max_length=1000),
    ])
    forget_org_context()
    return [survey_actions.do_create_collection_point(SYSTEM, survey, unit=unit)
            for unit in (tree.kamppi, tree.root)]


def submission(point, n, ip=None, key=None, language="fi"):
    answers = {"nps": n % 11, "topics": ["option_1", "option_2"][: n % 3]}
    if n % 2:
        answers["why"] = "Sanna auttoi, kiitos!" if n % 4 == 1 else "Jono oli pitkä"
    return dict(collection_point=point, answers=answers, language=language, channel="qr",
                idempotency_key=key or f"web:{point.code}:key{n}",
                limiter=ratelimit.Limiter(point.code, ip or f"10.0.0.{n}"), group=True)


def run_together(calls):
    """Run ``calls`` on threads of their own so that all but the first queue while the
    first one's statement runs: the first is held until the others wait in the queue.
    Returns each call's result or exception, and the sizes of the batches that ran."""
    sizes, results = [], [None] * len(calls)
    solo, many = actions._insert_one_pg, actions._insert_many_pg
    first = threading.Event()

    def held_solo(*args):
        if not first.is_set():
            first.set()
            for _ in range(500):  # until the others queue (at most 5 s)
                with groupcommit._lock:
                    if len(groupcommit._queue) >= len(calls) - 1:
                        break
                threading.Event().wait(0.01)
        sizes.append(1)
        return solo(*args)

    def counted_many(items):
        sizes.append(len(items))
        return many(items)

    def run(i, kwargs):
        try:
            results[i] = do_submit_response(**kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            results[i] = exc
        finally:
            connection.close()

    actions._insert_one_pg, actions._insert_many_pg = held_solo, counted_many
    try:
        threads = [threading.Thread(target=run, args=(0, calls[0]))]
        threads[0].start()
        first.wait(5)
        threads += [threading.Thread(target=run, args=(i, kw))
                    for i, kw in enumerate(calls) if i]
        for t in threads[1:]:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        actions._insert_one_pg, actions._insert_many_pg = solo, many
    return results, sizes


def test_concurrent_submissions_share_a_statement_and_store_what_each_would(points):
    calls = [submission(points[i % 2], i, language="fi sv en".split()[i % 3])
             for i in range(1, 8)]
    results, sizes = run_together(calls)
    assert sizes == [1, 6]  # the first alone, the six that queued meanwhile together
    assert all(created for _response, created in results)
    ids = {response.pk for response, _created in results}
    assert len(ids) == 7 and Response.objects.filter(pk__in=ids).count() == 7
    for (response, _), call in zip(results, calls, strict=True):
        stored = Response.objects.get(pk=response.pk)
        assert (stored.unit_id, stored.language, stored.idempotency_key) == (
            call["collection_point"].unit_id, call["language"], call["idempotency_key"])
        answers = sorted(Answer.objects.filter(response_id=response.pk)
                         .values_list("question_key", "value", "choice"))
        expected = [("nps", call["answers"]["nps"], "")]
        expected += [("topics", None, c) for c in call["answers"]["topics"]]
        expected += [("why", None, "")] if "why" in call["answers"] else []
        assert answers == sorted(expected)
    assert IdempotencyKey.objects.filter(response_id__in=ids).count() == 7
    # comments: one pending analysis each, redacted; the named member is noted
    assert CommentAnalysis.objects.count() == 4
    assert not CommentAnalysis.objects.filter(redacted__contains="Sanna").exists()
    assert StaffMention.objects.count() == 2
    # each device counted once; rollups equal a recount from the raw answers
    assert sorted(RespondRateCounter.objects.values_list("count", flat=True)) == [1] * 7
    assert +rollups.stored_counts() == +rollups.count_from_raw_python()
    assert rollups.verify() == []


def test_a_repeat_and_an_over_limit_submission_in_a_batch_store_nothing(points):
    do_submit_response(**submission(points[0], 1))  # stored before
    with override_settings(KOKEMUS_RESPOND_RATE_LIMIT=1):
        busy = submission(points[0], 3, ip="10.9.9.9")
        RespondRateCounter.objects.create(key=busy["limiter"].key, count=1,
                                          expires_at=busy["limiter"].window_end())
        calls = [submission(points[0], 2), submission(points[0], 1, ip="10.8.8.8"), busy,
                 submission(points[0], 5)]
        results, sizes = run_together(calls)
    assert sizes == [1, 3]
    (_, first), (repeat, again), over, (_, last) = results
    assert first and last and not again
    assert repeat.pk == Response.objects.get(idempotency_key=calls[1]["idempotency_key"]).pk
    assert isinstance(over, ratelimit.RateLimited)
    assert not IdempotencyKey.objects.filter(key=busy["idempotency_key"]).exists()
    assert RespondRateCounter.objects.get(key=busy["limiter"].key).count == 2  # counted
    assert Response.objects.count() == 3
    assert rollups.verify() == []


def test_one_device_or_one_key_never_shares_a_batch(points):
    calls = [submission(points[0], 1), submission(points[0], 2, ip="10.1.1.1"),
             submission(points[0], 3, ip="10.1.1.1"), submission(points[0], 4),
             submission(points[0], 4, ip="10.2.2.2")]
    results, sizes = run_together(calls)
    assert sizes[0] == 1 and sum(sizes) == 5 and max(sizes) <= 3
    assert [created for _r, created in results].count(True) == 4
    assert Response.objects.count() == 4
    assert RespondRateCounter.objects.get(key=calls[1]["limiter"].key).count == 2
    assert rollups.verify() == []


def test_a_failed_batch_runs_each_submission_on_its_own(points):
    calls = [submission(points[0], i) for i in range(1, 5)]
    many = actions._insert_many_pg

    def failing(items):
        raise DatabaseError("deadlock detected")

    actions._insert_many_pg = failing
    try:
        results, sizes = run_together(calls)
    finally:
        actions._insert_many_pg = many
    assert all(created for _r, created in results)
    assert sizes == [1, 3, 1, 1, 1]  # the batch of three failed; each ran alone
    assert Response.objects.count() == 4
    assert sorted(RespondRateCounter.objects.values_list("count", flat=True)) == [1] * 4
    assert rollups.verify() == []


def test_group_commit_can_be_turned_off(points, settings):
    settings.KOKEMUS_PG_GROUP_COMMIT = False
    results, sizes = run_together([submission(points[0], i) for i in range(1, 4)])
    assert sizes == [1, 1, 1]
    assert all(created for _r, created in results)


def test_inside_a_transaction_a_submission_runs_on_its_own(points):
    from django.db import transaction

    with transaction.atomic():
        assert not groupcommit.enabled()
        _response, created = do_submit_response(**submission(points[0], 1))
    assert created and Response.objects.count() == 1
