"""Organisation pages: home, unit tree, members, invitations, audit log.

Views stay thin: parse the form, call an action from ``actions.py``, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts import actions
from kokemus.accounts.audit import Actor
from kokemus.accounts.forms import (
    AcceptInvitationForm,
    InviteForm,
    MembershipForm,
    UnitForm,
    UnitMoveForm,
    UnitRenameForm,
)
from kokemus.accounts.models import AuditLog, Invitation, Membership, Role, Unit
from kokemus.accounts.permissions import manageable_unit_or_404, org_view, visible_unit_or_404


def _add_errors(form, exc: ValidationError) -> None:
    """Attach an action's ValidationError to the form, per field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@org_view()
def org_home(request):
    membership = request.membership
    units = membership.visible_units().active()
    context = {
        "unit_count": units.filter(kind__in=["site", "department"]).count(),
        "member_count": Membership.objects.filter(organisation=request.org).count(),
        "scope": membership.unit,
    }
    return render(request, "accounts/org_home.html", context)


def _manageable_parents(request):
    """Units under which this member may create or move units."""
    return [u for u in request.membership.visible_units().active()
            if request.membership.can_manage_unit(u)]


def _unit_tree_context(request, form=None):
    show_archived = request.GET.get("archived") == "1"
    units = request.membership.visible_units().annotate(
        member_count=Count("memberships", distinct=True))
    if not show_archived:
        units = units.filter(archived_at__isnull=True)
    can_manage = request.membership.has_role(Role.MANAGER)
    if form is None and can_manage:
        form = UnitForm(parents=_manageable_parents(request),
                        initial={"sector": request.org.sector})
    return {"units": list(units), "form": form, "can_manage": can_manage,
            "show_archived": show_archived}


