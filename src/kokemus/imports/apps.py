from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "kokemus.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self):
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Imports"), "import_list", min_role="manager", order=70))
