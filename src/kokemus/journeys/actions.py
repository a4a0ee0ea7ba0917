"""Every state change of journeys: one ``do_*`` function each, in a transaction, audited."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.i18n import LANGUAGES, clean_i18n, pick
from kokemus.journeys.models import Channel, Journey, JourneyVersion, Stage, Touchpoint
from kokemus.journeys.templates_data import get_template
from kokemus.journeys.usage import touchpoints_in_use

MAX_NAME = 200
MAX_TEXT = 2000


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


@transaction.atomic
def do_import_journey(actor: Actor, org: Organisation, data, *,
                      units: Iterable[Unit] = ()) -> Journey:
    """Create a journey from an uploaded export; format errors name the bad element's path."""
    from kokemus.journeys.exchange import validate_journey_data

    errors = validate_journey_data(data)
    if errors:
        raise ValidationError({"file": errors})
    journey = do_create_journey_from_data(actor, org, data, units=units,
                                          template_key=data.get("template_key", ""))
    record(actor, "journey.import", journey, organisation=org)
    return journey


# --- Structural edits ------------------------------------------------------------------

def _locked_journey(journey: Journey) -> Journey:
    return Journey.objects.select_for_update().get(pk=journey.pk)


def _ensure_editable(journey: Journey) -> None:
    if journey.archived_at is not None:
        raise ValidationError(_("An archived journey cannot be edited."))


def _clean_name(value, *, what: str) -> dict[str, str]:
    name = clean_i18n(value)
    if not name:
        raise ValidationError({"name": _("Give the %(what)s a name.") % {"what": what}})
    for text in name.values():
        if len(text) > MAX_NAME:
            raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": MAX_NAME}})
    return name


def _clean_text(value, field: str) -> dict[str, str]:
    text = clean_i18n(value)
    for v in text.values():
        if len(v) > MAX_TEXT:
            raise ValidationError({field: _("Use at most %(n)s characters.") % {"n": MAX_TEXT}})
    return text


def _clash(name: Mapping[str, str], others: Iterable) -> str | None:
    """The first name in ``name`` that another object already uses (same language, any case)."""
    for other in others:
        for lang, text in name.items():
            theirs = (other.name or {}).get(lang, "")
            if theirs and theirs.casefold() == text.casefold():
                return text
    return None


def _check_stage_name(journey: Journey, name: Mapping[str, str], exclude: Stage | None = None):
    others = Stage.objects.filter(journey=journey, archived_at__isnull=True)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    clash = _clash(name, others)
    if clash:
        raise ValidationError({"name": _("There is already a stage called “%(name)s” in this "
                                         "journey.") % {"name": clash}})


def _check_touchpoint_name(stage: Stage, name: Mapping[str, str],
                           exclude: Touchpoint | None = None):
    others = Touchpoint.objects.filter(stage=stage, archived_at__isnull=True)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    clash = _clash(name, others)
    if clash:
        raise ValidationError({"name": _("There is already a touchpoint called “%(name)s” in "
                                         "this stage.") % {"name": clash}})


def _new_key(model, journey: Journey, name: Mapping[str, str]) -> str:
    base = slugify(name.get("en") or pick(name)).replace("-", "_")[:50] or "item"
    base = re.sub(r"_+", "_", base).strip("_") or "item"
    existing = set(model.objects.filter(journey=journey).values_list("key", flat=True))
    key, n = base, 2
    while key in existing:
        key = f"{base}_{n}"
        n += 1
    return key


def _renumber(items: list) -> None:
    """Give ``items`` (already in the wanted order) positions 0..n-1; save the changed ones."""
    changed = []
    for pos, item in enumerate(items):
        if item.position != pos:
            item.position = pos
            changed.append(item)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])


def _ordered(qs) -> list:
    """Active items first in position order, archived ones after them."""
    items = list(qs.order_by("position", "id"))
    return [i for i in items if i.archived_at is None] + \
        [i for i in items if i.archived_at is not None]


def _clean_channel(channel: str) -> str:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose physical, digital or phone.")})
    return channel


