"""``kokemus cases remind`` / ``kokemus cases purge`` (for cron; the worker runs the same)."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Follow-up cases: `remind` sends due-tomorrow reminders and overdue escalations "
            "(once per case); `purge` erases contact details after the retention period.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["remind", "purge"])

    def handle(self, *args, **opts):
        from kokemus.improvement.tasks import purge_case_contacts, send_case_reminders

        if opts["action"] == "remind":
            self.stdout.write(json.dumps(send_case_reminders.call()))
        else:
            self.stdout.write(json.dumps({"purged": purge_case_contacts.call()}))
