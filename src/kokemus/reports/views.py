"""Reports page, on-demand unit PDF, exports, data dictionary and schedules."""

from __future__ import annotations

import csv
import io
import json

from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import manageable_unit_or_404, org_view, visible_unit_or_404
from kokemus.analytics.views import Dashboard
from kokemus.reports import exports, periods
from kokemus.reports.actions import do_create_schedule, do_delete_schedule, do_set_schedule_active
from kokemus.reports.forms import PdfForm, ScheduleForm
from kokemus.reports.models import ReportDelivery, ReportSchedule
from kokemus.reports.report import local_today
from kokemus.reports.report import render as render_report


def _manageable_units(request):
    units = request.membership.visible_units().filter(archived_at__isnull=True)
    return units if request.membership.has_role(Role.MANAGER) else units.none()


def _schedules(request):
    ids = request.membership.visible_units().values("pk")
    return (ReportSchedule.objects.filter(organisation=request.org, unit__in=ids)
            .select_related("unit").prefetch_related("members__user"))


@org_view(Role.STAFF)
@require_GET
def index(request):
    return _index(request)


def _index(request, schedule_form=None, status=200):
    dash = Dashboard(request)
    units = request.membership.visible_units().filter(archived_at__isnull=True)
    default_month = periods.month_key(periods.previous_month(local_today(dash.filters.unit))[0])
    query = dash.query()
    exports_links = []
    for key, ds in exports.DATASETS.items():
        base = reverse("reports_export", args=[request.org.slug, key, "csv"])[:-4]
        exports_links.append({"dataset": ds, "links": [
            {"fmt": "csv", "url": f"{base}.csv" + ("?" + query if query else "")},
            {"fmt": "csv-bom", "url": f"{base}.csv?" + (query + "&" if query else "")
             + "bom=1"},
            {"fmt": "xlsx", "url": f"{base}.xlsx" + ("?" + query if query else "")},
            {"fmt": "parquet", "url": f"{base}.parquet" + ("?" + query if query else "")}]})
    can_schedule = request.membership.has_role(Role.MANAGER)
    schedules = list(_schedules(request)) if can_schedule else []
    deliveries = list(ReportDelivery.objects.filter(schedule__in=[s.pk for s in schedules])
                      .select_related("schedule__unit")[:30]) if schedules else []
    context = {
        "dash": dash, "form": dash.form, "filters": dash.filters, "exports": exports_links,
        "pdf_form": PdfForm(initial={"unit": dash.filters.unit.pk, "month": default_month},
                            units=units),
        "can_schedule": can_schedule, "schedules": schedules, "deliveries": deliveries,
        "schedule_form": schedule_form or (ScheduleForm(units=_manageable_units(request),
                                                        org=request.org)
                                           if can_schedule else None),
    }
    return render(request, "reports/index.html", context,
                  status=status if status != 200 else dash.status)


@org_view(Role.STAFF)
@require_GET
def unit_pdf_form(request):
    units = request.membership.visible_units().filter(archived_at__isnull=True)
    form = PdfForm(request.GET, units=units)
    if not form.is_valid():
        return HttpResponseBadRequest()
    url = reverse("reports_unit_pdf", args=[request.org.slug, form.cleaned_data["unit"].pk])
    return redirect(url + "?" + urlencode({"month": form.cleaned_data["month"]}))


@org_view(Role.STAFF)
@require_GET
def unit_pdf(request, unit_pk: int):
    """The unit's report for ``?month=YYYY-MM`` (default: the last complete month)."""
    unit = visible_unit_or_404(request, unit_pk)
    month = request.GET.get("month")
    try:
        start, end = (periods.parse_month(month) if month
                      else periods.previous_month(local_today(unit)))
    except ValueError:
        return HttpResponseBadRequest()
    report = render_report(request.org, unit, start, end)
    return HttpResponse(report.pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{report.filename}"',
        "Cache-Control": "private, no-store",
    })


@org_view(Role.STAFF)
@require_GET
def export(request, dataset: str, fmt: str):
    dash = Dashboard(request)
    if not dash.valid:
        return HttpResponseBadRequest()
    if dataset not in exports.DATASETS or fmt not in exports.FORMATS:
        raise Http404
    ds = exports.DATASETS[dataset]
    f = dash.filters
    suppress = request.GET.get("suppress") == "1"
    bom = request.GET.get("bom") == "1"
    record(Actor.from_request(request), "report.exported", None, organisation=request.org,
           changes={"dataset": dataset, "format": fmt, "unit": f.unit.pk,
                    "start": f.start, "end": f.end, "touchpoint": f.touchpoint_id,
                    "channel": f.channel, "language": f.language, "suppress": suppress})
    rows = exports.rows_for(dataset, f, translation.get_language() or "fi", suppress)
    filename = f"kokemus-{request.org.slug}-{dataset}-{f.start}-{f.end}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"',
               "Cache-Control": "private, no-store"}
    if fmt == "csv":
        return StreamingHttpResponse(exports.csv_chunks(ds, rows, bom=bom),
                                     content_type=exports.FORMATS["csv"], headers=headers)
    fh = exports.to_tempfile(fmt, ds, rows)
    response = FileResponse(fh, content_type=exports.FORMATS[fmt], as_attachment=True,
                            filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@org_view(Role.STAFF)
@require_GET
def dictionary(request):
    fmt = request.GET.get("format", "")
    rows = [(ds.key, c.name, c.kind, str(c.description))
            for ds in exports.DATASETS.values() for c in ds.columns]
    if fmt == "json":
        data = {ds.key: {"title": str(ds.title), "description": str(ds.description),
                         "columns": [{"name": c.name, "type": c.kind,
                                      "description": str(c.description)}
                                     for c in ds.columns]}
                for ds in exports.DATASETS.values()}
        return HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8", headers={
                                "Content-Disposition":
                                'attachment; filename="kokemus-data-dictionary.json"'})
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["dataset", "column", "type", "description"])
        writer.writerows(rows)
        return HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition":
                                     'attachment; filename="kokemus-data-dictionary.csv"'})
    if fmt:
        raise Http404
    return render(request, "reports/dictionary.html", {"datasets": exports.DATASETS.values()})


@org_view(Role.MANAGER)
@require_POST
def schedule_create(request):
    form = ScheduleForm(request.POST, units=_manageable_units(request), org=request.org)
    if form.is_valid():
        try:
            do_create_schedule(Actor.from_request(request), request.org,
                               unit=form.cleaned_data["unit"],
                               frequency=form.cleaned_data["frequency"],
                               emails=form.cleaned_data["emails"],
                               members=list(form.cleaned_data["members"]))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("reports_index", request.org.slug)
    return _index(request, schedule_form=form, status=400)


def _schedule_or_404(request, pk) -> ReportSchedule:
    schedule = get_object_or_404(ReportSchedule.objects.select_related("unit"), pk=pk,
                                 organisation=request.org)
    manageable_unit_or_404(request, schedule.unit_id)
    return schedule


@org_view(Role.MANAGER)
@require_POST
def schedule_toggle(request, pk: int):
    schedule = _schedule_or_404(request, pk)
    do_set_schedule_active(Actor.from_request(request), schedule, not schedule.active)
    return redirect("reports_index", request.org.slug)


@org_view(Role.MANAGER)
@require_POST
def schedule_delete(request, pk: int):
    schedule = _schedule_or_404(request, pk)
    do_delete_schedule(Actor.from_request(request), schedule)
    return redirect("reports_index", request.org.slug)
