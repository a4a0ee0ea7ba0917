"""Journey pages: list, new from a template, editor (htmx), map, JSON export/import.

Views stay thin: parse the form, call an action from ``actions.py``, render. Staff see the
list and the maps of their organisation; managers and admins edit.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kokemus.accounts.audit import Actor
from kokemus.accounts.models import Role, UnitKind
from kokemus.accounts.permissions import org_view
from kokemus.journeys import actions
from kokemus.journeys.exchange import export_filename, parse_json
from kokemus.journeys.forms import (
    ImportForm,
    JourneyForm,
    StageForm,
    TouchpointForm,
    UnitsForm,
    current_lang,
)
from kokemus.journeys.i18n import pick
from kokemus.journeys.models import Journey, Stage, Touchpoint
from kokemus.journeys.templates_data import load_templates

MOVE_DIRECTIONS = ("up", "down", "prev", "next")


# --- Lookups ---------------------------------------------------------------------------

def _journey_or_404(request, pk) -> Journey:
    return get_object_or_404(Journey, pk=pk, organisation=request.org)


def _stage_or_404(request, pk) -> Stage:
    return get_object_or_404(Stage.objects.select_related("journey"), pk=pk,
                             organisation=request.org)


def _touchpoint_or_404(request, pk) -> Touchpoint:
    return get_object_or_404(Touchpoint.objects.select_related("journey", "stage"), pk=pk,
                             organisation=request.org)


def _lang() -> str:
    return current_lang(get_language())


def _unit_options(request) -> list:
    """Units a journey can be applied to by this member: visible, active sites/departments."""
    units = list(request.membership.visible_units().active())
    places = [u for u in units if u.kind in (UnitKind.SITE, UnitKind.DEPARTMENT)]
    return places or units


def _chosen_units(request, ids, journey: Journey | None = None) -> list:
    """The chosen units among those offered, plus (when editing) assigned units the member
    cannot see, so a manager never removes another region's units by accident."""
    options = {u.pk: u for u in _unit_options(request)}
    chosen = [options[i] for i in ids if i in options]
    if journey is not None:
        visible = set(request.membership.visible_units().values_list("pk", flat=True))
        chosen += [u for u in journey.units.all() if u.pk not in visible]
    return chosen


def _is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))


# --- List, new, import, export ---------------------------------------------------------

@org_view()
def journey_list(request):
    journeys = (Journey.objects.filter(organisation=request.org, archived_at__isnull=True)
                .prefetch_related("units", "stages", "touchpoints"))
    rows = []
    for j in journeys:
        rows.append({
            "journey": j,
            "stage_count": sum(1 for s in j.stages.all() if s.archived_at is None),
            "touchpoint_count": sum(1 for t in j.touchpoints.all() if t.archived_at is None),
            "units": [u.name for u in j.units.all()],
        })
    return render(request, "journeys/list.html", {
        "rows": rows, "can_edit": request.membership.has_role(Role.MANAGER)})


@org_view(Role.MANAGER)
def journey_new(request):
    units = _unit_options(request)
    if request.method == "POST":
        form = UnitsForm(request.POST, units=units)
        key = request.POST.get("template", "")
        templates = load_templates()
        if key not in templates:
            form.add_error(None, _("Choose one of the templates."))
        if form.is_valid():
            try:
                journey = actions.do_create_journey_from_template(
                    Actor.from_request(request), request.org, key,
                    units=_chosen_units(request, form.cleaned_data["units"]))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Journey “%(name)s” created. Adapt it to your "
                                            "service below.") % {"name": journey.label()})
                return redirect("journey_edit", request.org.slug, journey.pk)
        status = 400
    else:
        form = UnitsForm(units=units, initial={"units": [u.pk for u in units]})
        status = 200
    lang = _lang()
    cards = [{
        "key": key, "name": pick(t["name"], lang), "persona": pick(t.get("persona"), lang),
        "description": pick(t.get("description"), lang), "stage_count": len(t["stages"]),
        "touchpoint_count": sum(len(s.get("touchpoints", [])) for s in t["stages"]),
    } for key, t in load_templates().items()]
    return render(request, "journeys/new.html", {"form": form, "cards": cards}, status=status)


