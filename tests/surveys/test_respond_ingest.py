"""The public form's hot path: the rate-limit counter table, the per-process collection
point cache and the number of queries one submission costs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kokemus.responses.models import Response
from kokemus.surveys import public_views, ratelimit
from kokemus.surveys.models import CollectionPoint, RespondRateCounter
from tests.surveys.helpers import make_point, make_touchpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_public_form")]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cp(org, tree):
    return make_point(org, tree.kamppi, touchpoint=make_touchpoint(org))


def post(client, cp, n, **extra):
    return client.post(f"/r/{cp.code}/", {"q-nps": "9", "q-liked": "Hyvä palvelu",
                                          "idem": f"ingest-key-{n:08d}"}, **extra)


# --- the rate-limit counter -------------------------------------------------------------

@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=2, KOKEMUS_RESPOND_RATE_WINDOW=600)
def test_counter_counts_per_code_and_ip_and_stores_no_address():
    limiter = ratelimit.Limiter("abcd2345", "203.0.113.7")
    assert [limiter.hit(), limiter.hit(), limiter.hit()] == [False, False, True]
    assert ratelimit.count_for("abcd2345", "203.0.113.7") == 3
    assert ratelimit.count_for("abcd2345", "203.0.113.8") == 0
    assert ratelimit.Limiter("abcd2345", "203.0.113.8").hit() is False
    assert ratelimit.Limiter("other234", "203.0.113.7").hit() is False
    keys = list(RespondRateCounter.objects.values_list("key", flat=True))
    assert len(keys) == 3 and not any("203.0.113" in k or "abcd" in k for k in keys)
    # Seen over the limit: refused in this process without a query until the window ends.
    with CaptureQueriesContext(connection) as ctx:
        assert limiter.blocked() is True
    assert len(ctx.captured_queries) == 0
    assert ratelimit.Limiter("abcd2345", "203.0.113.8").blocked() is False


@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=2, KOKEMUS_RESPOND_RATE_WINDOW=600)
def test_counter_starts_again_after_its_window():
    limiter = ratelimit.Limiter("abcd2345", "198.51.100.1")
    for _ in range(3):
        limiter.hit()
    row = RespondRateCounter.objects.get(key=limiter.key)
    assert row.count == 3 and row.expires_at > timezone.now() + timedelta(seconds=590)
    RespondRateCounter.objects.filter(key=limiter.key).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    ratelimit.forget()
    assert limiter.blocked() is False
    assert limiter.hit() is False
    row.refresh_from_db()
    assert row.count == 1 and row.expires_at > timezone.now() + timedelta(seconds=590)


def test_purge_deletes_only_expired_counters():
    now = timezone.now()
    RespondRateCounter.objects.create(key="old", count=5, expires_at=now - timedelta(minutes=1))
    RespondRateCounter.objects.create(key="live", count=2, expires_at=now + timedelta(minutes=5))
    assert ratelimit.purge_expired() == 1
    assert list(RespondRateCounter.objects.values_list("key", flat=True)) == ["live"]


@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=2)
def test_over_the_limit_nothing_is_stored_and_other_paths_count_too(anon_client, cp):
    assert post(anon_client, cp, 1).status_code == 302
    # The honeypot stores nothing but counts.
    assert anon_client.post(f"/r/{cp.code}/", {"q-nps": "5", "website": "x"}).status_code == 302
    over = post(anon_client, cp, 2)
    assert over.status_code == 429 and over.has_header("Cache-Control")
    assert Response.objects.count() == 1
    # The refused submission is counted (nothing else of it is stored); the window does
    # not move.
    assert ratelimit.count_for(cp.code, "127.0.0.1") == 3
    # Refused from memory now, without a query.
    with CaptureQueriesContext(connection) as ctx:
        assert post(anon_client, cp, 3).status_code == 429
    assert not [q for q in ctx.captured_queries if "respondratecounter" in q["sql"]]
    # Another process (no memory) refuses it too, from the shared counter.
    ratelimit.forget()
    assert post(anon_client, cp, 4).status_code == 429
    assert Response.objects.count() == 1
    # A retry of the stored submission from another device is answered as before.
    assert post(anon_client, cp, 1, REMOTE_ADDR="10.1.2.3").status_code == 302
    assert Response.objects.count() == 1
    # The refused submissions bumped no rollup either (rolled back with them).
    from django.db.models import Sum

    from kokemus.analytics.models import RESPONSE_KEY, DailyCount
    assert DailyCount.objects.filter(question_key=RESPONSE_KEY).aggregate(
        n=Sum("count"))["n"] == 1


@override_settings(KOKEMUS_RESPOND_RATE_LIMIT=1)
def test_invalid_submissions_count_and_429_wins_over_400(anon_client, cp):
    assert anon_client.post(f"/r/{cp.code}/", {"q-nps": "11"}).status_code == 400
    assert anon_client.post(f"/r/{cp.code}/", {"q-nps": "11"}).status_code == 429
    assert Response.objects.count() == 0


SCRIPT = r"""
import json, sys
import django
django.setup()
from django.test import RequestFactory
from kokemus.surveys.public_views import _over_rate_limit
from kokemus.surveys import ratelimit
req = RequestFactory().post("/r/x/", REMOTE_ADDR="203.0.113.9")
over = [_over_rate_limit(req, "scale234") for _ in range(int(sys.argv[1]))]
print(json.dumps({"over": over, "count": ratelimit.count_for("scale234", "203.0.113.9")}))
"""


def test_limit_is_shared_by_processes(tmp_path):
    """Two processes (workers, or machines on one database) count into the same row."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(KOKEMUS_TESTING="1", DJANGO_SETTINGS_MODULE="kokemus.settings",
               KOKEMUS_RESPOND_RATE_LIMIT="3", KOKEMUS_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    subprocess.run([str(ROOT / ".venv/bin/kokemus"), "migrate", "-v", "0"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=300)

    def run(n):
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(n)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    assert run(2) == {"over": [False, False], "count": 2}
    assert run(2) == {"over": [False, True], "count": 4}


# --- the collection point cache ---------------------------------------------------------

def test_saves_in_this_process_take_effect_at_once(anon_client, cp):
    from kokemus.accounts.audit import SYSTEM
    from kokemus.surveys import actions

    with override_settings(KOKEMUS_PUBLIC_POINT_CACHE_SECONDS=3600):
        assert anon_client.get(f"/r/{cp.code}/").status_code == 200
        actions.do_set_collection_point_active(SYSTEM, cp, False)
        assert post(anon_client, cp, 1).status_code == 410
        actions.do_set_collection_point_active(SYSTEM, cp, True)
        assert post(anon_client, cp, 2).status_code == 302


def test_changes_by_other_processes_take_effect_after_the_cache_time(anon_client, cp):
    with override_settings(KOKEMUS_PUBLIC_POINT_CACHE_SECONDS=3600):
        assert anon_client.get(f"/r/{cp.code}/").status_code == 200
        # Like another worker closing it: no signal reaches this process.
        CollectionPoint.objects.filter(pk=cp.pk).update(is_active=False)
        assert anon_client.get(f"/r/{cp.code}/").status_code == 200  # still cached
    with override_settings(KOKEMUS_PUBLIC_POINT_CACHE_SECONDS=0):
        assert anon_client.get(f"/r/{cp.code}/").status_code == 410
        assert post(anon_client, cp, 1).status_code == 410
    assert Response.objects.count() == 0


def test_default_cache_time_is_short():
    assert 0 < public_views._point_cache_seconds() <= 5


# --- queries per submission -------------------------------------------------------------

# PostgreSQL: BEGIN, one INSERT of the key, response, answers and comment analysis, the
# rate-limit count, the rollup upsert (both rollup tables in one statement), COMMIT.
# SQLite takes the ORM path (both rollup tables in two statements).
SUBMISSION_QUERIES = {"postgresql": 1, "sqlite": 12}


def test_a_submission_costs_no_lookups_and_a_pinned_number_of_queries(anon_client, cp):
    """One typical submission (score + comment) with a warm point cache.

    Captured inside the test's transaction, so BEGIN/COMMIT (SQLite) appear as the outer
    SAVEPOINT/RELEASE. Before this work the same submission took 23 statements (cache
    table reads/writes with their own commits, the point and version lookups).
    """
    assert post(anon_client, cp, 1).status_code == 302  # warms the cache
    with CaptureQueriesContext(connection) as ctx:
        assert post(anon_client, cp, 2).status_code == 302
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not [s for s in sqls if "surveys_collectionpoint" in s or "surveys_surveyversion"
                in s or "kokemus_cache" in s], sqls
    assert sum("surveys_respondratecounter" in s for s in sqls) == 1
    counted = next(i for i, s in enumerate(sqls) if "surveys_respondratecounter" in s)
    if connection.vendor == "postgresql":
        # One statement (in autocommit, the whole transaction): the count, which gates the
        # rest, the response's rows and the rollup upserts, DailyCount locked before
        # UnitDayCount.
        one = sqls[counted]
        assert all(table in one for table in ("responses_response", "responses_answer",
                                              "analytics_dailycount", "analytics_unitdaycount"))
        assert one.index("analytics_dailycount") < one.index("analytics_unitdaycount")
        assert "FROM l WHERE l.count <= %s" in one
    else:
        # Counted first, in its own statement; then the response's rows and, last, the
        # rollup upserts (the most shared rows).
        assert counted == 0
        tail = [s for s in sqls if "SAVEPOINT" not in s]
        assert "analytics_" in tail[-1] and "analytics_" in tail[-2], sqls
        assert not any("analytics_" in s for s in tail[:-2]), sqls
    assert len(sqls) == SUBMISSION_QUERIES[connection.vendor], "\n".join(sqls)
    assert Response.objects.count() == 2
    assert any("comments_commentanalysis" in s for s in sqls)  # the comment was stored


def test_every_post_counts_once_repeats_and_invalid_ones_too(anon_client, cp):
    assert post(anon_client, cp, 1).status_code == 302
    assert post(anon_client, cp, 1).status_code == 302  # a retry: answered, not stored again
    assert anon_client.post(f"/r/{cp.code}/", {"q-nps": "11"}).status_code == 400
    assert ratelimit.count_for(cp.code, "127.0.0.1") == 3
    assert Response.objects.count() == 1


def test_the_submission_statement_is_prepared_once_per_connection(anon_client, cp):
    """PostgreSQL parses and plans it once per connection, not per submission."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0) "
                           "FROM pg_prepared_statements WHERE statement LIKE %s",
                           ["WITH l AS (INSERT INTO surveys_respondratecounter%"])
            return cursor.fetchone()

    before = prepared()
    for n in range(1, 4):
        assert post(anon_client, cp, n).status_code == 302
    statements, plans = prepared()
    assert statements == before[0] + 1 and plans >= 3
    assert Response.objects.count() == 3


def test_prepared_statements_can_be_turned_off():
    from django.db import connections

    from kokemus.db.postgresql.base import EXPLICIT_ONLY, DatabaseWrapper

    settings_dict = {**connections["default"].settings_dict, "OPTIONS": {}}
    assert DatabaseWrapper(settings_dict).get_connection_params()[
        "prepare_threshold"] == EXPLICIT_ONLY
    with override_settings(KOKEMUS_PG_PREPARED_STATEMENTS=False):
        assert DatabaseWrapper(settings_dict).get_connection_params()[
            "prepare_threshold"] is None
    # an explicit OPTIONS value wins
    explicit = {**settings_dict, "OPTIONS": {"prepare_threshold": 5}}
    assert DatabaseWrapper(explicit).get_connection_params()["prepare_threshold"] == 5
