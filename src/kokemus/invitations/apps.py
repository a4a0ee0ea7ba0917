from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "kokemus.invitations"
    label = "invitations"
    verbose_name = _("Invitations")

    def ready(self):
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Invitations"), "invitation_home", min_role="manager", order=60))
