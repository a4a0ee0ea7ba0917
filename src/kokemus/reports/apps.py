"""Monthly unit PDF reports, scheduled delivery, CSV/XLSX/Parquet exports."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "kokemus.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("Reports"), "reports_index", min_role="staff", order=60))
