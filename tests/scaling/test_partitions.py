"""Monthly partitions of responses and answers (kokemus.responses.partitions).

PostgreSQL-only tests check where rows physically land (``tableoid::regclass``), the
DEFAULT partition's rows moving into a new month, dropping a month (exactly its rows and
their dependants go, rollups stay) and retention; the migration check (subprocess on a
scratch database with data) and the command's SQLite behaviour run on both databases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from kokemus.analytics import rollups
from kokemus.analytics.models import DailyCount
from kokemus.comments.models import CommentAnalysis
from kokemus.improvement.models import FollowUpCase
from kokemus.responses import partitions
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Answer, IdempotencyKey, RawDataDrop, Response
from kokemus.responses.partitions import add_months, month_of, month_start
from tests.surveys.helpers import make_survey

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture
def pg(db):
    if connection.vendor != "postgresql":
        pytest.skip("partitioning is PostgreSQL-only")


@pytest.fixture
def version(org):
    return make_survey(org).current_version


def submit(tree, version, when, key=None, text=None):
    answers = {"nps": 3 if text else 9, "csat": 4}
    if text:
        answers["improve"] = text
    response, created = do_submit_response(unit=tree.kamppi, survey_version=version,
                                           answers=answers, language="fi", channel="api",
                                           submitted_at=when, idempotency_key=key)
    assert created
    return response


def placement(table: str, ids) -> set[str]:
    column = "response_id" if table == "responses_answer" else "id"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT tableoid::regclass::text FROM {table} "
                       f"WHERE {column} = ANY(%s)", [list(ids)])
        return {row[0] for row in cursor.fetchall()}


def exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def test_tables_are_partitioned_with_months_ahead(pg):
    assert partitions.is_partitioned()
    names = {p.name for p in partitions.list_partitions()}
    current = month_of(timezone.now())
    for table in partitions.TABLES:
        assert f"{table}_default" in names
        assert partitions.partition_name(table, current) in names


def test_ensure_creates_a_future_month_and_its_rows_land_there(pg, tree, version):
    far = add_months(month_of(timezone.now()), 30)
    name = partitions.partition_name("responses_response", far)
    assert not exists(name)
    created = partitions.ensure(ahead=1, now=month_start(far) + timedelta(days=3))
    assert [c["month"] for c in created] == [f"{far:%Y-%m}", f"{add_months(far, 1):%Y-%m}"]
    assert exists(name) and exists(partitions.partition_name("responses_answer", far))
    assert partitions.ensure(ahead=1, now=month_start(far)) == []  # idempotent
    # A row of that month (written as the bulk path does: any date is accepted).
    when = month_start(far) + timedelta(days=10, hours=5)
    r = Response.objects.create(organisation=tree.org, unit=tree.kamppi,
                                survey_version=version, channel="import", language="fi",
                                submitted_at=when)
    Answer.objects.create(organisation=tree.org, response=r, question_key="nps",
                          question_type="nps", value=7, submitted_at=when)
    assert placement("responses_response", [r.pk]) == {name}
    assert placement("responses_answer", [r.pk]) == {
        partitions.partition_name("responses_answer", far)}
    # The current month's partitions were there already; today's response lands in one.
    today = submit(tree, version, timezone.now())
    assert placement("responses_response", [today.pk]) == {
        partitions.partition_name("responses_response", month_of(today.submitted_at))}


def test_old_dates_go_to_default_and_ensure_moves_them(pg, tree, version):
    march = datetime(1998, 3, 10, 12, tzinfo=UTC)
    may = datetime(1998, 5, 2, 8, tzinfo=UTC)
    in_march = [submit(tree, version, march, key="m1", text="Hidas palvelu"),
                submit(tree, version, march + timedelta(days=5))]
    in_may = submit(tree, version, may)
    ids = [r.pk for r in in_march]
    assert placement("responses_response", ids + [in_may.pk]) == {
        "responses_response_default"}
    assert placement("responses_answer", ids) == {"responses_answer_default"}
    n_answers = Answer.objects.filter(response_id__in=ids).count()
    total = (Response.objects.count(), Answer.objects.count())

    created = partitions.ensure(ahead=0, now=march)
    assert created == [{"month": "1998-03", "moved_responses": 2,
                        "moved_answers": n_answers}]
    assert placement("responses_response", ids) == {"responses_response_p1998_03"}
    assert placement("responses_answer", ids) == {"responses_answer_p1998_03"}
    assert placement("responses_response", [in_may.pk]) == {"responses_response_default"}
    assert (Response.objects.count(), Answer.objects.count()) == total
    # The moved rows still behave: idempotency, answers, foreign keys.
    again, created_again = do_submit_response(
        unit=tree.kamppi, survey_version=version, answers={"nps": 1}, language="fi",
        channel="api", submitted_at=march, idempotency_key="m1")
    assert not created_again and again.pk == in_march[0].pk
    assert again.answers.count() == Answer.objects.filter(response_id=ids[0]).count() > 0
    with connection.cursor() as cursor:  # deferred foreign keys hold after the move
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_bulk_writer_sets_answer_times_and_accepts_any_date(tree):
    """The COPY (PostgreSQL) and executemany (SQLite) paths write answers' submitted_at;
    dates outside the month partitions land in DEFAULT instead of failing."""
    import numpy as np

    from kokemus.analytics.models import NO_VALUE, RESPONSE_KEY
    from kokemus.demo.bulk import BulkWriter, utc_us
    from tests.surveys.helpers import make_point

    cp = make_point(tree.org, tree.kamppi)
    cps = [{"organisation_id": tree.org.pk, "unit_id": tree.kamppi.pk, "touchpoint_id": None,
            "survey_version_id": cp.survey.current_version.pk, "collection_point_id": cp.pk,
            "channel": "qr"}]
    now = timezone.now()
    times = [now - timedelta(hours=1), datetime(1996, 2, 3, 4, tzinfo=UTC),
             month_start(add_months(month_of(now), 40)) + timedelta(days=2)]
    writer = BulkWriter(cps, [(RESPONSE_KEY, RESPONSE_KEY), ("nps", "nps")], [""],
                        [t.date() for t in times])
    first = writer.reserve_response_ids(3)
    ids = np.arange(first, first + 3, dtype=np.int64)
    writer.write_batch(
        {"id": ids, "cp": np.zeros(3, dtype=np.int64), "lang": np.zeros(3, dtype=np.int64),
         "day": np.arange(3), "submitted_us": np.array([utc_us(t) for t in times]),
         "received_us": np.array([utc_us(now)] * 3), "consent": np.zeros(3, dtype=bool),
         "contact": ["", "", ""], "consent_wording": ["{}", "{}", "{}"]},
        {"resp": np.array([0, 1, 2, 2]), "q": np.ones(4, dtype=np.int64),
         "value": np.array([9, 3, NO_VALUE, 7]), "choice": np.zeros(4, dtype=np.int64),
         "text": {}})
    stored = {r.pk: r.submitted_at for r in Response.objects.filter(pk__in=ids.tolist())}
    assert sorted(stored.values()) == sorted(times)
    answers = list(Answer.objects.filter(response_id__in=ids.tolist()))
    assert len(answers) == 4
    assert all(a.submitted_at == stored[a.response_id] for a in answers)
    if connection.vendor == "postgresql":
        assert placement("responses_response", ids[1:].tolist()) == {
            "responses_response_default"}
        assert placement("responses_answer", [int(ids[0])]) == {
            partitions.partition_name("responses_answer", month_of(times[0]))}


@pytest.fixture
def history(pg, tree, version):
    """Responses in two old months (A, B), this month and one far back (DEFAULT)."""
    current = month_of(timezone.now())
    a, b = add_months(current, -14), add_months(current, -13)
    partitions.ensure(ahead=1, now=month_start(a))
    at_a = month_start(a) + timedelta(days=3, hours=9)
    at_b = month_start(b) + timedelta(days=20, hours=15)
    rows = {
        "a": [submit(tree, version, at_a, key="a1", text="Jono oli pitkä"),
              submit(tree, version, at_a + timedelta(days=1), key="a2"),
              submit(tree, version, month_start(b) - timedelta(minutes=1))],  # last of A
        "b": [submit(tree, version, month_start(b), key="b1", text="Kiitos"),  # first of B
              submit(tree, version, at_b)],
        "now": [submit(tree, version, timezone.now() - timedelta(minutes=5), key="n1"),
                submit(tree, version, timezone.now())],
        "old": [submit(tree, version, datetime(1997, 1, 5, tzinfo=UTC))],
    }
    for key in ("a", "b"):
        r = rows[key][0]
        answer = r.answers.get(question_type="free_text")
        CommentAnalysis.objects.get_or_create(  # made at ingest unless analysed later
            answer=answer, defaults={"organisation": tree.org, "language": "fi",
                                     "sentiment": "negative", "score": -0.5,
                                     "redacted": "x"})
        FollowUpCase.objects.create(organisation=tree.org, unit=tree.kamppi, response=r,
                                    reason="low_score", due_date=timezone.localdate())
    return {"a": a, "b": b, "rows": rows}


def _ids(rows):
    return [r.pk for r in rows]


def test_drop_removes_exactly_the_expired_months_and_their_dependants(history, tree):
    rows = history["rows"]
    gone = _ids(rows["a"]) + _ids(rows["old"])
    kept = _ids(rows["b"]) + _ids(rows["now"])
    assert placement("responses_response", _ids(rows["a"])) == {
        partitions.partition_name("responses_response", history["a"])}
    assert rollups.verify() == []
    answers_gone = Answer.objects.filter(response_id__in=gone).count()
    answers_kept = Answer.objects.filter(response_id__in=kept).count()
    before = {"responses": Response.objects.count(), "answers": Answer.objects.count(),
              "rollup_total": DailyCount.objects.aggregate(n=Sum("count"))["n"],
              "rollup_rows": DailyCount.objects.count()}
    assert partitions.raw_horizon() is None

    result = partitions.drop_before(history["b"])

    assert f"{history['a']:%Y-%m}" in result["months"]
    assert f"{history['b']:%Y-%m}" not in result["months"]
    assert (result["responses"], result["answers"]) == (len(gone), answers_gone)
    assert Response.objects.count() == before["responses"] - len(gone)
    assert Answer.objects.count() == before["answers"] - answers_gone
    assert not Response.objects.filter(pk__in=gone).exists()
    assert Response.objects.filter(pk__in=kept).count() == len(kept)
    assert Answer.objects.filter(response_id__in=kept).count() == answers_kept
    for table in partitions.TABLES:
        assert not exists(partitions.partition_name(table, history["a"]))
        assert exists(partitions.partition_name(table, history["b"]))
    # Dependants: A's analysis and idempotency keys gone, its case kept without response.
    a0, b0 = rows["a"][0], rows["b"][0]
    assert not CommentAnalysis.objects.filter(answer__response_id=a0.pk).exists()
    assert CommentAnalysis.objects.count() == 1
    assert CommentAnalysis.objects.get().answer.response_id == b0.pk
    assert FollowUpCase.objects.filter(response__isnull=True).count() == 1
    assert FollowUpCase.objects.get(response_id=b0.pk)
    assert sorted(IdempotencyKey.objects.values_list("key", flat=True)) == ["b1", "n1"]
    # Rollups are kept; only days before the horizon differ from the raw rows.
    assert DailyCount.objects.aggregate(n=Sum("count"))["n"] == before["rollup_total"]
    assert DailyCount.objects.count() == before["rollup_rows"]
    horizon = month_start(history["b"])
    assert partitions.raw_horizon() == horizon
    assert RawDataDrop.objects.get().before == horizon
    first_day = partitions.first_complete_day()
    assert first_day == horizon.date() + timedelta(days=1)
    mismatches = rollups.verify()
    assert mismatches, "the dropped days no longer match their raw rows"
    assert all(key[7] < first_day for key, _stored, _raw in mismatches)
    assert rollups.verify(since=partitions.raw_horizon()) == []
    call_command("rollups", "verify")   # the command defaults to the horizon: exits 0
    # Dropping again changes nothing more; the current month cannot be dropped past.
    again = partitions.drop_before(history["b"])
    assert (again["months"], again["responses"], again["answers"]) == ([], 0, 0)
    assert RawDataDrop.objects.count() == 1
    with pytest.raises(partitions.PartitionError):
        partitions.drop_before(add_months(month_of(timezone.now()), 1))


@pytest.mark.parametrize("months, dropped", [(14, ["a"]), (13, ["a", "b"]), (None, [])])
def test_retention_setting_drops_whole_old_months(history, settings, months, dropped):
    settings.KOKEMUS_RAW_RETENTION_MONTHS = months
    counts = {k: Response.objects.filter(pk__in=_ids(history["rows"][k])).count()
              for k in ("a", "b", "now")}
    assert all(counts.values())
    result = partitions.maintain()
    assert result["partitioned"]
    for key in ("a", "b"):
        left = Response.objects.filter(pk__in=_ids(history["rows"][key])).count()
        assert left == (0 if key in dropped else counts[key])
        assert exists(partitions.partition_name("responses_response", history[key])) == (
            key not in dropped)
    assert Response.objects.filter(pk__in=_ids(history["rows"]["now"])).count() == \
        counts["now"]
    if dropped:
        assert partitions.raw_horizon() == month_start(add_months(history[dropped[-1]], 1))
    else:
        assert result["retention"] is None and partitions.raw_horizon() is None


def test_retention_setting_must_be_a_positive_number(settings):
    settings.KOKEMUS_RAW_RETENTION_MONTHS = "soon"
    with pytest.raises(partitions.PartitionError):
        partitions.retention_months()
    settings.KOKEMUS_RAW_RETENTION_MONTHS = -2
    with pytest.raises(partitions.PartitionError):
        partitions.retention_months()
    settings.KOKEMUS_RAW_RETENTION_MONTHS = "6"
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert partitions.retention_cutoff(now) == datetime(2026, 6, 1).date()


def test_maintenance_task_queues_itself_once(pg):
    from django_tasks_db.models import DBTaskResult

    from kokemus.responses.tasks import maintain_partitions, next_run, schedule_maintenance

    now = datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert next_run(now) == datetime(2026, 11, 24, 3, 15, tzinfo=UTC)
    assert next_run(now.replace(hour=2)) == datetime(2026, 11, 23, 3, 15, tzinfo=UTC)
    if not maintain_partitions.get_backend().supports_defer:
        pytest.skip("the task backend cannot defer")
    assert schedule_maintenance(now) is True
    assert schedule_maintenance(now) is False
    queued = DBTaskResult.objects.get(task_path=maintain_partitions.module_path)
    assert queued.status == "READY" and queued.run_after == next_run(now)


def test_partitions_command(db, capsys):
    if connection.vendor != "postgresql":
        call_command("partitions", "ensure", "--ahead", "2")
        assert "PostgreSQL-only" in capsys.readouterr().out
        return
    call_command("partitions", "ensure", "--ahead", "2")
    call_command("partitions", "list")
    out = capsys.readouterr().out
    assert f"responses_response_p{month_of(timezone.now()):%Y_%m}" in out
    assert "responses_answer_default" in out
    from django.core.management.base import CommandError

    for bad in ("2024-13", "last year"):
        with pytest.raises(CommandError):
            call_command("partitions", "drop", "--before", bad)


# --- The migration, on a database with data ---------------------------------------------------

@pytest.fixture
def scratch_url(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    u = urlparse(url)
    name = f"{(u.path.strip('/') or 'kokemus')}_partmig"
    env = {**os.environ, "PGPASSWORD": u.password or ""}
    admin = ["psql", "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U",
             u.username or "postgres", "-d", "postgres", "-qc"]
    subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True,
                   capture_output=True, env=env)
    subprocess.run([*admin, f"CREATE DATABASE {name}"], check=True, capture_output=True,
                   env=env)
    try:
        yield u._replace(path=f"/{name}").geturl()
    finally:
        subprocess.run([*admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       capture_output=True, env=env)


@pytest.mark.slow
def test_migration_keeps_existing_data(scratch_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=scratch_url, KOKEMUS_TESTING="1", CACHE_URL="",
               DJANGO_SETTINGS_MODULE="kokemus.settings", LOG_LEVEL="ERROR",
               KOKEMUS_VAR_DIR=tempfile.mkdtemp(prefix="kokemus-partmig-"),
               PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    proc = subprocess.run([sys.executable, "tests/scaling/migrate_check.py"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["after"] == {k: out["before"][k] for k in ("responses", "answers")}
    assert out["before"]["responses"] == 7 and out["before"]["answers"] == 14
    assert out["mismatched_answer_times"] == 0
    assert out["keys"] == out["expected_keys"] and len(out["keys"]) == 4
    assert out["new_response_id"] > out["before"]["max_response_id"]
    assert out["new_answer_id"] > out["before"]["max_answer_id"]
    assert out["analysis_kept"]
    assert out["case_response"] == out["case_expected"]
    if out["vendor"] != "postgresql":
        assert not out["partitioned"]
        return
    assert out["partitioned"]
    # No database foreign key points at responses or answers (0005 dropped the answers'
    # composite key: its check locked every partition at each commit).
    assert out["foreign_keys_in"] == []
    # Every copied row sits in its month's partition; 1999 is before the range: DEFAULT.
    for rid, month in out["response_month"].items():
        expected = ("responses_response_default" if month.startswith("1999")
                    else f"responses_response_p{month}")
        assert out["placement"][rid] == expected
    current = month_of(timezone.now())
    expected = {m.replace("_", "-") for m in out["response_month"].values()
                if not m.startswith("1999")}
    expected |= {f"{add_months(current, i):%Y-%m}" for i in range(4)}
    assert out["months"] == sorted(expected)
