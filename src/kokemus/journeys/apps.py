from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "kokemus.journeys"
    label = "journeys"
    verbose_name = _("Customer journeys")

    def ready(self) -> None:
        from kokemus import demo
        from kokemus.journeys.demo import delete_demo_journeys, demo_journeys
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Journeys"), "journey_list", min_role="staff", order=20))
        demo.register_step(20, "journeys", demo_journeys)
        demo.register_reset_hook(delete_demo_journeys)
