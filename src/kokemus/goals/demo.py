"""Demo step (order 70, after the response story): the pharmacy chain's service promise,
one vague, one too modest and one good goal, and a finished perception-gap round in which
the staff were overconfident."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Sum

from kokemus.accounts import actions as account_actions
from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Role, User
from kokemus.analytics.models import DailyCount
from kokemus.analytics.queries import positives
from kokemus.goals import actions
from kokemus.goals import series as S
from kokemus.goals.models import Goal, PredictionRound, ServicePromise
from kokemus.goals.quality import Draft, ambitious_target, analyse, deadline_for
from kokemus.journeys.models import Touchpoint

EXTRA_STAFF = [("staff2", "Pirjo Virtanen"), ("staff3", "Timo Korhonen"),
               ("staff4", "Emma Lindqvist"), ("staff5", "Jari Mäkinen"),
               ("staff6", "Noora Heikkilä")]
PROMISE = {
    "fi": "Haluamme yllättää jokaisen asiakkaan myönteisesti.",
    "sv": "Vi vill överraska varje kund positivt.",
    "en": "We want to positively surprise every customer.",
}
INTENT = {
    "fi": "Jokainen asiakas tulee tervehdityksi, kohdatuksi henkilökohtaisesti ja lähtee "
          "apteekista tuntien, että hänen asiansa hoidettiin paremmin kuin hän odotti.",
    "sv": "Varje kund blir hälsad, bemött personligt och lämnar apoteket med känslan av att "
          "ärendet sköttes bättre än väntat.",
    "en": "Every customer is greeted, met personally and leaves feeling that their errand "
          "was handled better than they expected.",
}


def _email(key: str) -> str:
    return f"{key}@aurinko.example"


def _goal(actor, org, **fields):
    try:
        return actions.do_create_goal(actor, org, **fields)
    except ValidationError:
        return None


def demo_goals(ctx) -> None:
    from kokemus.demo import DEMO_PASSWORD

    demo = ctx.orgs.get("aurinko")
    if demo is None:
        return
    org = demo.organisation
    admin, manager = demo.users.get("admin"), demo.users.get("manager")
    actions.do_write_promise(Actor(user=admin), org,
                             promise={"fi": "Pyrimme hyvään palveluun.",
                                      "sv": "Vi strävar efter god service.",
                                      "en": "We strive for good service."})
    actions.do_write_promise(Actor(user=admin), org, promise=PROMISE, intent=INTENT)

    today = S.today_for(org)
    kamppi = demo.units.get("Aurinko-apteekki Kamppi")
    region = demo.units.get("Etelä-Suomi")
    # 1. Vague: an intention without a metric, number or deadline.
    _goal(Actor(user=manager), org, aim="Parannetaan palvelua", scope="unit", unit=region,
          owner=manager)
    # 2. Too modest: Kamppi's expectations-exceeded share at today's level.
    if kamppi is not None:
        d = Draft(org, metric="expectations", scope="unit", unit=kamppi)
        a = analyse(d, today)
        target = S.round_target("expectations", a.current.value, up=False) \
            if a.current else 40.0
        _goal(Actor(user=manager), org, aim="Odotukset ylittyvät useammin", metric="expectations",
              scope="unit", unit=kamppi, target=target, deadline=S.add_months(today, 6),
              owner=manager)
    # 3. Good: the whole chain's NPS just beyond ordinary variation and the best region.
    d = Draft(org, metric="nps", scope="organisation", deadline=S.add_months(today, 9))
    a = analyse(d, today)
    target = ambitious_target(a)
    if target is not None:
        deadline = deadline_for(a, target) or d.deadline
        _goal(Actor(user=admin), org, aim="Yllätämme jokaisen asiakkaan myönteisesti",
              metric="nps", scope="organisation", target=target, deadline=deadline,
              baseline_start=S.add_months(today, -12), baseline_end=today, owner=admin)
    _demo_round(demo, org, today, DEMO_PASSWORD, ctx)


def _demo_round(demo, org, today, password, ctx) -> None:
    root = demo.units.get("root")
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    end = today.replace(day=1) - timedelta(days=1)
    rows = (DailyCount.objects.filter(organisation=org, day__gte=start, day__lte=end,
                                      question_type__in=["nps", "expectations"])
            .exclude(touchpoint_id=0)
            .values("touchpoint_id", "question_type", "value").annotate(n=Sum("count"))
            .order_by())
    counts: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        counts[r["touchpoint_id"]][r["question_type"]][r["value"]] = r["n"]
    ranked = sorted(counts, key=lambda t: -sum(counts[t]["nps"].values()))[:4]
    tps = list(Touchpoint.objects.filter(organisation=org, pk__in=ranked))
    if root is None or not tps:
        return
    rnd = actions.do_open_round(Actor(user=demo.users.get("manager")), org,
                                title="Mitä asiakkaat sanovat? (kuukausi)", unit=root,
                                period_start=start, period_end=end, touchpoints=tps,
                                positive_measure="nps")
    people = [demo.users["staff"]] if "staff" in demo.users else []
    kamppi = demo.units.get("Aurinko-apteekki Kamppi") or root
    for key, name in EXTRA_STAFF:
        user = User.objects.filter(email=_email(key)).first()
        if user is None:
            user = account_actions.do_create_user(SYSTEM, email=_email(key), password=password,
                                                  full_name=name, language="fi",
                                                  validate=False)
            account_actions.do_add_member(SYSTEM, org, user=user, role=Role.STAFF, unit=kamppi)
        people.append(user)
    rng = ctx.rng
    for user in people:
        values = {}
        for tp in tps:
            s, n = positives("nps", counts[tp.pk]["nps"])
            es, en = positives("expectations", counts[tp.pk]["expectations"])
            actual = 100 * s / n if n else 50.0
            exceeded = 100 * es / en if en else 30.0
            # Overconfident: staff expect 15–30 points more than customers said.
            values[tp.pk] = (min(98.0, round(actual + rng.uniform(15, 30))),
                             min(95.0, round(exceeded + rng.uniform(20, 35))))
        actions.do_save_predictions(Actor(user=user), rnd, user=user, values=values, force=True)


def delete_demo_goals(org) -> None:
    Goal.objects.filter(organisation=org).update(parent=None)
    Goal.objects.filter(organisation=org).delete()
    PredictionRound.objects.filter(organisation=org).delete()
    ServicePromise.objects.filter(organisation=org).delete()
    if org.slug == "aurinko":
        User.objects.filter(email__in=[_email(k) for k, _n in EXTRA_STAFF]).delete()
