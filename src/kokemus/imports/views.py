"""Import pages under /o/<org>/imports/: upload → map columns → preview → dry run → import."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.imports import actions
from kokemus.imports.models import ImportJob, ImportStatus
from kokemus.imports.reader import ReadError
from kokemus.imports.values import PRESETS
from kokemus.journeys.i18n import LANGUAGES
from kokemus.surveys.models import Survey, SurveyStatus

ERRORS_PER_PAGE = 100


def _job(request, pk) -> ImportJob:
    return get_object_or_404(ImportJob.objects.select_related("survey", "organisation"),
                             pk=pk, organisation=request.org)


def _units(request):
    return [u for u in request.membership.visible_units().filter(archived_at__isnull=True)
            if request.membership.can_manage_unit(u)]


def _surveys(request):
    return list(Survey.objects.filter(organisation=request.org, archived_at__isnull=True,
                                      status=SurveyStatus.PUBLISHED))


def _list(request, *, error: str = "", status: int = 200):
    jobs = ImportJob.objects.filter(organisation=request.org).select_related("survey")[:50]
    return render(request, "imports/list.html", {"jobs": jobs, "surveys": _surveys(request),
                                                 "error": error}, status=status)


@org_view(Role.MANAGER)
def import_list(request):
    if request.method != "POST":
        return _list(request)
    try:
        too_big = int(request.META.get("CONTENT_LENGTH") or 0) > actions.MAX_UPLOAD + 1_000_000
    except ValueError:
        too_big = False
    if too_big:
        return _list(request, error=_("The file is larger than 200 MB."), status=413)
    upload = request.FILES.get("file")
    if upload is None:
        return _list(request, error=_("Choose a CSV or XLSX file."), status=400)
    survey = None
    if request.POST.get("survey"):
        survey = Survey.objects.filter(organisation=request.org,
                                       pk=request.POST["survey"]).first() \
            if request.POST["survey"].isdigit() else None
    try:
        job = actions.do_create_job(Actor.from_request(request), request.org, source=upload,
                                    survey=survey)
    except ValidationError as exc:
        return _list(request, error=" ".join(exc.messages), status=400)
    return redirect("import_map", request.org.slug, job.pk)


def _mapping_from_post(post, job: ImportJob) -> dict:
    columns = {name: post.get(f"col-{i}", "") for i, name in enumerate(job.header)}
    values = {}
    for key, text in post.items():
        if not key.startswith("values-") or not text.strip():
            continue
        table = {}
        for line in text.splitlines():
            if "=" in line:
                label, _sep, code = line.rpartition("=")
                code = code.strip()
                table[label.strip()] = int(code) if code.lstrip("-").isdigit() else code
        values[key[len("values-"):]] = table
    return {"survey": post.get("survey"), "columns": columns, "values": values,
            "preset": post.get("preset", ""), "default_unit": post.get("default_unit") or None,
            "default_language": post.get("default_language", ""),
            "time_zone": post.get("time_zone", "")}


@org_view(Role.MANAGER)
def import_map(request, pk):
    job = _job(request, pk)
    surveys = _surveys(request)
    errors = {}
    status = 200
    if request.method == "POST":
        if job.is_active:
            return redirect("import_detail", request.org.slug, job.pk)
        mapping = _mapping_from_post(request.POST, job)
        if "choose_survey" in request.POST:
            survey = next((s for s in surveys if str(s.pk) == request.POST.get("survey")), None)
            mapping = actions.guess_mapping(job, survey.current_version if survey else None)
            mapping["survey"] = survey.pk if survey else None
        else:
            try:
                actions.do_set_mapping(Actor.from_request(request), job, mapping)
                return redirect("import_detail", request.org.slug, job.pk)
            except ValidationError as exc:
                errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
                status = 400
    else:
        survey_id = job.mapping.get("survey") if job.mapping else job.survey_id
        mapping = job.mapping or actions.guess_mapping(
            job, job.survey.current_version if job.survey else None)
        mapping["survey"] = survey_id
    survey = next((s for s in surveys if str(s.pk) == str(mapping.get("survey"))), None)
    questions = survey.current_version.questions if survey and survey.current_version else []
    targets = [("", _("Ignore")), ("unit", _("Unit")), ("touchpoint", _("Touchpoint")),
               ("time", _("Answer time")), ("external_id", _("External id")),
               ("language", _("Language"))]
    targets += [(f"q:{q['key']}", _("Question: %(key)s") % {"key": q["key"]})
                for q in questions]
    columns = [{"index": i, "name": name, "target": mapping["columns"].get(name, ""),
                "error": errors.get(name)} for i, name in enumerate(job.header)]
    values = [{"key": q["key"], "type": q["type"], "text": "\n".join(
        f"{label} = {code}" for label, code in (mapping.get("values") or {}).get(
            q["key"], {}).items())} for q in questions if q["type"] != "free_text"]
    return render(request, "imports/map.html", {
        "job": job, "surveys": surveys, "survey": survey, "columns": columns,
        "targets": targets, "values": values, "errors": errors, "mapping": mapping,
        "units": _units(request), "languages": LANGUAGES, "presets": list(PRESETS),
    }, status=status)


@org_view(Role.MANAGER)
def import_detail(request, pk):
    job = _job(request, pk)
    if job.status == ImportStatus.UPLOADED:
        return redirect("import_map", request.org.slug, job.pk)
    rows, problem = [], ""
    try:
        rows = actions.preview(job, _units(request))["rows"]
    except (ValidationError, ReadError) as exc:
        problem = " ".join(getattr(exc, "messages", [str(exc)]))
    return render(request, "imports/detail.html", {
        "job": job, "preview": rows, "problem": problem,
        "columns": job.header}, status=400 if problem else 200)


@org_view(Role.MANAGER)
@require_POST
def import_run(request, pk):
    from kokemus.imports.tasks import run_import

    job = _job(request, pk)
    dry_run = request.POST.get("mode") != "import"
    try:
        actions.start_job(job, dry_run=dry_run)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("import_detail", request.org.slug, job.pk)
    run_import.enqueue(job.pk, dry_run)
    return redirect("import_detail", request.org.slug, job.pk)


@org_view(Role.MANAGER)
def import_progress(request, pk):
    job = _job(request, pk)
    return render(request, "imports/_progress.html", {"job": job})


def _error_rows(path: str, start: int, stop: int):
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        yield from itertools.islice(reader, start, stop)


@org_view(Role.MANAGER)
def import_errors(request, pk):
    job = _job(request, pk)
    total = job.rows_bad
    if job.error_file and Path(job.error_file).exists():
        with open(job.error_file, "rb") as f:
            total = max(sum(1 for _line in f) - 1, 0)  # one line per row and field
    paginator = Paginator(range(max(total, 0)), ERRORS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    if job.error_file and Path(job.error_file).exists():
        start = (page.number - 1) * ERRORS_PER_PAGE
        errors = [{"row": r[0], "field": r[1], "message": r[2]}
                  for r in _error_rows(job.error_file, start, start + ERRORS_PER_PAGE)]
    else:
        errors = job.errors[(page.number - 1) * ERRORS_PER_PAGE: page.number * ERRORS_PER_PAGE]
    page = Page(errors, page.number, paginator)
    return render(request, "imports/errors.html", {"job": job, "page": page})


@org_view(Role.MANAGER)
def import_errors_csv(request, pk):
    job = _job(request, pk)
    if not job.error_file or not Path(job.error_file).exists():
        raise Http404
    return FileResponse(open(job.error_file, "rb"), as_attachment=True,  # noqa: SIM115
                        filename=f"import-{job.pk}-errors.csv", content_type="text/csv")


@org_view(Role.MANAGER)
@require_POST
def import_delete(request, pk):
    job = _job(request, pk)
    try:
        actions.do_delete_job(Actor.from_request(request), job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("import_detail", request.org.slug, job.pk)
    return redirect("import_list", request.org.slug)
