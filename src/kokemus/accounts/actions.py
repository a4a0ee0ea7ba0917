"""Every state change of accounts: one ``do_*`` function each, in a transaction, audited.

Views, the CLI and the demo loader all call these; nothing else writes these models.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, diff, record, snapshot
from kokemus.accounts.models import (
    Invitation,
    Membership,
    Organisation,
    Role,
    Sector,
    Unit,
    UnitKind,
    User,
)

UNIT_FIELDS = ["name", "kind", "sector", "time_zone", "language", "parent"]
MAX_DEPTH = 8


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, n = base, 2
    while Organisation.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


@transaction.atomic
def do_create_organisation(actor: Actor, *, name: str, sector: str = Sector.OTHER,
                           slug: str | None = None, default_language: str = "fi",
                           time_zone: str = "Europe/Helsinki",
                           root_unit_name: str | None = None) -> Organisation:
    """Create an organisation with its root unit; the acting user becomes its admin."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the organisation a name.")})
    org = Organisation.objects.create(
        name=name, slug=slug or _unique_slug(name), sector=sector,
        default_language=default_language, time_zone=time_zone,
    )
    record(actor, "organisation.create", org,
           changes=snapshot(org, ["name", "slug", "sector", "default_language", "time_zone"]))
    root_kind = UnitKind.CHAIN if sector in (Sector.PHARMACY, Sector.ONLINE_PHARMACY) \
        else UnitKind.SITE
    do_create_unit(actor, org, name=root_unit_name or name, kind=root_kind, sector=sector,
                   language=default_language, time_zone=time_zone)
    if actor.user is not None:
        do_add_member(actor, org, user=actor.user, role=Role.ADMIN)
    return org