@org_view()
def unit_list(request):
    if request.method == "POST":
        if not request.membership.has_role(Role.MANAGER):
            raise PermissionDenied
        parents = _manageable_parents(request)
        form = UnitForm(request.POST, parents=parents)
        if form.is_valid():
            parent = next((u for u in parents if u.pk == form.cleaned_data["parent"]), None)
            try:
                unit = actions.do_create_unit(
                    Actor.from_request(request), request.org, name=form.cleaned_data["name"],
                    parent=parent, kind=form.cleaned_data["kind"],
                    sector=form.cleaned_data["sector"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Unit “%(name)s” created.") % {"name": unit.name})
                if request.htmx:
                    return render(request, "accounts/_unit_tree.html",
                                  _unit_tree_context(request))
                return redirect("unit_list", org_slug=request.org.slug)
        status = 422 if request.htmx else 200
        template = "accounts/_unit_tree.html" if request.htmx else "accounts/units.html"
        return render(request, template, _unit_tree_context(request, form), status=status)
    return render(request, "accounts/units.html", _unit_tree_context(request))


@org_view(Role.MANAGER)
def unit_rename(request, pk):
    unit = manageable_unit_or_404(request, pk)
    form = UnitRenameForm(request.POST or None, initial={"name": unit.name})
    if request.method == "POST" and form.is_valid():
        try:
            unit = actions.do_update_unit(Actor.from_request(request), unit,
                                          name=form.cleaned_data["name"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if request.htmx:
                return render(request, "accounts/_unit_row.html",
                              {"unit": unit, "can_manage": True})
            messages.success(request, _("Unit renamed."))
            return redirect("unit_list", org_slug=request.org.slug)
    template = "accounts/_unit_rename.html" if request.htmx else "accounts/unit_rename.html"
    return render(request, template, {"unit": unit, "form": form},
                  status=422 if form.errors and request.htmx else 200)


@org_view(Role.MANAGER)
def unit_row(request, pk):
    """One row of the tree (htmx: cancel an inline edit)."""
    unit = visible_unit_or_404(request, pk)
    return render(request, "accounts/_unit_row.html", {"unit": unit, "can_manage": True})


@org_view(Role.MANAGER)
def unit_move(request, pk):
    unit = manageable_unit_or_404(request, pk)
    parents = [u for u in _manageable_parents(request) if not u.path.startswith(unit.path)]
    form = UnitMoveForm(request.POST or None, parents=parents,
                        initial={"parent": unit.parent_id})
    if request.method == "POST" and form.is_valid():
        new_parent = next((u for u in parents if u.pk == form.cleaned_data["parent"]), None)
        try:
            if new_parent is None:
                raise ValidationError({"parent": _("Choose a unit you manage.")})
            actions.do_move_unit(Actor.from_request(request), unit, new_parent)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” moved under “%(parent)s”.")
                             % {"name": unit.name, "parent": new_parent.name})
            return redirect("unit_list", org_slug=request.org.slug)
    return render(request, "accounts/unit_move.html", {"unit": unit, "form": form})


@require_POST
@org_view(Role.MANAGER)
def unit_archive(request, pk):
    unit = manageable_unit_or_404(request, pk)
    if request.membership.unit_id == unit.pk:
        raise PermissionDenied
    try:
        count = actions.do_archive_unit(Actor.from_request(request), unit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(name)s” archived (%(count)s units). Its history is kept.")
                         % {"name": unit.name, "count": count})
    return redirect("unit_list", org_slug=request.org.slug)


@require_POST
@org_view(Role.MANAGER)
def unit_restore(request, pk):
    unit = manageable_unit_or_404(request, pk)
    try:
        actions.do_restore_unit(Actor.from_request(request), unit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("“%(name)s” restored.") % {"name": unit.name})
    return redirect(f"{request.path.rsplit('/', 3)[0]}/?archived=1")


def _invitable_roles(membership: Membership) -> list[str]:
    if membership.role == Role.ADMIN:
        return [Role.ADMIN, Role.MANAGER, Role.STAFF]
    return [Role.MANAGER, Role.STAFF]


@org_view(Role.MANAGER)
def member_list(request):
    membership = request.membership
    units = list(membership.visible_units().active())
    form = InviteForm(request.POST or None, units=units, roles=_invitable_roles(membership))
    if request.method == "POST" and form.is_valid():
        unit_id = form.cleaned_data["unit"]
        unit = next((u for u in units if u.pk == unit_id), None)
        if membership.role != Role.ADMIN and unit is None:
            unit = membership.unit
        try:
            actions.do_invite_member(Actor.from_request(request), request.org,
                                     email=form.cleaned_data["email"],
                                     role=form.cleaned_data["role"], unit=unit,
                                     language=request.LANGUAGE_CODE)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.")
                             % {"email": form.cleaned_data["email"]})
            return redirect("member_list", org_slug=request.org.slug)
    members = Membership.objects.filter(organisation=request.org).select_related("user", "unit")
    if membership.role != Role.ADMIN and membership.unit_id:
        members = members.filter(Q(unit__path__startswith=membership.unit.path))
    paginator = Paginator(members, 50)
    page = paginator.get_page(request.GET.get("page"))
    invitations = (Invitation.objects.filter(organisation=request.org, accepted_at__isnull=True,
                                             revoked_at__isnull=True)
                   .select_related("unit"))
    return render(request, "accounts/members.html", {
        "page": page, "form": form, "invitations": invitations,
        "is_admin": membership.role == Role.ADMIN,
    })


@org_view(Role.ADMIN)
def member_edit(request, pk):
    target = get_object_or_404(Membership.objects.select_related("user", "unit"), pk=pk,
                               organisation=request.org)
    units = list(Unit.objects.filter(organisation=request.org).active())
    form = MembershipForm(request.POST or None, units=units,
                          initial={"role": target.role, "unit": target.unit_id})
    if request.method == "POST" and form.is_valid():
        unit = next((u for u in units if u.pk == form.cleaned_data["unit"]), None)
        try:
            actions.do_change_membership(Actor.from_request(request), target,
                                         role=form.cleaned_data["role"], unit=unit)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("member_list", org_slug=request.org.slug)
    return render(request, "accounts/member_edit.html", {"target": target, "form": form})


@require_POST
@org_view(Role.ADMIN)
def member_remove(request, pk):
    target = get_object_or_404(Membership.objects.select_related("user"), pk=pk,
                               organisation=request.org)
    try:
        actions.do_remove_member(Actor.from_request(request), target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s removed from the organisation.")
                         % {"name": target.user})
    return redirect("member_list", org_slug=request.org.slug)


@require_POST
@org_view(Role.MANAGER)
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation, pk=pk, organisation=request.org)
    actions.do_revoke_invitation(Actor.from_request(request), invitation)
    messages.success(request, _("Invitation cancelled."))
    return redirect("member_list", org_slug=request.org.slug)


@org_view(Role.ADMIN)
def audit_log(request):
    entries = AuditLog.objects.filter(organisation=request.org).select_related("actor")
    action = request.GET.get("action", "").strip()
    if action:
        entries = entries.filter(action__startswith=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit.html", {"page": page, "action": action})


def accept_invitation(request, token):
    invitation = actions.find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    has_account = actions.User.objects.filter(email__iexact=invitation.email).exists()
    form = None if has_account else AcceptInvitationForm(request.POST or None)
    if request.method == "POST":
        if has_account and (not request.user.is_authenticated
                            or request.user.email.lower() != invitation.email.lower()):
            messages.info(request, _("Log in as %(email)s to accept the invitation.")
                          % {"email": invitation.email})
            return redirect(f"/login/?next={request.path}")
        if has_account or form.is_valid():
            try:
                membership = actions.do_accept_invitation(
                    Actor.from_request(request), token,
                    full_name=form.cleaned_data["full_name"] if form else "",
                    password=form.cleaned_data["password"] if form else None)
            except ValidationError as exc:
                if form is None:
                    raise
                _add_errors(form, exc)
            else:
                if not request.user.is_authenticated:
                    login(request, membership.user,
                          backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome to %(org)s!")
                                 % {"org": membership.organisation.name})
                return redirect("org_home", org_slug=membership.organisation.slug)
    return render(request, "accounts/invitation_accept.html",
                  {"invitation": invitation, "form": form, "has_account": has_account})
