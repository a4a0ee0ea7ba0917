"""``kokemus invitations send-due``: send due invitations and reminders now (for cron)."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Survey invitations: `send-due` sends every due invitation and reminder."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["send-due"])

    def handle(self, *args, **opts):
        from kokemus.invitations.actions import next_due_at, schedule_run, send_due

        counts = send_due()
        schedule_run(next_due_at())
        self.stdout.write(json.dumps(counts))
