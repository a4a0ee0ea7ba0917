from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import AuditLog, Membership
from kokemus.goals import actions
from kokemus.goals import series as S
from kokemus.goals.progress import target_for
from kokemus.goals.promise import current_promise

pytestmark = pytest.mark.django_db


def goal(tree, today, target, metric="nps", unit=None, **kw):
    return actions.do_create_goal(SYSTEM, tree.org, metric=metric,
                                  scope="unit" if unit else "organisation", unit=unit,
                                  target=target, deadline=S.add_months(today, 6), **kw)


def test_unit_goal_may_be_stricter_never_laxer(tree, today):
    parent = goal(tree, today, 40)
    with pytest.raises(ValidationError) as exc:
        goal(tree, today, 30, unit=tree.kamppi)
    assert "target" in exc.value.message_dict
    child = goal(tree, today, 45, unit=tree.south)
    assert child.parent == parent
    grandchild = goal(tree, today, 50, unit=tree.kamppi)
    assert grandchild.parent == child
    with pytest.raises(ValidationError):
        goal(tree, today, 42, unit=tree.kallio)  # laxer than Etelä's 45


def test_parent_cannot_be_stricter_than_existing_children(tree, today):
    goal(tree, today, 30, unit=tree.kamppi)
    with pytest.raises(ValidationError):
        goal(tree, today, 40)


def test_lower_is_better_for_followup_time(tree, today):
    goal(tree, today, 24, metric="followup")
    with pytest.raises(ValidationError):
        goal(tree, today, 48, metric="followup", unit=tree.kamppi)
    assert goal(tree, today, 12, metric="followup", unit=tree.kamppi).parent is not None


def test_behaviour_goals_need_a_behaviour_and_cascade_per_behaviour(tree, today):
    with pytest.raises(ValidationError):
        goal(tree, today, 4.5, metric="behaviour")
    goal(tree, today, 4.5, metric="behaviour", behaviour="greeting")
    goal(tree, today, 4.0, metric="behaviour", behaviour="openness", unit=tree.kamppi)


def test_validation_of_ranges_and_dates(tree, today):
    with pytest.raises(ValidationError):
        goal(tree, today, 150)
    with pytest.raises(ValidationError):
        actions.do_create_goal(SYSTEM, tree.org, metric="nps", scope="organisation",
                               target=10, deadline=today)
    with pytest.raises(ValidationError):
        actions.do_create_goal(SYSTEM, tree.org)


def test_manager_creates_goals_only_within_scope(tree, today, manager):
    m = Membership.objects.get(user=manager)
    with pytest.raises(PermissionDenied):
        actions.do_create_goal(Actor(user=manager), tree.org, m, metric="nps",
                               scope="organisation", target=10)
    with pytest.raises(PermissionDenied):
        actions.do_create_goal(Actor(user=manager), tree.org, m, metric="nps", scope="unit",
                               unit=tree.oulu, target=10)
    g = actions.do_create_goal(Actor(user=manager), tree.org, m, metric="nps", scope="unit",
                               unit=tree.kamppi, target=10)
    assert AuditLog.objects.filter(action="goals.goal.create", object_id=str(g.pk)).exists()


def test_target_for_dashboards(tree, today):
    goal(tree, today, 40)
    goal(tree, today, 50, unit=tree.south)
    assert target_for(tree.org, tree.kamppi, "nps") == 50
    assert target_for(tree.org, tree.oulu, "nps") == 40
    assert target_for(tree.org, tree.oulu, "csat") is None


def test_promise_versions_and_current_promise(tree, admin):
    assert current_promise(tree.org, "fi") is None
    actions.do_write_promise(Actor(user=admin), tree.org, promise={"fi": "Pyrimme hyvään."})
    actions.do_write_promise(Actor(user=admin), tree.org,
                             promise={"fi": "Yllätämme myönteisesti.", "en": "We surprise."},
                             intent={"en": "Delight."})
    p = current_promise(tree.org, "en")
    assert (p.text, p.intent, p.version) == ("We surprise.", "Delight.", 2)
    assert current_promise(tree.org, "sv").text == "Yllätämme myönteisesti."  # fallback fi
    with pytest.raises(ValidationError):
        actions.do_write_promise(Actor(user=admin), tree.org, promise={"fi": "  "})
    assert AuditLog.objects.filter(action="goals.promise.write").count() == 2
