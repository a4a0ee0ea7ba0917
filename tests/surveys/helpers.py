"""Builders shared by the survey and response tests."""

from __future__ import annotations

from kokemus.accounts.audit import SYSTEM
from kokemus.journeys.models import Journey, Stage, Touchpoint
from kokemus.surveys import actions
from kokemus.surveys.questions import new_question

ALL_TYPES_QUESTIONS = [
    new_question("nps", "nps", required=True),
    new_question("free_text", "improve", show_if={"question": "nps", "op": "lte", "value": 6},
                 max_length=50),
    new_question("csat", "csat"),
    new_question("ces", "ces"),
    new_question("smiley", "smiley"),
    new_question("fft", "fft"),
    new_question("behaviour", "greeting", behaviour="greeting"),
    new_question("expectations", "expectations"),
    new_question("emotion", "emotion",
                 show_if={"question": "smiley", "op": "in", "value": [1, 2]}),
    new_question("mood", "mood"),
    new_question("single_choice", "visit"),
    new_question("multi_choice", "topics"),
    new_question("contact_consent", "contact"),
]


def make_touchpoint(org, key="counter"):
    journey = Journey.objects.create(organisation=org, name={"fi": "Polku", "en": "Journey"})
    stage = Stage.objects.create(organisation=org, journey=journey, key="visit",
                                 name={"fi": "Käynti"})
    return Touchpoint.objects.create(organisation=org, journey=journey, stage=stage, key=key,
                                     name={"fi": "Palvelutiski", "sv": "Servicedisk",
                                           "en": "Service counter"},
                                     moment_that_matters=True)


def make_survey(org, questions=None, template=None):
    if template:
        return actions.do_create_survey_from_template(SYSTEM, org, template)
    return actions.do_create_survey(SYSTEM, org, name={"fi": "Testi", "en": "Test"},
                                    questions=questions or ALL_TYPES_QUESTIONS, publish=True)


def make_point(org, unit, survey=None, touchpoint=None, template="nps_why_consent"):
    survey = survey or make_survey(org, template=template)
    return actions.do_create_collection_point(SYSTEM, survey, unit=unit, touchpoint=touchpoint)