@transaction.atomic
def do_rename_journey(actor: Actor, journey: Journey, *, name, persona=None,
                      description=None) -> Journey:
    journey = _locked_journey(journey)
    _ensure_editable(journey)
    before = {"name": journey.name, "persona": journey.persona,
              "description": journey.description}
    journey.name = _clean_name(name, what=_("journey"))
    if persona is not None:
        journey.persona = _clean_text(persona, "persona")
    if description is not None:
        journey.description = _clean_text(description, "description")
    after = {"name": journey.name, "persona": journey.persona,
             "description": journey.description}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        journey.save(update_fields=list(changes))
        bump_version(actor, journey, "journey.rename", journey, changes)
    return journey


@transaction.atomic
def do_set_journey_units(actor: Actor, journey: Journey, units: Iterable[Unit]) -> Journey:
    journey = _locked_journey(journey)
    unit_list = list(units)
    if any(u.organisation_id != journey.organisation_id for u in unit_list):
        raise ValidationError({"units": _("Choose units of this organisation.")})
    before = sorted(journey.units.values_list("pk", flat=True))
    after = sorted({u.pk for u in unit_list})
    if before != after:
        journey.units.set(unit_list)
        bump_version(actor, journey, "journey.units", journey, {"units": [before, after]})
    return journey


@transaction.atomic
def do_archive_journey(actor: Actor, journey: Journey) -> Journey:
    journey = _locked_journey(journey)
    if journey.archived_at is None:
        journey.archived_at = timezone.now()
        journey.save(update_fields=["archived_at"])
        record(actor, "journey.archive", journey, organisation=journey.organisation)
    return journey


@transaction.atomic
def do_add_stage(actor: Actor, journey: Journey, *, name, position: int | None = None) -> Stage:
    journey = _locked_journey(journey)
    _ensure_editable(journey)
    name = _clean_name(name, what=_("stage"))
    _check_stage_name(journey, name)
    stage = Stage.objects.create(organisation_id=journey.organisation_id, journey=journey,
                                 key=_new_key(Stage, journey, name), name=name, position=10**6)
    items = [s for s in _ordered(journey.stages.all()) if s.pk != stage.pk]
    active = [s for s in items if s.archived_at is None]
    pos = len(active) if position is None else max(0, min(position, len(active)))
    active.insert(pos, stage)
    _renumber(active + [s for s in items if s.archived_at is not None])
    bump_version(actor, journey, "stage.add", stage, {"name": name})
    return stage


@transaction.atomic
def do_update_stage(actor: Actor, stage: Stage, *, name) -> Stage:
    journey = _locked_journey(stage.journey)
    _ensure_editable(journey)
    stage = Stage.objects.get(pk=stage.pk)
    name = _clean_name(name, what=_("stage"))
    _check_stage_name(journey, name, exclude=stage)
    if name != stage.name:
        before = stage.name
        stage.name = name
        stage.save(update_fields=["name"])
        bump_version(actor, journey, "stage.update", stage, {"name": [before, name]})
    return stage


@transaction.atomic
def do_move_stage(actor: Actor, stage: Stage, position: int) -> Stage:
    journey = _locked_journey(stage.journey)
    _ensure_editable(journey)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.archived_at is not None:
        raise ValidationError(_("An archived stage cannot be moved."))
    items = _ordered(journey.stages.all())
    active = [s for s in items if s.archived_at is None and s.pk != stage.pk]
    old = stage.position
    pos = max(0, min(position, len(active)))
    active.insert(pos, stage)
    _renumber(active + [s for s in items if s.archived_at is not None])
    stage.refresh_from_db()
    if stage.position != old:
        bump_version(actor, journey, "stage.move", stage, {"position": [old, stage.position]})
    return stage


