import sys

from django.core.management.base import BaseCommand, CommandError

from kokemus.accounts.models import Organisation
from kokemus.analytics import rollups


class Command(BaseCommand):
    help = "Rebuild the rollup tables from raw answers, or verify them (exit 1 on mismatch)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "verify"])
        parser.add_argument("--organisation", help="organisation short name (default: all)")

    def handle(self, *args, **opts):
        org_id = None
        if opts["organisation"]:
            org = Organisation.objects.filter(slug=opts["organisation"]).first()
            if org is None:
                raise CommandError(f"no organisation {opts['organisation']!r}")
            org_id = org.pk
        if opts["action"] == "rebuild":
            n = rollups.rebuild(org_id)
            self.stdout.write(f"rollups rebuilt: {n} keys")
            return
        mismatches = rollups.verify(org_id)
        if mismatches:
            for key, stored, raw in mismatches[:50]:
                self.stderr.write(f"mismatch {key}: stored {stored}, raw {raw}")
            self.stderr.write(f"rollups verify: {len(mismatches)} mismatching keys")
            sys.exit(1)
        self.stdout.write("rollups verify: ok")
