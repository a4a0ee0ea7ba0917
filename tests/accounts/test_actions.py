import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kokemus.accounts import actions
from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import AuditLog, Membership, Role, Unit


def test_unit_paths_and_subtree(tree):
    assert tree.root.depth == 0 and tree.kamppi.depth == 2
    assert tree.kamppi.path.startswith(tree.south.path)
    names = set(Unit.objects.subtree(tree.south).values_list("name", flat=True))
    assert names == {"Etelä", "Kamppi", "Kallio"}


def test_move_unit_moves_its_subtree(tree, admin):
    actions.do_move_unit(Actor(user=admin), tree.south, tree.north)
    kamppi = Unit.objects.get(pk=tree.kamppi.pk)
    south = Unit.objects.get(pk=tree.south.pk)
    assert south.parent_id == tree.north.pk and south.depth == 2
    assert kamppi.depth == 3 and kamppi.path.startswith(south.path)
    assert kamppi.path.startswith(tree.north.path)
    entry = AuditLog.objects.filter(action="unit.move").latest("id")
    assert entry.changes == {"parent": [tree.root.pk, tree.north.pk]}
    assert entry.actor == admin


def test_unit_cannot_move_under_itself(tree, admin):
    with pytest.raises(ValidationError) as exc:
        actions.do_move_unit(Actor(user=admin), tree.south, tree.kamppi)
    assert "parent" in exc.value.message_dict


def test_unit_names_are_unique_among_siblings(tree):
    with pytest.raises(ValidationError) as exc:
        actions.do_create_unit(SYSTEM, tree.org, name=" kamppi ", parent=tree.south)
    assert "name" in exc.value.message_dict
    # The same name elsewhere in the tree is fine.
    actions.do_create_unit(SYSTEM, tree.org, name="Kamppi", parent=tree.north)


def test_blank_name_is_rejected(tree):
    with pytest.raises(ValidationError):
        actions.do_create_unit(SYSTEM, tree.org, name="   ", parent=tree.south)


def test_archive_archives_subtree_and_restore_brings_it_back(tree, admin):
    count = actions.do_archive_unit(Actor(user=admin), tree.south)
    assert count == 3
    assert Unit.objects.active().filter(organisation=tree.org).count() == 3
    actions.do_restore_unit(Actor(user=admin), tree.south)
    assert Unit.objects.active().filter(organisation=tree.org).count() == 6


def test_root_cannot_be_archived(tree, admin):
    with pytest.raises(ValidationError):
        actions.do_archive_unit(Actor(user=admin), tree.root)


def test_rename_records_before_and_after(tree, admin):
    actions.do_update_unit(Actor(user=admin, ip="10.0.0.1"), tree.kamppi, name="Kamppi keskus")
    entry = AuditLog.objects.filter(action="unit.update").latest("id")
    assert entry.changes == {"name": ["Kamppi", "Kamppi keskus"]}
    assert entry.ip == "10.0.0.1" and entry.actor_label == admin.email
    assert entry.organisation == tree.org


def test_audit_log_is_append_only(tree):
    entry = AuditLog.objects.first()
    entry.action = "tampered"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditLog.objects.all().update(action="x")
    with pytest.raises(PermissionDenied):
        AuditLog.objects.all().delete()


def test_every_action_is_audited(tree):
    actions_logged = set(AuditLog.objects.values_list("action", flat=True))
    assert {"organisation.create", "unit.create", "member.add", "user.create"} <= actions_logged


def test_last_admin_cannot_be_demoted_or_removed(tree, admin):
    membership = Membership.objects.get(user=admin, organisation=tree.org)
    with pytest.raises(ValidationError):
        actions.do_change_membership(SYSTEM, membership, role=Role.STAFF, unit=None)
    with pytest.raises(ValidationError):
        actions.do_remove_member(SYSTEM, membership)


def test_admin_scope_is_whole_organisation(tree, admin):
    with pytest.raises(ValidationError):
        actions.do_invite_member(SYSTEM, tree.org, email="x@a.example", role=Role.ADMIN,
                                 unit=tree.south, send=False)


def test_manager_scope_is_subtree(tree, manager):
    m = Membership.objects.get(user=manager)
    assert m.can_see_unit(tree.kamppi)
    assert not m.can_see_unit(tree.oulu)
    assert set(m.visible_units().values_list("name", flat=True)) == {"Etelä", "Kamppi", "Kallio"}


def test_unit_of_another_organisation_is_rejected(tree, outsider):
    other = Unit.objects.get(organisation__slug="toinen", parent__isnull=True)
    with pytest.raises(ValidationError):
        actions.do_create_unit(SYSTEM, tree.org, name="X", parent=other)