@transaction.atomic
def do_archive_stage(actor: Actor, stage: Stage) -> Stage:
    """Archive a stage and its touchpoints (kept, with their history)."""
    journey = _locked_journey(stage.journey)
    _ensure_editable(journey)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.archived_at is not None:
        return stage
    now = timezone.now()
    count = stage.touchpoints.filter(archived_at__isnull=True).update(archived_at=now)
    stage.archived_at = now
    stage.save(update_fields=["archived_at"])
    _renumber(_ordered(journey.stages.all()))
    _renumber(_ordered(stage.touchpoints.all()))
    stage.refresh_from_db()
    bump_version(actor, journey, "stage.archive", stage, {"archived_touchpoints": count})
    return stage


@transaction.atomic
def do_restore_stage(actor: Actor, stage: Stage) -> Stage:
    journey = _locked_journey(stage.journey)
    _ensure_editable(journey)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.archived_at is None:
        return stage
    _check_stage_name(journey, stage.name, exclude=stage)
    stage.archived_at = None
    stage.position = 10**6
    stage.save(update_fields=["archived_at", "position"])
    _renumber(_ordered(journey.stages.all()))
    stage.refresh_from_db()
    bump_version(actor, journey, "stage.restore", stage)
    return stage


TOUCHPOINT_FIELDS = ("name", "description", "channel", "owner_role", "moment_that_matters")


@transaction.atomic
def do_add_touchpoint(actor: Actor, stage: Stage, *, name, description=None,
                      channel: str = Channel.PHYSICAL, owner_role=None,
                      moment_that_matters: bool = False,
                      position: int | None = None) -> Touchpoint:
    journey = _locked_journey(stage.journey)
    _ensure_editable(journey)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.archived_at is not None:
        raise ValidationError(_("An archived stage cannot get new touchpoints."))
    name = _clean_name(name, what=_("touchpoint"))
    _check_touchpoint_name(stage, name)
    tp = Touchpoint.objects.create(
        organisation_id=journey.organisation_id, journey=journey, stage=stage,
        key=_new_key(Touchpoint, journey, name), name=name,
        description=_clean_text(description, "description"),
        channel=_clean_channel(channel), owner_role=_clean_text(owner_role, "owner_role"),
        moment_that_matters=bool(moment_that_matters), position=10**6)
    items = [t for t in _ordered(stage.touchpoints.all()) if t.pk != tp.pk]
    active = [t for t in items if t.archived_at is None]
    pos = len(active) if position is None else max(0, min(position, len(active)))
    active.insert(pos, tp)
    _renumber(active + [t for t in items if t.archived_at is not None])
    tp.refresh_from_db()
    bump_version(actor, journey, "touchpoint.add", tp, {"name": name, "stage": stage.pk})
    return tp


@transaction.atomic
def do_update_touchpoint(actor: Actor, tp: Touchpoint, **fields) -> Touchpoint:
    """Change a touchpoint's texts, channel or flag; identity (and responses) stay."""
    unknown = set(fields) - set(TOUCHPOINT_FIELDS)
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)} with do_update_touchpoint")
    journey = _locked_journey(tp.journey)
    _ensure_editable(journey)
    tp = Touchpoint.objects.select_related("stage").get(pk=tp.pk)
    if "name" in fields:
        fields["name"] = _clean_name(fields["name"], what=_("touchpoint"))
        if tp.archived_at is None:
            _check_touchpoint_name(tp.stage, fields["name"], exclude=tp)
    for f in ("description", "owner_role"):
        if f in fields:
            fields[f] = _clean_text(fields[f], f)
    if "channel" in fields:
        fields["channel"] = _clean_channel(fields["channel"])
    if "moment_that_matters" in fields:
        fields["moment_that_matters"] = bool(fields["moment_that_matters"])
    changes = {k: [getattr(tp, k), v] for k, v in fields.items() if getattr(tp, k) != v}
    if changes:
        for k, (_old, new) in changes.items():
            setattr(tp, k, new)
        tp.save(update_fields=list(changes))
        bump_version(actor, journey, "touchpoint.update", tp, changes)
    return tp


