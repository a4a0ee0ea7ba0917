"""Every state change of the onboarding wizard: ``do_*`` functions, in a transaction, audited.

The wizard builds on the other apps' actions (accounts, journeys, surveys, goals); it only
owns the step states in ``OnboardingProgress``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts import actions as accounts
from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation, Role, Sector, Unit, UnitKind, User
from kokemus.onboarding.models import OnboardingProgress, StepState
from kokemus.onboarding.steps import STEP_KEYS

MAX_ROWS = 500
ONBOARDING_SURVEY_TEMPLATE = "nps_why_consent"


def progress_for(org: Organisation) -> OnboardingProgress:
    progress, _created = OnboardingProgress.objects.get_or_create(organisation=org)
    return progress


# --- Sign-up ---------------------------------------------------------------------------

@transaction.atomic
def do_sign_up(actor: Actor, *, full_name: str, email: str, password: str,
               organisation_name: str, language: str = "fi") -> tuple[User, Organisation]:
    """A new user, their organisation (they become its admin) and its onboarding progress."""
    if not (organisation_name or "").strip():
        raise ValidationError({"organisation_name": _("Give the organisation a name.")})
    user = accounts.do_create_user(actor, email=email, password=password, full_name=full_name,
                                   language=language)
    actor = Actor(user=user, ip=actor.ip)
    org = accounts.do_create_organisation(actor, name=organisation_name,
                                          default_language=language or "fi")
    progress = OnboardingProgress.objects.create(organisation=org)
    record(actor, "onboarding.start", progress, organisation=org)
    return user, org


# --- Step states ------------------------------------------------------------------------

@transaction.atomic
def do_set_step(actor: Actor, org: Organisation, step: str, state: str) -> OnboardingProgress:
    if step not in STEP_KEYS or state not in StepState.values:
        raise ValidationError(_("Unknown step."))
    progress = OnboardingProgress.objects.select_for_update().get(pk=progress_for(org).pk)
    before = progress.state(step)
    if before == state:
        return progress
    # "done" is never downgraded to "skipped" by skipping a revisited step.
    if before == StepState.DONE and state == StepState.SKIPPED:
        return progress
    progress.steps = {**progress.steps, step: state}
    fields = ["steps"]
    if progress.completed_at is None and all(
            progress.state(k) != StepState.TODO for k in STEP_KEYS):
        progress.completed_at = timezone.now()
        fields.append("completed_at")
    progress.save(update_fields=fields)
    record(actor, "onboarding.step", progress, organisation=org,
           changes={step: [before, state]})
    return progress


@transaction.atomic
def do_dismiss_checklist(actor: Actor, org: Organisation) -> OnboardingProgress:
    progress = OnboardingProgress.objects.select_for_update().get(pk=progress_for(org).pk)
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at"])
        record(actor, "onboarding.dismiss", progress, organisation=org)
    return progress


# --- Step 1: name and sector -----------------------------------------------------------

@transaction.atomic
def do_set_basics(actor: Actor, org: Organisation, *, name: str, sector: str) -> Organisation:
    """Rename the organisation (and its top unit) and set its sector.

    accounts has no organisation-update action yet; this is the one place that changes
    these two fields, audited like every other change.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the organisation a name.")})
    if len(name) > 200:
        raise ValidationError({"name": _("Use at most 200 characters.")})
    if sector not in Sector.values:
        raise ValidationError({"sector": _("Choose a sector.")})
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    changes = {}
    if org.name != name:
        changes["name"] = [org.name, name]
    if org.sector != sector:
        changes["sector"] = [org.sector, sector]
    if changes:
        org.name, org.sector = name, sector
        org.save(update_fields=list(changes))
        record(actor, "organisation.update", org, organisation=org, changes=changes)
        root = Unit.objects.filter(organisation=org, parent__isnull=True).first()
        if root is not None:
            kind = (UnitKind.CHAIN if sector in (Sector.PHARMACY, Sector.ONLINE_PHARMACY)
                    else UnitKind.SITE)
            accounts.do_update_unit(actor, root, name=name, sector=sector, kind=kind)
    do_set_step(actor, org, "organisation", StepState.DONE)
    return org


# --- Step 2: units ---------------------------------------------------------------------

def parse_unit_lines(text: str) -> list[tuple[int, str]]:
    """(line number, name) for every non-empty line of pasted text."""
    return [(i, line.strip()) for i, line in enumerate((text or "").splitlines(), start=1)
            if line.strip()]


