"""Rollups stay exact: verify after mixed submissions and deletions; rebuild; command."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from kokemus.analytics import rollups
from kokemus.analytics.models import RESPONSE_KEY, UNIT_KEY_FIELDS, DailyCount, UnitDayCount
from kokemus.responses.models import Response
from tests.analytics.helpers import finish, submit

pytestmark = pytest.mark.django_db


def _mixed(tree, setup):
    out = []
    for i, unit in enumerate((tree.kamppi, tree.kallio, tree.oulu)):
        for j in range(4):
            out.append(submit(setup.version, unit, (setup.door, setup.counter)[j % 2],
                              (i * 3 + j) % 11, days_ago=j * 3, csat=1 + j % 5, smiley=4,
                              emotion="calm", greeting=5, comment="Kiitos" if j % 2 else ""))
    out.append(submit(setup.version, tree.kamppi, None, 10, days_ago=40, language="sv",
                      channel="qr", fft=1, expectations=4))
    return out


def test_verify_passes_after_submissions_and_deletions(tree, setup):
    responses = _mixed(tree, setup)
    finish()
    assert rollups.verify() == []
    for response in responses[::3]:
        rollups.delete_response(response)
    assert rollups.verify() == []
    assert Response.objects.count() == len(responses) - len(responses[::3])
    total = sum(DailyCount.objects.filter(question_key=RESPONSE_KEY)
                .values_list("count", flat=True))
    assert total == Response.objects.count()


def test_on_response_deleted_subtracts_exactly_what_submit_added(tree, setup):
    finish()
    before = rollups.stored_counts()
    response = submit(setup.version, tree.kamppi, setup.counter, 9, csat=5, mood=4)
    finish()  # no-op once do_submit_response bumps the rollups itself
    before = {k: v for k, v in before.items() if v}
    assert rollups.verify() == []
    rollups.on_response_deleted(response)
    response.delete()
    assert rollups.stored_counts() == before
    assert rollups.verify() == []


def test_verify_reports_drift_and_rebuild_repairs_it(tree, setup):
    _mixed(tree, setup)
    finish()
    row = DailyCount.objects.filter(question_type="nps").first()
    DailyCount.objects.filter(pk=row.pk).update(count=row.count + 5)
    mismatches = rollups.verify()
    daily = [m for m in mismatches if m[0][2] != "*"]
    assert len(daily) == 1 and daily[0][1] == daily[0][2] + 5
    # UnitDayCount (untouched) now disagrees with DailyCount summed per unit
    per_unit = [m for m in mismatches if m[0][2] == "*"]
    assert len(per_unit) == 1 and per_unit[0][1] == per_unit[0][2] - 5
    assert rollups.verify(organisation_id=tree.org.pk) == mismatches
    assert rollups.rebuild(tree.org.pk) > 0
    assert rollups.verify() == []


def test_free_text_never_enters_rollups(tree, setup):
    submit(setup.version, tree.kamppi, setup.counter, 8, comment="Salainen teksti")
    finish()
    assert not DailyCount.objects.filter(choice__icontains="Salainen").exists()
    row = DailyCount.objects.get(question_type="free_text")
    assert row.value == -1 and row.choice == ""


def test_command_verify_and_rebuild(tree, setup, capsys):
    _mixed(tree, setup)
    call_command("rollups", "rebuild", "--organisation", tree.org.slug)
    call_command("rollups", "verify")
    assert "ok" in capsys.readouterr().out
    DailyCount.objects.filter(question_type="csat").delete()
    with pytest.raises(SystemExit):
        call_command("rollups", "verify")


def test_imports():
    from kokemus.analytics import charts, drivers, forms, queries, urls, views  # noqa: F401
    from kokemus.analytics.templatetags import analytics  # noqa: F401


def test_per_unit_drift_alone_is_reported(tree, setup):
    _mixed(tree, setup)
    row = UnitDayCount.objects.filter(question_type="csat").first()
    UnitDayCount.objects.filter(pk=row.pk).update(count=row.count + 1)
    mismatches = rollups.verify()
    assert [(m[0][2], m[0][6], m[0][7], m[1] - m[2]) for m in mismatches] == [
        ("*", "csat", row.day, 1)]
    rollups.rebuild()
    assert rollups.verify() == []


def test_unit_counts_are_the_daily_counts_summed_per_unit(tree, setup):
    _mixed(tree, setup)
    expected = rollups.unit_counts(rollups.stored_counts())
    stored = {}
    for row in UnitDayCount.objects.values_list(*UNIT_KEY_FIELDS, "count"):
        stored[row[:-1]] = stored.get(row[:-1], 0) + row[-1]
    assert {k: v for k, v in stored.items() if v} == {k: v for k, v in expected.items() if v}
    assert stored[(tree.org.pk, tree.kamppi.pk, RESPONSE_KEY,
                   Response.objects.filter(unit=tree.kamppi).latest("submitted_at")
                   .submitted_at.astimezone(ZoneInfo(tree.kamppi.time_zone)).date(), -1)] >= 1


def test_slots_are_summed_by_readers_and_compacted_into_slot_zero(tree, setup, monkeypatch):
    # Two writers on other slots (as two server threads on PostgreSQL would be).
    for slot, days_ago in ((3, 5), (7, 5), (7, 0)):
        monkeypatch.setattr(rollups, "write_slot", lambda slot=slot: slot)
        submit(setup.version, tree.kamppi, setup.counter, 9, days_ago=days_ago)
    monkeypatch.setattr(rollups, "write_slot", lambda: 0)
    _mixed(tree, setup)
    monkeypatch.undo()
    assert set(DailyCount.objects.values_list("slot", flat=True)) == {0, 3, 7}
    assert set(UnitDayCount.objects.values_list("slot", flat=True)) == {0, 3, 7}
    before = rollups.stored_counts()
    assert rollups.verify() == []
    today = timezone.now().date()
    assert rollups.compact(today - timedelta(days=2)) > 0
    # past days: one row per key (slot 0); today's slot-7 rows stay until they are past
    old = DailyCount.objects.filter(day__lt=today - timedelta(days=2))
    assert set(old.values_list("slot", flat=True)) == {0}
    assert DailyCount.objects.filter(slot=7, day__gte=today - timedelta(days=1)).exists()
    keys = list(old.values_list(*rollups.KEY_FIELDS))
    assert len(keys) == len(set(keys))
    assert rollups.stored_counts() == before
    assert rollups.verify() == []


def test_write_slot_is_zero_on_sqlite_and_fixed_per_thread_on_postgres():
    from django.db import connection

    first = rollups.write_slot()
    assert rollups.write_slot() == first
    if connection.vendor != "postgresql":
        assert first == 0
    assert 0 <= first < rollups.SLOTS


def test_command_compact(tree, setup, capsys):
    _mixed(tree, setup)
    call_command("rollups", "compact")
    assert "compacted" in capsys.readouterr().out
    assert rollups.verify() == []


def test_adding_to_a_rollup_key_is_a_heap_only_update_on_postgres(tree, setup):
    """No index holds ``count`` and the rollup pages keep free space, so a live submission's
    increments touch no index (PostgreSQL's HOT updates; migration analytics/0005)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    submit(setup.version, tree.kamppi, setup.counter, 9)  # creates the keys
    for _ in range(3):  # the same keys again: updates only
        submit(setup.version, tree.kamppi, setup.counter, 9)
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                       "WHERE relname IN ('analytics_dailycount', 'analytics_unitdaycount')")
        stats = {name: (updated, hot) for name, updated, hot in cursor.fetchall()}
    assert set(stats) == {"analytics_dailycount", "analytics_unitdaycount"}
    for updated, hot in stats.values():
        assert updated >= 3 and hot == updated
