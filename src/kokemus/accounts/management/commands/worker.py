from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background tasks (e-mail, invitations, reports) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--queue", default="*", help="queue name, or * for all")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between polls when idle")
        parser.add_argument("--batch", action="store_true",
                            help="process what is queued now, then exit")

    def handle(self, *args, **opts):
        argv = ["--queue-name", opts["queue"], "--interval", str(opts["interval"])]
        if opts["batch"]:
            argv.append("--batch")
        else:
            from kokemus.responses.tasks import schedule_maintenance

            schedule_maintenance()  # daily partition upkeep (PostgreSQL only)
        call_command("db_worker", *argv)
