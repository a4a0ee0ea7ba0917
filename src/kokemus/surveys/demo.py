"""Demo surveys: an NPS survey per "moment that matters" touchpoint of each journey, with a
collection point per unit the journey applies to, and a smiley kiosk survey per site."""

from __future__ import annotations

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Organisation, UnitKind
from kokemus.journeys.models import Journey, Touchpoint
from kokemus.surveys import actions
from kokemus.surveys.models import CollectionChannel, CollectionPoint, Survey


def build_demo_surveys(ctx) -> None:
    for demo in ctx.orgs.values():
        org = demo.organisation
        journeys = list(Journey.objects.filter(organisation=org, archived_at__isnull=True)
                        .prefetch_related("units"))
        if not journeys:
            continue  # the journeys demo step has not run: nothing to hang surveys on
        sites = [u for u in org.units.filter(archived_at__isnull=True)
                 if u.kind in (UnitKind.SITE, UnitKind.DEPARTMENT)]
        for journey in journeys:
            units = [u for u in journey.units.all() if u.archived_at is None] or sites
            moments = Touchpoint.objects.filter(journey=journey, archived_at__isnull=True,
                                                moment_that_matters=True)
            for tp in moments:
                actions.do_create_survey_from_template(SYSTEM, org, "nps_why_consent",
                                                       touchpoint=tp, units=units)
        actions.do_create_survey_from_template(SYSTEM, org, "smiley", units=sites,
                                               channel=CollectionChannel.KIOSK)


def reset_demo_surveys(org: Organisation) -> None:
    """Remove a demo organisation's responses, collection points and surveys."""
    from kokemus.responses.models import Response

    Response.objects.filter(organisation=org).delete()
    CollectionPoint.objects.filter(organisation=org).delete()
    Survey.objects.filter(organisation=org).delete()
