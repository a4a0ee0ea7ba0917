from django.core.management import call_command
from django.core.management.base import BaseCommand

from kokemus.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Migrate, load the demo organisations (once) and serve them."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="load the data and exit")
        parser.add_argument("--reset", action="store_true",
                            help="delete the demo organisations and build them again")
        parser.add_argument("--seed", type=int, default=2026, help="random seed")
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, **opts):
        call_command("migrate", interactive=False, verbosity=0)
        summary = load_demo(seed=opts["seed"], reset=opts["reset"], stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("kokemus demo is ready."))
        self.stdout.write(f"Log in at http://{opts['bind']}/login/ with any of these "
                          f"(password: {DEMO_PASSWORD}):")
        for org_name, logins in summary.items():
            self.stdout.write(f"  {org_name}")
            for role, email in logins:
                self.stdout.write(f"    {role:<8} {email}")
        if not opts["no_serve"]:
            call_command("serve", bind=opts["bind"], workers=opts["workers"], threads=4)
