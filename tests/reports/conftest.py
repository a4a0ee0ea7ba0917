"""Data for the report and export tests: a journey, a survey with every scored question and
free text, and responses in the previous calendar month at Kamppi, Kallio and Oulu."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kokemus.reports import periods
from kokemus.reports.report import local_today
from kokemus.responses.actions import do_submit_response
from tests.analytics.helpers import make_journey, make_survey

HETU = "131052-308T"


@dataclass
class Data:
    start: date
    end: date
    month: str
    journey: object
    counter: object
    door: object
    version: object
    kamppi_nps: list
    kallio_nps: list
    oulu_nps: list


def submit(version, unit, touchpoint, nps, when: datetime, comment="", csat=None,
           **more):
    answers = {"nps": nps, **more}
    if csat is not None:
        answers["csat"] = csat
    if comment:
        answers["comment"] = comment
    response, _created = do_submit_response(unit=unit, touchpoint=touchpoint,
                                            survey_version=version, answers=answers,
                                            language="fi", channel="link", submitted_at=when)
    return response


@pytest.fixture
def data(tree):
    tree.org.keep_raw_comments = True  # the raw text is stored: exports must still redact
    tree.org.save()
    from kokemus.comments.ingest import forget_org_context
    forget_org_context()
    journey, (door, counter, _advice) = make_journey(tree.org, [tree.kamppi, tree.kallio])
    version = make_survey(tree.org)
    start, end = periods.previous_month(local_today(tree.kamppi))
    zone = ZoneInfo("Europe/Helsinki")
    kamppi = [10, 9, 9, 8, 7, 6, 3, 10, 9, 10, 2, 8]
    kallio = [2, 4, 9, 10, 6, 5, 9]
    oulu = [10, 10, 10]
    for i, v in enumerate(kamppi):
        when = datetime.combine(start + timedelta(days=i % 25), time(12), zone)
        submit(version, tree.kamppi, counter, v, when, csat=5 if v >= 7 else 2, fft=1,
               expectations=4, comment=(f"Henkilötunnukseni on {HETU}, palvelu oli hidas"
                                        if i == 0 else "Ystävällinen palvelu" if v >= 9
                                        else ""))
    for i, v in enumerate(kallio):
        when = datetime.combine(start + timedelta(days=i), time(10), zone)
        submit(version, tree.kallio, door, v, when, csat=3)
    for i, v in enumerate(oulu):
        when = datetime.combine(start + timedelta(days=i), time(9), zone)
        submit(version, tree.oulu, None, v, when)
    # One response in another month (must not count).
    submit(version, tree.kamppi, counter, 0,
           datetime.combine(start - timedelta(days=3), time(12), zone))
    from kokemus.comments.analysis import analyse_pending_batch
    analyse_pending_batch()
    return Data(start, end, periods.month_key(start), journey, counter, door, version,
                kamppi, kallio, oulu)
