import getpass
import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kokemus.accounts import actions
from kokemus.accounts.audit import SYSTEM, Actor
from kokemus.accounts.models import Organisation, Role, Sector, User


class Command(BaseCommand):
    help = "Create an administrator of an organisation (creating the organisation if needed)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="the administrator's e-mail address")
        parser.add_argument("--organisation", required=True,
                            help="organisation name (created if no organisation has it)")
        parser.add_argument("--sector", default=Sector.OTHER, choices=Sector.values)
        parser.add_argument("--name", default="", help="the administrator's full name")
        parser.add_argument("--password", help="password (prompted when omitted; "
                            "use --generate-password for a random one)")
        parser.add_argument("--generate-password", action="store_true",
                            help="generate and print a random password")

    @transaction.atomic
    def handle(self, *args, **opts):
        password = opts["password"]
        if opts["generate_password"]:
            password = secrets.token_urlsafe(12)
        elif not password:
            password = getpass.getpass("Password: ")
        user = User.objects.filter(email__iexact=opts["email"]).first()
        try:
            if user is None:
                user = actions.do_create_user(SYSTEM, email=opts["email"], password=password,
                                              full_name=opts["name"])
            org = Organisation.objects.filter(name=opts["organisation"]).first()
            if org is None:
                org = actions.do_create_organisation(Actor(user=user), name=opts["organisation"],
                                                     sector=opts["sector"])
            elif not org.memberships.filter(user=user).exists():
                actions.do_add_member(SYSTEM, org, user=user, role=Role.ADMIN)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Administrator {user.email} of {org.name} (/o/{org.slug}/)")
        if opts["generate_password"]:
            self.stdout.write(f"Password: {password}")
