"""Builders for kiosk tests."""

from __future__ import annotations

import uuid

from django.utils import timezone

from kokemus.accounts.audit import SYSTEM
from kokemus.kiosk.actions import do_register_kiosk
from kokemus.surveys.questions import new_question
from tests.surveys.helpers import make_survey


def smiley_point(tree):
    from kokemus.surveys.actions import do_create_collection_point

    survey = make_survey(tree.org, questions=[new_question("smiley", "smiley",
                                                           required=True)])
    return do_create_collection_point(SYSTEM, survey, unit=tree.kamppi, channel="kiosk")


def register(tree, cp=None, name="Ovi"):
    cp = cp or smiley_point(tree)
    return do_register_kiosk(SYSTEM, tree.org, unit=cp.unit, name=name, collection_point=cp)


def item(value=4, **kw):
    out = {"idempotency_key": str(uuid.uuid4()),
           "submitted_at": timezone.now().isoformat(), "language": "fi",
           "answers": {"smiley": value}}
    out.update(kw)
    return out