def _validate_unit_name(org: Organisation, parent: Unit | None, name: str,
                        exclude: Unit | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A unit needs a name.")})
    if len(name) > 200:
        raise ValidationError({"name": _("Use at most 200 characters.")})
    siblings = Unit.objects.filter(organisation=org, parent=parent, archived_at__isnull=True,
                                   name__iexact=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    if siblings.exists():
        raise ValidationError({"name": _("There is already a unit called “%(name)s” here.")
                               % {"name": name}})
    return name


@transaction.atomic
def do_create_unit(actor: Actor, org: Organisation, *, name: str, parent: Unit | None = None,
                   kind: str = UnitKind.SITE, sector: str | None = None,
                   time_zone: str | None = None, language: str | None = None) -> Unit:
    if parent is not None:
        if parent.organisation_id != org.pk:
            raise ValidationError({"parent": _("Choose a unit of this organisation.")})
        if parent.is_archived:
            raise ValidationError({"parent": _("An archived unit cannot get new units.")})
        if parent.depth + 1 >= MAX_DEPTH:
            raise ValidationError({"parent": _("The unit tree can be at most %(n)s levels deep.")
                                   % {"n": MAX_DEPTH}})
    elif Unit.objects.filter(organisation=org, parent__isnull=True).exists():
        raise ValidationError({"parent": _("Choose where in the tree the new unit belongs.")})
    name = _validate_unit_name(org, parent, name)
    unit = Unit.objects.create(
        organisation=org, parent=parent, name=name, kind=kind,
        sector=sector or (parent.sector if parent else org.sector),
        time_zone=time_zone or (parent.time_zone if parent else org.time_zone),
        language=language or (parent.language if parent else org.default_language),
    )
    unit.path = f"{parent.path if parent else ''}{unit.pk:08d}/"
    unit.depth = parent.depth + 1 if parent else 0
    unit.save(update_fields=["path", "depth"])
    record(actor, "unit.create", unit, changes=snapshot(unit, UNIT_FIELDS))
    return unit


@transaction.atomic
def do_update_unit(actor: Actor, unit: Unit, **fields) -> Unit:
    """Rename a unit or change its kind, sector, language or time zone."""
    allowed = {"name", "kind", "sector", "time_zone", "language"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)} with do_update_unit")
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = snapshot(unit, UNIT_FIELDS)
    if "name" in fields:
        fields["name"] = _validate_unit_name(unit.organisation, unit.parent, fields["name"],
                                             exclude=unit)
    for key, value in fields.items():
        setattr(unit, key, value)
    changes = diff(before, snapshot(unit, UNIT_FIELDS))
    if changes:
        unit.save(update_fields=list(changes))
        record(actor, "unit.update", unit, changes=changes)
    return unit


@transaction.atomic
def do_move_unit(actor: Actor, unit: Unit, new_parent: Unit) -> Unit:
    """Move a unit (with its subtree) under another unit of the same organisation."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if unit.parent_id is None:
        raise ValidationError({"parent": _("The top unit of the organisation cannot be moved.")})
    if new_parent.organisation_id != unit.organisation_id:
        raise ValidationError({"parent": _("Choose a unit of this organisation.")})
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved under itself.")})
    if new_parent.is_archived:
        raise ValidationError({"parent": _("An archived unit cannot get new units.")})
    if new_parent.pk == unit.parent_id:
        return unit
    _validate_unit_name(unit.organisation, new_parent, unit.name, exclude=unit)
    old_path, old_parent_id = unit.path, unit.parent_id
    new_path = f"{new_parent.path}{unit.pk:08d}/"
    depth_shift = new_parent.depth + 1 - unit.depth
    subtree = list(Unit.objects.filter(organisation_id=unit.organisation_id,
                                       path__startswith=old_path))
    if max(u.depth for u in subtree) + depth_shift >= MAX_DEPTH:
        raise ValidationError({"parent": _("The unit tree can be at most %(n)s levels deep.")
                               % {"n": MAX_DEPTH}})
    for node in subtree:
        node.path = new_path + node.path[len(old_path):]
        node.depth += depth_shift
        if node.pk == unit.pk:
            node.parent = new_parent
    Unit.objects.bulk_update(subtree, ["path", "depth", "parent"])
    unit.refresh_from_db()
    record(actor, "unit.move", unit, changes={"parent": [old_parent_id, new_parent.pk]})
    return unit


@transaction.atomic
def do_archive_unit(actor: Actor, unit: Unit) -> int:
    """Archive a unit and everything below it; history stays, nothing is deleted."""
    if unit.parent_id is None:
        raise ValidationError(_("The top unit of the organisation cannot be archived."))
    now = timezone.now()
    count = Unit.objects.subtree(unit).filter(archived_at__isnull=True).update(archived_at=now)
    record(actor, "unit.archive", unit, changes={"archived_units": count})
    return count


@transaction.atomic
def do_restore_unit(actor: Actor, unit: Unit) -> Unit:
    if unit.parent is not None and unit.parent.is_archived:
        raise ValidationError(_("Restore the unit above this one first."))
    Unit.objects.subtree(unit).update(archived_at=None)
    record(actor, "unit.restore", unit)
    unit.refresh_from_db()
    return unit


@transaction.atomic
def do_create_user(actor: Actor, *, email: str, password: str | None, full_name: str = "",
                   language: str = "", validate: bool = True) -> User:
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")})
    user = User(email=email, full_name=full_name.strip(), language=language)
    if password is not None and validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record(actor, "user.create", user, changes={"email": email})
    return user


@transaction.atomic
def do_set_user_language(actor: Actor, user: User, language: str) -> None:
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        raise ValidationError({"language": _("Choose Finnish, Swedish or English.")})
    if user.language != language:
        before = user.language
        user.language = language
        user.save(update_fields=["language"])
        record(actor, "user.language", user, changes={"language": [before, language]})


def _check_scope(org: Organisation, role: str, unit: Unit | None) -> None:
    if unit is not None and unit.organisation_id != org.pk:
        raise ValidationError({"unit": _("Choose a unit of this organisation.")})
    if role == Role.ADMIN and unit is not None:
        raise ValidationError({"unit": _("Administrators always see the whole organisation.")})
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})


@transaction.atomic
def do_add_member(actor: Actor, org: Organisation, *, user: User, role: str,
                  unit: Unit | None = None) -> Membership:
    _check_scope(org, role, unit)
    if Membership.objects.filter(user=user, organisation=org).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    membership = Membership.objects.create(user=user, organisation=org, role=role, unit=unit)
    record(actor, "member.add", membership, changes=snapshot(membership, ["user", "role", "unit"]))
    return membership


@transaction.atomic
def do_change_membership(actor: Actor, membership: Membership, *, role: str,
                         unit: Unit | None) -> Membership:
    _check_scope(membership.organisation, role, unit)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin(membership)
    before = snapshot(membership, ["role", "unit"])
    membership.role, membership.unit = role, unit
    changes = diff(before, snapshot(membership, ["role", "unit"]))
    if changes:
        membership.save(update_fields=list(changes))
        record(actor, "member.change", membership, changes=changes)
    return membership


def _ensure_another_admin(membership: Membership) -> None:
    others = Membership.objects.filter(organisation_id=membership.organisation_id,
                                       role=Role.ADMIN).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(_("An organisation needs at least one administrator."))


@transaction.atomic
def do_remove_member(actor: Actor, membership: Membership) -> None:
    if membership.role == Role.ADMIN:
        _ensure_another_admin(membership)
    record(actor, "member.remove", membership,
           changes=snapshot(membership, ["user", "role", "unit"]))
    membership.delete()


@transaction.atomic
def do_invite_member(actor: Actor, org: Organisation, *, email: str, role: str = Role.STAFF,
                     unit: Unit | None = None, language: str | None = None,
                     send: bool = True) -> tuple[Invitation, str]:
    """Create an invitation and e-mail its link. Returns the invitation and the raw token.

    Only the SHA-256 of the token is stored, so a database leak does not leak live links.
    """
    email = (email or "").strip().lower()
    _check_scope(org, role, unit)
    if Membership.objects.filter(organisation=org, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    # A new invitation replaces any pending one for the same address.
    Invitation.objects.filter(organisation=org, email__iexact=email, accepted_at__isnull=True,
                              revoked_at__isnull=True).update(revoked_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=org, email=email, role=role, unit=unit, token_hash=_hash_token(raw),
        invited_by=actor.user,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )
    record(actor, "member.invite", invitation, organisation=org,
           changes={"email": email, "role": role, "unit": unit.pk if unit else None})
    if send:
        link = settings.SITE_URL + reverse("accept_invitation", args=[raw])
        with translation.override(language or org.default_language):
            context = {"organisation": org, "link": link, "inviter": actor.user,
                       "days": settings.INVITATION_MAX_AGE_DAYS}
            subject = _("You are invited to %(organisation)s on kokemus") % {
                "organisation": org.name}
            body = render_to_string("accounts/email/invitation.txt", context)
        transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return invitation, raw


def find_invitation(raw_token: str) -> Invitation | None:
    """The pending invitation for a raw token, or None (unknown, used, revoked, expired)."""
    inv = (Invitation.objects.select_related("organisation", "unit")
           .filter(token_hash=_hash_token(raw_token)).first())
    if inv is None or not inv.is_pending:
        return None
    return inv


@transaction.atomic
def do_accept_invitation(actor: Actor, raw_token: str, *, full_name: str = "",
                         password: str | None = None) -> Membership:
    """Accept an invitation: create the account if needed and add the membership."""
    inv = find_invitation(raw_token)
    if inv is None:
        raise ValidationError(_("This invitation link is no longer valid. Ask for a new one."))
    inv = Invitation.objects.select_for_update().get(pk=inv.pk)
    user = User.objects.filter(email__iexact=inv.email).first()
    if user is None:
        if not password:
            raise ValidationError({"password": _("Choose a password.")})
        user = do_create_user(actor, email=inv.email, password=password, full_name=full_name)
    actor = Actor(user=user, ip=actor.ip)
    membership = do_add_member(actor, inv.organisation, user=user, role=inv.role, unit=inv.unit)
    inv.accepted_at = timezone.now()
    inv.save(update_fields=["accepted_at"])
    record(actor, "member.accept_invitation", inv, organisation=inv.organisation)
    return membership


@transaction.atomic
def do_revoke_invitation(actor: Actor, invitation: Invitation) -> None:
    if invitation.revoked_at is None and invitation.accepted_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record(actor, "member.revoke_invitation", invitation,
               organisation=invitation.organisation)
