"""Every state change of surveys and collection points: ``do_*`` functions, audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokemus.accounts.audit import Actor, record
from kokemus.accounts.models import Organisation, Unit
from kokemus.journeys.i18n import LANGUAGES, clean_i18n
from kokemus.journeys.models import Touchpoint
from kokemus.surveys.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CollectionChannel,
    CollectionPoint,
    Survey,
    SurveyStatus,
    SurveyVersion,
)
from kokemus.surveys.questions import (
    QUESTION_TYPES,
    new_question,
    normalize_questions,
    questions_from_template,
    survey_templates,
)


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not CollectionPoint.objects.filter(code=code).exists():
            return code


def _check_name(name) -> dict:
    name = clean_i18n(name)
    if not name:
        raise ValidationError({"name": _("Give the survey a name.")})
    if any(len(v) > 200 for v in name.values()):
        raise ValidationError({"name": _("Use at most 200 characters.")})
    return name


@transaction.atomic
def do_create_survey(actor: Actor, org: Organisation, *, name, questions: list[dict],
                     publish: bool = False, template_key: str = "") -> Survey:
    name = _check_name(name)
    questions = normalize_questions(questions)
    survey = Survey.objects.create(organisation=org, name=name, template_key=template_key,
                                   status=SurveyStatus.DRAFT)
    version = SurveyVersion.objects.create(survey=survey, number=1, questions=questions)
    record(actor, "survey.create", survey, changes={"name": name, "template": template_key,
                                                    "questions": len(questions)})
    if publish:
        do_publish_survey(actor, survey)
        survey.refresh_from_db()
    del version
    return survey


@transaction.atomic
def do_create_survey_from_template(actor: Actor, org: Organisation, template_key: str, *,
                                   name=None, touchpoint: Touchpoint | None = None,
                                   units: Iterable[Unit] = (),
                                   channel: str = CollectionChannel.QR) -> Survey:
    """A published survey from a touchpoint template, with a collection point per unit."""
    templates = survey_templates()
    if template_key not in templates:
        raise ValidationError({"template": _("Choose a survey template.")})
    if touchpoint is not None and touchpoint.organisation_id != org.pk:
        raise ValidationError({"touchpoint": _("Choose a touchpoint of this organisation.")})
    tpl = templates[template_key]
    if not clean_i18n(name):
        name = dict(tpl["name"])
        if touchpoint is not None:
            name = {lang: f"{touchpoint.name.get(lang) or touchpoint.name.get('fi', '')}: "
                          f"{tpl['name'][lang]}" for lang in LANGUAGES}
    survey = do_create_survey(actor, org, name=name, template_key=template_key,
                              questions=questions_from_template(template_key, org.name),
                              publish=True)
    for unit in units:
        do_create_collection_point(actor, survey, unit=unit, touchpoint=touchpoint,
                                   channel=channel)
    return survey


def _editable_draft(survey: Survey) -> SurveyVersion:
    survey.refresh_from_db(fields=["status"])
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError(_("A closed survey cannot be edited."))
    draft = survey.draft_version
    if draft is None:
        raise ValidationError(_("Start a new draft first."))
    return SurveyVersion.objects.select_for_update().get(pk=draft.pk)


@transaction.atomic
def do_start_draft(actor: Actor, survey: Survey) -> SurveyVersion:
    """The survey's draft version; a new one copied from the current version if needed."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError(_("A closed survey cannot be edited."))
    draft = survey.draft_version
    if draft is not None:
        return draft
    current = survey.current_version
    last = survey.versions.order_by("-number").first()
    draft = SurveyVersion.objects.create(
        survey=survey, number=(last.number if last else 0) + 1,
        questions=list(current.questions) if current else [])
    record(actor, "survey.draft", survey, changes={"version": draft.number})
    return draft


def _save_questions(actor: Actor, survey: Survey, draft: SurveyVersion, questions: list,
                    action: str, key: str) -> SurveyVersion:
    draft.questions = normalize_questions(questions)
    draft.save(update_fields=["questions"])
    record(actor, action, survey, changes={"version": draft.number, "question": key})
    return draft


@transaction.atomic
def do_add_question(actor: Actor, survey: Survey, qtype: str, *,
                    behaviour: str | None = None) -> dict:
    if qtype not in QUESTION_TYPES:
        raise ValidationError({"type": _("Choose a question type.")})
    draft = _editable_draft(survey)
    keys = {q["key"] for q in draft.questions}
    base = behaviour if qtype == "behaviour" and behaviour else qtype
    key, n = base, 2
    while key in keys:
        key = f"{base}_{n}"
        n += 1
    question = new_question(qtype, key, organisation_name=survey.organisation.name,
                            behaviour=behaviour)
    _save_questions(actor, survey, draft, [*draft.questions, question], "survey.question_add",
                    key)
    return question


