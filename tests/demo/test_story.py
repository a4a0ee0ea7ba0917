"""The demo story generator: reproducible, consistent rollups, comments and contacts."""

from __future__ import annotations

import os

from kokemus.analytics import rollups
from kokemus.demo import load_demo, story
from kokemus.responses.models import Answer, Response
from kokemus.surveys.questions import stored_answer_is_valid


def _demo():
    with story.skip_demo_step(), open(os.devnull, "w") as sink:
        load_demo(seed=1, stdout=sink)


def test_generate_is_reproducible_and_rollups_verify(db):
    _demo()
    Response.objects.all().delete()  # other demo steps may have added a few
    rollups.rebuild()
    stats = story.generate(3000, seed=5, batch_size=1000)
    assert stats["responses"] == Response.objects.count() == 3000
    assert rollups.verify() == []
    first = list(Response.objects.order_by("id").values_list(
        "unit_id", "language", "submitted_at")[:50])
    texts = list(Answer.objects.filter(question_type="free_text").order_by("id")
                 .values_list("text", flat=True)[:50])
    Response.objects.all().delete()
    rollups.rebuild()
    story.generate(3000, seed=5, batch_size=1000)
    assert list(Response.objects.order_by("id").values_list(
        "unit_id", "language", "submitted_at")[:50]) == first
    assert list(Answer.objects.filter(question_type="free_text").order_by("id")
                .values_list("text", flat=True)[:50]) == texts


def test_loads_into_days_with_rollups_and_live_submissions_afterwards(db):
    """A second load into the same days takes the merge path (per-unit rollups recomputed
    in SQL); the first one the fresh path (summed from the arrays). Live submissions after
    both get ids past the blocks the loads reserved."""
    from kokemus.analytics.models import DailyCount, UnitDayCount
    from kokemus.responses.actions import do_submit_response
    from kokemus.surveys.models import CollectionPoint

    _demo()
    Response.objects.all().delete()
    rollups.rebuild()
    assert not UnitDayCount.objects.exists()
    story.generate(1500, seed=7, batch_size=500)
    assert rollups.verify() == []
    fresh = {(u.unit_id, u.question_type, u.day, u.value): u.count
             for u in UnitDayCount.objects.all()}
    rollups.rebuild()  # the SQL derivation gives the same per-unit rollups
    assert {(u.unit_id, u.question_type, u.day, u.value): u.count
            for u in UnitDayCount.objects.all()} == fresh
    keys = DailyCount.objects.count()
    story.generate(1000, seed=8, batch_size=500)
    assert Response.objects.count() == 2500
    assert rollups.verify() == []
    assert DailyCount.objects.count() >= keys
    cp = CollectionPoint.objects.filter(survey__versions__isnull=False).first()
    before = Answer.objects.count()
    response, created = do_submit_response(collection_point=cp, answers={"nps": 9},
                                           language="fi", channel=cp.channel)
    assert created and response.pk > Response.objects.exclude(pk=response.pk).order_by(
        "-pk").values_list("pk", flat=True).first()
    assert Answer.objects.count() > before
    assert rollups.verify() == []


def test_answers_are_valid_for_their_survey(db):
    _demo()
    story.generate(2000, seed=3)
    versions = {}
    for a in Answer.objects.select_related("response__survey_version")[:5000]:
        v = a.response.survey_version
        q = versions.setdefault((v.pk, a.question_key), v.question(a.question_key))
        assert stored_answer_is_valid(q, value=a.value, choice=a.choice, text=a.text), a
    share = Answer.objects.filter(question_type="free_text").count() / 2000
    assert 0.22 < share < 0.38
    consents = Response.objects.filter(consent_contact=True)
    assert consents.exists()
    assert all(c.endswith("@example.invalid") for c in consents.values_list("contact", flat=True))
    assert all(r.consent_wording["question"] == "contact" for r in consents)


def _copy_rows(data: bytes) -> list[tuple]:
    """Rows of a binary-COPY body (no header/trailer): tuples of field bytes or None."""
    rows, pos = [], 0
    while pos < len(data):
        count = int.from_bytes(data[pos:pos + 2], "big")
        pos += 2
        row = []
        for _i in range(count):
            size = int.from_bytes(data[pos:pos + 4], "big", signed=True)
            pos += 4
            if size < 0:
                row.append(None)
            else:
                row.append(data[pos:pos + size])
                pos += size
        rows.append(tuple(row))
    return rows


