import random

from kokemus import demo
from kokemus.journeys.demo import delete_demo_journeys, demo_journeys
from kokemus.journeys.models import Journey


def test_demo_step_creates_one_journey_per_sector(db):
    ctx = demo.DemoContext(seed=1, rng=random.Random(1))
    for builder in demo.DEMO_ORGS.values():
        builder(ctx)
    demo_journeys(ctx)
    aurinko = ctx.orgs["aurinko"].organisation
    keys = dict(Journey.objects.filter(organisation=aurinko).values_list("template_key", "pk"))
    assert set(keys) == {"community_pharmacy", "online_pharmacy"}
    online = Journey.objects.get(pk=keys["online_pharmacy"])
    assert [u.name for u in online.units.all()] == ["Aurinko Verkkoapteekki"]
    pharmacy = Journey.objects.get(pk=keys["community_pharmacy"])
    assert pharmacy.units.count() == 12
    assert {u.kind for u in pharmacy.units.all()} == {"site"}
    for key, template in (("sairaala", "hospital_outpatient"), ("koivula", "care_home")):
        org = ctx.orgs[key].organisation
        journeys = list(Journey.objects.filter(organisation=org))
        assert [j.template_key for j in journeys] == [template]
        assert journeys[0].units.count() == org.units.filter(kind__in=["site", "department"]).count()
    assert ("journeys" in [name for _o, name, _s in demo._STEPS])
    delete_demo_journeys(aurinko)
    assert not Journey.objects.filter(organisation=aurinko).exists()
