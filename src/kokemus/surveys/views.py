"""Survey builder pages under /o/<org>/surveys/: managers and admins edit, staff read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role
from kokemus.accounts.permissions import org_view
from kokemus.journeys.i18n import LANGUAGES, pick
from kokemus.journeys.models import Touchpoint
from kokemus.surveys import actions
from kokemus.surveys.forms import AddQuestionForm, CollectionPointForm, NewSurveyForm
from kokemus.surveys.models import CollectionPoint, Survey
from kokemus.surveys.public_views import public_url
from kokemus.surveys.questions import SHOW_IF_OPS, type_info


def _survey_or_404(request, pk) -> Survey:
    return get_object_or_404(Survey, pk=pk, organisation=request.org, archived_at__isnull=True)


def _touchpoints(request):
    return list(Touchpoint.objects.filter(organisation=request.org, archived_at__isnull=True)
                .select_related("journey", "stage").order_by("journey_id", "stage__position",
                                                              "position"))


def _manageable_units(request):
    return [u for u in request.membership.visible_units().active()
            if request.membership.can_manage_unit(u)]


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _messages_from(request, exc: ValidationError) -> None:
    messages.error(request, _error_text(exc))



@org_view()
def survey_list(request):
    surveys = (Survey.objects.filter(organisation=request.org, archived_at__isnull=True)
               .annotate(point_count=Count("collection_points", distinct=True)))
    return render(request, "surveys/survey_list.html", {
        "surveys": surveys, "can_manage": request.membership.has_role(Role.MANAGER)})


@org_view(Role.MANAGER)
def survey_new(request):
    touchpoints = _touchpoints(request)
    units = _manageable_units(request)
    form = NewSurveyForm(request.POST or None, touchpoints=touchpoints, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        touchpoint = next((t for t in touchpoints if t.pk == data["touchpoint"]), None)
        chosen = [u for u in units if u.pk in set(data["units"])]
        name = {lang: data["name"] for lang in LANGUAGES} if data["name"].strip() else None
        try:
            survey = actions.do_create_survey_from_template(
                Actor.from_request(request), request.org, data["template"], name=name,
                touchpoint=touchpoint, units=chosen, channel=data["channel"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Survey created and published with %(n)s collection "
                                        "points.") % {"n": len(chosen)})
            return redirect("survey_detail", org_slug=request.org.slug, pk=survey.pk)
    return render(request, "surveys/survey_new.html", {"form": form})


def _question_rows(questions, language):
    rows = []
    for index, q in enumerate(questions):
        cond = q.get("show_if") or {}
        value = cond.get("value")
        rows.append({
            **q, "index": index, "type_label": pick(type_info(q["type"])["label"], language),
            "text_display": pick(q["text"], language),
            "earlier": [e["key"] for e in questions[:index]],
            "cond_question": cond.get("question", ""), "cond_op": cond.get("op", ""),
            "cond_value": ",".join(str(v) for v in value) if isinstance(value, list)
            else ("" if value is None else str(value)),
            "options_text": "\n".join(
                f"{o['key']} | {o['label'].get('fi', '')} | {o['label'].get('sv', '')} | "
                f"{o['label'].get('en', '')}" for o in q.get("options", [])),
        })
    return rows


@org_view()
def survey_detail(request, pk):
    survey = _survey_or_404(request, pk)
    visible = request.membership.visible_units()
    points = (CollectionPoint.objects.filter(survey=survey, organisation=request.org,
                                             unit__in=visible)
              .select_related("unit", "touchpoint"))
    can_manage = request.membership.has_role(Role.MANAGER)
    current = survey.current_version
    point_form = CollectionPointForm(touchpoints=_touchpoints(request),
                                     units=_manageable_units(request)) if can_manage else None
    return render(request, "surveys/survey_detail.html", {
        "survey": survey, "current": current, "draft": survey.draft_version,
        "questions": _question_rows(current.questions if current else [],
                                    request.LANGUAGE_CODE),
        "points": [{"cp": p, "url": public_url(p)} for p in points],
        "can_manage": can_manage, "point_form": point_form,
        "versions": survey.versions.all()})


@org_view(Role.MANAGER)
def survey_edit(request, pk):
    survey = _survey_or_404(request, pk)
    if request.method == "POST":
        try:
            actions.do_start_draft(Actor.from_request(request), survey)
        except ValidationError as exc:
            _messages_from(request, exc)
            return redirect("survey_detail", org_slug=request.org.slug, pk=survey.pk)
        return redirect("survey_edit", org_slug=request.org.slug, pk=survey.pk)
    draft = survey.draft_version
    if draft is None:
        return render(request, "surveys/survey_start_draft.html", {"survey": survey})
    return render(request, "surveys/survey_edit.html", {
        "survey": survey, "draft": draft, "add_form": AddQuestionForm(),
        "questions": _question_rows(draft.questions, request.LANGUAGE_CODE),
        "ops": [("lte", _("at most")), ("gte", _("at least")), ("in", _("one of"))],
        "languages": LANGUAGES})


def _back_to_edit(request, survey):
    return redirect("survey_edit", org_slug=request.org.slug, pk=survey.pk)


@require_POST
@org_view(Role.MANAGER)
def question_add(request, pk):
    survey = _survey_or_404(request, pk)
    form = AddQuestionForm(request.POST)
    if form.is_valid():
        try:
            actions.do_add_question(Actor.from_request(request), survey,
                                    form.cleaned_data["type"],
                                    behaviour=form.cleaned_data["behaviour"] or None)
        except ValidationError as exc:
            _messages_from(request, exc)
    else:
        messages.error(request, _("Choose a question type."))
    return _back_to_edit(request, survey)


def _parse_options(raw: str) -> list[dict]:
    options = []
    for line in raw.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts or not parts[0]:
            continue
        labels = dict(zip(LANGUAGES, parts[1:4], strict=False))
        options.append({"key": parts[0], "label": labels})
    return options


def _parse_value(op: str, raw: str):
    raw = raw.strip()
    if op in ("lte", "gte"):
        try:
            return int(raw)
        except ValueError:
            return raw
    items = [v.strip() for v in raw.split(",") if v.strip()]
    return [int(v) if v.lstrip("-").isdigit() else v for v in items]


@require_POST
@org_view(Role.MANAGER)
def question_update(request, pk, key):
    survey = _survey_or_404(request, pk)
    post = request.POST
    fields = {"text": {lang: post.get(f"text_{lang}", "") for lang in LANGUAGES},
              "required": post.get("required") == "on"}
    cond_question = post.get("show_if_question", "")
    op = post.get("show_if_op", "")
    if cond_question:
        if op not in SHOW_IF_OPS:
            messages.error(request, _("Choose a condition."))
            return _back_to_edit(request, survey)
        fields["show_if"] = {"question": cond_question, "op": op,
                             "value": _parse_value(op, post.get("show_if_value", ""))}
    else:
        fields["show_if"] = None
    if "options" in post:
        fields["options"] = _parse_options(post["options"])
    if post.get("max_length"):
        try:
            fields["max_length"] = int(post["max_length"])
        except ValueError:
            fields["max_length"] = 0
    if post.get("behaviour"):
        fields["behaviour"] = post["behaviour"]
    try:
        actions.do_update_question(Actor.from_request(request), survey, key, **fields)
    except ValidationError as exc:
        _messages_from(request, exc)
    else:
        messages.success(request, _("Question saved."))
    return _back_to_edit(request, survey)


@require_POST
@org_view(Role.MANAGER)
def question_move(request, pk, key):
    survey = _survey_or_404(request, pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        actions.do_move_question(Actor.from_request(request), survey, key, offset)
    except ValidationError as exc:
        _messages_from(request, exc)
    return _back_to_edit(request, survey)


@require_POST
@org_view(Role.MANAGER)
def question_remove(request, pk, key):
    survey = _survey_or_404(request, pk)
    try:
        actions.do_remove_question(Actor.from_request(request), survey, key)
    except ValidationError as exc:
        _messages_from(request, exc)
    return _back_to_edit(request, survey)


@require_POST
@org_view(Role.MANAGER)
def survey_publish(request, pk):
    survey = _survey_or_404(request, pk)
    try:
        version = actions.do_publish_survey(Actor.from_request(request), survey)
    except ValidationError as exc:
        _messages_from(request, exc)
        return _back_to_edit(request, survey)
    messages.success(request, _("Version %(n)s published.") % {"n": version.number})
    return redirect("survey_detail", org_slug=request.org.slug, pk=survey.pk)


@require_POST
@org_view(Role.MANAGER)
def survey_close(request, pk):
    survey = _survey_or_404(request, pk)
    actions.do_close_survey(Actor.from_request(request), survey)
    messages.success(request, _("Survey closed. It no longer accepts answers."))
    return redirect("survey_detail", org_slug=request.org.slug, pk=survey.pk)


@require_POST
@org_view(Role.MANAGER)
def point_create(request, pk):
    survey = _survey_or_404(request, pk)
    touchpoints = _touchpoints(request)
    units = _manageable_units(request)
    form = CollectionPointForm(request.POST, touchpoints=touchpoints, units=units)
    if not form.is_valid():
        messages.error(request, _("Choose a unit you manage and a channel."))
    else:
        data = form.cleaned_data
        unit = next(u for u in units if u.pk == data["unit"])
        touchpoint = next((t for t in touchpoints if t.pk == data["touchpoint"]), None)
        try:
            cp = actions.do_create_collection_point(Actor.from_request(request), survey,
                                                    unit=unit, touchpoint=touchpoint,
                                                    channel=data["channel"])
        except ValidationError as exc:
            _messages_from(request, exc)
        else:
            messages.success(request, _("Collection point %(code)s created.")
                             % {"code": cp.code})
    return redirect("survey_detail", org_slug=request.org.slug, pk=survey.pk)


@require_POST
@org_view(Role.MANAGER)
def point_toggle(request, pk):
    cp = get_object_or_404(CollectionPoint.objects.select_related("unit"), pk=pk,
                           organisation=request.org)
    if not request.membership.can_manage_unit(cp.unit):
        raise PermissionDenied
    actions.do_set_collection_point_active(Actor.from_request(request), cp,
                                           request.POST.get("active") == "1")
    return redirect("survey_detail", org_slug=request.org.slug, pk=cp.survey_id)