@org_view(Role.MANAGER)
def journey_import(request):
    units = _unit_options(request)
    form = ImportForm(request.POST or None, request.FILES or None, units=units)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > 2 * 1024 * 1024:
                raise ValidationError({"file": _("The file is too large (at most 2 MB).")})
            try:
                data = parse_json(upload.read())
            except ValueError as exc:
                raise ValidationError({"file": str(exc)}) from None
            journey = actions.do_import_journey(
                Actor.from_request(request), request.org, data,
                units=_chosen_units(request, form.cleaned_data["units"]))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error("file" if field not in form.fields else field, errors)
            else:
                form.add_error("file", exc)
        else:
            messages.success(request, _("Journey “%(name)s” imported.")
                             % {"name": journey.label()})
            return redirect("journey_edit", request.org.slug, journey.pk)
    status = 400 if form.errors else 200
    return render(request, "journeys/import.html", {"form": form}, status=status)


@org_view(Role.MANAGER)
def journey_export(request, pk):
    journey = _journey_or_404(request, pk)
    body = json.dumps(actions.journey_snapshot(journey), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(journey)}"'
    return response


# --- Map -------------------------------------------------------------------------------

def map_columns(journey: Journey) -> list[dict]:
    """Active stages with their active touchpoints, in order (also used by dashboards)."""
    touchpoints = list(journey.touchpoints.filter(archived_at__isnull=True)
                       .order_by("position", "id"))
    columns = []
    for stage in journey.stages.filter(archived_at__isnull=True).order_by("position", "id"):
        columns.append({"stage": stage,
                        "touchpoints": [t for t in touchpoints if t.stage_id == stage.pk]})
    return columns


@org_view()
def journey_map(request, pk):
    journey = _journey_or_404(request, pk)
    return render(request, "journeys/map.html", {
        "journey": journey, "columns": map_columns(journey),
        "units": list(journey.units.all()),
        "metrics": {},  # {touchpoint_id: {...}}: filled by the dashboards later
        "can_edit": request.membership.has_role(Role.MANAGER),
    })


# --- Editor ----------------------------------------------------------------------------

def _board_context(request, journey: Journey, *, focus: str = "", status: str = "",
                   forms_by_stage: dict | None = None, stage_form=None) -> dict:
    lang = _lang()
    stages = list(journey.stages.all().order_by("position", "id"))
    active_stages = [s for s in stages if s.archived_at is None]
    touchpoints = list(journey.touchpoints.all().order_by("position", "id"))
    columns = []
    for i, stage in enumerate(active_stages):
        tps = [t for t in touchpoints if t.stage_id == stage.pk and t.archived_at is None]
        columns.append({
            "stage": stage, "index": i, "first": i == 0, "last": i == len(active_stages) - 1,
            "touchpoints": [{"tp": t, "position": n + 1, "count": len(tps)}
                            for n, t in enumerate(tps)],
            "add_form": (forms_by_stage or {}).get(stage.pk)
            or TouchpointForm(language=lang, prefix=f"s{stage.pk}"),
        })
    archived = [t for t in touchpoints if t.archived_at is not None]
    return {
        "journey": journey, "columns": columns, "focus": focus, "status": status,
        "archived_stages": [s for s in stages if s.archived_at is not None],
        "archived_touchpoints": archived,
        "stage_form": stage_form or StageForm(language=lang, prefix="new-stage"),
        "stage_count": len(active_stages),
    }


def _board_response(request, journey: Journey, *, status_code: int = 200, **kwargs):
    """The whole board (htmx) or a redirect back to the editor (no JavaScript)."""
    if _is_htmx(request):
        return render(request, "journeys/_board_response.html",
                      _board_context(request, journey, **kwargs), status=status_code)
    if kwargs.get("status"):
        messages.info(request, kwargs["status"])
    url = reverse("journey_edit", args=[request.org.slug, journey.pk])
    focus = kwargs.get("focus", "")
    return redirect(f"{url}#{focus.rsplit('-', 1)[0]}" if focus else url)