@transaction.atomic
def do_update_question(actor: Actor, survey: Survey, key: str, *, text=None,
                       required: bool | None = None, show_if: dict | None | bool = False,
                       options: list | None = None, max_length: int | None = None,
                       behaviour: str | None = None) -> dict:
    """Change a draft question. ``show_if=None`` removes the condition; False keeps it."""
    draft = _editable_draft(survey)
    questions = [dict(q) for q in draft.questions]
    question = next((q for q in questions if q["key"] == key), None)
    if question is None:
        raise ValidationError({"key": _("No such question.")})
    if text is not None:
        question["text"] = clean_i18n(text)
        if not question["text"]:
            raise ValidationError({key: _("Write the question in at least one language.")})
    if required is not None:
        question["required"] = bool(required)
    if show_if is None:
        question.pop("show_if", None)
    elif show_if:
        question["show_if"] = show_if
    if options is not None:
        question["options"] = options
    if max_length is not None:
        question["max_length"] = max_length
    if behaviour is not None:
        question["behaviour"] = behaviour
    _save_questions(actor, survey, draft, questions, "survey.question_update", key)
    return question


@transaction.atomic
def do_move_question(actor: Actor, survey: Survey, key: str, offset: int) -> None:
    draft = _editable_draft(survey)
    questions = list(draft.questions)
    index = next((i for i, q in enumerate(questions) if q["key"] == key), None)
    if index is None:
        raise ValidationError({"key": _("No such question.")})
    target = max(0, min(len(questions) - 1, index + offset))
    questions.insert(target, questions.pop(index))
    _save_questions(actor, survey, draft, questions, "survey.question_move", key)


@transaction.atomic
def do_remove_question(actor: Actor, survey: Survey, key: str) -> None:
    draft = _editable_draft(survey)
    if any((q.get("show_if") or {}).get("question") == key for q in draft.questions):
        raise ValidationError({key: _("Another question's condition refers to this question; "
                                      "remove the condition first.")})
    questions = [q for q in draft.questions if q["key"] != key]
    _save_questions(actor, survey, draft, questions, "survey.question_remove", key)


@transaction.atomic
def do_publish_survey(actor: Actor, survey: Survey) -> SurveyVersion:
    """Publish the draft version: it becomes current and can no longer change."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status == SurveyStatus.CLOSED:
        raise ValidationError(_("A closed survey cannot be published."))
    draft = survey.draft_version
    if draft is None:
        raise ValidationError(_("There is no draft to publish."))
    draft.questions = normalize_questions(draft.questions)
    draft.published_at = timezone.now()
    draft.save(update_fields=["questions", "published_at"])
    survey.status = SurveyStatus.PUBLISHED
    survey.save(update_fields=["status"])
    record(actor, "survey.publish", survey, changes={"version": draft.number})
    return draft


@transaction.atomic
def do_close_survey(actor: Actor, survey: Survey) -> Survey:
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != SurveyStatus.CLOSED:
        before = survey.status
        survey.status = SurveyStatus.CLOSED
        survey.save(update_fields=["status"])
        record(actor, "survey.close", survey, changes={"status": [before, survey.status]})
    return survey


@transaction.atomic
def do_set_thank_you(actor: Actor, survey: Survey, text) -> Survey:
    survey.thank_you = clean_i18n(text)
    survey.save(update_fields=["thank_you"])
    record(actor, "survey.thank_you", survey, changes={"thank_you": survey.thank_you})
    return survey


@transaction.atomic
def do_create_collection_point(actor: Actor, survey: Survey, *, unit: Unit,
                               touchpoint: Touchpoint | None = None,
                               channel: str = CollectionChannel.QR) -> CollectionPoint:
    org_id = survey.organisation_id
    if unit.organisation_id != org_id:
        raise ValidationError({"unit": _("Choose a unit of this organisation.")})
    if unit.archived_at is not None:
        raise ValidationError({"unit": _("An archived unit cannot collect feedback.")})
    if touchpoint is not None and touchpoint.organisation_id != org_id:
        raise ValidationError({"touchpoint": _("Choose a touchpoint of this organisation.")})
    if channel not in CollectionChannel.values:
        raise ValidationError({"channel": _("Choose a channel.")})
    cp = CollectionPoint.objects.create(organisation_id=org_id, unit=unit,
                                        touchpoint=touchpoint, survey=survey, code=new_code(),
                                        channel=channel)
    record(actor, "collection_point.create", cp, organisation=survey.organisation,
           changes={"survey": survey.pk, "unit": unit.pk,
                    "touchpoint": touchpoint.pk if touchpoint else None,
                    "channel": channel, "code": cp.code})
    return cp


@transaction.atomic
def do_set_collection_point_active(actor: Actor, cp: CollectionPoint,
                                   active: bool) -> CollectionPoint:
    if cp.is_active != active:
        cp.is_active = active
        cp.save(update_fields=["is_active"])
        record(actor, "collection_point.activate" if active else "collection_point.deactivate",
               cp, organisation=cp.organisation)
    return cp
