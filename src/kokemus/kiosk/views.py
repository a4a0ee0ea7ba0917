"""Kiosk admin pages under /o/<org>/kiosks/: list, register (token shown once), revoke,
and the QR poster of a collection point (see :mod:`kokemus.surveys.posters`)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.kiosk import actions
from kokemus.kiosk.forms import KioskForm
from kokemus.kiosk.models import KioskDevice
from kokemus.surveys.models import CollectionPoint, Survey, SurveyStatus


def _manageable_units(request):
    return [u for u in request.membership.visible_units().active()
            if request.membership.can_manage_unit(u)]


def _form(request, data=None) -> KioskForm:
    units = _manageable_units(request)
    unit_ids = {u.pk for u in units}
    points = [cp for cp in CollectionPoint.objects.filter(organisation=request.org,
                                                          is_active=True)
              .select_related("unit", "survey") if cp.unit_id in unit_ids]
    surveys = Survey.objects.filter(organisation=request.org, status=SurveyStatus.PUBLISHED,
                                    archived_at__isnull=True)
    form = KioskForm(data, units=units, points=points, surveys=surveys)
    form.units_by_id = {u.pk: u for u in units}
    form.points_by_id = {cp.pk: cp for cp in points}
    form.surveys_by_id = {s.pk: s for s in surveys}
    return form


@org_view(Role.MANAGER)
def kiosk_list(request):
    devices = (KioskDevice.objects.filter(organisation=request.org)
               .select_related("unit", "collection_point", "collection_point__survey"))
    devices = [d for d in devices if request.membership.can_see_unit(d.unit)]
    points = [cp for cp in CollectionPoint.objects.filter(organisation=request.org,
                                                          is_active=True)
              .select_related("unit", "survey", "touchpoint")
              if request.membership.can_see_unit(cp.unit)]
    return render(request, "kiosk/list.html", {"devices": devices, "points": points})


@never_cache
@org_view(Role.MANAGER)
def kiosk_new(request):
    form = _form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            device, token = actions.do_register_kiosk(
                Actor.from_request(request), request.org,
                unit=form.units_by_id[data["unit"]], name=data["name"],
                collection_point=form.points_by_id.get(data["collection_point"]),
                survey=form.surveys_by_id.get(data["survey"]))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            url = request.build_absolute_uri(f"/kiosk/{token}/")
            qr = segno.make(url, error="m").svg_data_uri(scale=6, border=2)
            return render(request, "kiosk/registered.html",
                          {"device": device, "url": url, "qr": qr})
    status = 400 if request.method == "POST" else 200
    return render(request, "kiosk/new.html", {"form": form}, status=status)


@require_POST
@org_view(Role.MANAGER)
def kiosk_revoke(request, pk):
    device = get_object_or_404(KioskDevice.objects.select_related("unit"), pk=pk,
                               organisation=request.org)
    if not request.membership.can_see_unit(device.unit):
        raise Http404
    if not request.membership.can_manage_unit(device.unit):
        raise PermissionDenied
    actions.do_revoke_kiosk(Actor.from_request(request), device)
    messages.success(request, _("Kiosk “%(name)s” removed. It can no longer send answers.")
                     % {"name": device.name})
    return redirect("kiosk_list", org_slug=request.org.slug)


@org_view(Role.MANAGER)
def poster_pdf(request, pk):
    from kokemus.surveys.posters import poster_response

    cp = get_object_or_404(CollectionPoint.objects.select_related("unit", "organisation",
                                                                  "touchpoint"),
                           pk=pk, organisation=request.org)
    if not request.membership.can_see_unit(cp.unit):
        raise Http404
    return poster_response(cp, request.GET.get("size", "a4"))
