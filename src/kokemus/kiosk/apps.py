"""Offline kiosk devices: a unit's tablet that queues answers while offline."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KioskConfig(AppConfig):
    name = "kokemus.kiosk"
    label = "kiosk"
    verbose_name = _("Kiosks")

    def ready(self) -> None:
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Kiosks"), "kiosk_list", min_role="manager", order=35))
