import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kokemus.accounts.models import Organisation
from kokemus.analytics import rollups


class Command(BaseCommand):
    help = ("Rebuild the rollup tables from raw answers, verify them (exit 1 on mismatch), or "
            "compact them (fold the per-writer slots of past days into one row per key; the "
            "worker does this every night).")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "verify", "compact"])
        parser.add_argument("--organisation", help="organisation short name (default: all)")
        parser.add_argument("--since", type=date.fromisoformat, default=None,
                            help="first local date to recount (YYYY-MM-DD); earlier days, "
                                 "whose raw data may have been dropped, are left as they are "
                                 "(default: the raw-data horizon left by retention drops of "
                                 "monthly partitions, if any)")

    def handle(self, *args, **opts):
        org_id = None
        if opts["organisation"]:
            org = Organisation.objects.filter(slug=opts["organisation"]).first()
            if org is None:
                raise CommandError(f"no organisation {opts['organisation']!r}")
            org_id = org.pk
        if opts["action"] == "compact":
            n = rollups.compact()
            self.stdout.write(f"rollups compacted: {n} keys")
            return
        if opts["since"] is None:
            from kokemus.responses.partitions import raw_horizon

            opts["since"] = raw_horizon()
        if opts["action"] == "rebuild":
            n = rollups.rebuild(org_id, since=opts["since"])
            self.stdout.write(f"rollups rebuilt: {n} keys")
            return
        mismatches = rollups.verify(org_id, since=opts["since"])
        if mismatches:
            for key, stored, raw in mismatches[:50]:
                self.stderr.write(f"mismatch {key}: stored {stored}, raw {raw}")
            self.stderr.write(f"rollups verify: {len(mismatches)} mismatching keys")
            sys.exit(1)
        self.stdout.write("rollups verify: ok")