@org_view(Role.MANAGER)
def journey_edit(request, pk):
    journey = _journey_or_404(request, pk)
    if journey.archived_at is not None:
        raise Http404
    lang = _lang()
    units = _unit_options(request)
    visible = {u.pk for u in units}
    journey_form = JourneyForm(language=lang, journey=journey)
    units_form = UnitsForm(units=units, initial={
        "units": [u.pk for u in journey.units.all() if u.pk in visible]}, prefix="units")
    if request.method == "POST":
        actor = Actor.from_request(request)
        if request.POST.get("form") == "units":
            units_form = UnitsForm(request.POST, units=units, prefix="units")
            if units_form.is_valid():
                try:
                    actions.do_set_journey_units(actor, journey, _chosen_units(
                        request, units_form.cleaned_data["units"], journey))
                except ValidationError as exc:
                    units_form.add_error(None, exc)
                else:
                    messages.success(request, _("Units saved."))
                    return redirect("journey_edit", request.org.slug, journey.pk)
        else:
            journey_form = JourneyForm(request.POST, language=lang, journey=journey)
            if journey_form.is_valid():
                try:
                    actions.do_rename_journey(
                        actor, journey, name=journey_form.name_value(),
                        persona=actions.merge_language(journey.persona, lang,
                                                       journey_form.cleaned_data["persona"]),
                        description=actions.merge_language(
                            journey.description, lang, journey_form.cleaned_data["description"]))
                except ValidationError as exc:
                    journey_form.add_action_errors(exc)
                else:
                    messages.success(request, _("Changes saved."))
                    return redirect("journey_edit", request.org.slug, journey.pk)
    context = _board_context(request, journey)
    context.update(journey_form=journey_form, units_form=units_form)
    status = 400 if (journey_form.errors or units_form.errors) else 200
    return render(request, "journeys/edit.html", context, status=status)


@org_view(Role.MANAGER)
@require_POST
def stage_add(request, pk):
    journey = _journey_or_404(request, pk)
    form = StageForm(request.POST, language=_lang(), prefix="new-stage")
    if form.is_valid():
        try:
            stage = actions.do_add_stage(Actor.from_request(request), journey,
                                         name=form.name_value())
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            return _board_response(request, journey, focus=f"stage-{stage.pk}-heading",
                                   status=_("Stage “%(name)s” added.")
                                   % {"name": pick(stage.name)})
    if not _is_htmx(request):
        context = _board_context(request, journey, stage_form=form)
        context.update(journey_form=JourneyForm(language=_lang(), journey=journey),
                       units_form=None)
        return render(request, "journeys/edit.html", context, status=400)
    return _board_response(request, journey, status_code=422, stage_form=form,
                           focus="new-stage-form", status=_("The stage was not added."))


@org_view(Role.MANAGER)
def stage_edit(request, pk):
    stage = _stage_or_404(request, pk)
    form = StageForm(request.POST or None, language=_lang(), initial_name=stage.name,
                     prefix=f"stage{stage.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            stage = actions.do_update_stage(Actor.from_request(request), stage,
                                            name=form.name_value())
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            response = _board_response(request, stage.journey, focus=f"stage-{stage.pk}-edit",
                                       status=_("Stage renamed."))
            if _is_htmx(request):
                response["HX-Retarget"] = "#journey-board"
                response["HX-Reswap"] = "outerHTML"
            return response
    template = "journeys/_stage_form.html" if _is_htmx(request) else "journeys/stage_edit.html"
    return render(request, template, {"stage": stage, "form": form, "journey": stage.journey},
                  status=422 if form.errors else 200)


@org_view(Role.MANAGER)
@require_POST
def stage_move(request, pk):
    stage = _stage_or_404(request, pk)
    direction = request.POST.get("direction")
    journey = stage.journey
    active = list(journey.stages.filter(archived_at__isnull=True).order_by("position", "id"))
    if stage not in active or direction not in ("left", "right"):
        return HttpResponse(status=400)
    index = active.index(stage)
    target = index - 1 if direction == "left" else index + 1
    focus = f"stage-{stage.pk}-{direction}"
    if target < 0 or target >= len(active):
        status = (_("“%(name)s” is already the first stage.") if target < 0
                  else _("“%(name)s” is already the last stage.")) % {"name": pick(stage.name)}
        return _board_response(request, journey, focus=focus, status=status)
    try:
        actions.do_move_stage(Actor.from_request(request), stage, target)
    except ValidationError as exc:
        return _board_response(request, journey, focus=focus, status=" ".join(exc.messages))
    return _board_response(request, journey, focus=focus, status=_(
        "Stage “%(name)s” moved to position %(position)s of %(count)s.")
        % {"name": pick(stage.name), "position": target + 1, "count": len(active)})


