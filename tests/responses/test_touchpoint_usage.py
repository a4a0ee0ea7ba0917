"""A touchpoint that has responses is archived, never deleted, and keeps its history."""

from kokemus.accounts.audit import SYSTEM
from kokemus.journeys.actions import do_delete_or_archive_touchpoint
from kokemus.journeys.models import Touchpoint
from kokemus.responses.actions import do_submit_response
from kokemus.responses.models import Response
from tests.surveys.helpers import make_survey, make_touchpoint


def test_touchpoint_with_responses_is_archived(tree):
    touchpoint = make_touchpoint(tree.org)
    survey = make_survey(tree.org, template="nps_why_consent")
    version = survey.current_version
    response, _ = do_submit_response(unit=tree.kamppi, touchpoint=touchpoint,
                                     survey_version=version, answers={"nps": 9},
                                     language="fi", channel="api")
    do_delete_or_archive_touchpoint(SYSTEM, touchpoint)
    touchpoint.refresh_from_db()
    assert touchpoint.archived_at is not None
    assert Response.objects.get(pk=response.pk).touchpoint_id == touchpoint.pk
    unused = make_touchpoint(tree.org, key="exit")
    do_delete_or_archive_touchpoint(SYSTEM, unused)
    assert not Touchpoint.objects.filter(pk=unused.pk).exists()
