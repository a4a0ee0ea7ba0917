"""REST API (django-ninja): tokens, submissions, listings, metrics, visit events, webhooks."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class APIConfig(AppConfig):
    name = "kokemus.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from kokemus.api.webhooks import on_response_submitted
        from kokemus.responses.signals import response_submitted
        from kokemus.web.nav import NavItem, register

        register(NavItem(_("API"), "api_token_list", min_role="admin", order=90))
        response_submitted.connect(on_response_submitted,
                                   dispatch_uid="kokemus.api.webhooks")