@org_view(Role.MANAGER)
@require_POST
def stage_archive(request, pk):
    stage = _stage_or_404(request, pk)
    try:
        actions.do_archive_stage(Actor.from_request(request), stage)
    except ValidationError as exc:
        return _board_response(request, stage.journey, status=" ".join(exc.messages))
    return _board_response(request, stage.journey, focus="journey-board-heading",
                           status=_("Stage “%(name)s” archived with its touchpoints.")
                           % {"name": pick(stage.name)})


@org_view(Role.MANAGER)
@require_POST
def stage_restore(request, pk):
    stage = _stage_or_404(request, pk)
    try:
        actions.do_restore_stage(Actor.from_request(request), stage)
    except ValidationError as exc:
        return _board_response(request, stage.journey, status=" ".join(exc.messages))
    return _board_response(request, stage.journey, focus=f"stage-{stage.pk}-heading",
                           status=_("Stage “%(name)s” restored.") % {"name": pick(stage.name)})


def _touchpoint_fields(form: TouchpointForm, tp: Touchpoint | None, lang: str) -> dict:
    data = form.cleaned_data
    return {
        "name": form.name_value(),
        "channel": data["channel"],
        "moment_that_matters": data["moment_that_matters"],
        "description": actions.merge_language(tp.description if tp else None, lang,
                                              data["description"]),
        "owner_role": actions.merge_language(tp.owner_role if tp else None, lang,
                                             data["owner_role"]),
    }


@org_view(Role.MANAGER)
@require_POST
def touchpoint_add(request, pk):
    stage = _stage_or_404(request, pk)
    lang = _lang()
    form = TouchpointForm(request.POST, language=lang, prefix=f"s{stage.pk}")
    if form.is_valid():
        try:
            tp = actions.do_add_touchpoint(Actor.from_request(request), stage,
                                           **_touchpoint_fields(form, None, lang))
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            return _board_response(request, stage.journey, focus=f"tp-{tp.pk}-edit",
                                   status=_("Touchpoint “%(name)s” added to “%(stage)s”.")
                                   % {"name": pick(tp.name), "stage": pick(stage.name)})
    if not _is_htmx(request):
        context = _board_context(request, stage.journey, forms_by_stage={stage.pk: form})
        context.update(journey_form=JourneyForm(language=lang, journey=stage.journey),
                       units_form=None, open_stage=stage.pk)
        return render(request, "journeys/edit.html", context, status=400)
    return _board_response(request, stage.journey, status_code=422,
                           forms_by_stage={stage.pk: form}, focus=f"s{stage.pk}-add",
                           status=_("The touchpoint was not added."))


@org_view(Role.MANAGER)
def touchpoint_card(request, pk):
    """One editor card (htmx: cancel an inline edit)."""
    tp = _touchpoint_or_404(request, pk)
    return render(request, "journeys/_touchpoint_card.html", _card_context(tp, focus="edit"))


def _card_context(tp: Touchpoint, focus: str = "") -> dict:
    siblings = list(Touchpoint.objects.filter(stage=tp.stage, archived_at__isnull=True)
                    .order_by("position", "id").values_list("pk", flat=True))
    stages = list(Stage.objects.filter(journey=tp.journey, archived_at__isnull=True)
                  .order_by("position", "id").values_list("pk", flat=True))
    index = stages.index(tp.stage_id) if tp.stage_id in stages else 0
    return {
        "item": {"tp": tp, "position": siblings.index(tp.pk) + 1 if tp.pk in siblings else 0,
                 "count": len(siblings)},
        "col": {"stage": tp.stage, "first": index == 0, "last": index == len(stages) - 1},
        "journey": tp.journey, "focus": f"tp-{tp.pk}-{focus}" if focus else "",
    }


@org_view(Role.MANAGER)
def touchpoint_edit(request, pk):
    tp = _touchpoint_or_404(request, pk)
    lang = _lang()
    form = TouchpointForm(request.POST or None, language=lang, touchpoint=tp,
                          prefix=f"tp{tp.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            tp = actions.do_update_touchpoint(Actor.from_request(request), tp,
                                              **_touchpoint_fields(form, tp, lang))
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            if _is_htmx(request):
                context = _card_context(tp, focus="edit")
                context["status"] = _("Touchpoint “%(name)s” saved.") % {"name": pick(tp.name)}
                return render(request, "journeys/_touchpoint_card_response.html", context)
            messages.success(request, _("Changes saved."))
            return redirect(reverse("journey_edit", args=[request.org.slug, tp.journey_id])
                            + f"#tp-{tp.pk}")
    template = ("journeys/_touchpoint_form.html" if _is_htmx(request)
                else "journeys/touchpoint_edit.html")
    return render(request, template, {"tp": tp, "form": form, "journey": tp.journey},
                  status=422 if form.errors else 200)