def parse_units_csv(data: bytes) -> list[tuple[int, str]]:
    """(row number, name) from a CSV file with a ``name`` column (comma or semicolon).

    Row numbers count the header as row 1, as a spreadsheet shows them.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ValidationError(
                {"file": _("Save the file as UTF-8 CSV and try again.")}) from None
    if not text.strip():
        raise ValidationError({"file": _("The file is empty.")})
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = {(c or "").strip().lower(): c for c in (reader.fieldnames or [])}
    if "name" not in columns:
        raise ValidationError({"file": _("The first row must have a column called “name”.")})
    key = columns["name"]
    # line_num counts physical lines, so row numbers match the file even when csv skips
    # blank lines.
    return [(reader.line_num, (row.get(key) or "").strip()) for row in reader]


def check_unit_rows(org: Organisation, rows: list[tuple[int, str]]) -> list[str]:
    """Row-level problems (empty, too long, repeated, already exists), or []."""
    errors: list[str] = []
    if not rows:
        return [_("Add at least one unit, one per line.")]
    if len(rows) > MAX_ROWS:
        return [_("Add at most %(n)s units at a time.") % {"n": MAX_ROWS}]
    existing = {n.lower() for n in Unit.objects.filter(organisation=org, archived_at__isnull=True)
                .values_list("name", flat=True)}
    seen: dict[str, int] = {}
    for row, name in rows:
        if not name:
            errors.append(_("Row %(row)s: the name is empty.") % {"row": row})
        elif len(name) > 200:
            errors.append(_("Row %(row)s: use at most 200 characters.") % {"row": row})
        elif name.lower() in seen:
            errors.append(_("Row %(row)s: “%(name)s” is already on row %(first)s.")
                          % {"row": row, "name": name, "first": seen[name.lower()]})
        elif name.lower() in existing:
            errors.append(_("Row %(row)s: there is already a unit called “%(name)s”.")
                          % {"row": row, "name": name})
        seen.setdefault(name.lower(), row)
    return errors


@transaction.atomic
def do_add_units(actor: Actor, org: Organisation, rows: list[tuple[int, str]]) -> list[Unit]:
    """Create every listed unit under the top unit, or none when any row is wrong."""
    errors = check_unit_rows(org, rows)
    if errors:
        raise ValidationError({"units": errors})
    root = Unit.objects.get(organisation=org, parent__isnull=True)
    units = [accounts.do_create_unit(actor, org, name=name, parent=root, kind=UnitKind.SITE)
             for _row, name in rows]
    do_set_step(actor, org, "units", StepState.DONE)
    return units


def collection_units(org: Organisation) -> list[Unit]:
    """Where feedback is collected: the sites and departments, else the top unit."""
    units = list(Unit.objects.filter(organisation=org, archived_at__isnull=True,
                                     kind__in=[UnitKind.SITE, UnitKind.DEPARTMENT]))
    return units or list(Unit.objects.filter(organisation=org, parent__isnull=True))


# --- Step 3: journey -------------------------------------------------------------------

def onboarding_journey(org: Organisation):
    from kokemus.journeys.models import Journey

    return (Journey.objects.filter(organisation=org, archived_at__isnull=True)
            .order_by("created_at", "id").first())


@transaction.atomic
def do_create_sector_journey(actor: Actor, org: Organisation):
    """The sector's default journey for all collection units (once; reused if it exists)."""
    from kokemus.journeys.actions import do_create_journey_from_template
    from kokemus.journeys.templates_data import SECTOR_DEFAULT_TEMPLATE

    journey = onboarding_journey(org)
    if journey is None:
        key = SECTOR_DEFAULT_TEMPLATE.get(org.sector, SECTOR_DEFAULT_TEMPLATE["other"])
        journey = do_create_journey_from_template(actor, org, key, units=collection_units(org))
    do_set_step(actor, org, "journey", StepState.DONE)
    return journey


# --- Step 4: surveys -------------------------------------------------------------------

def key_touchpoints(org: Organisation) -> list:
    """The moments that matter of the onboarding journey (every touchpoint if none is)."""
    from kokemus.journeys.models import Touchpoint

    journey = onboarding_journey(org)
    if journey is None:
        return []
    tps = Touchpoint.objects.filter(journey=journey, archived_at__isnull=True) \
        .select_related("stage").order_by("stage__position", "position")
    return list(tps.filter(moment_that_matters=True)) or list(tps[:3])


@transaction.atomic
def do_create_default_surveys(actor: Actor, org: Organisation) -> list:
    """An NPS + why + consent survey per key touchpoint with a QR point per unit.

    Touchpoints that already have a survey are left alone, so the step can be repeated.
    """
    from kokemus.surveys.actions import do_create_survey_from_template
    from kokemus.surveys.models import CollectionPoint

    units = collection_units(org)
    covered = set(CollectionPoint.objects.filter(organisation=org, touchpoint__isnull=False)
                  .values_list("touchpoint_id", flat=True))
    surveys = [do_create_survey_from_template(actor, org, ONBOARDING_SURVEY_TEMPLATE,
                                              touchpoint=tp, units=units)
               for tp in key_touchpoints(org) if tp.pk not in covered]
    do_set_step(actor, org, "surveys", StepState.DONE)
    return surveys


# --- Step 5: promise -------------------------------------------------------------------

@transaction.atomic
def do_write_promise(actor: Actor, org: Organisation, *, promise: dict):
    from kokemus.goals.actions import do_write_promise as write

    row = write(actor, org, promise=promise)
    do_set_step(actor, org, "promise", StepState.DONE)
    return row


# --- Step 7: invite staff --------------------------------------------------------------

def parse_emails(text: str) -> tuple[list[str], list[str]]:
    """(addresses, row errors) from text with one e-mail address per line."""
    emails: list[str] = []
    errors: list[str] = []
    for row, line in enumerate((text or "").splitlines(), start=1):
        email = line.strip().strip(",;").strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(_("Row %(row)s: “%(email)s” is not an e-mail address.")
                          % {"row": row, "email": email})
            continue
        if email in emails:
            errors.append(_("Row %(row)s: %(email)s is listed twice.")
                          % {"row": row, "email": email})
            continue
        emails.append(email)
    if not emails and not errors:
        errors.append(_("Write at least one e-mail address, one per line."))
    return emails, errors


@transaction.atomic
def do_invite_staff(actor: Actor, org: Organisation, emails: Iterable[str]) -> list:
    invitations = []
    errors = []
    for email in emails:
        try:
            inv, _raw = accounts.do_invite_member(actor, org, email=email, role=Role.STAFF)
            invitations.append(inv)
        except ValidationError as exc:
            errors.append(f"{email}: {' '.join(exc.messages)}")
    if errors:
        raise ValidationError({"emails": errors})
    do_set_step(actor, org, "invite", StepState.DONE)
    return invitations
