"""Organisation pages under /o/<org>/invitations/: upload visits, see invitations, rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.imports.actions import MAX_UPLOAD, import_dir
from kokemus.invitations import actions
from kokemus.invitations.forms import InvitationSettingsForm, VisitUploadForm
from kokemus.invitations.models import InvitationStatus, SurveyInvitation


def _manageable_units(request):
    return [u for u in request.membership.visible_units().filter(archived_at__isnull=True)
            if request.membership.can_manage_unit(u)]


def _page(request, *, upload_form=None, settings_form=None, report=None, status=200):
    units = request.membership.visible_units()
    qs = (SurveyInvitation.objects.filter(organisation=request.org, visit__unit__in=units)
          .select_related("visit__unit", "visit__touchpoint"))
    counts = {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))}
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    is_admin = request.membership.has_role(Role.ADMIN)
    return render(request, "invitations/home.html", {
        "page": page, "counts": [(label, counts.get(value, 0))
                                 for value, label in InvitationStatus.choices],
        "upload_form": upload_form or VisitUploadForm(),
        "settings_form": settings_form or (InvitationSettingsForm(
            instance=actions.settings_for(request.org)) if is_admin else None),
        "report": report, "is_admin": is_admin}, status=status)


@org_view(Role.MANAGER)
def invitation_home(request):
    return _page(request)


@org_view(Role.MANAGER)
@require_POST
def visit_upload(request):
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD:
            form = VisitUploadForm()
            form.errors["file"] = form.error_class([_("The file is larger than 200 MB.")])
            return _page(request, upload_form=form, status=413)
    except ValueError:
        pass
    form = VisitUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    target = import_dir() / f"visits-{request.org.pk}-{request.user.pk}.tmp"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        report = actions.do_upload_visits(Actor.from_request(request), request.org, target,
                                          units=_manageable_units(request),
                                          filename=upload.name or "")
    except ValidationError as exc:
        form.add_error("file", " ".join(exc.messages))
        return _page(request, upload_form=form, status=400)
    finally:
        target.unlink(missing_ok=True)
    status = 400 if report["bad"] and not (report["created"] or report["existing"]) else 200
    return _page(request, report=report, status=status)


@org_view(Role.ADMIN)
@require_POST
def invitation_settings(request):
    cfg = actions.settings_for(request.org)
    form = InvitationSettingsForm(request.POST, instance=cfg)
    if not form.is_valid():
        return _page(request, settings_form=form, status=400)
    try:
        actions.do_update_settings(Actor.from_request(request), request.org,
                                   **{f: form.cleaned_data[f] for f in form.Meta.fields})
    except ValidationError as exc:
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
        return _page(request, settings_form=form, status=400)
    messages.success(request, _("Invitation rules saved."))
    return redirect("invitation_home", request.org.slug)
