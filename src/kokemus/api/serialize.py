"""Plain-JSON views of responses shared by the REST API and webhook payloads.

Contact details are never included (they are for follow-up inside kokemus only).
"""

from __future__ import annotations

from kokemus.responses.models import Response


def answer_value(answer):
    if answer.value is not None:
        return answer.value
    if answer.question_type == "free_text":
        return answer.text
    return answer.choice


def answers_dict(answers) -> dict:
    out: dict = {}
    for a in answers:
        v = answer_value(a)
        if a.question_type == "multi_choice":
            out.setdefault(a.question_key, []).append(v)
        else:
            out[a.question_key] = v
    return out


def response_dict(response: Response, answers=None) -> dict:
    if answers is None:
        answers = response.answers.all()
    return {
        "id": response.pk,
        "unit": response.unit_id,
        "touchpoint": response.touchpoint_id,
        "survey": response.survey_version.survey_id if response.survey_version_id else None,
        "survey_version": response.survey_version_id,
        "collection_point": response.collection_point_id,
        "channel": response.channel,
        "language": response.language,
        "submitted_at": response.submitted_at.isoformat(),
        "received_at": response.received_at.isoformat(),
        "idempotency_key": response.idempotency_key or None,
        "consent_contact": response.consent_contact,
        "answers": answers_dict(answers),
    }
