from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kokemus.web.backup import BackupError, backup, table_checksums


class Command(BaseCommand):
    help = ("Write a consistent online snapshot of the database (SQLite backup API or "
            "pg_dump) while the service keeps running.")

    def add_arguments(self, parser):
        parser.add_argument("--output", help="file to write (default: var/backups/…)")
        parser.add_argument("--checksums", action="store_true",
                            help="print row counts and checksums of every table")

    def handle(self, *args, **opts):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        engine = settings.DATABASES["default"]["ENGINE"]
        suffix = "sqlite3" if engine.endswith("sqlite3") else "pgdump"
        output = Path(opts["output"] or settings.VAR_DIR / "backups" / f"kokemus-{stamp}.{suffix}")
        try:
            backup(output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written to {output} ({output.stat().st_size} bytes)")
        if opts["checksums"]:
            for table, (n, digest) in sorted(table_checksums().items()):
                self.stdout.write(f"{table}\t{n}\t{digest[:16]}")