@org_view(Role.MANAGER)
@require_POST
def touchpoint_move(request, pk):
    """Keyboard moves (``direction``) and drag and drop (``stage`` + ``position``)."""
    tp = _touchpoint_or_404(request, pk)
    journey = tp.journey
    if tp.archived_at is not None:
        return HttpResponse(status=400)
    stages = list(journey.stages.filter(archived_at__isnull=True).order_by("position", "id"))
    siblings = list(tp.stage.touchpoints.filter(archived_at__isnull=True)
                    .order_by("position", "id"))
    index = siblings.index(tp)
    s_index = stages.index(tp.stage)
    direction = request.POST.get("direction", "")
    focus = f"tp-{tp.pk}-{direction if direction in MOVE_DIRECTIONS else 'edit'}"
    name = pick(tp.name)
    if direction in MOVE_DIRECTIONS:
        target_stage, position = tp.stage, index
        if direction == "up":
            position = index - 1
        elif direction == "down":
            position = index + 1
        elif direction == "prev" and s_index > 0:
            target_stage = stages[s_index - 1]
            position = target_stage.touchpoints.filter(archived_at__isnull=True).count()
        elif direction == "next" and s_index < len(stages) - 1:
            target_stage, position = stages[s_index + 1], 0
        if target_stage == tp.stage and not 0 <= position < len(siblings):
            position = None
        if position is None or (target_stage == tp.stage and position == index):
            messages_by_dir = {
                "up": _("“%(name)s” is already first in its stage."),
                "down": _("“%(name)s” is already last in its stage."),
                "prev": _("“%(name)s” is already in the first stage."),
                "next": _("“%(name)s” is already in the last stage."),
            }
            return _board_response(request, journey, focus=focus,
                                   status=messages_by_dir[direction] % {"name": name})
    else:
        try:
            target_stage = next(s for s in stages if s.pk == int(request.POST.get("stage")))
            position = int(request.POST.get("position", ""))
        except (StopIteration, TypeError, ValueError):
            return HttpResponse(_("Choose a stage and a position."), status=400)
    try:
        tp = actions.do_move_touchpoint(Actor.from_request(request), tp, target_stage, position)
    except ValidationError as exc:
        return _board_response(request, journey, focus=focus, status=" ".join(exc.messages))
    count = target_stage.touchpoints.filter(archived_at__isnull=True).count()
    return _board_response(request, journey, focus=focus, status=_(
        "“%(name)s” moved to position %(position)s of %(count)s in stage “%(stage)s”.")
        % {"name": name, "position": tp.position + 1, "count": count,
           "stage": pick(target_stage.name)})


@org_view(Role.MANAGER)
@require_POST
def touchpoint_remove(request, pk):
    tp = _touchpoint_or_404(request, pk)
    name = pick(tp.name)
    try:
        outcome = actions.do_delete_or_archive_touchpoint(Actor.from_request(request), tp)
    except ValidationError as exc:
        return _board_response(request, tp.journey, status=" ".join(exc.messages))
    if outcome == "archived":
        status = _("“%(name)s” has feedback, so it was archived; its history is kept.")
    else:
        status = _("“%(name)s” was deleted.")
    return _board_response(request, tp.journey, focus=f"stage-{tp.stage_id}-heading",
                           status=status % {"name": name})


@org_view(Role.MANAGER)
@require_POST
def touchpoint_restore(request, pk):
    tp = _touchpoint_or_404(request, pk)
    try:
        actions.do_restore_touchpoint(Actor.from_request(request), tp)
    except ValidationError as exc:
        return _board_response(request, tp.journey, status=" ".join(exc.messages))
    return _board_response(request, tp.journey, focus=f"tp-{tp.pk}-edit",
                           status=_("“%(name)s” restored.") % {"name": pick(tp.name)})
