"""Every state change of journeys: one ``do_*`` function each, in a transaction, audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.i18n import clean_i18n
from kokemus.journeys.models import Journey, JourneyVersion, Stage, Touchpoint
from kokemus.journeys.templates_data import get_template


def journey_snapshot(journey: Journey) -> dict:
    """The journey's structure as plain data (also the JSON export format)."""
    stages = []
    touchpoints = list(journey.touchpoints.all().order_by("position", "id"))
    for stage in journey.stages.all().order_by("position", "id"):
        stages.append({
            "key": stage.key, "name": stage.name, "position": stage.position,
            "archived": stage.archived_at is not None,
            "touchpoints": [
                {"key": tp.key, "name": tp.name, "description": tp.description,
                 "channel": tp.channel, "owner_role": tp.owner_role,
                 "moment_that_matters": tp.moment_that_matters, "position": tp.position,
                 "archived": tp.archived_at is not None}
                for tp in touchpoints if tp.stage_id == stage.pk
            ],
        })
    return {"format": "kokemus.journey/1", "name": journey.name, "persona": journey.persona,
            "description": journey.description, "template_key": journey.template_key,
            "version": journey.version, "stages": stages}


def bump_version(actor: Actor, journey: Journey, action: str, obj=None,
                 changes: dict | None = None) -> None:
    """Record a structural edit: new version number, snapshot, audit entry."""
    journey.version += 1
    journey.updated_at = timezone.now()
    journey.save(update_fields=["version", "updated_at"])
    JourneyVersion.objects.create(journey=journey, version=journey.version,
                                  snapshot=journey_snapshot(journey))
    record(actor, action, obj or journey, organisation=journey.organisation,
           changes={"journey": journey.pk, "version": journey.version, **(changes or {})})


@transaction.atomic
def do_create_journey_from_data(actor: Actor, org: Organisation, data: dict, *,
                                units: Iterable[Unit] = (), template_key: str = "") -> Journey:
    """Create a journey with its stages and touchpoints from template/export data."""
    name = clean_i18n(data.get("name"))
    if not name:
        raise ValidationError({"name": _("A journey needs a name.")})
    journey = Journey.objects.create(
        organisation=org, name=name, persona=clean_i18n(data.get("persona")),
        description=clean_i18n(data.get("description")),
        template_key=template_key or data.get("template_key", ""), version=1)
    seen_keys: set[str] = set()
    for s_pos, s in enumerate(data.get("stages", [])):
        stage = Stage.objects.create(
            organisation=org, journey=journey, key=s["key"], name=clean_i18n(s["name"]),
            position=s_pos, archived_at=timezone.now() if s.get("archived") else None)
        for t_pos, t in enumerate(s.get("touchpoints", [])):
            if t["key"] in seen_keys:
                raise ValidationError(_("The touchpoint key “%(key)s” appears twice.")
                                      % {"key": t["key"]})
            seen_keys.add(t["key"])
            Touchpoint.objects.create(
                organisation=org, journey=journey, stage=stage, key=t["key"],
                name=clean_i18n(t["name"]), description=clean_i18n(t.get("description")),
                channel=t.get("channel", "physical"),
                owner_role=clean_i18n(t.get("owner_role")),
                moment_that_matters=bool(t.get("moment_that_matters", False)),
                position=t_pos, archived_at=timezone.now() if t.get("archived") else None)
    unit_list = list(units)
    for unit in unit_list:
        if unit.organisation_id != org.pk:
            raise ValidationError({"units": _("Choose units of this organisation.")})
    journey.units.set(unit_list)
    JourneyVersion.objects.create(journey=journey, version=1,
                                  snapshot=journey_snapshot(journey))
    record(actor, "journey.create", journey, organisation=org,
           changes={"template": journey.template_key, "units": [u.pk for u in unit_list]})
    return journey


def do_create_journey_from_template(actor: Actor, org: Organisation, template_key: str, *,
                                    units: Iterable[Unit] = ()) -> Journey:
    return do_create_journey_from_data(actor, org, get_template(template_key), units=units,
                                       template_key=template_key)
