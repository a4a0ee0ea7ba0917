"""Demo data: every demo organisation gets one journey per sector of its sites/departments."""

from __future__ import annotations

from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Organisation, UnitKind
from kokemus.journeys.actions import do_create_journey_from_template
from kokemus.journeys.models import Journey, Touchpoint
from kokemus.journeys.templates_data import SECTOR_DEFAULT_TEMPLATE


def demo_journeys(ctx) -> None:
    for demo in ctx.orgs.values():
        org = demo.organisation
        places = [u for u in org.units.filter(archived_at__isnull=True)
                  if u.kind in (UnitKind.SITE, UnitKind.DEPARTMENT)]
        by_sector: dict[str, list] = {}
        for unit in places:
            by_sector.setdefault(unit.sector, []).append(unit)
        admin = demo.users.get("admin")
        actor = Actor(user=admin) if admin is not None else SYSTEM
        for sector, units in by_sector.items():
            key = SECTOR_DEFAULT_TEMPLATE.get(sector, "generic_service")
            do_create_journey_from_template(actor, org, key, units=units)


def delete_demo_journeys(org: Organisation) -> None:
    """Reset hook: remove an organisation's journeys (touchpoints first: stage is PROTECT)."""
    Touchpoint.objects.filter(organisation=org).delete()
    Journey.objects.filter(organisation=org).delete()
