"""One of each object kind for an organisation, for the permission matrix and fuzz tests.

Everything is placed in the site "Kamppi" so that the staff persona (scoped to Kamppi) and
the manager persona (scoped to the region "Etelä") can both see it: what they get is then
decided by their role, not by their unit scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from kokemus.accounts import actions as account_actions
from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Membership, Role
from kokemus.api.actions import do_create_token
from kokemus.api.models import Webhook
from kokemus.goals.models import Goal, PredictionRound
from kokemus.imports.models import ImportJob
from kokemus.improvement.models import FollowUpCase, Idea, ImprovementAction
from kokemus.journeys.models import Journey, Stage, Touchpoint
from kokemus.kiosk.actions import do_register_kiosk
from kokemus.responses.actions import do_submit_response
from kokemus.surveys import actions as survey_actions
from kokemus.surveys.questions import new_question

QUESTIONS = [
    new_question("nps", "nps", required=True),
    new_question("free_text", "comment"),
    new_question("contact_consent", "contact"),
]


@dataclass
class Dataset:
    org: object
    tree: object
    objects: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)

    def __getitem__(self, kind):
        return self.objects[kind]


def build_dataset(tree, owner) -> Dataset:
    """``owner`` is an admin member of ``tree.org``."""
    org = tree.org
    ds = Dataset(org=org, tree=tree)
    o = ds.objects
    o["unit"] = tree.kamppi
    o["member"] = Membership.objects.get(organisation=org, user=owner)
    journey = Journey.objects.create(organisation=org, name={"fi": "Polku", "en": "Journey"})
    journey.units.set([tree.kamppi])
    o["journey"] = journey
    o["stage"] = Stage.objects.create(organisation=org, journey=journey, key="visit",
                                      name={"fi": "Käynti", "en": "Visit"})
    o["touchpoint"] = Touchpoint.objects.create(
        organisation=org, journey=journey, stage=o["stage"], key="counter",
        name={"fi": "Tiski", "sv": "Disk", "en": "Counter"})
    survey = survey_actions.do_create_survey(SYSTEM, org, name={"fi": "Kysely", "en": "Survey"},
                                             questions=QUESTIONS, publish=True)
    o["survey"] = survey
    o["question"] = "comment"
    cp = survey_actions.do_create_collection_point(SYSTEM, survey, unit=tree.kamppi,
                                                   touchpoint=o["touchpoint"])
    o["point"] = cp
    kiosk, raw_kiosk = do_register_kiosk(SYSTEM, org, unit=tree.kamppi, name="Kioski",
                                         collection_point=cp)
    o["kiosk"] = kiosk
    ds.secrets["kiosk"] = raw_kiosk
    o["import"] = ImportJob.objects.create(organisation=org, original_name="a.csv",
                                           file_path="/nonexistent/kokemus-a.csv",
                                           format="csv", header=["nps"], survey=survey)
    inv, raw_inv = account_actions.do_invite_member(SYSTEM, org, email=f"new@{org.slug}.example",
                                                    role=Role.STAFF, send=False)
    o["invitation"] = inv
    ds.secrets["invitation"] = raw_inv
    token, _raw = do_create_token(SYSTEM, org, name="BI", scope="read")
    o["token"] = token
    ds.secrets["read"] = _raw
    ds.secrets["write"] = do_create_token(SYSTEM, org, name="Kassa", scope="write")[1]
    o["webhook"] = Webhook.objects.create(organisation=org, url="https://hooks.example/x",
                                          secret="s" * 32, events=["response.created"])
    o["goal"] = Goal.objects.create(organisation=org, aim="Parempi NPS", metric="nps",
                                    scope="organisation", deadline=dt.date(2031, 1, 1))
    rnd = PredictionRound.objects.create(organisation=org, title="Kierros", unit=tree.kamppi,
                                         period_start=dt.date(2026, 1, 1),
                                         period_end=dt.date(2026, 1, 31))
    rnd.touchpoints.set([o["touchpoint"]])
    o["round"] = rnd
    response, _ = do_submit_response(
        collection_point=cp, answers={"nps": 2, "comment": "Jonotin liian kauan",
                                      "contact": True},
        consent_contact=True, contact="asiakas@example.com", language="fi", channel="qr",
        idempotency_key=f"ds-{org.slug}", respondent_token=f"resp-{org.slug}")
    o["response"] = response
    case = FollowUpCase.objects.filter(organisation=org).first()
    if case is None:
        case = FollowUpCase.objects.create(organisation=org, unit=tree.kamppi, reason="detractor",
                                           score=2, due_date=timezone.localdate(),
                                           contact="asiakas@example.com")
    o["case"] = case
    o["idea"] = Idea.objects.create(organisation=org, unit=tree.kamppi, author=owner,
                                    title="Vuoronumerot", touchpoint=o["touchpoint"])
    action = ImprovementAction.objects.create(organisation=org, title="Lisää kassoja",
                                              owner=owner, start_date=dt.date(2026, 1, 1))
    action.units.set([tree.kamppi])
    o["action"] = action
    return ds
