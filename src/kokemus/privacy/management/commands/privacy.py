"""kokemus privacy purge | erase | export — retention and respondents' data requests."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Organisation
from kokemus.privacy import actions


class Command(BaseCommand):
    help = "Apply retention policies; erase or export one respondent's data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        sub.add_parser("purge", help="blank free text and contacts older than the policy")
        for name in ("erase", "export"):
            p = sub.add_parser(name, help=f"{name} one respondent's data")
            p.add_argument("--org", required=True, help="organisation short name (slug)")
            p.add_argument("--token", default="", help="respondent token")
            p.add_argument("--contact", default="", help="e-mail address or phone number")
            if name == "erase":
                p.add_argument("--delete-responses", action="store_true",
                               help="delete the responses too (rollups are decremented)")

    def handle(self, *args, op, **opts):
        if op == "purge":
            self.stdout.write(json.dumps(actions.purge_expired()))
            return
        org = Organisation.objects.filter(slug=opts["org"]).first()
        if org is None:
            raise CommandError(f"No organisation {opts['org']!r}")
        try:
            if op == "erase":
                result = actions.do_erase_respondent(
                    SYSTEM, org, token=opts["token"], contact=opts["contact"],
                    delete_responses=opts["delete_responses"])
            else:
                result = actions.export_respondent(SYSTEM, org, token=opts["token"],
                                                   contact=opts["contact"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
