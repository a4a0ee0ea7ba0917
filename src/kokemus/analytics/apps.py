from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kokemus.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Dashboards"), "analytics_overview", min_role="staff", order=10))
