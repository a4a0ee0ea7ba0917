"""``kokemus reports send-due``: deliver due scheduled reports now (for cron)."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Reports: `send-due` renders and e-mails every due scheduled report."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send-due"])

    def handle(self, *args, **opts):
        from kokemus.reports.actions import schedule_next_run, send_due

        counts = send_due()
        schedule_next_run()
        self.stdout.write(json.dumps(counts))