def test_grouped_copy_encoding_gives_the_same_rows_as_the_generic_one():
    import numpy as np

    from kokemus.demo import bulk

    rng = np.random.default_rng(7)
    n = 5000
    org = rng.integers(1, 4, n)
    ids = np.arange(10_000, 10_000 + n)
    q = rng.integers(0, 3, n)
    value = np.where(rng.random(n) < 0.2, bulk.NO_VALUE, rng.integers(0, 11, n))
    choice = rng.integers(0, 3, n)
    stamp = rng.integers(-10**15, 10**15, n)
    qkeys, choices = [b"nps", b"__response__", b"long_question_key_x"], [b"", b"calm", b"ok"]
    generic = bulk.encode_binary([
        bulk._fixed(org, "i8"), bulk._fixed(ids, "i8"), bulk._categorical(q, qkeys),
        bulk._fixed(value, "i4", null=value == bulk.NO_VALUE),
        bulk._categorical(choice, choices), bulk._fixed(stamp, "i8")])
    grouped = bulk.encode_grouped(n, [
        ("i8", org, None), ("i8", ids, None), ("cat", q, qkeys),
        ("i4", value, value == bulk.NO_VALUE), ("cat", choice, choices), ("i8", stamp, None)])
    assert len(grouped) == len(generic)
    rows = _copy_rows(grouped)
    assert sorted(rows, key=repr) == sorted(_copy_rows(generic), key=repr)
    assert len(rows) == n and any(r[3] is None for r in rows)


def _index_definitions(tables: list[str]) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT c.relname || ': ' || pg_get_indexdef(i.indexrelid) "
                           "FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
                           "WHERE c.relname = ANY(%s)", [tables])
        else:
            cursor.execute(f"SELECT tbl_name || ': ' || COALESCE(sql, name) FROM sqlite_master "
                           f"WHERE type = 'index' AND tbl_name IN "
                           f"({', '.join(['%s'] * len(tables))})", tables)
        return {row[0] for row in cursor.fetchall()}


def test_deferred_indexes_come_back_as_they_were(db):
    """A large load drops secondary indexes (on PostgreSQL also the primary keys no
    foreign key refers to) and builds the same ones again."""
    from django.db import connection, transaction

    from kokemus.analytics.models import DailyCount
    from kokemus.demo import bulk

    tables = [Response._meta.db_table, Answer._meta.db_table, DailyCount._meta.db_table]
    before = _index_definitions(tables)
    with transaction.atomic(), bulk.indexes_deferred(tables) as dropped:
        during = _index_definitions(tables)
        assert during < before
        if connection.vendor == "postgresql":
            assert {"responses_response_pkey", "responses_answer_pkey",
                    "analytics_dailycount_pkey", "dailycount_slot_key"} <= set(dropped)
    assert _index_definitions(tables) == before


def test_demo_step_analyses_the_story_comments_on_the_fast_path(db, monkeypatch):
    """``kokemus demo`` runs no worker: its story step analyses the generated comments
    itself (bulk, fast path) and reports it on the loader's output."""
    import io

    from kokemus.comments.models import PENDING, CommentAnalysis
    from kokemus.demo import DemoContext

    _demo()
    monkeypatch.setattr(story, "DEMO_RESPONSES", 1500)
    already = CommentAnalysis.objects.count()  # comments the other demo steps submitted
    out = io.StringIO()
    story.demo_step(DemoContext(seed=4, rng=None, stdout=out))
    comments = Answer.objects.filter(question_type="free_text").exclude(text="")
    assert comments.count() > 100
    assert not comments.filter(analysis__isnull=True).exists()
    analyses = CommentAnalysis.objects.filter(answer__in=comments)
    assert analyses.count() == comments.count()
    assert not analyses.filter(sentiment=PENDING).exists()
    assert set(analyses.values_list("sentiment", flat=True)) <= {"positive", "neutral",
                                                                 "negative"}
    assert not analyses.filter(redacted="").exists()
    assert analyses.exclude(themes=[]).count() > comments.count() // 2
    assert f"analysed {comments.count() - already:,} comments (fast path)" in out.getvalue()


def test_demo_reset_deletes_what_the_demo_made(db, monkeypatch):
    """``kokemus demo --reset`` on a loaded demo: the improvement step's follow-up cases
    (whose unit is protected) went unremoved and the reset failed with ProtectedError."""
    import io

    from kokemus.accounts.models import Organisation
    from kokemus.demo import DEMO_ORGS
    from kokemus.improvement.models import FollowUpCase

    monkeypatch.setattr(story, "DEMO_RESPONSES", 3000)
    load_demo(seed=5, stdout=io.StringIO())
    assert FollowUpCase.objects.exists()
    load_demo(seed=5, reset=True, stdout=io.StringIO())
    assert Organisation.objects.filter(slug__in=DEMO_ORGS).count() == len(DEMO_ORGS)
    assert FollowUpCase.objects.exists()
