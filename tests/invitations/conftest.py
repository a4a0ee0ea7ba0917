import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from kokemus.invitations import sms
from tests.surveys.helpers import make_point, make_touchpoint

HEL = ZoneInfo("Europe/Helsinki")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=HEL)


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "kokemus.invitations.sms.LocmemSMSBackend"
    settings.SITE_URL = "https://palaute.example"
    mail.outbox = []
    sms.outbox.clear()


@pytest.fixture
def touchpoint(tree):
    return make_touchpoint(tree.org, key="counter")


@pytest.fixture
def point(tree, touchpoint):
    return make_point(tree.org, tree.kamppi, touchpoint=touchpoint, template="fft_why")