@transaction.atomic
def do_move_touchpoint(actor: Actor, tp: Touchpoint, stage: Stage, position: int) -> Touchpoint:
    """Put ``tp`` at ``position`` (0-based, among active touchpoints) of ``stage``."""
    journey = _locked_journey(tp.journey)
    _ensure_editable(journey)
    tp = Touchpoint.objects.select_related("stage").get(pk=tp.pk)
    stage = Stage.objects.get(pk=stage.pk)
    if stage.journey_id != journey.pk:
        raise ValidationError({"stage": _("Choose a stage of this journey.")})
    if tp.archived_at is not None:
        raise ValidationError(_("An archived touchpoint cannot be moved."))
    if stage.archived_at is not None:
        raise ValidationError({"stage": _("Choose a stage that is not archived.")})
    old_stage, old_pos = tp.stage, tp.position
    if stage.pk != old_stage.pk:
        _check_touchpoint_name(stage, tp.name, exclude=tp)
    items = [t for t in _ordered(stage.touchpoints.all()) if t.pk != tp.pk]
    active = [t for t in items if t.archived_at is None]
    pos = max(0, min(int(position), len(active)))
    tp.stage = stage
    tp.save(update_fields=["stage"])
    active.insert(pos, tp)
    _renumber(active + [t for t in items if t.archived_at is not None])
    if stage.pk != old_stage.pk:
        _renumber(_ordered(old_stage.touchpoints.all()))
    tp.refresh_from_db()
    if (old_stage.pk, old_pos) != (tp.stage_id, tp.position):
        bump_version(actor, journey, "touchpoint.move", tp,
                     {"stage": [old_stage.pk, stage.pk], "position": [old_pos, tp.position]})
    return tp


@transaction.atomic
def do_delete_or_archive_touchpoint(actor: Actor, tp: Touchpoint) -> str:
    """Delete a touchpoint nobody used; archive one that is in use. Returns what happened."""
    journey = _locked_journey(tp.journey)
    _ensure_editable(journey)
    tp = Touchpoint.objects.select_related("stage").get(pk=tp.pk)
    stage = tp.stage
    label, pk = tp.name, tp.pk
    in_use = tp.pk in touchpoints_in_use([tp.pk])
    if not in_use:
        try:
            with transaction.atomic():
                tp.delete()
        except (ProtectedError, RestrictedError):
            # Another app points at it (e.g. a survey collection point): keep it.
            in_use = True
            tp = Touchpoint.objects.select_related("stage").get(pk=pk)
    if in_use:
        if tp.archived_at is None:
            tp.archived_at = timezone.now()
            tp.save(update_fields=["archived_at"])
            _renumber(_ordered(stage.touchpoints.all()))
            bump_version(actor, journey, "touchpoint.archive", tp, {"name": tp.name})
        return "archived"
    _renumber(_ordered(stage.touchpoints.all()))
    bump_version(actor, journey, "touchpoint.delete", None,
                 {"touchpoint": pk, "name": label})
    return "deleted"


@transaction.atomic
def do_restore_touchpoint(actor: Actor, tp: Touchpoint) -> Touchpoint:
    journey = _locked_journey(tp.journey)
    _ensure_editable(journey)
    tp = Touchpoint.objects.select_related("stage").get(pk=tp.pk)
    if tp.archived_at is None:
        return tp
    if tp.stage.archived_at is not None:
        raise ValidationError(_("Restore the stage first."))
    _check_touchpoint_name(tp.stage, tp.name, exclude=tp)
    tp.archived_at = None
    tp.save(update_fields=["archived_at"])
    items = _ordered(tp.stage.touchpoints.all())
    active = [t for t in items if t.archived_at is None and t.pk != tp.pk] + [tp]
    _renumber(active + [t for t in items if t.archived_at is not None])
    tp.refresh_from_db()
    bump_version(actor, journey, "touchpoint.restore", tp)
    return tp


def merge_language(old: Mapping[str, str] | None, language: str, value: str) -> dict[str, str]:
    """``old`` with the text in ``language`` replaced (removed when empty)."""
    out = {k: v for k, v in (old or {}).items() if k in LANGUAGES}
    out[language[:2]] = (value or "").strip()
    return clean_i18n(out)
