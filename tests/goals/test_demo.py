from __future__ import annotations

import random

import pytest

from kokemus.demo import DemoContext, DemoOrg
from kokemus.goals.demo import delete_demo_goals, demo_goals
from kokemus.goals.models import Goal, Prediction, PredictionRound, ServicePromise
from kokemus.goals.quality import Draft, check
from tests.goals.helpers import month_start, monthly_shares, nps_counts, put
from tests.surveys.helpers import make_touchpoint

pytestmark = pytest.mark.django_db


def test_demo_step_builds_promise_goals_and_round(tree, admin, manager, staff, today):
    tp = make_touchpoint(tree.org)
    monthly_shares(tree.org, tree.kamppi, today, [40 + (i % 3) for i in range(12)],
                   qtype="expectations")
    for back in range(1, 13):
        put(tree.org, tree.kamppi, month_start(today, back).replace(day=12), "nps",
            nps_counts(50 + back % 4, 20, 100), touchpoint_id=tp.pk)
    ctx = DemoContext(seed=1, rng=random.Random(1),
                      orgs={"aurinko": DemoOrg(tree.org, units={
                          "root": tree.root, "Aurinko-apteekki Kamppi": tree.kamppi,
                          "Etelä-Suomi": tree.south},
                          users={"admin": admin, "manager": manager, "staff": staff})})
    demo_goals(ctx)
    assert ServicePromise.objects.filter(organisation=tree.org).count() == 2
    goals = list(Goal.objects.filter(organisation=tree.org))
    assert len(goals) == 3
    flags = {g.metric or "aim": {f.code for f in check(Draft.from_goal(g), today).flags}
             for g in goals}
    assert "vague" in flags["aim"]
    assert "too_modest" in flags["expectations"]
    assert not flags["nps"] & {"vague", "too_modest"}
    rnd = PredictionRound.objects.get()
    assert Prediction.objects.filter(round=rnd).values("user").distinct().count() >= 5
    delete_demo_goals(tree.org)
    assert not Goal.objects.exists() and not PredictionRound.objects.exists()


def test_demo_step_without_data_or_org_is_safe(tree, admin, manager, staff):
    demo_goals(DemoContext(seed=1, rng=random.Random(1)))
    ctx = DemoContext(seed=1, rng=random.Random(1), orgs={"aurinko": DemoOrg(
        tree.org, units={"root": tree.root}, users={"admin": admin, "manager": manager})})
    demo_goals(ctx)
    assert ServicePromise.objects.count() == 2
