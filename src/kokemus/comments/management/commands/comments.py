from django.core.management.base import BaseCommand, CommandError

from kokemus.accounts.models import Organisation
from kokemus.comments.tasks import reanalyse_organisation


class Command(BaseCommand):
    help = "Re-analyse every comment of an organisation (themes, sentiment, redaction)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reanalyse"])
        parser.add_argument("--organisation", required=True, help="organisation short name")

    def handle(self, *args, **opts):
        org = Organisation.objects.filter(slug=opts["organisation"]).first()
        if org is None:
            raise CommandError(f"no organisation {opts['organisation']!r}")
        done = reanalyse_organisation.call(org.pk)
        self.stdout.write(f"{done} comments analysed")
