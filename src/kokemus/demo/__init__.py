"""The demo organisations that `make demo` shows a newcomer.

Each app adds its part of the story with :func:`register_step`; the loader runs the
steps in order after the organisations, units and people exist. Everything is built
through the apps' action functions, exactly as a user would build it.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from kokemus.accounts import actions
from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Organisation, Role, Sector, Unit, UnitKind, User

DEMO_PASSWORD = "kokemus-demo"


@dataclass
class DemoOrg:
    organisation: Organisation
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


@dataclass
class DemoContext:
    seed: int
    rng: random.Random
    orgs: dict[str, DemoOrg] = field(default_factory=dict)
    stdout: object = None  # where a step may report progress (the loader's output)


DemoStep = Callable[[DemoContext], None]
_STEPS: list[tuple[int, str, DemoStep]] = []


def register_step(order: int, name: str, step: DemoStep) -> None:
    if name not in {n for _o, n, _s in _STEPS}:
        _STEPS.append((order, name, step))
        _STEPS.sort(key=lambda s: s[0])


# (key, name, sector, root unit, [(region, [(site, language), ...]), ...])
PHARMACY_REGIONS = [
    ("Etelä-Suomi", [("Aurinko-apteekki Kamppi", "fi"), ("Aurinko-apteekki Kallio", "fi"),
                     ("Aurinko-apteekki Leppävaara", "fi"), ("Aurinko-apteekki Tikkurila", "fi"),
                     ("Solens apotek Borgå", "sv")]),
    ("Länsi-Suomi", [("Aurinko-apteekki Turku", "fi"), ("Aurinko-apteekki Hervanta", "fi"),
                     ("Aurinko-apteekki Pori", "fi"), ("Solens apotek Vasa", "sv")]),
    ("Itä- ja Pohjois-Suomi", [("Aurinko-apteekki Oulu", "fi"),
                               ("Aurinko-apteekki Rovaniemi", "fi"),
                               ("Aurinko-apteekki Kuopio", "fi")]),
]

PEOPLE = {
    "aurinko": [("admin", "Anna Aaltonen"), ("manager", "Mikko Mäkelä"),
                ("staff", "Sanna Saarinen")],
    "sairaala": [("admin", "Helena Hämäläinen"), ("manager", "Juha Järvinen"),
                 ("staff", "Liisa Laine")],
    "koivula": [("admin", "Pekka Peltonen"), ("manager", "Maria Nieminen"),
                ("staff", "Eeva Heikkinen")],
}


def demo_email(org_key: str, role: str) -> str:
    return f"{role}@{org_key}.example"


def _person(org_key: str, role: str, name: str, language: str = "fi") -> User:
    return actions.do_create_user(SYSTEM, email=demo_email(org_key, role),
                                  password=DEMO_PASSWORD, full_name=name, language=language,
                                  validate=False)


def _build_pharmacy_chain(ctx: DemoContext) -> None:
    admin = _person("aurinko", "admin", PEOPLE["aurinko"][0][1])
    org = actions.do_create_organisation(Actor(user=admin), name="Aurinko-apteekit",
                                         slug="aurinko", sector=Sector.PHARMACY)
    demo = DemoOrg(org, users={"admin": admin})
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    demo.units["root"] = root
    for region_name, sites in PHARMACY_REGIONS:
        region = actions.do_create_unit(SYSTEM, org, name=region_name, parent=root,
                                        kind=UnitKind.REGION)
        demo.units[region_name] = region
        for site_name, language in sites:
            demo.units[site_name] = actions.do_create_unit(
                SYSTEM, org, name=site_name, parent=region, kind=UnitKind.SITE,
                language=language)
    demo.units["Aurinko Verkkoapteekki"] = actions.do_create_unit(
        SYSTEM, org, name="Aurinko Verkkoapteekki", parent=root, kind=UnitKind.SITE,
        sector=Sector.ONLINE_PHARMACY)
    manager = _person("aurinko", "manager", PEOPLE["aurinko"][1][1])
    actions.do_add_member(SYSTEM, org, user=manager, role=Role.MANAGER,
                          unit=demo.units["Etelä-Suomi"])
    staff = _person("aurinko", "staff", PEOPLE["aurinko"][2][1])
    actions.do_add_member(SYSTEM, org, user=staff, role=Role.STAFF,
                          unit=demo.units["Aurinko-apteekki Kamppi"])
    demo.users.update(manager=manager, staff=staff)
    ctx.orgs["aurinko"] = demo


def _build_simple_org(ctx: DemoContext, key: str, name: str, sector: str,
                      departments: list[str], manager_unit: str, staff_unit: str) -> None:
    admin = _person(key, "admin", PEOPLE[key][0][1])
    org = actions.do_create_organisation(Actor(user=admin), name=name, slug=key, sector=sector)
    demo = DemoOrg(org, users={"admin": admin})
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    demo.units["root"] = root
    for dept in departments:
        demo.units[dept] = actions.do_create_unit(SYSTEM, org, name=dept, parent=root,
                                                  kind=UnitKind.DEPARTMENT)
    manager = _person(key, "manager", PEOPLE[key][1][1])
    actions.do_add_member(SYSTEM, org, user=manager, role=Role.MANAGER,
                          unit=demo.units[manager_unit])
    staff = _person(key, "staff", PEOPLE[key][2][1])
    actions.do_add_member(SYSTEM, org, user=staff, role=Role.STAFF,
                          unit=demo.units[staff_unit])
    demo.users.update(manager=manager, staff=staff)
    ctx.orgs[key] = demo


def _build_hospital(ctx: DemoContext) -> None:
    _build_simple_org(ctx, "sairaala", "Järvenpään keskussairaala",
                      Sector.HOSPITAL_OUTPATIENT,
                      ["Sisätautien poliklinikka", "Kirurgian poliklinikka",
                       "Silmätautien poliklinikka", "Lastentautien poliklinikka"],
                      manager_unit="Sisätautien poliklinikka",
                      staff_unit="Sisätautien poliklinikka")


def _build_care_home(ctx: DemoContext) -> None:
    _build_simple_org(ctx, "koivula", "Hoivakoti Koivula", Sector.CARE_HOME,
                      ["Koivula, Kotipiha", "Koivula, Puistola", "Koivula, Muistikoti"],
                      manager_unit="Koivula, Muistikoti", staff_unit="Koivula, Muistikoti")


DEMO_ORGS = {"aurinko": _build_pharmacy_chain, "sairaala": _build_hospital,
             "koivula": _build_care_home}


def delete_demo() -> None:
    """Remove the demo organisations and users (used by ``kokemus demo --reset``)."""
    from django.db import connection

    with transaction.atomic():
        orgs = Organisation.objects.filter(slug__in=DEMO_ORGS)
        # The audit log is append-only through the ORM; a reset of throw-away demo data
        # is the one place it is cleared, with plain SQL and only for the demo orgs.
        ids = list(orgs.values_list("pk", flat=True))
        if ids:
            with connection.cursor() as cursor:
                placeholders = ",".join(["%s"] * len(ids))
                cursor.execute(
                    f"DELETE FROM accounts_auditlog WHERE organisation_id IN ({placeholders})",
                    ids)
        for org in orgs:
            # Later apps' data protects earlier apps' rows: undo in reverse order.
            for step in reversed(_reset_hooks):
                step(org)
            org.memberships.all().delete()
            org.invitations.all().delete()
            for unit in org.units.order_by("-depth"):
                unit.delete()
            org.delete()
        User.objects.filter(email__in=[demo_email(k, role) for k, people in PEOPLE.items()
                                     for role, _name in people]).delete()


_reset_hooks: list[Callable[[Organisation], None]] = []


def _bulk_delete_feedback(org: Organisation) -> None:
    """Delete the demo's (many) answers and derived rows without loading them one by one.

    Only rows that nothing else points at are removed this way; the apps' reset hooks
    then delete responses and the rest through the ORM.
    """
    from kokemus.analytics.models import DailyCount, UnitDayCount
    from kokemus.comments.models import CommentAnalysis, StaffMention
    from kokemus.responses.models import Answer

    for model in (DailyCount, UnitDayCount, CommentAnalysis, StaffMention):
        qs = model.objects.filter(organisation=org)
        qs._raw_delete(qs.db)
    answers = Answer.objects.filter(organisation=org)
    answers._raw_delete(answers.db)


def register_reset_hook(hook: Callable[[Organisation], None]) -> None:
    if hook not in _reset_hooks:
        _reset_hooks.append(hook)


def load_demo(seed: int = 2026, reset: bool = False, stdout=None) -> dict[str, list]:
    """Build the demo organisations once (or again with ``reset``); return their logins."""
    out = stdout or sys.stdout
    if reset:
        delete_demo()
    if not Organisation.objects.filter(slug__in=DEMO_ORGS).exists():
        ctx = DemoContext(seed=seed, rng=random.Random(seed), stdout=out)
        with transaction.atomic():
            for builder in DEMO_ORGS.values():
                builder(ctx)
        for _order, name, step in _STEPS:
            out.write(f"demo: {name}\n")
            step(ctx)
    summary: dict[str, list] = {}
    for org in Organisation.objects.filter(slug__in=DEMO_ORGS).order_by("name"):
        summary[org.name] = [(role, demo_email(org.slug, role))
                             for role in ("admin", "manager", "staff")]
    return summary


# The two-year story (responses, comments, planted truths) comes after every app's setup.
from kokemus.demo.story import demo_step as _story_step  # noqa: E402

register_step(60, "story", _story_step)
