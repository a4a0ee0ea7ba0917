from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kokemus.web.backup import BackupError, restore


class Command(BaseCommand):
    help = "Replace the database's contents with a backup made by `kokemus backup`."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file")
        parser.add_argument("--yes", action="store_true",
                            help="do not ask for confirmation")

    def handle(self, *args, **opts):
        if not opts["yes"]:
            answer = input("This replaces all data in the database. Type 'restore' to go on: ")
            if answer.strip() != "restore":
                raise CommandError("cancelled")
        try:
            restore(Path(opts["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("restore complete")
