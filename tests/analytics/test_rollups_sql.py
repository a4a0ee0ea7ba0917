"""The SQL recount (count_from_raw, verify, rebuild) produces exactly the keys of the Python
``keys_for``: on mixed data with deletions, imported (old, idempotent) responses, units in
odd time zones and answers around midnight and the DST changes; and the ``since`` hook."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from kokemus.analytics import rollups
from kokemus.analytics.models import DailyCount
from kokemus.responses.actions import do_submit_response
from tests.analytics.helpers import finish, submit

pytestmark = pytest.mark.django_db

# UTC instants around local midnights and the EU DST changes of 2025 (30 March, 26 October)
MOMENTS = [datetime(2025, 3, 29, 21, 59, 59, tzinfo=UTC), datetime(2025, 3, 29, 22, 0, tzinfo=UTC),
           datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
           datetime(2025, 3, 30, 20, 59, 59, 999999, tzinfo=UTC),
           datetime(2025, 3, 30, 21, 0, 0, 1, tzinfo=UTC),
           datetime(2025, 10, 25, 20, 59, 59, tzinfo=UTC), datetime(2025, 10, 25, 21, 0, tzinfo=UTC),
           datetime(2025, 10, 26, 0, 59, 59, tzinfo=UTC), datetime(2025, 10, 26, 1, 0, tzinfo=UTC),
           datetime(2025, 10, 26, 21, 59, 59, tzinfo=UTC), datetime(2025, 10, 26, 22, 0, tzinfo=UTC),
           datetime(2025, 6, 1, 18, 14, 59, tzinfo=UTC), datetime(2025, 6, 1, 18, 15, tzinfo=UTC),
           datetime(2025, 6, 2, 2, 29, 59, tzinfo=UTC), datetime(2025, 6, 2, 2, 30, tzinfo=UTC)]


def _imported(setup, unit, i, moment):
    response, _created = do_submit_response(
        unit=unit, survey_version=setup.version, channel="import", language="en",
        answers={"nps": i % 11, "fft": 1 + i % 6, "comment": "Vanha palaute"},
        submitted_at=moment, idempotency_key=f"import-{i}")
    return response


def _mixed(tree, setup):
    tree.kallio.time_zone = "Asia/Kathmandu"        # +05:45
    tree.kallio.save(update_fields=["time_zone"])
    tree.oulu.time_zone = "America/St_Johns"        # -03:30 / -02:30, its own DST dates
    tree.oulu.save(update_fields=["time_zone"])
    out = []
    for i, unit in enumerate((tree.kamppi, tree.kallio, tree.oulu)):
        for j in range(5):
            out.append(submit(setup.version, unit, (setup.door, setup.counter, None)[j % 3],
                              (i * 3 + j) % 11, days_ago=j * 5, csat=1 + j % 5, smiley=1 + j % 4,
                              emotion=("calm", "angry")[j % 2], greeting=5,
                              comment="Kiitos" if j % 2 else "", language=("fi", "sv")[j % 2],
                              channel=("link", "qr")[j % 2]))
        for k, moment in enumerate(MOMENTS):
            out.append(_imported(setup, unit, i * 100 + k, moment))
    # an import repeated (same idempotency key) stores nothing new
    assert not do_submit_response(
        unit=tree.kamppi, survey_version=setup.version, channel="import", language="en",
        answers={"nps": 3}, submitted_at=MOMENTS[0], idempotency_key="import-0")[1]
    finish()
    return out


def test_sql_recount_equals_keys_for(tree, setup):
    responses = _mixed(tree, setup)
    python = rollups.count_from_raw_python()
    sql = rollups.count_from_raw()
    assert sql == python
    assert sum(v for k, v in sql.items() if k[5] == rollups.RESPONSE_KEY) == len(responses)
    # the zones matter: the same instants fall on different local days per unit
    days = {(k[1], k[7]) for k in sql if k[6] == rollups.RESPONSE_KEY}
    assert (tree.kallio.pk, date(2025, 6, 2)) in days      # 18:15 UTC = 00:00 in Kathmandu
    assert (tree.oulu.pk, date(2025, 6, 1)) in days        # 02:29 UTC = 23:59 in St John's
    for response in responses[::4]:
        rollups.delete_response(response)
    assert rollups.count_from_raw() == rollups.count_from_raw_python()
    assert rollups.count_from_raw(tree.org.pk) == rollups.count_from_raw_python(tree.org.pk)
    assert rollups.verify() == []
    assert rollups.stored_counts() == rollups.count_from_raw()


def test_sql_verify_finds_each_kind_of_drift_and_rebuild_repairs(tree, setup):
    _mixed(tree, setup)
    assert rollups.verify() == []
    changed = DailyCount.objects.filter(question_type="nps").order_by("id").first()
    DailyCount.objects.filter(pk=changed.pk).update(count=changed.count + 2)
    missing = DailyCount.objects.filter(question_type="fft").order_by("id").first()
    missing_key = tuple(getattr(missing, f) for f in rollups.KEY_FIELDS)
    missing.delete()
    extra = DailyCount.objects.create(
        organisation=tree.org, unit=tree.kamppi, channel="kiosk", language="fi",
        question_key="nps", question_type="nps", day=date(2020, 1, 1), value=7, count=4)
    DailyCount.objects.create(  # a zero row (left after deletions) is no drift
        organisation=tree.org, unit=tree.kamppi, channel="kiosk", language="fi",
        question_key="nps", question_type="nps", day=date(2020, 1, 2), value=7, count=0)
    mismatches = rollups.verify()
    found = {m[0]: (m[1], m[2]) for m in mismatches if m[0][2] != "*"}
    changed_key = tuple(getattr(changed, f) for f in rollups.KEY_FIELDS)
    assert found == {changed_key: (changed.count + 2, changed.count),
                     missing_key: (0, missing.count),
                     tuple(getattr(extra, f) for f in rollups.KEY_FIELDS): (4, 0)}
    # the per-unit rollups no longer agree with the tampered DailyCount either
    per_unit = {(k[0], k[1], k[6], k[7], k[8]): (stored, expected)
                for k, stored, expected in mismatches if k[2] == "*"}
    assert per_unit[(tree.org.pk, tree.kamppi.pk, "nps", date(2020, 1, 1), 7)] == (0, 4)
    assert len(per_unit) == 3
    assert rollups.rebuild() == len(rollups.count_from_raw_python())
    assert rollups.verify() == []
    assert rollups.stored_counts() == rollups.count_from_raw_python()


def test_since_leaves_the_days_before_the_horizon_alone(tree, setup):
    _mixed(tree, setup)
    horizon = datetime(2025, 6, 1, tzinfo=UTC)
    first_day = rollups.horizon(horizon)[1]
    assert first_day == date(2025, 6, 2)
    assert rollups.horizon(datetime(2025, 6, 1, 22, tzinfo=UTC))[1] == date(2025, 6, 3)
    assert rollups.horizon(date(2025, 6, 2)) == (datetime(2025, 6, 1, tzinfo=UTC),
                                                  date(2025, 6, 2))
    python = rollups.count_from_raw_python(since=horizon)
    assert python and all(k[7] >= first_day for k in python)
    assert rollups.count_from_raw(since=horizon) == python
    # drift before the horizon is not reported with since, and not repaired by rebuild
    old = DailyCount.objects.filter(day__lt=first_day, question_type="nps").first()
    DailyCount.objects.filter(pk=old.pk).update(count=old.count + 1)
    assert rollups.verify(since=horizon) == []
    assert len([m for m in rollups.verify() if m[0][2] != "*"]) == 1
    new = DailyCount.objects.filter(day__gte=first_day, question_type="nps").first()
    DailyCount.objects.filter(pk=new.pk).update(count=new.count + 3)
    assert [(m[1], m[2]) for m in rollups.verify(since=horizon)
            if m[0][2] != "*"] == [(new.count + 3, new.count)]
    rollups.rebuild(since=horizon)
    assert rollups.verify(since=horizon) == []
    assert DailyCount.objects.get(pk=old.pk).count == old.count + 1  # kept as it was
    assert len([m for m in rollups.verify() if m[0][2] != "*"]) == 1
    call_command("rollups", "verify", "--since", first_day.isoformat())
    with pytest.raises(SystemExit):
        call_command("rollups", "verify")


def test_sqlite_offsets_follow_the_zone_rules():
    spans = rollups._offset_spans("Europe/Helsinki", datetime(2025, 1, 1, tzinfo=UTC),
                                  datetime(2026, 1, 1, tzinfo=UTC))
    assert spans == [(datetime(2025, 3, 30, 1, tzinfo=UTC), 120),
                     (datetime(2025, 10, 26, 1, tzinfo=UTC), 180),
                     (datetime(2026, 1, 1, tzinfo=UTC), 120)]
    kathmandu = rollups._offset_spans("Asia/Kathmandu", datetime(2025, 1, 1, tzinfo=UTC),
                                      datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=400))
    assert [m for _b, m in kathmandu] == [345]
