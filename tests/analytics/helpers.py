"""Builders for the dashboard tests: a journey with stages and touchpoints, a survey with
every scored question type, and responses stored through do_submit_response."""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle

from django.utils import timezone

from kokemus.accounts.audit import SYSTEM
from kokemus.analytics import rollups
from kokemus.journeys.models import Journey, Stage, Touchpoint
from kokemus.responses.actions import do_submit_response
from kokemus.surveys import actions as survey_actions
from kokemus.surveys.questions import new_question

QUESTIONS = [
    new_question("nps", "nps", required=True),
    new_question("csat", "csat"),
    new_question("fft", "fft"),
    new_question("expectations", "expectations"),
    new_question("smiley", "smiley"),
    new_question("mood", "mood"),
    new_question("emotion", "emotion"),
    new_question("behaviour", "greeting", behaviour="greeting"),
    new_question("behaviour", "waiting", behaviour="waiting"),
    new_question("free_text", "comment"),
]


def make_journey(org, units=()):
    journey = Journey.objects.create(organisation=org, name={"fi": "Apteekkikäynti",
                                                             "en": "Pharmacy visit"})
    journey.units.set(units)
    arrive = Stage.objects.create(organisation=org, journey=journey, key="arrive", position=0,
                                  name={"fi": "Saapuminen", "en": "Arrival"})
    serve = Stage.objects.create(organisation=org, journey=journey, key="serve", position=1,
                                 name={"fi": "Palvelu", "en": "Service"})
    door = Touchpoint.objects.create(organisation=org, journey=journey, stage=arrive,
                                     key="door", position=0,
                                     name={"fi": "Sisäänkäynti", "en": "Entrance"})
    counter = Touchpoint.objects.create(organisation=org, journey=journey, stage=serve,
                                        key="counter", position=0,
                                        name={"fi": "Palvelutiski", "en": "Counter"})
    advice = Touchpoint.objects.create(organisation=org, journey=journey, stage=serve,
                                       key="advice", position=1,
                                       name={"fi": "Neuvonta", "en": "Advice"})
    return journey, [door, counter, advice]


def make_survey(org):
    return survey_actions.do_create_survey(SYSTEM, org, name={"fi": "Kysely", "en": "Survey"},
                                           questions=QUESTIONS, publish=True).current_version


def submit(version, unit, touchpoint, nps, *, days_ago=1, comment="", csat=None,
           language="fi", channel="link", **more):
    answers = {"nps": nps}
    if csat is not None:
        answers["csat"] = csat
    if comment:
        answers["comment"] = comment
    answers.update(more)
    response, _created = do_submit_response(
        unit=unit, touchpoint=touchpoint, survey_version=version, answers=answers,
        language=language, channel=channel,
        submitted_at=timezone.now() - timedelta(days=days_ago, hours=1))
    return response


def submit_many(version, unit, touchpoint, nps_values, days=(1,), **more):
    out = []
    for value, day in zip(nps_values, cycle(days)):
        out.append(submit(version, unit, touchpoint, value, days_ago=day, **more))
    return out


def finish():
    """Until do_submit_response bumps the rollups itself, recount them."""
    rollups.rebuild()
