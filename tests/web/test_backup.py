"""Backup → change → restore gives back exactly the backed-up rows (both engines)."""

import pytest
from django.core.management import call_command
from django.db import connection

from kokemus.accounts import actions
from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Unit
from kokemus.web.backup import table_checksums


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip(tmp_path, tree):
    if connection.vendor == "postgresql":
        import shutil

        if not shutil.which("pg_dump"):
            pytest.fail("pg_dump is needed for PostgreSQL backups")
    before = table_checksums()
    assert before["accounts_unit"][0] == 6
    target = tmp_path / "snapshot.bak"
    call_command("backup", output=str(target))
    assert target.stat().st_size > 0

    actions.do_create_unit(SYSTEM, tree.org, name="Myöhempi", parent=tree.north)
    Unit.objects.filter(pk=tree.kallio.pk).update(name="Muutettu")
    assert table_checksums() != before

    call_command("restore", str(target), yes=True)
    after = table_checksums()
    assert after == before


@pytest.mark.django_db
def test_restore_refuses_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "nope"), yes=True)
