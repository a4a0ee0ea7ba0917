"""Rollups stay exact: verify after mixed submissions and deletions; rebuild; command."""

import pytest
from django.core.management import call_command

from kokemus.analytics import rollups
from kokemus.analytics.models import RESPONSE_KEY, DailyCount
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
    assert len(mismatches) == 1 and mismatches[0][1] == mismatches[0][2] + 5
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
